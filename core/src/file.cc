// Atomic writes, bounded reads and temporary directories (see file.h).
#include "cairn/core/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <system_error>
#include <vector>

namespace cairn {

namespace fs = std::filesystem;

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

Error system_error(std::string_view what, int error_number) {
  return make_error(ErrorCode::io, "{}: {}", what, std::strerror(error_number));
}

Result<std::size_t> read_some(int fd, void* buffer, std::size_t size) {
  for (;;) {
    ssize_t got = ::read(fd, buffer, size);
    if (got >= 0) return static_cast<std::size_t>(got);
    if (errno != EINTR) return system_error("read", errno);
  }
}

Result<void> write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t written = ::write(fd, data.data(), data.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return system_error("write", errno);
    }
    data.remove_prefix(static_cast<std::size_t>(written));
  }
  return {};
}

Result<void> sync_directory(const fs::path& directory) {
  UniqueFd fd(::open(directory.empty() ? "." : directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return system_error(fmt::format("open directory {}", directory.string()), errno);
  if (::fsync(fd.get()) != 0) return system_error(fmt::format("fsync {}", directory.string()), errno);
  return {};
}

Result<AtomicFile> AtomicFile::create(const fs::path& path, mode_t mode) {
  if (path.filename().empty()) {
    return make_error(ErrorCode::invalid_argument, "{}: not a file name", path.string());
  }
  // The temporary file lives in the same directory so that rename() is atomic (same file system).
  fs::path temporary = path.parent_path() / ("." + path.filename().string() + ".tmp-XXXXXX");
  std::string pattern = temporary.string();
  UniqueFd fd(::mkostemp(pattern.data(), O_CLOEXEC));
  if (!fd.valid()) return system_error(fmt::format("create temporary file for {}", path.string()), errno);
  if (::fchmod(fd.get(), mode) != 0) {
    int saved = errno;
    ::unlink(pattern.c_str());
    return system_error(fmt::format("chmod {}", pattern), saved);
  }
  return AtomicFile(path, fs::path(pattern), std::move(fd));
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : path_(std::move(other.path_)), temporary_path_(std::move(other.temporary_path_)), fd_(std::move(other.fd_)) {
  other.temporary_path_.clear();
}

AtomicFile::~AtomicFile() {
  if (!temporary_path_.empty()) ::unlink(temporary_path_.c_str());
}

Result<void> AtomicFile::commit() {
  if (temporary_path_.empty()) return make_error(ErrorCode::internal, "{}: already committed", path_.string());
  if (::fsync(fd_.get()) != 0) return system_error(fmt::format("fsync {}", temporary_path_.string()), errno);
  fd_.reset();
  if (::rename(temporary_path_.c_str(), path_.c_str()) != 0) {
    return system_error(fmt::format("rename {} to {}", temporary_path_.string(), path_.string()), errno);
  }
  temporary_path_.clear();
  return sync_directory(path_.parent_path());
}

Result<void> write_scratch_file(const std::filesystem::path& path, std::string_view data, mode_t mode) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd.valid()) return system_error(fmt::format("create {}", path.string()), errno);
  return write_all(fd.get(), data).with_context(path.string());
}

Result<void> write_file_atomically(const fs::path& path, std::string_view data, mode_t mode) {
  AtomicFile file = CAIRN_TRY(AtomicFile::create(path, mode));
  CAIRN_TRY(write_all(file.fd(), data).with_context(path.string()));
  return file.commit();
}

Result<std::string> read_file(const fs::path& path, std::size_t max_size) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return make_error(ErrorCode::not_found, "{}: no such file", path.string());
    return system_error(fmt::format("open {}", path.string()), errno);
  }
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return system_error(fmt::format("stat {}", path.string()), errno);
  if (!S_ISREG(info.st_mode)) return make_error(ErrorCode::invalid_argument, "{}: not a regular file", path.string());
  std::string content;
  // The size is only a hint (the file may change); the loop below reads until end of file.
  if (static_cast<std::size_t>(info.st_size) <= max_size) content.reserve(static_cast<std::size_t>(info.st_size));
  std::vector<char> buffer(std::size_t{64} * 1024);
  for (;;) {
    std::size_t got = CAIRN_TRY(read_some(fd.get(), buffer.data(), buffer.size()).with_context(path.string()));
    if (got == 0) break;
    if (content.size() + got > max_size) {
      return make_error(ErrorCode::limit_exceeded, "{}: larger than the limit of {} bytes", path.string(), max_size);
    }
    content.append(buffer.data(), got);
  }
  return content;
}

Result<TemporaryDirectory> TemporaryDirectory::create(std::string_view prefix, const fs::path& parent) {
  fs::path base = parent;
  if (base.empty()) {
    const char* tmpdir = std::getenv("TMPDIR");
    base = (tmpdir != nullptr && *tmpdir != '\0') ? fs::path(tmpdir) : fs::path("/tmp");
  }
  std::string pattern = (base / (std::string(prefix) + "XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    return system_error(fmt::format("create temporary directory in {}", base.string()), errno);
  }
  return TemporaryDirectory(fs::path(pattern));
}

TemporaryDirectory::~TemporaryDirectory() {
  if (path_.empty()) return;
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

fs::path TemporaryDirectory::release() {
  fs::path path = std::move(path_);
  path_.clear();
  return path;
}

}  // namespace cairn
