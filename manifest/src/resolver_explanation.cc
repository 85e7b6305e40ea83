// The resolver's explanation of a failure: each incompatibility as a sentence, and the
// derivation graph of the last one as lines that build on each other ("Because ..., ...",
// "And because ..., ...", "Thus, ..."), numbering the lines later ones refer back to.
#include "resolver_explanation.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <unordered_map>
#include <utility>

namespace cairn::manifest {

namespace {

class Explanation {
 public:
  Explanation(const std::vector<Incompatibility>& incompatibilities, const std::vector<NamedLibrary>& libraries)
      : incompatibilities_(incompatibilities), libraries_(libraries) {}

  // The whole explanation of `id`, lines joined by newlines, the first one starting in lower case.
  std::string report(int id) {
    if (!is_derived(id)) return describe(id);
    count_references(id);
    explain(id);
    std::string text;
    for (const auto& line : lines_) text += (text.empty() ? "" : "\n") + line;
    if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
    return text;
  }

 private:
  // --- Words: libraries, versions and sets of them. ---

  std::string_view name_of(int package) const { return libraries_[package].name; }

  std::string version_text(int package, std::size_t index) const {
    return (*libraries_[package].versions)[index].version.to_string();
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

  // "1.0.0, 1.1.0 and 1.2.0", oldest first.
  std::string list_versions(int package, const VersionSet& set, const char* last_joiner) const {
    std::vector<std::string> items;
    for (std::size_t i = set.universe(); i-- > 0;) {
      if (set.contains(i)) items.push_back(version_text(package, i));
    }
    return join(items, last_joiner);
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

  struct Phrase {
    std::string text;
    bool plural = false;
  };

  // A positive term as the subject of a sentence: "app", "a 1.0.0", "every version of b",
  // "a 1.0.0 and 1.1.0", "a ^1".
  Phrase subject(const Term& term) const {
    std::string_view name = name_of(term.package);
    if (term.package == root_package) return {std::string(name)};
    std::size_t count = term.versions.count();
    if (count == 1) return {fmt::format("{} {}", name, version_text(term.package, term.versions.first()))};
    if (term.versions.full()) return {fmt::format("every version of {}", name)};
    if (count == 0) return {fmt::format("{} {}", name, term.text != nullptr ? *term.text : "(no version)")};
    if (count <= 4) return {fmt::format("{} {}", name, list_versions(term.package, term.versions, " and ")), true};
    if (term.text != nullptr) return {fmt::format("{} {}", name, *term.text)};
    return {fmt::format("{} {}", name, ranges(term.package, term.versions))};
  }

  // The versions a term names, as what something needs: "tcp ^2", "c 1.0.0 or 2.0.0".
  std::string object(const Term& term) const {
    std::string_view name = name_of(term.package);
    if (term.text != nullptr && *term.text != "*") return fmt::format("{} {}", name, *term.text);
    if (term.package == root_package || term.versions.full()) return std::string(name);
    std::size_t count = term.versions.count();
    if (count <= 4) return fmt::format("{} {}", name, list_versions(term.package, term.versions, " or "));
    return fmt::format("{} {}", name, ranges(term.package, term.versions));
  }

  // --- Sentences: one incompatibility each. ---

  std::string describe(int id) const {
    const Incompatibility& incompatibility = incompatibilities_[id];
    switch (incompatibility.cause) {
      case Cause::unknown_library:
        return fmt::format("the manifest has no library '{}'", name_of(incompatibility.terms[0].package));
      case Cause::no_versions: return no_version_matches(incompatibility.terms[0]);
      case Cause::yanked: return are_yanked(incompatibility.terms[0]);
      case Cause::requirement:
      case Cause::derived: break;
    }
    return cannot_all_hold(incompatibility.terms);
  }

  // "no version of tcp matches ^9 (available: 1.0.0, 2.0.0)".
  std::string no_version_matches(const Term& term) const {
    return fmt::format("no version of {} matches {} (available: {})", name_of(term.package),
                       term.text != nullptr ? *term.text : ranges(term.package, term.versions),
                       list_versions(term.package, VersionSet::all(term.versions.universe()), ", "));
  }

  // "http 1.2.0 is yanked (reason)"; "http 1.0.0 (reason) and 1.1.0 (reason) are yanked".
  std::string are_yanked(const Term& term) const {
    std::vector<std::pair<std::string, std::string>> yanked;  // version, reason
    for (std::size_t i = term.versions.universe(); i-- > 0;) {
      if (!term.versions.contains(i)) continue;
      const std::string& reason = (*libraries_[term.package].versions)[i].yank_reason;
      yanked.emplace_back(version_text(term.package, i), reason.empty() ? "no reason given" : reason);
    }
    std::string_view name = name_of(term.package);
    if (yanked.size() == 1) return fmt::format("{} {} is yanked ({})", name, yanked[0].first, yanked[0].second);
    std::vector<std::string> items;
    items.reserve(yanked.size());
    for (const auto& [version, reason] : yanked) items.push_back(fmt::format("{} ({})", version, reason));
    return fmt::format("{} {} are yanked", name, join(items, " and "));
  }

  // A requirement or a derived incompatibility: what something needs ("a 1.0.0 needs c ^1"),
  // what cannot be chosen (together), or what the app needs. That the app is chosen goes
  // without saying.
  std::string cannot_all_hold(const std::vector<Term>& terms) const {
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
    if (rest.size() == 1 && !rest[0]->positive) return needs_of_everyone(has_root, object(*rest[0]));
    if (rest.size() == 1) return cannot_be_chosen(*rest[0], "");
    if (rest.size() == 2 && rest[0]->positive != rest[1]->positive) {
      const Term& needer = rest[0]->positive ? *rest[0] : *rest[1];
      const Term& needed = rest[0]->positive ? *rest[1] : *rest[0];
      return needs(needer, object(needed));
    }
    if (rest.size() == 2 && rest[0]->positive) return cannot_be_chosen(*rest[0], " together with " + object(*rest[1]));
    return several_terms(rest, has_root);
  }

  // What the app needs ("app needs tcp ^2"), or, once the app is out of the statement, what
  // every solution needs.
  std::string needs_of_everyone(bool has_root, const std::string& needed) const {
    return fmt::format("{} needs {}", has_root ? name_of(root_package) : "the solution", needed);
  }

  // "a 1.0.0 needs c ^1", "a 1.0.0 and 1.1.0 need c ^1".
  std::string needs(const Term& needer, const std::string& needed) const {
    Phrase who = subject(needer);
    return fmt::format("{} {} {}", who.text, who.plural ? "need" : "needs", needed);
  }

  // "a 1.0.0 cannot be chosen", "no version of a can be chosen", then `tail`.
  std::string cannot_be_chosen(const Term& term, std::string_view tail) const {
    if (term.versions.full() && term.versions.count() > 1) {
      return fmt::format("no version of {} can be chosen{}", name_of(term.package), tail);
    }
    return fmt::format("{} cannot be chosen{}", subject(term).text, tail);
  }

  // More terms: the chosen ones need one of the others ("lib5 1.0.0, when chosen with lib6
  // 2.0.0, needs lib4 ^1 or lib2 ^1").
  std::string several_terms(const std::vector<const Term*>& rest, bool has_root) const {
    std::vector<std::string> chosen, needed;
    for (const Term* term : rest) {
      if (term->positive) {
        chosen.push_back(subject(*term).text);
      } else {
        needed.push_back(object(*term));
      }
    }
    if (needed.empty()) return join(chosen, " and ") + " cannot all be chosen together";
    if (chosen.empty()) return needs_of_everyone(has_root, join(needed, " or "));
    const Term& first = **std::find_if(rest.begin(), rest.end(), [](const Term* t) { return t->positive; });
    Phrase who = subject(first);
    std::string text = who.text;
    if (chosen.size() > 1) {
      chosen.erase(std::find(chosen.begin(), chosen.end(), who.text));
      text += ", when chosen with " + join(chosen, " and ") + ",";
    }
    return fmt::format("{} {} {}", text, who.plural ? "need" : "needs", join(needed, " or "));
  }

  // --- Lines: the derivation graph, from the facts to the failure. ---

  bool is_derived(int id) const { return incompatibilities_[id].cause == Cause::derived; }

  // Whether derived incompatibility `id` was derived from two facts (its proof is one line).
  bool follows_from_facts(int id) const {
    return !is_derived(incompatibilities_[id].left) && !is_derived(incompatibilities_[id].right);
  }

  // How often each incompatibility in the derivation of `id` is used to derive another.
  void count_references(int id) {
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
  }

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

  const std::vector<Incompatibility>& incompatibilities_;
  const std::vector<NamedLibrary>& libraries_;
  std::vector<int> references_;                // per incompatibility: how many derivations use it
  std::unordered_map<int, int> line_numbers_;  // incompatibility -> the number of the line proving it
  std::vector<std::string> lines_;
};

}  // namespace

std::string explain_failure(const std::vector<Incompatibility>& incompatibilities,
                            const std::vector<NamedLibrary>& libraries, int failure) {
  return Explanation(incompatibilities, libraries).report(failure);
}

}  // namespace cairn::manifest
