// `cairn lock [DIR]`: resolve an app's requirements against a verified manifest into cairn.lock,
// check a lock with --locked, or re-resolve with --update [LIB] and show what changed.
#include "command.h"

#include "cairn/manifest/client.h"
#include "cairn/manifest/library_description.h"
#include "cairn/manifest/lock.h"
#include "cairn/manifest/sources.h"

#include <memory>

namespace cairn::cli {

namespace {

namespace fs = std::filesystem;
using namespace cairn::manifest;

struct LockCommandOptions {
  std::string directory = ".";
  std::string manifest;
  std::string root;
  std::string sources;
  bool locked = false;
  std::vector<std::string> update;
  CLI::Option* update_option = nullptr;
};

void warn(const std::string& text) {
  std::fprintf(stderr, "cairn: warning: %s\n", text.c_str());
}

nlohmann::json changes_json(const std::vector<LockChange>& changes) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& change : changes) {
    list.push_back(
        {{"name", change.name}, {"change", to_string(change.kind)}, {"from", change.from}, {"to", change.to}});
  }
  return list;
}

Result<void> run_lock(const Invocation& invocation, const LockCommandOptions& options) {
  UnikernelDescription app = CAIRN_TRY(read_unikernel_description(options.directory));
  ManifestRequest request{options.manifest, options.root, {}};
  request.verify.lock.on_wait = print_notice;
  auto [repository, verified] = CAIRN_TRY(open_manifest(request));
  fs::path lock_path = fs::path(options.directory) / "cairn.lock";

  if (options.locked) {
    LockFile lock = CAIRN_TRY(read_lock(lock_path));
    std::vector<std::string> warnings = CAIRN_TRY(check_lock(lock, verified, app));
    CAIRN_TRY(verify_sources(repository, verified, lock, options.sources));
    for (const auto& warning : warnings) warn(warning);
    if (invocation.json) {
      print_json({{"lock", lock_path.string()}, {"matches", true}, {"warnings", warnings}});
    } else {
      std::printf("%s matches the manifest (snapshot %lld) and %s\n", lock_path.c_str(),
                  static_cast<long long>(verified.snapshot.version), app.name.c_str());
    }
    return {};
  }

  std::optional<LockFile> previous;
  if (fs::exists(lock_path)) previous = CAIRN_TRY(read_lock(lock_path));
  LockOptions lock_options;
  lock_options.previous = previous ? &*previous : nullptr;
  bool updating = options.update_option != nullptr && options.update_option->count() > 0;
  lock_options.update_all = updating && options.update.empty();
  lock_options.update = options.update;
  LockOutcome outcome = CAIRN_TRY(lock_dependencies(verified, app, lock_options));
  CAIRN_TRY(verify_sources(repository, verified, outcome.lock, options.sources));
  CAIRN_TRY(write_lock(lock_path, outcome.lock));
  std::vector<LockChange> changes = diff_locks(previous.value_or(LockFile{}), outcome.lock);
  for (const auto& warning : outcome.warnings) warn(warning);
  if (invocation.json) {
    print_json({{"lock", lock_path.string()},
                {"snapshot_version", outcome.lock.snapshot_version},
                {"changes", changes_json(changes)},
                {"warnings", outcome.warnings}});
    return {};
  }
  for (const auto& change : changes) std::printf("  %s\n", describe(change).c_str());
  std::printf("wrote %s: %zu libraries from snapshot %lld%s\n", lock_path.c_str(), outcome.lock.libraries.size(),
              static_cast<long long>(outcome.lock.snapshot_version), changes.empty() ? " (no changes)" : "");
  return {};
}

}  // namespace

void add_lock_commands(CLI::App& app, Invocation& invocation) {
  auto options = std::make_shared<LockCommandOptions>();
  CLI::App* lock = app.add_subcommand("lock", "Resolve an app's libraries against a verified manifest into cairn.lock");
  lock->add_option("DIR", options->directory, "App folder holding unikernel.json")->capture_default_str();
  lock->add_option("--manifest", options->manifest, "Manifest repository folder or URL (default: $CAIRN_MANIFEST)");
  lock->add_option("--root", options->root, "Root to pin on first use (obtained out of band)");
  lock->add_option("--sources", options->sources,
                   "Checkout whose library.json folders are checked against their signed trees");
  lock->add_flag("--locked", options->locked, "Refuse unless cairn.lock still matches the manifest and the app");
  options->update_option = lock->add_option("--update", options->update,
                                            "Re-resolve everything, or only the named libraries, and show the changes")
                               ->expected(0, -1);
  on_run(lock, invocation, options, run_lock);
}

}  // namespace cairn::cli
