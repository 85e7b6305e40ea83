// `cairn run IMAGE [--mem MiB] [--net:NAME=TAP] [--block:NAME=FILE] [-- ARGS]`: runs an spt image
// under cairn-spt (the tender built next to `cairn`), passes the guest's console through line by
// line, and says on stderr how the guest ended. The exit status is the guest's, as a shell gives
// it: its exit status, or 128 + the signal that killed it.
#include "command.h"

#include "cairn/core/subprocess.h"
#include "cairn/reproducibility/image_notes.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::cli {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kKilledPrefix = "cairn-spt: killed: forbidden system call ";
constexpr std::string_view kTenderPrefix = "cairn-spt: ";
constexpr int kAbortStatus = 255;  // SOLO5_EXIT_ABORT

// Options cairn-spt takes per device, passed through as they are.
constexpr std::string_view kDeviceOptionPrefixes[] = {"--net:", "--net-mac:", "--block:", "--block-sector-size:"};

struct RunOptions {
  std::string image;
  std::vector<std::string> guest_arguments;
  std::optional<unsigned> memory_mib;
  std::vector<std::string> device_options;
};

// cairn-spt sits next to the cairn executable: build/bin/ in a build tree, bin/ once installed.
Result<fs::path> find_tender() {
  std::error_code error;
  fs::path self = fs::read_symlink("/proc/self/exe", error);
  if (error) return make_error(ErrorCode::io, "cannot locate the cairn executable: {}", error.message());
  fs::path tender = self.parent_path() / "cairn-spt";
  if (::access(tender.c_str(), X_OK) != 0) {
    return make_error(ErrorCode::not_found, "{}: the spt tender is missing (build the cairn-spt target)",
                      tender.string());
  }
  return tender;
}

std::string_view trim_line_end(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  return line;
}

// What the guest said about an abort: the text after "ABORT: " (Solo5's bindings) or "abort: "
// (Cairn's kernel), else the whole line.
std::string abort_message(std::string_view line) {
  line = trim_line_end(line);
  for (std::string_view marker : {"ABORT: ", "abort: "}) {
    std::size_t at = line.find(marker);
    if (at != std::string_view::npos) return std::string(line.substr(at + marker.size()));
  }
  return std::string(line);
}

// What the console and the tender's messages told while the guest ran.
struct RunObservations {
  std::optional<std::string> last_abort_line;  // the console's last line mentioning an abort
  std::optional<std::string> forbidden_call;   // from cairn-spt's report
  bool tender_refused = false;                 // cairn-spt printed an error of its own
};

void write_out(FILE* stream, std::string_view bytes) {
  std::fwrite(bytes.data(), 1, bytes.size(), stream);
  std::fflush(stream);
}

// Says how the guest ended, on stderr (and as JSON on stdout with --json); returns the exit status.
int report_outcome(const Invocation& invocation, const ProcessExit& exit, const RunObservations& observations) {
  nlohmann::json report;
  int exit_status = 0;
  std::string line;
  if (!exit.signaled) {
    exit_status = exit.status;
    if (exit_status == exit_failure && observations.tender_refused) {
      // cairn-spt refused the image or the command line, and has said why already.
      report = {{"outcome", "refused"}, {"status", exit_status}};
    } else if (exit_status == kAbortStatus) {
      std::string message = observations.last_abort_line ? abort_message(*observations.last_abort_line) : "";
      line = message.empty() ? "cairn: aborted (the guest printed no abort message)" : "cairn: aborted: " + message;
      report = {{"outcome", "aborted"}, {"status", exit_status}, {"message", message}};
    } else {
      line = fmt::format("cairn: exited with status {}", exit_status);
      report = {{"outcome", "exited"}, {"status", exit_status}};
    }
  } else {
    int signal = exit.signal;
    exit_status = exit.shell_status();
    if (signal == SIGSYS && observations.forbidden_call) {
      line = "cairn: killed: forbidden system call " + *observations.forbidden_call;
      report = {{"outcome", "killed"},
                {"status", exit_status},
                {"signal", signal_name(signal)},
                {"system_call", *observations.forbidden_call}};
    } else {
      line = "cairn: killed by signal " + signal_name(signal);
      report = {{"outcome", "killed"}, {"status", exit_status}, {"signal", signal_name(signal)}};
    }
  }
  if (!line.empty()) std::fprintf(stderr, "%s\n", line.c_str());
  if (invocation.json) print_json(report);
  return exit_status;
}

Result<void> run_image(Invocation& invocation, const RunOptions& options) {
  fs::path tender = CAIRN_TRY(find_tender());
  std::vector<std::string> argv = {tender.string()};
  // Without --mem, the memory the image asks for (unikernel.json's memory_mib, in its .note.cairn).
  std::int64_t memory_mib = options.memory_mib.value_or(0);  // 0: the tender's default
  if (memory_mib == 0) {
    if (auto notes = reproducibility::read_image_notes(options.image); notes.ok() && notes->build) {
      memory_mib = notes->build->memory_mib.value_or(0);
    }
  }
  if (memory_mib != 0) argv.push_back(fmt::format("--mem={}", memory_mib));
  argv.insert(argv.end(), options.device_options.begin(), options.device_options.end());
  argv.push_back("--");
  argv.push_back(options.image);
  argv.insert(argv.end(), options.guest_arguments.begin(), options.guest_arguments.end());

  RunObservations observations;
  auto on_console_line = [&](std::string_view line) {
    write_out(stdout, line);
    if (line.find("ABORT") != std::string_view::npos || line.find("abort") != std::string_view::npos) {
      observations.last_abort_line = std::string(line);
    }
  };
  auto on_tender_line = [&](std::string_view line) {
    if (line.starts_with(kKilledPrefix)) {
      std::string_view rest = trim_line_end(line.substr(kKilledPrefix.size()));
      observations.forbidden_call = std::string(rest.substr(0, rest.find(' ')));
      return;
    }
    if (line.starts_with(kTenderPrefix)) observations.tender_refused = true;
    write_out(stderr, line);
  };
  ProcessExit exit = CAIRN_TRY(run_process(argv, on_console_line, on_tender_line));
  invocation.exit_status = report_outcome(invocation, exit, observations);
  return {};
}

}  // namespace

void add_run_commands(CLI::App& app, Invocation& invocation) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* run =
      app.add_subcommand("run",
                         "Run an spt image under cairn-spt. Device options are cairn-spt's: --net:NAME=TAP|@FD, "
                         "--net-mac:NAME=MAC, --block:NAME=FILE, --block-sector-size:NAME=N. Arguments after -- go to "
                         "the guest. The exit status is the guest's (128 + signal if it was killed).");
  run->add_option("IMAGE", options->image, "The spt image")->required();
  run->add_option("ARGS", options->guest_arguments, "The guest's command line (after --)");
  run->add_option("--mem", options->memory_mib,
                  "Guest memory in MiB (default: the image's memory_mib, else cairn-spt's 512)")
      ->check(CLI::Range(1U, 1U << 20));
  // cairn-spt's device options have the device name inside the option (--net:NAME=TAP), which
  // CLI11 cannot declare: take them as extras and check their prefixes here.
  run->allow_extras();
  run->fallthrough(false);
  run->callback([&invocation, options, run] {
    options->device_options.clear();
    for (const std::string& extra : run->remaining()) {
      if (extra == "--") continue;
      bool known = false;
      for (std::string_view prefix : kDeviceOptionPrefixes) known = known || extra.starts_with(prefix);
      if (!known) throw CLI::ExtrasError({extra});
      options->device_options.push_back(extra);
    }
    invocation.action = [&invocation, options]() -> Result<void> { return run_image(invocation, *options); };
  });
}

}  // namespace cairn::cli
