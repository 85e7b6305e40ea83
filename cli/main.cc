// `cairn`: the single command-line entry point of the toolchain.
#include "command.h"

#include <cstdio>

namespace {

int run_cairn(int argc, char** argv) {
  using namespace cairn::cli;

  CLI::App app("Cairn: build, sign, verify and run reproducible unikernels.", "cairn");
  app.set_version_flag("--version", std::string("cairn ") + CAIRN_VERSION);
  app.require_subcommand(1);
  app.fallthrough();

  Invocation invocation;
  app.add_flag("--json", invocation.json, "Print results as JSON on stdout");
  add_hash_commands(app, invocation);
  add_archive_commands(app, invocation);
  add_image_commands(app, invocation);
  add_key_commands(app, invocation);
  add_sign_commands(app, invocation);
  add_run_commands(app, invocation);
  add_manifest_commands(app, invocation);
  add_lock_commands(app, invocation);
  add_build_commands(app, invocation);
  add_registry_commands(app, invocation);
  add_publish_commands(app, invocation);
  add_verify_commands(app, invocation);
  add_rebuild_commands(app, invocation);
  add_audit_commands(app, invocation);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForAllHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForVersion& version) {
    return app.exit(version);
  } catch (const CLI::ParseError& error) {
    app.exit(error);
    return exit_usage;
  }

  if (!invocation.action) return exit_usage;
  cairn::Result<void> outcome = invocation.action();
  if (!outcome.ok()) {
    print_error(outcome.error(), invocation.json);
    return exit_failure;
  }
  return invocation.exit_status;
}

}  // namespace

int main(int argc, char** argv) {
  // Libraries report errors as values; this catches what a third-party library (CLI11,
  // nlohmann-json, the standard library) might still throw, so that it ends as one clear line.
  try {
    return run_cairn(argc, argv);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "cairn: internal error: %s\n", error.what());
  } catch (...) {
    std::fprintf(stderr, "cairn: internal error: unknown exception\n");
  }
  return cairn::cli::exit_failure;
}
