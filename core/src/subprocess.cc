// Running a child with relayed output and signals (see subprocess.h).
#include "cairn/core/subprocess.h"

#include "cairn/core/file.h"
#include "cairn/core/unique_handle.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

extern char** environ;

namespace cairn {

namespace {

// Splits a byte stream into lines as they arrive, keeping the unfinished tail.
class LineSplitter {
 public:
  explicit LineSplitter(const LineHandler& handle) : handle_(handle) {}
  void feed(std::string_view bytes) {
    pending_.append(bytes);
    std::size_t start = 0;
    for (std::size_t newline; (newline = pending_.find('\n', start)) != std::string::npos; start = newline + 1) {
      handle_(std::string_view(pending_).substr(start, newline + 1 - start));
    }
    pending_.erase(0, start);
  }
  void finish() {
    if (!pending_.empty()) handle_(pending_);
    pending_.clear();
  }

 private:
  const LineHandler& handle_;
  std::string pending_;
};

// For its lifetime: SIGINT and SIGQUIT ignored, SIGTERM and SIGHUP blocked and readable from a
// signalfd. Restores the dispositions and the mask when destroyed.
class SignalRelay {
 public:
  static Result<SignalRelay> install() {
    SignalRelay relay;
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGINT, &ignore, &relay.saved_interrupt_);
    sigaction(SIGQUIT, &ignore, &relay.saved_quit_);
    sigset_t relayed;
    sigemptyset(&relayed);
    sigaddset(&relayed, SIGTERM);
    sigaddset(&relayed, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &relayed, &relay.saved_mask_);
    relay.installed_ = true;
    relay.fd_ = UniqueFd(::signalfd(-1, &relayed, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!relay.fd_.valid()) return system_error("signalfd", errno);
    return relay;
  }
  SignalRelay(SignalRelay&& other) noexcept
      : installed_(std::exchange(other.installed_, false)),
        saved_interrupt_(other.saved_interrupt_),
        saved_quit_(other.saved_quit_),
        saved_mask_(other.saved_mask_),
        fd_(std::move(other.fd_)) {}
  SignalRelay& operator=(SignalRelay&&) = delete;
  ~SignalRelay() {
    if (!installed_) return;
    fd_.reset();
    // A relayed signal that arrived after the child ended stays pending: restoring the mask
    // delivers it to us, as if we had never blocked it.
    pthread_sigmask(SIG_SETMASK, &saved_mask_, nullptr);
    sigaction(SIGINT, &saved_interrupt_, nullptr);
    sigaction(SIGQUIT, &saved_quit_, nullptr);
  }

  int fd() const { return fd_.get(); }
  const sigset_t& saved_mask() const { return saved_mask_; }
  // Passes every pending relayed signal on to `child`.
  void forward(pid_t child) {
    signalfd_siginfo info{};
    while (::read(fd_.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
      ::kill(child, static_cast<int>(info.ssi_signo));
    }
  }

 private:
  SignalRelay() = default;
  bool installed_ = false;
  struct sigaction saved_interrupt_ {};
  struct sigaction saved_quit_ {};
  sigset_t saved_mask_{};
  UniqueFd fd_;
};

Result<pid_t> spawn(const std::vector<std::string>& argv, int stdout_write, int stderr_write,
                    const sigset_t& child_mask) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  UniqueHandle<posix_spawn_file_actions_t, posix_spawn_file_actions_destroy> actions_guard(&actions);
  posix_spawn_file_actions_adddup2(&actions, stdout_write, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, stderr_write, STDERR_FILENO);

  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  UniqueHandle<posix_spawnattr_t, posix_spawnattr_destroy> attributes_guard(&attributes);
  // Ignored dispositions survive exec: give the child the defaults back. Blocked signals do too:
  // give it the mask we had before blocking the relayed ones.
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGQUIT);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setsigmask(&attributes, &child_mask);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  std::vector<char*> pointers;
  pointers.reserve(argv.size() + 1);
  for (const std::string& argument : argv) pointers.push_back(const_cast<char*>(argument.c_str()));
  pointers.push_back(nullptr);
  pid_t pid = 0;
  int error = posix_spawn(&pid, pointers[0], &actions, &attributes, pointers.data(), environ);
  if (error != 0) return system_error(fmt::format("cannot start {}", argv[0]), error);
  return pid;
}

Result<void> make_pipe(UniqueFd& read_end, UniqueFd& write_end) {
  int ends[2];
  if (::pipe2(ends, O_CLOEXEC) != 0) return system_error("pipe", errno);
  read_end = UniqueFd(ends[0]);
  write_end = UniqueFd(ends[1]);
  return {};
}

ProcessExit decode(int wait_status) {
  ProcessExit exit;
  if (WIFSIGNALED(wait_status)) {
    exit.signaled = true;
    exit.signal = WTERMSIG(wait_status);
  } else {
    exit.status = WEXITSTATUS(wait_status);
  }
  return exit;
}

}  // namespace

std::string signal_name(int signal) {
  const char* abbreviation = sigabbrev_np(signal);
  return abbreviation != nullptr ? fmt::format("SIG{}", abbreviation) : fmt::format("signal {}", signal);
}

std::filesystem::path find_in_path(std::string_view name) {
  if (name.find('/') != std::string_view::npos) return std::filesystem::path(name);
  const char* path = std::getenv("PATH");
  std::string_view directories = path != nullptr && *path != '\0' ? path : "/usr/local/bin:/usr/bin:/bin";
  while (!directories.empty()) {
    std::size_t colon = directories.find(':');
    std::string_view directory = directories.substr(0, colon);
    directories = colon == std::string_view::npos ? std::string_view() : directories.substr(colon + 1);
    std::filesystem::path candidate = std::filesystem::path(directory.empty() ? "." : directory) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

Result<ProcessExit> run_process(const std::vector<std::string>& argv, const LineHandler& on_stdout,
                                const LineHandler& on_stderr) {
  if (argv.empty()) return make_error(ErrorCode::invalid_argument, "no program to run");
  UniqueFd stdout_read, stdout_write, stderr_read, stderr_write;
  CAIRN_TRY(make_pipe(stdout_read, stdout_write));
  CAIRN_TRY(make_pipe(stderr_read, stderr_write));

  SignalRelay relay = CAIRN_TRY(SignalRelay::install());
  pid_t pid = CAIRN_TRY(spawn(argv, stdout_write.get(), stderr_write.get(), relay.saved_mask()));
  stdout_write.reset();
  stderr_write.reset();

  // Relay output and signals until both streams have closed and the child has ended. The child's
  // end is seen through a pidfd where the kernel has them (Linux 5.3); without one, the wait
  // below blocks once the streams have closed, and a signal arriving then waits for it.
  UniqueFd child(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  LineSplitter splitters[2] = {LineSplitter(on_stdout), LineSplitter(on_stderr)};
  pollfd fds[4] = {{stdout_read.get(), POLLIN, 0},
                   {stderr_read.get(), POLLIN, 0},
                   {relay.fd(), POLLIN, 0},
                   {child.get(), POLLIN, 0}};
  char buffer[65536];
  int open_streams = 2;
  bool ended = !child.valid();
  Result<void> watched;
  while (open_streams > 0 || !ended) {
    if (::poll(fds, 4, -1) < 0) {
      if (errno == EINTR) continue;
      watched = system_error("poll", errno);
      break;
    }
    if (fds[2].revents != 0) relay.forward(pid);
    if (fds[3].revents != 0) {
      ended = true;
      fds[3].fd = -1;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      Result<std::size_t> got = read_some(fds[i].fd, buffer, sizeof buffer);
      if (got.ok() && *got > 0) {
        splitters[i].feed(std::string_view(buffer, *got));
        continue;
      }
      fds[i].fd = -1;  // end of stream (or an error, which ends it too)
      --open_streams;
    }
  }
  for (LineSplitter& splitter : splitters) splitter.finish();

  int wait_status = 0;
  if (!watched.ok()) ::kill(pid, SIGKILL);  // do not leave a child we can no longer watch
  while (::waitpid(pid, &wait_status, 0) < 0) {
    if (errno != EINTR) return system_error("waitpid", errno);
  }
  if (!watched.ok()) return std::move(watched).error();
  return decode(wait_status);
}

Result<ProcessExit> run_to_file(const std::vector<std::string>& argv, const std::filesystem::path& output,
                                const std::vector<std::string>* environment,
                                const std::filesystem::path& working_directory) {
  if (argv.empty()) return make_error(ErrorCode::invalid_argument, "no program to run");
  std::vector<char*> arguments;
  for (const auto& argument : argv) arguments.push_back(const_cast<char*>(argument.c_str()));
  arguments.push_back(nullptr);
  std::vector<char*> variables;
  if (environment != nullptr) {
    for (const auto& variable : *environment) variables.push_back(const_cast<char*>(variable.c_str()));
    variables.push_back(nullptr);
  }

  posix_spawn_file_actions_t actions;
  if (int error = ::posix_spawn_file_actions_init(&actions); error != 0) return system_error("spawn", error);
  ::posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ::posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  // After the opens, so that a relative `output` still names a file where we are.
  if (!working_directory.empty()) ::posix_spawn_file_actions_addchdir_np(&actions, working_directory.c_str());
  pid_t pid = 0;
  int error = ::posix_spawn(&pid, arguments[0], &actions, nullptr, arguments.data(),
                            environment != nullptr ? variables.data() : environ);
  ::posix_spawn_file_actions_destroy(&actions);
  if (error != 0) return system_error(fmt::format("start {}", argv[0]), error);
  int wait_status = 0;
  while (::waitpid(pid, &wait_status, 0) < 0) {
    if (errno != EINTR) return system_error("waitpid", errno);
  }
  return decode(wait_status);
}

}  // namespace cairn
