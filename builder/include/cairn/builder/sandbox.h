// The hermetic sandbox every compile and link runs in: bubblewrap with every namespace unshared
// (so no network), a cleared environment, /usr read-only, and only the action's declared inputs
// mounted, each at a fixed path under /cairn. Paths inside are the same on every machine, so
// nothing the compiler writes depends on where a checkout lives, and a step that opens anything
// it did not declare finds nothing there.
#pragma once

#include "cairn/core/result.h"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace cairn::builder {

struct Mount {
  std::filesystem::path source;  // on the host
  std::string target;            // inside the sandbox, absolute
  bool writable = false;
};

struct SandboxSpec {
  std::vector<Mount> mounts;
  std::map<std::string, std::string> environment;  // the whole environment
  std::string working_directory = "/cairn";
};

// The environment every action gets: PATH, LANG=C.UTF-8, TZ=UTC and SOURCE_DATE_EPOCH.
std::map<std::string, std::string> action_environment(std::int64_t source_date_epoch);

class Sandbox {
 public:
  // Finds bubblewrap (`bwrap` in PATH, or $CAIRN_BWRAP) and checks that it can make a sandbox
  // here; the error says why not and points at --no-sandbox.
  static Result<Sandbox> find();
  // Finds bubblewrap without trying it (a build checks it before its first action instead, so
  // that a build with nothing to do does not pay for a sandbox).
  static Result<Sandbox> locate();
  // Makes one sandbox that runs /usr/bin/true; the error says why it could not.
  Result<void> check() const;

  const std::filesystem::path& program() const { return program_; }
  // The command that runs `command` inside a sandbox made as `spec` says.
  std::vector<std::string> wrap(const SandboxSpec& spec, const std::vector<std::string>& command) const;

 private:
  explicit Sandbox(std::filesystem::path program) : program_(std::move(program)) {}
  std::filesystem::path program_;
};

}  // namespace cairn::builder
