// The unsigned descriptions in a checkout: library.json (one per library folder) and
// unikernel.json (one per app), and the source tree a library.json selects.
//
// Source globs are relative to the library folder and match '/'-separated paths: `*` matches
// any characters but '/', `?` one character but '/', and a whole component `**` matches zero or
// more components ("include/**/*.h" matches include/a.h and include/x/y/a.h; "runtime/**"
// matches everything under runtime/). library.json itself is always part of the tree.
#pragma once

#include "cairn/core/canonical_json.h"
#include "cairn/core/digest.h"
#include "cairn/core/result.h"
#include "cairn/core/tree.h"
#include "cairn/manifest/metadata.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::manifest {

struct LibraryDescription {
  std::string name;
  std::string version;
  std::string license;
  std::string description;
  std::map<std::string, std::string> depends;
  std::vector<std::string> sources;
  std::vector<std::string> targets;
};

struct UnikernelDescription {
  std::string name;
  std::string version;
  std::string target;
  std::map<std::string, std::string> requires_;  // "requires": library -> constraint
  Digest digest = Digest::sha256_of("");         // sha256 of the canonical JSON of the file
};

// Reads and checks <dir>/library.json (name, semver version, constraints that parse).
Result<LibraryDescription> read_library_description(const std::filesystem::path& library_directory);
// Reads and checks an app's unikernel.json (`path` is the file or its folder).
Result<UnikernelDescription> read_unikernel_description(const std::filesystem::path& path);

// Whether the relative path `path` matches `glob` (dialect above).
bool glob_matches(std::string_view glob, std::string_view path);

// The tree of a library: library.json plus the files its globs select, sorted, with digests.
Result<std::vector<TreeEntry>> library_tree(const std::filesystem::path& library_directory,
                                            const LibraryDescription& description);

// An unsigned entry for the library in `library_directory`: tree digest, per-file digests and
// everything library.json says; expires `expires` (seconds since the epoch).
Result<LibraryEntry> make_library_entry(const std::filesystem::path& library_directory, std::int64_t expires);

// Checks that the library in `library_directory` is exactly what `entry` signed; on a mismatch
// the error (refused) names the library and the first file that differs, is missing or is extra.
Result<void> verify_library_tree(const std::filesystem::path& library_directory, const LibraryEntry& entry);

// Every folder under `checkout` holding a library.json, sorted; skips hidden folders, build
// folders (build*, _build) and tests/.
Result<std::vector<std::filesystem::path>> find_library_directories(const std::filesystem::path& checkout);

}  // namespace cairn::manifest
