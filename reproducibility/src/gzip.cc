// gzip forms of single files through libarchive (see gzip.h).
#include "cairn/reproducibility/gzip.h"

#include "cairn/core/file.h"
#include "libarchive_support.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <zlib.h>

#include <cerrno>
#include <vector>

namespace cairn::reproducibility {

namespace fs = std::filesystem;
using internal::archive_error;
using internal::ArchiveEntryHandle;
using internal::ArchiveWriteHandle;

namespace {

constexpr std::size_t copy_block_size = std::size_t{256} * 1024;

// Compresses what is read from `in` (`size` bytes) into `out`; returns the digest of what it read.
Result<Digest> compress(int in, std::uint64_t size, int out, const fs::path& input) {
  ArchiveWriteHandle handle(archive_write_new());
  if (!handle) return make_error(ErrorCode::internal, "libarchive could not allocate a writer");
  archive* a = handle.get();
  // The raw format writes one entry's data and nothing else: no tar header, no name.
  if (archive_write_set_format_raw(a) != ARCHIVE_OK) return archive_error(ErrorCode::internal, "select raw", a);
  // ARCHIVE_WARN here would mean an external gzip program, whose output we do not control.
  if (archive_write_add_filter_gzip(a) != ARCHIVE_OK) {
    return archive_error(ErrorCode::internal, "add the gzip filter", a);
  }
  if (archive_write_set_options(a, "gzip:compression-level=9,gzip:!timestamp") != ARCHIVE_OK) {
    return archive_error(ErrorCode::internal, "set gzip options", a);
  }
  // No padding after the gzip member: the last block is written as it is.
  if (archive_write_set_bytes_per_block(a, 10240) != ARCHIVE_OK ||
      archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK) {
    return archive_error(ErrorCode::internal, "set the block size", a);
  }
  if (archive_write_open_fd(a, out) != ARCHIVE_OK) return archive_error(ErrorCode::io, "start the gzip stream", a);
  ArchiveEntryHandle entry(archive_entry_new());
  if (!entry) return make_error(ErrorCode::internal, "libarchive could not allocate an entry");
  archive_entry_set_filetype(entry.get(), AE_IFREG);
  archive_entry_set_perm(entry.get(), 0644);
  archive_entry_set_size(entry.get(), static_cast<la_int64_t>(size));
  if (archive_write_header(a, entry.get()) != ARCHIVE_OK) return archive_error(ErrorCode::io, "start the entry", a);

  std::vector<std::byte> buffer(copy_block_size);
  Hasher hasher;
  std::uint64_t remaining = size;
  for (;;) {
    std::size_t got = CAIRN_TRY(read_some(in, buffer.data(), buffer.size()).with_context(input.string()));
    if (got == 0) break;
    if (got > remaining) return make_error(ErrorCode::refused, "{}: grew while it was compressed", input.string());
    std::span<const std::byte> block(buffer.data(), got);
    hasher.update(block);
    la_ssize_t written = archive_write_data(a, block.data(), block.size());
    if (written < 0 || static_cast<std::size_t>(written) != got) {
      return archive_error(ErrorCode::io, "compress " + input.string(), a);
    }
    remaining -= got;
  }
  if (remaining != 0) return make_error(ErrorCode::refused, "{}: shrank while it was compressed", input.string());
  if (archive_write_finish_entry(a) != ARCHIVE_OK) return archive_error(ErrorCode::io, "finish the entry", a);
  if (archive_write_close(a) != ARCHIVE_OK) return archive_error(ErrorCode::io, "finish the gzip stream", a);
  return hasher.finish();
}

}  // namespace

Result<GzipReport> gzip_file(const fs::path& input, const fs::path& output) {
  UniqueFd in(::open(input.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!in.valid()) return system_error(fmt::format("open {}", input.string()), errno);
  struct stat info {};
  if (::fstat(in.get(), &info) != 0) return system_error(fmt::format("stat {}", input.string()), errno);
  if (!S_ISREG(info.st_mode)) return make_error(ErrorCode::refused, "{}: not a regular file", input.string());
  UniqueFd out(::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!out.valid()) return system_error(fmt::format("create {}", output.string()), errno);

  GzipReport report;
  report.input_size = static_cast<std::uint64_t>(info.st_size);
  report.input_digest =
      CAIRN_TRY(compress(in.get(), report.input_size, out.get(), input).with_context(output.string()));
  out.reset();
  std::error_code error;
  report.output_size = fs::file_size(output, error);
  if (error) return make_error(ErrorCode::io, "stat {}: {}", output.string(), error.message());
  report.output_digest = CAIRN_TRY(digest_file(output));
  return report;
}

std::string gzip_library_version() {
  return fmt::format("{}, zlib {}", archive_version_string(), zlibVersion());
}

}  // namespace cairn::reproducibility
