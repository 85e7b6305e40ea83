// `cairn verify` (see verify.h): each step reads what it needs from the artifact's folder, checks it
// against the policy and says why when it does not pass.
#include "cairn/consumer/verify.h"

#include "cairn/consumer/build_record.h"
#include "cairn/consumer/rebuild.h"
#include "cairn/consumer/seen_checkpoints.h"
#include "cairn/core/canonical_json.h"
#include "cairn/core/file.h"
#include "cairn/core/json_reader.h"
#include "cairn/core/xdg.h"
#include "cairn/manifest/client.h"
#include "cairn/manifest/lock.h"
#include "cairn/registry/checkpoint.h"
#include "cairn/registry/descriptor.h"
#include "cairn/registry/merkle.h"
#include "cairn/registry/oci.h"
#include "cairn/registry/publish.h"
#include "cairn/registry/reference.h"
#include "cairn/reproducibility/image_notes.h"
#include "cairn/reproducibility/provenance.h"
#include "cairn/signing/dsse.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

namespace cairn::consumer {

namespace fs = std::filesystem;
using reproducibility::Provenance;
using reproducibility::ResourceDescriptor;

namespace {

constexpr std::size_t max_log_file_size = std::size_t{1} << 20;
constexpr std::string_view manifest_uri_prefix = "cairn-manifest:";

// What the steps share: the artifact's files and what earlier steps established.
struct Artifact {
  fs::path folder;
  std::optional<registry::Reference> reference;    // a registry target
  std::optional<std::string> oci_manifest;         // manifest.json, for registry and pulled targets
  std::optional<registry::ImageManifest> parsed_manifest;
  std::optional<std::string> envelope_bytes;       // provenance.dsse.json
  // Every envelope attached in the registry (provenance.dsse.json among them): signatures over
  // the same statement made separately are counted together.
  std::vector<std::string> attached_envelopes;
  std::optional<signing::dsse::Envelope> envelope;
  std::optional<Provenance> provenance;            // the verified payload, once signatures passed
  fs::path image;
  std::optional<manifest::LockFile> lock;
  std::optional<manifest::VerifiedRepository> repository;
};

class Steps {
 public:
  explicit Steps(VerifyReport& report) : report_(report) {}

  void pass(std::string_view id, std::string_view title, std::string detail) {
    add(id, title, StepStatus::passed, std::move(detail));
  }
  void warn(std::string_view id, std::string_view title, std::string detail) {
    add(id, title, StepStatus::warning, std::move(detail));
  }
  void fail(std::string_view id, std::string_view title, std::string detail) {
    add(id, title, StepStatus::failed, std::move(detail));
  }
  void skip(std::string_view id, std::string_view title, std::string detail) {
    add(id, title, StepStatus::skipped, std::move(detail));
  }
  void not_required(std::string_view id, std::string_view title, std::string detail) {
    add(id, title, StepStatus::not_required, std::move(detail));
  }
  bool failed() const {
    for (const auto& step : report_.steps) {
      if (step.status == StepStatus::failed) return true;
    }
    return false;
  }

 private:
  void add(std::string_view id, std::string_view title, StepStatus status, std::string detail) {
    report_.steps.push_back(StepResult{std::string(id), std::string(title), status, std::move(detail)});
  }
  VerifyReport& report_;
};

constexpr std::string_view fetch_title = "every file is there and matches its digest";
constexpr std::string_view signatures_title = "signatures meet the threshold with pinned keys";
constexpr std::string_view subject_title = "the provenance's subject is this image";
constexpr std::string_view log_title = "the log includes it, consistently with what was seen before";
constexpr std::string_view dependencies_title = "every library is signed by its maintainers in the pinned manifest";
constexpr std::string_view advisories_title = "no yanked library, no advisory";
constexpr std::string_view rebuilds_title = "independent rebuilders reproduced the image";

bool is_folder(const std::string& target) {
  std::error_code error;
  return fs::is_directory(target, error);
}

Result<std::optional<std::string>> read_optional(const fs::path& file, std::size_t max_size) {
  std::error_code error;
  if (!fs::exists(file, error)) return std::optional<std::string>{};
  std::string text = CAIRN_TRY(read_file(file, max_size));
  return std::optional<std::string>(std::move(text));
}

// --- Step: signatures -----------------------------------------------------------------------

void check_signatures(Artifact& artifact, const ImagePolicy& policy, Steps& steps) {
  if (!artifact.envelope_bytes) {
    steps.fail("signatures", signatures_title,
               fmt::format("no signature: {} holds no provenance.dsse.json", artifact.folder.string()));
    return;
  }
  auto envelope = signing::dsse::parse_envelope(*artifact.envelope_bytes);
  if (!envelope.ok()) {
    steps.fail("signatures", signatures_title, "provenance.dsse.json: " + envelope.error().message());
    return;
  }
  // Signatures made separately over the same statement (several `cairn publish` of one build,
  // each with its own key) cover the same PAE bytes, so they count together.
  for (const std::string& bytes : artifact.attached_envelopes) {
    auto other = signing::dsse::parse_envelope(bytes);
    if (!other.ok() || other->payload != envelope->payload || other->payload_type != envelope->payload_type) continue;
    for (auto& signature : other->signatures) {
      bool present = std::any_of(envelope->signatures.begin(), envelope->signatures.end(),
                                 [&signature](const auto& existing) { return existing.sig == signature.sig; });
      if (!present) envelope->signatures.push_back(std::move(signature));
    }
  }
  auto keys = signing::TrustedKeys::load(policy.signer_keys);
  if (!keys.ok()) {
    steps.fail("signatures", signatures_title, "the policy's signer keys: " + keys.error().message());
    return;
  }
  const std::string accepted[] = {std::string(signing::dsse::in_toto_payload_type)};
  auto report = signing::dsse::verify(*envelope, *keys, policy.threshold, accepted);
  if (!report.ok()) {
    steps.fail("signatures", signatures_title, report.error().message());
    return;
  }
  auto provenance_file = read_optional(artifact.folder / "provenance.json", reproducibility::max_provenance_size);
  if (!provenance_file.ok()) {
    steps.fail("signatures", signatures_title, provenance_file.error().message());
    return;
  }
  if (*provenance_file && **provenance_file != envelope->payload) {
    steps.fail("signatures", signatures_title,
               "provenance.json is not the statement the signatures cover (it was changed after signing, or the "
               "signature belongs to another build)");
    return;
  }
  auto provenance = reproducibility::parse_provenance_statement(envelope->payload);
  if (!provenance.ok()) {
    steps.fail("signatures", signatures_title, "the signed statement: " + provenance.error().message());
    return;
  }
  std::vector<std::string> signers;
  for (const auto& signer : report->signers) signers.push_back(signer.keyid);
  artifact.envelope = std::move(*envelope);
  artifact.provenance = std::move(*provenance);
  steps.pass("signatures", signatures_title,
             fmt::format("{} of {} required: {}", signers.size(), policy.threshold, fmt::join(signers, ", ")));
}

// --- Step: subject --------------------------------------------------------------------------

void check_subject(Artifact& artifact, VerifyReport& report, Steps& steps) {
  const Provenance& provenance = *artifact.provenance;
  artifact.image = artifact.folder / provenance.subject_name;
  std::error_code error;
  if (!fs::is_regular_file(artifact.image, error)) {
    steps.fail("subject", subject_title,
               fmt::format("the statement is about {}, which is not in {}", provenance.subject_name,
                           artifact.folder.string()));
    return;
  }
  auto digest = digest_file(artifact.image);
  if (!digest.ok()) {
    steps.fail("subject", subject_title, digest.error().message());
    return;
  }
  report.image = *digest;
  if (*digest != provenance.subject_digest) {
    steps.fail("subject", subject_title,
               fmt::format("{} is {}, but the signed statement is about {}: the image was replaced, or the "
                           "provenance belongs to another image",
                           provenance.subject_name, digest->to_string(), provenance.subject_digest.to_string()));
    return;
  }
  if (artifact.parsed_manifest) {
    const auto& layers = artifact.parsed_manifest->layers;
    if (layers.empty() || layers[0].digest != *digest) {
      steps.fail("subject", subject_title,
                 fmt::format("the artifact's manifest does not list {} as its image layer", digest->to_string()));
      return;
    }
  }
  steps.pass("subject", subject_title, fmt::format("{} {}", provenance.subject_name, digest->to_string()));
}

// --- Step: log ------------------------------------------------------------------------------

struct LogRecord {
  Json entry;
  std::uint64_t index = 0;
  std::string checkpoint;
  std::vector<registry::Hash> proof;
};

Result<LogRecord> read_log_record(std::string_view text) {
  Json json = CAIRN_TRY(parse_json(text));
  JsonReader document(json);
  LogRecord record;
  JsonReader entry = CAIRN_TRY(document.object("entry"));
  record.entry = entry.json();
  record.index = CAIRN_TRY(document.count("index"));
  record.checkpoint = CAIRN_TRY(document.string("checkpoint"));
  for (const std::string& text_hash : CAIRN_TRY(document.strings("inclusion_proof"))) {
    registry::Hash hash = CAIRN_TRY(registry::hash_from_base64(text_hash));
    record.proof.push_back(hash);
  }
  return record;
}

std::string witness_detail(const WitnessOutcome& outcome, const registry::Checkpoint& checkpoint) {
  switch (outcome.kind) {
    case WitnessOutcome::Kind::first:
      return fmt::format("the first checkpoint seen of {} (size {}), kept in {}", checkpoint.origin, checkpoint.size,
                         outcome.file.string());
    case WitnessOutcome::Kind::same:
      return fmt::format("the checkpoint seen before (size {})", checkpoint.size);
    case WitnessOutcome::Kind::extended:
      return fmt::format("consistent with size {} seen before; size {} is now the newest seen", outcome.seen_size,
                         checkpoint.size);
    case WitnessOutcome::Kind::older:
      return fmt::format("a prefix of size {} seen before", outcome.seen_size);
    case WitnessOutcome::Kind::unproven:
      return fmt::format("size {} seen before; consistency with size {} not proven (offline)", outcome.seen_size,
                         checkpoint.size);
  }
  return {};
}

void check_log(Artifact& artifact, const ImagePolicy& policy, const VerifyOptions& options, VerifyReport& report,
               Steps& steps) {
  if (policy.skip_log) {
    steps.not_required("log", log_title, "the policy says \"log\": \"skip\"");
    return;
  }
  if (!policy.log_vkey) {
    steps.fail("log", log_title,
               "the policy pins no log key for this image: add \"log\": {\"vkey\": \"…\"} (what the registry serves "
               "at /log/vkey, checked out of band), or \"log\": \"skip\"");
    return;
  }
  auto verifier = registry::parse_verifier_key(*policy.log_vkey);
  if (!verifier.ok()) {
    steps.fail("log", log_title, "the policy's log key: " + verifier.error().message());
    return;
  }
  auto text = read_optional(artifact.folder / "log.json", max_log_file_size);
  if (!text.ok()) {
    steps.fail("log", log_title, text.error().message());
    return;
  }
  if (!*text) {
    steps.fail("log", log_title,
               artifact.reference
                   ? fmt::format("the registry's log has no entry for {} in {}: it was published without the log",
                                 report.manifest ? report.manifest->to_string() : "this manifest",
                                 artifact.reference->repository)
                   : fmt::format("no log entry: {} holds no log.json", artifact.folder.string()));
    return;
  }
  auto record = read_log_record(**text);
  if (!record.ok()) {
    steps.fail("log", log_title, "log.json: " + record.error().message());
    return;
  }
  // The entry must be about this artifact: its envelope (which covers the image), and its manifest
  // where the artifact has one.
  Digest envelope_digest = Digest::sha256_of(*artifact.envelope_bytes);
  std::string named = record->entry.value("envelope", "");
  bool known = named == envelope_digest.to_string() ||
               std::any_of(artifact.attached_envelopes.begin(), artifact.attached_envelopes.end(),
                           [&named](const std::string& bytes) { return Digest::sha256_of(bytes).to_string() == named; });
  if (!known) {
    steps.fail("log", log_title,
               fmt::format("the log entry names envelope {}, not this artifact's {}", named.empty() ? "?" : named,
                           envelope_digest.to_string()));
    return;
  }
  if (report.manifest && record->entry.value("manifest", "") != report.manifest->to_string()) {
    steps.fail("log", log_title,
               fmt::format("the log entry names manifest {}, not {}", record->entry.value("manifest", "?"),
                           report.manifest->to_string()));
    return;
  }
  auto opened = registry::open_note(record->checkpoint, *verifier);
  if (!opened.ok()) {
    steps.fail("log", log_title,
               fmt::format("the checkpoint is not signed by the pinned log key {}: {}", verifier->name,
                           opened.error().message()));
    return;
  }
  auto checkpoint = registry::parse_checkpoint(*opened);
  if (!checkpoint.ok()) {
    steps.fail("log", log_title, "the checkpoint: " + checkpoint.error().message());
    return;
  }
  auto leaf = canonical_json(record->entry);
  if (!leaf.ok()) {
    steps.fail("log", log_title, "the log entry: " + leaf.error().message());
    return;
  }
  Result<void> included = registry::verify_inclusion(registry::leaf_hash(*leaf), record->index, checkpoint->size,
                                                     record->proof, checkpoint->root);
  if (!included.ok()) {
    steps.fail("log", log_title,
               fmt::format("entry {} is not in the log's tree of size {}: {}", record->index, checkpoint->size,
                           included.error().message()));
    return;
  }
  report.log_index = record->index;

  std::optional<registry::RegistryClient> client;
  if (artifact.reference && !options.offline) client.emplace(*artifact.reference, options.client);
  ConsistencyProver prove =
      [&client](std::uint64_t first, std::uint64_t second) -> Result<std::optional<std::vector<registry::Hash>>> {
    if (!client) return std::optional<std::vector<registry::Hash>>{};
    std::optional<std::string> answer = CAIRN_TRY(
        client->get_text(fmt::format("/log/proof/consistency?first={}&second={}", first, second), max_log_file_size));
    if (!answer) {
      return make_error(ErrorCode::refused, "the log has no consistency proof from size {} to {}", first, second);
    }
    Json json = CAIRN_TRY(parse_json(*answer));
    JsonReader document(json);
    std::vector<registry::Hash> proof;
    for (const std::string& text_hash : CAIRN_TRY(document.strings("proof"))) {
      registry::Hash hash = CAIRN_TRY(registry::hash_from_base64(text_hash));
      proof.push_back(hash);
    }
    return std::optional<std::vector<registry::Hash>>(std::move(proof));
  };
  fs::path state = options.log_state;
  if (state.empty()) {
    auto directory = state_directory();
    if (!directory.ok()) {
      steps.fail("log", log_title, directory.error().message());
      return;
    }
    state = *directory / "logs";
  }
  auto outcome = witness_checkpoint(state, *policy.log_vkey, *verifier, record->checkpoint, *checkpoint, prove);
  if (!outcome.ok()) {
    steps.fail("log", log_title, outcome.error().message());
    return;
  }
  std::string detail = fmt::format("entry {} of {}; {}", record->index, checkpoint->origin,
                                   witness_detail(*outcome, *checkpoint));
  if (outcome->kind == WitnessOutcome::Kind::unproven) {
    steps.warn("log", log_title, std::move(detail));
  } else {
    steps.pass("log", log_title, std::move(detail));
  }
}

// --- Step: dependencies -------------------------------------------------------------------

// The lock the build recorded, checked against the provenance's own list of libraries and
// manifest, and against the image's .note.cairn. Empty when they agree, else why not.
Result<std::string> check_build_record(Artifact& artifact) {
  const Provenance& provenance = *artifact.provenance;
  std::optional<manifest::LockFile> lock = CAIRN_TRY(lock_in_provenance(provenance));
  if (!lock) return std::string("the provenance holds no cairn.lock byproduct");
  Result<void> agree = check_libraries_agree(provenance, *lock, "the provenance's lock");
  if (!agree.ok()) return agree.error().message();
  const ResourceDescriptor* manifest_descriptor =
      reproducibility::find_descriptor(provenance.resolved_dependencies, "manifest");
  if (manifest_descriptor == nullptr ||
      manifest_descriptor->uri != fmt::format("{}{}", manifest_uri_prefix, lock->repository) ||
      manifest_descriptor->annotations.value("development", !lock->development) != lock->development) {
    return std::string("the provenance's manifest does not match the lock's");
  }
  auto notes = reproducibility::read_image_notes(artifact.image);
  if (!notes.ok()) return "the image's notes: " + notes.error().message();
  if (!notes->build) return std::string("the image has no .note.cairn, so it cannot be tied to its provenance");
  Result<void> noted = check_lock_matches_note(*lock, *notes->build, "the provenance's lock");
  if (!noted.ok()) return noted.error().message();
  if (notes->build->manifest.to_string() != lock->repository) {
    return fmt::format("the image's .note.cairn names manifest {}, the lock {}", notes->build->manifest.to_string(),
                       lock->repository);
  }
  artifact.lock = std::move(*lock);
  return std::string();
}

void check_dependencies(Artifact& artifact, const ImagePolicy& policy, const VerifyOptions& options, Steps& steps) {
  auto record = check_build_record(artifact);
  if (!record.ok()) {
    steps.fail("dependencies", dependencies_title, record.error().message());
    return;
  }
  if (!record->empty()) {
    steps.fail("dependencies", dependencies_title, *record);
    return;
  }
  const manifest::LockFile& lock = *artifact.lock;
  bool development_allowed = policy.manifest && policy.manifest->development;
  if (lock.development && !development_allowed) {
    steps.fail("dependencies", dependencies_title,
               "built from a development manifest (cairn manifest dev), which the policy refuses; allow it with "
               "\"manifest\": {…, \"development\": true}");
    return;
  }
  std::string agreed = fmt::format("the lock ({} libraries), the provenance and the image's .note.cairn agree",
                                   lock.libraries.size());
  if (policy.skip_manifest) {
    steps.pass("dependencies", dependencies_title, agreed + "; the manifest not checked (policy: skip)");
    return;
  }
  if (!policy.manifest) {
    steps.fail("dependencies", dependencies_title,
               "the policy pins no manifest root for this image: add \"manifest\": {\"root\": \"root.json\"}, or "
               "\"manifest\": \"skip\"");
    return;
  }
  manifest::ManifestRequest request;
  request.location = policy.manifest->location;
  if (request.location.empty() && artifact.reference) {
    request.location = artifact.reference->base_url() + "/manifest/";
  }
  if (request.location.empty()) {
    steps.fail("dependencies", dependencies_title,
               "the policy gives no manifest location, and a folder has no registry to ask: add \"location\"");
    return;
  }
  if (options.offline && (request.location.starts_with("http://") || request.location.starts_with("https://"))) {
    steps.fail("dependencies", dependencies_title,
               fmt::format("offline, and the manifest is at {}: give a folder as \"location\"", request.location));
    return;
  }
  request.root_file = policy.manifest->root;
  request.verify.clock = options.clock;
  auto opened = manifest::open_manifest(request);
  if (!opened.ok()) {
    steps.fail("dependencies", dependencies_title,
               fmt::format("the manifest at {}: {}", request.location, opened.error().message()));
    return;
  }
  const manifest::VerifiedRepository& repository = opened->verified;
  if (repository.identity.to_string() != lock.repository) {
    steps.fail("dependencies", dependencies_title,
               fmt::format("built against manifest {}, but the policy pins manifest {}", lock.repository,
                           repository.identity.to_string()));
    return;
  }
  std::size_t resigned = 0;
  for (const auto& [name, locked] : lock.libraries) {
    const manifest::VerifiedLibrary* library = repository.find(name, locked.version);
    if (library == nullptr) {
      steps.fail("dependencies", dependencies_title,
                 fmt::format("{} {} is not in the manifest (snapshot {})", name, locked.version,
                             repository.snapshot.version));
      return;
    }
    if (library->entry.tree != locked.tree) {
      steps.fail("dependencies", dependencies_title,
                 fmt::format("{} {}: the build used tree {}, the manifest's signed entry says {}", name,
                             locked.version, locked.tree.to_string(), library->entry.tree.to_string()));
      return;
    }
    if (library->document_digest != locked.entry) ++resigned;
  }
  artifact.repository = repository;
  std::string detail = fmt::format("{}; every library signed by its maintainers in manifest {} (snapshot {}, built "
                                   "with snapshot {})",
                                   agreed, lock.repository, repository.snapshot.version, lock.snapshot_version);
  if (resigned > 0) detail += fmt::format("; {} entries re-signed since the build, same trees", resigned);
  steps.pass("dependencies", dependencies_title, std::move(detail));
}

// --- Step: advisories ---------------------------------------------------------------------

void check_advisories(const Artifact& artifact, const ImagePolicy& policy, Steps& steps) {
  std::vector<std::string> yanked, advised;
  for (const auto& [name, locked] : artifact.lock->libraries) {
    const manifest::VerifiedLibrary* library = artifact.repository->find(name, locked.version);
    if (library == nullptr) continue;  // the dependencies step refused it already
    if (library->entry.yanked) yanked.push_back(fmt::format("{} {} is yanked: {}", name, locked.version,
                                                            *library->entry.yanked));
    auto version = manifest::Version::parse(locked.version);
    if (!version.ok()) continue;
    for (const auto& advisory : manifest::advisories_affecting(library->entry, *version)) {
      advised.push_back(
          fmt::format("advisory {} affects {} {}: {}", advisory.id, name, locked.version, advisory.summary));
    }
  }
  std::vector<std::string> denied, warned;
  auto sort_into = [&](const std::vector<std::string>& findings, Allowance allowance) {
    for (const auto& finding : findings) {
      if (allowance == Allowance::deny) denied.push_back(finding);
      if (allowance == Allowance::warn) warned.push_back(finding);
    }
  };
  sort_into(yanked, policy.yanked);
  sort_into(advised, policy.advisories);
  if (!denied.empty()) {
    steps.fail("advisories", advisories_title, fmt::format("{}", fmt::join(denied, "; ")));
  } else if (!warned.empty()) {
    steps.warn("advisories", advisories_title, fmt::format("{} (the policy warns)", fmt::join(warned, "; ")));
  } else {
    std::size_t allowed = yanked.size() + advised.size();
    steps.pass("advisories", advisories_title,
               allowed == 0 ? fmt::format("none in {} libraries", artifact.lock->libraries.size())
                            : fmt::format("{} findings the policy allows", allowed));
  }
}

// --- Step: rebuilds -----------------------------------------------------------------------

// The rebuild attestations in the artifact's attestations/ folder (`cairn pull` writes every one
// attached in the registry there), each checked against the policy's rebuilder keys.
void check_rebuilds(const Artifact& artifact, const ImagePolicy& policy, const VerifyReport& report, Steps& steps) {
  auto keys = signing::TrustedKeys::load(policy.rebuilder_keys);
  if (!keys.ok()) {
    steps.fail("rebuilds", rebuilds_title, "the policy's rebuilder keys: " + keys.error().message());
    return;
  }
  std::set<std::string> reproduced, not_reproduced;
  std::error_code error;
  fs::path folder = artifact.folder / "attestations";
  std::vector<fs::path> files;
  if (fs::is_directory(folder, error)) {
    for (const auto& item : fs::directory_iterator(folder, error)) {
      if (item.path().extension() == ".json") files.push_back(item.path());
    }
  }
  std::sort(files.begin(), files.end());
  if (files.size() > registry::max_attached_envelopes) files.resize(registry::max_attached_envelopes);
  for (const fs::path& file : files) {
    auto bytes = read_file(file, signing::dsse::max_envelope_file_size);
    if (!bytes.ok()) continue;
    std::optional<RebuildAttestation> attestation =
        read_rebuild_attestation(*bytes, Digest::sha256_of(*bytes), *report.image, &*keys);
    if (!attestation) continue;
    for (const auto& rebuilder : attestation->verified) {
      (attestation->passed ? reproduced : not_reproduced).insert(rebuilder);
    }
  }
  for (const auto& rebuilder : reproduced) not_reproduced.erase(rebuilder);
  std::string detail = fmt::format("{} of {} required pinned rebuilders reproduced {}", reproduced.size(),
                                   policy.rebuilds, report.image->to_string());
  if (!reproduced.empty()) detail += fmt::format(" ({})", fmt::join(reproduced, ", "));
  if (!not_reproduced.empty()) {
    detail += fmt::format("; {} reported a different result: {}", not_reproduced.size(),
                          fmt::join(not_reproduced, ", "));
  }
  if (reproduced.size() < policy.rebuilds) {
    if (files.empty()) detail += fmt::format(" (no attestations in {})", folder.string());
    steps.fail("rebuilds", rebuilds_title, std::move(detail));
  } else if (!not_reproduced.empty()) {
    steps.warn("rebuilds", rebuilds_title, std::move(detail));
  } else {
    steps.pass("rebuilds", rebuilds_title, std::move(detail));
  }
}

// --- The artifact -------------------------------------------------------------------------

// Reads the folder's manifest (when it has one) and envelope. Refused when a file is unreadable.
Result<void> read_artifact(Artifact& artifact, VerifyReport& report) {
  artifact.oci_manifest = CAIRN_TRY(read_optional(artifact.folder / "manifest.json", registry::max_manifest_size));
  if (artifact.oci_manifest) {
    registry::ImageManifest parsed = CAIRN_TRY(registry::parse_manifest(*artifact.oci_manifest));
    artifact.parsed_manifest = std::move(parsed);
    report.manifest = Digest::sha256_of(*artifact.oci_manifest);
  }
  artifact.envelope_bytes = CAIRN_TRY(
      read_optional(artifact.folder / "provenance.dsse.json", signing::dsse::max_envelope_file_size));
  return {};
}

// The unikernel's name in the provenance, read without trusting it (only to choose a policy entry
// for a folder; the entry's keys must then sign that provenance).
std::string unikernel_name(const fs::path& folder) {
  auto text = read_file(folder / "provenance.json", reproducibility::max_provenance_size);
  if (!text.ok()) return {};
  auto provenance = reproducibility::parse_provenance_statement(*text);
  if (!provenance.ok()) return {};
  const Json& unikernel = provenance->external_parameters.contains("unikernel")
                              ? provenance->external_parameters["unikernel"]
                              : Json();
  return unikernel.is_object() ? unikernel.value("name", "") : "";
}

}  // namespace

std::string_view to_string(StepStatus status) {
  switch (status) {
    case StepStatus::passed:
      return "passed";
    case StepStatus::warning:
      return "warning";
    case StepStatus::failed:
      return "failed";
    case StepStatus::skipped:
      return "skipped";
    case StepStatus::not_required:
      return "not required";
  }
  return "failed";
}

bool VerifyReport::accepted() const {
  if (steps.empty()) return false;
  for (const auto& step : steps) {
    if (step.status == StepStatus::failed || step.status == StepStatus::skipped) return false;
  }
  return true;
}

Result<VerifyReport> verify_image(const VerifyOptions& options) {
  VerifyReport report;
  report.target = options.target;
  Artifact artifact;
  std::optional<TemporaryDirectory> scratch;
  if (is_folder(options.target)) {
    artifact.folder = options.target;
    std::string name = options.name.empty() ? unikernel_name(artifact.folder) : options.name;
    if (!name.empty()) report.names.push_back(name);
  } else {
    if (options.offline) {
      return make_error(ErrorCode::invalid_argument, "{}: not a folder, and --offline contacts no registry",
                        options.target);
    }
    registry::Reference reference = CAIRN_TRY(registry::parse_reference(options.target));
    report.names = {reference.host + "/" + reference.repository, reference.repository};
    artifact.reference = reference;
  }
  const ImagePolicy* policy = options.policy.for_image(report.names);
  if (policy == nullptr) {
    return make_error(ErrorCode::refused, "the policy has no entry for {}{}",
                      report.names.empty() ? options.target : fmt::format("{}", fmt::join(report.names, " or ")),
                      artifact.reference ? "" : " (name a folder's image with --name)");
  }
  report.policy_match = policy->match;
  Steps steps(report);

  if (artifact.reference) {
    TemporaryDirectory directory = CAIRN_TRY(TemporaryDirectory::create("cairn-verify-"));
    scratch.emplace(std::move(directory));
    registry::PullOptions pull;
    pull.reference = *artifact.reference;
    pull.destination = scratch->path() / "artifact";
    pull.client = options.client;
    auto pulled = registry::pull(pull);
    if (!pulled.ok()) {
      steps.fail("fetch", fetch_title, pulled.error().message());
    } else {
      artifact.folder = pull.destination;
      registry::RegistryClient client(*artifact.reference, options.client);
      auto envelopes = registry::fetch_attached_envelopes(client, pulled->manifest);
      if (!envelopes.ok()) {
        steps.fail("fetch", fetch_title, envelopes.error().message());
      } else {
        artifact.attached_envelopes = std::move(*envelopes);
        steps.pass("fetch", fetch_title,
                   fmt::format("{} files and {} signature envelopes of {}", pulled->files.size(),
                               artifact.attached_envelopes.size(), artifact.reference->with_digest(pulled->manifest)));
      }
    }
  }
  if (!steps.failed()) {
    Result<void> read = read_artifact(artifact, report);
    if (!read.ok()) {
      steps.fail("fetch", fetch_title, read.error().message());
    } else if (!artifact.reference) {
      steps.pass("fetch", fetch_title, fmt::format("read from {}", artifact.folder.string()));
    }
  }
  const std::string not_run = "not checked: an earlier step failed";
  if (!steps.failed()) {
    check_signatures(artifact, *policy, steps);
  } else {
    steps.skip("signatures", signatures_title, not_run);
  }
  bool have_provenance = artifact.provenance.has_value();
  if (have_provenance) {
    check_subject(artifact, report, steps);
  } else {
    steps.skip("subject", subject_title, not_run);
  }
  bool subject_ok = have_provenance && report.steps.back().status == StepStatus::passed;
  if (subject_ok) {
    check_log(artifact, *policy, options, report, steps);
    check_dependencies(artifact, *policy, options, steps);
  } else {
    steps.skip("log", log_title, not_run);
    steps.skip("dependencies", dependencies_title, not_run);
  }
  if (artifact.repository) {
    check_advisories(artifact, *policy, steps);
  } else if (subject_ok && policy->skip_manifest && artifact.lock) {
    steps.not_required("advisories", advisories_title, "the policy skips the manifest, where advisories are");
  } else {
    steps.skip("advisories", advisories_title, "not checked: the manifest was not verified");
  }
  if (policy->rebuilds == 0) {
    steps.not_required("rebuilds", rebuilds_title, "the policy asks for no rebuild attestations");
  } else if (!subject_ok) {
    steps.skip("rebuilds", rebuilds_title, not_run);
  } else {
    check_rebuilds(artifact, *policy, report, steps);
  }
  return report;
}

}  // namespace cairn::consumer
