// `cairn sbom TARGET --format spdx|cyclonedx [-o FILE]` and `cairn audit TARGET`: what a consumer
// learns about a unikernel's parts (consumer/sbom.h and consumer/audit.h do the work). The SBOM
// is written to FILE (atomically, only when complete) or stdout; the audit is a tree, or one
// JSON object with --json.
#include "command.h"

#include "cairn/consumer/audit.h"
#include "cairn/consumer/intoto.h"
#include "cairn/consumer/sbom.h"
#include "cairn/core/file.h"
#include "cairn/core/time.h"

#include <fmt/format.h>

#include <ctime>
#include <memory>

namespace cairn::cli {

namespace {

// The options both commands share: the target, and the manifest to consult.
struct TargetCommandOptions {
  std::string target;
  std::string manifest;
  std::string root;
  std::string token_file;
  std::string ca_file;
};

struct AuditCommandOptions : TargetCommandOptions {
  // --in-toto-layout: a classic in-toto layout requiring `threshold` of the rebuilders.
  std::string layout_directory;
  std::string owner_key;
  std::vector<std::string> rebuilder_keys;
  std::size_t threshold = 1;
  std::int64_t layout_days = 365;
};

struct SbomCommandOptions : TargetCommandOptions {
  std::string format;
  std::string output;
};

Result<consumer::ReadTargetOptions> target_options(const TargetCommandOptions& options) {
  consumer::ReadTargetOptions target;
  target.target = options.target;
  target.client.token = CAIRN_TRY(registry::load_registry_token(options.token_file));
  target.client.ca_file = options.ca_file;
  target.client.on_notice = [](std::string_view text) { print_notice(std::string(text)); };
  return target;
}

// The manifest to consult, when --manifest or --root was given.
std::optional<manifest::ManifestRequest> manifest_request(const TargetCommandOptions& options) {
  if (options.manifest.empty() && options.root.empty()) return std::nullopt;
  manifest::ManifestRequest request;
  request.location = options.manifest;
  request.root_file = options.root;
  return request;
}

void add_target_options(CLI::App& command, TargetCommandOptions& options, std::string_view what) {
  command.add_option("TARGET", options.target, std::string(what))->required();
  command.add_option("--manifest", options.manifest,
                     "The manifest the build used (folder or URL; default $CAIRN_MANIFEST when --root is given), "
                     "for licenses and the libraries' current state");
  command.add_option("--root", options.root, "The manifest's root, pinned on first use")->check(CLI::ExistingFile);
  command.add_option("--token-file", options.token_file,
                     "The registry token: the first line of FILE (default: $CAIRN_REGISTRY_TOKEN)");
  command.add_option("--ca-file", options.ca_file,
                     "Trust the certificate authorities in this PEM file instead of the system's (a private registry)")
      ->check(CLI::ExistingFile);
}

Result<void> run_sbom(const Invocation& invocation, const SbomCommandOptions& options) {
  consumer::SbomOptions sbom;
  sbom.target = CAIRN_TRY(target_options(options));
  sbom.manifest = manifest_request(options);
  sbom.format = CAIRN_TRY(consumer::parse_sbom_format(options.format));
  sbom.tool_version = CAIRN_VERSION;
  std::string text = CAIRN_TRY(consumer::make_sbom(sbom));
  if (options.output.empty() || options.output == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return {};
  }
  CAIRN_TRY(write_file_atomically(options.output, text));
  if (invocation.json) {
    print_json({{"output", options.output}, {"format", options.format}, {"size", text.size()}});
  }
  return {};
}

std::string signer_list(const std::vector<std::string>& signers) {
  return signers.empty() ? std::string("nobody") : fmt::format("{}", fmt::join(signers, ", "));
}

void print_audit(const consumer::AuditReport& report) {
  if (report.kind == consumer::TargetKind::lock) {
    std::printf("%s (a lock file: no image)\n", report.target.c_str());
  } else {
    std::printf("%s %s  (%s %s)\n", report.name.c_str(), report.version.empty() ? "(version unknown)" : report.version.c_str(),
                std::string(consumer::to_string(report.kind)).c_str(), report.target.c_str());
    if (report.image_digest) {
      std::printf("├─ image      %s %s\n", report.image_file.value_or("").c_str(),
                  report.image_digest->to_string().c_str());
    }
    if (report.log_index) {
      std::printf("├─ log        entry %llu\n", static_cast<unsigned long long>(*report.log_index));
    } else {
      std::printf("├─ log        no log entry here (not published, or published without the log)\n");
    }
    if (report.note) {
      std::string memory = report.note->memory_mib ? fmt::format(", memory {} MiB", *report.note->memory_mib) : "";
      std::printf("├─ note       dependency list %s, manifest %s%s\n", report.note->dependencies.to_string().c_str(),
                  report.note->manifest.to_string().c_str(), memory.c_str());
    } else {
      std::printf("├─ note       no .note.cairn\n");
    }
  }
  if (report.manifest_identity) {
    std::string built = report.snapshot_version ? fmt::format(", snapshot {}", *report.snapshot_version) : "";
    if (report.snapshot_created) built += fmt::format(" (created {})", format_rfc3339(*report.snapshot_created));
    if (report.development) built += ", a development manifest";
    std::printf("├─ manifest   %s%s\n", report.manifest_identity->c_str(), built.c_str());
  }
  if (report.manifest_now) {
    std::printf("│  └─ now     snapshot %lld at %s (timestamp expires %s)\n",
                static_cast<long long>(report.manifest_now->snapshot_version), report.manifest_now->location.c_str(),
                format_rfc3339(report.manifest_now->timestamp_expires).c_str());
  }
  if (!report.libraries_known) {
    std::printf("├─ libraries  unknown: %s\n", report.libraries_missing.c_str());
  } else {
    std::printf("├─ libraries  %zu, from %s\n", report.libraries.size(), report.lock_source.c_str());
    for (std::size_t i = 0; i < report.libraries.size(); ++i) {
      const consumer::AuditedLibrary& library = report.libraries[i];
      bool last = i + 1 == report.libraries.size();
      const char* branch = last ? "└─" : "├─";
      const char* stem = last ? "  " : "│ ";
      std::string license = library.in_manifest ? (library.license.empty() ? "license not stated" : library.license)
                                                : "license unknown (no --manifest)";
      std::printf("│  %s %s %s  %s\n", branch, library.name.c_str(), library.version.c_str(), license.c_str());
      std::printf("│  %s    tree %s, entry %s\n", stem, library.tree.to_string().c_str(),
                  library.entry.to_string().c_str());
      std::printf("│  %s    signed by %s", stem, signer_list(library.lock_signers).c_str());
      if (library.in_manifest) std::printf("; now by %s", signer_list(library.manifest_signers).c_str());
      std::printf("\n");
    }
  }
  if (report.kind != consumer::TargetKind::lock) {
    std::printf("├─ toolchain  %zu Debian packages (build tools, not in the image)\n", report.toolchain.size());
    std::printf("└─ rebuild attestations: %s\n",
                report.rebuild_attestations.empty() ? "none found" : std::to_string(report.rebuild_attestations.size()).c_str());
    for (const auto& attestation : report.rebuild_attestations) std::printf("     %s\n", attestation.c_str());
    if (!report.rebuild_attestations_note.empty()) {
      std::printf("     (%s)\n", report.rebuild_attestations_note.c_str());
    }
  }
  if (report.warnings.empty()) {
    std::printf("no warnings\n");
  } else {
    std::printf("%zu warning%s:\n", report.warnings.size(), report.warnings.size() == 1 ? "" : "s");
    for (const auto& warning : report.warnings) {
      std::printf("! %s: %s\n", warning.kind.c_str(), warning.message.c_str());
    }
  }
}

// Writes root.layout and owner.pub into the layout directory: `threshold` of the rebuilder keys
// must each have rebuilt the audited image (in-toto-verify checks their rebuild.<id>.link files).
Result<void> write_in_toto_layout(const AuditCommandOptions& options, const consumer::AuditReport& report) {
  if (!report.image_file) {
    return make_error(ErrorCode::invalid_argument, "--in-toto-layout needs an image: {} has none", report.target);
  }
  if (options.owner_key.empty() || options.rebuilder_keys.empty()) {
    return make_error(ErrorCode::invalid_argument, "--in-toto-layout needs --owner-key and --rebuilder-key");
  }
  if (options.threshold == 0 || options.threshold > options.rebuilder_keys.size()) {
    return make_error(ErrorCode::invalid_argument, "--threshold {} with {} rebuilder keys", options.threshold,
                      options.rebuilder_keys.size());
  }
  signing::Ed25519PrivateKey owner =
      CAIRN_TRY(signing::Ed25519PrivateKey::load(options.owner_key).with_context("--owner-key (Ed25519 only)"));
  std::vector<signing::Ed25519PublicKey> rebuilders;
  for (const auto& file : options.rebuilder_keys) {
    signing::Ed25519PublicKey key =
        CAIRN_TRY(signing::Ed25519PublicKey::load(file).with_context("--rebuilder-key (Ed25519 only)"));
    rebuilders.push_back(std::move(key));
  }
  std::int64_t expires = static_cast<std::int64_t>(std::time(nullptr)) + options.layout_days * 24 * 60 * 60;
  std::string image_name = std::filesystem::path(*report.image_file).filename().string();
  Json layout = consumer::intoto::rebuild_layout(expires, rebuilders, options.threshold, image_name);
  CAIRN_TRY(consumer::intoto::write_layout(options.layout_directory, layout, owner));
  return {};
}

Result<void> run_audit(const Invocation& invocation, const AuditCommandOptions& options) {
  consumer::AuditOptions audit;
  audit.target = CAIRN_TRY(target_options(options));
  audit.manifest = manifest_request(options);
  consumer::AuditReport report = CAIRN_TRY(consumer::audit(audit));
  if (!options.layout_directory.empty()) {
    CAIRN_TRY(write_in_toto_layout(options, report));
    if (!invocation.json) {
      std::printf("in-toto layout: %s/root.layout (%zu of %zu rebuilders), owner key %s/owner.pub\n",
                  options.layout_directory.c_str(), options.threshold, options.rebuilder_keys.size(),
                  options.layout_directory.c_str());
    }
  }
  if (invocation.json) {
    print_json(consumer::to_json(report));
  } else {
    print_audit(report);
  }
  return {};
}

}  // namespace

void add_audit_commands(CLI::App& app, Invocation& invocation) {
  auto sbom_options = std::make_shared<SbomCommandOptions>();
  CLI::App* sbom = app.add_subcommand(
      "sbom", "Write a software bill of materials (SPDX 2.3 or CycloneDX 1.5 JSON) of a built unikernel: its image, "
              "libraries and toolchain packages; the same build gives the same bytes");
  add_target_options(*sbom, *sbom_options,
                     "[http://]HOST[:PORT]/NAME:TAG or NAME@sha256:..., a folder from `cairn pull`, or _build/<name>");
  sbom->add_option("--format", sbom_options->format, "spdx or cyclonedx")
      ->required()
      ->check(CLI::IsMember({"spdx", "cyclonedx"}));
  sbom->add_option("-o,--output", sbom_options->output, "Write to FILE instead of stdout (only when complete)");
  on_run(sbom, invocation, sbom_options, run_sbom);

  auto audit_options = std::make_shared<AuditCommandOptions>();
  CLI::App* audit = app.add_subcommand(
      "audit", "Show where every part of a unikernel came from (libraries, licenses, signers, manifest snapshot, log "
               "index, rebuilds) and warn about single signers, expiring metadata, yanked versions and advisories");
  add_target_options(*audit, *audit_options,
                     "A registry reference, a folder from `cairn pull`, _build/<name>, an image (*.spt) or a cairn.lock");
  audit->add_option("--in-toto-layout", audit_options->layout_directory,
                    "Also write a classic in-toto layout (DIR/root.layout, DIR/owner.pub) requiring --threshold of the "
                    "--rebuilder-key rebuilders to have rebuilt this image; Debian's in-toto-verify checks it with "
                    "their rebuild.<id>.link files");
  audit->add_option("--owner-key", audit_options->owner_key, "The layout owner's Ed25519 private key file");
  audit->add_option("--rebuilder-key", audit_options->rebuilder_keys, "A rebuilder's Ed25519 public key file (repeat)")
      ->allow_extra_args(false);
  audit->add_option("--threshold", audit_options->threshold, "How many rebuilders must agree")->capture_default_str();
  audit->add_option("--layout-days", audit_options->layout_days, "Days until the layout expires")
      ->capture_default_str();
  on_run(audit, invocation, audit_options, run_audit);
}

}  // namespace cairn::cli
