// `cairn rebuild` (see rebuild.h): unpack the published sources, build them locked and cold, and
// compare; explain a mismatch; attest the outcome.
#include "cairn/consumer/rebuild.h"

#include "cairn/builder/build.h"
#include "cairn/builder/toolchain.h"
#include "cairn/consumer/build_record.h"
#include "cairn/consumer/intoto.h"
#include "cairn/consumer/verify.h"
#include "cairn/core/canonical_json.h"
#include "cairn/core/file.h"
#include "cairn/core/json_reader.h"
#include "cairn/core/subprocess.h"
#include "cairn/core/time.h"
#include "cairn/core/xdg.h"
#include "cairn/manifest/lock.h"
#include "cairn/registry/descriptor.h"
#include "cairn/registry/oci.h"
#include "cairn/registry/publish.h"
#include "cairn/registry/reference.h"
#include "cairn/reproducibility/archive.h"
#include "cairn/reproducibility/binary_diff.h"
#include "cairn/reproducibility/provenance.h"
#include "cairn/signing/dsse.h"

#include <fmt/format.h>

#include <map>

namespace cairn::consumer {

namespace fs = std::filesystem;
using reproducibility::Provenance;
using reproducibility::ResourceDescriptor;

namespace {

constexpr std::string_view program_uri_prefix = "file://";
constexpr std::string_view package_uri_prefix = "pkg:deb/debian/";

bool is_toolchain(const ResourceDescriptor& descriptor) {
  return descriptor.annotations.is_object() && descriptor.annotations.value("toolchain", false);
}

// The lock a provenance carries (its "cairn.lock" byproduct, checked), with its exact text.
Result<std::pair<manifest::LockFile, std::string>> provenance_lock(const Provenance& provenance) {
  std::optional<manifest::LockFile> lock = CAIRN_TRY(lock_in_provenance(provenance));
  if (!lock) return make_error(ErrorCode::malformed, "the provenance holds no cairn.lock byproduct");
  CAIRN_TRY(check_libraries_agree(provenance, *lock, "the provenance's lock"));
  const ResourceDescriptor* descriptor = reproducibility::find_descriptor(provenance.byproducts, "cairn.lock");
  return std::pair<manifest::LockFile, std::string>(std::move(*lock), *descriptor->content);
}

// Unpacks every sources/*.tar.gz of `folder`, matching each to a library of `lock` or to the app by
// its tree digest. Libraries land in <work>/sources/<name>, the app in <work>/app.
Result<void> unpack_sources(const fs::path& folder, const manifest::LockFile& lock, const Digest& app_tree,
                            const fs::path& work) {
  std::map<Digest, std::string> wanted;  // tree -> library name ("" for the app)
  for (const auto& [name, library] : lock.libraries) wanted.emplace(library.tree, name);
  wanted.emplace(app_tree, std::string());
  std::error_code error;
  fs::create_directories(work / "sources", error);
  fs::create_directories(work / "unpacked", error);
  if (error) return make_error(ErrorCode::io, "{}: {}", work.string(), error.message());
  std::vector<fs::path> archives;
  for (const auto& item : fs::directory_iterator(folder / "sources", error)) archives.push_back(item.path());
  if (error) return make_error(ErrorCode::not_found, "{}/sources: {}", folder.string(), error.message());
  std::sort(archives.begin(), archives.end());
  std::size_t index = 0;
  for (const fs::path& archive : archives) {
    fs::path unpacked = work / "unpacked" / std::to_string(index++);
    reproducibility::ExtractReport report =
        CAIRN_TRY(reproducibility::extract_archive(archive, unpacked).with_context(archive.filename().string()));
    auto it = wanted.find(report.tree);
    if (it == wanted.end()) {
      return make_error(ErrorCode::refused, "sources/{} holds tree {}, which is neither a library of the lock nor the app",
                        archive.filename().string(), report.tree.to_string());
    }
    fs::path destination = it->second.empty() ? work / "app" : work / "sources" / it->second;
    fs::rename(unpacked, destination, error);
    if (error) return make_error(ErrorCode::io, "rename into {}: {}", destination.string(), error.message());
    wanted.erase(it);
  }
  for (const auto& [tree, name] : wanted) {
    return make_error(ErrorCode::not_found, "the artifact has no source archive for {} (tree {})",
                      name.empty() ? std::string("the app") : "library " + name, tree.to_string());
  }
  return {};
}

std::string program_text(const fs::path& path, const std::optional<Digest>& digest) {
  return fmt::format("{} {}", path.string(), digest ? digest->to_string() : std::string("(no digest)"));
}

// The diffoscope report of the two images, into `report`, when diffoscope is installed.
std::string run_diffoscope(const fs::path& published, const fs::path& rebuilt, const fs::path& report) {
  fs::path diffoscope = find_in_path("diffoscope");
  if (diffoscope.empty()) return "diffoscope is not installed";
  auto exit = run_to_file({diffoscope.string(), "--no-progress", "--timeout", "120", published.string(),
                           rebuilt.string()},
                          report);
  if (!exit.ok()) return "diffoscope did not run: " + exit.error().message();
  // diffoscope exits 1 when the files differ, which is the case here.
  if (exit->shell_status() > 1) return fmt::format("diffoscope failed (status {}); see {}", exit->shell_status(),
                                                    report.string());
  return {};
}

// The SLSA VSA statement about `image`.
Json verification_summary(const RebuildReport& report, const Provenance& provenance, std::string_view resource,
                          const builder::Toolchain& toolchain, std::int64_t now) {
  Json version = {{"cairn", CAIRN_VERSION}, {"g++", toolchain.version}};
  for (const auto& [package, package_version] : toolchain.packages) version[package] = package_version;
  Json predicate = {{"verifier", {{"id", rebuilder_id}, {"version", version}}},
                    {"timeVerified", format_rfc3339(now)},
                    {"resourceUri", std::string(resource)},
                    {"policy", {{"uri", "urn:cairn:policy:bit-for-bit-rebuild"}}},
                    {"verificationResult", report.reproduced ? "PASSED" : "FAILED"},
                    {"verifiedLevels", Json::array({report.reproduced ? "CAIRN_REPRODUCED" : "FAILED"})},
                    {"slsaVersion", "1.0"}};
  if (!report.reproduced) predicate["rebuiltDigest"] = {{"sha256", report.rebuilt.hex()}};
  return {{"_type", reproducibility::statement_type},
          {"subject", Json::array({{{"name", provenance.subject_name}, {"digest", {{"sha256", report.expected.hex()}}}}})},
          {"predicateType", vsa_predicate_type},
          {"predicate", predicate}};
}

// Signs the VSA and pushes it as a referrer of the image manifest.
Result<Digest> publish_attestation(const registry::Reference& reference, const registry::ClientOptions& client_options,
                                   const Digest& manifest_digest, std::uint64_t manifest_size,
                                   const std::string& statement, const std::vector<const signing::Signer*>& signers) {
  signing::dsse::Envelope envelope =
      CAIRN_TRY(signing::dsse::sign(signing::dsse::in_toto_payload_type, statement, signers));
  std::string envelope_bytes = CAIRN_TRY(signing::dsse::serialize_envelope(envelope));
  registry::RegistryClient client(reference, client_options);
  std::optional<std::string> referrers = CAIRN_TRY(client.fetch_referrers(manifest_digest));
  if (!referrers) {
    return make_error(ErrorCode::unsupported,
                      "{} has no referrers API, where rebuild attestations are kept (Cairn's registry has it)",
                      reference.base_url());
  }
  registry::Descriptor layer = registry::Descriptor::of(registry::dsse_envelope_media_type, envelope_bytes);
  layer.annotations[std::string(registry::annotation_title)] = "rebuild.dsse.json";
  registry::Descriptor config = registry::Descriptor::of(registry::oci_empty_media_type, registry::oci_empty_blob);
  CAIRN_TRY(client.push_blob(layer, envelope_bytes));
  CAIRN_TRY(client.push_blob(config, registry::oci_empty_blob));
  registry::ImageManifest attestation;
  attestation.artifact_type = std::string(registry::rebuild_attestation_type);
  attestation.config = config;
  attestation.layers = {layer};
  registry::Descriptor subject;
  subject.media_type = std::string(registry::oci_manifest_media_type);
  subject.digest = manifest_digest;
  subject.size = manifest_size;
  attestation.subject = subject;
  std::string bytes = CAIRN_TRY(registry::serialize_manifest(attestation));
  Digest digest = Digest::sha256_of(bytes);
  CAIRN_TRY(client.push_manifest(digest.to_string(), registry::oci_manifest_media_type, bytes));
  return digest;
}

// One attestation from the registry, or nullopt when it is not a VSA about `image` in a DSSE envelope.
Result<std::optional<RebuildAttestation>> fetch_attestation(registry::RegistryClient& client, const Digest& manifest,
                                                            const Digest& image, const signing::TrustedKeys* keys) {
  std::optional<registry::FetchedManifest> fetched = CAIRN_TRY(client.fetch_manifest(manifest.to_string()));
  if (!fetched) return std::optional<RebuildAttestation>{};
  registry::ImageManifest attestation = CAIRN_TRY(registry::parse_manifest(fetched->bytes));
  if (attestation.layers.size() != 1 || attestation.layers[0].media_type != registry::dsse_envelope_media_type) {
    return std::optional<RebuildAttestation>{};
  }
  std::string bytes = CAIRN_TRY(client.fetch_blob(attestation.layers[0], signing::dsse::max_envelope_file_size));
  return read_rebuild_attestation(bytes, manifest, image, keys);
}

}  // namespace

std::optional<RebuildAttestation> read_rebuild_attestation(std::string_view bytes, const Digest& manifest,
                                                           const Digest& image, const signing::TrustedKeys* keys) {
  Result<signing::dsse::Envelope> envelope = signing::dsse::parse_envelope(bytes);
  if (!envelope.ok() || envelope->payload_type != signing::dsse::in_toto_payload_type) {
    return std::nullopt;
  }
  Result<Json> statement = parse_json(envelope->payload);
  if (!statement.ok() || !statement->is_object() || statement->value("predicateType", "") != vsa_predicate_type) {
    return std::nullopt;
  }
  const Json& subjects = (*statement)["subject"];
  if (!subjects.is_array() || subjects.size() != 1 || !subjects[0].is_object() ||
      !subjects[0].contains("digest") || !subjects[0]["digest"].is_object() ||
      subjects[0]["digest"].value("sha256", "") != image.hex()) {
    return std::nullopt;
  }
  const Json& predicate = (*statement)["predicate"];
  if (!predicate.is_object()) return std::nullopt;
  RebuildAttestation found;
  found.manifest = manifest;
  for (const auto& signature : envelope->signatures) found.keyids.push_back(signature.keyid);
  found.passed = predicate.value("verificationResult", "") == "PASSED";
  found.time_verified = predicate.value("timeVerified", "");
  if (predicate.contains("verifier") && predicate["verifier"].is_object()) {
    found.verifier = predicate["verifier"].value("id", "");
  }
  if (keys != nullptr) {
    const std::string accepted[] = {std::string(signing::dsse::in_toto_payload_type)};
    auto signed_by = signing::dsse::verify(*envelope, *keys, 1, accepted);
    if (signed_by.ok()) {
      for (const auto& signer : signed_by->signers) found.verified.push_back(signer.keyid);
    }
  }
  return found;
}


Result<std::vector<RebuildAttestation>> find_rebuild_attestations(registry::RegistryClient& client,
                                                                  const Digest& manifest, const Digest& image,
                                                                  const signing::TrustedKeys* keys) {
  std::optional<std::string> referrers = CAIRN_TRY(client.fetch_referrers(manifest));
  if (!referrers) {
    return make_error(ErrorCode::unsupported, "the registry has no referrers API, where rebuild attestations are kept");
  }
  Json index = CAIRN_TRY(parse_json(*referrers));
  JsonReader reader(index);
  std::vector<RebuildAttestation> found;
  std::size_t count = 0;
  for (const JsonReader& item : CAIRN_TRY(reader.elements_of("manifests"))) {
    registry::Descriptor descriptor = CAIRN_TRY(registry::read_descriptor(item));
    if (descriptor.artifact_type != registry::rebuild_attestation_type) continue;
    if (++count > registry::max_attached_envelopes) break;
    std::optional<RebuildAttestation> attestation = CAIRN_TRY(fetch_attestation(client, descriptor.digest, image, keys));
    if (attestation) found.push_back(std::move(*attestation));
  }
  return found;
}

namespace {

// The toolchain `compiler` finds here, remembered where `cairn build` remembers it (so the build
// that follows does not probe it again).
Result<builder::Toolchain> local_toolchain(const std::string& compiler) {
  fs::path memos = CAIRN_TRY(cache_directory()) / "memo";
  std::error_code error;
  fs::create_directories(memos, error);
  return builder::find_toolchain(compiler, error ? fs::path() : memos / "toolchain.json");
}

}  // namespace

Result<std::vector<ToolchainDifference>> compare_toolchain(const Provenance& provenance, const std::string& compiler) {
  builder::Toolchain here = CAIRN_TRY(local_toolchain(compiler));
  std::vector<ToolchainDifference> differences;
  std::map<std::string, const builder::ToolchainProgram*> programs;
  for (const auto& program : here.programs) programs.emplace(program.role, &program);
  std::map<std::string, std::string> packages = here.packages;
  for (const ResourceDescriptor& recorded : provenance.resolved_dependencies) {
    if (!is_toolchain(recorded)) continue;
    if (recorded.uri.starts_with(program_uri_prefix)) {
      fs::path path = recorded.uri.substr(program_uri_prefix.size());
      auto it = programs.find(recorded.name);
      if (it == programs.end()) {
        differences.push_back({"program " + recorded.name, program_text(path, recorded.digest), "absent"});
        continue;
      }
      if (it->second->path != path || !recorded.digest || *recorded.digest != it->second->digest) {
        differences.push_back({"program " + recorded.name, program_text(path, recorded.digest),
                               program_text(it->second->path, it->second->digest)});
      }
      programs.erase(it);
    } else if (recorded.uri.starts_with(package_uri_prefix)) {
      std::string rest = recorded.uri.substr(package_uri_prefix.size());
      std::size_t at = rest.find('@');
      std::string version = at == std::string::npos ? std::string() : rest.substr(at + 1);
      auto it = packages.find(recorded.name);
      if (it == packages.end()) {
        differences.push_back({"package " + recorded.name, version, "absent"});
        continue;
      }
      if (it->second != version) differences.push_back({"package " + recorded.name, version, it->second});
      packages.erase(it);
    }
  }
  for (const auto& [role, program] : programs) {
    differences.push_back({"program " + role, "absent", program_text(program->path, program->digest)});
  }
  for (const auto& [package, version] : packages) differences.push_back({"package " + package, "absent", version});
  return differences;
}

Result<RebuildReport> rebuild_image(const RebuildOptions& options) {
  RebuildReport report;
  report.target = options.target;
  auto progress = [&options](std::string_view line) {
    if (options.on_progress) options.on_progress(line);
  };

  // The folder to rebuild from: the target, or the target pulled.
  std::optional<TemporaryDirectory> scratch;
  fs::path work = options.work;
  if (work.empty()) {
    TemporaryDirectory directory = CAIRN_TRY(TemporaryDirectory::create("cairn-rebuild-"));
    work = directory.path();
    scratch.emplace(std::move(directory));
  } else {
    std::error_code error;
    if (fs::exists(work, error)) return make_error(ErrorCode::already_exists, "{} already exists", work.string());
    fs::create_directories(work, error);
    if (error) return make_error(ErrorCode::io, "create {}: {}", work.string(), error.message());
  }
  std::optional<registry::Reference> reference;
  fs::path folder;
  std::error_code error;
  if (fs::is_directory(options.target, error)) {
    folder = options.target;
  } else {
    reference = CAIRN_TRY(registry::parse_reference(options.target));
    registry::PullOptions pull;
    pull.reference = *reference;
    pull.destination = work / "artifact";
    pull.client = options.client;
    progress(fmt::format("pulling {}", options.target));
    CAIRN_TRY(registry::pull(pull));
    folder = pull.destination;
  }
  std::string statement = CAIRN_TRY(read_file(folder / "provenance.json", reproducibility::max_provenance_size));
  Provenance provenance = CAIRN_TRY(reproducibility::parse_provenance_statement(statement).with_context("provenance.json"));
  auto [lock, lock_text] = CAIRN_TRY(provenance_lock(provenance));
  report.expected = provenance.subject_digest;
  std::optional<std::string> manifest_bytes;
  if (fs::exists(folder / "manifest.json", error)) {
    std::string bytes = CAIRN_TRY(read_file(folder / "manifest.json", registry::max_manifest_size));
    report.manifest = Digest::sha256_of(bytes);
    manifest_bytes = std::move(bytes);
  }

  // 1. Verified as of the build time, when a policy is given.
  if (options.policy) {
    VerifyOptions verify;
    // A reference is verified as such (pulled again, its signatures and log entry fetched), so
    // that the registry's manifest, log proofs and attestations are at hand, and pinned to the
    // manifest just pulled, so that a tag moved in between cannot swap what is verified; a
    // folder offline.
    verify.target = reference && report.manifest ? reference->with_digest(*report.manifest) : folder.string();
    verify.policy = *options.policy;
    verify.name = options.name;
    verify.offline = !reference;
    verify.client = options.client;
    std::int64_t built = lock.snapshot_created.value_or(0);
    verify.clock = [built] { return built; };
    progress(fmt::format("verifying as of {}", format_rfc3339(built)));
    VerifyReport verified = CAIRN_TRY(verify_image(verify));
    if (!verified.accepted()) {
      std::vector<std::string> failed;
      for (const auto& step : verified.steps) {
        if (step.status == StepStatus::failed) failed.push_back(fmt::format("{}: {}", step.id, step.detail));
      }
      return make_error(ErrorCode::refused, "not rebuilt: the artifact does not pass the policy as of {}: {}",
                        format_rfc3339(built), fmt::join(failed, "; "));
    }
  }

  // 2. The toolchain it records, against this machine's.
  report.toolchain = CAIRN_TRY(compare_toolchain(provenance, options.compiler));

  // 3. The sources, matched by tree.
  const ResourceDescriptor* app = reproducibility::find_descriptor(provenance.resolved_dependencies, "app");
  if (app == nullptr || !app->digest) return make_error(ErrorCode::malformed, "the provenance names no app tree");
  progress("unpacking the sources");
  CAIRN_TRY(unpack_sources(folder, lock, *app->digest, work));
  CAIRN_TRY(write_file_atomically(work / "app" / "cairn.lock", lock_text));

  // 4. The build: locked, in the sandbox (unless the original ran without it), cold.
  builder::BuildOptions build;
  build.app = work / "app";
  build.locked = true;
  build.sources = work / "sources";
  build.out = work / "out";
  build.cache = work / "cache";
  build.compiler = options.compiler;
  build.jobs = options.jobs;
  build.sandbox = !provenance.external_parameters.is_object() ||
                  provenance.external_parameters.value("sandbox", true);
  build.on_progress = options.on_progress;
  builder::BuildReport built = CAIRN_TRY(builder::build_unikernel(build).with_context("the rebuild"));
  report.rebuilt = built.image_digest;
  report.seconds = built.seconds;
  report.reproduced = built.image_digest == provenance.subject_digest;
  std::string rebuilt_statement = CAIRN_TRY(read_file(built.provenance, reproducibility::max_provenance_size));
  report.provenance_identical = rebuilt_statement == statement;

  // 5. On a mismatch, why.
  if (!report.reproduced) {
    fs::path published = folder / provenance.subject_name;
    Digest published_digest = CAIRN_TRY(digest_file(published));
    if (published_digest != provenance.subject_digest) {
      return make_error(ErrorCode::refused, "{} is {}, not the provenance's subject {}", published.string(),
                        published_digest.to_string(), provenance.subject_digest.to_string());
    }
    reproducibility::BinaryDifference difference = CAIRN_TRY(reproducibility::compare_binaries(published, built.image));
    report.explanation = reproducibility::describe(difference);
    Result<Provenance> rebuilt_provenance = reproducibility::parse_provenance_statement(rebuilt_statement);
    if (rebuilt_provenance.ok() && rebuilt_provenance->internal_parameters != provenance.internal_parameters) {
      for (const auto& [key, value] : provenance.internal_parameters.items()) {
        if (rebuilt_provenance->internal_parameters.value(key, Json()) != value) {
          report.explanation.push_back(fmt::format("the provenance records {} {}, this rebuild used {}", key,
                                                   value.dump(), rebuilt_provenance->internal_parameters[key].dump()));
        }
      }
    }
    if (!options.work.empty()) {
      report.diffoscope_report = work / "diffoscope.txt";
      report.diffoscope_note = run_diffoscope(published, built.image, report.diffoscope_report);
      if (!report.diffoscope_note.empty()) report.diffoscope_report.clear();
    } else {
      report.diffoscope_note = "keep the rebuild with --work DIR to get diffoscope's report";
    }
  }

  // The attestations.
  if (!options.attest.empty()) {
    builder::Toolchain toolchain = CAIRN_TRY(local_toolchain(options.compiler));
    std::string resource = reference && report.manifest ? reference->with_digest(*report.manifest)
                                                        : fmt::format("{}@{}", provenance.subject_name,
                                                                      provenance.subject_digest.to_string());
    std::string summary =
        CAIRN_TRY(canonical_json(verification_summary(report, provenance, resource, toolchain, options.clock())));
    if (reference && report.manifest) {
      report.attestation_manifest = CAIRN_TRY(publish_attestation(*reference, options.client, *report.manifest,
                                                                  manifest_bytes->size(), summary, options.attest));
    }
    // Classic in-toto links, for Ed25519 keys, and only of a reproduced image: a link says "my
    // rebuild produced this", which is false otherwise.
    if (report.reproduced) {
      fs::path directory = options.link_directory.empty() ? fs::path(".") : options.link_directory;
      for (const signing::Signer* signer : options.attest) {
        const auto* key = dynamic_cast<const signing::Ed25519PrivateKey*>(signer);
        if (key == nullptr) continue;
        Json link = CAIRN_TRY(intoto::sign_metadata(intoto::rebuild_link(provenance.subject_name, report.rebuilt), *key));
        std::string text = CAIRN_TRY(canonical_json(link));
        fs::path file = directory / intoto::link_file_name(key->public_key());
        CAIRN_TRY(write_file_atomically(file, text + "\n"));
        report.links.push_back(file);
      }
    }
  }
  return report;
}

}  // namespace cairn::consumer
