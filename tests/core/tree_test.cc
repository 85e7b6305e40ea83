// Tree hashing: what changes the digest, what does not, and what is refused.
#include "cairn/core/tree.h"
#include "cairn/core/utf8.h"

#include "cairn/core/canonical_json.h"
#include "cairn/core/file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>

namespace cairn {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& path, std::string_view content, mode_t mode = 0644) {
  fs::create_directories(path.parent_path());
  ASSERT_TRUE(write_file_atomically(path, content, mode).ok());
}

// The reference tree: the golden digest below was computed independently (Python's hashlib over
// the format in tree.h), so this test catches any drift in the format.
void make_reference_tree(const fs::path& root, bool reversed_order = false) {
  auto files = std::vector<std::function<void()>>{
      [&] { write(root / "README", "hello\n"); },
      [&] { write(root / "bin" / "run", "#!/bin/sh\necho hi\n", 0755); },
      [&] { write(root / "src" / "a.c", "int x;\n"); },
      [&] {
        fs::create_directories(root / "src");
        fs::create_symlink("../README", root / "src" / "link");
      },
      [&] { fs::create_directories(root / "src" / "empty"); },
  };
  if (reversed_order) std::reverse(files.begin(), files.end());
  for (auto& make : files) make();
}

constexpr std::string_view reference_digest = "sha256:b169bd7805354aa1a6ded42a6a9319a0a3c0d14412caf347c45169c941b79949";

class TreeHash : public testing::Test {
 protected:
  fs::path make_tree(std::string_view name, bool reversed_order = false) {
    fs::path root = scratch_.path() / std::string(name);
    make_reference_tree(root, reversed_order);
    return root;
  }
  std::string hash(const fs::path& root) {
    Result<Digest> digest = hash_tree(root);
    EXPECT_TRUE(digest.ok()) << digest.error().message();
    return digest.ok() ? digest->to_string() : "";
  }

  TemporaryDirectory scratch_ = std::move(TemporaryDirectory::create("cairn-tree-test-")).value();
};

TEST_F(TreeHash, MatchesTheIndependentlyComputedDigest) {
  EXPECT_EQ(hash(make_tree("a")), reference_digest);
}

TEST_F(TreeHash, EmptyTreeIsTheDigestOfTheHeader) {
  fs::create_directories(scratch_.path() / "empty" / "nested");
  EXPECT_EQ(hash(scratch_.path() / "empty"), "sha256:9293f5df4e75c5e557c129356b2e45671985d94f711bcffedfd1b51251bb3127");
}

TEST_F(TreeHash, ListsEntriesSortedWithModesAndTargets) {
  Result<std::vector<TreeEntry>> entries = scan_tree(make_tree("a"));
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 4u);
  EXPECT_EQ((*entries)[0].path, "README");
  EXPECT_EQ((*entries)[1].path, "bin/run");
  EXPECT_EQ((*entries)[1].mode, EntryMode::executable);
  EXPECT_EQ((*entries)[3].path, "src/link");
  EXPECT_EQ((*entries)[3].mode, EntryMode::symlink);
  EXPECT_EQ((*entries)[3].symlink_target, "../README");
  EXPECT_EQ((*entries)[0].size, 6u);
}

TEST_F(TreeHash, IgnoresTimesOwnersOrderPlaceAndPermissionsBesideOwnerExec) {
  fs::path first = make_tree("first");
  fs::path second = make_tree("elsewhere/deeper/second", /*reversed_order=*/true);
  // Old times, another owner, other read/write bits: none of it is content.
  struct timespec old_times[2] = {{1000, 0}, {1000, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (second / "README").c_str(), old_times, AT_SYMLINK_NOFOLLOW), 0);
  ASSERT_EQ(::utimensat(AT_FDCWD, (second / "src" / "link").c_str(), old_times, AT_SYMLINK_NOFOLLOW), 0);
  if (::geteuid() == 0) {
    ASSERT_EQ(::lchown((second / "src" / "a.c").c_str(), 1234, 5678), 0);
  }
  fs::permissions(second / "README", fs::perms::owner_read | fs::perms::owner_write);
  fs::permissions(second / "bin" / "run", fs::perms::owner_all);
  EXPECT_EQ(hash(first), hash(second));
}

TEST_F(TreeHash, ChangesWithOneByte) {
  fs::path root = make_tree("a");
  std::string before = hash(root);
  write(root / "src" / "a.c", "int y;\n");
  EXPECT_NE(hash(root), before);
}

TEST_F(TreeHash, ChangesWithAName) {
  fs::path root = make_tree("a");
  std::string before = hash(root);
  fs::rename(root / "src" / "a.c", root / "src" / "b.c");
  EXPECT_NE(hash(root), before);
}

TEST_F(TreeHash, ChangesWithTheExecBit) {
  fs::path root = make_tree("a");
  std::string before = hash(root);
  fs::permissions(root / "README", fs::perms::owner_exec, fs::perm_options::add);
  EXPECT_NE(hash(root), before);
}

TEST_F(TreeHash, ChangesWithASymlinkTarget) {
  fs::path root = make_tree("a");
  std::string before = hash(root);
  fs::remove(root / "src" / "link");
  fs::create_symlink("a.c", root / "src" / "link");
  EXPECT_NE(hash(root), before);
}

TEST_F(TreeHash, SymlinkAndFileWithTheSameBytesDiffer) {
  fs::path with_file = scratch_.path() / "file";
  write(with_file / "x", "target");
  fs::path with_link = scratch_.path() / "link";
  fs::create_directories(with_link);
  fs::create_symlink("target", with_link / "x");
  EXPECT_NE(hash(with_file), hash(with_link));
}

TEST_F(TreeHash, NeverFollowsSymlinks) {
  fs::path root = scratch_.path() / "links";
  fs::create_directories(root);
  fs::create_symlink("/etc", root / "etc");
  fs::create_symlink("/nonexistent", root / "dangling");
  Result<std::vector<TreeEntry>> entries = scan_tree(root);
  ASSERT_TRUE(entries.ok()) << entries.error().message();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[1].symlink_target, "/etc");
}

TEST_F(TreeHash, RefusesAFifo) {
  fs::path root = make_tree("a");
  ASSERT_EQ(::mkfifo((root / "src" / "pipe").c_str(), 0644), 0);
  Result<Digest> digest = hash_tree(root);
  ASSERT_FALSE(digest.ok());
  EXPECT_EQ(digest.error().code(), ErrorCode::refused);
  EXPECT_NE(digest.error().message().find("src/pipe: is a FIFO"), std::string::npos) << digest.error().message();
}

TEST_F(TreeHash, RefusesASocket) {
  fs::path root = make_tree("a");
  fs::path socket_path = root / "sock";
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  ASSERT_LT(socket_path.string().size(), sizeof address.sun_path);
  std::strcpy(address.sun_path, socket_path.c_str());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ::close(fd);
  Result<Digest> digest = hash_tree(root);
  ASSERT_FALSE(digest.ok());
  EXPECT_NE(digest.error().message().find("sock: is a socket"), std::string::npos) << digest.error().message();
}

TEST_F(TreeHash, RefusesADeviceFile) {
  fs::path root = make_tree("a");
  if (::mknod((root / "null").c_str(), S_IFCHR | 0644, makedev(1, 3)) != 0) {
    GTEST_SKIP() << "skipped: cannot create a device node here (" << std::strerror(errno) << ")";
  }
  Result<Digest> digest = hash_tree(root);
  ASSERT_FALSE(digest.ok());
  EXPECT_NE(digest.error().message().find("null: is a character device"), std::string::npos);
}

TEST_F(TreeHash, RefusesNamesThatAreNotUtf8) {
  fs::path root = make_tree("a");
  write(root / "caf\xe9", "latin-1 name");
  Result<Digest> digest = hash_tree(root);
  ASSERT_FALSE(digest.ok());
  EXPECT_NE(digest.error().message().find("not valid UTF-8"), std::string::npos);
}

TEST_F(TreeHash, RootMustBeAnExistingDirectory) {
  Result<Digest> missing = hash_tree(scratch_.path() / "missing");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::not_found);
  write(scratch_.path() / "plain", "x");
  Result<Digest> file = hash_tree(scratch_.path() / "plain");
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.error().code(), ErrorCode::invalid_argument);
}

TreeEntry entry(std::string path, std::optional<Digest> digest) {
  TreeEntry made;
  made.path = std::move(path);
  made.content_digest = std::move(digest);
  return made;
}

TEST(TreeDigest, RefusesUnsortedOrUndigestedEntries) {
  TreeEntry a = entry("a", Digest::sha256_of("a"));
  TreeEntry b = entry("b", Digest::sha256_of("b"));
  EXPECT_TRUE(tree_digest({a, b}).ok());
  EXPECT_FALSE(tree_digest({b, a}).ok());
  EXPECT_FALSE(tree_digest({a, a}).ok());
  EXPECT_FALSE(tree_digest({entry("c", std::nullopt)}).ok());
  EXPECT_FALSE(tree_digest({entry("../x", Digest::sha256_of("x"))}).ok());
}

TEST(RelativePath, AcceptsNormalFormOnly) {
  EXPECT_FALSE(check_relative_path("a/b/c.txt").has_value());
  EXPECT_FALSE(check_relative_path("\xc3\xa9t\xc3\xa9").has_value());
  EXPECT_EQ(*check_relative_path(""), "empty path");
  EXPECT_EQ(*check_relative_path("/etc/passwd"), "absolute path");
  EXPECT_EQ(*check_relative_path("a/../b"), "path has a '..' component");
  EXPECT_EQ(*check_relative_path("./a"), "path has a '.' component");
  EXPECT_NE(check_relative_path("a//b"), std::nullopt);
  EXPECT_NE(check_relative_path("a/"), std::nullopt);
  EXPECT_NE(check_relative_path(std::string_view("a\0b", 3)), std::nullopt);
}

TEST(SymlinkStaysInside, JudgesTheTargetTextAgainstTheLinksDirectory) {
  EXPECT_TRUE(symlink_stays_inside("a", "b"));
  EXPECT_TRUE(symlink_stays_inside("lib/x", "../include/y.h"));
  EXPECT_TRUE(symlink_stays_inside("a/b/c", "../../d"));
  EXPECT_TRUE(symlink_stays_inside("a/b", "./../b/./c"));
  EXPECT_FALSE(symlink_stays_inside("a", "../b"));
  EXPECT_FALSE(symlink_stays_inside("a/b", "../../c"));
  EXPECT_FALSE(symlink_stays_inside("a/b", "x/../../.."));
  EXPECT_FALSE(symlink_stays_inside("a", "/etc/passwd"));
  EXPECT_FALSE(symlink_stays_inside("a", ""));
}

TEST(Utf8, RejectsOverlongSurrogatesAndTruncation) {
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("\xf0\x9f\x98\x80"));   // U+1F600
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));      // U+D800 surrogate
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // beyond U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xe2\x82"));          // truncated
  EXPECT_FALSE(is_valid_utf8("\x80"));              // stray continuation
}

}  // namespace
}  // namespace cairn

namespace cairn {
namespace {

// --- DigestMemo ---

// Scans `root` without digests and fills them through `memo`; the digest of the tree.
std::string memo_hash(const fs::path& root, DigestMemo& memo) {
  auto entries = scan_tree(root, {.compute_digests = false, .exclude = {}});
  EXPECT_TRUE(entries.ok());
  EXPECT_TRUE(fill_digests(root, *entries, &memo).ok());
  auto digest = tree_digest(*entries);
  return digest.ok() ? digest->to_string() : "";
}

TEST(DigestMemo, GivesTheSameDigestsAsReadingAndSeesEveryChange) {
  TemporaryDirectory scratch = std::move(TemporaryDirectory::create("cairn-memo-test-")).value();
  fs::path root = scratch.path() / "tree";
  make_reference_tree(root);
  DigestMemo memo(scratch.path() / "memo.json");

  EXPECT_EQ(memo_hash(root, memo), reference_digest);
  EXPECT_EQ(memo_hash(root, memo), reference_digest);  // from the memo
  // Same size, and the modification time set back: the change time still gives it away.
  struct stat before {};
  ASSERT_EQ(::stat((root / "src" / "a.c").c_str(), &before), 0);
  write(root / "src" / "a.c", "int y;\n");
  struct timespec times[2] = {before.st_atim, before.st_mtim};
  ASSERT_EQ(::utimensat(AT_FDCWD, (root / "src" / "a.c").c_str(), times, 0), 0);

  EXPECT_EQ(memo_hash(root, memo), hash_tree(root).value().to_string());
  EXPECT_NE(memo_hash(root, memo), reference_digest);
}

TEST(DigestMemo, IsKeptBetweenRunsAndSurvivesAGarbledFile) {
  TemporaryDirectory scratch = std::move(TemporaryDirectory::create("cairn-memo-test-")).value();
  fs::path root = scratch.path() / "tree";
  make_reference_tree(root);
  {
    DigestMemo memo(scratch.path() / "memo.json");
    memo.load();
    EXPECT_EQ(memo_hash(root, memo), reference_digest);
    memo.save();
  }
  std::string saved = read_file(scratch.path() / "memo.json", 1 << 20).value();
  EXPECT_NE(saved.find("a.c"), std::string::npos);
  DigestMemo again(scratch.path() / "memo.json");
  again.load();
  EXPECT_EQ(memo_hash(root, again), reference_digest);

  // A file whose stat is unchanged is taken on the memo's word (so a memo lives in a folder of
  // the user's own, and what is checked against a signature is always read).
  std::string a = fs::absolute(root / "src" / "a.c").string();
  Json json = parse_json(saved).value();
  json[a][1] = Digest::sha256_of("not the content").to_string();
  write(scratch.path() / "memo.json", json.dump());
  DigestMemo lied_to(scratch.path() / "memo.json");
  lied_to.load();
  EXPECT_NE(memo_hash(root, lied_to), reference_digest);

  write(scratch.path() / "memo.json", "{\"x\": [1, 2], \"y\": ");
  DigestMemo garbled(scratch.path() / "memo.json");
  garbled.load();
  EXPECT_EQ(memo_hash(root, garbled), reference_digest);
}

}  // namespace
}  // namespace cairn
