// `cairn build` (see build.h and builder/README.md).
#include "cairn/builder/build.h"

#include "cairn/builder/action_cache.h"
#include "cairn/builder/action_graph.h"
#include "cairn/builder/assets.h"
#include "cairn/builder/glue.h"
#include "cairn/builder/sandbox.h"
#include "cairn/builder/toolchain.h"
#include "cairn/core/file.h"
#include "cairn/core/subprocess.h"
#include "cairn/core/tree.h"
#include "cairn/core/xdg.h"
#include "cairn/manifest/library_description.h"
#include "cairn/manifest/lock.h"
#include "cairn/manifest/sources.h"
#include "cairn/manifest/store.h"
#include "cairn/reproducibility/gzip.h"
#include "cairn/reproducibility/image_notes.h"
#include "cairn/reproducibility/provenance.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#ifndef CAIRN_VERSION
#define CAIRN_VERSION "unknown"
#endif

namespace cairn::builder {

namespace fs = std::filesystem;
using manifest::LibraryDescription;
using manifest::LockFile;
using manifest::UnikernelDescription;

namespace {

// Code inside an image: no hosted library, no exceptions or RTTI, small, each function in its own
// section so that the link keeps only what the image uses (kernel/CMakeLists.txt's flags).
const std::vector<std::string> compile_flags{"-std=c++20",
                                             "-ffreestanding",
                                             "-fno-exceptions",
                                             "-fno-rtti",
                                             "-fno-threadsafe-statics",
                                             "-fno-asynchronous-unwind-tables",
                                             "-fno-unwind-tables",
                                             "-fstack-protector-strong",
                                             "-mstack-protector-guard=global",
                                             "-fno-pie",
                                             "-fno-plt",
                                             "-Os",
                                             "-g0",
                                             "-ffunction-sections",
                                             "-fdata-sections",
                                             "-Wall",
                                             "-Wextra",
                                             "-Werror=date-time"};
const std::vector<std::string> link_flags{"-nostdlib",
                                          "-static",
                                          "-no-pie",
                                          "-Wl,--gc-sections",
                                          "-Wl,--build-id=none",
                                          "-Wl,-z,noexecstack",
                                          "-Wl,-z,max-page-size=0x1000",
                                          "-Wl,-z,norelro",
                                          "-Wl,--no-warn-rwx-segments",
                                          "-Wl,--sort-section=name"};

// How many input sets one compile record remembers (as ccache's manifests do): enough for a few
// apps that share a library but pin different versions of what it includes.
constexpr std::size_t max_record_entries = 8;
constexpr std::size_t max_depfile_size = 16 << 20;
constexpr std::size_t max_output_shown = 64 << 10;

// A tree copied into the store and checked there.
struct StagedTree {
  fs::path directory;
  Digest tree = Digest::sha256_of("");
  std::map<std::string, Digest> files;  // relative path -> content digest
};

struct Library {
  std::string name;
  std::string version;
  StagedTree staged;
  LibraryDescription description;    // its library.json, as staged
  std::vector<std::string> closure;  // itself and everything it depends on, sorted
};

// Writes `text` to `path` atomically, unless the file already holds exactly that (a build with
// nothing to do then writes nothing, and syncs nothing).
Result<void> write_if_changed(const fs::path& path, std::string_view text) {
  if (auto existing = read_file(path, text.size() + 1); existing.ok() && *existing == text) return {};
  return write_file_atomically(path, text);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Copies `entries` (files and symlinks of the tree rooted at `source`) into <store>/<tree hex>,
// unless a copy is there, and checks what is in the store against `expected`.
Result<StagedTree> stage_tree(const fs::path& store, const fs::path& source, const std::vector<TreeEntry>& entries,
                              const Digest& expected, std::string_view what, DigestMemo& memo) {
  auto staged = [&]() -> Result<StagedTree> {
    StagedTree result;
    result.directory = store / expected.hex();
    result.tree = expected;
    std::error_code error;
    if (!fs::is_directory(result.directory, error)) {
      fs::create_directories(store, error);
      if (error) return make_error(ErrorCode::io, "create {}: {}", store.string(), error.message());
      TemporaryDirectory work = CAIRN_TRY(TemporaryDirectory::create(".stage-", store));
      fs::path copy = work.path() / "tree";
      fs::create_directory(copy, error);
      for (const auto& entry : entries) {
        fs::path destination = copy / entry.path;
        fs::create_directories(destination.parent_path(), error);
        if (entry.mode == EntryMode::symlink) {
          fs::create_symlink(entry.symlink_target, destination, error);
        } else {
          fs::copy_file(source / entry.path, destination, error);
          if (!error) {
            fs::permissions(destination, entry.mode == EntryMode::executable ? fs::perms(0755) : fs::perms(0644),
                            error);
          }
        }
        if (error) return make_error(ErrorCode::io, "copy {}: {}", (source / entry.path).string(), error.message());
      }
      fs::permissions(copy, fs::perms(0755), error);
      fs::rename(copy, result.directory, error);
      if (error && !fs::is_directory(result.directory)) {
        return make_error(ErrorCode::io, "rename into {}: {}", result.directory.string(), error.message());
      }
    }
    // What counts is the copy: a file changed after it was checked is caught here.
    std::vector<TreeEntry> stored = CAIRN_TRY(scan_tree(result.directory, {.compute_digests = false, .exclude = {}}));
    CAIRN_TRY(fill_digests(result.directory, stored, &memo));
    Digest digest = CAIRN_TRY(tree_digest(stored));
    if (digest != expected) {
      return make_error(ErrorCode::refused, "the store copy {} has tree {}, not {} (changed while copied? remove it)",
                        result.directory.string(), digest.to_string(), expected.to_string());
    }
    for (const auto& entry : stored) result.files.emplace(entry.path, *entry.content_digest);
    return result;
  }();
  return std::move(staged).with_context(what);
}

// A library's tree as library.json selects it in `directory`, with its digest.
// Every selected file is read: what is checked against a signed or locked digest is never taken on
// the word of stat.
Result<std::pair<std::vector<TreeEntry>, Digest>> selected_tree(const fs::path& directory) {
  LibraryDescription description = CAIRN_TRY(manifest::read_library_description(directory));
  std::vector<TreeEntry> tree = CAIRN_TRY(manifest::library_tree(directory, description));
  Digest digest = CAIRN_TRY(tree_digest(tree));
  return std::make_pair(std::move(tree), digest);
}

// The app's own tree: everything in its folder but _build/, cairn.lock and hidden names.
Result<std::vector<TreeEntry>> app_tree(const fs::path& app, DigestMemo& memo) {
  ScanOptions options;
  options.compute_digests = false;
  options.exclude = [](std::string_view path, bool) {
    std::string_view name = path.substr(path.rfind('/') + 1);
    return name.starts_with(".") || path == "_build" || path == "cairn.lock";
  };
  std::vector<TreeEntry> entries = CAIRN_TRY(scan_tree(app, options));
  CAIRN_TRY(fill_digests(app, entries, &memo));
  return entries;
}

// The hidden names under the app's `assets` folder: the app's tree leaves them out, so they are
// not baked in (a ".well-known/" folder included); the build says so rather than drop them quietly.
std::vector<std::string> hidden_asset_names(const fs::path& app, const std::string& assets) {
  std::vector<std::string> hidden;
  std::error_code error;
  fs::recursive_directory_iterator it(app / assets, fs::directory_options::none, error), end;
  for (; !error && it != end; it.increment(error)) {
    if (!it->path().filename().string().starts_with(".")) continue;
    hidden.push_back(fs::relative(it->path(), app, error).generic_string());
    if (it->is_directory() && !it->is_symlink()) it.disable_recursion_pending();
  }
  std::sort(hidden.begin(), hidden.end());
  return hidden;
}

// Gzip forms kept in the action cache: a record under the key of (the file's SHA-256, the
// compressor) names the form's blob, or says that it was not smaller. A no-op build of a large
// site then compresses nothing and reads only the forms it copies into the glue.
class CachedGzipForms final : public GzipMemo {
 public:
  explicit CachedGzipForms(const ActionCache& cache)
      : cache_(&cache), compressor_(reproducibility::gzip_library_version() + ", level 9") {}

  Result<std::optional<Known>> find(const Digest& input, const fs::path& destination) override {
    Digest record_key = CAIRN_TRY(key(input));
    std::optional<Json> record = CAIRN_TRY(cache_->get_record(record_key));
    if (!record || !record->is_object() || !(*record)["gzip"].is_string()) return std::optional<Known>();
    std::string gzip = (*record)["gzip"].get<std::string>();
    if (gzip == "none") return std::optional<Known>(Known{});
    auto digest = Digest::parse(gzip);
    if (!digest.ok()) return std::optional<Known>();
    // Checked on the way out; a scratch copy, so no need for copy_blob's fsync per file.
    std::optional<fs::path> blob = CAIRN_TRY(cache_->checked_blob(*digest));
    if (!blob) return std::optional<Known>();
    std::error_code error;
    fs::copy_file(*blob, destination, fs::copy_options::overwrite_existing, error);
    std::uintmax_t size = error ? 0 : fs::file_size(destination, error);
    if (error)
      return make_error(ErrorCode::io, "copy {} to {}: {}", blob->string(), destination.string(), error.message());
    return std::optional<Known>(Known{*digest, size});
  }

  Result<void> remember(const Digest& input, const Known& known, const fs::path& gzip_file) override {
    Json record = {{"gzip", "none"}};
    if (known.gzip) {
      Digest stored = CAIRN_TRY(cache_->put_blob(gzip_file));
      record["gzip"] = stored.to_string();
    }
    Digest record_key = CAIRN_TRY(key(input));
    return cache_->put_record(record_key, record);
  }

 private:
  Result<Digest> key(const Digest& input) const {
    Json key = {{"kind", "gzip"}, {"input", input.to_string()}, {"compressor", compressor_}};
    std::string canonical = CAIRN_TRY(canonical_json(key));
    return Digest::sha256_of(canonical);
  }

  const ActionCache* cache_;
  std::string compressor_;
};

// The lock and the verified folder of each of its libraries, as `cairn lock` makes them.
struct Resolution {
  LockFile lock;
  std::map<std::string, fs::path> folders;  // verified: in the checkout or the store
  bool lock_changed = false;
};

Result<Resolution> resolve(const BuildOptions& options, const UnikernelDescription& app, const fs::path& lock_path) {
  Resolution resolution;
  if (options.locked) {
    resolution.lock = CAIRN_TRY(manifest::read_lock(lock_path));
    if (resolution.lock.description_digest != app.digest) {
      return make_error(ErrorCode::refused,
                        "{} was made for another unikernel.json (digest {}, now {}): run `cairn lock` first",
                        lock_path.string(), resolution.lock.description_digest.to_string(), app.digest.to_string());
    }
    std::map<std::string, fs::path> in_checkout;
    if (!options.sources.empty()) {
      for (const auto& directory : CAIRN_TRY(manifest::find_library_directories(options.sources))) {
        LibraryDescription description = CAIRN_TRY(manifest::read_library_description(directory));
        in_checkout[description.name] = directory;
      }
    }
    fs::path store = CAIRN_TRY(manifest::store_directory());
    for (const auto& [name, locked] : resolution.lock.libraries) {
      if (auto it = in_checkout.find(name); it != in_checkout.end()) {
        resolution.folders.emplace(name, it->second);  // its tree is checked against the lock when staged
      } else if (fs::is_directory(store / locked.tree.hex())) {
        resolution.folders.emplace(name, store / locked.tree.hex());
      } else {
        return make_error(ErrorCode::not_found,
                          "library '{}' {} is neither in --sources nor in the store ({}): build once without "
                          "--locked to fetch it",
                          name, locked.version, store.string());
      }
    }
    return resolution;
  }

  manifest::OpenedManifest opened = CAIRN_TRY(manifest::open_manifest(options.manifest));
  std::optional<LockFile> previous;
  std::error_code error;
  if (fs::exists(lock_path, error)) previous = CAIRN_TRY(manifest::read_lock(lock_path));
  manifest::LockOptions lock_options;
  lock_options.previous = previous ? &*previous : nullptr;
  manifest::LockOutcome outcome = CAIRN_TRY(manifest::lock_dependencies(opened.verified, app, lock_options));
  resolution.folders =
      CAIRN_TRY(manifest::verify_sources(opened.repository, opened.verified, outcome.lock, options.sources));
  for (const auto& [name, locked] : outcome.lock.libraries) {
    if (!resolution.folders.contains(name)) {
      return make_error(ErrorCode::not_found, "library '{}' {}: no archive in its entry and not in --sources", name,
                        locked.version);
    }
  }
  resolution.lock_changed = !previous || manifest::to_json(*previous) != manifest::to_json(outcome.lock);
  resolution.lock = std::move(outcome.lock);
  if (options.on_progress) {
    for (const auto& warning : outcome.warnings) options.on_progress(fmt::format("cairn: warning: {}", warning));
  }
  return resolution;
}

// Makes `closure` of every library: itself and, transitively, what its library.json depends on.
Result<void> compute_closures(std::map<std::string, Library>& libraries) {
  for (auto& [name, library] : libraries) {
    std::set<std::string> seen{name};
    std::vector<std::string> pending{name};
    while (!pending.empty()) {
      std::string next = pending.back();
      pending.pop_back();
      for (const auto& [dependency, constraint] : libraries.at(next).description.depends) {
        if (!libraries.contains(dependency)) {
          return make_error(ErrorCode::refused, "library '{}' depends on '{}', which the lock does not hold", next,
                            dependency);
        }
        if (seen.insert(dependency).second) pending.push_back(dependency);
      }
    }
    library.closure.assign(seen.begin(), seen.end());
  }
  return {};
}

// Where each tree sits inside the sandbox, and where it is on the host.
std::string library_mount(std::string_view name) {
  return fmt::format("/cairn/src/{}", name);
}
constexpr std::string_view app_mount = "/cairn/app";
constexpr std::string_view generated_mount = "/cairn/gen";
constexpr std::string_view output_mount = "/cairn/out";

// The files whose digests go into cache keys, by their path inside the sandbox. Files outside
// the declared trees, the toolchain's headers under /usr, go through a DigestMemo
// ($XDG_CACHE_HOME/cairn/memo/system-files.json): read again only when stat says they changed.
class InputDigests {
 public:
  explicit InputDigests(fs::path memo_file = {}) : system_(std::move(memo_file)) {}

  void add_tree(const std::string& mount, const StagedTree& tree) {
    for (const auto& [path, digest] : tree.files) known_.emplace(mount + "/" + path, digest);
  }
  void add_file(const std::string& path, const Digest& digest) { known_.insert_or_assign(path, digest); }
  void load_memo() { system_.load(); }
  void save_memo() const {
    std::lock_guard lock(mutex_);
    system_.save();
  }

  // The digest of `path` (a sandbox path); refused for a file no action declared.
  Result<Digest> of(const std::string& path) {
    if (auto it = known_.find(path); it != known_.end()) return it->second;
    if (!path.starts_with("/usr/")) {
      return make_error(ErrorCode::refused, "reads {}, which is not a declared input of the build", path);
    }
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return system_error(fmt::format("open {}", path), errno);
    std::lock_guard lock(mutex_);
    return system_.digest(path, fd.get());
  }

 private:
  std::map<std::string, Digest> known_;  // filled before the actions start, then only read
  mutable std::mutex mutex_;
  DigestMemo system_;
};

// Splits a Make-style depfile ("out.o: a.cc b.h \\\n c.h") into the prerequisites.
std::vector<std::string> parse_depfile(std::string_view text) {
  std::vector<std::string> paths;
  std::size_t colon = text.find(": ");
  if (colon == std::string_view::npos) return paths;
  std::string current;
  for (std::size_t i = colon + 2; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\' && i + 1 < text.size() && (text[i + 1] == '\n' || text[i + 1] == '\r')) {
      ++i;
      continue;
    }
    if (c == '\\' && i + 1 < text.size() && (text[i + 1] == ' ' || text[i + 1] == '#')) {
      current.push_back(text[++i]);
      continue;
    }
    if (c == '$' && i + 1 < text.size() && text[i + 1] == '$') {
      current.push_back(text[++i]);
      continue;
    }
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      if (!current.empty()) paths.push_back(std::move(current));
      current.clear();
      continue;
    }
    current.push_back(c);
  }
  if (!current.empty()) paths.push_back(std::move(current));
  return paths;
}

// Everything the action runner needs, shared by every action of one build.
struct BuildContext {
  BuildContext(const BuildOptions& build_options, ActionCache action_cache, const fs::path& memos)
      : options(&build_options), cache(std::move(action_cache)), inputs(memos / "system-files.json") {}

  const BuildOptions* options;
  Toolchain toolchain;
  std::optional<Sandbox> sandbox;
  ActionCache cache;
  std::map<std::string, std::string> environment;
  std::vector<std::pair<std::string, fs::path>> mounts;  // sandbox path -> host path, longest first
  // Without a sandbox, where actions start: a folder standing in for /cairn, whose app/ and gen/
  // lead to the staged app and the glue (assets.S reads its files relative to it).
  fs::path host_working_directory;
  InputDigests inputs;
  fs::path scratch;
  std::once_flag sandbox_checked;
  Result<void> sandbox_usable = {};  // set once, before the first action runs
  std::mutex output_mutex;
  std::string log;  // build.log: every action's output
  std::atomic<unsigned> action_counter{0};

  // A sandbox path as the action sees it: itself in the sandbox, its host path without one.
  std::string host_path(const std::string& path) const {
    if (sandbox) return path;
    for (const auto& [inside, outside] : mounts) {
      if (path == inside || path.starts_with(inside + "/")) return outside.string() + path.substr(inside.size());
    }
    return path;
  }
  std::string sandbox_path(const std::string& path) const {
    if (sandbox) return path;
    for (const auto& [inside, outside] : mounts) {
      std::string host = outside.string();
      if (path == host || path.starts_with(host + "/")) return inside + path.substr(host.size());
    }
    return path;
  }
};

struct ActionSpec {
  std::string label;
  std::vector<std::string> argv;  // with sandbox paths; the output is /cairn/out/<output_name>
  std::vector<Mount> mounts;      // besides /cairn/out
  std::string output_name;
};

// Runs one action: in the sandbox when there is one, else on the host with the paths mapped and
// the prefixes the compiler records mapped back. Returns the output's host path in `out`.
Result<fs::path> run_action(BuildContext& context, const ActionSpec& spec, fs::path& out_folder) {
  out_folder = context.scratch / fmt::format("action-{}", context.action_counter++);
  std::error_code error;
  fs::create_directories(out_folder, error);
  if (error) return make_error(ErrorCode::io, "create {}: {}", out_folder.string(), error.message());
  fs::path log = out_folder.string() + ".log";
  std::vector<std::string> argv;
  if (context.sandbox) {
    std::call_once(context.sandbox_checked, [&] { context.sandbox_usable = context.sandbox->check(); });
    if (!context.sandbox_usable.ok()) return context.sandbox_usable.error();
    SandboxSpec sandbox;
    sandbox.environment = context.environment;
    sandbox.mounts = spec.mounts;
    sandbox.mounts.push_back({out_folder, std::string(output_mount), true});
    argv = context.sandbox->wrap(sandbox, spec.argv);
  } else {
    // Without a sandbox the action sees host paths; the prefix maps keep what it records the same.
    std::vector<std::pair<std::string, std::string>> maps;
    for (const auto& mount : spec.mounts) maps.emplace_back(mount.target, mount.source.string());
    maps.emplace_back(std::string(output_mount), out_folder.string());
    std::sort(maps.begin(), maps.end(), [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
    auto map_argument = [&](const std::string& argument) {
      for (const auto& [inside, outside] : maps) {
        std::size_t at = argument.find(inside);
        if (at == std::string::npos) continue;
        std::size_t end = at + inside.size();
        if (end < argument.size() && argument[end] != '/' && argument[end] != ',') continue;
        return argument.substr(0, at) + outside + argument.substr(end);
      }
      return argument;
    };
    for (const auto& argument : spec.argv) argv.push_back(map_argument(argument));
    bool compiling = std::find(spec.argv.begin(), spec.argv.end(), "-c") != spec.argv.end();
    if (compiling) {
      for (const auto& [inside, outside] : maps)
        argv.insert(argv.begin() + 1, fmt::format("-ffile-prefix-map={}={}", outside, inside));
    }
  }
  std::vector<std::string> environment;
  for (const auto& [name, value] : context.environment) environment.push_back(name + "=" + value);
  ProcessExit exit =
      CAIRN_TRY(run_to_file(argv, log, &environment, context.sandbox ? fs::path() : context.host_working_directory));
  std::string output = CAIRN_TRY(read_file(log, max_output_shown * 16));
  if (output.size() > max_output_shown) output = output.substr(0, max_output_shown) + "\n[output cut]\n";
  {
    std::lock_guard lock(context.output_mutex);
    context.log += fmt::format("$ {}\n{}", spec.label, output);
    if (!output.empty() && context.options->on_output) context.options->on_output(output);
  }
  if (exit.shell_status() != 0) {
    return make_error(ErrorCode::refused, "{} failed ({})", spec.label,
                      exit.signaled ? signal_name(exit.signal) : fmt::format("status {}", exit.status));
  }
  return out_folder / spec.output_name;
}

// The key every action's record is stored under: what it runs, where, with what. The
// SOURCE_DATE_EPOCH is left out: it changes with every snapshot, and it cannot change an output,
// since __DATE__, __TIME__ and __TIMESTAMP__ are errors (-Werror=date-time), the only way g++
// reads it, and the linker does not.
Result<Digest> action_key(const BuildContext& context, std::string_view kind, const ActionSpec& spec, Json inputs) {
  Json environment = context.environment;
  environment.erase("SOURCE_DATE_EPOCH");
  Json key = {{"kind", kind},
              {"argv", spec.argv},
              {"environment", environment},
              {"toolchain", context.toolchain.identity.to_string()},
              {"sandbox", context.sandbox.has_value()},
              {"inputs", std::move(inputs)}};
  std::string canonical = CAIRN_TRY(canonical_json(key));
  return Digest::sha256_of(canonical);
}

// One translation unit: looked up by (command, toolchain, source) and then by the digests of every
// file its last compilation read (from the depfile), as ccache's direct mode does.
struct CompileAction {
  std::string label;
  ActionSpec spec;
  std::string source;  // sandbox path
  std::string object;  // where the link sees the object
  Digest object_digest = Digest::sha256_of("");
};

Result<ActionOutcome> run_compile(BuildContext& context, CompileAction& action) {
  Digest source_digest = CAIRN_TRY(context.inputs.of(action.source));
  Digest key = CAIRN_TRY(action_key(context, "compile", action.spec, {{action.source, source_digest.to_string()}}));
  std::optional<Json> record = CAIRN_TRY(context.cache.get_record(key));
  Json entries =
      record && record->contains("entries") && (*record)["entries"].is_array() ? (*record)["entries"] : Json::array();
  for (const auto& entry : entries) {
    if (!entry.is_object() || !entry.contains("inputs") || !entry["inputs"].is_object()) continue;
    bool same = true;
    for (const auto& [path, recorded] : entry["inputs"].items()) {
      auto current = context.inputs.of(path);
      if (!current.ok() || !recorded.is_string() || current->to_string() != recorded.get<std::string>()) {
        same = false;
        break;
      }
    }
    if (!same) continue;
    auto object = Digest::parse(entry.value("object", ""));
    if (!object.ok()) continue;
    action.object_digest = *object;
    return ActionOutcome::cached;
  }

  fs::path folder;
  fs::path object = CAIRN_TRY(run_action(context, action.spec, folder));
  std::string depfile = CAIRN_TRY(read_file(folder / "deps.d", max_depfile_size).with_context(action.label));
  Json inputs = Json::object();
  for (const auto& path : parse_depfile(depfile)) {
    std::string inside = context.sandbox_path(path);
    Digest digest = CAIRN_TRY(context.inputs.of(inside).with_context(action.label));
    inputs[inside] = digest.to_string();
  }
  action.object_digest = CAIRN_TRY(context.cache.put_blob(object));
  Json updated = Json::array({{{"inputs", inputs}, {"object", action.object_digest.to_string()}}});
  for (const auto& entry : entries) {
    if (updated.size() >= max_record_entries) break;
    if (entry.is_object() && entry.value("inputs", Json()) != inputs) updated.push_back(entry);
  }
  CAIRN_TRY(context.cache.put_record(key, {{"entries", updated}}));
  std::error_code ignored;
  fs::remove_all(folder, ignored);
  return ActionOutcome::ran;
}

struct LinkAction {
  ActionSpec spec;  // mounts filled when it runs
  std::vector<Mount> fixed_mounts;
  std::vector<CompileAction>* compiles = nullptr;
  std::vector<std::pair<std::string, Digest>> other_inputs;  // sandbox path -> digest
  Digest image_digest = Digest::sha256_of("");
};

Result<ActionOutcome> run_link(BuildContext& context, LinkAction& action, const std::string& driver,
                               const std::string& linker_script, const std::string& output_name) {
  // Objects in a sorted, fixed order: the image's layout must not depend on the order of work.
  std::vector<const CompileAction*> objects;
  for (const auto& compile : *action.compiles) objects.push_back(&compile);
  std::sort(objects.begin(), objects.end(), [](auto* a, auto* b) { return a->object < b->object; });
  action.spec.argv = {driver};
  action.spec.argv.insert(action.spec.argv.end(), link_flags.begin(), link_flags.end());
  action.spec.argv.push_back("-Wl,-T," + linker_script);
  Json inputs = Json::object();
  for (const auto* object : objects) {
    action.spec.argv.push_back(object->object);
    inputs[object->object] = object->object_digest.to_string();
  }
  for (const auto& [path, digest] : action.other_inputs) {
    if (path != linker_script) action.spec.argv.push_back(path);
    inputs[path] = digest.to_string();
  }
  action.spec.argv.insert(action.spec.argv.end(), {"-o", std::string(output_mount) + "/" + output_name});
  action.spec.output_name = output_name;
  Digest key = CAIRN_TRY(action_key(context, "link", action.spec, inputs));
  if (auto record = CAIRN_TRY(context.cache.get_record(key))) {
    auto image = Digest::parse(record->value("image", ""));
    if (image.ok()) {
      std::optional<fs::path> blob = CAIRN_TRY(context.cache.checked_blob(*image));
      if (blob) {
        action.image_digest = *image;
        return ActionOutcome::cached;
      }
    }
  }
  // The objects come from the cache, each checked before the linker reads it.
  action.spec.mounts = action.fixed_mounts;
  for (const auto* object : objects) {
    auto blob = CAIRN_TRY(context.cache.checked_blob(object->object_digest));
    if (!blob) {
      return make_error(ErrorCode::io, "{}: the object of {} left the cache (corrupted?); build again",
                        action.spec.label, object->label);
    }
    action.spec.mounts.push_back({*blob, object->object, false});
  }
  fs::path folder;
  fs::path image = CAIRN_TRY(run_action(context, action.spec, folder));
  action.image_digest = CAIRN_TRY(context.cache.put_blob(image));
  CAIRN_TRY(context.cache.put_record(key, {{"image", action.image_digest.to_string()}}));
  std::error_code ignored;
  fs::remove_all(folder, ignored);
  return ActionOutcome::ran;
}

// The sources a library compiles for `target`: its build globs over its tree, sorted.
std::vector<std::string> library_sources(const Library& library, const std::string& target) {
  std::vector<std::string> globs = library.description.build->sources;
  if (auto it = library.description.build->per_target.find(target); it != library.description.build->per_target.end()) {
    globs.insert(globs.end(), it->second.sources.begin(), it->second.sources.end());
  }
  std::vector<std::string> sources;
  for (const auto& [path, digest] : library.staged.files) {
    for (const auto& glob : globs) {
      if (manifest::glob_matches(glob, path)) {
        sources.push_back(path);
        break;
      }
    }
  }
  return sources;
}

std::vector<std::string> include_flags(const std::map<std::string, Library>& libraries,
                                       const std::vector<std::string>& names) {
  std::vector<std::string> flags;
  for (const auto& name : names) {
    for (const auto& folder : libraries.at(name).description.build->include) {
      flags.push_back(fmt::format("-I{}/{}", library_mount(name), folder));
    }
  }
  return flags;
}

}  // namespace

Result<BuildReport> build_unikernel(const BuildOptions& given) {
  auto start = std::chrono::steady_clock::now();
  // Absolute paths from here on: without a sandbox, actions run in a folder of their own (a
  // stand-in for /cairn), where a path relative to our working folder would name nothing.
  BuildOptions options = given;
  for (fs::path* path : {&options.app, &options.sources, &options.out, &options.cache}) {
    if (!path->empty()) *path = fs::absolute(*path).lexically_normal();
  }
  auto note = [&](std::string_view line) {
    if (options.on_progress) options.on_progress(line);
  };
  ::umask(022);  // what the actions create, and what we write, is the same for every user

  // 1. The description.
  fs::path app_folder = options.app.empty() ? fs::path(".") : options.app;
  UnikernelDescription app = CAIRN_TRY(manifest::read_unikernel_description(app_folder));
  if (app.target != "spt") {
    return make_error(ErrorCode::unsupported, "{}: target '{}': cairn build builds spt images for now",
                      (app_folder / "unikernel.json").string(), app.target);
  }
  fs::path out = options.out.empty() ? app_folder / "_build" / app.name : options.out;

  // 2. The lock, and the verified folder of every library in it.
  fs::path lock_path = app_folder / "cairn.lock";
  Resolution resolution = CAIRN_TRY(resolve(options, app, lock_path));
  if (resolution.lock_changed) {
    CAIRN_TRY(manifest::write_lock(lock_path, resolution.lock));
    note(fmt::format("cairn: wrote {}", lock_path.string()));
  }
  const LockFile& lock = resolution.lock;

  // 3. Every tree into the store, checked there. The store's copies and the app's own files are
  // read again only when stat says they changed since the last build (the memo).
  fs::path store = CAIRN_TRY(manifest::store_directory());
  fs::path memos = CAIRN_TRY(cache_directory()) / "memo";
  DigestMemo memo(memos / "files.json");
  memo.load();
  std::map<std::string, Library> libraries;
  for (const auto& [name, folder] : resolution.folders) {
    const auto& locked = lock.libraries.at(name);
    auto [tree, digest] = CAIRN_TRY(selected_tree(folder));
    if (digest != locked.tree) {
      return make_error(ErrorCode::refused, "library '{}' {}: {} has tree {}, the lock pins {}", name, locked.version,
                        folder.string(), digest.to_string(), locked.tree.to_string());
    }
    Library library;
    library.name = name;
    library.version = locked.version;
    library.staged = CAIRN_TRY(stage_tree(store, folder, tree, digest, fmt::format("library '{}'", name), memo));
    library.description = CAIRN_TRY(manifest::read_library_description(library.staged.directory));
    if (library.description.name != name) {
      return make_error(ErrorCode::refused, "library '{}': its library.json names '{}'", name,
                        library.description.name);
    }
    if (!library.description.build) {
      return make_error(ErrorCode::unsupported, "library '{}' {}: its library.json has no \"build\" section", name,
                        locked.version);
    }
    libraries.emplace(name, std::move(library));
  }
  CAIRN_TRY(compute_closures(libraries));
  std::vector<TreeEntry> app_entries = CAIRN_TRY(app_tree(app_folder, memo));
  Digest app_digest = CAIRN_TRY(tree_digest(app_entries));
  StagedTree app_staged = CAIRN_TRY(stage_tree(store, app_folder, app_entries, app_digest, "the app", memo));
  for (const auto& source : app.main) {
    if (!app_staged.files.contains(source)) {
      return make_error(ErrorCode::not_found, "{}: \"main\" names {}, which is not in the app folder",
                        (app_folder / "unikernel.json").string(), source);
    }
  }

  // Exactly one library lays out images for the target.
  std::string linker_script;
  Digest linker_script_digest = Digest::sha256_of("");
  for (const auto& [name, library] : libraries) {
    auto it = library.description.build->per_target.find(app.target);
    if (it == library.description.build->per_target.end() || it->second.linker_script.empty()) continue;
    if (!linker_script.empty()) {
      return make_error(ErrorCode::refused, "two libraries provide the {} linker script: {} and {}", app.target,
                        linker_script, it->second.linker_script);
    }
    if (!library.staged.files.contains(it->second.linker_script)) {
      return make_error(ErrorCode::not_found, "library '{}': linker script {} is not in its tree", name,
                        it->second.linker_script);
    }
    linker_script = fmt::format("{}/{}", library_mount(name), it->second.linker_script);
    linker_script_digest = library.staged.files.at(it->second.linker_script);
  }
  if (linker_script.empty()) {
    return make_error(ErrorCode::not_found, "no library in the lock provides a linker script for {} (the kernel does)",
                      app.target);
  }

  // 4. The toolchain, the sandbox, the cache, and the generated glue.
  ActionCache cache = CAIRN_TRY(ActionCache::open(options.cache));
  BuildContext context(options, std::move(cache), memos);
  // The time of the manifest snapshot the lock was resolved against (0 for older locks).
  context.environment = action_environment(lock.snapshot_created.value_or(0));
  // Memos of what is slow to find out again (the toolchain's digests, the /usr headers'), kept
  // beside the action cache: emptying that does not make the toolchain unknown.
  context.toolchain = CAIRN_TRY(find_toolchain(options.compiler, memos / "toolchain.json"));
  context.inputs.load_memo();
  if (options.sandbox) context.sandbox = CAIRN_TRY(Sandbox::locate());
  TemporaryDirectory scratch = CAIRN_TRY(TemporaryDirectory::create("cairn-build-"));
  context.scratch = scratch.path();
  fs::path generated = scratch.path() / "gen";
  Digest dependencies = CAIRN_TRY(manifest::dependency_list_digest(lock));
  GeneratedGlue glue = CAIRN_TRY(write_glue(generated, app, lock, dependencies));
  // The static assets, from the staged app tree (what the provenance's app digest covers).
  std::optional<GeneratedAssets> assets;
  if (!app.assets.empty()) {
    for (const auto& name : hidden_asset_names(app_folder, app.assets)) {
      note(
          fmt::format("cairn: note: {} is a hidden name: not baked in (the app's tree leaves hidden names out)", name));
    }
    std::map<std::string, Digest> digests;  // the files under the folder, by their path in it
    std::string prefix = app.assets + "/";
    for (auto it = app_staged.files.lower_bound(prefix); it != app_staged.files.end() && it->first.starts_with(prefix);
         ++it) {
      digests.emplace(it->first.substr(prefix.size()), it->second);
    }
    CachedGzipForms forms(context.cache);
    assets = CAIRN_TRY(write_assets(generated, app_staged.directory / app.assets, app.assets, {},
                                    {.digests = &digests, .memo = &forms}));
    for (const auto& file : assets->files) {
      auto staged = app_staged.files.find(app.assets + file.path);
      if (staged == app_staged.files.end() || staged->second != file.digest) {
        return make_error(ErrorCode::refused, "{}{}: not the file the app's tree was hashed with (changed in {}?)",
                          app.assets, file.path, app_staged.directory.string());
      }
    }
    for (const auto& [path, digest] : assets->written) glue.files.insert_or_assign(path, digest);
  }
  // Without a sandbox, actions start in a stand-in for /cairn (see BuildContext).
  if (!options.sandbox) {
    context.host_working_directory = scratch.path() / "root";
    std::error_code error;
    fs::create_directories(context.host_working_directory, error);
    if (!error) fs::create_directory_symlink(app_staged.directory, context.host_working_directory / "app", error);
    if (!error) fs::create_directory_symlink(generated, context.host_working_directory / "gen", error);
    if (error) {
      return make_error(ErrorCode::io, "create {}: {}", context.host_working_directory.string(), error.message());
    }
  }

  for (const auto& [name, library] : libraries) {
    context.inputs.add_tree(library_mount(name), library.staged);
    context.mounts.emplace_back(library_mount(name), library.staged.directory);
  }
  context.inputs.add_tree(std::string(app_mount), app_staged);
  context.mounts.emplace_back(std::string(app_mount), app_staged.directory);
  for (const auto& [path, digest] : glue.files)
    context.inputs.add_file(std::string(generated_mount) + "/" + path, digest);
  context.mounts.emplace_back(std::string(generated_mount), generated);
  std::sort(context.mounts.begin(), context.mounts.end(),
            [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });

  // 5. The actions: a compile per translation unit, then the link.
  std::string driver = context.toolchain.driver.string();
  std::vector<CompileAction> compiles;
  auto add_compile = [&](const std::string& label, const std::string& source, const std::string& object,
                         std::vector<std::string> includes, std::vector<Mount> mounts) {
    CompileAction action;
    action.label = label;
    action.source = source;
    action.object = object;
    action.spec.label = label;
    action.spec.argv = {driver};
    action.spec.argv.insert(action.spec.argv.end(), compile_flags.begin(), compile_flags.end());
    action.spec.argv.push_back("-frandom-seed=" + source);
    action.spec.argv.insert(action.spec.argv.end(), includes.begin(), includes.end());
    action.spec.argv.insert(action.spec.argv.end(), {"-MD", "-MF", std::string(output_mount) + "/deps.d", "-c", source,
                                                     "-o", std::string(output_mount) + "/object.o"});
    action.spec.mounts = std::move(mounts);
    action.spec.output_name = "object.o";
    compiles.push_back(std::move(action));
  };
  for (const auto& [name, library] : libraries) {
    std::vector<Mount> mounts;
    for (const auto& member : library.closure) {
      mounts.push_back({libraries.at(member).staged.directory, library_mount(member), false});
    }
    for (const auto& source : library_sources(library, app.target)) {
      add_compile(fmt::format("compile {}/{}", name, source), fmt::format("{}/{}", library_mount(name), source),
                  fmt::format("/cairn/obj/lib/{}/{}.o", name, source), include_flags(libraries, library.closure),
                  mounts);
    }
  }
  {
    std::vector<std::string> everything;
    std::vector<Mount> mounts{{app_staged.directory, std::string(app_mount), false},
                              {generated, std::string(generated_mount), false}};
    for (const auto& [name, library] : libraries) {
      everything.push_back(name);
      mounts.push_back({library.staged.directory, library_mount(name), false});
    }
    std::vector<std::string> includes{fmt::format("-I{}/include", generated_mount)};
    for (auto& flag : include_flags(libraries, everything)) includes.push_back(std::move(flag));
    for (const auto& source : app.main) {
      add_compile(fmt::format("compile {}/{}", app.name, source), fmt::format("{}/{}", app_mount, source),
                  fmt::format("/cairn/obj/app/{}.o", source), includes, mounts);
    }
    // The generated units: objects under /cairn/obj/gen, apart from the app's own names.
    if (assets) {
      for (std::string_view source : {assets_assembly_path, assets_table_path}) {
        add_compile(fmt::format("compile {}/{} (generated)", app.name, source),
                    fmt::format("{}/{}", generated_mount, source), fmt::format("/cairn/obj/gen/{}.o", source), includes,
                    mounts);
      }
    }
  }

  std::string image_name = app.name + ".spt";
  LinkAction link;
  link.spec.label = fmt::format("link {}", image_name);
  link.compiles = &compiles;
  std::string script_library = linker_script.substr(std::string("/cairn/src/").size());
  script_library = script_library.substr(0, script_library.find('/'));
  link.fixed_mounts = {{libraries.at(script_library).staged.directory, library_mount(script_library), false},
                       {generated, std::string(generated_mount), false}};
  link.other_inputs = {{linker_script, linker_script_digest},
                       {std::string(generated_mount) + "/" + glue.notes_object, glue.files.at(glue.notes_object)}};

  // Longest first, so that the last unit to finish is a short one: the source's size stands in
  // for its compile time (on udp-echo, netstack's interface.cc otherwise ends alone on one core).
  {
    std::map<std::string, std::uintmax_t> sizes;
    for (const auto& compile : compiles) {
      std::uintmax_t size = 0;
      for (const auto& [inside, outside] : context.mounts) {
        if (compile.source.starts_with(inside + "/")) {
          std::error_code error;
          size = fs::file_size(outside / compile.source.substr(inside.size() + 1), error);
          if (error) size = 0;
          break;
        }
      }
      sizes[compile.source] = size;
    }
    std::stable_sort(compiles.begin(), compiles.end(),
                     [&](const CompileAction& a, const CompileAction& b) { return sizes[a.source] > sizes[b.source]; });
  }
  std::vector<Action> actions;
  for (auto& compile : compiles) {
    actions.push_back({compile.label, {}, [&context, &compile] { return run_compile(context, compile); }});
  }
  std::vector<std::size_t> all_compiles(compiles.size());
  for (std::size_t i = 0; i < compiles.size(); ++i) all_compiles[i] = i;
  actions.push_back(
      {link.spec.label, all_compiles, [&] { return run_link(context, link, driver, linker_script, image_name); }});

  GraphOptions graph;
  graph.jobs = options.jobs != 0 ? options.jobs : std::max(1u, std::thread::hardware_concurrency());
  graph.keep_going = options.keep_going;
  graph.on_finished = [&](const Action& action, const Result<ActionOutcome>& outcome, std::size_t finished,
                          std::size_t total) {
    if (outcome.ok() && *outcome == ActionOutcome::ran) note(fmt::format("[{}/{}] {}", finished, total, action.label));
    if (!outcome.ok()) note(fmt::format("cairn: error: {}", outcome.error().message()));
  };
  GraphReport report = run_action_graph(actions, graph);
  context.inputs.save_memo();
  memo.save();
  if (report.failed > 0) {
    return make_error(ErrorCode::refused, "{} of {} actions failed{}: first, {}", report.failed, actions.size(),
                      report.not_run > 0 ? fmt::format(" ({} not run)", report.not_run) : std::string(),
                      report.errors.front().message());
  }

  // 6. The outputs.
  std::error_code error;
  fs::create_directories(out, error);
  if (error) return make_error(ErrorCode::io, "create {}: {}", out.string(), error.message());
  BuildReport result;
  result.image = out / image_name;
  result.image_digest = link.image_digest;
  // An image already there with the same digest stays untouched.
  auto existing = digest_file(result.image);
  if (!existing.ok() || *existing != link.image_digest) {
    bool copied = CAIRN_TRY(context.cache.copy_blob(link.image_digest, result.image, 0755));
    if (!copied) return make_error(ErrorCode::io, "the image left the cache before it was copied out; build again");
  }

  std::string lock_text = CAIRN_TRY(canonical_json(manifest::to_json(lock))) + "\n";
  CAIRN_TRY(write_if_changed(out / "cairn.lock", lock_text));

  reproducibility::Provenance provenance;
  provenance.subject_name = image_name;
  provenance.subject_digest = link.image_digest;
  provenance.builder_id = std::string(reproducibility::cairn_builder_id);
  provenance.builder_version = {{"cairn", CAIRN_VERSION}};
  std::string description_text = CAIRN_TRY(read_file(app_folder / "unikernel.json", 1 << 20));
  Json description_json = CAIRN_TRY(parse_json(description_text));
  // Whether the lock was made now or read (--locked) does not matter: the lock is the input.
  provenance.external_parameters = {{"unikernel", description_json}, {"sandbox", options.sandbox}};
  provenance.internal_parameters = {{"compile_flags", compile_flags},
                                    {"link_flags", link_flags},
                                    {"environment", context.environment},
                                    {"dependency_list", dependencies.to_string()}};
  if (assets) {
    // The gzip forms depend on zlib as well as on the files (reproducibility/gzip.h).
    provenance.internal_parameters["assets"] = {{"folder", app.assets},
                                                {"files", assets->files.size()},
                                                {"bytes", assets->total_size},
                                                {"gzip_bytes", assets->total_gzip_size},
                                                {"gzip", reproducibility::gzip_library_version() + ", level 9"}};
  }
  for (const auto& [name, library] : libraries) {
    const auto& locked = lock.libraries.at(name);
    reproducibility::ResourceDescriptor descriptor;
    descriptor.name = name;
    descriptor.uri = fmt::format("cairn-library:{}@{}", name, locked.version);
    descriptor.digest = locked.tree;
    descriptor.annotations = {
        {"version", locked.version}, {"entry", locked.entry.to_string()}, {"signers", locked.signers}};
    provenance.resolved_dependencies.push_back(std::move(descriptor));
  }
  {
    reproducibility::ResourceDescriptor descriptor;
    descriptor.name = "manifest";
    descriptor.uri = fmt::format("cairn-manifest:{}", lock.repository);
    if (auto identity = Digest::parse(lock.repository); identity.ok()) descriptor.digest = *identity;
    descriptor.annotations = {{"snapshot_version", lock.snapshot_version}, {"development", lock.development}};
    provenance.resolved_dependencies.push_back(std::move(descriptor));
  }
  {
    reproducibility::ResourceDescriptor descriptor;
    descriptor.name = "app";
    descriptor.digest = app_digest;
    descriptor.annotations = {{"kind", "cairn-tree-v1"}};
    provenance.resolved_dependencies.push_back(std::move(descriptor));
  }
  for (const auto& program : context.toolchain.programs) {
    reproducibility::ResourceDescriptor descriptor;
    descriptor.name = program.role;
    descriptor.uri = "file://" + program.path.string();
    descriptor.digest = program.digest;
    descriptor.annotations = {{"toolchain", true}};
    provenance.resolved_dependencies.push_back(std::move(descriptor));
  }
  for (const auto& [package, version] : context.toolchain.packages) {
    reproducibility::ResourceDescriptor descriptor;
    descriptor.name = package;
    descriptor.uri = fmt::format("pkg:deb/debian/{}@{}", package, version);
    descriptor.annotations = {{"toolchain", true}};
    provenance.resolved_dependencies.push_back(std::move(descriptor));
  }
  reproducibility::ResourceDescriptor lock_descriptor;
  lock_descriptor.name = "cairn.lock";
  lock_descriptor.digest = Digest::sha256_of(lock_text);
  lock_descriptor.media_type = "application/json";
  lock_descriptor.content = lock_text;
  provenance.byproducts.push_back(std::move(lock_descriptor));
  if (assets) {
    // assets.S holds the SHA-256 of every file and gzip form it includes; assets.cc, the table.
    for (std::string_view path : {assets_assembly_path, assets_table_path}) {
      reproducibility::ResourceDescriptor descriptor;
      descriptor.name = std::string(path);
      descriptor.digest = assets->written.at(std::string(path));
      descriptor.annotations = {{"generated", true}};
      provenance.byproducts.push_back(std::move(descriptor));
    }
  }
  result.provenance = out / "provenance.json";
  std::string statement = CAIRN_TRY(canonical_json(reproducibility::provenance_statement(provenance)));
  CAIRN_TRY(write_if_changed(result.provenance, statement + "\n"));

  result.actions = actions.size();
  result.ran = report.ran;
  result.cached = report.cached;
  result.seconds = seconds_since(start);
  context.log += fmt::format("{} actions: {} ran, {} from the cache; image {} {}\n", result.actions, result.ran,
                             result.cached, image_name, result.image_digest.to_string());
  CAIRN_TRY(write_if_changed(out / "build.log", context.log));
  return result;
}

}  // namespace cairn::builder
