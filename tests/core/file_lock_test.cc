// File locks: exclusive, bounded waits that name the holder, and replaced files noticed.
#include "cairn/core/file_lock.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

namespace cairn {
namespace {

using namespace std::chrono_literals;

TEST(FileLock, SecondHolderGivesUpNamingTheFirstAndWhatItDoes) {
  TemporaryDirectory directory = std::move(TemporaryDirectory::create()).value();
  std::filesystem::path path = directory.path() / "lock";
  Result<FileLock> first = FileLock::acquire(path, "sorting the socks");
  ASSERT_TRUE(first.ok()) << first.error().message();
  std::string waited_message;
  FileLockOptions options;
  options.wait = 20ms;
  options.on_wait = [&](const std::string& text) { waited_message = text; };
  Result<FileLock> second = FileLock::acquire(path, "sorting the socks", options);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code(), ErrorCode::limit_exceeded);
  std::string holder = fmt::format("lock {} held by process {}", path.string(), ::getpid());
  EXPECT_EQ(second.error().message(),
            fmt::format("another cairn is sorting the socks ({}; gave up after 20 ms); try again when it has finished",
                        holder));
  EXPECT_EQ(waited_message, fmt::format("waiting for another cairn to finish sorting the socks ({})", holder));
}

TEST(FileLock, LocksAnExistingFileWithoutChangingItOrCreatingOne) {
  TemporaryDirectory directory = std::move(TemporaryDirectory::create()).value();
  std::filesystem::path path = directory.path() / "envelope.json";
  FileLockOptions options;
  options.create = false;
  options.record_holder = false;
  Result<FileLock> missing = FileLock::acquire(path, "co-signing", options);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::not_found);
  EXPECT_FALSE(std::filesystem::exists(path));

  ASSERT_TRUE(write_file_atomically(path, "{\"payload\":\"\"}").ok());
  Result<FileLock> held = FileLock::acquire(path, "co-signing", options);
  ASSERT_TRUE(held.ok()) << held.error().message();
  EXPECT_EQ(*read_file(path, 100), "{\"payload\":\"\"}");
  EXPECT_TRUE(held->still_at_path());
  // A writer that replaces the file by rename: the lock is now on a file no longer at the path.
  ASSERT_TRUE(write_file_atomically(path, "{}").ok());
  EXPECT_FALSE(held->still_at_path());
}

}  // namespace
}  // namespace cairn
