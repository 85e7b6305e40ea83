// Safe extraction: hostile archives are refused with a clear reason and leave nothing behind;
// honest ones unpack with normalized permissions.
#include "cairn/reproducibility/archive.h"

#include "archive_test_support.h"
#include "cairn/core/tree.h"

#include <sys/stat.h>

namespace cairn::reproducibility {
namespace {

using namespace testing;

mode_t permissions_of(const fs::path& path) {
  struct stat info {};
  EXPECT_EQ(::lstat(path.c_str(), &info), 0) << path;
  return info.st_mode & 07777;
}

class ArchiveExtract : public ::testing::Test {
 protected:
  void SetUp() override { fs::create_directories(parent_); }

  Result<ExtractReport> extract(const std::vector<CraftedEntry>& entries, const ExtractLimits& limits = {},
                                Compression compression = Compression::gzip,
                                TarFormat format = TarFormat::pax_restricted) {
    write_crafted_archive(archive_, entries, compression, format);
    return extract_archive(archive_, destination_, limits);
  }

  // The archive was refused for the expected reason, and neither the destination nor any
  // temporary directory beside it is left.
  void expect_refused(const Result<ExtractReport>& result, ErrorCode code, std::string_view reason) {
    ASSERT_FALSE(result.ok()) << "extraction succeeded";
    EXPECT_EQ(result.error().code(), code) << result.error().message();
    EXPECT_NE(result.error().message().find(reason), std::string::npos)
        << "message: " << result.error().message() << "\nexpected to contain: " << reason;
    EXPECT_FALSE(fs::exists(fs::symlink_status(destination_)));
    EXPECT_TRUE(names_in(parent_).empty()) << "left in the parent: " << names_in(parent_).front();
  }

  TemporaryDirectory work_ = make_temporary_directory();
  fs::path archive_ = work_.path() / "input.tar.gz";
  fs::path parent_ = work_.path() / "parent";
  fs::path destination_ = parent_ / "out";
};

// --- Paths -------------------------------------------------------------------------------------

TEST_F(ArchiveExtract, RefusesAbsolutePath) {
  expect_refused(extract({file_entry("ok.txt", "fine"), file_entry("/tmp/cairn-evil", "owned")}), ErrorCode::refused,
                 "entry '/tmp/cairn-evil': path is absolute");
  EXPECT_FALSE(fs::exists("/tmp/cairn-evil"));
}

TEST_F(ArchiveExtract, RefusesPathWithParentComponent) {
  expect_refused(extract({file_entry("../evil", "owned")}), ErrorCode::refused,
                 "entry '../evil': path leaves the destination ('..')");
  EXPECT_FALSE(fs::exists(parent_ / "evil"));
}

TEST_F(ArchiveExtract, RefusesParentComponentsDeeperInThePath) {
  expect_refused(extract({file_entry("a/f", "x"), file_entry("a/../../x", "owned")}), ErrorCode::refused,
                 "entry 'a/../../x': path leaves the destination ('..')");
}

TEST_F(ArchiveExtract, RefusesEmptyPath) {
  expect_refused(extract({file_entry("", "x")}), ErrorCode::refused, "path is empty");
}

TEST_F(ArchiveExtract, RefusesNameThatIsNotUtf8) {
  expect_refused(extract({file_entry("bad\xff.txt", "x")}, {}, Compression::gzip, TarFormat::ustar),
                 ErrorCode::refused, "entry 'bad\\xff.txt': path is not valid UTF-8");
}

TEST_F(ArchiveExtract, RefusesFileUnderAFile) {
  expect_refused(extract({file_entry("a", "x"), file_entry("a/b", "y")}), ErrorCode::refused,
                 "entry 'a/b': path passes through 'a', which is a file");
}

TEST_F(ArchiveExtract, RefusesDuplicateEntry) {
  expect_refused(extract({file_entry("a.txt", "first"), file_entry("a.txt", "second")}), ErrorCode::refused,
                 "entry 'a.txt': duplicate entry");
}

TEST_F(ArchiveExtract, RefusesDirectoryOverAFile) {
  expect_refused(extract({file_entry("a", "x"), directory_entry("a")}), ErrorCode::refused,
                 "entry 'a/': duplicate entry");
}

// --- Symlinks ----------------------------------------------------------------------------------

TEST_F(ArchiveExtract, RefusesSymlinkToAbsoluteTarget) {
  expect_refused(extract({symlink_entry("passwd", "/etc/passwd")}), ErrorCode::refused,
                 "entry 'passwd': symlink target '/etc/passwd' is absolute");
}

TEST_F(ArchiveExtract, RefusesSymlinkEscapingThroughParentComponents) {
  expect_refused(extract({directory_entry("sub"), symlink_entry("sub/link", "../../etc")}), ErrorCode::refused,
                 "entry 'sub/link': symlink target '../../etc' leaves the destination");
}

TEST_F(ArchiveExtract, RefusesSymlinkChainThatOnlyEscapesWhenResolved) {
  // Each link passes the lexical check alone; together x resolves to the destination's parent.
  expect_refused(extract({directory_entry("d"), symlink_entry("d/s", ".."), symlink_entry("x", "d/s/..")}),
                 ErrorCode::refused, "entry 'x': symlink chain leaves the destination");
}

TEST_F(ArchiveExtract, RefusesDanglingSymlinkThatEscapesOnceAFolderItNamesIsMade) {
  // The kernel stops at "missing", so t resolves to nothing; but s is the root itself, so once a
  // folder "missing" is made in the tree, t leads to the destination's parent.
  expect_refused(extract({symlink_entry("s", "."), symlink_entry("t", "s/missing/../../x")}), ErrorCode::refused,
                 "entry 't': dangling symlink leaves the destination once what it names is made");
}

TEST_F(ArchiveExtract, RefusesSymlinkThatEscapesOnceAFileItPassesBecomesAFolder) {
  expect_refused(extract({symlink_entry("s", "."), file_entry("f", "x"), symlink_entry("t", "s/f/../../x")}),
                 ErrorCode::refused, "entry 't': dangling symlink leaves the destination once what it names is made");
}

TEST_F(ArchiveExtract, RefusesEmptySymlinkTarget) {
  expect_refused(extract({symlink_entry("link", "")}), ErrorCode::refused, "symlink has an empty target");
}

TEST_F(ArchiveExtract, RefusesEntryThroughAnEarlierSymlink) {
  expect_refused(extract({directory_entry("sub"), symlink_entry("link", "sub"), file_entry("link/file", "x")}),
                 ErrorCode::refused, "entry 'link/file': path passes through a symlink ('link')");
}

// --- Hardlinks ---------------------------------------------------------------------------------

TEST_F(ArchiveExtract, RefusesHardlinkToAbsolutePath) {
  expect_refused(extract({hardlink_entry("passwd", "/etc/passwd")}), ErrorCode::refused,
                 "entry 'passwd': hardlink target '/etc/passwd' is absolute");
}

TEST_F(ArchiveExtract, RefusesHardlinkWithParentComponent) {
  expect_refused(extract({hardlink_entry("link", "../outside")}), ErrorCode::refused,
                 "entry 'link': hardlink target '../outside' leaves the destination ('..')");
}

TEST_F(ArchiveExtract, RefusesHardlinkToPathNotYetExtracted) {
  expect_refused(extract({hardlink_entry("link", "later.txt"), file_entry("later.txt", "x")}), ErrorCode::refused,
                 "entry 'link': hardlink target 'later.txt' has not been extracted");
}

TEST_F(ArchiveExtract, RefusesHardlinkToADirectory) {
  expect_refused(extract({directory_entry("sub"), hardlink_entry("link", "sub")}), ErrorCode::refused,
                 "hardlink target 'sub' is not a regular file");
}

// --- Types -------------------------------------------------------------------------------------

TEST_F(ArchiveExtract, RefusesCharacterDevice) {
  CraftedEntry device{.path = "dev/null", .type = AE_IFCHR};
  expect_refused(extract({device}), ErrorCode::refused, "entry 'dev/null': is a character device file");
}

TEST_F(ArchiveExtract, RefusesBlockDevice) {
  CraftedEntry device{.path = "disk", .type = AE_IFBLK};
  expect_refused(extract({device}), ErrorCode::refused, "entry 'disk': is a block device file");
}

TEST_F(ArchiveExtract, RefusesFifo) {
  CraftedEntry fifo{.path = "pipe", .type = AE_IFIFO};
  expect_refused(extract({fifo}), ErrorCode::refused, "entry 'pipe': is a FIFO");
}

// --- Limits ------------------------------------------------------------------------------------

TEST_F(ArchiveExtract, RefusesFileDeclaringMoreThanTheFileLimit) {
  CraftedEntry big = file_entry("big.bin", "");
  big.declared_size = 2 << 20;  // the writer pads the content with zeros up to this
  expect_refused(extract({big}, {.max_file_size = 1 << 20}), ErrorCode::limit_exceeded,
                 "entry 'big.bin': declares 2097152 bytes, over the limit of 1048576 bytes per file");
}

TEST_F(ArchiveExtract, StopsGzipBombBeforeInflatingIt) {
  CraftedEntry bomb{.path = "zeros.bin", .zero_bytes = 64ull << 20};
  write_crafted_archive(archive_, {bomb});
  EXPECT_LT(fs::file_size(archive_), 1u << 20);  // 64 MiB inflate from well under 1 MiB
  // Refused at the header, before a single byte of it is inflated or written.
  expect_refused(extract_archive(archive_, destination_, {.max_file_size = 1 << 20}), ErrorCode::limit_exceeded,
                 "declares 67108864 bytes, over the limit");
}

TEST_F(ArchiveExtract, RefusesFilesThatTogetherExceedTheTotalLimit) {
  std::vector<CraftedEntry> entries;
  for (int i = 0; i < 5; ++i) entries.push_back(file_entry("f" + std::to_string(i), std::string(100, 'x')));
  expect_refused(extract(entries, {.max_total_size = 350}), ErrorCode::limit_exceeded,
                 "entry 'f3': the files would hold more than the limit of 350 bytes in total");
}

TEST_F(ArchiveExtract, CountsHardlinksTowardTheTotalLimit) {
  std::vector<CraftedEntry> entries = {file_entry("f", std::string(100, 'x'))};
  for (int i = 0; i < 5; ++i) entries.push_back(hardlink_entry("link" + std::to_string(i), "f"));
  expect_refused(extract(entries, {.max_total_size = 350}), ErrorCode::limit_exceeded,
                 "entry 'link2': the files would hold more than the limit of 350 bytes in total");
}

TEST_F(ArchiveExtract, RefusesMoreEntriesThanTheLimit) {
  std::vector<CraftedEntry> entries;
  for (int i = 0; i < 5; ++i) entries.push_back(file_entry("f" + std::to_string(i), "x"));
  expect_refused(extract(entries, {.max_entries = 3}), ErrorCode::limit_exceeded,
                 "more than the limit of 3 entries");
}

TEST_F(ArchiveExtract, RefusesPathDeeperThanTheLimit) {
  std::string deep;
  for (int i = 0; i < 300; ++i) deep += "d/";
  expect_refused(extract({file_entry(deep + "f", "x")}), ErrorCode::limit_exceeded, "deeper than the limit");
}

// --- Corrupt archives --------------------------------------------------------------------------

TEST_F(ArchiveExtract, RefusesTruncatedArchive) {
  write_crafted_archive(archive_, {file_entry("a.txt", "x"), file_entry("big.bin", incompressible_bytes(400'000))});
  std::string bytes = read_bytes(archive_);
  write_file(archive_, std::string_view(bytes).substr(0, bytes.size() / 2));  // cuts big.bin's content
  expect_refused(extract_archive(archive_, destination_), ErrorCode::malformed, "entry 'big.bin'");
}

TEST_F(ArchiveExtract, RefusesRandomBytes) {
  write_file(archive_, incompressible_bytes(8192));
  expect_refused(extract_archive(archive_, destination_), ErrorCode::malformed, "not a tar or tar.gz archive");
}

TEST_F(ArchiveExtract, ReportsAMissingArchive) {
  expect_refused(extract_archive(work_.path() / "missing.tar.gz", destination_), ErrorCode::not_found,
                 "missing.tar.gz: no such file");
}

// --- Destination -------------------------------------------------------------------------------

TEST_F(ArchiveExtract, RefusesNonEmptyDestinationAndLeavesItUntouched) {
  write_file(destination_ / "keep.txt", "precious");
  Result<ExtractReport> result = extract({file_entry("keep.txt", "replaced")});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code(), ErrorCode::already_exists);
  EXPECT_NE(result.error().message().find("destination exists and is not empty"), std::string::npos)
      << result.error().message();
  EXPECT_EQ(read_bytes(destination_ / "keep.txt"), "precious");
  EXPECT_EQ(names_in(destination_), std::vector<std::string>{"keep.txt"});
  EXPECT_EQ(names_in(parent_), std::vector<std::string>{"out"});
}

TEST_F(ArchiveExtract, RefusesDestinationThatIsASymlink) {
  fs::create_directories(work_.path() / "elsewhere");
  fs::create_directory_symlink(work_.path() / "elsewhere", destination_);
  Result<ExtractReport> result = extract({file_entry("a", "x")});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code(), ErrorCode::already_exists);
  EXPECT_TRUE(names_in(work_.path() / "elsewhere").empty());
}

TEST_F(ArchiveExtract, ExtractsIntoAnEmptyExistingDirectory) {
  fs::create_directories(destination_);
  Result<ExtractReport> result = extract({file_entry("a.txt", "x")});
  ASSERT_TRUE(result.ok()) << result.error().message();
  EXPECT_EQ(read_bytes(destination_ / "a.txt"), "x");
  EXPECT_EQ(names_in(parent_), std::vector<std::string>{"out"});
}

// --- Honest archives ---------------------------------------------------------------------------

TEST_F(ArchiveExtract, ExtractsNestedTreeWithNormalizedModesLinksAndReport) {
  std::vector<CraftedEntry> entries = {
      directory_entry("./", 0700),                                   // the root itself: skipped
      directory_entry("./include/", 0700),                           // "./" prefix dropped
      file_entry("include/y.h", "#define Y 1\n", 0600),              // -> 0644
      file_entry("bin/tool", "#!/bin/sh\n", 04777),                  // setuid dropped -> 0755
      symlink_entry("lib/x", "../include/y.h"),                      // lib/ implied
      symlink_entry("lib/dangling", "missing/file"),                 // dangling, but inside
      hardlink_entry("include/y-again.h", "./include/y.h"),
      directory_entry("include", 0777),                              // again: fine
  };
  Result<ExtractReport> result = extract(entries, {}, Compression::none);  // a plain tar
  ASSERT_TRUE(result.ok()) << result.error().message();

  EXPECT_EQ(permissions_of(destination_), 0755u);
  EXPECT_EQ(permissions_of(destination_ / "include"), 0755u);
  EXPECT_EQ(permissions_of(destination_ / "include/y.h"), 0644u);
  EXPECT_EQ(permissions_of(destination_ / "bin"), 0755u);
  EXPECT_EQ(permissions_of(destination_ / "bin/tool"), 0755u);
  EXPECT_EQ(permissions_of(destination_ / "lib"), 0755u);
  EXPECT_EQ(fs::read_symlink(destination_ / "lib/x"), "../include/y.h");
  EXPECT_EQ(read_bytes(destination_ / "lib/x"), "#define Y 1\n");
  EXPECT_TRUE(fs::is_symlink(destination_ / "lib/dangling"));
  EXPECT_TRUE(fs::equivalent(destination_ / "include/y.h", destination_ / "include/y-again.h"));
  EXPECT_EQ(fs::hard_link_count(destination_ / "include/y.h"), 2u);

  EXPECT_EQ(result->entries, 8u);
  EXPECT_EQ(result->files, 2u);
  EXPECT_EQ(result->bytes, 12u + 10u);
  EXPECT_EQ(result->tree, *hash_tree(destination_));
  EXPECT_EQ(names_in(parent_), std::vector<std::string>{"out"});
}

TEST_F(ArchiveExtract, AcceptsDirectoryEntryAfterItsContents) {
  Result<ExtractReport> result = extract({file_entry("a/b/c.txt", "x"), directory_entry("a/b"), directory_entry("a")});
  ASSERT_TRUE(result.ok()) << result.error().message();
  EXPECT_EQ(read_bytes(destination_ / "a/b/c.txt"), "x");
}

TEST_F(ArchiveExtract, AcceptsSymlinkToTheRootItself) {
  Result<ExtractReport> result = extract({directory_entry("d"), symlink_entry("d/up", ".."), file_entry("f", "x")});
  ASSERT_TRUE(result.ok()) << result.error().message();
  EXPECT_EQ(read_bytes(destination_ / "d/up/f"), "x");
}

}  // namespace
}  // namespace cairn::reproducibility
