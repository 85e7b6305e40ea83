// The publisher's side of a manifest repository folder: writing root.json (and root/<N>.root.json),
// library entries, and a new snapshot.json + timestamp.json over whatever entries the folder holds.
#pragma once

#include "cairn/core/result.h"
#include "cairn/manifest/metadata.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace cairn::manifest {

// Writes `document` to `path` atomically, creating parent folders.
Result<void> write_document(const std::filesystem::path& path, const SignedDocument& document);
// Reads and checks the header of the document at `path` (any of the four types).
Result<SignedDocument> read_document(const std::filesystem::path& path);

// Writes root.json and root/<version>.root.json, signed by every signer given.
Result<void> write_root(const std::filesystem::path& repository, const RootMetadata& root,
                        std::span<const signing::Signer* const> signers);

// The keys of a new repository, as public (or private) key files: Ed25519 PEM or raw, or armored
// OpenPGP. Roles without files of their own use the root keys and threshold.
struct RootKeyFiles {
  std::vector<std::filesystem::path> root, snapshot, timestamp, maintainers;
  std::size_t threshold = 1;  // of the root role
  std::int64_t expires = 0;
};

// Starts a repository in `repository`: an unsigned root.json (version 1) and root/1.root.json,
// to be signed with sign_document_file. Refuses a folder that already holds a root.json.
Result<RootMetadata> initialize_repository(const std::filesystem::path& repository, const RootKeyFiles& keys);

// Adds `signer`'s signature to the document file at `path`, rewritten atomically. Signing a
// root.json also rewrites the root/<version>.root.json copy that clients walk for rotations.
Result<SignedDocument> sign_document_file(const std::filesystem::path& path, const signing::Signer& signer);

struct ReleaseOptions {
  std::int64_t expires = 0;
  bool archive = false;               // also write archives/<name>-<version>.tar.gz and record it
  std::optional<std::string> yanked;  // the reason
  std::vector<Advisory> advisories;
};

// Writes the unsigned entry of the library in `library` (library.json plus the files its sources
// select) to `repository`/libraries/<name>/<version>.json; returns it. Releasing a version again
// (to yank it, or to add an advisory) writes the next metadata version of its entry, which its
// maintainers then sign anew.
Result<LibraryEntry> release_library(const std::filesystem::path& library, const std::filesystem::path& repository,
                                     const ReleaseOptions& options);

struct PublishOptions {
  std::int64_t now = 0;
  std::int64_t snapshot_lifetime = std::int64_t{30} * 24 * 3600;
  std::int64_t timestamp_lifetime = std::int64_t{7} * 24 * 3600;
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
