// What a build left behind, read from any of the places a consumer finds it: the shared first step
// of `cairn sbom` and `cairn audit` (and the same approach `cairn verify` takes to its targets).
//
// A target is one of:
//   a registry reference  HOST/NAME:TAG or HOST/NAME@sha256:…, pulled into a temporary folder
//                         first (registry::pull checks every digest)
//   a folder              one `cairn pull` wrote, or a build folder _build/<name> (image,
//                         provenance.json, cairn.lock, and log.json after `cairn publish`)
//   an image file         a bare *.spt: its .note.cairn, and the provenance.json or cairn.lock
//                         beside it when there is one (only if its lock gives the note's
//                         dependency-list digest)
//   a lock file           cairn.lock (or any *.lock): the libraries alone, no image
// Nothing here is trusted for being there: the image must be the provenance's subject, the lock
// inside the provenance must match its own digest and the provenance's list of libraries, and the
// lock must give the dependency-list digest the image's .note.cairn records. `cairn verify`
// checks signatures and the log; this reader only makes sure the pieces belong together.
#pragma once

#include "cairn/core/digest.h"
#include "cairn/core/file.h"
#include "cairn/core/result.h"
#include "cairn/manifest/lock.h"
#include "cairn/registry/client.h"
#include "cairn/reproducibility/image_notes.h"
#include "cairn/reproducibility/provenance.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace cairn::consumer {

enum class TargetKind { reference, folder, image, lock };
// "registry reference", "folder", "image", "lock file".
std::string_view to_string(TargetKind kind);

// A Debian package of the toolchain the provenance records (resolvedDependencies with
// uri "pkg:deb/debian/<name>@<version>" and annotations.toolchain true).
struct ToolchainPackage {
  std::string name;
  std::string version;
  std::string purl;  // the descriptor's uri
};

struct BuildRecord {
  std::string target;
  TargetKind kind = TargetKind::folder;
  std::filesystem::path folder;                 // where the files were read from
  std::optional<std::filesystem::path> image;   // the image file, when the target has one
  std::optional<Digest> image_digest;           // its SHA-256
  std::string name, version;                    // the unikernel's (from the provenance's unikernel.json)
  std::optional<reproducibility::Provenance> provenance;
  std::optional<reproducibility::BuildNote> note;  // the image's .note.cairn
  std::optional<manifest::LockFile> lock;
  std::string lock_source;                      // where the lock came from, for messages
  std::string missing_lock;                     // why there is no lock (a bare image alone)
  std::vector<ToolchainPackage> toolchain;      // sorted by name
  std::optional<std::uint64_t> log_index;       // from log.json, when the image was published
  std::optional<Digest> oci_manifest;           // manifest.json's digest, for pulled artifacts
};

struct ReadTargetOptions {
  std::string target;
  registry::ClientOptions client;  // for a registry reference
  // Accept a bare image or a lock file (audit does; an SBOM needs the provenance's image).
  bool allow_bare = false;
};

// The lock the provenance carries as its "cairn.lock" byproduct, checked against the byproduct's
// own digest; nullopt when the provenance carries none.
Result<std::optional<manifest::LockFile>> lock_in_provenance(const reproducibility::Provenance& provenance);
// The provenance's libraries (resolvedDependencies "cairn-library:NAME@VERSION") are exactly the
// lock's, at the same versions, trees and signed entries. `lock_source` names the lock in errors.
Result<void> check_libraries_agree(const reproducibility::Provenance& provenance, const manifest::LockFile& lock,
                                   std::string_view lock_source);
// The lock gives the dependency-list digest the image's .note.cairn records.
Result<void> check_lock_matches_note(const manifest::LockFile& lock, const reproducibility::BuildNote& note,
                                     std::string_view lock_source);

// Reads the target (see above). `scratch` receives the temporary folder a reference is pulled
// into; the record's paths point inside it, so it must outlive the record's use.
Result<BuildRecord> read_build_record(const ReadTargetOptions& options, std::optional<TemporaryDirectory>& scratch);

}  // namespace cairn::consumer
