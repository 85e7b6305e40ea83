// What a client remembers about a manifest repository between runs: the root it trusts now and
// the highest snapshot and timestamp versions it has accepted, so that it never goes backwards.
//
// Kept in $XDG_STATE_HOME/cairn/manifests/<identity>/ (default ~/.local/state/cairn/...), where
// the identity is the digest of the first root the user pinned: root.json (the current trusted
// root document) and state.json ({"_type":"trust-state", root_version, snapshot_version,
// timestamp_version}), each replaced atomically. locations/<sha256 of URL or folder> remembers
// which identity a location was pinned to, so later runs need no --root.
//
// One run at a time updates a store: `lock` in the same folder is locked with flock(2) from load
// to save, so two cairn processes (or threads) cannot both start from the same state and have
// the later save undo the earlier one, or pair one run's root.json with another's state.json.
#pragma once

#include "cairn/core/digest.h"
#include "cairn/core/file_lock.h"
#include "cairn/core/result.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace cairn::manifest {

struct TrustState {
  std::string root_document;  // the bytes of the currently trusted root.json
  std::string root_origin;    // where they came from, for messages: a --root file, or the store's root.json
  // The repository's identity (see root_identity); unset: root_document is the first pinned root,
  // so its own identity.
  std::optional<Digest> identity;
  std::int64_t root_version = 0;
  std::int64_t snapshot_version = 0;  // 0: none accepted yet
  std::int64_t timestamp_version = 0;
};

// The exclusive lock on one TrustStore, held until destroyed (see TrustStore::lock).
class TrustStoreLock {
 public:
  TrustStoreLock(TrustStoreLock&&) noexcept = default;
  TrustStoreLock& operator=(TrustStoreLock&&) noexcept = default;
  const Digest& identity() const { return identity_; }

 private:
  friend class TrustStore;
  TrustStoreLock(Digest identity, FileLock lock) : identity_(identity), lock_(std::move(lock)) {}
  Digest identity_;
  FileLock lock_;  // on the store's `lock` file
};

class TrustStore {
 public:
  // The store of the repository whose first pinned root has signed-part digest `identity`.
  static Result<TrustStore> open(const Digest& identity);
  // The store a location was pinned to earlier; not_found when it never was.
  static Result<TrustStore> for_location(std::string_view location);

  const Digest& identity() const { return identity_; }
  // Takes this store's exclusive lock (creating the folder and its `lock` file), waiting up to
  // options.wait while another process or thread holds it; then limit_exceeded: "another cairn is
  // updating trust state for sha256:… (lock …/lock held by process N)".
  Result<TrustStoreLock> lock(const FileLockOptions& options = {}) const;
  // The saved state (with this store's identity and its root.json as the origin), or nullopt
  // when this repository was never verified here. Reading needs the lock so that root.json and
  // state.json come from the same save.
  Result<std::optional<TrustState>> load(const TrustStoreLock& held) const;
  // Saves `state` atomically, refusing versions lower than the saved ones (refused).
  Result<void> save(const TrustState& state, const TrustStoreLock& held) const;
  // Remembers that `location` uses this store.
  Result<void> remember_location(std::string_view location) const;

 private:
  TrustStore(Digest identity, std::filesystem::path directory)
      : identity_(identity), directory_(std::move(directory)) {}
  // invalid_argument unless `held` is this store's lock.
  Result<void> check_held(const TrustStoreLock& held) const;
  Digest identity_;
  std::filesystem::path directory_;
};

}  // namespace cairn::manifest
