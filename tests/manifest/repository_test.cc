// The manifest documents, the TUF-order verification on a well-formed repository, the trust state
// kept between runs and the content-addressed store.
#include "../support/loopback_http_server.h"
#include "cairn/core/file.h"
#include "cairn/manifest/lock.h"
#include "cairn/manifest/store.h"
#include "cairn/reproducibility/archive.h"
#include "manifest_test_support.h"

#include <gtest/gtest.h>

#include <chrono>

namespace cairn::manifest {
namespace {

using namespace testing;

TEST(Metadata, RoundTripsEveryDocumentType) {
  TestRepository repo;
  repo.add_library({"http", "1.2.0", {{"tcp", "^1"}}, "bug", {{"CAIRN-1", "<1.3", "a bug"}}});
  repo.publish();
  SignedDocument root = must(read_document(repo.path() / "root.json"));
  EXPECT_EQ(to_json(must(root_from_json(root.signed_part))), root.signed_part);
  SignedDocument entry = must(read_document(repo.path() / "libraries/http/1.2.0.json"));
  LibraryEntry parsed = must(entry_from_json(entry.signed_part));
  EXPECT_EQ(parsed.yanked, "bug");
  EXPECT_EQ(parsed.advisories.at(0).affected, "<1.3");
  EXPECT_EQ(to_json(parsed), entry.signed_part);
  SignedDocument snapshot = must(read_document(repo.path() / "snapshot.json"));
  EXPECT_EQ(to_json(must(snapshot_from_json(snapshot.signed_part))), snapshot.signed_part);
  EXPECT_EQ(snapshot.signed_part.at("created"), format_rfc3339(test_now));  // when it was published
  SignedDocument timestamp = must(read_document(repo.path() / "timestamp.json"));
  EXPECT_EQ(to_json(must(timestamp_from_json(timestamp.signed_part))), timestamp.signed_part);
  // Files are canonical JSON plus a newline.
  std::string text = repo.read("snapshot.json");
  EXPECT_EQ(must(serialize_document(snapshot)), text);
}

TEST(Metadata, ParsesRfc3339Strictly) {
  EXPECT_EQ(parse_rfc3339("2026-01-01T00:00:00Z").value(), test_now);
  EXPECT_EQ(format_rfc3339(test_now), "2026-01-01T00:00:00Z");
  for (const char* text : {"2026-01-01T00:00:00", "2026-01-01 00:00:00Z", "2026-02-30T00:00:00Z",
                           "2026-01-01T00:00:00.5Z", "2026-01-01T00:00:00+00:00"}) {
    EXPECT_FALSE(parse_rfc3339(text).ok()) << text;
  }
}

TEST(Metadata, RejectsRootWhoseKeyIdIsNotItsKey) {
  TestRepository repo;
  Json root = to_json(repo.root);
  TestKey other = make_key();
  root["keys"][repo.maintainer_key.keyid()]["public"] = base64_encode(other.material.public_key);
  auto parsed = root_from_json(root);
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().message().find("the key's id is " + other.keyid()), std::string::npos)
      << parsed.error().message();
}

TEST(Verification, AcceptsWellFormedRepositoryAndReportsEveryLibrary) {
  TestRepository repo;
  repo.add_library({"http", "1.0.0", {{"tcp", "^1"}}});
  repo.add_library({"tcp", "1.1.0"});
  repo.publish();
  VerifiedRepository verified = repo.verify().value();
  ASSERT_EQ(verified.libraries.size(), 2u);
  EXPECT_EQ(verified.libraries[0].entry.name, "http");
  EXPECT_EQ(verified.libraries[0].signers, std::vector<std::string>{repo.maintainer_key.keyid()});
  EXPECT_EQ(verified.state.snapshot_version, 1);
  EXPECT_EQ(verified.state.timestamp_version, 1);
}

TEST(RoleKeys, MakesTheKeysOfEachDistinctKeySetOnce) {
  TestRepository repo;
  TestKey second = make_key();
  repo.root.keys[second.keyid()] = second.material;
  RoleKeys keys(repo.root);
  const signing::TrustedKeys* maintainers = must(keys.of({{repo.maintainer_key.keyid()}, 1}));
  // The same key set, in another role or order, is the same object: made once, not per entry.
  EXPECT_EQ(must(keys.of({{repo.maintainer_key.keyid()}, 1})), maintainers);
  const signing::TrustedKeys* pair = must(keys.of({{repo.maintainer_key.keyid(), second.keyid()}, 2}));
  EXPECT_EQ(must(keys.of({{second.keyid(), repo.maintainer_key.keyid()}, 1})), pair);
  EXPECT_NE(pair, maintainers);
  EXPECT_EQ(pair->keyids().size(), 2u);
  EXPECT_EQ(maintainers->keyids(), std::vector<std::string>{repo.maintainer_key.keyid()});
}

TEST(RoleKeys, NamesAKeyThatRootDoesNotList) {
  TestRepository repo;
  RoleKeys keys(repo.root);
  TestKey stranger = make_key();
  expect_error(keys.of({{stranger.keyid()}, 1}), ErrorCode::malformed,
               "key " + stranger.keyid() + " is not in root's keys");
}

TEST(Verification, SharesTheMaintainersKeysAcrossEntriesAndStillChecksEachEntry) {
  TestRepository repo;
  TestKey tcp_maintainer = make_key();
  repo.root.keys[tcp_maintainer.keyid()] = tcp_maintainer.material;
  repo.root.maintainers["tcp"] = {{tcp_maintainer.keyid()}, 1};
  repo.write_root();
  repo.add_library({"http", "1.0.0"});
  repo.add_library({"dns", "1.0.0"});
  repo.add_library({"tcp", "1.0.0"}, {&tcp_maintainer});
  // Signed by the default maintainers, whose keys the entries before it already used: refused.
  repo.add_library({"tcp", "1.1.0"});
  repo.publish();
  expect_error(repo.verify(), ErrorCode::refused,
               "libraries/tcp/1.1.0.json: signed by key " + repo.maintainer_key.keyid() +
                   ", which is not a maintainer of library 'tcp' key");
}

// Serves the files under `root` over HTTP: GET /path answers the file, or 404.
cairn::testing::LoopbackHttpServer serve_folder(const std::filesystem::path& root) {
  auto handler = [root](int connection, std::string_view request, const std::function<bool()>&) {
    std::size_t start = request.find(' ') + 1;
    std::string path(request.substr(start, request.find(' ', start) - start));
    Result<std::string> body = path.find("..") == std::string::npos
                                   ? read_file(root / path.substr(1), std::size_t{64} << 20)
                                   : Result<std::string>(Error(ErrorCode::refused, "no"));
    cairn::testing::LoopbackHttpServer::send_all(
        connection, body.ok() ? "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body->size()) +
                                    "\r\nConnection: close\r\n\r\n" + *body
                              : "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  };
  return cairn::testing::LoopbackHttpServer(handler, std::chrono::seconds(30));
}

TEST(Verification, VerifiesTheSameRepositoryServedOverHttp) {
  TestRepository repo;
  repo.add_library({"http", "1.0.0", {{"tcp", "^1"}}});
  repo.add_library({"tcp", "1.1.0"});
  repo.publish();
  auto server = serve_folder(repo.path());
  Repository repository = must(Repository::open(server.url()));
  VerifyOptions options;
  options.clock = fixed_clock();
  Result<VerifiedRepository> verified = verify_repository(repository, repo.trusted(), options);
  ASSERT_TRUE(verified.ok()) << verified.error().message();
  EXPECT_EQ(verified->libraries.size(), 2u);
  EXPECT_EQ(verified->state.snapshot_version, 1);
  EXPECT_GE(server.requests(), 4);  // timestamp, snapshot and both entries came over HTTP

  // A file the server does not have is a clear error, not a hang or an empty document.
  Result<std::string> missing = repository.fetch("libraries/none/1.0.0.json", 1 << 20);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::not_found);
  EXPECT_NE(missing.error().message().find("libraries/none/1.0.0.json: not found"), std::string::npos)
      << missing.error().message();
}

TEST(TrustStore, PinsOnFirstUseAndRefusesToGoBackwards) {
  PrivateXdg xdg;
  TestRepository repo;
  repo.publish();
  repo.publish();
  Repository repository = must(Repository::open(repo.path().string()));
  VerifyOptions options;
  options.clock = fixed_clock();
  // No root given and none pinned: refused with advice.
  auto unpinned = update_repository(repository, std::nullopt, options);
  ASSERT_FALSE(unpinned.ok());
  EXPECT_NE(unpinned.error().message().find("pass --root"), std::string::npos);
  ASSERT_TRUE(update_repository(repository, repo.pinned_root(), options).ok());
  // Later runs find the pinned root by location, and remember version 2.
  std::string old_timestamp = repo.read("timestamp.json");
  repo.publish();
  ASSERT_TRUE(update_repository(repository, std::nullopt, options).ok());
  repo.write("timestamp.json", old_timestamp);
  auto rolled_back = update_repository(repository, std::nullopt, options);
  ASSERT_FALSE(rolled_back.ok());
  EXPECT_NE(rolled_back.error().message().find("lower than the trusted version 3"), std::string::npos)
      << rolled_back.error().message();
  EXPECT_TRUE(std::filesystem::exists(xdg.path() / "state/cairn/manifests"));
}

TEST(TrustStore, IdentityStaysTheFirstPinnedRootsAcrossARootRotation) {
  // A lock records the repository's identity. After the root rotates, the repository is still the
  // one the user pinned: its identity must not become the digest of the newest root.
  PrivateXdg xdg;
  TestRepository repo;
  repo.add_library({"tcp", "1.0.0"});
  repo.publish();
  Repository repository = must(Repository::open(repo.path().string()));
  VerifyOptions options;
  options.clock = fixed_clock();
  VerifiedRepository before = must(update_repository(repository, repo.pinned_root(), options));
  EXPECT_EQ(before.identity, must(root_identity(repo.root_document)));
  UnikernelDescription app;
  app.name = "app";
  app.requires_ = {{"tcp", "^1"}};
  LockFile lock = must(lock_dependencies(before, app)).lock;

  repo.root.version = 2;
  repo.write_root();
  repo.publish();
  VerifiedRepository after = must(update_repository(repository, std::nullopt, options));
  EXPECT_EQ(after.root.version, 2);
  EXPECT_EQ(after.identity, before.identity);
  EXPECT_TRUE(check_lock(lock, after, app).ok());
}

TEST(TrustStore, ErrorsAboutTheTrustedRootNameItsFile) {
  PrivateXdg xdg;
  TestRepository repo;
  repo.publish();
  Repository repository = must(Repository::open(repo.path().string()));
  VerifyOptions options;
  options.clock = fixed_clock();
  // A signature that no longer verifies: its first base64 character changed.
  auto damage = [](std::string text) {
    std::size_t at = text.find("\"sig\":\"") + 7;
    text[at] = text[at] == 'A' ? 'B' : 'A';
    return text;
  };
  PinnedRoot damaged = repo.pinned_root();
  damaged.document = damage(damaged.document);
  auto refused = update_repository(repository, damaged, options);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message().find("trusted root " + damaged.origin), std::string::npos)
      << refused.error().message();

  // Once pinned, the trusted root is the store's copy, and errors name that file.
  ASSERT_TRUE(update_repository(repository, repo.pinned_root(), options).ok());
  std::filesystem::path stored =
      xdg.path() / "state/cairn/manifests" / must(root_identity(repo.root_document)).hex() / "root.json";
  must(write_file_atomically(stored, damage(must(read_file(stored, 1 << 20)))));
  auto damaged_store = update_repository(repository, std::nullopt, options);
  ASSERT_FALSE(damaged_store.ok());
  EXPECT_NE(damaged_store.error().message().find("trusted root " + stored.string()), std::string::npos)
      << damaged_store.error().message();
}

TEST(Store, FetchesChecksAndExtractsAnArchiveOnce) {
  PrivateXdg xdg;
  TemporaryDirectory work = make_temporary_directory();
  std::filesystem::create_directories(work.path() / "lib/src");
  must(write_file_atomically(work.path() / "lib/src/a.cc", "int a;\n"));
  std::filesystem::create_directories(work.path() / "repo/archives");
  Digest tree = must(reproducibility::create_archive(work.path() / "lib", work.path() / "repo/archives/lib.tar.gz"));
  LibraryEntry entry;
  entry.name = "lib";
  entry.library_version = "1.0.0";
  entry.tree = tree;
  std::string archive = must(read_file(work.path() / "repo/archives/lib.tar.gz", 1 << 20));
  entry.archive = ArchiveRef{"archives/lib.tar.gz", Digest::sha256_of(archive), archive.size()};
  Repository repository = must(Repository::open((work.path() / "repo").string()));
  std::filesystem::path stored = must(fetch_library(repository, entry));
  EXPECT_EQ(stored, xdg.path() / "cache/cairn/store" / tree.hex());
  EXPECT_EQ(must(hash_tree(stored)), tree);
  // A wrong digest is refused before anything is extracted.
  entry.tree = Digest::sha256_of("other");
  entry.archive->digest = Digest::sha256_of("other");
  auto refused = fetch_library(repository, entry);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message().find("library 'lib' 1.0.0: archive digest"), std::string::npos)
      << refused.error().message();
}

}  // namespace
}  // namespace cairn::manifest
