// FileLock: an exclusive flock(2) on one file, held until destroyed, for read-modify-write
// sequences that two cairn processes (or threads) must not interleave: the trust state of a
// manifest, an envelope being co-signed.
//
// flock(2) has no timeout, so acquiring polls: 1 ms at first, backing off to 50 ms, for at most
// options.wait, then gives up with limit_exceeded naming the holder (as apt waits for dpkg's lock).
#pragma once

#include "cairn/core/file.h"
#include "cairn/core/result.h"

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace cairn {

struct FileLockOptions {
  // How long to wait for another holder: long enough for a verification to finish, short
  // enough not to hang a script.
  std::chrono::milliseconds wait = std::chrono::seconds(10);
  // Called once, with a sentence naming the holder, when the lock is busy and waiting starts.
  std::function<void(const std::string&)> on_wait;
  // Create the file if it is missing (a lock file of its own); off to lock an existing file.
  bool create = true;
  // Write our pid into the file, so that the next waiter's message can name us. Only for lock
  // files of their own: it replaces the file's content.
  bool record_holder = true;
};

class FileLock {
 public:
  // Locks `path`. `activity` says what the holder is doing, for messages: with "updating trust
  // state for sha256:…" a waiter is told "waiting for another cairn to finish updating trust
  // state for sha256:… (lock PATH held by process N)", and a timeout says "another cairn is
  // updating trust state for sha256:… (…; gave up after 10000 ms); try again when it has finished".
  static Result<FileLock> acquire(const std::filesystem::path& path, std::string_view activity,
                                  const FileLockOptions& options = {});

  const std::filesystem::path& path() const { return path_; }
  // Whether `path` still names the locked file. A writer that replaces the file by rename leaves
  // a waiter holding a lock on the old file: such a waiter must let go and lock again.
  bool still_at_path() const;

 private:
  FileLock(std::filesystem::path path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  std::filesystem::path path_;
  UniqueFd fd_;  // closing it releases the lock
};

}  // namespace cairn
