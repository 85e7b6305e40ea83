// The unsigned descriptions in a checkout: library.json (one per library folder) and
// unikernel.json (one per app), and the source tree a library.json selects.
//
// library.json: {name, version (semver), license, description?, depends?: {name: constraint},
//   sources: [globs: the library's tree], targets?: [target],
//   build?: {include?: [folders], sources?: [globs: what to compile],
//            per_target?: {<target>: {sources?: [globs], linker_script?: path}}}}
// `build` tells `cairn build` everything it needs: the public include folders (for the library
// and everything that depends on it), the translation units for every target and those for one
// target only, and the linker script a library that lays out images (the kernel) provides.
// Every path there is relative to the library folder and resolved within its tree.
//
// unikernel.json, read strictly (an unknown key is refused, naming it):
//   {name, version (semver), target ("spt"), main: [sources], requires?: {name: constraint},
//    devices?: {net?: [names], block?: [names]}, memory_mib?: N, assets?: folder}
// "assets" names a folder of the app (relative, normal form, no hidden component, not _build)
// whose files `cairn build` bakes into the image as <cairn/assets.h> (builder/README.md); it must
// be a folder there (not a file, not a symlink) when the description is read.
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
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::manifest {

// How `cairn build` compiles one target of a library (library.json's "build").
struct LibraryTargetBuild {
  std::vector<std::string> sources;  // globs over the tree, compiled for this target only
  std::string linker_script;         // a tree file, or empty
};

struct LibraryBuild {
  std::vector<std::string> include;  // public include folders
  std::vector<std::string> sources;  // globs over the tree, compiled for every target
  std::map<std::string, LibraryTargetBuild> per_target;
};

struct LibraryDescription {
  std::string name;
  std::string version;
  std::string license;
  std::string description;
  std::map<std::string, std::string> depends;
  std::vector<std::string> sources;
  std::vector<std::string> targets;
  std::optional<LibraryBuild> build;
};

struct UnikernelDevices {
  std::vector<std::string> net;
  std::vector<std::string> block;
};

struct UnikernelDescription {
  std::string name;
  std::string version;
  std::string target;
  std::vector<std::string> main;                 // sources, relative to the app folder
  std::map<std::string, std::string> requires_;  // "requires": library -> constraint
  UnikernelDevices devices;
  std::optional<std::int64_t> memory_mib;  // the image's default memory
  std::string assets;                      // the static assets folder, relative; empty: none
  Digest digest = Digest::sha256_of("");   // sha256 of the canonical JSON of the file
};

// The targets Cairn knows the names of (Solo5's); `cairn build` builds "spt".
inline constexpr std::string_view known_targets[] = {"spt", "hvt", "virtio"};
// The most memory an image may ask for, in MiB.
inline constexpr std::int64_t max_memory_mib = 65536;

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
