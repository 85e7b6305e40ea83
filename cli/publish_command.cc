// `cairn publish _build/<name> REF --key KEY...` and `cairn pull REF DIR`: an artifact into a
// registry (and its log) and back out (registry/publish.h does the work).
#include "command.h"

#include "cairn/registry/publish.h"
#include "cairn/signing/signer.h"

#include <unistd.h>

#include <memory>

namespace cairn::cli {

namespace {

struct PublishCommandOptions {
  std::string build;
  std::string reference;
  std::vector<std::string> keys;
  std::string passphrase_file;
  std::string token_file;
  std::string ca_file;
  std::string oci_layout;
  std::uint64_t chunk_size = 0;
  bool no_log = false;
};

struct PullCommandOptions {
  std::string reference;
  std::string destination;
  std::string token_file;
  std::string ca_file;
};

// A progress line per blob on a terminal, rewritten in place; nothing otherwise.
struct ProgressLine {
  bool open = false;
  void finish() {
    if (open) std::fputc('\n', stderr);
    open = false;
  }
};

Result<registry::ClientOptions> client_options(const Invocation& invocation, const std::string& token_file,
                                               const std::string& ca_file, ProgressLine& line) {
  registry::ClientOptions options;
  options.token = CAIRN_TRY(registry::load_registry_token(token_file));
  options.ca_file = ca_file;
  options.on_notice = [&line](std::string_view text) {
    line.finish();
    print_notice(std::string(text));
  };
  if (!invocation.json && ::isatty(STDERR_FILENO) == 1) {
    options.on_progress = [&line](std::string_view what, std::uint64_t done, std::uint64_t total) {
      unsigned percent = total == 0 ? 100 : static_cast<unsigned>(done * 100 / total);
      bool mebibytes = total >= (1 << 20);
      double unit = mebibytes ? 1 << 20 : 1 << 10;
      std::fprintf(stderr, "\r\033[K%.*s %3u%% (%.1f of %.1f %s)", static_cast<int>(what.size()), what.data(),
                   percent, static_cast<double>(done) / unit, static_cast<double>(total) / unit,
                   mebibytes ? "MiB" : "KiB");
      line.open = true;
    };
  }
  return options;
}

Result<void> run_publish(const Invocation& invocation, const PublishCommandOptions& options) {
  registry::PublishOptions publish;
  publish.build = options.build;
  publish.reference = CAIRN_TRY(registry::parse_reference(options.reference));
  publish.submit_to_log = !options.no_log;
  publish.oci_layout = options.oci_layout;
  std::vector<std::unique_ptr<signing::Signer>> signers;
  for (const auto& key : options.keys) {
    std::unique_ptr<signing::Signer> signer =
        CAIRN_TRY(signing::open_signer(key, {}, passphrase_source(options.passphrase_file)));
    publish.signers.push_back(signer.get());
    signers.push_back(std::move(signer));
  }
  ProgressLine line;
  publish.client = CAIRN_TRY(client_options(invocation, options.token_file, options.ca_file, line));
  if (options.chunk_size != 0) publish.client.chunk_size = options.chunk_size;
  auto report = registry::publish(publish);
  line.finish();
  if (!report.ok()) return std::move(report).error();
  if (invocation.json) {
    nlohmann::json summary = {{"reference", report->reference},
                              {"manifest", report->manifest.to_string()},
                              {"signature_manifest", report->signature_manifest.to_string()},
                              {"envelope", report->envelope.to_string()},
                              {"referrers_api", report->referrers_api},
                              {"blobs_pushed", report->blobs_pushed},
                              {"blobs_present", report->blobs_present},
                              {"manifests_pushed", report->manifests_pushed}};
    if (report->log_index) {
      summary["log_index"] = *report->log_index;
      summary["log"] = report->log_file.string();
    }
    print_json(summary);
  } else {
    std::printf("pushed %zu blobs (%zu already there), signature %s%s\n", report->blobs_pushed,
                report->blobs_present, report->signature_manifest.to_string().c_str(),
                report->referrers_api ? "" : " (also tagged .att: no referrers API)");
    if (report->log_index) {
      std::printf("log entry %llu, checkpoint and inclusion proof verified: %s\n",
                  static_cast<unsigned long long>(*report->log_index), report->log_file.c_str());
    }
    std::printf("%s\n", report->reference.c_str());
  }
  return {};
}

Result<void> run_pull(const Invocation& invocation, const PullCommandOptions& options) {
  registry::PullOptions pull;
  pull.reference = CAIRN_TRY(registry::parse_reference(options.reference));
  pull.destination = options.destination;
  ProgressLine line;
  pull.client = CAIRN_TRY(client_options(invocation, options.token_file, options.ca_file, line));
  auto report = registry::pull(pull);
  line.finish();
  if (!report.ok()) return std::move(report).error();
  if (invocation.json) {
    Json summary = {{"manifest", report->manifest.to_string()},
                    {"directory", options.destination},
                    {"files", report->files},
                    {"signature", report->signature}};
    if (report->log_index) summary["log_index"] = *report->log_index;
    print_json(summary);
  } else {
    for (const auto& file : report->files) std::printf("%s/%s\n", options.destination.c_str(), file.c_str());
    std::printf("pulled %s\n", pull.reference.with_digest(report->manifest).c_str());
  }
  return {};
}

}  // namespace

void add_publish_commands(CLI::App& app, Invocation& invocation) {
  auto publish_options = std::make_shared<PublishCommandOptions>();
  CLI::App* publish = app.add_subcommand(
      "publish",
      "Pack a build as an OCI artifact, sign its provenance, push both to a registry and record them in its "
      "transparency log (_build/<name>/log.json)");
  publish->add_option("BUILD", publish_options->build, "The build folder, _build/<name>")->required();
  publish->add_option("REF", publish_options->reference, "[http://]HOST[:PORT]/NAME:TAG (https unless http://)")
      ->required();
  publish->add_option("--key", publish_options->keys,
                      "OpenPGP fingerprint in your keyring, or an Ed25519 private key file (repeat to co-sign)")
      ->required()
      ->allow_extra_args(false);
  add_passphrase_option(*publish, publish_options->passphrase_file);
  publish->add_option("--token-file", publish_options->token_file,
                      "The registry token: the first line of FILE (default: $CAIRN_REGISTRY_TOKEN)");
  publish->add_option("--ca-file", publish_options->ca_file,
                      "Trust the certificate authorities in this PEM file instead of the system's (a private registry)")
      ->check(CLI::ExistingFile);
  publish->add_flag("--no-log", publish_options->no_log,
                    "Do not submit to the registry's transparency log (for registries that have none)");
  publish->add_option("--oci-layout", publish_options->oci_layout,
                      "Also write what was pushed as an OCI image layout in this new folder");
  publish->add_option("--chunk-size", publish_options->chunk_size,
                      "Upload blobs in PATCH requests of at most this many bytes (default 8 MiB)")
      ->check(CLI::PositiveNumber);
  on_run(publish, invocation, publish_options, run_publish);

  auto pull_options = std::make_shared<PullCommandOptions>();
  CLI::App* pull = app.add_subcommand(
      "pull", "Fetch an artifact into a new folder, checking every digest; nothing unchecked is left behind");
  pull->add_option("REF", pull_options->reference, "[http://]HOST[:PORT]/NAME:TAG or NAME@sha256:...")->required();
  pull->add_option("DIR", pull_options->destination, "The folder to create")->required();
  pull->add_option("--token-file", pull_options->token_file,
                   "The registry token: the first line of FILE (default: $CAIRN_REGISTRY_TOKEN)");
  pull->add_option("--ca-file", pull_options->ca_file,
                   "Trust the certificate authorities in this PEM file instead of the system's (a private registry)")
      ->check(CLI::ExistingFile);
  on_run(pull, invocation, pull_options, run_pull);
}

}  // namespace cairn::cli
