// `cairn run IMAGE [--mem MiB] [--net:NAME=TAP] [--block:NAME=FILE] [-- ARGS]`: runs an spt image
// under cairn-spt (the tender built next to `cairn`), passes the guest's console through line by
// line, and says on stderr how the guest ended. The exit status is the guest's, as a shell gives
// it: its exit status, or 128 + the signal that killed it.
#include "command.h"

#include "cairn/core/file.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

extern char** environ;

namespace cairn::cli {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kKilledPrefix = "cairn-spt: killed: forbidden system call ";
constexpr std::string_view kTenderPrefix = "cairn-spt: ";
constexpr int kAbortStatus = 255;  // SOLO5_EXIT_ABORT

// Options cairn-spt takes per device, passed through as they are.
constexpr std::string_view kDeviceOptionPrefixes[] = {"--net:", "--net-mac:", "--block:", "--block-sector-size:"};

struct RunOptions {
  std::string image;
  std::vector<std::string> guest_arguments;
  std::optional<unsigned> memory_mib;
  std::vector<std::string> device_options;
};

// cairn-spt sits next to the cairn executable: build/bin/ in a build tree, bin/ once installed.
Result<fs::path> find_tender() {
  std::error_code error;
  fs::path self = fs::read_symlink("/proc/self/exe", error);
  if (error) return make_error(ErrorCode::io, "cannot locate the cairn executable: {}", error.message());
  fs::path tender = self.parent_path() / "cairn-spt";
  if (::access(tender.c_str(), X_OK) != 0) {
    return make_error(ErrorCode::not_found, "{}: the spt tender is missing (build the cairn-spt target)",
                      tender.string());
  }
  return tender;
}

// Splits a byte stream into lines as they arrive, keeping the unfinished tail.
class LineSplitter {
 public:
  template <typename Handle>
  void feed(std::string_view bytes, Handle&& handle) {
    pending_.append(bytes);
    std::size_t start = 0;
    for (std::size_t newline; (newline = pending_.find('\n', start)) != std::string::npos; start = newline + 1) {
      handle(std::string_view(pending_).substr(start, newline + 1 - start));
    }
    pending_.erase(0, start);
  }
  template <typename Handle>
  void finish(Handle&& handle) {
    if (!pending_.empty()) handle(std::string_view(pending_));
    pending_.clear();
  }

 private:
  std::string pending_;
};

std::string_view trim_line_end(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  return line;
}

// What the guest said about an abort: the text after "ABORT: " (Solo5's bindings) or "abort: "
// (Cairn's kernel), else the whole line.
std::string abort_message(std::string_view line) {
  line = trim_line_end(line);
  for (std::string_view marker : {"ABORT: ", "abort: "}) {
    std::size_t at = line.find(marker);
    if (at != std::string_view::npos) return std::string(line.substr(at + marker.size()));
  }
  return std::string(line);
}

// What the relay learned while the guest ran.
struct RunObservations {
  std::optional<std::string> last_abort_line;  // the console's last line mentioning an abort
  std::optional<std::string> forbidden_call;   // from cairn-spt's report
  bool tender_refused = false;                 // cairn-spt printed an error of its own
};

void write_out(FILE* stream, std::string_view bytes) {
  std::fwrite(bytes.data(), 1, bytes.size(), stream);
  std::fflush(stream);
}

// Starts cairn-spt with stdout and stderr on pipes. SIGINT and SIGQUIT get their default action
// back in the child, since the parent ignores them while it waits (as system() does).
Result<pid_t> spawn_tender(const std::vector<std::string>& argv, int stdout_write, int stderr_write) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  std::unique_ptr<posix_spawn_file_actions_t, int (*)(posix_spawn_file_actions_t*)> actions_guard(
      &actions, posix_spawn_file_actions_destroy);
  posix_spawn_file_actions_adddup2(&actions, stdout_write, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, stderr_write, STDERR_FILENO);

  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  std::unique_ptr<posix_spawnattr_t, int (*)(posix_spawnattr_t*)> attributes_guard(&attributes,
                                                                                   posix_spawnattr_destroy);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGQUIT);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> pointers;
  pointers.reserve(argv.size() + 1);
  for (const std::string& argument : argv) pointers.push_back(const_cast<char*>(argument.c_str()));
  pointers.push_back(nullptr);
  pid_t pid = 0;
  int error = posix_spawn(&pid, pointers[0], &actions, &attributes, pointers.data(), environ);
  if (error != 0) return system_error(fmt::format("cannot start {}", argv[0]), error);
  return pid;
}

// Relays the child's stdout (console) and stderr until both close.
Result<RunObservations> relay(int console_fd, int error_fd) {
  RunObservations observations;
  LineSplitter console;
  LineSplitter errors;
  auto on_console_line = [&](std::string_view line) {
    write_out(stdout, line);
    if (line.find("ABORT") != std::string_view::npos || line.find("abort") != std::string_view::npos) {
      observations.last_abort_line = std::string(line);
    }
  };
  auto on_error_line = [&](std::string_view line) {
    if (line.starts_with(kKilledPrefix)) {
      std::string_view rest = trim_line_end(line.substr(kKilledPrefix.size()));
      observations.forbidden_call = std::string(rest.substr(0, rest.find(' ')));
      return;
    }
    if (line.starts_with(kTenderPrefix)) observations.tender_refused = true;
    write_out(stderr, line);
  };

  pollfd fds[2] = {{console_fd, POLLIN, 0}, {error_fd, POLLIN, 0}};
  LineSplitter* splitters[2] = {&console, &errors};
  char buffer[65536];
  int open_streams = 2;
  while (open_streams > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return system_error("poll", errno);
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t got = ::read(fds[i].fd, buffer, sizeof buffer);
      if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      std::string_view bytes(buffer, got > 0 ? static_cast<std::size_t>(got) : 0);
      if (i == 0) {
        splitters[i]->feed(bytes, on_console_line);
      } else {
        splitters[i]->feed(bytes, on_error_line);
      }
      if (got <= 0) {
        fds[i].fd = -1;  // end of stream (or an error, which ends it too)
        --open_streams;
      }
    }
  }
  console.finish(on_console_line);
  errors.finish(on_error_line);
  return observations;
}

// Ignores SIGINT and SIGQUIT for its lifetime: a Ctrl-C reaches the guest, and `cairn run` stays
// to report how it ended.
class IgnoreInterrupts {
 public:
  IgnoreInterrupts() {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGINT, &ignore, &saved_interrupt_);
    sigaction(SIGQUIT, &ignore, &saved_quit_);
  }
  ~IgnoreInterrupts() {
    sigaction(SIGINT, &saved_interrupt_, nullptr);
    sigaction(SIGQUIT, &saved_quit_, nullptr);
  }
  IgnoreInterrupts(const IgnoreInterrupts&) = delete;
  IgnoreInterrupts& operator=(const IgnoreInterrupts&) = delete;

 private:
  struct sigaction saved_interrupt_ {};
  struct sigaction saved_quit_ {};
};

std::string signal_name(int signal) {
  const char* abbreviation = sigabbrev_np(signal);
  return abbreviation != nullptr ? fmt::format("SIG{}", abbreviation) : fmt::format("signal {}", signal);
}

// Says how the guest ended, on stderr (and as JSON on stdout with --json); returns the exit status.
int report_outcome(const Invocation& invocation, int wait_status, const RunObservations& observations) {
  nlohmann::json report;
  int exit_status = 0;
  std::string line;
  if (WIFEXITED(wait_status)) {
    exit_status = WEXITSTATUS(wait_status);
    if (exit_status == exit_failure && observations.tender_refused) {
      // cairn-spt refused the image or the command line, and has said why already.
      report = {{"outcome", "refused"}, {"status", exit_status}};
    } else if (exit_status == kAbortStatus) {
      std::string message = observations.last_abort_line ? abort_message(*observations.last_abort_line) : "";
      line = message.empty() ? "cairn: aborted (the guest printed no abort message)" : "cairn: aborted: " + message;
      report = {{"outcome", "aborted"}, {"status", exit_status}, {"message", message}};
    } else {
      line = fmt::format("cairn: exited with status {}", exit_status);
      report = {{"outcome", "exited"}, {"status", exit_status}};
    }
  } else if (WIFSIGNALED(wait_status)) {
    int signal = WTERMSIG(wait_status);
    exit_status = 128 + signal;
    if (signal == SIGSYS && observations.forbidden_call) {
      line = "cairn: killed: forbidden system call " + *observations.forbidden_call;
      report = {{"outcome", "killed"},
                {"status", exit_status},
                {"signal", signal_name(signal)},
                {"system_call", *observations.forbidden_call}};
    } else {
      line = "cairn: killed by signal " + signal_name(signal);
      report = {{"outcome", "killed"}, {"status", exit_status}, {"signal", signal_name(signal)}};
    }
  }
  if (!line.empty()) std::fprintf(stderr, "%s\n", line.c_str());
  if (invocation.json) print_json(report);
  return exit_status;
}

Result<void> run_image(Invocation& invocation, const RunOptions& options) {
  fs::path tender = CAIRN_TRY(find_tender());
  std::vector<std::string> argv = {tender.string()};
  if (options.memory_mib) argv.push_back(fmt::format("--mem={}", *options.memory_mib));
  argv.insert(argv.end(), options.device_options.begin(), options.device_options.end());
  argv.push_back("--");
  argv.push_back(options.image);
  argv.insert(argv.end(), options.guest_arguments.begin(), options.guest_arguments.end());

  int console_pipe[2];
  int error_pipe[2];
  if (::pipe2(console_pipe, O_CLOEXEC) != 0) return system_error("pipe", errno);
  UniqueFd console_read(console_pipe[0]);
  UniqueFd console_write(console_pipe[1]);
  if (::pipe2(error_pipe, O_CLOEXEC) != 0) return system_error("pipe", errno);
  UniqueFd error_read(error_pipe[0]);
  UniqueFd error_write(error_pipe[1]);

  IgnoreInterrupts ignore_interrupts;
  pid_t pid = CAIRN_TRY(spawn_tender(argv, console_write.get(), error_write.get()));
  console_write.reset();
  error_write.reset();

  Result<RunObservations> observations = relay(console_read.get(), error_read.get());
  int wait_status = 0;
  while (::waitpid(pid, &wait_status, 0) < 0) {
    if (errno != EINTR) return system_error("waitpid", errno);
  }
  if (!observations.ok()) return std::move(observations).error();
  invocation.exit_status = report_outcome(invocation, wait_status, *observations);
  return {};
}

}  // namespace

void add_run_commands(CLI::App& app, Invocation& invocation) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* run =
      app.add_subcommand("run",
                         "Run an spt image under cairn-spt. Device options are cairn-spt's: --net:NAME=TAP|@FD, "
                         "--net-mac:NAME=MAC, --block:NAME=FILE, --block-sector-size:NAME=N. Arguments after -- go to "
                         "the guest. The exit status is the guest's (128 + signal if it was killed).");
  run->add_option("IMAGE", options->image, "The spt image")->required();
  run->add_option("ARGS", options->guest_arguments, "The guest's command line (after --)");
  run->add_option("--mem", options->memory_mib, "Guest memory in MiB (cairn-spt's default: 512)")
      ->check(CLI::Range(1U, 1U << 20));
  // cairn-spt's device options have the device name inside the option (--net:NAME=TAP), which
  // CLI11 cannot declare: take them as extras and check their prefixes here.
  run->allow_extras();
  run->fallthrough(false);
  run->callback([&invocation, options, run] {
    options->device_options.clear();
    for (const std::string& extra : run->remaining()) {
      if (extra == "--") continue;
      bool known = false;
      for (std::string_view prefix : kDeviceOptionPrefixes) known = known || extra.starts_with(prefix);
      if (!known) throw CLI::ExtrasError({extra});
      options->device_options.push_back(extra);
    }
    invocation.action = [&invocation, options]() -> Result<void> { return run_image(invocation, *options); };
  });
}

}  // namespace cairn::cli
