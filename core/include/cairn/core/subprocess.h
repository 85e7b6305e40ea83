// Running a child program to completion with its output relayed line by line and the signals
// meant for us passed on to it: `cairn run` runs the spt tender this way.
//
// While the child runs:
// - its stdout and stderr are pipes; each complete line (with its '\n'), and a last unfinished
//   one at the end, goes to the matching handler as soon as it arrives;
// - SIGINT and SIGQUIT are ignored here (as system(3) does): a Ctrl-C from the terminal reaches
//   the child, which shares our process group, and we stay to report how it ended;
// - SIGTERM and SIGHUP sent to us are relayed to the child, so that stopping `cairn run` stops
//   what it runs instead of orphaning it (the child's outcome then tells what happened).
// The child starts with the signal mask and dispositions we had before, and our environment.
// The signals are taken through a signalfd: call this from a single-threaded process (as the
// command line is), or block SIGTERM and SIGHUP in every other thread.
#pragma once

#include "cairn/core/result.h"

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn {

// How a child ended, as waitpid(2) reports it.
struct ProcessExit {
  bool signaled = false;  // killed by a signal (`signal`), else exited (`status`)
  int status = 0;
  int signal = 0;

  // What a shell would report: the exit status, or 128 + the signal.
  int shell_status() const { return signaled ? 128 + signal : status; }
};

// "SIGSEGV" (or "signal 70" for a number without a name).
std::string signal_name(int signal);

using LineHandler = std::function<void(std::string_view line)>;

// The first executable `name` in the folders of $PATH (/usr/local/bin:/usr/bin:/bin when it is
// unset or empty), or an empty path. A `name` holding a '/' is returned as it is.
std::filesystem::path find_in_path(std::string_view name);

// Runs `argv` (argv[0] is the program's path; PATH is not searched) until it ends and both its
// output streams close. An error means the child could not be started or watched; a child that
// fails is a ProcessExit, not an error.
Result<ProcessExit> run_process(const std::vector<std::string>& argv, const LineHandler& on_stdout,
                                const LineHandler& on_stderr);

// Runs `argv` (PATH is not searched) with stdin from /dev/null and stdout and stderr both written
// to `output` (created or truncated, mode 0600), until it ends. No signal relay and no shared
// state: safe to call from many threads at once (the build runs its actions this way). `environment`
// replaces ours when given ("NAME=value" strings); `working_directory`, when not empty, is where
// the child starts (ours otherwise).
Result<ProcessExit> run_to_file(const std::vector<std::string>& argv, const std::filesystem::path& output,
                                const std::vector<std::string>* environment = nullptr,
                                const std::filesystem::path& working_directory = {});

}  // namespace cairn
