// Deterministic tar.gz creation: the archive's bytes are a function of the tree alone.
//
// Nothing is taken from stat() but the file type, the owner's execute bit and the size: every
// archive entry is built from scratch with a fixed mtime, uid/gid 0, no user or group names and
// normalized permissions, in sorted order. The gzip header carries no name and no timestamp.
#include "cairn/reproducibility/archive.h"

#include "cairn/core/file.h"
#include "cairn/core/tree.h"
#include "libarchive_support.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::reproducibility {

namespace fs = std::filesystem;
using internal::archive_error;
using internal::ArchiveEntryHandle;
using internal::ArchiveWriteHandle;
using internal::ScopedLocale;

namespace {

// Permissions in the archive (libarchive_support.h): only a file's owner-execute bit survives
// from the tree.
using internal::directory_permissions;
using internal::executable_permissions;
using internal::file_permissions;
constexpr mode_t symlink_permissions = 0777;

// Large enough that system-call and libarchive overhead vanish, small enough for the cache.
constexpr std::size_t copy_block_size = std::size_t{256} * 1024;

// tar's traditional 10 KiB blocking; the last block is not padded (bytes_in_last_block = 1), so
// the output does not depend on whether it goes to a file or a device.
constexpr int bytes_per_block = 10240;

// Names in pax headers are UTF-8. libarchive converts them from the thread's locale, so a fixed
// UTF-8 locale makes the bytes the same whatever locale the calling program runs in (under "C",
// a non-ASCII name would be written as raw bytes with hdrcharset=BINARY instead).
constexpr const char* name_locale = "C.UTF-8";

// Every parent directory of `path` ("a/b/c" has "a" and "a/b"), shortest first.
std::vector<std::string_view> parent_directories(std::string_view path) {
  std::vector<std::string_view> parents;
  for (std::size_t slash = path.find('/'); slash != std::string_view::npos; slash = path.find('/', slash + 1)) {
    parents.push_back(path.substr(0, slash));
  }
  return parents;
}

// Writes a tar.gz stream, entry by entry, to a file descriptor it does not own.
class DeterministicTarGzWriter {
 public:
  static Result<DeterministicTarGzWriter> open(int fd, std::int64_t mtime) {
    ArchiveWriteHandle handle(archive_write_new());
    if (!handle) return make_error(ErrorCode::internal, "libarchive could not allocate a writer");
    archive* a = handle.get();
    // pax restricted: plain ustar headers, plus a pax extended header only for an entry that needs
    // one (a long or non-ASCII name), so that common trees read with any tar.
    if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK) {
      return archive_error(ErrorCode::internal, "select the pax format", a);
    }
    // ARCHIVE_WARN here would mean an external gzip program, whose output we do not control.
    if (archive_write_add_filter_gzip(a) != ARCHIVE_OK) {
      return archive_error(ErrorCode::internal, "add the gzip filter", a);
    }
    if (archive_write_set_options(a, "gzip:compression-level=9,gzip:!timestamp") != ARCHIVE_OK) {
      return archive_error(ErrorCode::internal, "set gzip options", a);
    }
    if (archive_write_set_bytes_per_block(a, bytes_per_block) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK) {
      return archive_error(ErrorCode::internal, "set the block size", a);
    }
    if (archive_write_open_fd(a, fd) != ARCHIVE_OK) return archive_error(ErrorCode::io, "start the archive", a);
    return DeterministicTarGzWriter(std::move(handle), mtime);
  }

  Result<void> add_directory(std::string_view path) {
    ArchiveEntryHandle entry = CAIRN_TRY(new_entry(path, AE_IFDIR, directory_permissions));
    return write_header(entry.get(), path);
  }

  Result<void> add_symlink(std::string_view path, const std::string& target) {
    ArchiveEntryHandle entry = CAIRN_TRY(new_entry(path, AE_IFLNK, symlink_permissions));
    archive_entry_copy_symlink(entry.get(), target.c_str());
    return write_header(entry.get(), path);
  }

  // Streams the regular file at `path` (opened below `root_fd`) into the archive and returns the
  // SHA-256 of exactly the bytes archived. Refuses a file that is no longer the one scanned.
  Result<Digest> add_file(int root_fd, const fs::path& root, const TreeEntry& file) {
    fs::path full_path = root / file.path;
    // O_NOFOLLOW: a file swapped for a symlink since the scan is refused, not followed.
    // O_NONBLOCK: a file swapped for a FIFO does not hang the open; fstat then refuses it.
    UniqueFd fd(::openat(root_fd, file.path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!fd.valid()) {
      if (errno == ELOOP || errno == ENOENT) return changed_while_archiving(full_path);
      return system_error(fmt::format("open {}", full_path.string()), errno);
    }
    struct stat info {};
    if (::fstat(fd.get(), &info) != 0) return system_error(fmt::format("stat {}", full_path.string()), errno);
    if (!S_ISREG(info.st_mode) || static_cast<std::uint64_t>(info.st_size) != file.size) {
      return changed_while_archiving(full_path);
    }
    (void)::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);

    mode_t permissions = file.mode == EntryMode::executable ? executable_permissions : file_permissions;
    ArchiveEntryHandle entry = CAIRN_TRY(new_entry(file.path, AE_IFREG, permissions));
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(file.size));
    CAIRN_TRY(write_header(entry.get(), file.path));

    Hasher hasher;
    std::uint64_t remaining = file.size;
    for (;;) {
      std::size_t size =
          CAIRN_TRY(read_some(fd.get(), buffer_.data(), buffer_.size()).with_context(full_path.string()));
      if (size == 0) break;
      if (size > remaining) return changed_while_archiving(full_path);  // it grew
      std::span<const std::byte> block(buffer_.data(), size);
      hasher.update(block);
      la_ssize_t written = archive_write_data(handle_.get(), block.data(), block.size());
      if (written < 0 || static_cast<std::size_t>(written) != size) {
        return archive_error(ErrorCode::io, fmt::format("archive the content of {}", file.path), handle_.get());
      }
      remaining -= size;
    }
    if (remaining != 0) return changed_while_archiving(full_path);  // it shrank
    if (archive_write_finish_entry(handle_.get()) != ARCHIVE_OK) {
      return archive_error(ErrorCode::io, fmt::format("finish {}", file.path), handle_.get());
    }
    return hasher.finish();
  }

  // Writes the end-of-archive marker and flushes the compressor; the fd then holds the archive.
  Result<void> close() {
    if (archive_write_close(handle_.get()) != ARCHIVE_OK) {
      return archive_error(ErrorCode::io, "finish the archive", handle_.get());
    }
    return {};
  }

 private:
  DeterministicTarGzWriter(ArchiveWriteHandle handle, std::int64_t mtime)
      : handle_(std::move(handle)), mtime_(mtime), buffer_(copy_block_size) {}

  static Error changed_while_archiving(const fs::path& path) {
    return make_error(ErrorCode::refused, "{}: changed while archiving (archive again once it is stable)",
                      path.string());
  }

  // An entry with only the fields that may vary set: everything else keeps libarchive's zero
  // defaults (uid/gid 0, no names, no atime/ctime/birthtime, no xattrs, ACLs or flags).
  Result<ArchiveEntryHandle> new_entry(std::string_view path, mode_t type, mode_t permissions) const {
    ArchiveEntryHandle entry(archive_entry_new());
    if (!entry) return make_error(ErrorCode::internal, "libarchive could not allocate an entry");
    archive_entry_copy_pathname(entry.get(), std::string(path).c_str());
    archive_entry_set_filetype(entry.get(), type);
    archive_entry_set_perm(entry.get(), permissions);
    archive_entry_set_mtime(entry.get(), mtime_, 0);
    archive_entry_set_uid(entry.get(), 0);
    archive_entry_set_gid(entry.get(), 0);
    return entry;
  }

  Result<void> write_header(archive_entry* entry, std::string_view path) {
    // ARCHIVE_WARN is refused too: it means libarchive changed how it writes the entry (e.g. a
    // name it could not convert), and the bytes would no longer be the canonical ones.
    if (archive_write_header(handle_.get(), entry) != ARCHIVE_OK) {
      return archive_error(ErrorCode::io, fmt::format("archive entry '{}'", path), handle_.get());
    }
    return {};
  }

  ArchiveWriteHandle handle_;
  std::int64_t mtime_;
  std::vector<std::byte> buffer_;
};

}  // namespace

Result<std::optional<std::int64_t>> source_date_epoch_from_environment() {
  const char* value = std::getenv("SOURCE_DATE_EPOCH");
  if (value == nullptr) return std::optional<std::int64_t>();
  std::string_view text(value);
  // from_chars alone would accept a leading '-'; the specification allows digits only.
  bool digits_only = !text.empty();
  for (char c : text) digits_only = digits_only && c >= '0' && c <= '9';
  std::int64_t seconds = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (!digits_only || error != std::errc() || end != text.data() + text.size()) {
    return make_error(ErrorCode::invalid_argument,
                      "SOURCE_DATE_EPOCH='{}' is not a non-negative decimal integer (seconds since "
                      "1970-01-01 UTC); unset it or set it to e.g. the last commit's time",
                      text);
  }
  return std::optional<std::int64_t>(seconds);
}

Result<Digest> create_archive(const fs::path& root, const fs::path& output, const ArchiveOptions& options) {
  if (options.mtime < 0) {
    return make_error(ErrorCode::invalid_argument, "archive mtime {} is negative", options.mtime);
  }
  std::vector<TreeEntry> entries = CAIRN_TRY(scan_tree(root, {.compute_digests = false, .exclude = {}}));

  // Publishing an archive that extraction would refuse helps nobody: say so now.
  for (const TreeEntry& entry : entries) {
    if (entry.mode == EntryMode::symlink && !symlink_stays_inside(entry.path, entry.symlink_target)) {
      return make_error(ErrorCode::refused,
                        "{}: symlink '{}' -> '{}' points outside the tree; an archive of it could "
                        "not be extracted safely",
                        root.string(), entry.path, entry.symlink_target);
    }
  }

  UniqueFd root_fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd.valid()) return system_error(fmt::format("open {}", root.string()), errno);

  ScopedLocale locale = CAIRN_TRY(ScopedLocale::use(name_locale));
  AtomicFile file = CAIRN_TRY(AtomicFile::create(output, 0644));
  DeterministicTarGzWriter writer =
      CAIRN_TRY(DeterministicTarGzWriter::open(file.fd(), options.mtime).with_context(output.string()));

  // A directory entry for every directory that holds something, just before the first entry
  // inside it: derived from the sorted paths alone, so still a function of the tree.
  std::set<std::string, std::less<>> directories_written;
  for (TreeEntry& entry : entries) {
    for (std::string_view directory : parent_directories(entry.path)) {
      if (directories_written.contains(directory)) continue;
      CAIRN_TRY(writer.add_directory(directory).with_context(output.string()));
      directories_written.emplace(directory);
    }
    switch (entry.mode) {
      case EntryMode::file:
      case EntryMode::executable:
        entry.content_digest = CAIRN_TRY(writer.add_file(root_fd.get(), root, entry).with_context(output.string()));
        break;
      case EntryMode::symlink:
        CAIRN_TRY(writer.add_symlink(entry.path, entry.symlink_target).with_context(output.string()));
        entry.content_digest = Digest::sha256_of(entry.symlink_target);
        break;
    }
  }
  CAIRN_TRY(writer.close().with_context(output.string()));
  Digest tree = CAIRN_TRY(tree_digest(entries));
  CAIRN_TRY(file.commit());
  return tree;
}

}  // namespace cairn::reproducibility
