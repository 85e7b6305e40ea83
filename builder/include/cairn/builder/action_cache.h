// The action cache: what a build step produced, found again by what went into it.
//
// Under its root (default $XDG_CACHE_HOME/cairn/actions):
//   cas/<first two hex>/<sha256 hex>   content-addressed blobs (objects, images), by their digest
//   ac/<first two hex>/<key hex>       action records: canonical JSON keyed by an action's digest
// Every write goes to a temporary file beside its place and is renamed in, so a reader sees a
// whole entry or none, and several builds can share one cache. Every read is checked: a blob
// whose content does not hash to its name, or a record that does not parse, is a corrupted entry;
// it is removed and reported as a miss, and the build runs the action again.
//
// The two folders are Bazel's remote-cache protocol (`/ac/<key>`, `/cas/<sha256>`) laid out on
// disk, so an HTTP cache server can later hold the same entries (see builder/README.md).
#pragma once

#include "cairn/core/canonical_json.h"
#include "cairn/core/digest.h"
#include "cairn/core/result.h"

#include <atomic>
#include <filesystem>
#include <optional>

namespace cairn::builder {

class ActionCache {
 public:
  // Opens (creating) the cache at `root`; empty: $XDG_CACHE_HOME/cairn/actions.
  static Result<ActionCache> open(const std::filesystem::path& root = {});

  const std::filesystem::path& root() const { return root_; }

  // Stores the file's content; returns its digest.
  Result<Digest> put_blob(const std::filesystem::path& file) const;
  // The path of the blob `digest` after checking its content, or nullopt when it is absent or was
  // corrupted (then it is removed).
  Result<std::optional<std::filesystem::path>> checked_blob(const Digest& digest) const;
  // Copies the blob to `destination` (atomically, mode `mode`), checking it on the way; false
  // when it is absent or corrupted.
  Result<bool> copy_blob(const Digest& digest, const std::filesystem::path& destination, mode_t mode = 0644) const;

  // The record stored under `key`, or nullopt (absent, or unreadable and then removed).
  Result<std::optional<Json>> get_record(const Digest& key) const;
  Result<void> put_record(const Digest& key, const Json& record) const;

  // How many corrupted entries were found and dropped so far.
  std::size_t corrupted() const { return corrupted_->load(); }

 private:
  explicit ActionCache(std::filesystem::path root) : root_(std::move(root)) {}
  std::filesystem::path blob_path(const Digest& digest) const;
  std::filesystem::path record_path(const Digest& key) const;
  void drop(const std::filesystem::path& path) const;

  std::filesystem::path root_;
  std::shared_ptr<std::atomic<std::size_t>> corrupted_ = std::make_shared<std::atomic<std::size_t>>(0);
};

}  // namespace cairn::builder
