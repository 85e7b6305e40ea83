// Dependency resolution: choose one version of every library an app needs, newest first, so
// that every constraint holds; yanked versions are never chosen unless a lock already pins them.
//
// The algorithm is PubGrub (Natalie Weizenbaum's, as in Dart's pub). Everything known is kept as
// incompatibilities: sets of terms ("http 1.4.0", "not tcp ^2") that cannot all hold, read from
// the request, the index and the yanks. A partial solution of decisions and derived terms grows
// by unit propagation (an incompatibility whose terms all hold but one forces that one's
// negation) and by decisions (the next library needed gets its lock pin or newest allowed
// version, and its dependencies become incompatibilities). When an incompatibility is satisfied,
// conflict resolution combines it with the causes of the assignments that satisfied it into a new
// incompatibility that no later search forgets, and backjumps to the decision level where that
// one forces something. A term's versions are a set over the versions the index knows of the
// library, so every set operation is exact.
//
// When nothing works, the derived incompatibility "the app cannot be resolved" is explained from
// its derivation graph, line by line, naming every version ruled out and why:
//   cannot resolve the requirements of app: because a 1.0.0 needs c ^1 and a 1.1.0 needs c ^2,
//   every version of a needs c 1.0.0 or 2.0.0.
//   And because every version of b needs c ^3, no version of a can be chosen together with b.
//   And because app needs a ^1 and app needs b ^1, there is no solution.
// Lines that later lines refer back to end with a number, "(1)".
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
  std::size_t steps = 0;                    // versions tried (decisions), for benchmarks and curiosity
};

// Resolves `request` against `index`. A conflict is refused (ErrorCode::refused) with the
// explanation above; more than request.max_steps versions tried is ErrorCode::limit_exceeded.
Result<Resolution> resolve_dependencies(const PackageIndex& index, const ResolveRequest& request);

}  // namespace cairn::manifest
