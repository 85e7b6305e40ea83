// Atomic writes, bounded reads and temporary directories.
#include "cairn/core/file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

namespace cairn {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> names_in(const fs::path& directory) {
  std::vector<std::string> names;
  for (const auto& item : fs::directory_iterator(directory)) names.push_back(item.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(AtomicWrite, CreatesAndReplacesWithNoTemporaryLeft) {
  TemporaryDirectory directory = std::move(TemporaryDirectory::create()).value();
  fs::path path = directory.path() / "config.json";
  ASSERT_TRUE(write_file_atomically(path, "first").ok());
  ASSERT_TRUE(write_file_atomically(path, "second", 0600).ok());
  EXPECT_EQ(*read_file(path, 100), "second");
  EXPECT_EQ(names_in(directory.path()), std::vector<std::string>{"config.json"});
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0600u);
}

TEST(AtomicWrite, UncommittedFileNeverAppears) {
  TemporaryDirectory directory = std::move(TemporaryDirectory::create()).value();
  fs::path path = directory.path() / "out.bin";
  ASSERT_TRUE(write_file_atomically(path, "old").ok());
  {
    Result<AtomicFile> file = AtomicFile::create(path);
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE(write_all(file->fd(), "half-written").ok());
    // Destroyed without commit(): as if the process had failed midway.
  }
  EXPECT_EQ(*read_file(path, 100), "old");
  EXPECT_EQ(names_in(directory.path()), std::vector<std::string>{"out.bin"});
}

TEST(AtomicWrite, FailsClearlyInMissingDirectory) {
  Result<void> written = write_file_atomically("/nonexistent/cairn/dir/file", "x");
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.error().code(), ErrorCode::io);
  EXPECT_NE(written.error().message().find("/nonexistent/cairn/dir/file"), std::string::npos);
}

TEST(ReadFile, RefusesFilesOverTheLimit) {
  TemporaryDirectory directory = std::move(TemporaryDirectory::create()).value();
  fs::path path = directory.path() / "big";
  ASSERT_TRUE(write_file_atomically(path, std::string(1000, 'a')).ok());
  EXPECT_TRUE(read_file(path, 1000).ok());
  Result<std::string> refused = read_file(path, 999);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::limit_exceeded);
}

TEST(ReadFile, RefusesDirectories) {
  TemporaryDirectory directory = std::move(TemporaryDirectory::create()).value();
  Result<std::string> refused = read_file(directory.path(), 100);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message().find("not a regular file"), std::string::npos);
}

TEST(TemporaryDirectory, RemovesEverythingWhenDestroyed) {
  fs::path kept;
  {
    TemporaryDirectory directory = std::move(TemporaryDirectory::create("cairn-test-")).value();
    kept = directory.path();
    fs::create_directories(kept / "a" / "b");
    ASSERT_TRUE(write_file_atomically(kept / "a" / "b" / "c", "x").ok());
    struct stat info {};
    ASSERT_EQ(::stat(kept.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0700u);
  }
  EXPECT_FALSE(fs::exists(kept));
}

}  // namespace
}  // namespace cairn
