// The TUF update and verification flow: trusted root -> root rotations -> timestamp -> snapshot
// -> library entries, each checked for signatures (thresholds), versions (never backwards),
// expiry (never frozen), digests and lengths (never mixed and matched), and size limits.
#pragma once

#include "cairn/core/digest.h"
#include "cairn/core/result.h"
#include "cairn/manifest/metadata.h"
#include "cairn/manifest/repository.h"
#include "cairn/manifest/trust_state.h"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::manifest {

struct VerifyOptions {
  Clock clock = system_clock();
  // How update_repository waits for another run updating the same trust state.
  FileLockOptions lock;
};

struct VerifiedLibrary {
  LibraryEntry entry;
  Digest document_digest = Digest::sha256_of("");  // of the entry file, as the snapshot lists it
  std::vector<std::string> signers;                // key ids that counted toward the threshold
};

struct VerifiedRepository {
  Digest identity = Digest::sha256_of("");  // the first pinned root's (see root_identity)
  RootMetadata root;
  TrustState state;  // the trusted state after this verification (to persist)
  TimestampMetadata timestamp;
  SnapshotMetadata snapshot;
  std::vector<VerifiedLibrary> libraries;  // sorted by name, then library_version text

  // The entry for `name` at `library_version`, or nullptr.
  const VerifiedLibrary* find(std::string_view name, std::string_view library_version) const;
};

// The identity of a repository: the digest of its first pinned root's canonical signed part.
// `name` says where the document came from, in errors.
Result<Digest> root_identity(std::string_view root_document, std::string_view name = "root.json");

// Verifies everything `repository` serves against `trusted` (whose root_document is the trusted
// root; versions 0 mean "nothing seen yet"). Pure: persists nothing.
Result<VerifiedRepository> verify_repository(const Repository& repository, const TrustState& trusted,
                                             const VerifyOptions& options = {});

// A root obtained out of band (`--root ROOT.json`): its bytes and where they came from.
struct PinnedRoot {
  std::string document;
  std::string origin;  // the file's path, named in errors
};
// Reads a root file given out of band (at most max_root_size bytes).
Result<PinnedRoot> read_pinned_root(const std::filesystem::path& file);

// verify_repository with the state kept on disk (trust_state.h): `pinned_root` selects and first
// pins the store; without it the store this location was pinned to is used. Saves the new state
// when verification succeeds. The store is locked from loading the state to saving it (see
// TrustStore::lock).
Result<VerifiedRepository> update_repository(const Repository& repository, const std::optional<PinnedRoot>& pinned_root,
                                             const VerifyOptions& options = {});

// What a command needs to open a manifest: where it is and which root to pin on first use.
struct ManifestRequest {
  std::string location;             // a folder or URL; empty: $CAIRN_MANIFEST
  std::filesystem::path root_file;  // --root; empty: the root pinned for this location earlier
  VerifyOptions verify;
};

struct OpenedManifest {
  Repository repository;
  VerifiedRepository verified;
};

// Opens the manifest `request` names and verifies it against the pinned root (update_repository):
// the one way every command (lock, manifest verify, build) gets a verified manifest.
Result<OpenedManifest> open_manifest(const ManifestRequest& request);

}  // namespace cairn::manifest
