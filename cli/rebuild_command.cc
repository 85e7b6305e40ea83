// `cairn rebuild TARGET`: the same bytes from a published artifact alone (consumer/rebuild.h does
// the work); says which toolchain programs and packages differ from the recorded ones and, on a
// mismatch, which sections and symbols differ. Exit status 0 only when the image was reproduced.
#include "command.h"

#include "cairn/consumer/rebuild.h"

#include <unistd.h>

#include <memory>

namespace cairn::cli {

namespace {

struct RebuildCommandOptions {
  std::string target;
  std::string policy;
  std::string name;
  std::string work;
  std::string compiler = "g++";
  unsigned jobs = 0;
  bool attest = false;
  std::vector<std::string> keys;
  std::string passphrase_file;
  std::string link_directory;
  std::string token_file;
  std::string ca_file;
};

Result<void> run_rebuild(Invocation& invocation, const RebuildCommandOptions& options) {
  consumer::RebuildOptions rebuild;
  rebuild.target = options.target;
  if (!options.policy.empty()) rebuild.policy = CAIRN_TRY(consumer::read_policy(options.policy));
  rebuild.name = options.name;
  rebuild.work = options.work;
  rebuild.compiler = options.compiler;
  rebuild.jobs = options.jobs;
  rebuild.link_directory = options.link_directory;
  rebuild.client.token = CAIRN_TRY(registry::load_registry_token(options.token_file));
  rebuild.client.ca_file = options.ca_file;
  rebuild.client.on_notice = [](std::string_view text) { print_notice(std::string(text)); };
  if (options.attest != !options.keys.empty()) {
    return make_error(ErrorCode::invalid_argument, "--attest and --key go together: --attest --key KEY");
  }
  std::vector<std::unique_ptr<signing::Signer>> signers;
  for (const auto& key : options.keys) {
    std::unique_ptr<signing::Signer> signer =
        CAIRN_TRY(signing::open_signer(key, {}, passphrase_source(options.passphrase_file)));
    rebuild.attest.push_back(signer.get());
    signers.push_back(std::move(signer));
  }
  bool terminal = ::isatty(STDERR_FILENO) == 1;
  if (!invocation.json) {
    rebuild.on_progress = [terminal](std::string_view line) {
      if (terminal || !line.starts_with("[")) std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
    };
  }
  consumer::RebuildReport report = CAIRN_TRY(consumer::rebuild_image(rebuild));
  if (invocation.json) {
    Json toolchain = Json::array();
    for (const auto& difference : report.toolchain) {
      toolchain.push_back({{"what", difference.what}, {"recorded", difference.recorded}, {"here", difference.here}});
    }
    Json summary = {{"target", report.target},
                    {"reproduced", report.reproduced},
                    {"expected", report.expected.to_string()},
                    {"rebuilt", report.rebuilt.to_string()},
                    {"provenance_identical", report.provenance_identical},
                    {"toolchain_differences", toolchain},
                    {"explanation", report.explanation},
                    {"seconds", report.seconds}};
    if (!report.diffoscope_report.empty()) summary["diffoscope"] = report.diffoscope_report.string();
    if (report.attestation_manifest) summary["attestation"] = report.attestation_manifest->to_string();
    Json links = Json::array();
    for (const auto& link : report.links) links.push_back(link.string());
    summary["links"] = links;
    print_json(summary);
  } else {
    if (report.toolchain.empty()) {
      std::printf("toolchain: the same programs and packages as recorded\n");
    } else {
      std::printf("toolchain: %zu differences from the recorded one\n", report.toolchain.size());
      for (const auto& difference : report.toolchain) {
        std::printf("  %s: recorded %s, here %s\n", difference.what.c_str(), difference.recorded.c_str(),
                    difference.here.c_str());
      }
    }
    if (report.reproduced) {
      std::printf("reproduced: %s (%.2f s; provenance.json %s)\n", report.rebuilt.to_string().c_str(), report.seconds,
                  report.provenance_identical ? "identical too" : "differs");
    } else {
      std::printf("NOT reproduced: published %s, rebuilt %s\n", report.expected.to_string().c_str(),
                  report.rebuilt.to_string().c_str());
      for (const auto& line : report.explanation) std::printf("  %s\n", line.c_str());
      if (!report.diffoscope_report.empty()) {
        std::printf("diffoscope's report: %s\n", report.diffoscope_report.c_str());
      } else if (!report.diffoscope_note.empty()) {
        std::printf("(no diffoscope report: %s)\n", report.diffoscope_note.c_str());
      }
    }
    if (report.attestation_manifest) {
      std::printf("attestation %s published as a referrer of the image\n",
                  report.attestation_manifest->to_string().c_str());
    }
    for (const auto& link : report.links) std::printf("in-toto link: %s\n", link.c_str());
  }
  if (!report.reproduced) invocation.exit_status = exit_failure;
  return {};
}

}  // namespace

void add_rebuild_commands(CLI::App& app, Invocation& invocation) {
  auto options = std::make_shared<RebuildCommandOptions>();
  CLI::App* rebuild = app.add_subcommand(
      "rebuild",
      "Rebuild a published image from its own sources and provenance, and compare bytes (exit 0 only when "
      "reproduced)");
  rebuild->add_option("TARGET", options->target, "[http://]HOST[:PORT]/NAME:TAG or NAME@sha256:..., or a pulled folder")
      ->required();
  rebuild->add_option("--policy", options->policy,
                      "Verify it first under this policy, as of its build time (see `cairn verify`)")
      ->check(CLI::ExistingFile);
  rebuild->add_option("--name", options->name, "The name a folder is matched against the policy by");
  rebuild->add_option("--work", options->work,
                      "Rebuild in this new folder and keep it (with diffoscope's report on a mismatch)");
  rebuild->add_option("--compiler", options->compiler, "The g++ driver to rebuild with")->capture_default_str();
  rebuild->add_option("-j,--jobs", options->jobs, "Actions to run at once (default: one per core)");
  rebuild->add_flag("--attest", options->attest,
                    "Sign the outcome (a SLSA verification summary) with --key and publish it as a referrer of the "
                    "image; an Ed25519 key also writes an in-toto link");
  rebuild->add_option("--key", options->keys,
                      "OpenPGP fingerprint or Ed25519 private key file to attest with (repeat to co-sign)")
      ->allow_extra_args(false);
  add_passphrase_option(*rebuild, options->passphrase_file);
  rebuild->add_option("--link-dir", options->link_directory, "Where in-toto links go (default: the current folder)");
  rebuild->add_option("--token-file", options->token_file,
                      "The registry token: the first line of FILE (default: $CAIRN_REGISTRY_TOKEN)");
  rebuild->add_option("--ca-file", options->ca_file,
                      "Trust the certificate authorities in this PEM file instead of the system's (a private registry)")
      ->check(CLI::ExistingFile);
  on_run(rebuild, invocation, options, run_rebuild);
}

}  // namespace cairn::cli
