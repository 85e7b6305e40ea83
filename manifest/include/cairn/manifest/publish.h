// The publisher's side of a manifest repository folder: writing root.json (and root/<N>.root.json),
// library entries, and a new snapshot.json + timestamp.json over whatever entries the folder holds.
#pragma once

#include "cairn/core/result.h"
#include "cairn/manifest/metadata.h"

#include <cstdint>
#include <filesystem>
#include <span>

namespace cairn::manifest {

// Writes `document` to `path` atomically, creating parent folders.
Result<void> write_document(const std::filesystem::path& path, const SignedDocument& document);
// Reads and checks the header of the document at `path` (any of the four types).
Result<SignedDocument> read_document(const std::filesystem::path& path);

// Writes root.json and root/<version>.root.json, signed by every signer given.
Result<void> write_root(const std::filesystem::path& repository, const RootMetadata& root,
                        std::span<const signing::Signer* const> signers);

struct PublishOptions {
  std::int64_t now = 0;
  std::int64_t snapshot_lifetime = 30 * 24 * 3600;
  std::int64_t timestamp_lifetime = 7 * 24 * 3600;
  bool only_if_changed = false;  // keep the current snapshot when its entries are unchanged
};

struct PublishResult {
  std::int64_t snapshot_version = 0;
  std::int64_t timestamp_version = 0;
  std::size_t entries = 0;
  bool changed = true;
};

// Lists every libraries/<name>/<version>.json in `repository` and writes snapshot.json (next
// version) and timestamp.json (next version), signed by the two signers.
Result<PublishResult> publish_snapshot(const std::filesystem::path& repository, const signing::Signer& snapshot_signer,
                                       const signing::Signer& timestamp_signer, const PublishOptions& options);

}  // namespace cairn::manifest
