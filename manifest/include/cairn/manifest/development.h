// `cairn manifest dev`: a development manifest of every library.json in a checkout, signed by a
// development key that is made on first use (Ed25519, <state>/dev-key, mode 0600) and used for
// every role. Its root says "development": true, so provenance can name it and policy refuse it.
// Run again after a change, it publishes a new snapshot and timestamp only when an entry changed.
#pragma once

#include "cairn/core/result.h"
#include "cairn/manifest/metadata.h"

#include <filesystem>
#include <string>
#include <vector>

namespace cairn::manifest {

struct DevelopmentOptions {
  std::filesystem::path checkout;    // where to look for library.json files
  std::filesystem::path repository;  // empty: <state>/dev-manifest
  std::filesystem::path key;         // empty: <state>/dev-key
  std::int64_t now = 0;
};

struct DevelopmentResult {
  std::filesystem::path repository;
  std::string keyid;
  std::vector<std::string> libraries;  // "name version"
  std::int64_t snapshot_version = 0;
  bool changed = false;
};

// Creates or refreshes the development manifest and pins its root in the trust state.
Result<DevelopmentResult> publish_development_manifest(const DevelopmentOptions& options);

}  // namespace cairn::manifest
