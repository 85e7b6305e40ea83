// Exclusive file locks with a bounded wait (see file_lock.h).
#include "cairn/core/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>

namespace cairn {

namespace fs = std::filesystem;

namespace {

// "lock <path> held by process <pid>", from the pid the holder wrote into the lock file.
std::string describe_holder(int fd, const fs::path& path) {
  char text[32] = {};
  ssize_t got = ::pread(fd, text, sizeof text - 1, 0);
  std::string_view pid(text, got > 0 ? static_cast<std::size_t>(got) : 0);
  pid = pid.substr(0, pid.find_first_not_of("0123456789"));
  if (pid.empty()) return fmt::format("lock {} is held", path.string());
  return fmt::format("lock {} held by process {}", path.string(), pid);
}

}  // namespace

Result<FileLock> FileLock::acquire(const fs::path& path, std::string_view activity, const FileLockOptions& options) {
  int flags = O_CLOEXEC | (options.record_holder ? O_RDWR : O_RDONLY) | (options.create ? O_CREAT : 0);
  UniqueFd fd(::open(path.c_str(), flags, 0644));
  if (!fd.valid()) {
    if (errno == ENOENT) return make_error(ErrorCode::not_found, "{}: no such file", path.string());
    return system_error(fmt::format("open {}", path.string()), errno);
  }
  using std::chrono::steady_clock;
  steady_clock::time_point deadline = steady_clock::now() + options.wait;
  std::chrono::milliseconds pause(1);
  bool waiting = false;
  while (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    if (errno != EWOULDBLOCK) return system_error(fmt::format("lock {}", path.string()), errno);
    steady_clock::time_point now = steady_clock::now();
    if (now >= deadline) {
      return make_error(ErrorCode::limit_exceeded,
                        "another cairn is {} ({}; gave up after {} ms); try again when it has finished", activity,
                        describe_holder(fd.get(), path), options.wait.count());
    }
    if (!waiting && options.on_wait) {
      options.on_wait(
          fmt::format("waiting for another cairn to finish {} ({})", activity, describe_holder(fd.get(), path)));
    }
    waiting = true;
    std::this_thread::sleep_for(std::min<steady_clock::duration>(pause, deadline - now));
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
  if (options.record_holder) {
    if (::ftruncate(fd.get(), 0) != 0) return system_error(fmt::format("truncate {}", path.string()), errno);
    CAIRN_TRY(write_all(fd.get(), std::to_string(::getpid()) + "\n").with_context(path.string()));
  }
  return FileLock(path, std::move(fd));
}

bool FileLock::still_at_path() const {
  struct stat held {};
  struct stat named {};
  if (::fstat(fd_.get(), &held) != 0 || ::stat(path_.c_str(), &named) != 0) return false;
  return held.st_dev == named.st_dev && held.st_ino == named.st_ino;
}

}  // namespace cairn
