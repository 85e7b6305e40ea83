// Newest-first resolution with forward checking, conflict-directed backjumping, learned nogoods
// and worded explanations.
#include "cairn/manifest/resolver.h"

#include <algorithm>
#include <optional>
#include <set>

namespace cairn::manifest {

void PackageIndex::add(const std::string& name, PackageVersion version) {
  auto& versions = packages_[name];
  auto position = std::lower_bound(versions.begin(), versions.end(), version,
                                   [](const PackageVersion& a, const PackageVersion& b) { return a.version > b.version; });
  versions.insert(position, std::move(version));
}

const std::vector<PackageVersion>* PackageIndex::versions(const std::string& name) const {
  auto it = packages_.find(name);
  return it == packages_.end() ? nullptr : &it->second;
}

namespace {

constexpr int root_requirer = -1;

struct Requirement {
  const Constraint* constraint;
  int requirer_package;  // root_requirer for the app
  int requirer_version;
};

struct PackageState {
  std::string name;
  const std::vector<PackageVersion>* versions = nullptr;  // null: not in the index
  std::vector<Requirement> requirements;
  int assigned = -1;
  int level = -1;  // the stack index of the decision that assigned it
  bool in_agenda = false;
  const Version* preferred = nullptr;
  std::vector<std::vector<int>> nogoods_by_version;  // ids into Solver::nogoods_, by version index
};

// A combination of decisions (library, version index) that no solution contains.
struct Nogood {
  std::vector<std::pair<int, int>> decisions;
};

struct Frame {
  int package;
  std::vector<int> candidates;
  std::size_t next = 0;
  std::size_t trail_size;
  std::size_t agenda_size;
  std::size_t head;
  std::set<int> conflicts;  // earlier decisions (stack indexes) that share the blame for failures here
};

class Solver {
 public:
  Solver(const PackageIndex& index, const ResolveRequest& request) : index_(index), request_(request) {}

  Result<Resolution> solve() {
    for (const auto& [name, constraint] : request_.requirements) add_requirement(name, &constraint, root_requirer, 0);
    for (const auto& [name, constraint] : request_.requirements) {
      if (!check_package(package_id(name))) return failure();
    }
    std::vector<Frame> stack;
    Resolution resolution;
    while (head_ < agenda_.size()) {
      if (steps_ > request_.max_steps) {
        return make_error(ErrorCode::limit_exceeded, "resolution gave up after {} steps", request_.max_steps);
      }
      int package = agenda_[head_];
      Frame frame{package, {}, 0, trail_.size(), agenda_.size(), head_, {}};
      frame.candidates = candidates(package, frame.conflicts);
      if (frame.candidates.empty()) {
        record_conflict(package);
        learn(stack, frame.conflicts);
        if (!backjump(stack, std::move(frame.conflicts))) return failure();
        continue;
      }
      stack.push_back(std::move(frame));
      int level = static_cast<int>(stack.size()) - 1;
      if (!try_next(stack.back(), level)) {
        std::set<int> conflicts = std::move(stack.back().conflicts);
        learn(stack, conflicts);
        undo(stack.back());
        stack.pop_back();
        if (!backjump(stack, std::move(conflicts))) return failure();
      }
    }
    for (const auto& state : packages_) {
      if (state.assigned >= 0) resolution.versions[state.name] = (*state.versions)[state.assigned].version;
    }
    resolution.steps = steps_;
    return resolution;
  }

 private:
  int package_id(const std::string& name) {
    auto [it, inserted] = ids_.try_emplace(name, static_cast<int>(packages_.size()));
    if (inserted) {
      PackageState state;
      state.name = name;
      state.versions = index_.versions(name);
      if (auto preferred = request_.preferred.find(name); preferred != request_.preferred.end()) {
        state.preferred = &preferred->second;
      }
      packages_.push_back(std::move(state));
    }
    return it->second;
  }

  void add_requirement(const std::string& name, const Constraint* constraint, int requirer_package, int requirer_version) {
    int package = package_id(name);
    packages_[package].requirements.push_back({constraint, requirer_package, requirer_version});
    trail_.push_back(package);
    if (!packages_[package].in_agenda) {
      packages_[package].in_agenda = true;
      agenda_.push_back(package);
    }
  }

  bool allowed(const PackageState& state, const PackageVersion& version) const {
    if (version.yanked && !(state.preferred != nullptr && *state.preferred == version.version)) return false;
    for (const auto& requirement : state.requirements) {
      if (!requirement.constraint->matches(version.version)) return false;
    }
    return true;
  }

  // The versions `package` may take, best first; the decisions that rule out the others (and one
  // that makes the package needed at all) join `blame`.
  std::vector<int> candidates(int package, std::set<int>& blame) const {
    const PackageState& state = packages_[package];
    std::vector<int> result;
    blame_needed(package, blame, -1);
    if (state.versions == nullptr) return result;
    for (std::size_t i = 0; i < state.versions->size(); ++i) {
      if (allowed(state, (*state.versions)[i])) {
        result.push_back(static_cast<int>(i));
      } else {
        blame_exclusion(package, (*state.versions)[i], blame, -1);
      }
    }
    if (state.preferred != nullptr) {
      std::stable_partition(result.begin(), result.end(),
                            [&](int i) { return (*state.versions)[i].version == *state.preferred; });
    }
    return result;
  }

  // Whether `package` can still take some version under its requirements.
  bool check_package(int package) {
    const PackageState& state = packages_[package];
    if (state.assigned >= 0) {
      for (const auto& requirement : state.requirements) {
        if (!requirement.constraint->matches((*state.versions)[state.assigned].version)) {
          record_conflict(package);
          return false;
        }
      }
      return true;
    }
    if (state.versions != nullptr) {
      for (const auto& version : *state.versions) {
        if (allowed(state, version)) return true;
      }
    }
    record_conflict(package);
    return false;
  }

  // The stack level of the decision behind `requirement`; -1 for the app's own requirements.
  int requirer_level(const Requirement& requirement) const {
    return requirement.requirer_package == root_requirer ? -1 : packages_[requirement.requirer_package].level;
  }

  // Adds to `conflicts` one decision that makes `package` needed, unless the app or the decision
  // at `own_level` needs it. The earliest such decision is taken, so that blame reaches far back
  // and learned nogoods stay small.
  void blame_needed(int package, std::set<int>& conflicts, int own_level) const {
    int earliest = -1;
    for (const auto& requirement : packages_[package].requirements) {
      int level = requirer_level(requirement);
      if (level < 0 || level == own_level) return;
      if (earliest < 0 || level < earliest) earliest = level;
    }
    if (earliest >= 0) conflicts.insert(earliest);
  }

  // Adds to `conflicts` one decision whose requirement rules out `version` of `package` (none when
  // the app's or own_level's does, or when the version is yanked).
  void blame_exclusion(int package, const PackageVersion& version, std::set<int>& conflicts, int own_level) const {
    const PackageState& state = packages_[package];
    if (version.yanked && !(state.preferred != nullptr && *state.preferred == version.version)) return;
    int earliest = -1;
    for (const auto& requirement : state.requirements) {
      if (requirement.constraint->matches(version.version)) continue;
      int level = requirer_level(requirement);
      if (level < 0 || level == own_level) return;
      if (earliest < 0 || level < earliest) earliest = level;
    }
    if (earliest >= 0) conflicts.insert(earliest);
  }

  // Adds to `conflicts` the decisions that, with the one at `own_level`, leave `package` no
  // version: its own assignment when it has one, else what rules out each of its versions.
  void blame_failure(int package, std::set<int>& conflicts, int own_level) const {
    const PackageState& state = packages_[package];
    if (state.assigned >= 0) {
      if (state.level >= 0 && state.level != own_level) conflicts.insert(state.level);
      return;
    }
    blame_needed(package, conflicts, own_level);
    if (state.versions == nullptr) return;
    for (const auto& version : *state.versions) blame_exclusion(package, version, conflicts, own_level);
  }

  bool try_next(Frame& frame, int level) {
    // packages_ may grow below, so it is indexed afresh each time, never held by reference.
    while (frame.next < frame.candidates.size()) {
      int choice = frame.candidates[frame.next++];
      ++steps_;
      undo(frame);
      packages_[frame.package].assigned = choice;
      packages_[frame.package].level = level;
      head_ = frame.head + 1;
      if (excluded_by_nogood(frame.package, choice, frame.conflicts)) continue;
      const PackageVersion& version = (*packages_[frame.package].versions)[choice];
      bool consistent = true;
      for (const auto& [name, constraint] : version.depends) {
        add_requirement(name, &constraint, frame.package, choice);
        int dependency = package_id(name);
        if (!check_package(dependency)) {
          blame_failure(dependency, frame.conflicts, level);
          consistent = false;
          break;
        }
      }
      if (consistent) return true;
    }
    undo(frame);
    return false;
  }

  // Records that the decisions at the stack levels `conflicts` cannot all hold together: they
  // left some library without a version. Backjumping alone forgets this once it jumps past them
  // and rediscovers it in every subtree that makes the same decisions again; this is what made
  // large graphs with lagging dependencies thrash.
  void learn(const std::vector<Frame>& stack, const std::set<int>& conflicts) {
    Nogood nogood;
    for (int level : conflicts) {
      int package = stack[level].package;
      nogood.decisions.emplace_back(package, packages_[package].assigned);
    }
    int id = static_cast<int>(nogoods_.size());
    for (const auto& [package, version] : nogood.decisions) {
      auto& by_version = packages_[package].nogoods_by_version;
      if (by_version.empty()) by_version.resize(packages_[package].versions->size());
      by_version[version].push_back(id);
    }
    nogoods_.push_back(std::move(nogood));
  }

  // Whether choosing `version` of `package` completes a learned nogood; if so, the levels of the
  // nogood's other decisions join `conflicts`, as the blame for refusing the choice.
  bool excluded_by_nogood(int package, int version, std::set<int>& conflicts) const {
    const auto& by_version = packages_[package].nogoods_by_version;
    if (by_version.empty()) return false;
    for (int id : by_version[version]) {
      const Nogood& nogood = nogoods_[id];
      bool holds = std::all_of(nogood.decisions.begin(), nogood.decisions.end(), [&](const auto& decision) {
        return decision.first == package || packages_[decision.first].assigned == decision.second;
      });
      if (!holds) continue;
      for (const auto& [other, ignored] : nogood.decisions) {
        if (other != package) conflicts.insert(packages_[other].level);
      }
      return true;
    }
    return false;
  }

  // Returns the search to the state it had when `frame` was pushed.
  void undo(Frame& frame) {
    while (trail_.size() > frame.trail_size) {
      packages_[trail_.back()].requirements.pop_back();
      trail_.pop_back();
    }
    while (agenda_.size() > frame.agenda_size) {
      packages_[agenda_.back()].in_agenda = false;
      agenda_.pop_back();
    }
    packages_[frame.package].assigned = -1;
    packages_[frame.package].level = -1;
    head_ = frame.head;
  }

  // Conflict-directed backjumping: returns to the latest decision that shares the blame, hands
  // it the rest of the blame, and tries its next candidate; false when no decision is to blame.
  bool backjump(std::vector<Frame>& stack, std::set<int> conflicts) {
    while (!conflicts.empty() && steps_ <= request_.max_steps) {
      int target = *conflicts.rbegin();
      conflicts.erase(target);
      while (static_cast<int>(stack.size()) > target + 1) {
        undo(stack.back());
        stack.pop_back();
      }
      Frame& frame = stack.back();
      frame.conflicts.insert(conflicts.begin(), conflicts.end());
      if (try_next(frame, target)) return true;
      conflicts = std::move(frame.conflicts);
      learn(stack, conflicts);
      undo(frame);
      stack.pop_back();
    }
    return false;
  }

  std::string describe_requirer(int package, int version) const {
    if (package == root_requirer) return request_.root_name;
    return fmt::format("{} {}", packages_[package].name, (*packages_[package].versions)[version].version.to_string());
  }

  // "app needs http ^1", "http 1.4.0 needs tcp ^2", from the root down to `requirement`.
  void explain(const std::string& name, const Requirement& requirement, std::vector<std::string>& lines,
               std::set<std::string>& seen, int depth = 0) const {
    if (requirement.requirer_package != root_requirer && depth < 64) {
      const PackageState& requirer = packages_[requirement.requirer_package];
      if (!requirer.requirements.empty()) explain(requirer.name, requirer.requirements.front(), lines, seen, depth + 1);
    }
    std::string line = fmt::format("{} needs {} {}", describe_requirer(requirement.requirer_package,
                                                                        requirement.requirer_version),
                                   name, requirement.constraint->text());
    if (seen.insert(line).second) lines.push_back(std::move(line));
  }

  void record_conflict(int package) {
    if (conflict_) return;
    const PackageState& state = packages_[package];
    std::vector<std::string> lines;
    std::set<std::string> seen;
    // The newest requirement first: it is the one that made the conflict.
    for (auto it = state.requirements.rbegin(); it != state.requirements.rend(); ++it) {
      explain(state.name, *it, lines, seen);
    }
    std::string text;
    for (const auto& line : lines) text += line + "; ";
    if (state.versions == nullptr) {
      text += fmt::format("the manifest has no library '{}'", state.name);
    } else {
      std::string available, yanked;
      for (auto it = state.versions->rbegin(); it != state.versions->rend(); ++it) {
        if (!available.empty()) available += ", ";
        available += it->version.to_string();
        if (it->yanked) {
          bool matches = std::all_of(state.requirements.begin(), state.requirements.end(),
                                     [&](const Requirement& r) { return r.constraint->matches(it->version); });
          if (matches) {
            yanked += fmt::format("; {} {} would match but is yanked ({})", state.name, it->version.to_string(),
                                  it->yank_reason.empty() ? "no reason given" : it->yank_reason);
          }
        }
      }
      if (state.assigned >= 0) {
        text += fmt::format("but {} {} was already chosen", state.name,
                            (*state.versions)[state.assigned].version.to_string());
      } else {
        text += fmt::format("no version of {} satisfies {} (available: {}){}", state.name,
                            state.requirements.size() == 1 ? "that" : "them all", available, yanked);
      }
    }
    conflict_ = text;
  }

  Error failure() const {
    if (steps_ > request_.max_steps) {
      return make_error(ErrorCode::limit_exceeded, "resolution of {} gave up after {} steps", request_.root_name,
                        request_.max_steps);
    }
    return make_error(ErrorCode::refused, "cannot resolve the requirements of {}: {}", request_.root_name,
                      conflict_.value_or("no solution"));
  }

  const PackageIndex& index_;
  const ResolveRequest& request_;
  std::unordered_map<std::string, int> ids_;
  std::vector<PackageState> packages_;
  std::vector<int> trail_;   // packages whose requirement lists grew, in order
  std::vector<int> agenda_;  // packages to decide, in order of discovery
  std::size_t head_ = 0;     // agenda_[0, head_) are decided
  std::size_t steps_ = 0;
  std::vector<Nogood> nogoods_;  // learned from conflicts; never undone
  std::optional<std::string> conflict_;
};

}  // namespace

Result<Resolution> resolve_dependencies(const PackageIndex& index, const ResolveRequest& request) {
  return Solver(index, request).solve();
}

}  // namespace cairn::manifest
