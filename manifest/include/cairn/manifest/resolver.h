// Dependency resolution: choose one version of every library an app needs, newest first, so
// that every constraint holds; yanked versions are never chosen unless a lock already pins them.
//
// The search is depth-first with forward checking: a library is decided by trying its satisfying
// versions newest first; each choice adds its dependencies' constraints, and a choice that leaves
// some library with no possible version is undone at once. When a library runs out of versions,
// the earlier decisions to blame are recorded as a nogood (a combination never tried again) and
// the search jumps back to the latest of them; the result is the one plain chronological
// backtracking would find, without rediscovering the same conflict in every subtree.
// When nothing works, the error explains the first conflict met, as a chain of requirements in
// words: "app needs http ^1; http 1.4.0 needs tcp ^2; app needs tcp ^1; no version of tcp ...".
#pragma once

#include "cairn/core/result.h"
#include "cairn/manifest/semver.h"

#include <cstddef>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace cairn::manifest {

struct PackageVersion {
  Version version;
  std::vector<std::pair<std::string, Constraint>> depends;
  bool yanked = false;
  std::string yank_reason;
};

// Every version of every library the resolver may choose from.
class PackageIndex {
 public:
  // Adds one version of `name`.
  void add(const std::string& name, PackageVersion version);
  // The versions of `name`, newest first; nullptr when the library is unknown.
  const std::vector<PackageVersion>* versions(const std::string& name) const;
  std::size_t size() const { return packages_.size(); }

 private:
  std::unordered_map<std::string, std::vector<PackageVersion>> packages_;
};

struct ResolveRequest {
  std::string root_name;  // the app, as it appears in explanations
  std::vector<std::pair<std::string, Constraint>> requirements;
  // Versions to try first (a lock's pins); these may be chosen even when yanked.
  std::map<std::string, Version> preferred;
  std::size_t max_steps = 10'000'000;  // a bound on the search, so that it always ends
};

struct Resolution {
  std::map<std::string, Version> versions;  // every library chosen, by name
  std::size_t steps = 0;                    // versions tried, for benchmarks and curiosity
};

// Resolves `request` against `index`. A conflict is refused with the explanation above.
Result<Resolution> resolve_dependencies(const PackageIndex& index, const ResolveRequest& request);

}  // namespace cairn::manifest
