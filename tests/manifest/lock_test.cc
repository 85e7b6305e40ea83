// cairn.lock: made from a verified manifest, written and read back strictly, checked for
// --locked, and compared for --update.
#include "cairn/manifest/lock.h"

#include "cairn/core/base64.h"
#include "cairn/core/canonical_json.h"
#include "cairn/core/file.h"
#include "manifest_test_support.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <tuple>
#include <vector>

namespace cairn::manifest {
namespace {

using namespace testing;

// --- Making and checking a lock against a manifest ---

class LockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_.add_library({"http", "1.3.0", {{"tcp", "^1"}}});
    repo_.add_library({"tcp", "1.0.0"});
    repo_.publish();
    app_.name = "app";
    app_.requires_ = {{"http", "^1"}};
    app_.digest = Digest::sha256_of("app v1");
  }
  TestRepository repo_;
  UnikernelDescription app_;
};

TEST_F(LockTest, RecordsTheManifestTheDescriptionAndEveryChosenEntry) {
  VerifiedRepository verified = repo_.verify().value();

  LockOutcome outcome = lock_dependencies(verified, app_).value();

  const LockFile& lock = outcome.lock;
  EXPECT_TRUE(outcome.warnings.empty());
  EXPECT_EQ(lock.repository, must(root_identity(repo_.root_document)).to_string());
  EXPECT_FALSE(lock.development);
  EXPECT_EQ(lock.snapshot_version, 1);
  ASSERT_TRUE(verified.snapshot.created.has_value());
  EXPECT_EQ(lock.snapshot_created, verified.snapshot.created);  // the builds' SOURCE_DATE_EPOCH
  EXPECT_EQ(lock.description_digest, app_.digest);
  ASSERT_EQ(lock.libraries.size(), 2u);
  const VerifiedLibrary* tcp = verified.find("tcp", "1.0.0");
  ASSERT_NE(tcp, nullptr);
  const LockedLibrary& locked = lock.libraries.at("tcp");
  EXPECT_EQ(locked.version, "1.0.0");
  EXPECT_EQ(locked.tree, tcp->entry.tree);
  EXPECT_EQ(locked.entry, tcp->document_digest);
  EXPECT_EQ(locked.signers, std::vector<std::string>{repo_.maintainer_key.keyid()});
  EXPECT_EQ(lock.libraries.at("http").version, "1.3.0");
}

TEST_F(LockTest, RefusesRequirementsNoVersionsMeet) {
  app_.requires_ = {{"http", "^2"}};

  expect_error(lock_dependencies(repo_.verify().value(), app_), ErrorCode::refused,
               "cannot resolve the requirements of app");
}

TEST_F(LockTest, LockedAcceptsAnUnchangedLockWithoutWarnings) {
  VerifiedRepository verified = repo_.verify().value();
  LockFile lock = lock_dependencies(verified, app_).value().lock;

  auto checked = check_lock(lock, verified, app_);

  ASSERT_TRUE(checked.ok()) << checked.error().message();
  EXPECT_TRUE(checked->empty());
}

TEST_F(LockTest, LockedRefusesWhenTheDescriptionChanged) {
  VerifiedRepository verified = repo_.verify().value();
  LockFile lock = lock_dependencies(verified, app_).value().lock;
  ASSERT_TRUE(check_lock(lock, verified, app_).ok());
  app_.digest = Digest::sha256_of("app v2");
  auto checked = check_lock(lock, verified, app_);
  ASSERT_FALSE(checked.ok());
  EXPECT_NE(checked.error().message().find("app's unikernel.json changed"), std::string::npos);
}

TEST_F(LockTest, LockedRefusesWhenAPinnedEntryChanged) {
  LockFile lock = lock_dependencies(repo_.verify().value(), app_).value().lock;
  repo_.add_library({"tcp", "1.0.0", {{"extra", "^1"}}});  // re-signed with other content
  repo_.publish();
  auto checked = check_lock(lock, repo_.verify().value(), app_);
  ASSERT_FALSE(checked.ok());
  EXPECT_NE(checked.error().message().find("tcp 1.0.0: its signed entry changed"), std::string::npos)
      << checked.error().message();
}

TEST_F(LockTest, LockedRefusesALockMadeAgainstAnotherManifest) {
  VerifiedRepository verified = repo_.verify().value();
  LockFile lock = lock_dependencies(verified, app_).value().lock;
  lock.repository = Digest::sha256_of("another root").to_string();

  expect_error(check_lock(lock, verified, app_), ErrorCode::refused,
               "cairn.lock no longer matches: it was made against manifest " + lock.repository);
}

TEST_F(LockTest, LockedRefusesAPinnedVersionTheManifestNoLongerHas) {
  VerifiedRepository verified = repo_.verify().value();
  LockFile lock = lock_dependencies(verified, app_).value().lock;
  lock.libraries.at("tcp").version = "1.0.1";

  expect_error(check_lock(lock, verified, app_), ErrorCode::refused,
               "tcp 1.0.1 is no longer in the manifest; run `cairn lock --update`");
}

TEST_F(LockTest, LockedRefusesAPinWhoseTreeDiffers) {
  VerifiedRepository verified = repo_.verify().value();
  LockFile lock = lock_dependencies(verified, app_).value().lock;
  lock.libraries.at("tcp").tree = Digest::sha256_of("another tree");

  expect_error(check_lock(lock, verified, app_), ErrorCode::refused,
               "tcp 1.0.0: tree is now " + verified.find("tcp", "1.0.0")->entry.tree.to_string() + ", locked " +
                   Digest::sha256_of("another tree").to_string());
}

TEST_F(LockTest, LockedRefusesARequirementTheLockLacks) {
  VerifiedRepository verified = repo_.verify().value();
  LockFile lock = lock_dependencies(verified, app_).value().lock;
  app_.requires_["dns"] = "^1";  // the digest stays: only the lock's content is checked here

  expect_error(check_lock(lock, verified, app_), ErrorCode::refused, "app requires dns, which the lock lacks");
}

// A version yanked after it was locked keeps working, with a warning both when the lock is
// made again and when it is checked.
TEST_F(LockTest, KeepsAYankedPinAndWarnsAboutIt) {
  LockFile before = lock_dependencies(repo_.verify().value(), app_).value().lock;
  repo_.add_library({"tcp", "1.0.0", {}, "corrupts packets"});
  repo_.add_library({"tcp", "1.1.0"});
  repo_.publish();
  VerifiedRepository verified = repo_.verify().value();
  LockOptions keep;
  keep.previous = &before;

  LockOutcome outcome = lock_dependencies(verified, app_, keep).value();

  EXPECT_EQ(outcome.lock.libraries.at("tcp").version, "1.0.0");
  EXPECT_EQ(outcome.warnings,
            std::vector<std::string>{"tcp 1.0.0 is yanked (corrupts packets) but kept because the lock pins it"});
  auto checked = check_lock(outcome.lock, verified, app_);
  ASSERT_TRUE(checked.ok()) << checked.error().message();
  EXPECT_EQ(*checked, std::vector<std::string>{"tcp 1.0.0 is yanked (corrupts packets); the lock still pins it"});
  // A new lock does not choose it.
  EXPECT_EQ(lock_dependencies(verified, app_).value().lock.libraries.at("tcp").version, "1.1.0");
}

TEST_F(LockTest, RoundTripsThroughItsFile) {
  LockFile lock = lock_dependencies(repo_.verify().value(), app_).value().lock;
  TemporaryDirectory directory = make_temporary_directory();
  must(write_lock(directory.path() / "cairn.lock", lock));
  LockFile read = must(read_lock(directory.path() / "cairn.lock"));
  EXPECT_EQ(to_json(read), to_json(lock));
}

TEST_F(LockTest, UpdateShowsWhatChanged) {
  LockFile before = lock_dependencies(repo_.verify().value(), app_).value().lock;
  repo_.add_library({"http", "1.4.0", {{"tcp", "^1"}, {"dns", "^1"}}});
  repo_.add_library({"dns", "1.0.0"});
  repo_.publish();
  VerifiedRepository verified = repo_.verify().value();
  // Without --update the lock's versions are kept.
  LockOptions keep;
  keep.previous = &before;
  EXPECT_TRUE(diff_locks(before, lock_dependencies(verified, app_, keep).value().lock).empty());
  LockOptions update;
  update.previous = &before;
  update.update = {"http"};
  LockFile after = lock_dependencies(verified, app_, update).value().lock;
  std::vector<std::string> described;
  for (const auto& change : diff_locks(before, after)) described.push_back(describe(change));
  EXPECT_EQ(described, (std::vector<std::string>{"added dns 1.0.0", "upgraded http 1.3.0 -> 1.4.0"}));
}

TEST_F(LockTest, UpdateAllMovesEveryLibraryToItsNewestVersion) {
  LockFile before = lock_dependencies(repo_.verify().value(), app_).value().lock;
  repo_.add_library({"http", "1.4.0", {{"tcp", "^1"}}});
  repo_.add_library({"tcp", "1.2.0"});
  repo_.publish();
  LockOptions update_all;
  update_all.previous = &before;
  update_all.update_all = true;

  LockFile after = lock_dependencies(repo_.verify().value(), app_, update_all).value().lock;

  EXPECT_EQ(after.libraries.at("http").version, "1.4.0");
  EXPECT_EQ(after.libraries.at("tcp").version, "1.2.0");
}

TEST_F(LockTest, WarnsAboutAdvisoriesOnChosenVersions) {
  repo_.add_library({"tcp", "1.0.0", {}, std::nullopt, {{"CAIRN-2026-7", "<1.1", "window overflow"}}});
  repo_.publish();
  LockOutcome outcome = lock_dependencies(repo_.verify().value(), app_).value();
  ASSERT_EQ(outcome.warnings.size(), 1u);
  EXPECT_EQ(outcome.warnings[0], "advisory CAIRN-2026-7 affects tcp 1.0.0: window overflow");
}

TEST_F(LockTest, IndexesEveryVerifiedEntryWithItsDependenciesAndYanks) {
  repo_.add_library({"tcp", "1.1.0", {}, "broken checksum"});
  repo_.publish();

  PackageIndex index = must(index_repository(repo_.verify().value()));

  ASSERT_NE(index.versions("tcp"), nullptr);
  const std::vector<PackageVersion>& tcp = *index.versions("tcp");
  ASSERT_EQ(tcp.size(), 2u);
  EXPECT_EQ(tcp[0].version.to_string(), "1.1.0");  // newest first
  EXPECT_TRUE(tcp[0].yanked);
  EXPECT_EQ(tcp[0].yank_reason, "broken checksum");
  EXPECT_FALSE(tcp[1].yanked);
  const std::vector<PackageVersion>& http = *index.versions("http");
  ASSERT_EQ(http.size(), 1u);
  ASSERT_EQ(http[0].depends.size(), 1u);
  EXPECT_EQ(http[0].depends[0].first, "tcp");
  EXPECT_EQ(http[0].depends[0].second.text(), "^1");
  EXPECT_EQ(index.versions("dns"), nullptr);
}

// --- The file ---

LockFile sample_lock() {
  LockFile lock;
  lock.repository = Digest::sha256_of("root").to_string();
  lock.development = true;
  lock.snapshot_version = 7;
  lock.description_digest = Digest::sha256_of("unikernel.json");
  lock.libraries["tcp"] = {"1.0.0", Digest::sha256_of("tcp tree"), Digest::sha256_of("tcp entry"), {"k1", "k2"}, {}};
  lock.libraries["http"] = {"1.3.0",
                            Digest::sha256_of("http tree"),
                            Digest::sha256_of("http entry"),
                            {"k1"},
                            ArchiveRef{"archives/http-1.3.0.tar.gz", Digest::sha256_of("archive"), 1234}};
  return lock;
}

// The sample lock's JSON with `change` made to it, parsed.
template <typename Change>
Result<LockFile> parse_changed(Change change) {
  Json json = to_json(sample_lock());
  change(json);
  return parse_lock(json.dump());
}

TEST(LockFile, ReadsBackEveryFieldItWrites) {
  LockFile lock = sample_lock();

  LockFile read = must(parse_lock(must(canonical_json(to_json(lock)))));

  EXPECT_EQ(read.repository, lock.repository);
  EXPECT_TRUE(read.development);
  EXPECT_EQ(read.snapshot_version, 7);
  EXPECT_EQ(read.description_digest, lock.description_digest);
  ASSERT_EQ(read.libraries.size(), 2u);
  EXPECT_EQ(read.libraries.at("tcp").signers, (std::vector<std::string>{"k1", "k2"}));
  EXPECT_FALSE(read.libraries.at("tcp").archive.has_value());
  ASSERT_TRUE(read.libraries.at("http").archive.has_value());
  EXPECT_EQ(read.libraries.at("http").archive->url, "archives/http-1.3.0.tar.gz");
  EXPECT_EQ(read.libraries.at("http").archive->size, 1234u);
  EXPECT_EQ(to_json(read), to_json(lock));
}

TEST(LockFile, ReadsBackTheSnapshotTimeAndRefusesABadOne) {
  LockFile lock = sample_lock();
  lock.snapshot_created = test_now;

  Json json = to_json(lock);
  LockFile read = must(parse_lock(json.dump()));
  json["snapshot_created"] = "2026-01-01";

  EXPECT_EQ(to_json(lock).at("snapshot_created"), "2026-01-01T00:00:00Z");
  EXPECT_EQ(read.snapshot_created, test_now);
  EXPECT_FALSE(must(parse_lock(to_json(sample_lock()).dump())).snapshot_created.has_value());
  expect_error(parse_lock(json.dump()), ErrorCode::malformed, "cairn.lock: \"snapshot_created\"");
}

TEST(LockFile, IsWrittenAsCanonicalJsonAndANewline) {
  TemporaryDirectory directory = make_temporary_directory();
  LockFile lock = sample_lock();

  must(write_lock(directory.path() / "cairn.lock", lock));

  std::string text = must(read_file(directory.path() / "cairn.lock", 1 << 20));
  EXPECT_EQ(text, must(canonical_json(to_json(lock))) + "\n");
  Json json = must(parse_json(text));
  EXPECT_EQ(json.at("_type"), "lock");
  EXPECT_EQ(json.at("spec_version").get<std::string>(), spec_version);
}

TEST(LockFile, TreatsAMissingDevelopmentFlagAsFalse) {
  LockFile lock = must(parse_changed([](Json& json) { json.erase("development"); }));

  EXPECT_FALSE(lock.development);
}

TEST(LockFile, AcceptsALaterMinorSpecVersion) {
  EXPECT_TRUE(parse_changed([](Json& json) { json["spec_version"] = "1.7.0"; }).ok());
}

TEST(LockFile, RefusesAnUnknownSpecVersionMajor) {
  expect_error(parse_changed([](Json& json) { json["spec_version"] = "2.0.0"; }), ErrorCode::unsupported,
               "cairn.lock: unknown spec_version \"2.0.0\"; upgrade cairn");
}

TEST(LockFile, RefusesTextThatIsNotJson) {
  for (const char* text : {"", "{\"_type\": \"lock\"", "lock"}) {
    expect_error(parse_lock(text), ErrorCode::malformed, "cairn.lock: ");
  }
}

TEST(LockFile, RefusesJsonThatIsNotALock) {
  for (const char* text : {"[]", "\"lock\"", "42"}) {
    expect_error(parse_lock(text), ErrorCode::malformed, "cairn.lock: the document must be an object");
  }
  expect_error(parse_lock("{\"_type\": \"root\"}"), ErrorCode::malformed,
               "cairn.lock: not a lock file (\"_type\" is \"root\")");
  expect_error(parse_lock("{\"_type\": 1}"), ErrorCode::malformed, "cairn.lock: \"_type\": must be a string");
}

TEST(LockFile, RefusesAMissingFieldNamingIt) {
  expect_error(parse_changed([](Json& json) { json.erase("snapshot_version"); }), ErrorCode::malformed,
               "snapshot_version");
  expect_error(parse_changed([](Json& json) { json.erase("libraries"); }), ErrorCode::malformed, "libraries");
  expect_error(parse_changed([](Json& json) { json["libraries"]["tcp"].erase("signers"); }), ErrorCode::malformed,
               "signers");
}

TEST(LockFile, RefusesFieldsOfTheWrongType) {
  const std::vector<void (*)(Json&)> changes = {
      [](Json& json) { json["repository"] = 5; },
      [](Json& json) { json["development"] = "yes"; },
      [](Json& json) { json["snapshot_version"] = "7"; },
      [](Json& json) { json["libraries"] = "tcp"; },
      [](Json& json) { json["libraries"]["tcp"]["version"] = 1; },
      [](Json& json) { json["libraries"]["tcp"]["signers"] = "k1"; },
  };
  for (std::size_t i = 0; i < changes.size(); ++i) {
    auto parsed = parse_changed(changes[i]);
    ASSERT_FALSE(parsed.ok()) << "change " << i;
    EXPECT_EQ(parsed.error().code(), ErrorCode::malformed) << "change " << i << ": " << parsed.error().message();
    EXPECT_EQ(parsed.error().message().rfind("cairn.lock: ", 0), 0u)
        << "change " << i << ": " << parsed.error().message();
  }
}

TEST(LockFile, RefusesABadDigestNamingIt) {
  expect_error(parse_changed([](Json& json) { json["description_digest"] = "sha256:abc"; }), ErrorCode::malformed,
               "digest 'sha256:abc': sha256 needs 64 hex digits");
  expect_error(parse_changed([](Json& json) { json["libraries"]["tcp"]["tree"] = "sha256:abc"; }), ErrorCode::malformed,
               "\"libraries.tcp.tree\": digest 'sha256:abc'");
  expect_error(parse_changed([](Json& json) { json["libraries"]["tcp"]["entry"] = "tcp-entry"; }), ErrorCode::malformed,
               "\"libraries.tcp.entry\": digest 'tcp-entry' has no algorithm prefix");
}

TEST(LockFile, RefusesABadArchiveDigestWithoutLeakingWhatItReadBefore) {
  // Issue 15's reproducer: the archive's url was read, then its digest failed to parse. Returning
  // out of the braced ArchiveRef{...} initializer there leaked the url (31 bytes under ASan).
  std::string text = must(base64_decode(
      "eyJfdHlwZSI6ImxvY2siLCJzcGVjX3ZlcnNpb24iOiIxLjAuMCIsInJlcG9zaXRvcnkiOiIiLCJzbmFwc2hvdF92ZXJzaW9uIjoxLCJkZXNj"
      "cmlwdGlvbl9kaWdlc3QiOiJzaGEyNTY6YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFh"
      "YWFhYWFhYSIsImxpYnJhcmllcyI6eyJhIjp7InZlcnNpb24iOiIxIiwidHJlZSI6InNoYTI1NjphYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFh"
      "YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhIiwiZW50cnkiOiJzaGEyNTY6YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFh"
      "YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYSIsInNpZ25lcnMiOltdLCJhcmNoaXZlIjp7InVybCI6Imh0dHBzOi8v"
      "ZXhhbXBsZS5vcmcvYS0xLnRhci5neiIsImRpZ2VzdCI6IngiLCJzaXplIjoxfX19fQ=="));
  expect_error(parse_lock(text), ErrorCode::malformed, "cairn.lock: \"libraries.a.archive.digest\": digest 'x'");
}

TEST(LockFile, ReadingNamesTheFile) {
  TemporaryDirectory directory = make_temporary_directory();
  std::filesystem::path path = directory.path() / "cairn.lock";
  must(write_file_atomically(path, "{\"_type\": \"root\"}\n"));

  expect_error(read_lock(path), ErrorCode::malformed, path.string() + ": cairn.lock: not a lock file");
  expect_error(read_lock(directory.path() / "missing.lock"), ErrorCode::not_found, "missing.lock");
}

// --- Differences, for --update ---

// A lock pinning `versions` (name -> version), each tree and entry derived from both.
LockFile lock_of(const std::map<std::string, std::string>& versions) {
  LockFile lock;
  for (const auto& [name, version] : versions) {
    lock.libraries[name] = {
        version, Digest::sha256_of(name + version), Digest::sha256_of(name + version + " entry"), {"k1"}, {}};
  }
  return lock;
}

TEST(DiffLocks, FindsNothingBetweenEqualLocks) {
  LockFile lock = lock_of({{"http", "1.3.0"}, {"tcp", "1.0.0"}});

  EXPECT_TRUE(diff_locks(lock, lock).empty());
}

TEST(DiffLocks, TellsEveryKindOfChangeSortedByName) {
  LockFile before = lock_of({{"dns", "1.0.0"}, {"http", "1.3.0"}, {"log", "2.0.0"}, {"tcp", "1.0.0"}});
  LockFile after = lock_of({{"http", "1.4.0"}, {"log", "1.5.0"}, {"tcp", "1.0.0"}, {"tls", "3.1.0"}});
  after.libraries.at("tcp").tree = Digest::sha256_of("rebuilt");

  std::vector<LockChange> changes = diff_locks(before, after);

  ASSERT_EQ(changes.size(), 5u);
  using Kind = LockChange::Kind;
  const std::vector<std::tuple<Kind, std::string, std::string, std::string>> expected = {
      {Kind::removed, "dns", "1.0.0", ""},         {Kind::upgraded, "http", "1.3.0", "1.4.0"},
      {Kind::downgraded, "log", "2.0.0", "1.5.0"}, {Kind::changed, "tcp", "1.0.0", "1.0.0"},
      {Kind::added, "tls", "", "3.1.0"},
  };
  for (std::size_t i = 0; i < changes.size(); ++i) {
    EXPECT_EQ(std::tie(changes[i].kind, changes[i].name, changes[i].from, changes[i].to), expected[i])
        << "change " << i << ": " << describe(changes[i]);
  }
}

TEST(DiffLocks, CountsAReSignedEntryAsAChange) {
  LockFile before = lock_of({{"tcp", "1.0.0"}});
  LockFile after = before;
  after.libraries.at("tcp").entry = Digest::sha256_of("re-signed");

  std::vector<LockChange> changes = diff_locks(before, after);

  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].kind, LockChange::Kind::changed);
}

TEST(DiffLocks, ComparesVersionsAsSemverNotAsText) {
  std::vector<LockChange> changes = diff_locks(lock_of({{"tcp", "1.9.0"}}), lock_of({{"tcp", "1.10.0"}}));

  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].kind, LockChange::Kind::upgraded);
}

TEST(DiffLocks, DescribesEachKindOfChange) {
  using Kind = LockChange::Kind;
  EXPECT_EQ(describe({Kind::added, "dns", "", "1.0.0"}), "added dns 1.0.0");
  EXPECT_EQ(describe({Kind::removed, "dns", "1.0.0", ""}), "removed dns 1.0.0");
  EXPECT_EQ(describe({Kind::upgraded, "http", "1.3.0", "1.4.0"}), "upgraded http 1.3.0 -> 1.4.0");
  EXPECT_EQ(describe({Kind::downgraded, "log", "2.0.0", "1.5.0"}), "downgraded log 2.0.0 -> 1.5.0");
  EXPECT_EQ(describe({Kind::changed, "tcp", "1.0.0", "1.0.0"}), "changed tcp 1.0.0 (entry re-signed or tree changed)");
  EXPECT_EQ(to_string(Kind::added), "added");
  EXPECT_EQ(to_string(Kind::removed), "removed");
  EXPECT_EQ(to_string(Kind::upgraded), "upgraded");
  EXPECT_EQ(to_string(Kind::downgraded), "downgraded");
  EXPECT_EQ(to_string(Kind::changed), "changed");
}

}  // namespace
}  // namespace cairn::manifest
