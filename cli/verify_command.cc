// `cairn verify TARGET --policy FILE`: the consumer's check of a published image
// (consumer/verify.h does the work); one line per step, or one JSON object with --json.
#include "command.h"

#include "cairn/consumer/verify.h"

#include <memory>

namespace cairn::cli {

namespace {

struct VerifyCommandOptions {
  std::string target;
  std::string policy;
  std::string name;
  std::string log_state;
  std::string token_file;
  std::string ca_file;
  bool offline = false;
};

std::string_view mark(consumer::StepStatus status) {
  switch (status) {
    case consumer::StepStatus::passed:
      return "✔";
    case consumer::StepStatus::warning:
      return "!";
    case consumer::StepStatus::failed:
      return "✘";
    case consumer::StepStatus::skipped:
      return "-";
    case consumer::StepStatus::not_required:
      return "·";
  }
  return "?";
}

Result<void> run_verify(Invocation& invocation, const VerifyCommandOptions& options) {
  consumer::VerifyOptions verify;
  verify.target = options.target;
  verify.policy = CAIRN_TRY(consumer::read_policy(options.policy));
  verify.name = options.name;
  verify.offline = options.offline;
  verify.log_state = options.log_state;
  verify.client.token = CAIRN_TRY(registry::load_registry_token(options.token_file));
  verify.client.ca_file = options.ca_file;
  verify.client.on_notice = [](std::string_view text) { print_notice(std::string(text)); };
  consumer::VerifyReport report = CAIRN_TRY(consumer::verify_image(verify));
  bool accepted = report.accepted();
  if (invocation.json) {
    Json steps = Json::array();
    for (const auto& step : report.steps) {
      steps.push_back({{"id", step.id},
                       {"title", step.title},
                       {"status", consumer::to_string(step.status)},
                       {"detail", step.detail}});
    }
    Json summary = {{"accepted", accepted},
                    {"target", report.target},
                    {"names", report.names},
                    {"policy_match", report.policy_match},
                    {"steps", steps}};
    if (report.image) summary["image"] = report.image->to_string();
    if (report.manifest) summary["manifest"] = report.manifest->to_string();
    if (report.log_index) summary["log_index"] = *report.log_index;
    print_json(summary);
  } else {
    std::printf("verifying %s under the policy entry \"%s\"\n", report.target.c_str(), report.policy_match.c_str());
    std::size_t width = 0;
    for (const auto& step : report.steps) width = std::max(width, step.id.size());
    for (const auto& step : report.steps) {
      std::string_view sign = mark(step.status);
      std::printf("%.*s %-*s %s: %s\n", static_cast<int>(sign.size()), sign.data(), static_cast<int>(width),
                  step.id.c_str(), step.title.c_str(), step.detail.c_str());
    }
    if (accepted) {
      std::printf("accepted: %s\n", report.image ? report.image->to_string().c_str() : report.target.c_str());
    } else {
      std::size_t failed = 0;
      for (const auto& step : report.steps) failed += step.status == consumer::StepStatus::failed;
      std::printf("refused: %zu check%s failed\n", failed, failed == 1 ? "" : "s");
    }
  }
  if (!accepted) invocation.exit_status = exit_failure;
  return {};
}

}  // namespace

void add_verify_commands(CLI::App& app, Invocation& invocation) {
  auto options = std::make_shared<VerifyCommandOptions>();
  CLI::App* verify = app.add_subcommand(
      "verify",
      "Check an image under a policy: signatures, subject, transparency log, dependencies and advisories (exit 0 "
      "only when every required check passed)");
  verify->add_option("TARGET", options->target,
                     "[http://]HOST[:PORT]/NAME:TAG or NAME@sha256:..., a folder from `cairn pull`, or _build/<name>")
      ->required();
  verify->add_option("--policy", options->policy, "The policy file (JSON; see consumer/README.md)")
      ->required()
      ->check(CLI::ExistingFile);
  verify->add_option("--name", options->name,
                     "The name a folder is matched against the policy by (default: the unikernel's name)");
  verify->add_flag("--offline", options->offline,
                   "Contact no registry: a folder, a manifest folder; a log checkpoint of another size than the one "
                   "seen before is a warning");
  verify->add_option("--log-state", options->log_state,
                     "Where the newest checkpoint seen of each log is kept (default: <state dir>/logs)");
  verify->add_option("--token-file", options->token_file,
                     "The registry token: the first line of FILE (default: $CAIRN_REGISTRY_TOKEN)");
  verify->add_option("--ca-file", options->ca_file,
                     "Trust the certificate authorities in this PEM file instead of the system's (a private registry)")
      ->check(CLI::ExistingFile);
  on_run(verify, invocation, options, run_verify);
}

}  // namespace cairn::cli
