// The builder's parts on their own: the action graph's scheduling, the action cache's checks, the
// generated device header, and the sandbox's walls (no network, no undeclared files).
#include "cairn/builder/action_cache.h"
#include "cairn/builder/action_graph.h"
#include "cairn/builder/glue.h"
#include "cairn/builder/sandbox.h"
#include "cairn/core/file.h"
#include "cairn/core/subprocess.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/must.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

namespace cairn::builder {
namespace {

namespace fs = std::filesystem;

using cairn::test_support::must;

void write(const fs::path& path, std::string_view text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

// --- The action graph ---

TEST(ActionGraph, RunsEveryActionAfterItsDependenciesAndInParallel) {
  std::mutex mutex;
  std::vector<std::string> order;
  std::atomic<int> running{0}, most_at_once{0};
  auto step = [&](std::string name) {
    return [&, name]() -> Result<ActionOutcome> {
      int now = ++running;
      for (int seen = most_at_once; now > seen && !most_at_once.compare_exchange_weak(seen, now);) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
      --running;
      std::lock_guard lock(mutex);
      order.push_back(name);
      return ActionOutcome::ran;
    };
  };
  std::vector<Action> actions{
      {"a", {}, step("a")}, {"b", {}, step("b")}, {"c", {}, step("c")}, {"link", {0, 1, 2}, step("link")}};

  GraphReport report = run_action_graph(actions, {.jobs = 3, .keep_going = false, .on_finished = {}});

  EXPECT_EQ(report.ran, 4u);
  EXPECT_EQ(report.failed, 0u);
  ASSERT_EQ(order.size(), 4u);
  EXPECT_EQ(order.back(), "link");
  EXPECT_GE(most_at_once.load(), 2);
}

TEST(ActionGraph, StopsStartingWorkAfterAFailureUnlessKeepGoing) {
  auto ok = [] { return Result<ActionOutcome>(ActionOutcome::ran); };
  auto broken = [] { return Result<ActionOutcome>(make_error(ErrorCode::refused, "compile x.cc failed")); };
  // One job: "broken" runs first, then nothing else unless keep_going.
  std::vector<Action> actions{{"broken", {}, broken}, {"other", {}, ok}, {"link", {0, 1}, ok}};

  GraphReport stopped = run_action_graph(actions, {.jobs = 1, .keep_going = false, .on_finished = {}});
  GraphReport kept = run_action_graph(actions, {.jobs = 1, .keep_going = true, .on_finished = {}});

  EXPECT_EQ(stopped.failed, 1u);
  EXPECT_EQ(stopped.ran, 0u);
  EXPECT_EQ(stopped.not_run, 2u);
  ASSERT_EQ(stopped.errors.size(), 1u);
  EXPECT_EQ(stopped.errors[0].message(), "compile x.cc failed");
  EXPECT_EQ(kept.failed, 1u);
  EXPECT_EQ(kept.ran, 1u);      // "other" does not depend on the failure
  EXPECT_EQ(kept.not_run, 1u);  // "link" does
}

TEST(ActionGraph, CountsCacheAnswersApartFromRuns) {
  std::vector<Action> actions{{"a", {}, [] { return Result<ActionOutcome>(ActionOutcome::cached); }},
                              {"b", {0}, [] { return Result<ActionOutcome>(ActionOutcome::ran); }}};
  std::vector<std::string> finished;
  GraphReport report =
      run_action_graph(actions, {.jobs = 2,
                                 .keep_going = false,
                                 .on_finished = [&](const Action& action, auto&, std::size_t done, std::size_t total) {
                                   finished.push_back(fmt::format("{} {}/{}", action.label, done, total));
                                 }});

  EXPECT_EQ(report.cached, 1u);
  EXPECT_EQ(report.ran, 1u);
  EXPECT_EQ(finished, (std::vector<std::string>{"a 1/2", "b 2/2"}));
}

// --- The action cache ---

TEST(ActionCache, GivesBackWhatItStoredAndDropsWhatWasCorrupted) {
  TemporaryDirectory folder = must(TemporaryDirectory::create("cairn-cache-test-"));
  ActionCache cache = must(ActionCache::open(folder.path() / "cache"));
  write(folder.path() / "object.o", "object bytes");
  Digest digest = must(cache.put_blob(folder.path() / "object.o"));
  Digest key = Digest::sha256_of("an action");
  ASSERT_TRUE(cache.put_record(key, {{"object", digest.to_string()}}).ok());

  EXPECT_EQ(digest, Digest::sha256_of("object bytes"));
  auto blob = must(cache.checked_blob(digest));
  ASSERT_TRUE(blob.has_value());
  EXPECT_EQ(must(read_file(*blob, 100)), "object bytes");
  EXPECT_EQ((*must(cache.get_record(key)))["object"], digest.to_string());
  EXPECT_EQ(cache.corrupted(), 0u);

  // One flipped byte in the blob, and a record that no longer parses.
  write(*blob, "object bytez");
  write(cache.root() / "ac" / key.hex().substr(0, 2) / key.hex(), "{\"object\": ");

  EXPECT_FALSE(must(cache.checked_blob(digest)).has_value());
  EXPECT_FALSE(must(cache.get_record(key)).has_value());
  EXPECT_EQ(cache.corrupted(), 2u);
  EXPECT_FALSE(fs::exists(*blob));  // dropped, so the next build stores it again
  EXPECT_FALSE(must(cache.copy_blob(digest, folder.path() / "out.o")));
}

TEST(ActionCache, CopiesABlobOutWithTheModeAsked) {
  TemporaryDirectory folder = must(TemporaryDirectory::create("cairn-cache-test-"));
  ActionCache cache = must(ActionCache::open(folder.path() / "cache"));
  write(folder.path() / "image", "image bytes");
  Digest digest = must(cache.put_blob(folder.path() / "image"));

  ASSERT_TRUE(must(cache.copy_blob(digest, folder.path() / "out" / "hello.spt", 0755)));

  EXPECT_EQ(must(read_file(folder.path() / "out" / "hello.spt", 100)), "image bytes");
  EXPECT_EQ(fs::status(folder.path() / "out" / "hello.spt").permissions() & fs::perms::all, fs::perms(0755));
}

// --- The generated glue ---

TEST(Glue, TheDeviceHeaderNamesEveryDeclaredDeviceAndNothingElse) {
  manifest::UnikernelDescription app;
  app.name = "web";
  app.devices.net = {"service0", "admin"};
  app.devices.block = {"storage"};

  std::string header = devices_header(app);

  EXPECT_NE(header.find("static constexpr NetDevice service0{\"service0\"};"), std::string::npos);
  EXPECT_NE(header.find("static constexpr NetDevice admin{\"admin\"};"), std::string::npos);
  EXPECT_NE(header.find("static constexpr BlockDevice storage{\"storage\"};"), std::string::npos);
  EXPECT_NE(header.find("inline constexpr const NetDevice& service0 = DeclaredDevices::service0;"), std::string::npos);
  EXPECT_EQ(header.find("service1"), std::string::npos);
  EXPECT_EQ(devices_header(app), header);  // the same description, the same bytes
}

// --- The sandbox ---

// A usable sandbox, or the reason to skip.
std::optional<Sandbox> sandbox_or_skip(std::string& why) {
  auto sandbox = Sandbox::find();
  if (!sandbox.ok()) {
    why = sandbox.error().message();
    return std::nullopt;
  }
  return *sandbox;
}

ProcessExit run_in(const Sandbox& sandbox, const SandboxSpec& spec, const std::vector<std::string>& command,
                   std::string& output) {
  TemporaryDirectory folder = must(TemporaryDirectory::create("cairn-sandbox-test-"));
  ProcessExit exit = must(run_to_file(sandbox.wrap(spec, command), folder.path() / "output"));
  output = must(read_file(folder.path() / "output", 1 << 20));
  return exit;
}

TEST(Sandbox, SeesOnlyItsMountsAndACleanEnvironment) {
  std::string why;
  auto sandbox = sandbox_or_skip(why);
  if (!sandbox) GTEST_SKIP() << "skipped: " << why;
  TemporaryDirectory folder = must(TemporaryDirectory::create("cairn-sandbox-test-"));
  write(folder.path() / "library" / "a.h", "int a;\n");
  SandboxSpec spec;
  spec.environment = action_environment(0);
  spec.mounts = {{folder.path() / "library", "/cairn/src/library", false}};

  std::string output;
  ProcessExit exit = run_in(
      *sandbox, spec,
      {"/bin/sh", "-c",
       "cat /cairn/src/library/a.h; env | sort; ls /etc/hostname /home " + folder.path().string() + " 2>&1 || true"},
      output);

  EXPECT_EQ(exit.shell_status(), 0) << output;
  EXPECT_NE(output.find("int a;"), std::string::npos);
  EXPECT_NE(output.find("LANG=C.UTF-8\n"), std::string::npos);
  EXPECT_NE(output.find("TZ=UTC\n"), std::string::npos);
  EXPECT_NE(output.find("SOURCE_DATE_EPOCH=0\n"), std::string::npos);
  EXPECT_EQ(output.find("HOME="), std::string::npos) << output;
  EXPECT_NE(output.find("cannot access '/etc/hostname'"), std::string::npos) << output;
  EXPECT_NE(output.find("cannot access '" + folder.path().string() + "'"), std::string::npos) << output;
}

TEST(Sandbox, CannotWriteItsInputsOrReachTheNetwork) {
  std::string why;
  auto sandbox = sandbox_or_skip(why);
  if (!sandbox) GTEST_SKIP() << "skipped: " << why;
  TemporaryDirectory folder = must(TemporaryDirectory::create("cairn-sandbox-test-"));
  write(folder.path() / "library" / "a.h", "int a;\n");
  // A listener on the host's loopback that the sandbox must not reach.
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  socklen_t length = sizeof address;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
  int port = ntohs(address.sin_port);
  SandboxSpec spec;
  spec.environment = action_environment(0);
  spec.mounts = {{folder.path() / "library", "/cairn/src/library", false}};

  std::string output;
  ProcessExit exit = run_in(*sandbox, spec,
                            {"/bin/bash", "-c",
                             fmt::format("echo x > /cairn/src/library/a.h && echo WROTE; "
                                         "exec 3<>/dev/tcp/127.0.0.1/{} && echo CONNECTED; true",
                                         port)},
                            output);
  ::close(listener);

  EXPECT_EQ(exit.shell_status(), 0) << output;
  EXPECT_EQ(output.find("WROTE"), std::string::npos) << output;
  EXPECT_EQ(output.find("CONNECTED"), std::string::npos) << output;
  EXPECT_EQ(must(read_file(folder.path() / "library" / "a.h", 100)), "int a;\n");
}

}  // namespace
}  // namespace cairn::builder
