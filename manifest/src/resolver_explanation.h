// The derivation graph the resolver (resolver.cc) leaves behind and its explanation in words
// (resolver_explanation.cc): the incompatibilities, why each one holds, and what the wording
// needs to know of each library.
#pragma once

#include "cairn/manifest/resolver.h"
#include "version_set.h"

#include <string>
#include <string_view>
#include <vector>

namespace cairn::manifest {

// The app itself is package 0, with one version; deciding it is the first decision.
inline constexpr int root_package = 0;

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

// A library as explanations name it: its name and the versions the index knows of it, newest
// first (null for the app and for a library the index does not have).
struct NamedLibrary {
  std::string_view name;
  const std::vector<PackageVersion>* versions = nullptr;
};

// Why incompatibility `failure` holds, in words: a fact is one sentence; a derived one is the
// lines of its derivation (see resolver.h), those referred to again numbered "(1)". `libraries`
// are indexed by package id.
std::string explain_failure(const std::vector<Incompatibility>& incompatibilities,
                            const std::vector<NamedLibrary>& libraries, int failure);

}  // namespace cairn::manifest
