// `cairn rebuild TARGET`: get the same bytes from the published artifact alone, at any later date.
//
// TARGET is a registry reference (pulled first, every digest checked) or a folder `cairn pull`
// wrote. The steps:
//   1. with a policy, verify the artifact first (verify.h) with the clock at its build time (the
//      lock's snapshot time): expiry protects updates, not history, so a rebuild years later still
//      checks signatures and metadata as they stood when it was built;
//   2. read the provenance: the lock (its byproduct), the recorded toolchain, whether the build
//      was sandboxed; compare the recorded toolchain with this machine's and name every program
//      and Debian package that differs;
//   3. unpack the source archives (sources/*.tar.gz), each matched to a library of the lock, or to
//      the app, by its tree digest: an archive that matches nothing is refused, a library without
//      an archive too;
//   4. `cairn build --locked` in the sandbox, from those trees alone, with a cold action cache;
//   5. compare the rebuilt image with the provenance's subject (the published image) byte for
//      byte; on a mismatch, explain it (binary_diff.h: sections and symbols) and keep diffoscope's
//      report when diffoscope is installed.
// With signers, the outcome becomes a signed SLSA Verification Summary Attestation (DSSE, in-toto
// Statement v1, predicate https://slsa.dev/verification_summary/v1) pushed to the registry as a
// referrer of the image manifest (artifactType registry::rebuild_attestation_type), which `cairn verify`
// counts against the policy's "rebuilds"; and, for Ed25519 keys, a classic in-toto link
// rebuild.<first 8 hex of keyid>.link (intoto.h) that Debian's in-toto-verify checks.
#pragma once

#include "cairn/consumer/policy.h"
#include "cairn/core/digest.h"
#include "cairn/core/result.h"
#include "cairn/manifest/metadata.h"
#include "cairn/registry/client.h"
#include "cairn/reproducibility/provenance.h"
#include "cairn/signing/signer.h"
#include "cairn/signing/trusted_keys.h"

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::consumer {

inline constexpr std::string_view vsa_predicate_type = "https://slsa.dev/verification_summary/v1";
inline constexpr std::string_view rebuilder_id = "urn:cairn:rebuilder:cairn-rebuild";

struct RebuildOptions {
  std::string target;  // a registry reference or a pulled folder
  std::optional<Policy> policy;  // verify first, as of the build time
  std::string name;              // the name a folder is matched against the policy by
  // Where the rebuild happens (it must not exist, and is kept); empty: a temporary folder, removed.
  std::filesystem::path work;
  std::string compiler = "g++";
  unsigned jobs = 0;
  registry::ClientOptions client;  // pushing an attestation needs a push token
  std::vector<const signing::Signer*> attest;  // sign and publish an attestation with these keys
  std::filesystem::path link_directory;  // where in-toto links go (empty: the current folder)
  std::function<void(std::string_view)> on_progress;
  manifest::Clock clock = manifest::system_clock();  // the attestation's timeVerified
};

struct ToolchainDifference {
  std::string what;      // "program cc1plus", "package binutils-x86-64-linux-gnu"
  std::string recorded;  // as the provenance has it ("absent" when it has none)
  std::string here;      // on this machine ("absent")
};

struct RebuildReport {
  std::string target;
  Digest expected = Digest::sha256_of("");  // the provenance's subject: the published image
  Digest rebuilt = Digest::sha256_of("");
  bool reproduced = false;
  bool provenance_identical = false;  // the rebuilt provenance.json is byte for byte the published one
  std::vector<ToolchainDifference> toolchain;
  std::vector<std::string> explanation;      // on a mismatch: the binary difference, line by line
  std::filesystem::path diffoscope_report;  // set when diffoscope ran (only with a kept work folder)
  std::string diffoscope_note;               // why diffoscope did not run, when it did not
  double seconds = 0;  // the rebuild's build alone
  std::optional<Digest> manifest;  // the image manifest's digest (registry and pulled targets)
  std::optional<Digest> attestation_manifest;  // the referrer pushed, with --attest on a registry
  std::vector<std::filesystem::path> links;    // in-toto links written
};

Result<RebuildReport> rebuild_image(const RebuildOptions& options);

// A rebuild attestation attached to an image manifest in a registry.
struct RebuildAttestation {
  Digest manifest = Digest::sha256_of("");  // the attestation's own manifest
  std::vector<std::string> keyids;          // the key ids its signatures claim (hints, not checked)
  std::vector<std::string> verified;        // those of the given keys whose signature verified
  bool passed = false;                      // verificationResult PASSED
  std::string verifier;                     // predicate.verifier.id
  std::string time_verified;                // predicate.timeVerified
};

// What the DSSE envelope `bytes` of a rebuild attestation says about `image`: nullopt when it is
// not an envelope of an in-toto VSA statement about that image. With `keys`, its signatures are
// checked against them (`verified`). `manifest` is recorded as the attestation's manifest.
std::optional<RebuildAttestation> read_rebuild_attestation(std::string_view bytes, const Digest& manifest,
                                                           const Digest& image, const signing::TrustedKeys* keys);

// Every rebuild attestation about `image` that refers to `manifest` (referrers API, artifactType
// registry::rebuild_attestation_type; at most registry::max_attached_envelopes read). With `keys`, each
// one's signatures are checked against them (`verified`); without, nothing is verified and only
// the claimed key ids are known. Attestations about another image, or that are not a DSSE
// envelope of an in-toto VSA statement, are left out. A registry without a referrers API is an
// error (unsupported), since that is where they are kept.
Result<std::vector<RebuildAttestation>> find_rebuild_attestations(registry::RegistryClient& client,
                                                                  const Digest& manifest, const Digest& image,
                                                                  const signing::TrustedKeys* keys);

// The comparison of the toolchain a provenance records (its resolvedDependencies annotated
// "toolchain") with the one `compiler` finds here.
Result<std::vector<ToolchainDifference>> compare_toolchain(const reproducibility::Provenance& provenance,
                                                           const std::string& compiler);

}  // namespace cairn::consumer
