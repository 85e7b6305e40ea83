// `cairn build [APPDIR]`: from unikernel.json and the signed manifest to a reproducible image in
// _build/<name>/, with its provenance (builder/build.h does the work).
#include "command.h"

#include "cairn/builder/build.h"

#include <unistd.h>

#include <memory>

namespace cairn::cli {

namespace {

struct BuildCommandOptions {
  builder::BuildOptions build;
  std::string app = ".";
  std::string manifest;
  std::string root;
  std::string sources;
  std::string out;
  bool no_sandbox = false;
};

Result<void> run_build(const Invocation& invocation, BuildCommandOptions& options) {
  builder::BuildOptions& build = options.build;
  build.app = options.app;
  build.manifest.location = options.manifest;
  build.manifest.root_file = options.root;
  build.manifest.verify.lock.on_wait = print_notice;
  build.sources = options.sources;
  build.out = options.out;
  build.sandbox = !options.no_sandbox;
  // Ninja's progress: on a terminal one line rewritten in place, else a line per step.
  bool terminal = !invocation.json && ::isatty(STDERR_FILENO) == 1;
  bool progress_line_open = false;
  build.on_progress = [&](std::string_view line) {
    if (invocation.json && line.starts_with("[")) return;
    if (terminal && line.starts_with("[")) {
      std::fprintf(stderr, "\r\033[K%.*s", static_cast<int>(line.size()), line.data());
      progress_line_open = true;
      return;
    }
    if (progress_line_open) std::fputc('\n', stderr);
    progress_line_open = false;
    std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
  };
  build.on_output = [&](std::string_view output) {
    if (progress_line_open) std::fputc('\n', stderr);
    progress_line_open = false;
    std::fwrite(output.data(), 1, output.size(), stderr);
  };
  auto report = builder::build_unikernel(build);
  if (progress_line_open) std::fputc('\n', stderr);
  if (!report.ok()) return std::move(report).error();
  if (invocation.json) {
    print_json({{"image", report->image.string()},
                {"digest", report->image_digest.to_string()},
                {"provenance", report->provenance.string()},
                {"actions", report->actions},
                {"ran", report->ran},
                {"cached", report->cached},
                {"seconds", static_cast<double>(static_cast<long long>(report->seconds * 1000)) / 1000}});
  } else {
    std::printf("%s %s (%zu actions, %zu ran, %zu from the cache, %.2f s)\n", report->image.c_str(),
                report->image_digest.to_string().c_str(), report->actions, report->ran, report->cached,
                report->seconds);
  }
  return {};
}

}  // namespace

void add_build_commands(CLI::App& app, Invocation& invocation) {
  auto options = std::make_shared<BuildCommandOptions>();
  CLI::App* build = app.add_subcommand("build", "Build an app's image from its unikernel.json and a signed manifest");
  build->add_option("APPDIR", options->app, "App folder holding unikernel.json")->capture_default_str();
  build->add_option("--manifest", options->manifest, "Manifest repository folder or URL (default: $CAIRN_MANIFEST)");
  build->add_option("--root", options->root, "Root to pin on first use (obtained out of band)");
  build->add_flag("--locked", options->build.locked, "Build from cairn.lock alone: no manifest, no network, no clock");
  build->add_option("--sources", options->sources, "Checkout holding library folders (else the store)");
  build->add_option("-j,--jobs", options->build.jobs, "Actions to run at once (default: one per core)");
  build->add_option("--out", options->out, "Output folder (default: APPDIR/_build/<name>)");
  build->add_flag("--keep-going", options->build.keep_going, "Go on with what does not depend on a failed step");
  build->add_option("--compiler", options->build.compiler,
                    "The g++ driver to build with: a name in PATH or a path (it and every program it runs are "
                    "recorded in the provenance)")
      ->capture_default_str();
  build->add_flag("--no-sandbox", options->no_sandbox,
                  "Run compilers without bubblewrap (not hermetic; the provenance says so)");
  on_run(build, invocation, options, run_build);
}

}  // namespace cairn::cli
