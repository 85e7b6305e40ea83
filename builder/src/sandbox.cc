// bubblewrap command lines (see sandbox.h).
#include "cairn/builder/sandbox.h"

#include "cairn/core/file.h"
#include "cairn/core/subprocess.h"

#include <unistd.h>

#include <cstdlib>

namespace cairn::builder {

namespace fs = std::filesystem;

std::map<std::string, std::string> action_environment(std::int64_t source_date_epoch) {
  return {{"PATH", "/usr/bin:/bin"},
          {"LANG", "C.UTF-8"},
          {"TZ", "UTC"},
          {"SOURCE_DATE_EPOCH", std::to_string(source_date_epoch)}};
}

std::vector<std::string> Sandbox::wrap(const SandboxSpec& spec, const std::vector<std::string>& command) const {
  std::vector<std::string> argv{program_.string(),
                                "--unshare-all",
                                "--die-with-parent",
                                "--new-session",
                                "--clearenv",
                                "--ro-bind",
                                "/usr",
                                "/usr",
                                "--symlink",
                                "usr/bin",
                                "/bin",
                                "--symlink",
                                "usr/lib",
                                "/lib",
                                "--symlink",
                                "usr/lib64",
                                "/lib64",
                                "--dev",
                                "/dev",
                                "--tmpfs",
                                "/tmp",
                                "--dir",
                                "/cairn"};
  for (const auto& [name, value] : spec.environment) {
    argv.insert(argv.end(), {"--setenv", name, value});
  }
  for (const auto& mount : spec.mounts) {
    argv.insert(argv.end(), {mount.writable ? "--bind" : "--ro-bind", mount.source.string(), mount.target});
  }
  argv.insert(argv.end(), {"--chdir", spec.working_directory, "--"});
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

Result<Sandbox> Sandbox::find() {
  Sandbox sandbox = CAIRN_TRY(locate());
  CAIRN_TRY(sandbox.check());
  return sandbox;
}

Result<Sandbox> Sandbox::locate() {
  const char* chosen = std::getenv("CAIRN_BWRAP");
  fs::path program = find_in_path(chosen != nullptr && *chosen != '\0' ? chosen : "bwrap");
  if (program.empty()) {
    return make_error(ErrorCode::not_found,
                      "no bubblewrap (bwrap) to build in a sandbox: install it (Debian: bubblewrap), or build "
                      "with --no-sandbox (the provenance then says so)");
  }
  return Sandbox(program);
}

Result<void> Sandbox::check() const {
  TemporaryDirectory scratch = CAIRN_TRY(TemporaryDirectory::create("cairn-sandbox-check-"));
  SandboxSpec spec;
  spec.environment = action_environment(0);
  ProcessExit exit = CAIRN_TRY(run_to_file(wrap(spec, {"/usr/bin/true"}), scratch.path() / "output"));
  if (exit.shell_status() != 0) {
    auto read = read_file(scratch.path() / "output", 4096);
    std::string output = read.ok() ? *read : std::string();
    while (!output.empty() && output.back() == '\n') output.pop_back();
    return make_error(ErrorCode::unsupported,
                      "{} cannot make a sandbox here ({}); allow unprivileged user namespaces, or build with "
                      "--no-sandbox (the provenance then says so)",
                      program_.string(), output.empty() ? fmt::format("status {}", exit.shell_status()) : output);
  }
  return {};
}

}  // namespace cairn::builder
