// `cairn audit` (see audit.h): the build record read from the target, the manifest (when given)
// consulted for each library, and the warnings a consumer should see.
#include "cairn/consumer/audit.h"
#include "cairn/consumer/rebuild.h"
#include "cairn/registry/reference.h"

#include "cairn/core/time.h"
#include "cairn/manifest/lock.h"

#include <fmt/format.h>

namespace cairn::consumer {

namespace {

std::string days_left(std::int64_t expires, std::int64_t now) {
  std::int64_t days = (expires - now) / (24 * 60 * 60);
  return days <= 0 ? "less than a day" : fmt::format("{} day{}", days, days == 1 ? "" : "s");
}

void warn(AuditReport& report, std::string kind, std::string subject, std::string message) {
  report.warnings.push_back(AuditWarning{std::move(kind), std::move(subject), std::move(message)});
}

void warn_if_expiring(AuditReport& report, std::string_view what, std::string subject, std::int64_t expires,
                      std::int64_t now, std::int64_t within = expiry_warning_seconds) {
  if (expires - now >= within) return;
  warn(report, "expiring", std::move(subject),
       fmt::format("{} expires {} (in {})", what, format_rfc3339(expires), days_left(expires, now)));
}

// What the manifest says now about each library, and the warnings that follow from it.
void consult_manifest(AuditReport& report, const manifest::VerifiedRepository& repository, std::int64_t now) {
  warn_if_expiring(report, "the manifest's timestamp", "manifest", report.manifest_now->timestamp_expires, now,
                   short_lived_warning_seconds);
  warn_if_expiring(report, "the manifest's snapshot", "manifest", report.manifest_now->snapshot_expires, now,
                   short_lived_warning_seconds);
  warn_if_expiring(report, "the manifest's root", "manifest", report.manifest_now->root_expires, now);
  for (AuditedLibrary& library : report.libraries) {
    const manifest::VerifiedLibrary* found = repository.find(library.name, library.version);
    if (found == nullptr) {
      warn(report, "not-in-manifest", library.name,
           fmt::format("{} {} is not in the manifest any more (snapshot {})", library.name, library.version,
                       repository.snapshot.version));
      continue;
    }
    library.in_manifest = true;
    library.license = found->entry.license;
    library.description = found->entry.description;
    library.manifest_signers = found->signers;
    library.expires = found->entry.expires;
    library.yanked = found->entry.yanked;
    if (found->entry.tree != library.tree) {
      warn(report, "tree-differs", library.name,
           fmt::format("{} {}: the build used tree {}, the manifest now signs {}", library.name, library.version,
                       library.tree.to_string(), found->entry.tree.to_string()));
    }
    warn_if_expiring(report, fmt::format("the manifest entry of {} {}", library.name, library.version), library.name,
                     found->entry.expires, now);
    if (library.yanked) {
      warn(report, "yanked", library.name, fmt::format("{} {} is yanked: {}", library.name, library.version,
                                                       *library.yanked));
    }
    if (auto version = manifest::Version::parse(library.version); version.ok()) {
      library.advisories = manifest::advisories_affecting(found->entry, *version);
    }
    for (const manifest::Advisory& advisory : library.advisories) {
      warn(report, "advisory", library.name,
           fmt::format("advisory {} affects {} {} ({}): {}", advisory.id, library.name, library.version,
                       advisory.affected, advisory.summary));
    }
  }
}

void warn_single_signers(AuditReport& report) {
  for (const AuditedLibrary& library : report.libraries) {
    // The signatures that count now when the manifest was consulted, else those the build saw.
    const std::vector<std::string>& signers = library.in_manifest ? library.manifest_signers : library.lock_signers;
    if (signers.size() == 1) {
      warn(report, "single-signer", library.name,
           fmt::format("{} {} is signed by a single key ({}): one stolen key could replace it", library.name,
                       library.version, signers.front()));
    }
  }
}

Json library_json(const AuditedLibrary& library) {
  Json json = {{"name", library.name},
               {"version", library.version},
               {"tree", library.tree.to_string()},
               {"entry", library.entry.to_string()},
               {"lock_signers", library.lock_signers},
               {"in_manifest", library.in_manifest}};
  if (library.in_manifest) {
    json["license"] = library.license;
    json["description"] = library.description;
    json["manifest_signers"] = library.manifest_signers;
    if (library.expires) json["expires"] = format_rfc3339(*library.expires);
    json["yanked"] = library.yanked ? Json(*library.yanked) : Json(nullptr);
    Json advisories = Json::array();
    for (const auto& advisory : library.advisories) {
      advisories.push_back({{"id", advisory.id}, {"affected", advisory.affected}, {"summary", advisory.summary}});
    }
    json["advisories"] = std::move(advisories);
  }
  return json;
}

}  // namespace

Result<AuditReport> audit(const AuditOptions& options) {
  std::optional<TemporaryDirectory> scratch;
  ReadTargetOptions target = options.target;
  target.allow_bare = true;
  BuildRecord record = CAIRN_TRY(read_build_record(target, scratch));

  AuditReport report;
  report.target = record.target;
  report.kind = record.kind;
  report.name = record.name;
  report.version = record.version;
  if (record.image) report.image_file = record.image->string();
  report.image_digest = record.image_digest;
  report.note = record.note;
  report.log_index = record.log_index;
  report.oci_manifest = record.oci_manifest;
  report.toolchain = record.toolchain;
  report.lock_source = record.lock_source;
  if (record.lock) {
    const manifest::LockFile& lock = *record.lock;
    report.manifest_identity = lock.repository;
    report.development = lock.development;
    report.snapshot_version = lock.snapshot_version;
    report.snapshot_created = lock.snapshot_created;
    report.libraries_known = true;
    for (const auto& [name, locked] : lock.libraries) {
      AuditedLibrary library;
      library.name = name;
      library.version = locked.version;
      library.tree = locked.tree;
      library.entry = locked.entry;
      library.lock_signers = locked.signers;
      report.libraries.push_back(std::move(library));
    }
    if (lock.development) {
      warn(report, "development-manifest", "manifest",
           "built from a development manifest (cairn manifest dev): its libraries were signed by no maintainer");
    }
  } else {
    report.libraries_missing = record.missing_lock;
    if (record.note) report.manifest_identity = record.note->manifest.to_string();
  }

  if (options.manifest) {
    manifest::OpenedManifest opened = CAIRN_TRY(manifest::open_manifest(*options.manifest));
    const manifest::VerifiedRepository& repository = opened.verified;
    if (report.manifest_identity && repository.identity.to_string() != *report.manifest_identity) {
      return make_error(ErrorCode::refused, "the build used manifest {}, but --manifest {} is manifest {}",
                        *report.manifest_identity, options.manifest->location, repository.identity.to_string());
    }
    ManifestFacts facts;
    facts.location = options.manifest->location;
    facts.snapshot_version = repository.snapshot.version;
    facts.snapshot_expires = repository.snapshot.expires;
    facts.timestamp_expires = repository.timestamp.expires;
    facts.root_expires = repository.root.expires;
    report.manifest_now = facts;
    consult_manifest(report, repository, options.clock());
  }
  warn_single_signers(report);
  // Rebuild attestations live in the registry, beside the image manifest.
  if (record.kind == TargetKind::reference && record.oci_manifest && record.image_digest) {
    registry::Reference reference = CAIRN_TRY(registry::parse_reference(record.target));
    registry::RegistryClient client(reference, options.target.client);
    auto found = find_rebuild_attestations(client, *record.oci_manifest, *record.image_digest, nullptr);
    if (!found.ok()) {
      report.rebuild_attestations_note = found.error().message();
    } else {
      for (const RebuildAttestation& attestation : *found) {
        report.rebuild_attestations.push_back(fmt::format(
            "{} by {} at {} ({})", attestation.passed ? "PASSED" : "FAILED", fmt::join(attestation.keyids, ", "),
            attestation.time_verified.empty() ? "?" : attestation.time_verified,
            attestation.verifier.empty() ? "unknown verifier" : attestation.verifier));
      }
      report.rebuild_attestations_note =
          "signatures not checked here: pin the rebuilders' keys in a policy's \"rebuilds\" and run cairn verify";
    }
  } else if (record.kind != TargetKind::lock) {
    report.rebuild_attestations_note = "kept in the registry: audit the registry reference to see them";
  }
  return report;
}

Json to_json(const AuditReport& report) {
  Json json = {{"target", report.target}, {"kind", to_string(report.kind)}};
  if (report.kind != TargetKind::lock) {
    Json unikernel = {{"name", report.name}};
    if (!report.version.empty()) unikernel["version"] = report.version;
    if (report.image_file) unikernel["image"] = *report.image_file;
    if (report.image_digest) unikernel["digest"] = report.image_digest->to_string();
    unikernel["log_index"] = report.log_index ? Json(*report.log_index) : Json(nullptr);
    if (report.oci_manifest) unikernel["oci_manifest"] = report.oci_manifest->to_string();
    if (report.note) {
      Json note = {{"dependencies", report.note->dependencies.to_string()},
                   {"manifest", report.note->manifest.to_string()}};
      if (report.note->memory_mib) note["memory_mib"] = *report.note->memory_mib;
      unikernel["note"] = std::move(note);
    }
    json["unikernel"] = std::move(unikernel);
  }
  Json manifest = Json::object();
  if (report.manifest_identity) manifest["identity"] = *report.manifest_identity;
  if (report.snapshot_version) manifest["snapshot_version"] = *report.snapshot_version;
  if (report.snapshot_created) manifest["snapshot_created"] = format_rfc3339(*report.snapshot_created);
  manifest["development"] = report.development;
  if (report.manifest_now) {
    manifest["now"] = {{"location", report.manifest_now->location},
                       {"snapshot_version", report.manifest_now->snapshot_version},
                       {"snapshot_expires", format_rfc3339(report.manifest_now->snapshot_expires)},
                       {"timestamp_expires", format_rfc3339(report.manifest_now->timestamp_expires)},
                       {"root_expires", format_rfc3339(report.manifest_now->root_expires)}};
  }
  json["manifest"] = std::move(manifest);
  if (report.libraries_known) {
    Json libraries = Json::array();
    for (const AuditedLibrary& library : report.libraries) libraries.push_back(library_json(library));
    json["libraries"] = std::move(libraries);
    json["lock_source"] = report.lock_source;
  } else {
    json["libraries"] = nullptr;
    json["libraries_missing"] = report.libraries_missing;
  }
  Json toolchain = Json::array();
  for (const ToolchainPackage& tool : report.toolchain) {
    toolchain.push_back({{"name", tool.name}, {"version", tool.version}, {"purl", tool.purl}});
  }
  json["toolchain"] = std::move(toolchain);
  json["rebuild_attestations"] = report.rebuild_attestations;
  if (!report.rebuild_attestations_note.empty()) json["rebuild_attestations_note"] = report.rebuild_attestations_note;
  Json warnings = Json::array();
  for (const AuditWarning& warning : report.warnings) {
    warnings.push_back({{"kind", warning.kind}, {"subject", warning.subject}, {"message", warning.message}});
  }
  json["warnings"] = std::move(warnings);
  return json;
}

}  // namespace cairn::consumer
