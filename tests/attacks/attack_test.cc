// TUF's attacks on a manifest repository and its client, each built and refused with its own
// clear error: bad and missing signatures, wrong signers, rollbacks, freezes, mix-and-match,
// bad root rotations, endless data, slow retrieval, tampered sources, yanked versions and
// malformed documents.
#include "../manifest/manifest_test_support.h"
#include "../support/loopback_http_server.h"
#include "cairn/manifest/library_description.h"
#include "cairn/manifest/lock.h"
#include "cairn/manifest/repository.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace cairn::manifest {
namespace {

using namespace testing;
using namespace std::chrono_literals;

// --- signatures ---------------------------------------------------------------------------------

TEST(Attack, RejectsArbitraryEntryWithBadSignature) {
  TestRepository repo;
  repo.add_library({"http", "1.0.0"});
  // Change the signed content after signing: the signature no longer covers it.
  std::string text = repo.read("libraries/http/1.0.0.json");
  text.replace(text.find("Apache-2.0"), 10, "Evil-1.0.0");
  repo.write("libraries/http/1.0.0.json", text);
  repo.publish();
  expect_error(repo.verify(), ErrorCode::refused, "libraries/http/1.0.0.json: maintainer of library 'http' signatures");
  expect_error(repo.verify(), ErrorCode::refused, "bad signature");
}

TEST(Attack, RejectsEntryBelowThreshold) {
  TestRepository repo;
  TestKey second = make_key();
  repo.root.keys[second.keyid()] = second.material;
  repo.root.maintainers["http"] = {{repo.maintainer_key.keyid(), second.keyid()}, 2};
  repo.write_root();
  repo.root_document = repo.read("root.json");
  repo.add_library({"http", "1.0.0"});  // one of the two required maintainers
  repo.publish();
  expect_error(repo.verify(), ErrorCode::refused, "threshold not met: 1 of 2");
}

TEST(Attack, RejectsEntrySignedByKeyThatIsNotItsMaintainer) {
  TestRepository repo;
  TestKey tcp_maintainer = make_key();
  repo.root.keys[tcp_maintainer.keyid()] = tcp_maintainer.material;
  repo.root.maintainers["tcp"] = {{tcp_maintainer.keyid()}, 1};
  repo.root.maintainers["http"] = {{repo.maintainer_key.keyid()}, 1};
  repo.write_root();
  repo.root_document = repo.read("root.json");
  repo.add_library({"http", "1.0.0"}, {&tcp_maintainer});
  repo.publish();
  expect_error(repo.verify(), ErrorCode::refused,
               "signed by key " + tcp_maintainer.keyid() + ", which is not a maintainer of library 'http' key");
}

// --- rollback and freeze ------------------------------------------------------------------------

TEST(Attack, RejectsSnapshotRollback) {
  TestRepository repo;
  repo.add_library({"http", "1.0.0"});
  repo.publish();
  std::string old_snapshot = repo.read("snapshot.json");
  repo.add_library({"http", "1.1.0"});
  repo.publish();
  TrustState state = repo.verify().value().state;
  ASSERT_EQ(state.snapshot_version, 2);
  // A fresh timestamp (version 3) that points back at snapshot version 1.
  TimestampMetadata timestamp;
  timestamp.version = 3;
  timestamp.expires = test_now + one_year;
  timestamp.snapshot = {Digest::sha256_of(old_snapshot), old_snapshot.size()};
  timestamp.snapshot_version = 1;
  SignedDocument document = must(make_document(to_json(timestamp)));
  must(sign_document(document, *repo.timestamp_key.signer));
  must(write_document(repo.path() / "timestamp.json", document));
  repo.write("snapshot.json", old_snapshot);
  expect_error(repo.verify(state), ErrorCode::refused, "names snapshot version 1, lower than the trusted version 2");
}

TEST(Attack, RejectsTimestampRollback) {
  TestRepository repo;
  repo.publish();
  std::string old_timestamp = repo.read("timestamp.json");
  std::string old_snapshot = repo.read("snapshot.json");
  repo.publish();
  TrustState state = repo.verify().value().state;
  repo.write("timestamp.json", old_timestamp);
  repo.write("snapshot.json", old_snapshot);
  expect_error(repo.verify(state), ErrorCode::refused, "timestamp.json: version 1 is lower than the trusted version 2");
}

TEST(Attack, RejectsFreezeWithExpiredTimestamp) {
  TestRepository repo;
  repo.publish();  // timestamp lives 7 days
  expect_error(repo.verify(repo.trusted(), test_now + 8 * 24 * 3600), ErrorCode::refused,
               "timestamp.json: expired at 2026-01-08T00:00:00Z");
}

TEST(Attack, RejectsFreezeWithExpiredSnapshot) {
  TestRepository repo;
  PublishOptions options;
  options.now = test_now;
  options.snapshot_lifetime = 3600;
  options.timestamp_lifetime = 30 * 24 * 3600;
  must(publish_snapshot(repo.path(), *repo.snapshot_key.signer, *repo.timestamp_key.signer, options));
  expect_error(repo.verify(repo.trusted(), test_now + 7200), ErrorCode::refused, "snapshot.json: expired at");
}

TEST(Attack, RejectsFreezeWithExpiredRoot) {
  TestRepository repo;
  repo.publish(test_now + 2 * one_year - 3600);
  expect_error(repo.verify(repo.trusted(), test_now + 2 * one_year), ErrorCode::refused,
               "root.json version 1: expired at 2027-01-01T00:00:00Z");
}

// --- mix-and-match ------------------------------------------------------------------------------

TEST(Attack, RejectsMixAndMatchEntry) {
  TestRepository repo;
  repo.add_library({"http", "1.0.0", {{"tcp", "^1"}}});
  repo.publish();
  // A validly signed entry for the same version, but not the one the snapshot lists.
  repo.add_library({"http", "1.0.0", {{"tcp", "^2"}}});
  expect_error(repo.verify(), ErrorCode::refused, "libraries/http/1.0.0.json: digest");
  expect_error(repo.verify(), ErrorCode::refused, "in snapshot.json (mix-and-match?)");
}

// --- root rotation ------------------------------------------------------------------------------

// Root version 2 hands the root role to `new_root` alone (unsigned until write_root()).
void propose_root_rotation(TestRepository& repo, const TestKey& new_root) {
  repo.root.version = 2;
  repo.root.keys[new_root.keyid()] = new_root.material;
  repo.root.root = {{new_root.keyid()}, 1};
}

TEST(Attack, AcceptsRootRotationSignedByOldAndNewKeys) {
  TestRepository repo;
  repo.publish();
  TestKey new_root = make_key();
  propose_root_rotation(repo, new_root);
  repo.write_root({&repo.root_key, &new_root});
  auto verified = repo.verify();
  ASSERT_TRUE(verified.ok()) << verified.error().message();
  EXPECT_EQ(verified->root.version, 2);
  EXPECT_EQ(verified->state.root_version, 2);
}

TEST(Attack, RejectsRootRotationWithoutOldThreshold) {
  TestRepository repo;
  repo.publish();
  TestKey new_root = make_key();
  propose_root_rotation(repo, new_root);
  repo.write_root({&new_root});  // only the new key: the old root never agreed
  expect_error(repo.verify(), ErrorCode::refused, "root/2.root.json (signatures of the old root, version 1)");
}

// --- endless data and slow retrieval ------------------------------------------------------------

// A server that answers any request with a 200 and then streams as fast as it can (endless data)
// or one byte a second (slow retrieval), until the client hangs up or the server stops.
cairn::testing::LoopbackHttpServer hostile_server(bool trickle) {
  auto handler = [trickle](int connection, std::string_view, const std::function<bool()>& should_stop) {
    cairn::testing::LoopbackHttpServer::send_all(connection,
                                                 "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n");
    std::string chunk(trickle ? 1 : 65536, 'x');
    while (!should_stop()) {
      if (::send(connection, chunk.data(), chunk.size(), MSG_NOSIGNAL) < 0) break;
      if (trickle) std::this_thread::sleep_for(1s);
    }
  };
  return cairn::testing::LoopbackHttpServer(handler, 20s);
}

TEST(Attack, StopsEndlessDataAtTheSizeLimit) {
  auto server = hostile_server(/*trickle=*/false);
  TransferLimits limits;
  limits.total_timeout = 20s;
  auto fetched = fetch_url(server.url("timestamp.json"), max_timestamp_size, limits);
  expect_error(fetched, ErrorCode::limit_exceeded, "larger than its limit of 65536 bytes (endless data?)");
}

TEST(Attack, StopsSlowRetrievalAtTheLowSpeedLimit) {
  auto server = hostile_server(/*trickle=*/true);
  TransferLimits limits;
  limits.total_timeout = 20s;
  limits.low_speed_bytes_per_second = 100;
  limits.low_speed_window = 2s;
  auto started = std::chrono::steady_clock::now();
  auto repository = must(Repository::open(server.url(""), limits));
  auto fetched = repository.fetch("snapshot.json", 1 << 20);
  expect_error(fetched, ErrorCode::limit_exceeded, "too slow: under 100 bytes/s for 2 s");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
}

// --- sources, yanked versions -------------------------------------------------------------------

TEST(Attack, RejectsTamperedInRepoSourceNamingLibraryAndFile) {
  TemporaryDirectory library = make_temporary_directory();
  must(write_file_atomically(library.path() / "library.json",
                             R"({"name":"tcp","version":"1.0.0","license":"MIT","sources":["src/**"]})"));
  std::filesystem::create_directories(library.path() / "src");
  must(write_file_atomically(library.path() / "src/tcp.cc", "int tcp() { return 1; }\n"));
  LibraryEntry entry = must(make_library_entry(library.path(), test_now + one_year));
  ASSERT_TRUE(verify_library_tree(library.path(), entry).ok());
  must(write_file_atomically(library.path() / "src/tcp.cc", "int tcp() { return 2; }\n"));
  expect_error(verify_library_tree(library.path(), entry), ErrorCode::refused,
               "library 'tcp' 1.0.0: src/tcp.cc differs from the signed entry");
}

TEST(Attack, NeverChoosesYankedVersionForNewResolution) {
  TestRepository repo;
  repo.add_library({"http", "1.2.0", {}, "CVE-2026-0001: request smuggling"});
  repo.add_library({"http", "1.1.0"});
  repo.publish();
  VerifiedRepository verified = repo.verify().value();
  UnikernelDescription app;
  app.name = "app";
  app.requires_ = {{"http", "=1.2.0"}};
  expect_error(lock_dependencies(verified, app), ErrorCode::refused,
               "http 1.2.0 is yanked (CVE-2026-0001: request smuggling) and app needs http =1.2.0");
  app.requires_ = {{"http", "^1"}};
  LockOutcome outcome = lock_dependencies(verified, app).value();
  EXPECT_EQ(outcome.lock.libraries.at("http").version, "1.1.0");
}

// --- malformed documents ------------------------------------------------------------------------

TEST(Attack, RejectsMalformedJson) {
  TestRepository repo;
  repo.publish();
  repo.write("timestamp.json", R"({"signed": {"_type": "timestamp")");
  expect_error(repo.verify(), ErrorCode::malformed, "timestamp.json");
}

TEST(Attack, RejectsDuplicateKeys) {
  TestRepository repo;
  repo.publish();
  std::string text = repo.read("timestamp.json");
  text.replace(text.find("\"_type\""), 0, R"("version":99,)");
  repo.write("timestamp.json", text);
  expect_error(repo.verify(), ErrorCode::malformed, "duplicate key \"version\"");
}

TEST(Attack, RejectsFloats) {
  TestRepository repo;
  repo.publish();
  std::string text = repo.read("timestamp.json");
  std::size_t at = text.find("\"version\":1");
  text.replace(at, 11, "\"version\":1.0");
  repo.write("timestamp.json", text);
  auto verified = repo.verify();
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.error().code(), ErrorCode::malformed) << verified.error().message();
  EXPECT_NE(verified.error().message().find("timestamp.json"), std::string::npos) << verified.error().message();
}

TEST(Attack, RejectsUnknownSpecVersion) {
  TestRepository repo;
  repo.publish();
  std::string text = repo.read("timestamp.json");
  text.replace(text.find("\"1.0.0\""), 7, "\"2.0.0\"");
  repo.write("timestamp.json", text);
  expect_error(repo.verify(), ErrorCode::unsupported, "timestamp.json: unknown spec_version \"2.0.0\"");
}

}  // namespace
}  // namespace cairn::manifest
