// `cairn audit TARGET [--manifest LOCATION --root ROOT.json]`: where every piece of a unikernel
// came from, and what a consumer should worry about.
//
// TARGET is anything build_record.h reads: a registry reference, a pulled or build folder, a bare
// image (its .note.cairn; the lock beside it when it gives the note's dependency list), or a
// cairn.lock. The report is the dependency provenance tree: the unikernel (name, version, image
// digest, log index), the manifest it was built against (identity, snapshot), and each library
// (version, tree, license, the maintainer keys that signed it), plus the rebuild attestations
// found in the registry (for a reference target; listed, their signatures not checked here).
//
// Warnings (the audit still succeeds): a library signed by a single key, metadata that expires
// within 30 days, a yanked version, an advisory affecting the version, a development manifest, a
// library the manifest no longer lists or lists with another tree. Without --manifest only what
// the lock itself tells can be judged (single signers, development); the rest needs the manifest.
#pragma once

#include "cairn/consumer/build_record.h"
#include "cairn/core/canonical_json.h"
#include "cairn/core/result.h"
#include "cairn/manifest/client.h"
#include "cairn/manifest/metadata.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cairn::consumer {

// How close an expiry must be to be warned about: 30 days for library entries and the root. The
// timestamp and snapshot are short-lived by design (7 and 30 days by default, re-signed by the
// manifest's operator), so a 30-day rule would always warn: for them, one day.
inline constexpr std::int64_t expiry_warning_seconds = std::int64_t{30} * 24 * 60 * 60;
inline constexpr std::int64_t short_lived_warning_seconds = std::int64_t{24} * 60 * 60;

struct AuditOptions {
  ReadTargetOptions target;
  std::optional<manifest::ManifestRequest> manifest;  // --manifest/--root
  manifest::Clock clock = manifest::system_clock();    // for "expires within 30 days"
};

struct AuditedLibrary {
  std::string name;
  std::string version;
  Digest tree = Digest::sha256_of("");
  Digest entry = Digest::sha256_of("");               // the signed entry the build used
  std::vector<std::string> lock_signers;              // the keys that signed it, as the build saw
  // From the manifest, when given and it lists this version:
  bool in_manifest = false;
  std::string license;
  std::string description;
  std::vector<std::string> manifest_signers;          // the keys that sign it now
  std::optional<std::int64_t> expires;
  std::optional<std::string> yanked;
  std::vector<manifest::Advisory> advisories;         // those affecting this version
};

struct AuditWarning {
  std::string kind;     // single-signer, expiring, yanked, advisory, development-manifest, not-in-manifest, tree-differs
  std::string subject;  // the library, or "manifest"
  std::string message;
};

struct ManifestFacts {
  std::string location;
  std::int64_t snapshot_version = 0;
  std::int64_t snapshot_expires = 0;
  std::int64_t timestamp_expires = 0;
  std::int64_t root_expires = 0;
};

struct AuditReport {
  std::string target;
  TargetKind kind = TargetKind::folder;
  // The unikernel (absent for a lock file).
  std::string name, version;
  std::optional<std::string> image_file;
  std::optional<Digest> image_digest;
  std::optional<reproducibility::BuildNote> note;
  std::optional<std::uint64_t> log_index;
  std::optional<Digest> oci_manifest;
  // The manifest the build used, as the lock records it (absent when there is no lock).
  std::optional<std::string> manifest_identity;
  bool development = false;
  std::optional<std::int64_t> snapshot_version;
  std::optional<std::int64_t> snapshot_created;
  std::string lock_source;
  // The manifest as it is now (--manifest), when given.
  std::optional<ManifestFacts> manifest_now;
  // The libraries, when a lock was found; otherwise why not.
  bool libraries_known = false;
  std::string libraries_missing;
  std::vector<AuditedLibrary> libraries;
  std::vector<ToolchainPackage> toolchain;
  // Rebuild attestations (`cairn rebuild --attest`) found in the registry for a reference target,
  // one line each ("PASSED by <keyid> at <time> (<verifier>)"); their signatures are not checked
  // here (audit pins no keys: `cairn verify` with a policy's "rebuilds" does). The note says why
  // the list is what it is (not looked up for a folder, no referrers API, ...).
  std::vector<std::string> rebuild_attestations;
  std::string rebuild_attestations_note;
  std::vector<AuditWarning> warnings;
};

// Runs the audit. An error means it could not run: an unreadable target, a lock that does not
// belong to the image, a manifest that does not verify or is not the one the build used.
Result<AuditReport> audit(const AuditOptions& options);

// The report as one JSON object (for --json).
Json to_json(const AuditReport& report);

}  // namespace cairn::consumer
