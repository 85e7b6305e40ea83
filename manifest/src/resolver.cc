// PubGrub: unit propagation over incompatibilities, conflict resolution that derives new ones,
// backjumping by decision level, newest-first decisions, and the derivation graph as a report.
#include "cairn/manifest/resolver.h"

#include "version_set.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <optional>
#include <queue>

namespace cairn::manifest {

void PackageIndex::add(const std::string& name, PackageVersion version) {
  auto& versions = packages_[name];
  auto position =
      std::lower_bound(versions.begin(), versions.end(), version,
                       [](const PackageVersion& a, const PackageVersion& b) { return a.version > b.version; });
  versions.insert(position, std::move(version));
}

const std::vector<PackageVersion>* PackageIndex::versions(const std::string& name) const {
  auto it = packages_.find(name);
  return it == packages_.end() ? nullptr : &it->second;
}

namespace {

// The app itself is package 0, with one version; deciding it is the first decision.
constexpr int root_package = 0;

// Why an incompatibility holds. Every kind but `derived` is a fact read from the index or the
// request; `derived` ones were proven by conflict resolution from two others.
enum class Cause { requirement, no_versions, unknown_library, yanked, derived };

// A set of terms that cannot all be true at once.
struct Incompatibility {
  std::vector<Term> terms;
  Cause cause;
  int left = -1;  // for `derived`: the incompatibilities it was derived from
  int right = -1;
};

// One step of the partial solution: a decision (cause < 0) or a term derived from an
// incompatibility by unit propagation.
struct Assignment {
  Term term;
  Term accumulated;  // the intersection of this and every earlier assignment to the same library
  int level;         // the number of decisions made when it was assigned
  int cause;
};

struct PackageState {
  std::string name;
  const std::vector<PackageVersion>* versions = nullptr;  // null: not in the index
  std::size_t universe = 0;                               // how many versions the index knows
  int preferred = -1;                                     // the lock's pin, by version index
  std::vector<int> incompatibilities;                     // those that mention it
  std::vector<int> assignments;                           // indexes into Solver::assignments_
  bool decided = false;
  // Which dependencies of which versions are incompatibilities already, flattened: version v's
  // start at dependency_offsets[v]. Both stay empty until a version of the library is decided.
  std::vector<std::size_t> dependency_offsets;
  std::vector<bool> dependency_added;
};

enum class Relation { satisfied, contradicted, inconclusive };

class Solver {
 public:
  Solver(const PackageIndex& index, const ResolveRequest& request) : index_(index), request_(request) {}

  Result<Resolution> solve() {
    PackageState root;
    root.name = request_.root_name;
    root.universe = 1;
    root.decided = true;
    packages_.reserve(index_.size() + 1);
    incompatibilities_.reserve(256);
    assignments_.reserve(256);
    packages_.push_back(std::move(root));
    level_ = 1;
    assignments_.push_back(Assignment{root_term(), root_term(), level_, -1});
    packages_[root_package].assignments.push_back(0);
    for (const auto& [name, constraint] : request_.requirements) {
      add_dependency(root_package, VersionSet::all(1), name, constraint);
    }
    int next = root_package;
    while (true) {
      if (!propagate(next)) return failure();
      next = next_undecided();
      if (next < 0) break;
      if (steps_ >= request_.max_steps) {
        return make_error(ErrorCode::limit_exceeded, "resolution of {} gave up after {} steps", request_.root_name,
                          request_.max_steps);
      }
      ++steps_;
      try_version(next);
    }
    Resolution resolution;
    for (std::size_t package = 1; package < packages_.size(); ++package) {
      const PackageState& state = packages_[package];
      if (!state.decided) continue;
      std::size_t chosen = assignments_[state.assignments.back()].accumulated.versions.first();
      resolution.versions[state.name] = (*state.versions)[chosen].version;
    }
    resolution.steps = steps_;
    return resolution;
  }

 private:
  Term root_term() const { return Term{root_package, true, VersionSet::all(1), nullptr}; }

  int package_id(const std::string& name) {
    auto [it, inserted] = ids_.try_emplace(name, static_cast<int>(packages_.size()));
    if (!inserted) return it->second;
    PackageState state;
    state.name = name;
    state.versions = index_.versions(name);
    state.universe = state.versions == nullptr ? 0 : state.versions->size();
    int id = it->second;
    packages_.push_back(std::move(state));
    if (packages_[id].universe == 0) return id;
    // Yanked versions stay in the library's universe, so that an explanation can say a version
    // would have matched but is yanked; one fact rules them all out.
    const auto* preferred = request_.preferred.contains(name) ? &request_.preferred.at(name) : nullptr;
    VersionSet yanked = VersionSet::none(packages_[id].universe);
    for (std::size_t i = 0; i < packages_[id].universe; ++i) {
      const PackageVersion& version = (*packages_[id].versions)[i];
      bool pinned = preferred != nullptr && version.version == *preferred;
      if (pinned) packages_[id].preferred = static_cast<int>(i);
      if (version.yanked && !pinned) yanked.insert(i);
    }
    if (!yanked.empty()) watch(add_incompatibility({Term{id, true, std::move(yanked), nullptr}}, Cause::yanked));
    return id;
  }

  int add_incompatibility(std::vector<Term> terms, Cause cause, int left = -1, int right = -1) {
    // At most one term per library: two terms on one library hold together as their intersection.
    std::vector<Term> merged;
    merged.reserve(terms.size());
    for (auto& term : terms) {
      auto same = std::find_if(merged.begin(), merged.end(), [&](const Term& t) { return t.package == term.package; });
      if (same == merged.end()) {
        merged.push_back(std::move(term));
      } else {
        *same = intersect(*same, term);
      }
    }
    incompatibilities_.push_back(Incompatibility{std::move(merged), cause, left, right});
    return static_cast<int>(incompatibilities_.size()) - 1;
  }

  // Makes unit propagation look at incompatibility `id` whenever one of its libraries changes.
  void watch(int id) {
    for (const Term& term : incompatibilities_[id].terms) packages_[term.package].incompatibilities.push_back(id);
  }

  // Adds "the versions `depender` of `package` need `name` `constraint`" and returns the
  // incompatibility to check. A constraint no known version meets (or a library the index does
  // not have) rules the dependers out at once, so that fact is derived here.
  int add_dependency(int package, VersionSet depender, const std::string& name, const Constraint& constraint) {
    int dependency = package_id(name);
    const PackageState& state = packages_[dependency];
    VersionSet allowed = VersionSet::none(state.universe);
    for (std::size_t i = 0; i < state.universe; ++i) {
      if (constraint.matches((*state.versions)[i].version)) allowed.insert(i);
    }
    Term needer{package, true, std::move(depender), nullptr};
    bool none_match = allowed.empty();
    Term needed{dependency, false, allowed, &constraint.text()};
    int id = add_incompatibility({needer, std::move(needed)}, Cause::requirement);
    if (!none_match) {
      watch(id);
      return id;
    }
    Cause missing_cause = state.versions == nullptr ? Cause::unknown_library : Cause::no_versions;
    int missing = add_incompatibility({Term{dependency, true, std::move(allowed), &constraint.text()}}, missing_cause);
    int derived = add_incompatibility({std::move(needer)}, Cause::derived, id, missing);
    watch(derived);
    return derived;
  }

  // Adds the dependencies of `version` of `package` not added yet. Like pub, each one is stated
  // once for the run of neighbouring versions that have the same dependency ("every version of b
  // needs c ^3", "a 1.0.0 and 1.1.0 need c ^1"): that fact prunes them all at once and reads better.
  std::vector<int> add_dependencies(int package, std::size_t version) {
    const std::vector<PackageVersion>& versions = *packages_[package].versions;
    if (packages_[package].dependency_offsets.empty()) {
      auto& offsets = packages_[package].dependency_offsets;
      offsets.assign(versions.size() + 1, 0);
      for (std::size_t i = 0; i < versions.size(); ++i) offsets[i + 1] = offsets[i] + versions[i].depends.size();
      packages_[package].dependency_added.resize(offsets.back());
    }
    std::vector<int> added;
    for (std::size_t d = 0; d < versions[version].depends.size(); ++d) {
      if (packages_[package].dependency_added[packages_[package].dependency_offsets[version] + d]) continue;
      const std::string& name = versions[version].depends[d].first;
      const Constraint& constraint = versions[version].depends[d].second;
      // Marks the same dependency of version `other` as added; false when it has none left to add.
      auto take = [&](std::size_t other) {
        const auto& depends = versions[other].depends;
        std::size_t offset = packages_[package].dependency_offsets[other];
        for (std::size_t k = 0; k < depends.size(); ++k) {
          if (same_text(depends[k].first, name) && same_text(depends[k].second.text(), constraint.text()) &&
              !packages_[package].dependency_added[offset + k]) {
            packages_[package].dependency_added[offset + k] = true;
            return true;
          }
        }
        return false;
      };
      VersionSet group = VersionSet::only(versions.size(), version);
      take(version);
      for (std::size_t other = version; other-- > 0 && take(other);) group.insert(other);
      for (std::size_t other = version + 1; other < versions.size() && take(other); ++other) group.insert(other);
      added.push_back(add_dependency(package, std::move(group), name, constraint));
    }
    return added;
  }

  // String equality with the cheap rejections first: this runs for every pair of dependencies.
  static bool same_text(const std::string& a, const std::string& b) {
    return a.size() == b.size() && (a.empty() || a.back() == b.back()) && a == b;
  }

  const Term* current(int package) const {
    const auto& list = packages_[package].assignments;
    return list.empty() ? nullptr : &assignments_[list.back()].accumulated;
  }

  Relation relation(const Term& term) const {
    const Term* now = current(term.package);
    if (now == nullptr) return Relation::inconclusive;
    if (is_subset(*now, term)) return Relation::satisfied;
    if (are_disjoint(*now, term)) return Relation::contradicted;
    return Relation::inconclusive;
  }

  // The relation of the partial solution to incompatibility `id`: satisfied (a conflict),
  // "almost satisfied" (inconclusive with `unsatisfied` >= 0: all terms but that one hold), or
  // neither (contradicted, or inconclusive with `unsatisfied` < 0).
  Relation relation_of(int id, int& unsatisfied) const {
    unsatisfied = -1;
    const auto& terms = incompatibilities_[id].terms;
    for (std::size_t i = 0; i < terms.size(); ++i) {
      Relation r = relation(terms[i]);
      if (r == Relation::contradicted) return r;
      if (r == Relation::inconclusive) {
        if (unsatisfied >= 0) {
          unsatisfied = -1;
          return r;
        }
        unsatisfied = static_cast<int>(i);
      }
    }
    return unsatisfied < 0 ? Relation::satisfied : Relation::inconclusive;
  }

  void assign(Term term, int cause) {
    int package = term.package;
    PackageState& state = packages_[package];
    const Term* before = current(package);
    bool was_positive = before != nullptr && before->positive;
    Term accumulated = before == nullptr ? term : intersect(*before, term);
    bool positive = accumulated.positive;
    state.assignments.push_back(static_cast<int>(assignments_.size()));
    assignments_.push_back(Assignment{std::move(term), std::move(accumulated), level_, cause});
    if (cause < 0) {
      state.decided = true;
    } else if (positive && !was_positive) {
      undecided_.push(package);
    }
  }

  // Unit propagation from `start`: every incompatibility of a changed library with all terms but
  // one satisfied forces the negation of that one. Returns false when the app cannot be resolved.
  bool propagate(int start) {
    std::vector<int>& changed = changed_;
    changed.assign(1, start);
    while (!changed.empty()) {
      int package = changed.back();
      changed.pop_back();
      // Newest first: learned incompatibilities are the most telling. The list may grow meanwhile.
      for (std::size_t i = packages_[package].incompatibilities.size(); i-- > 0;) {
        int id = packages_[package].incompatibilities[i];
        int unsatisfied = -1;
        Relation r = relation_of(id, unsatisfied);
        if (r == Relation::satisfied) {
          int learned = resolve_conflict(id);
          if (learned < 0) return false;
          // Backjumping left the learned incompatibility almost satisfied: it forces one term.
          changed.clear();
          if (relation_of(learned, unsatisfied) == Relation::inconclusive && unsatisfied >= 0) {
            Term forced = incompatibilities_[learned].terms[unsatisfied].negated();
            changed.push_back(forced.package);
            assign(std::move(forced), learned);
          } else {
            for (const Term& term : incompatibilities_[learned].terms) changed.push_back(term.package);
          }
          break;
        }
        if (r == Relation::inconclusive && unsatisfied >= 0) {
          Term forced = incompatibilities_[id].terms[unsatisfied].negated();
          changed.push_back(forced.package);
          assign(std::move(forced), id);
        }
      }
    }
    return true;
  }

  // The earliest assignment after which the partial solution satisfies `term`.
  int satisfier(const Term& term) const {
    for (int index : packages_[term.package].assignments) {
      if (is_subset(assignments_[index].accumulated, term)) return index;
    }
    return -1;
  }

  static bool is_terminal(const Incompatibility& incompatibility) {
    const auto& terms = incompatibility.terms;
    return terms.empty() || (terms.size() == 1 && terms[0].package == root_package && terms[0].positive);
  }

  // Conflict resolution: from the satisfied incompatibility `id`, derives (by resolution with the
  // causes of the latest assignments) one that the partial solution satisfies because of a single
  // decision, learns it and backjumps to where it forces a new term. Returns its id, or -1 when
  // the derived incompatibility says the app itself cannot be resolved.
  int resolve_conflict(int id) {
    bool derived_here = false;
    while (true) {
      if (is_terminal(incompatibilities_[id])) {
        failure_ = id;
        return -1;
      }
      int latest = -1;
      std::size_t latest_term = 0;
      int previous_level = 1;
      const auto& terms = incompatibilities_[id].terms;
      for (std::size_t i = 0; i < terms.size(); ++i) {
        int found = satisfier(terms[i]);
        if (found > latest) {
          if (latest >= 0) previous_level = std::max(previous_level, assignments_[latest].level);
          latest = found;
          latest_term = i;
        } else {
          previous_level = std::max(previous_level, assignments_[found].level);
        }
      }
      const Assignment& culprit = assignments_[latest];
      const Term term = terms[latest_term];
      // When the latest assignment does not satisfy its term on its own, earlier assignments to
      // the same library supply the rest, and their level counts too.
      Term difference = intersect(culprit.term, term.negated());
      if (!difference.is_empty()) {
        previous_level = std::max(previous_level, assignments_[satisfier(difference.negated())].level);
      }
      if (culprit.cause < 0 || previous_level != culprit.level) {
        if (derived_here) watch(id);
        backtrack(previous_level);
        return id;
      }
      std::vector<Term> resolvent;
      for (const Term& t : terms) {
        if (t.package != term.package) resolvent.push_back(t);
      }
      for (const Term& t : incompatibilities_[culprit.cause].terms) {
        if (t.package != term.package) resolvent.push_back(t);
      }
      if (!difference.is_empty()) resolvent.push_back(difference.negated());
      id = add_incompatibility(std::move(resolvent), Cause::derived, id, culprit.cause);
      derived_here = true;
    }
  }

  void backtrack(int level) {
    while (assignments_.back().level > level) {
      int package = assignments_.back().term.package;
      packages_[package].assignments.pop_back();
      if (assignments_.back().cause < 0) {
        packages_[package].decided = false;
        undecided_.push(package);
      }
      assignments_.pop_back();
    }
    level_ = level;
  }

  // The library to decide next: the earliest found that must be chosen and is not yet; -1 when
  // every such library has a version. Stale queue entries are dropped here.
  int next_undecided() {
    while (!undecided_.empty()) {
      int package = undecided_.top();
      const Term* now = current(package);
      if (now != nullptr && now->positive && !packages_[package].decided) return package;
      undecided_.pop();
    }
    return -1;
  }

  // Decision making: the lock's pin if still allowed, else the newest allowed version. Its
  // dependencies are added first; when one of them already conflicts, the version is not
  // chosen and propagation rules it out instead.
  void try_version(int package) {
    const VersionSet& allowed = current(package)->versions;
    if (allowed.empty()) {
      watch(add_incompatibility({*current(package)}, Cause::no_versions));
      return;
    }
    int pin = packages_[package].preferred;
    std::size_t choice =
        pin >= 0 && allowed.contains(static_cast<std::size_t>(pin)) ? static_cast<std::size_t>(pin) : allowed.first();
    bool conflict = false;
    for (int id : add_dependencies(package, choice)) {
      conflict = conflict ||
                 std::all_of(incompatibilities_[id].terms.begin(), incompatibilities_[id].terms.end(),
                             [&](const Term& t) { return t.package == package || relation(t) == Relation::satisfied; });
    }
    if (conflict) return;
    ++level_;
    assign(Term{package, true, VersionSet::only(packages_[package].universe, choice), nullptr}, -1);
  }

  Error failure() {
    return make_error(ErrorCode::refused, "cannot resolve the requirements of {}: {}", request_.root_name,
                      report(failure_));
  }

  // --- The report: the derivation graph of the final incompatibility, in words. ---

  std::string version_text(int package, std::size_t index) const {
    return (*packages_[package].versions)[index].version.to_string();
  }

  // "1.0.0, 1.1.0 and 1.2.0", oldest first.
  std::string list_versions(int package, const VersionSet& set, const char* last_joiner) const {
    std::vector<std::string> items;
    for (std::size_t i = set.universe(); i-- > 0;) {
      if (set.contains(i)) items.push_back(version_text(package, i));
    }
    std::string text;
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i > 0) text += i + 1 == items.size() ? last_joiner : ", ";
      text += items[i];
    }
    return text;
  }

  // A set no constraint names, as its runs of consecutive known versions: "1.0.0 to 1.3.0 or 3.0.0".
  std::string ranges(int package, const VersionSet& set) const {
    std::string text;
    for (std::size_t i = set.universe(); i-- > 0;) {
      if (!set.contains(i)) continue;
      std::size_t newest = i;
      while (newest > 0 && set.contains(newest - 1)) --newest;
      if (!text.empty()) text += " or ";
      text += newest == i ? version_text(package, i)
                          : fmt::format("{} to {}", version_text(package, i), version_text(package, newest));
      i = newest;
    }
    return text;
  }

  // "a", "a and b", "a, b and c" (or with `last` = " or ").
  static std::string join(const std::vector<std::string>& items, const char* last) {
    std::string text;
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i > 0) text += i + 1 == items.size() ? last : ", ";
      text += items[i];
    }
    return text;
  }

  struct Phrase {
    std::string text;
    bool plural = false;
  };

  // A positive term as the subject of a sentence: "app", "a 1.0.0", "every version of b",
  // "a 1.0.0 and 1.1.0", "a ^1".
  Phrase subject(const Term& term) const {
    const PackageState& state = packages_[term.package];
    if (term.package == root_package) return {state.name};
    std::size_t count = term.versions.count();
    if (count == 1) return {fmt::format("{} {}", state.name, version_text(term.package, term.versions.first()))};
    if (term.versions.full()) return {"every version of " + state.name};
    if (count == 0) return {fmt::format("{} {}", state.name, term.text != nullptr ? *term.text : "(no version)")};
    if (count <= 4)
      return {fmt::format("{} {}", state.name, list_versions(term.package, term.versions, " and ")), true};
    if (term.text != nullptr) return {fmt::format("{} {}", state.name, *term.text)};
    return {fmt::format("{} {}", state.name, ranges(term.package, term.versions))};
  }

  // The versions a term names, as what something needs: "tcp ^2", "c 1.0.0 or 2.0.0".
  std::string object(const Term& term) const {
    const PackageState& state = packages_[term.package];
    if (term.text != nullptr && *term.text != "*") return fmt::format("{} {}", state.name, *term.text);
    if (term.package == root_package || term.versions.full()) return state.name;
    std::size_t count = term.versions.count();
    if (count <= 4) return fmt::format("{} {}", state.name, list_versions(term.package, term.versions, " or "));
    return fmt::format("{} {}", state.name, ranges(term.package, term.versions));
  }

  std::string describe(int id) const {
    const Incompatibility& incompatibility = incompatibilities_[id];
    const auto& terms = incompatibility.terms;
    switch (incompatibility.cause) {
      case Cause::unknown_library:
        return fmt::format("the manifest has no library '{}'", packages_[terms[0].package].name);
      case Cause::no_versions: {
        const Term& term = terms[0];
        return fmt::format("no version of {} matches {} (available: {})", packages_[term.package].name,
                           term.text != nullptr ? *term.text : ranges(term.package, term.versions),
                           list_versions(term.package, VersionSet::all(term.versions.universe()), ", "));
      }
      case Cause::yanked: {
        // "http 1.2.0 is yanked (reason)"; "http 1.0.0 (reason) and 1.1.0 (reason) are yanked".
        const Term& term = terms[0];
        std::vector<std::pair<std::string, std::string>> items;
        for (std::size_t i = term.versions.universe(); i-- > 0;) {
          if (!term.versions.contains(i)) continue;
          const std::string& reason = (*packages_[term.package].versions)[i].yank_reason;
          items.emplace_back(version_text(term.package, i), reason.empty() ? "no reason given" : reason);
        }
        const std::string& name = packages_[term.package].name;
        if (items.size() == 1) return fmt::format("{} {} is yanked ({})", name, items[0].first, items[0].second);
        std::string list;
        for (std::size_t i = 0; i < items.size(); ++i) {
          list += fmt::format("{}{} ({})",
                              i == 0                  ? ""
                              : i + 1 == items.size() ? " and "
                                                      : ", ",
                              items[i].first, items[i].second);
        }
        return fmt::format("{} {} are yanked", name, list);
      }
      case Cause::requirement:
      case Cause::derived: break;
    }
    std::vector<const Term*> rest;
    bool has_root = false;
    for (const Term& term : terms) {
      if (term.package == root_package && term.positive) {
        has_root = true;
      } else {
        rest.push_back(&term);
      }
    }
    if (rest.empty()) return "there is no solution";
    if (rest.size() == 1) {
      const Term& term = *rest[0];
      if (!term.positive)
        return fmt::format("{} needs {}", has_root ? request_.root_name : "the solution", object(term));
      if (term.versions.full() && term.versions.count() > 1) {
        return fmt::format("no version of {} can be chosen", packages_[term.package].name);
      }
      return subject(term).text + " cannot be chosen";
    }
    if (rest.size() == 2 && rest[0]->positive != rest[1]->positive) {
      const Term& needer = rest[0]->positive ? *rest[0] : *rest[1];
      const Term& needed = rest[0]->positive ? *rest[1] : *rest[0];
      Phrase who = subject(needer);
      return fmt::format("{} {} {}", who.text, who.plural ? "need" : "needs", object(needed));
    }
    if (rest.size() == 2 && rest[0]->positive) {
      const Term& first = *rest[0];
      if (first.versions.full() && first.versions.count() > 1) {
        return fmt::format("no version of {} can be chosen together with {}", packages_[first.package].name,
                           object(*rest[1]));
      }
      return fmt::format("{} cannot be chosen together with {}", subject(first).text, object(*rest[1]));
    }
    // More terms: the chosen ones need one of the others ("lib5 1.0.0, when chosen with lib6
    // 2.0.0, needs lib4 ^1 or lib2 ^1").
    std::vector<std::string> chosen, needed;
    for (const Term* term : rest) {
      if (term->positive) {
        chosen.push_back(subject(*term).text);
      } else {
        needed.push_back(object(*term));
      }
    }
    if (needed.empty()) return join(chosen, " and ") + " cannot all be chosen together";
    if (chosen.empty())
      return fmt::format("{} needs {}", has_root ? request_.root_name : "the solution", join(needed, " or "));
    const Term& first = **std::find_if(rest.begin(), rest.end(), [](const Term* t) { return t->positive; });
    Phrase who = subject(first);
    std::string text = who.text;
    if (chosen.size() > 1) {
      chosen.erase(std::find(chosen.begin(), chosen.end(), who.text));
      text += ", when chosen with " + join(chosen, " and ") + ",";
    }
    return fmt::format("{} {} {}", text, who.plural ? "need" : "needs", join(needed, " or "));
  }

  bool is_derived(int id) const { return incompatibilities_[id].cause == Cause::derived; }

  std::optional<int> line_number(int id) const {
    auto it = line_numbers_.find(id);
    if (it == line_numbers_.end()) return std::nullopt;
    return it->second;
  }

  void number_last_line(int id) {
    int number = static_cast<int>(line_numbers_.size()) + 1;
    line_numbers_[id] = number;
    lines_.back() += fmt::format(" ({})", number);
  }

  // Writes the lines that prove `id`; one that other lines will refer to again gets a number.
  void explain(int id) {
    explain_derivation(id);
    if (references_[id] > 1 && !line_number(id)) number_last_line(id);
  }

  void explain_derivation(int id) {
    const Incompatibility& incompatibility = incompatibilities_[id];
    int left = incompatibility.left, right = incompatibility.right;
    if (!is_derived(left) && !is_derived(right)) {
      lines_.push_back(fmt::format("Because {} and {}, {}.", describe(left), describe(right), describe(id)));
      return;
    }
    if (is_derived(left) != is_derived(right)) {
      explain_with_fact(is_derived(left) ? left : right, is_derived(left) ? right : left, id);
      return;
    }
    auto left_line = line_number(left), right_line = line_number(right);
    if (left_line && right_line) {
      lines_.push_back(fmt::format("Because {} ({}) and {} ({}), {}.", describe(left), *left_line, describe(right),
                                   *right_line, describe(id)));
    } else if (left_line || right_line) {
      int numbered = left_line ? left : right;
      explain(left_line ? right : left);
      lines_.push_back(
          fmt::format("And because {} ({}), {}.", describe(numbered), *line_number(numbered), describe(id)));
    } else if (follows_from_facts(left) || follows_from_facts(right)) {
      // One of them takes a single line: write the other first, so that the two read together.
      int single = follows_from_facts(right) ? right : left;
      explain(single == right ? left : right);
      explain(single);
      lines_.push_back(fmt::format("Thus, {}.", describe(id)));
    } else {
      explain(left);
      if (line_number(left)) {
        explain_derivation(id);  // `left` is shared and now has its number
        return;
      }
      number_last_line(left);
      explain(right);
      lines_.push_back(fmt::format("And because {} ({}), {}.", describe(left), *line_number(left), describe(id)));
    }
  }

  // Whether derived incompatibility `id` was derived from two facts (its proof is one line).
  bool follows_from_facts(int id) const {
    return !is_derived(incompatibilities_[id].left) && !is_derived(incompatibilities_[id].right);
  }

  // `id` follows from the derived `derived` and the fact `fact`.
  void explain_with_fact(int derived, int fact, int id) {
    if (auto number = line_number(derived)) {
      lines_.push_back(
          fmt::format("Because {} ({}) and {}, {}.", describe(derived), *number, describe(fact), describe(id)));
      return;
    }
    const Incompatibility& inner = incompatibilities_[derived];
    // A chain of facts reads as one sentence per step, without restating `derived` itself.
    if (references_[derived] <= 1 && is_derived(inner.left) != is_derived(inner.right)) {
      int inner_derived = is_derived(inner.left) ? inner.left : inner.right;
      int inner_fact = is_derived(inner.left) ? inner.right : inner.left;
      explain(inner_derived);
      lines_.push_back(fmt::format("And because {} and {}, {}.", describe(inner_fact), describe(fact), describe(id)));
      return;
    }
    explain(derived);
    lines_.push_back(fmt::format("And because {}, {}.", describe(fact), describe(id)));
  }

  std::string report(int id) {
    if (!is_derived(id)) return describe(id);
    references_.assign(incompatibilities_.size(), 0);
    std::vector<bool> seen(incompatibilities_.size(), false);
    std::vector<int> pending{id};
    seen[id] = true;
    while (!pending.empty()) {
      int next = pending.back();
      pending.pop_back();
      if (!is_derived(next)) continue;
      for (int cause : {incompatibilities_[next].left, incompatibilities_[next].right}) {
        ++references_[cause];
        if (!seen[cause]) {
          seen[cause] = true;
          pending.push_back(cause);
        }
      }
    }
    lines_.clear();
    line_numbers_.clear();
    explain(id);
    std::string text;
    for (const auto& line : lines_) text += (text.empty() ? "" : "\n") + line;
    if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
    return text;
  }

  const PackageIndex& index_;
  const ResolveRequest& request_;
  std::unordered_map<std::string, int> ids_;
  std::vector<PackageState> packages_;
  std::vector<Incompatibility> incompatibilities_;                           // never removed: the derivation graph
  std::vector<Assignment> assignments_;                                      // the partial solution, oldest first
  std::priority_queue<int, std::vector<int>, std::greater<int>> undecided_;  // may hold stale ids
  int level_ = 0;
  std::vector<int> changed_;  // propagate's work list, kept to reuse its memory
  std::size_t steps_ = 0;
  int failure_ = -1;
  // Report state.
  std::vector<int> references_;
  std::unordered_map<int, int> line_numbers_;
  std::vector<std::string> lines_;
};

}  // namespace

Result<Resolution> resolve_dependencies(const PackageIndex& index, const ResolveRequest& request) {
  return Solver(index, request).solve();
}

}  // namespace cairn::manifest
