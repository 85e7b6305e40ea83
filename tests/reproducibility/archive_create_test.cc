// Deterministic archive creation: the bytes depend on the tree and nothing else.
#include "cairn/reproducibility/archive.h"

#include "archive_test_support.h"
#include "cairn/core/tree.h"

#include <clocale>
#include <cstdlib>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace cairn::reproducibility {
namespace {

using namespace testing;

// A tar header block as written, fields decoded (only what the tests look at).
struct TarHeader {
  std::string name;  // prefix + "/" + name when the ustar prefix is used
  char type = 0;
  std::uint64_t mode = 0;
  std::uint64_t uid = 0;
  std::uint64_t gid = 0;
  std::uint64_t mtime = 0;
  std::string linkname;
  std::string uname;
  std::string gname;
  std::string data;  // the entry's content (for 'x': the pax records)
};

std::string string_field(std::string_view block, std::size_t offset, std::size_t size) {
  std::string_view field = block.substr(offset, size);
  return std::string(field.substr(0, field.find('\0')));
}

std::uint64_t octal_field(std::string_view block, std::size_t offset, std::size_t size) {
  std::uint64_t value = 0;
  for (char c : block.substr(offset, size)) {
    if (c == '\0' || c == ' ') break;
    value = value * 8 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

// The decompressed tar stream inside a .tar.gz (libarchive's raw format reads it back).
std::string gunzip(const std::string& compressed) {
  std::unique_ptr<archive, decltype(&archive_read_free)> reader(archive_read_new(), archive_read_free);
  archive_read_support_filter_gzip(reader.get());
  archive_read_support_format_raw(reader.get());
  EXPECT_EQ(archive_read_open_memory(reader.get(), compressed.data(), compressed.size()), ARCHIVE_OK);
  archive_entry* entry = nullptr;
  EXPECT_EQ(archive_read_next_header(reader.get(), &entry), ARCHIVE_OK);
  std::string tar;
  char buffer[65536];
  for (la_ssize_t got; (got = archive_read_data(reader.get(), buffer, sizeof buffer)) > 0;) {
    tar.append(buffer, static_cast<std::size_t>(got));
  }
  return tar;
}

std::vector<TarHeader> tar_headers(const std::string& tar) {
  std::vector<TarHeader> headers;
  std::size_t offset = 0;
  while (offset + 512 <= tar.size()) {
    std::string_view block(tar.data() + offset, 512);
    if (block.find_first_not_of('\0') == std::string_view::npos) break;  // end of archive
    TarHeader header;
    std::string prefix = string_field(block, 345, 155);
    header.name = string_field(block, 0, 100);
    if (!prefix.empty()) header.name = prefix + "/" + header.name;
    header.mode = octal_field(block, 100, 8);
    header.uid = octal_field(block, 108, 8);
    header.gid = octal_field(block, 116, 8);
    std::uint64_t size = octal_field(block, 124, 12);
    header.mtime = octal_field(block, 136, 12);
    header.type = block[156];
    header.linkname = string_field(block, 157, 100);
    header.uname = string_field(block, 265, 32);
    header.gname = string_field(block, 297, 32);
    header.data = tar.substr(offset + 512, size);
    headers.push_back(std::move(header));
    offset += 512 + (size + 511) / 512 * 512;
  }
  return headers;
}

// A small library tree: nested directories, an executable, a symlink and an empty directory
// (which, like in Git, is not part of the tree). `reverse` creates everything in the opposite
// order, which changes the order readdir() lists it in.
void make_sample_tree(const fs::path& root, bool reverse = false, mode_t file_mode = 0644, mode_t exec_mode = 0755) {
  std::vector<std::pair<std::string, std::string>> files = {
      {"README.md", "hello\n"}, {"src/main.c", "int main(void) { return 0; }\n"}, {"lib/deep/x.h", "#define X 1\n"},
      {"include/y.h", "#define Y 2\n"}};
  if (reverse) std::reverse(files.begin(), files.end());
  for (const auto& [path, content] : files) write_file(root / path, content, file_mode);
  write_file(root / "bin/run.sh", "#!/bin/sh\necho run\n", exec_mode);
  fs::create_symlink("src/main.c", root / "link");
  fs::create_directories(root / "empty/inside");
}

class ArchiveCreate : public ::testing::Test {
 protected:
  // Archives `root` into a fresh file and returns the archive's bytes.
  std::string archive_bytes(const fs::path& root, const ArchiveOptions& options = {}) {
    fs::path output = work_.path() / ("archive-" + std::to_string(++count_) + ".tar.gz");
    Result<Digest> created = create_archive(root, output, options);
    EXPECT_TRUE(created.ok()) << created.error().message();
    return read_bytes(output);
  }

  TemporaryDirectory work_ = make_temporary_directory();
  int count_ = 0;
};

TEST_F(ArchiveCreate, SameBytesForCopiesThatDifferInTimesOrderPermissionsAndLocation) {
  fs::path first = work_.path() / "a/tree";
  make_sample_tree(first);

  // The copy: another parent folder, reverse creation order, a stingy umask and other permission
  // bits (only owner-exec matters), and every timestamp moved.
  fs::path second = work_.path() / "b/nested/elsewhere";
  mode_t old_umask = ::umask(077);
  make_sample_tree(second, /*reverse=*/true, /*file_mode=*/0600, /*exec_mode=*/0700);
  ::umask(old_umask);
  for (const auto& item : fs::recursive_directory_iterator(second)) {
    timespec times[2] = {{1234567, 0}, {1234567, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, item.path().c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << item.path();
  }

  std::string first_bytes = archive_bytes(first);
  EXPECT_EQ(first_bytes, archive_bytes(second));
  EXPECT_EQ(first_bytes, archive_bytes(first));  // and the same again
}

TEST_F(ArchiveCreate, DifferentBytesWhenOneByteChanges) {
  fs::path root = work_.path() / "tree";
  make_sample_tree(root);
  std::string before = archive_bytes(root);
  write_file(root / "src/main.c", "int main(void) { return 1; }\n");
  EXPECT_NE(before, archive_bytes(root));
}

TEST_F(ArchiveCreate, DifferentBytesWhenANameChanges) {
  fs::path root = work_.path() / "tree";
  make_sample_tree(root);
  std::string before = archive_bytes(root);
  fs::rename(root / "README.md", root / "README.txt");
  EXPECT_NE(before, archive_bytes(root));
}

TEST_F(ArchiveCreate, DifferentBytesWhenAnExecBitChanges) {
  fs::path root = work_.path() / "tree";
  make_sample_tree(root);
  std::string before = archive_bytes(root);
  fs::permissions(root / "README.md", static_cast<fs::perms>(0744));
  EXPECT_NE(before, archive_bytes(root));
}

TEST_F(ArchiveCreate, DifferentBytesWhenASymlinkTargetChanges) {
  fs::path root = work_.path() / "tree";
  make_sample_tree(root);
  std::string before = archive_bytes(root);
  fs::remove(root / "link");
  fs::create_symlink("src/main.d", root / "link");
  EXPECT_NE(before, archive_bytes(root));
}

TEST_F(ArchiveCreate, EmptyDirectoriesAreNotArchived) {
  fs::path root = work_.path() / "tree";
  make_sample_tree(root);
  std::string before = archive_bytes(root);
  fs::create_directories(root / "another/empty/folder");
  EXPECT_EQ(before, archive_bytes(root));
}

TEST_F(ArchiveCreate, GzipHeaderHasNoTimestampAndNoName) {
  fs::path root = work_.path() / "tree";
  make_sample_tree(root);
  std::string bytes = archive_bytes(root);
  ASSERT_GE(bytes.size(), 10u);
  EXPECT_EQ(static_cast<unsigned char>(bytes[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(bytes[1]), 0x8b);
  EXPECT_EQ(bytes[2], 8);  // deflate
  EXPECT_EQ(bytes[3], 0);  // FLG: no FNAME, FCOMMENT, FEXTRA or FHCRC
  EXPECT_EQ(bytes.substr(4, 4), std::string(4, '\0'));  // MTIME
  EXPECT_EQ(bytes[8], 2);  // XFL: maximum compression (level 9)
  EXPECT_EQ(bytes[9], 3);  // OS: Unix
}

TEST_F(ArchiveCreate, EntriesHaveNormalizedMetadataWithDirectoriesBeforeTheirContents) {
  fs::path root = work_.path() / "tree";
  mode_t old_umask = ::umask(077);
  make_sample_tree(root, false, 0600, 0700);
  ::umask(old_umask);
  std::vector<TarHeader> headers = tar_headers(gunzip(archive_bytes(root)));

  std::vector<std::string> names;
  for (const TarHeader& header : headers) names.push_back(header.name);
  EXPECT_EQ(names, (std::vector<std::string>{"README.md", "bin/", "bin/run.sh", "include/", "include/y.h", "lib/",
                                             "lib/deep/", "lib/deep/x.h", "link", "src/", "src/main.c"}));
  for (const TarHeader& header : headers) {
    SCOPED_TRACE(header.name);
    EXPECT_EQ(header.uid, 0u);
    EXPECT_EQ(header.gid, 0u);
    EXPECT_EQ(header.uname, "");
    EXPECT_EQ(header.gname, "");
    EXPECT_EQ(header.mtime, 0u);
    switch (header.type) {
      case '5': EXPECT_EQ(header.mode, 0755u); break;
      case '2': EXPECT_EQ(header.mode, 0777u); break;
      case '0': EXPECT_EQ(header.mode, header.name == "bin/run.sh" ? 0755u : 0644u); break;
      default: ADD_FAILURE() << "unexpected type " << header.type;
    }
  }
  EXPECT_EQ(headers[8].linkname, "src/main.c");
}

TEST_F(ArchiveCreate, SourceDateEpochBecomesEveryEntrysMtime) {
  fs::path root = work_.path() / "tree";
  make_sample_tree(root);
  std::string at_zero = archive_bytes(root);
  std::string at_epoch = archive_bytes(root, {.mtime = 1700000000});
  EXPECT_NE(at_zero, at_epoch);
  for (const TarHeader& header : tar_headers(gunzip(at_epoch))) EXPECT_EQ(header.mtime, 1700000000u) << header.name;
}

TEST_F(ArchiveCreate, RefusesANegativeMtime) {
  fs::path root = work_.path() / "tree";
  make_sample_tree(root);
  Result<Digest> created = create_archive(root, work_.path() / "out.tar.gz", {.mtime = -1});
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().code(), ErrorCode::invalid_argument);
}

TEST_F(ArchiveCreate, ReturnsTheTreeDigestOfTheSource) {
  fs::path root = work_.path() / "tree";
  make_sample_tree(root);
  Result<Digest> created = create_archive(root, work_.path() / "out.tar.gz");
  ASSERT_TRUE(created.ok()) << created.error().message();
  EXPECT_EQ(*created, *hash_tree(root));
}

TEST_F(ArchiveCreate, RoundTripThroughExtractionGivesTheSameTree) {
  fs::path root = work_.path() / "tree";
  make_sample_tree(root);
  // Non-ASCII names, one in NFD (e + combining acute): extraction must not normalize them.
  write_file(root / "docs/caf\xc3\xa9.txt", "NFC\n");
  write_file(root / "docs/cafe\xcc\x81.txt", "NFD\n");
  fs::create_symlink("../docs/caf\xc3\xa9.txt", root / "src/link-to-caf\xc3\xa9");
  fs::path output = work_.path() / "out.tar.gz";
  Result<Digest> created = create_archive(root, output);
  ASSERT_TRUE(created.ok()) << created.error().message();

  fs::path destination = work_.path() / "unpacked";
  Result<ExtractReport> extracted = extract_archive(output, destination);
  ASSERT_TRUE(extracted.ok()) << extracted.error().message();
  EXPECT_EQ(extracted->tree, *created);
  EXPECT_EQ(*hash_tree(destination), *created);
  EXPECT_EQ(*hash_tree(root), *created);
  EXPECT_EQ(extracted->files, 7u);
  EXPECT_EQ(read_bytes(destination / "docs/cafe\xcc\x81.txt"), "NFD\n");
}

TEST_F(ArchiveCreate, LongPathPaxHeaderHoldsNoProcessIdOrTime) {
  fs::path root = work_.path() / "tree";
  std::string long_name = std::string(150, 'n') + ".txt";  // too long for a ustar name field
  write_file(root / "dir" / long_name, "long\n");
  fs::path here = work_.path() / "here.tar.gz";
  fs::path child_output = work_.path() / "child.tar.gz";
  ASSERT_TRUE(create_archive(root, here, {.mtime = 1700000000}).ok());

  // Another process (another PID) writes the same bytes.
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(create_archive(root, child_output, {.mtime = 1700000000}).ok() ? 0 : 1);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(read_bytes(here), read_bytes(child_output));

  std::vector<TarHeader> headers = tar_headers(gunzip(read_bytes(here)));
  ASSERT_EQ(headers.size(), 3u);  // dir/, the pax header, the file
  const TarHeader& pax = headers[1];
  EXPECT_EQ(pax.type, 'x');
  EXPECT_EQ(pax.name.rfind("dir/PaxHeader/", 0), 0u) << pax.name;  // no "PaxHeader.<pid>"
  EXPECT_EQ(pax.mtime, 1700000000u);                                // the entry's, not the clock's
  EXPECT_EQ(pax.uid, 0u);
  EXPECT_EQ(pax.uname, "");
  std::string record = "path=dir/" + long_name + "\n";
  EXPECT_EQ(pax.data, std::to_string(record.size() + 4) + " " + record);  // the path and nothing else
}

TEST_F(ArchiveCreate, NonAsciiNamesAreUtf8PaxPathsWhateverTheCallersLocale) {
  fs::path root = work_.path() / "tree";
  write_file(root / "caf\xc3\xa9.txt", "x");
  ASSERT_NE(std::setlocale(LC_ALL, "C.UTF-8"), nullptr);
  std::string under_utf8 = archive_bytes(root);
  ASSERT_NE(std::setlocale(LC_ALL, "C"), nullptr);
  std::string under_c = archive_bytes(root);
  EXPECT_EQ(under_utf8, under_c);

  std::vector<TarHeader> headers = tar_headers(gunzip(under_c));
  ASSERT_EQ(headers.size(), 2u);
  EXPECT_EQ(headers[0].type, 'x');
  EXPECT_EQ(headers[0].data, "18 path=caf\xc3\xa9.txt\n");  // UTF-8, and no hdrcharset=BINARY
}

TEST_F(ArchiveCreate, RefusesATreeWithAFifoAndWritesNothing) {
  fs::path root = work_.path() / "tree";
  make_sample_tree(root);
  ASSERT_EQ(::mkfifo((root / "src/pipe").c_str(), 0644), 0);
  fs::path output_directory = work_.path() / "out";
  fs::create_directories(output_directory);
  Result<Digest> created = create_archive(root, output_directory / "tree.tar.gz");
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().code(), ErrorCode::refused);
  EXPECT_NE(created.error().message().find("src/pipe"), std::string::npos) << created.error().message();
  EXPECT_TRUE(names_in(output_directory).empty());
}

TEST_F(ArchiveCreate, RefusesSymlinksThatPointOutsideTheTree) {
  for (const char* target : {"/etc/passwd", "../../outside", "../.."}) {
    SCOPED_TRACE(target);
    fs::path root = work_.path() / "tree";
    fs::remove_all(root);
    make_sample_tree(root);
    fs::create_symlink(target, root / "src/escape");
    fs::path output_directory = work_.path() / "out";
    fs::remove_all(output_directory);
    fs::create_directories(output_directory);
    Result<Digest> created = create_archive(root, output_directory / "tree.tar.gz");
    ASSERT_FALSE(created.ok());
    EXPECT_EQ(created.error().code(), ErrorCode::refused);
    EXPECT_NE(created.error().message().find("symlink 'src/escape' -> '" + std::string(target) + "' points outside"),
              std::string::npos)
        << created.error().message();
    EXPECT_TRUE(names_in(output_directory).empty());
  }
}

TEST_F(ArchiveCreate, KeepsSymlinksThatStayInside) {
  fs::path root = work_.path() / "tree";
  make_sample_tree(root);
  fs::create_symlink("../src/../src", root / "src/self");
  EXPECT_TRUE(create_archive(root, work_.path() / "tree.tar.gz").ok());
}

TEST_F(ArchiveCreate, ReplacesAnExistingOutputAtomically) {
  fs::path root = work_.path() / "tree";
  make_sample_tree(root);
  fs::path output_directory = work_.path() / "out";
  write_file(output_directory / "tree.tar.gz", "old archive");
  ASSERT_TRUE(create_archive(root, output_directory / "tree.tar.gz").ok());
  EXPECT_EQ(read_bytes(output_directory / "tree.tar.gz"), archive_bytes(root));
  EXPECT_EQ(names_in(output_directory), std::vector<std::string>{"tree.tar.gz"});
}

// SOURCE_DATE_EPOCH as the reproducible-builds.org specification defines it.
class ArchiveSourceDateEpoch : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* value = std::getenv("SOURCE_DATE_EPOCH");
    if (value != nullptr) saved_ = value;
  }
  void TearDown() override {
    if (saved_) ::setenv("SOURCE_DATE_EPOCH", saved_->c_str(), 1);
    else ::unsetenv("SOURCE_DATE_EPOCH");
  }
  std::optional<std::string> saved_;
};

TEST_F(ArchiveSourceDateEpoch, UnsetMeansNone) {
  ::unsetenv("SOURCE_DATE_EPOCH");
  Result<std::optional<std::int64_t>> epoch = source_date_epoch_from_environment();
  ASSERT_TRUE(epoch.ok());
  EXPECT_FALSE(epoch->has_value());
}

TEST_F(ArchiveSourceDateEpoch, ParsesDecimalSeconds) {
  ::setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
  Result<std::optional<std::int64_t>> epoch = source_date_epoch_from_environment();
  ASSERT_TRUE(epoch.ok());
  EXPECT_EQ(**epoch, 1700000000);
  ::setenv("SOURCE_DATE_EPOCH", "0", 1);
  EXPECT_EQ(**source_date_epoch_from_environment(), 0);
}

TEST_F(ArchiveSourceDateEpoch, RefusesAnythingButANonNegativeDecimalInteger) {
  for (const char* value : {"", "-1", "+1", " 1", "1 ", "1.5", "0x10", "1e9", "abc", "99999999999999999999"}) {
    ::setenv("SOURCE_DATE_EPOCH", value, 1);
    Result<std::optional<std::int64_t>> epoch = source_date_epoch_from_environment();
    ASSERT_FALSE(epoch.ok()) << "'" << value << "'";
    EXPECT_EQ(epoch.error().code(), ErrorCode::invalid_argument);
    EXPECT_NE(epoch.error().message().find("SOURCE_DATE_EPOCH"), std::string::npos);
  }
}

}  // namespace
}  // namespace cairn::reproducibility
