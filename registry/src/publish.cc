// Publishing a build and pulling it back (see publish.h).
#include "cairn/registry/publish.h"

#include "cairn/core/canonical_json.h"
#include "cairn/core/file.h"
#include "cairn/core/json_reader.h"
#include "cairn/registry/checkpoint.h"
#include "cairn/registry/merkle.h"
#include "cairn/registry/oci.h"
#include "cairn/signing/dsse.h"

#include <algorithm>
#include <set>
#include <system_error>

namespace cairn::registry {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t max_vkey_size = 4096;
constexpr std::uint64_t max_log_answer_size = 1 << 20;
constexpr std::uint64_t max_config_size = 1 << 20;

std::string trim_line(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
  return std::string(text);
}

// A file name that stays in its folder (a layer's title comes from the registry: untrusted).
bool plain_file_name(std::string_view name) {
  if (name.empty() || name == "." || name == ".." || name.size() > 255) return false;
  for (char c : name) {
    if (c == '/' || c == '\\' || c <= ' ' || c > '~') return false;
  }
  return true;
}

// The signature artifact: an empty config, the envelope as its one layer, the image as subject.
Result<std::string> signature_manifest(const Descriptor& subject, const Descriptor& envelope,
                                       const std::map<std::string, std::string>& image_annotations) {
  ImageManifest manifest;
  manifest.artifact_type = std::string(dsse_envelope_media_type);
  manifest.config = Descriptor::of(oci_empty_media_type, oci_empty_blob);
  manifest.layers = {envelope};
  manifest.subject = subject;
  // The same creation time as the image: never the clock.
  if (auto created = image_annotations.find(std::string(annotation_created)); created != image_annotations.end()) {
    manifest.annotations.insert(*created);
  }
  return serialize_manifest(manifest);
}

}  // namespace

Json log_entry(const Reference& reference, const Digest& manifest, const Digest& envelope,
               std::vector<std::string> signers) {
  std::sort(signers.begin(), signers.end());
  return Json{{"envelope", envelope.to_string()},
              {"manifest", manifest.to_string()},
              {"repository", reference.repository},
              {"signers", signers},
              {"tag", reference.tag.value_or("")}};
}

Result<Json> verify_log_answer(std::string_view leaf, std::string_view answer, std::string_view vkey) {
  Json json = CAIRN_TRY(parse_json(answer));
  JsonReader document(json);
  std::uint64_t index = CAIRN_TRY(document.count("index"));
  std::string note = CAIRN_TRY(document.string("checkpoint"));
  std::vector<std::string> proof_text = CAIRN_TRY(document.strings("inclusion_proof"));
  NoteVerifier verifier = CAIRN_TRY(parse_verifier_key(trim_line(vkey)));
  Result<std::string> opened = open_note(note, verifier);
  if (!opened.ok()) return std::move(opened).error().with_context("the log's checkpoint");
  Checkpoint checkpoint = CAIRN_TRY(parse_checkpoint(*opened));
  if (index >= checkpoint.size) {
    return make_error(ErrorCode::refused, "the log put the entry at index {}, outside its checkpoint of size {}", index,
                      checkpoint.size);
  }
  std::vector<Hash> proof;
  for (const std::string& text : proof_text) {
    Hash hash = CAIRN_TRY(hash_from_base64(text));
    proof.push_back(hash);
  }
  Result<void> included = verify_inclusion(leaf_hash(leaf), index, checkpoint.size, proof, checkpoint.root);
  if (!included.ok()) return std::move(included).error().with_context("the log's inclusion proof");
  Json entry = CAIRN_TRY(parse_json(leaf));
  return Json{{"checkpoint", note},
              {"entry", std::move(entry)},
              {"index", index},
              {"inclusion_proof", proof_text},
              {"vkey", trim_line(vkey)}};
}

Result<PublishReport> publish(const PublishOptions& options) {
  if (!options.reference.tag) {
    return make_error(ErrorCode::invalid_argument, "{}: publish needs a tag (NAME:TAG)", options.reference.to_string());
  }
  if (options.signers.empty()) return make_error(ErrorCode::invalid_argument, "publish needs at least one --key");
  std::error_code error;
  if (!options.oci_layout.empty() && fs::exists(options.oci_layout, error)) {
    return make_error(ErrorCode::already_exists, "--oci-layout {}: already exists", options.oci_layout.string());
  }
  RegistryClient client(options.reference, options.client);
  CAIRN_TRY(client.check_api());
  std::optional<std::string> vkey;
  if (options.submit_to_log) {
    vkey = CAIRN_TRY(client.get_text("/log/vkey", max_vkey_size));
    if (!vkey) {
      return make_error(ErrorCode::unsupported,
                        "{} has no transparency log (GET /log/vkey: 404); publish there with --no-log, which "
                        "records nothing a consumer can audit",
                        options.reference.base_url());
    }
    CAIRN_TRY(parse_verifier_key(trim_line(*vkey)));
  }

  PackedArtifact artifact = CAIRN_TRY(pack_build(options.build, options.pack));
  signing::dsse::Envelope envelope =
      CAIRN_TRY(signing::dsse::sign(signing::dsse::in_toto_payload_type, artifact.provenance, options.signers));
  std::string envelope_bytes = CAIRN_TRY(signing::dsse::serialize_envelope(envelope));
  Blob envelope_blob;
  envelope_blob.descriptor = Descriptor::of(dsse_envelope_media_type, envelope_bytes);
  envelope_blob.descriptor.annotations[std::string(annotation_title)] = "provenance.dsse.json";
  envelope_blob.bytes = envelope_bytes;
  Blob empty_config;
  empty_config.descriptor = Descriptor::of(oci_empty_media_type, oci_empty_blob);
  empty_config.bytes = std::string(oci_empty_blob);
  ImageManifest image = CAIRN_TRY(parse_manifest(artifact.manifest));
  std::string signature =
      CAIRN_TRY(signature_manifest(artifact.manifest_descriptor(), envelope_blob.descriptor, image.annotations));

  PublishReport report;
  report.manifest = artifact.manifest_digest;
  report.envelope = envelope_blob.descriptor.digest;
  report.signature_manifest = Digest::sha256_of(signature);
  std::vector<const Blob*> blobs = {&artifact.config};
  for (const Blob& layer : artifact.layers) blobs.push_back(&layer);
  blobs.push_back(&empty_config);
  blobs.push_back(&envelope_blob);
  std::set<Digest> seen;
  for (const Blob* blob : blobs) {
    if (!seen.insert(blob->descriptor.digest).second) continue;
    bool pushed = CAIRN_TRY(client.push_blob(blob->descriptor, blob->bytes, blob->file));
    ++(pushed ? report.blobs_pushed : report.blobs_present);
  }
  // Each manifest is PUT unless the registry already has it under that name (a HEAD is cheaper
  // than rewriting a tag, and leaves the registry as it was).
  auto push_manifest_once = [&](const std::string& name, const std::string& bytes) -> Result<void> {
    std::optional<Digest> present = CAIRN_TRY(client.head_manifest(name));
    if (present && *present == Digest::sha256_of(bytes)) return {};
    CAIRN_TRY(client.push_manifest(name, oci_manifest_media_type, bytes));
    ++report.manifests_pushed;
    return {};
  };
  CAIRN_TRY(push_manifest_once(*options.reference.tag, artifact.manifest));
  CAIRN_TRY(push_manifest_once(report.signature_manifest.to_string(), signature));
  std::optional<std::string> referrers = CAIRN_TRY(client.fetch_referrers(artifact.manifest_digest));
  report.referrers_api = referrers.has_value();
  if (!report.referrers_api) CAIRN_TRY(push_manifest_once(attachment_tag(artifact.manifest_digest), signature));
  report.reference = options.reference.with_digest(artifact.manifest_digest);

  if (!options.oci_layout.empty()) {
    std::vector<LayoutManifest> manifests = {
        {artifact.manifest, std::string(cairn_artifact_type), *options.reference.tag},
        {signature, std::string(dsse_envelope_media_type), attachment_tag(artifact.manifest_digest)}};
    CAIRN_TRY(write_oci_layout(options.oci_layout, blobs, manifests));
  }

  // The signature beside the build, so that the build folder alone can be verified later
  // (`cairn verify _build/<name>`), as a pulled folder can.
  CAIRN_TRY(write_file_atomically(options.build / "provenance.dsse.json", envelope_bytes));

  if (vkey) {
    std::vector<std::string> signers;
    for (const auto& item : envelope.signatures) signers.push_back(item.keyid);
    std::string leaf = CAIRN_TRY(canonical_json(log_entry(options.reference, artifact.manifest_digest,
                                                          report.envelope, std::move(signers))));
    HttpResponse answer = CAIRN_TRY(client.post_json("/log/entries", leaf, max_log_answer_size));
    if (answer.status != 200 && answer.status != 201) {
      return make_error(ErrorCode::io, "the log refused the entry for {}: HTTP {}: {}", report.reference,
                        answer.status, answer.body.substr(0, 300));
    }
    Json log = CAIRN_TRY(verify_log_answer(leaf, answer.body, *vkey));
    report.log_index = log["index"].get<std::uint64_t>();
    report.log_file = options.build / "log.json";
    std::string log_text = CAIRN_TRY(canonical_json(log));
    CAIRN_TRY(write_file_atomically(report.log_file, log_text + "\n"));
  }
  return report;
}

Result<std::vector<std::string>> fetch_attached_envelopes(RegistryClient& client, const Digest& manifest) {
  std::vector<Digest> signature_manifests;
  std::optional<std::string> referrers = CAIRN_TRY(client.fetch_referrers(manifest));
  if (referrers) {
    Json index = CAIRN_TRY(parse_json(*referrers));
    JsonReader reader(index);
    for (const JsonReader& item : CAIRN_TRY(reader.elements_of("manifests"))) {
      Descriptor descriptor = CAIRN_TRY(read_descriptor(item));
      if (descriptor.artifact_type == dsse_envelope_media_type) signature_manifests.push_back(descriptor.digest);
    }
  }
  std::vector<std::string> signature_bytes;
  for (const Digest& digest : signature_manifests) {
    std::optional<FetchedManifest> found = CAIRN_TRY(client.fetch_manifest(digest.to_string()));
    if (found) signature_bytes.push_back(std::move(found->bytes));
  }
  std::optional<FetchedManifest> tagged = CAIRN_TRY(client.fetch_manifest(attachment_tag(manifest)));
  if (tagged && std::find(signature_manifests.begin(), signature_manifests.end(), tagged->digest) ==
                    signature_manifests.end()) {
    signature_bytes.push_back(std::move(tagged->bytes));
  }
  if (signature_bytes.size() > max_attached_envelopes) {
    return make_error(ErrorCode::limit_exceeded, "{} has {} signatures attached; at most {} are read",
                      manifest.to_string(), signature_bytes.size(), max_attached_envelopes);
  }
  std::vector<std::string> envelopes;
  std::set<Digest> seen;
  for (const std::string& bytes : signature_bytes) {
    ImageManifest signature = CAIRN_TRY(parse_manifest(bytes));
    if (!signature.subject || signature.subject->digest != manifest || signature.layers.size() != 1 ||
        signature.layers[0].media_type != dsse_envelope_media_type) {
      return make_error(ErrorCode::refused, "a signature attached to {} is not a DSSE envelope about it",
                        manifest.to_string());
    }
    if (!seen.insert(signature.layers[0].digest).second) continue;
    std::string envelope = CAIRN_TRY(client.fetch_blob(signature.layers[0], signing::dsse::max_envelope_file_size));
    envelopes.push_back(std::move(envelope));
  }
  return envelopes;
}

Result<PullReport> pull(const PullOptions& options) {
  const Reference& reference = options.reference;
  if (!reference.tag && !reference.digest) {
    return make_error(ErrorCode::invalid_argument, "{}: pull needs a tag or a digest", reference.to_string());
  }
  std::error_code error;
  if (fs::exists(options.destination, error)) {
    return make_error(ErrorCode::already_exists, "{} already exists", options.destination.string());
  }
  RegistryClient client(reference, options.client);
  std::string wanted = reference.digest ? reference.digest->to_string() : *reference.tag;
  std::optional<FetchedManifest> fetched = CAIRN_TRY(client.fetch_manifest(wanted));
  if (!fetched) return make_error(ErrorCode::not_found, "{}: no such manifest", reference.to_string());
  ImageManifest manifest = CAIRN_TRY(parse_manifest(fetched->bytes));
  if (manifest.artifact_type != cairn_artifact_type) {
    return make_error(ErrorCode::unsupported, "{} is not a Cairn unikernel (artifactType '{}')", reference.to_string(),
                      manifest.artifact_type);
  }
  if (manifest.config.media_type != cairn_config_media_type) {
    return make_error(ErrorCode::unsupported, "{}: config media type '{}'", reference.to_string(),
                      manifest.config.media_type);
  }

  fs::path parent = options.destination.parent_path().empty() ? fs::path(".") : options.destination.parent_path();
  TemporaryDirectory work = CAIRN_TRY(TemporaryDirectory::create(".cairn-pull-", parent));
  PullReport report;
  report.manifest = fetched->digest;
  CAIRN_TRY(write_file_atomically(work.path() / "manifest.json", fetched->bytes));
  report.files.push_back("manifest.json");
  std::string config = CAIRN_TRY(client.fetch_blob(manifest.config, max_config_size));
  CAIRN_TRY(parse_canonical_json(config));
  CAIRN_TRY(write_file_atomically(work.path() / "config.json", config));
  report.files.push_back("config.json");

  std::set<std::string> written = {"manifest.json", "config.json", "provenance.dsse.json", "sources", "attestations"};
  fs::create_directories(work.path() / "sources", error);
  if (error) return make_error(ErrorCode::io, "create {}: {}", (work.path() / "sources").string(), error.message());
  std::optional<std::string> provenance_file;
  for (const Descriptor& layer : manifest.layers) {
    auto title = layer.annotations.find(std::string(annotation_title));
    std::string name = title != layer.annotations.end() ? title->second : "";
    if (layer.media_type == in_toto_media_type) name = "provenance.json";
    if (!plain_file_name(name)) {
      return make_error(ErrorCode::refused, "layer {}: title '{}' is not a plain file name", layer.digest.to_string(),
                        name);
    }
    std::string relative = layer.media_type == oci_tar_gzip_media_type ? "sources/" + name : name;
    if (!written.insert(relative).second) {
      return make_error(ErrorCode::refused, "two layers are called '{}'", relative);
    }
    CAIRN_TRY(client.download_blob(layer, work.path() / relative));
    if (layer.media_type == in_toto_media_type) provenance_file = relative;
    report.files.push_back(relative);
  }

  // The signatures: every envelope attached to the manifest must sign its provenance.json; the one
  // written is the one the log records for this repository and tag, else the first.
  std::vector<std::string> envelopes = CAIRN_TRY(fetch_attached_envelopes(client, report.manifest));
  if (!envelopes.empty()) {
    std::string provenance;
    if (provenance_file) provenance = CAIRN_TRY(read_file(work.path() / *provenance_file, max_config_size * 64));
    for (const std::string& envelope_bytes : envelopes) {
      signing::dsse::Envelope envelope = CAIRN_TRY(signing::dsse::parse_envelope(envelope_bytes));
      if (!provenance_file || envelope.payload != provenance) {
        return make_error(ErrorCode::refused, "a signature of {} signs something other than its provenance.json",
                          report.manifest.to_string());
      }
    }
  }

  // The log's record of this manifest, where the registry has a log that answers lookups: the
  // entry for this repository (and tag, when pulled by tag), checked as publish checks its answer.
  std::optional<std::string> vkey = CAIRN_TRY(client.get_text("/log/vkey", max_vkey_size));
  std::optional<std::string> lookup;
  if (vkey) {
    lookup = CAIRN_TRY(client.get_text("/log/lookup?manifest=" + report.manifest.to_string(), max_log_answer_size));
  }
  if (lookup) {
    Json answer = CAIRN_TRY(parse_json(*lookup));
    JsonReader reader(answer);
    std::optional<Json> chosen;
    for (const JsonReader& item : CAIRN_TRY(reader.elements_of("entries"))) {
      std::string leaf = CAIRN_TRY(item.string("entry"));
      Json log = CAIRN_TRY(verify_log_answer(leaf, item.json().dump(), *vkey).with_context("the log's lookup"));
      const Json& entry = log["entry"];
      if (!entry.is_object() || entry.value("manifest", "") != report.manifest.to_string()) {
        return make_error(ErrorCode::refused, "the log's lookup for {} answered an entry about another manifest",
                          report.manifest.to_string());
      }
      if (entry.value("repository", "") != reference.repository) continue;
      bool same_tag = reference.tag && entry.value("tag", "") == *reference.tag;
      if (!chosen || same_tag) chosen = std::move(log);
      if (same_tag) break;
    }
    if (chosen) {
      // Put the envelope this entry names first, so that it is the one written.
      std::string named = (*chosen)["entry"].value("envelope", "");
      auto it = std::find_if(envelopes.begin(), envelopes.end(),
                             [&named](const std::string& bytes) { return Digest::sha256_of(bytes).to_string() == named; });
      if (it != envelopes.end()) std::rotate(envelopes.begin(), it, it + 1);
      report.log_index = (*chosen)["index"].get<std::uint64_t>();
      std::string log_text = CAIRN_TRY(canonical_json(*chosen));
      CAIRN_TRY(write_file_atomically(work.path() / "log.json", log_text + "\n"));
      report.files.push_back("log.json");
    }
  }

  if (!envelopes.empty()) {
    CAIRN_TRY(write_file_atomically(work.path() / "provenance.dsse.json", envelopes.front()));
    report.files.push_back("provenance.dsse.json");
    report.signature = true;
  }

  // Rebuild attestations, so that the folder alone can be verified later: each one's envelope as
  // attestations/<hex of its digest>.dsse.json (checked by `cairn verify`, not here).
  std::optional<std::string> attached = CAIRN_TRY(client.fetch_referrers(report.manifest));
  if (attached) {
    Json index = CAIRN_TRY(parse_json(*attached));
    JsonReader reader(index);
    std::size_t count = 0;
    for (const JsonReader& item : CAIRN_TRY(reader.elements_of("manifests"))) {
      Descriptor descriptor = CAIRN_TRY(read_descriptor(item));
      if (descriptor.artifact_type != rebuild_attestation_type) continue;
      if (++count > max_attached_envelopes) break;
      std::optional<FetchedManifest> found = CAIRN_TRY(client.fetch_manifest(descriptor.digest.to_string()));
      if (!found) continue;
      ImageManifest attestation = CAIRN_TRY(parse_manifest(found->bytes));
      if (!attestation.subject || attestation.subject->digest != report.manifest || attestation.layers.size() != 1 ||
          attestation.layers[0].media_type != dsse_envelope_media_type) {
        continue;  // not an attestation about this manifest: left out
      }
      std::string bytes = CAIRN_TRY(client.fetch_blob(attestation.layers[0], signing::dsse::max_envelope_file_size));
      std::string relative = "attestations/" + attestation.layers[0].digest.hex() + ".dsse.json";
      fs::create_directories(work.path() / "attestations", error);
      if (error) return make_error(ErrorCode::io, "create {}/attestations: {}", work.path().string(), error.message());
      CAIRN_TRY(write_file_atomically(work.path() / relative, bytes));
      report.files.push_back(relative);
    }
  }

  fs::permissions(work.path(), fs::perms(0755), error);
  fs::rename(work.path(), options.destination, error);
  if (error) return make_error(ErrorCode::io, "rename into {}: {}", options.destination.string(), error.message());
  static_cast<void>(work.release());
  CAIRN_TRY(sync_directory(parent));
  return report;
}

}  // namespace cairn::registry
