// The trust state's lock: one run at a time updates a repository's trust state, a second one waits
// for it (and says so) or gives up naming the holder, and racing updates never move the state
// backwards or pair one run's root.json with another's state.json.
#include "manifest_test_support.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace cairn::manifest {
namespace {

using namespace testing;
using namespace std::chrono_literals;

TEST(TrustStoreLock, SecondLockGivesUpAfterItsWaitNamingTheHolder) {
  PrivateXdg xdg;
  TestRepository repo;
  TrustStore store = must(TrustStore::open(must(root_identity(repo.root_document))));
  TrustStoreLock held = must(store.lock());

  std::vector<std::string> notices;
  FileLockOptions options;
  options.wait = 200ms;
  options.on_wait = [&](const std::string& notice) { notices.push_back(notice); };
  auto started = std::chrono::steady_clock::now();
  auto second = store.lock(options);
  auto waited = std::chrono::steady_clock::now() - started;

  expect_error(second, ErrorCode::limit_exceeded,
               "another cairn is updating trust state for " + store.identity().to_string());
  expect_error(second, ErrorCode::limit_exceeded, "held by process " + std::to_string(::getpid()));
  EXPECT_GE(waited, 200ms);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_NE(notices[0].find("waiting for another cairn to finish updating trust state"), std::string::npos)
      << notices[0];
}

TEST(TrustStoreLock, SecondLockWaitsUntilTheFirstIsReleased) {
  PrivateXdg xdg;
  TestRepository repo;
  TrustStore store = must(TrustStore::open(must(root_identity(repo.root_document))));
  std::optional<TrustStoreLock> held = must(store.lock());
  std::atomic<bool> released = false;
  std::thread holder([&] {
    std::this_thread::sleep_for(300ms);
    released = true;
    held.reset();
  });
  FileLockOptions options;
  options.wait = 10s;
  auto second = store.lock(options);
  bool was_released = released;
  holder.join();
  ASSERT_TRUE(second.ok()) << second.error().message();
  EXPECT_TRUE(was_released) << "the second lock was taken while the first was held";
}

TEST(TrustStoreLock, UpdateRefusesWhileAnotherRunHoldsTheLock) {
  PrivateXdg xdg;
  TestRepository repo;
  repo.publish();
  TrustStore store = must(TrustStore::open(must(root_identity(repo.root_document))));
  TrustStoreLock held = must(store.lock());
  Repository repository = must(Repository::open(repo.path().string()));
  VerifyOptions options;
  options.clock = fixed_clock();
  options.lock.wait = 100ms;
  auto updated = update_repository(repository, repo.pinned_root(), options);
  expect_error(updated, ErrorCode::limit_exceeded, "another cairn is updating trust state");
  // Nothing was saved by the refused run.
  EXPECT_FALSE(std::filesystem::exists(xdg.path() / "state/cairn/manifests" / store.identity().hex() / "state.json"));
}

TEST(TrustStoreLock, RefusesToLoadOrSaveWithTheLockOfAnotherStore) {
  PrivateXdg xdg;
  TestRepository repo, other;
  TrustStore store = must(TrustStore::open(must(root_identity(repo.root_document))));
  TrustStore other_store = must(TrustStore::open(must(root_identity(other.root_document))));
  TrustStoreLock other_lock = must(other_store.lock());
  expect_error(store.load(other_lock), ErrorCode::invalid_argument, "the lock held is the one of");
  expect_error(store.save(repo.trusted(), other_lock), ErrorCode::invalid_argument, "the lock held is the one of");
}

// Copies of one repository as it was after each of its publications (the root rotates to
// version 2 at the fourth), verified by several threads at once in different orders: every
// update either succeeds or is refused as a rollback, and the saved state ends at the newest
// copy with the root that goes with it.
TEST(TrustStoreLock, ConcurrentUpdatesNeverGoBackwardsNorMixFiles) {
  PrivateXdg xdg;
  TestRepository repo;
  repo.add_library({"tcp", "1.0.0"});
  constexpr int copies = 6;
  std::vector<TemporaryDirectory> snapshots;
  for (int version = 1; version <= copies; ++version) {
    if (version == 4) {
      repo.root.version = 2;
      repo.write_root();
    }
    repo.publish();
    snapshots.push_back(make_temporary_directory("cairn-repo-copy-"));
    std::filesystem::copy(repo.path(), snapshots.back().path(), std::filesystem::copy_options::recursive);
  }
  std::string newest_root = repo.read("root.json");

  constexpr int threads = 8;
  constexpr int rounds = 8;
  std::atomic<int> successes = 0;
  std::vector<std::string> unexpected;
  std::mutex unexpected_mutex;
  std::vector<std::thread> workers;
  for (int thread = 0; thread < threads; ++thread) {
    workers.emplace_back([&, thread] {
      VerifyOptions options;
      options.clock = fixed_clock();
      options.lock.wait = 60s;
      for (int round = 0; round < rounds; ++round) {
        for (int step = 0; step < copies; ++step) {
          // Half the threads climb, half descend, each from its own starting copy.
          int index = (thread % 2 == 0 ? step + thread : copies - 1 - step + thread) % copies;
          Repository repository = must(Repository::open(snapshots[static_cast<std::size_t>(index)].path().string()));
          auto updated = update_repository(repository, repo.pinned_root(), options);
          if (updated.ok()) {
            ++successes;
          } else if (updated.error().message().find("lower than the trusted version") == std::string::npos) {
            std::lock_guard guard(unexpected_mutex);
            unexpected.push_back(updated.error().message());
          }
        }
      }
    });
  }
  for (auto& worker : workers) worker.join();

  EXPECT_TRUE(unexpected.empty()) << unexpected.size() << " unexpected errors, the first: " << unexpected.front();
  EXPECT_GE(successes.load(), threads);  // every thread verifies the newest copy at least once per round
  TrustStore store = must(TrustStore::open(must(root_identity(repo.root_document))));
  TrustStoreLock held = must(store.lock());
  std::optional<TrustState> saved = must(store.load(held));
  ASSERT_TRUE(saved.has_value());
  EXPECT_EQ(saved->snapshot_version, copies);
  EXPECT_EQ(saved->timestamp_version, copies);
  EXPECT_EQ(saved->root_version, 2);
  EXPECT_EQ(saved->root_document, newest_root);
}

}  // namespace
}  // namespace cairn::manifest
