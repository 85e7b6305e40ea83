// Running a child: its output line by line, how it ended, and the signals passed on to it.
#include "cairn/core/subprocess.h"

#include "cairn/core/file.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace cairn {
namespace {

struct Captured {
  std::vector<std::string> out, err;
  LineHandler on_out() {
    return [this](std::string_view line) { out.emplace_back(line); };
  }
  LineHandler on_err() {
    return [this](std::string_view line) { err.emplace_back(line); };
  }
};

Result<ProcessExit> shell(const std::string& script, Captured& captured) {
  return run_process({"/bin/sh", "-c", script}, captured.on_out(), captured.on_err());
}

TEST(RunProcess, PassesEachStreamLineByLineAndTheUnfinishedLastLine) {
  Captured captured;
  Result<ProcessExit> exit = shell("printf 'one\\ntw'; printf 'o\\nthree'; echo oops >&2; exit 3", captured);
  ASSERT_TRUE(exit.ok()) << exit.error().message();
  EXPECT_FALSE(exit->signaled);
  EXPECT_EQ(exit->status, 3);
  EXPECT_EQ(exit->shell_status(), 3);
  EXPECT_EQ(captured.out, (std::vector<std::string>{"one\n", "two\n", "three"}));
  EXPECT_EQ(captured.err, (std::vector<std::string>{"oops\n"}));
}

TEST(RunProcess, ReportsTheSignalThatKilledTheChild) {
  Captured captured;
  Result<ProcessExit> exit = shell("kill -SEGV $$", captured);
  ASSERT_TRUE(exit.ok()) << exit.error().message();
  EXPECT_TRUE(exit->signaled);
  EXPECT_EQ(exit->signal, SIGSEGV);
  EXPECT_EQ(exit->shell_status(), 128 + SIGSEGV);
  EXPECT_EQ(signal_name(SIGSEGV), "SIGSEGV");
}

TEST(RunProcess, RelaysATerminationSentToUsAndRestoresOurSignalState) {
  // The SIGTERM is sent before the child exists: it stays pending in the blocked set until the
  // relay reads it, and must then reach the child (sleep dies of it) instead of killing us.
  Captured captured;
  sigset_t before;
  pthread_sigmask(SIG_SETMASK, nullptr, &before);
  struct sigaction interrupt_before {};
  sigaction(SIGINT, nullptr, &interrupt_before);
  Result<ProcessExit> exit =
      run_process({"/bin/sh", "-c", "kill -TERM $PPID; exec sleep 30"}, captured.on_out(), captured.on_err());
  ASSERT_TRUE(exit.ok()) << exit.error().message();
  EXPECT_TRUE(exit->signaled);
  EXPECT_EQ(exit->signal, SIGTERM);
  sigset_t after;
  pthread_sigmask(SIG_SETMASK, nullptr, &after);
  EXPECT_EQ(sigismember(&after, SIGTERM), sigismember(&before, SIGTERM));
  struct sigaction interrupt_after {};
  sigaction(SIGINT, nullptr, &interrupt_after);
  EXPECT_EQ(interrupt_after.sa_handler, interrupt_before.sa_handler);
}

TEST(RunProcess, GivesTheChildDefaultInterruptHandlingAndAnUnblockedMask) {
  Captured captured;
  Result<ProcessExit> exit = shell("grep -E '^(SigBlk|SigIgn)' /proc/self/status", captured);
  ASSERT_TRUE(exit.ok()) << exit.error().message();
  ASSERT_EQ(captured.out.size(), 2u);
  EXPECT_EQ(captured.out[0], "SigBlk:\t0000000000000000\n");
  // SIGINT (bit 1) and SIGQUIT (bit 2) are ignored by us while the child runs, not by the child.
  unsigned long long ignored = std::stoull(captured.out[1].substr(8), nullptr, 16);
  EXPECT_EQ(ignored & 0x6, 0u) << captured.out[1];
}

TEST(RunProcess, RefusesAProgramThatCannotStart) {
  Captured captured;
  Result<ProcessExit> exit = run_process({"/nonexistent/program"}, captured.on_out(), captured.on_err());
  ASSERT_FALSE(exit.ok());
  EXPECT_NE(exit.error().message().find("cannot start /nonexistent/program"), std::string::npos)
      << exit.error().message();
}

// The build starts actions without a sandbox in a folder standing in for /cairn.
TEST(RunToFile, StartsTheChildInTheWorkingDirectoryAskedAndWritesTheOutputWhereAsked) {
  auto folder = TemporaryDirectory::create("cairn-subprocess-test-");
  ASSERT_TRUE(folder.ok());
  std::filesystem::create_directory(folder->path() / "work");
  std::vector<std::string> environment{"PATH=/usr/bin:/bin"};

  auto moved = run_to_file({"/bin/sh", "-c", "pwd; echo here > marker"}, folder->path() / "moved.log", &environment,
                           folder->path() / "work");
  auto stayed = run_to_file({"/bin/sh", "-c", "pwd"}, folder->path() / "stayed.log", &environment);

  ASSERT_TRUE(moved.ok() && stayed.ok());
  EXPECT_EQ(moved->shell_status(), 0);
  EXPECT_EQ(*read_file(folder->path() / "moved.log", 4096), (folder->path() / "work").string() + "\n");
  EXPECT_TRUE(std::filesystem::exists(folder->path() / "work" / "marker"));
  EXPECT_EQ(*read_file(folder->path() / "stayed.log", 4096), std::filesystem::current_path().string() + "\n");
}

}  // namespace
}  // namespace cairn
