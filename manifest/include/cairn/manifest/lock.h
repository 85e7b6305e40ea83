// cairn.lock: the resolver's result for one app against one verified manifest, and the checks
// and differences built on it.
//
// The file is canonical JSON, written atomically:
//   {"_type": "lock", "spec_version": "1.0.0", "repository": "<root identity>", "development": bool,
//    "snapshot_version": N, "snapshot_created"?: "<RFC 3339>",
//    "description_digest": "sha256:<of canonical unikernel.json>",
//    "libraries": {"<name>": {"version", "tree", "entry" (digest of the signed entry file),
//                             "signers": [keyids], "archive"?: {url, digest, size}}}}
#pragma once

#include "cairn/core/digest.h"
#include "cairn/core/result.h"
#include "cairn/manifest/client.h"
#include "cairn/manifest/library_description.h"
#include "cairn/manifest/resolver.h"

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cairn::manifest {

struct LockedLibrary {
  std::string version;
  Digest tree = Digest::sha256_of("");
  Digest entry = Digest::sha256_of("");
  std::vector<std::string> signers;
  std::optional<ArchiveRef> archive;
};

struct LockFile {
  std::string repository;  // root identity, "sha256:..."
  bool development = false;
  std::int64_t snapshot_version = 0;
  std::optional<std::int64_t> snapshot_created;  // the snapshot's "created": builds' SOURCE_DATE_EPOCH
  Digest description_digest = Digest::sha256_of("");
  std::map<std::string, LockedLibrary> libraries;
};

Json to_json(const LockFile& lock);
// Parses a lock file's text strictly; unknown spec_version majors are unsupported.
Result<LockFile> parse_lock(std::string_view text);
Result<LockFile> read_lock(const std::filesystem::path& path);
Result<void> write_lock(const std::filesystem::path& path, const LockFile& lock);

// The digest of the resolved dependency list an image records in its .note.cairn: SHA-256 of the
// canonical JSON {"<name>": {"tree": "sha256:…", "version": "…"}, …} of the lock's libraries.
Result<Digest> dependency_list_digest(const LockFile& lock);

// The advisories of `entry` whose `affected` constraint matches `version` (one that does not
// parse affects nothing).
std::vector<Advisory> advisories_affecting(const LibraryEntry& entry, const Version& version);

// The resolver's index of every verified entry.
Result<PackageIndex> index_repository(const VerifiedRepository& repository);

struct LockOptions {
  const LockFile* previous = nullptr;  // keep its versions where they still fit...
  bool update_all = false;             // ...unless updating everything
  std::vector<std::string> update;     // ...or these libraries
};

struct LockOutcome {
  LockFile lock;
  std::vector<std::string> warnings;  // advisories that affect chosen versions, yanked pins
};

// Resolves `app`'s requirements against `repository` and builds the lock.
Result<LockOutcome> lock_dependencies(const VerifiedRepository& repository, const UnikernelDescription& app,
                                      const LockOptions& options = {});

// For --locked: refused, naming what changed, unless `lock` was made for this description and
// every pinned entry is still in the manifest unchanged. Yanked pins are allowed (a warning).
Result<std::vector<std::string>> check_lock(const LockFile& lock, const VerifiedRepository& repository,
                                            const UnikernelDescription& app);

struct LockChange {
  enum class Kind { added, removed, upgraded, downgraded, changed };
  Kind kind;
  std::string name;
  std::string from, to;  // versions; empty when absent
};

// What differs between two locks, by library name.
std::vector<LockChange> diff_locks(const LockFile& before, const LockFile& after);
// "upgraded http 1.3.0 -> 1.4.0".
std::string describe(const LockChange& change);
std::string_view to_string(LockChange::Kind kind);

}  // namespace cairn::manifest
