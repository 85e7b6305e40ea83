// What a client remembers about a manifest repository between runs: the root it trusts now and
// the highest snapshot and timestamp versions it has accepted, so that it never goes backwards.
//
// Kept in $XDG_STATE_HOME/cairn/manifests/<identity>/ (default ~/.local/state/cairn/...), where
// the identity is the digest of the first root the user pinned: root.json (the current trusted
// root document) and state.json ({"_type":"trust-state", root_version, snapshot_version,
// timestamp_version}), each replaced atomically. locations/<sha256 of URL or folder> remembers
// which identity a location was pinned to, so later runs need no --root.
#pragma once

#include "cairn/core/digest.h"
#include "cairn/core/result.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace cairn::manifest {

// $XDG_STATE_HOME/cairn, else ~/.local/state/cairn.
Result<std::filesystem::path> state_directory();
// $XDG_CACHE_HOME/cairn, else ~/.cache/cairn.
Result<std::filesystem::path> cache_directory();

struct TrustState {
  std::string root_document;  // the bytes of the currently trusted root.json
  std::int64_t root_version = 0;
  std::int64_t snapshot_version = 0;   // 0: none accepted yet
  std::int64_t timestamp_version = 0;
};

class TrustStore {
 public:
  // The store of the repository whose first pinned root has signed-part digest `identity`.
  static Result<TrustStore> open(const Digest& identity);
  // The store a location was pinned to earlier; not_found when it never was.
  static Result<TrustStore> for_location(std::string_view location);

  const Digest& identity() const { return identity_; }
  // The saved state, or nullopt when this repository was never verified here.
  Result<std::optional<TrustState>> load() const;
  // Saves `state` atomically, refusing versions lower than the saved ones (refused).
  Result<void> save(const TrustState& state) const;
  // Remembers that `location` uses this store.
  Result<void> remember_location(std::string_view location) const;

 private:
  TrustStore(Digest identity, std::filesystem::path directory)
      : identity_(identity), directory_(std::move(directory)) {}
  Digest identity_;
  std::filesystem::path directory_;
};

}  // namespace cairn::manifest
