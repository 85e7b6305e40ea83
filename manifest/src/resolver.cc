// PubGrub: unit propagation over incompatibilities, conflict resolution that derives new ones,
// backjumping by decision level and newest-first decisions. The derivation graph is put into
// words by resolver_explanation.cc.
#include "cairn/manifest/resolver.h"

#include "resolver_explanation.h"
#include "version_set.h"

#include <algorithm>
#include <functional>
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

  Error failure() const {
    std::vector<NamedLibrary> libraries;
    libraries.reserve(packages_.size());
    for (const PackageState& state : packages_) libraries.push_back({state.name, state.versions});
    return make_error(ErrorCode::refused, "cannot resolve the requirements of {}: {}", request_.root_name,
                      explain_failure(incompatibilities_, libraries, failure_));
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
  int failure_ = -1;  // the incompatibility that says the app cannot be resolved
};

}  // namespace

Result<Resolution> resolve_dependencies(const PackageIndex& index, const ResolveRequest& request) {
  return Solver(index, request).solve();
}

}  // namespace cairn::manifest
