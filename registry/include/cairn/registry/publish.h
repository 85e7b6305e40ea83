// `cairn publish` and `cairn pull`: a build packed (pack.h), signed, pushed, recorded in the
// registry's transparency log; and an artifact fetched back into a folder, every byte checked.
//
// Publishing, in order: ask the log for its verifier key (unless the log is skipped) so that
// nothing is pushed to a registry whose log cannot take the entry; pack; sign provenance.json as
// a DSSE envelope; push the blobs the registry lacks; PUT the image manifest by tag; PUT the
// signature manifest (artifactType dsse_envelope_media_type, empty config, the envelope as its one
// layer, `subject` = the image manifest) by digest and, when the registry has no referrers API,
// also under the tag attachment_tag(image manifest); write the envelope to
// <build>/provenance.dsse.json; POST the log entry, verify the checkpoint's signature and the
// inclusion proof, and write <build>/log.json.
//
// The log entry (the leaf's exact bytes) is the canonical JSON
//   {"envelope": "sha256:…", "manifest": "sha256:…", "repository": "…", "signers": [sorted keyids],
//    "tag": "…"}
// POSTed to <registry>/log/entries; the answer, 201 or 200, is
//   {"index": n, "checkpoint": "<signed note>", "inclusion_proof": ["<base64>", …]}
// and log.json is {"checkpoint", "entry", "index", "inclusion_proof", "vkey"}.
#pragma once

#include "cairn/core/digest.h"
#include "cairn/core/result.h"
#include "cairn/registry/client.h"
#include "cairn/registry/pack.h"
#include "cairn/registry/reference.h"
#include "cairn/signing/signer.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace cairn::registry {

struct PublishOptions {
  std::filesystem::path build;  // _build/<name>
  Reference reference;          // with a tag
  std::vector<const signing::Signer*> signers;
  ClientOptions client;
  PackOptions pack;
  bool submit_to_log = true;  // false: --no-log
  // Where an OCI image layout of what was pushed is also written (empty: nowhere).
  std::filesystem::path oci_layout;
};

struct PublishReport {
  std::string reference;  // HOST/NAME@sha256:… of the image manifest
  Digest manifest = Digest::sha256_of("");
  Digest signature_manifest = Digest::sha256_of("");
  Digest envelope = Digest::sha256_of("");
  bool referrers_api = false;  // false: the signature is also under the .att tag
  std::size_t blobs_pushed = 0;
  std::size_t blobs_present = 0;  // already in the registry
  std::size_t manifests_pushed = 0;  // image, signature, .att tag: those the registry lacked
  std::optional<std::uint64_t> log_index;
  std::filesystem::path log_file;  // empty without the log
};

Result<PublishReport> publish(const PublishOptions& options);

// The log entry for a publish (its canonical JSON is the leaf).
Json log_entry(const Reference& reference, const Digest& manifest, const Digest& envelope,
               std::vector<std::string> signers);
// Checks a log's answer to the submission of `leaf` with the verifier key `vkey`: the checkpoint
// is signed by it, and the proof shows `leaf` at `index` in the checkpoint's tree. Returns the
// content of log.json.
Result<Json> verify_log_answer(std::string_view leaf, std::string_view answer, std::string_view vkey);

// The most signatures read for one manifest (each one is a manifest and a blob to fetch).
inline constexpr std::size_t max_attached_envelopes = 64;

// Every DSSE envelope attached to `manifest`: through the referrers API (all of them) and under
// the .att tag (the latest, where there is no referrers API), each checked to be a one-layer
// signature manifest whose subject is `manifest`, without duplicates, in the order found.
Result<std::vector<std::string>> fetch_attached_envelopes(RegistryClient& client, const Digest& manifest);

struct PullOptions {
  Reference reference;  // with a tag or a digest
  std::filesystem::path destination;  // must not exist
  ClientOptions client;
};

struct PullReport {
  Digest manifest = Digest::sha256_of("");
  std::vector<std::string> files;  // relative to the destination, in the order written
  bool signature = false;          // provenance.dsse.json was found and written
  std::optional<std::uint64_t> log_index;  // log.json was written: the entry's index in the log
};

// Fetches the artifact into `destination`: manifest.json, config.json, each layer under its
// title (library archives under sources/), provenance.dsse.json when a signature refers to it
// (every attached envelope must sign provenance.json; the one written is the one the log entry
// names, else the first found), the rebuild attestations that refer to it
// (attestations/<hex>.dsse.json, not checked here: `cairn verify` checks them),
// and log.json (as publish writes it) when the registry's log has an entry for the manifest in
// this repository (GET /log/lookup?manifest=), its checkpoint and inclusion proof verified. Everything lands in a temporary folder beside `destination` first and is renamed into place
// only when every digest matched; on error nothing is left.
Result<PullReport> pull(const PullOptions& options);

}  // namespace cairn::registry
