// Files done safely: an owning file descriptor, atomic replacement of a file (temp file in the
// same directory, fsync, rename, fsync of the directory), bounded reads and temporary directories.
// A crash at any moment leaves either the old file or the new one, never a half-written one.
#pragma once

#include "cairn/core/result.h"

#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace cairn {

// Owns one file descriptor and closes it when destroyed.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// An error for a failed system call: "<what>: <strerror(errno)>", code io.
Error system_error(std::string_view what, int error_number);

// Reads up to `size` bytes from `fd` into `buffer`, retrying when a signal interrupts the read:
// the count read, 0 at end of file. Errors are io ("read: <reason>"); callers add the file name.
Result<std::size_t> read_some(int fd, void* buffer, std::size_t size);

// Writes all of `data` to `fd`, retrying on short writes and EINTR.
Result<void> write_all(int fd, std::string_view data);

// A file that appears at its final path only when commit() succeeds. Until then the bytes go to
// a hidden temporary file beside it, which is removed if the AtomicFile is destroyed uncommitted.
class AtomicFile {
 public:
  static Result<AtomicFile> create(const std::filesystem::path& path, mode_t mode = 0644);
  ~AtomicFile();
  AtomicFile(AtomicFile&&) noexcept;
  AtomicFile& operator=(AtomicFile&&) = delete;

  int fd() const { return fd_.get(); }
  const std::filesystem::path& path() const { return path_; }
  // fsync, rename over the final path, fsync the directory.
  Result<void> commit();

 private:
  AtomicFile(std::filesystem::path path, std::filesystem::path temporary_path, UniqueFd fd)
      : path_(std::move(path)), temporary_path_(std::move(temporary_path)), fd_(std::move(fd)) {}

  std::filesystem::path path_;
  std::filesystem::path temporary_path_;  // empty once committed or moved from
  UniqueFd fd_;
};

// Creates or truncates `path` and writes `data`: not atomic and not synced, for scratch files
// that nothing reads after a crash.
Result<void> write_scratch_file(const std::filesystem::path& path, std::string_view data, mode_t mode = 0644);

// Replaces (or creates) `path` with `data`, atomically and durably.
Result<void> write_file_atomically(const std::filesystem::path& path, std::string_view data, mode_t mode = 0644);

// Reads a whole regular file, refusing one larger than `max_size` bytes.
Result<std::string> read_file(const std::filesystem::path& path, std::size_t max_size);

// fsyncs a directory so that a rename or create inside it survives a crash.
Result<void> sync_directory(const std::filesystem::path& directory);

// A fresh, private (0700) directory that is removed with everything inside when destroyed.
class TemporaryDirectory {
 public:
  // Creates "<parent>/<prefix>XXXXXX"; parent defaults to $TMPDIR or /tmp.
  static Result<TemporaryDirectory> create(std::string_view prefix = "cairn-",
                                           const std::filesystem::path& parent = {});
  ~TemporaryDirectory();
  TemporaryDirectory(TemporaryDirectory&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  TemporaryDirectory& operator=(TemporaryDirectory&&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Keeps the directory on disk: the caller becomes responsible for it.
  std::filesystem::path release();

 private:
  explicit TemporaryDirectory(std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
};

}  // namespace cairn
