// Helpers shared by the archive tests: files in temporary trees, and archives crafted entry by
// entry with libarchive's writer (including the hostile ones no honest writer produces).
#pragma once

#include "cairn/core/file.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::reproducibility::testing {

namespace fs = std::filesystem;

inline TemporaryDirectory make_temporary_directory() {
  return std::move(TemporaryDirectory::create("cairn-archive-test-")).value();
}

// Writes `content` to `path`, creating its parents, with exactly `mode` whatever the umask.
inline void write_file(const fs::path& path, std::string_view content, mode_t mode = 0644) {
  fs::create_directories(path.parent_path());
  Result<void> written = write_file_atomically(path, content, mode);
  ASSERT_TRUE(written.ok()) << written.error().message();
}

inline std::string read_bytes(const fs::path& path) {
  Result<std::string> content = read_file(path, std::size_t{1} << 30);
  EXPECT_TRUE(content.ok()) << content.error().message();
  return content.ok() ? std::move(content).value() : std::string();
}

// The names in `directory`, sorted.
inline std::vector<std::string> names_in(const fs::path& directory) {
  std::vector<std::string> names;
  for (const auto& item : fs::directory_iterator(directory)) names.push_back(item.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// Deterministic bytes that do not compress (a simple xorshift generator).
inline std::string incompressible_bytes(std::size_t size, std::uint64_t seed = 0x9e3779b97f4a7c15ull) {
  std::string bytes(size, '\0');
  for (char& byte : bytes) {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    byte = static_cast<char>(seed & 0xff);
  }
  return bytes;
}

// One archive entry, every field chosen by the test.
struct CraftedEntry {
  std::string path{};
  mode_t type = AE_IFREG;
  mode_t permissions = 0644;
  std::string content{};
  std::uint64_t zero_bytes = 0;                 // written after `content`, in blocks (bombs)
  std::optional<std::int64_t> declared_size{};  // default: content plus zero bytes
  std::string symlink{};                        // target, for AE_IFLNK
  std::string hardlink{};                       // target; makes the entry a hardlink
};

inline CraftedEntry file_entry(std::string path, std::string content, mode_t permissions = 0644) {
  return {.path = std::move(path), .permissions = permissions, .content = std::move(content)};
}
inline CraftedEntry directory_entry(std::string path, mode_t permissions = 0755) {
  return {.path = std::move(path), .type = AE_IFDIR, .permissions = permissions};
}
inline CraftedEntry symlink_entry(std::string path, std::string target) {
  return {.path = std::move(path), .type = AE_IFLNK, .permissions = 0777, .symlink = std::move(target)};
}
inline CraftedEntry hardlink_entry(std::string path, std::string target) {
  return {.path = std::move(path), .hardlink = std::move(target)};
}

enum class Compression { none, gzip };
// pax restricted writes names as given (non-ASCII ones in a pax header); ustar stores raw bytes.
enum class TarFormat { pax_restricted, ustar };

struct ArchiveWriteFree {
  void operator()(archive* handle) const { archive_write_free(handle); }
};
struct ArchiveEntryFree {
  void operator()(archive_entry* entry) const { archive_entry_free(entry); }
};

inline void write_crafted_archive(const fs::path& path, const std::vector<CraftedEntry>& entries,
                                  Compression compression = Compression::gzip,
                                  TarFormat format = TarFormat::pax_restricted) {
  std::unique_ptr<archive, ArchiveWriteFree> writer(archive_write_new());
  archive* a = writer.get();
  ASSERT_EQ(format == TarFormat::ustar ? archive_write_set_format_ustar(a) : archive_write_set_format_pax_restricted(a),
            ARCHIVE_OK);
  if (compression == Compression::gzip) {
    ASSERT_EQ(archive_write_add_filter_gzip(a), ARCHIVE_OK);
  }
  ASSERT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK) << archive_error_string(a);
  const std::string zeros(1 << 20, '\0');
  for (const CraftedEntry& crafted : entries) {
    std::unique_ptr<archive_entry, ArchiveEntryFree> entry(archive_entry_new());
    archive_entry* e = entry.get();
    archive_entry_copy_pathname(e, crafted.path.c_str());
    archive_entry_set_filetype(e, crafted.type);
    archive_entry_set_perm(e, crafted.permissions);
    if (crafted.type == AE_IFCHR || crafted.type == AE_IFBLK) archive_entry_set_rdev(e, makedev(1, 3));
    if (!crafted.symlink.empty()) archive_entry_copy_symlink(e, crafted.symlink.c_str());
    if (!crafted.hardlink.empty()) archive_entry_copy_hardlink(e, crafted.hardlink.c_str());
    std::uint64_t data_size = crafted.content.size() + crafted.zero_bytes;
    archive_entry_set_size(e, crafted.declared_size.value_or(static_cast<std::int64_t>(data_size)));
    int status = archive_write_header(a, e);
    ASSERT_TRUE(status == ARCHIVE_OK || status == ARCHIVE_WARN) << archive_error_string(a);
    if (!crafted.content.empty()) archive_write_data(a, crafted.content.data(), crafted.content.size());
    for (std::uint64_t left = crafted.zero_bytes; left > 0;) {
      std::size_t block = std::min<std::uint64_t>(left, zeros.size());
      archive_write_data(a, zeros.data(), block);
      left -= block;
    }
  }
  ASSERT_EQ(archive_write_close(a), ARCHIVE_OK) << archive_error_string(a);
}

}  // namespace cairn::reproducibility::testing
