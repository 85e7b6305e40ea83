// library.json and unikernel.json, source globs, and the in-repo tree check.
#include "cairn/manifest/library_description.h"

#include "cairn/core/file.h"
#include "cairn/core/json_reader.h"
#include "cairn/manifest/semver.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <set>

namespace cairn::manifest {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t max_description_size = 1 << 20;

// An optional object of library name -> constraint, each constraint checked.
Result<std::map<std::string, std::string>> constraint_map(const JsonReader& json, std::string_view key) {
  std::map<std::string, std::string> result;
  for (const auto& [name, value] : CAIRN_TRY(json.members_of(key))) {
    std::string text = CAIRN_TRY(value.as_string());
    CAIRN_TRY(Constraint::parse(text).with_context(value.where()));
    result.emplace(name, std::move(text));
  }
  return result;
}

// The classic wildcard algorithm over two sequences: a pattern element for which `is_any_run` holds
// matches any run of zero or more subject elements, and any other matches one subject element
// when `matches` says so. On a mismatch only the latest run wildcard takes one more element, since
// an earlier one could only repeat what the latest tries: time O(pattern × subject), however many
// wildcards the pattern holds.
template <typename Pattern, typename Subject, typename IsAnyRun, typename Matches>
bool wildcard_match(const Pattern& pattern, const Subject& subject, IsAnyRun is_any_run, Matches matches) {
  constexpr std::size_t none = std::numeric_limits<std::size_t>::max();
  std::size_t p = 0, s = 0, star = none, resume = 0;
  while (s < subject.size()) {
    if (p < pattern.size() && is_any_run(pattern[p])) {
      star = p++;
      resume = s;
    } else if (p < pattern.size() && matches(pattern[p], subject[s])) {
      ++p;
      ++s;
    } else if (star != none) {
      p = star + 1;
      s = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && is_any_run(pattern[p])) ++p;
  return p == pattern.size();
}

// One path component against one glob component: `*` any run of characters, `?` one character.
bool component_matches(std::string_view glob, std::string_view name) {
  return wildcard_match(
      glob, name, [](char c) { return c == '*'; }, [](char g, char n) { return g == '?' || g == n; });
}

std::vector<std::string_view> components(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

// A path's components against a glob's: a whole "**" component matches any run of components.
bool match_components(const std::vector<std::string_view>& glob, const std::vector<std::string_view>& path) {
  return wildcard_match(
      glob, path, [](std::string_view component) { return component == "**"; }, component_matches);
}

// A path inside its folder (check_relative_path), or an error naming the field.
Result<std::string> contained_path(const JsonReader& value) {
  std::string path = CAIRN_TRY(value.as_string());
  if (auto reason = check_relative_path(path)) {
    return value.error(fmt::format("'{}' must be a path inside the folder ({})", path, *reason));
  }
  return path;
}

Result<std::vector<std::string>> contained_paths_or_empty(const JsonReader& json, std::string_view key) {
  std::vector<std::string> paths;
  std::vector<JsonReader> elements = CAIRN_TRY(json.elements_of(key));
  for (const auto& element : elements) {
    std::string path = CAIRN_TRY(contained_path(element));
    paths.push_back(std::move(path));
  }
  return paths;
}

bool is_known_target(std::string_view target) {
  return std::find(std::begin(known_targets), std::end(known_targets), target) != std::end(known_targets);
}

Result<LibraryBuild> read_library_build(const JsonReader& build) {
  CAIRN_TRY(build.allow_only({"include", "sources", "per_target"}));
  LibraryBuild result;
  result.include = CAIRN_TRY(contained_paths_or_empty(build, "include"));
  result.sources = CAIRN_TRY(contained_paths_or_empty(build, "sources"));
  for (const auto& [target, part] : CAIRN_TRY(build.members_of("per_target"))) {
    if (!is_known_target(target)) return part.error("is not a target Cairn knows (spt, hvt, virtio)");
    CAIRN_TRY(part.allow_only({"sources", "linker_script"}));
    LibraryTargetBuild target_build;
    target_build.sources = CAIRN_TRY(contained_paths_or_empty(part, "sources"));
    if (auto script = CAIRN_TRY(part.find("linker_script")))
      target_build.linker_script = CAIRN_TRY(contained_path(*script));
    result.per_target.emplace(target, std::move(target_build));
  }
  return result;
}

// A device name as Solo5's manifest holds it: 1..67 ASCII letters and digits.
Result<std::vector<std::string>> device_names(const JsonReader& devices, std::string_view key,
                                              std::set<std::string>& seen) {
  std::vector<std::string> names;
  for (const auto& element : CAIRN_TRY(devices.elements_of(key))) {
    std::string name = CAIRN_TRY(element.as_string());
    bool alphanumeric = !name.empty() && name.size() <= 67 &&
                        std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isalnum(c) != 0; });
    if (!alphanumeric) return element.error(fmt::format("'{}' is not a device name (1..67 letters and digits)", name));
    if (!seen.insert(name).second) return element.error(fmt::format("device '{}' is declared twice", name));
    names.push_back(std::move(name));
  }
  return names;
}

// The "assets" folder: a path inside the app folder that the app's tree holds (so not hidden, not
// _build), naming a folder there.
Result<std::string> assets_folder(const JsonReader& value, const fs::path& app_folder) {
  std::string path = CAIRN_TRY(value.as_string());
  if (path.empty()) return value.error("must name a folder of the app (e.g. \"site\"), not be empty");
  if (auto reason = check_relative_path(path)) {
    return value.error(fmt::format("'{}' must be a folder inside the app folder ({})", path, *reason));
  }
  for (std::string_view component : components(path)) {
    if (component.starts_with(".")) {
      return value.error(fmt::format("'{}' has a hidden name, which the app's tree leaves out", path));
    }
  }
  if (path == "_build" || path.starts_with("_build/")) {
    return value.error(fmt::format("'{}' is inside _build/, which the app's tree leaves out", path));
  }
  // Each component in turn: the app's tree records symlinks without following them, so a folder
  // reached through one would bake in nothing.
  fs::path folder = app_folder;
  for (std::string_view component : components(path)) {
    folder /= component;
    std::error_code error;
    fs::file_status status = fs::symlink_status(folder, error);
    if (error || !fs::exists(status)) {
      return make_error(ErrorCode::not_found, "{}: '{}' is not in the app folder {} (create it, or drop \"assets\")",
                        value.where(), path, app_folder.string());
    }
    if (fs::is_symlink(status)) {
      return make_error(ErrorCode::refused, "{}: '{}': {} is a symlink; the assets must be in a real folder of the app",
                        value.where(), path, folder.string());
    }
    if (!fs::is_directory(status)) {
      return make_error(ErrorCode::refused, "{}: '{}': {} is a file, not a folder", value.where(), path,
                        folder.string());
    }
  }
  return path;
}

}  // namespace

bool glob_matches(std::string_view glob, std::string_view path) {
  return match_components(components(glob), components(path));
}

Result<LibraryDescription> read_library_description(const fs::path& library_directory) {
  fs::path file = library_directory / "library.json";
  auto parsed = [&]() -> Result<LibraryDescription> {
    std::string text = CAIRN_TRY(read_file(file, max_description_size));
    Json json = CAIRN_TRY(parse_json(text));
    JsonReader document(json);
    CAIRN_TRY(
        document.allow_only({"name", "version", "license", "description", "depends", "sources", "targets", "build"}));
    LibraryDescription description;
    description.name = CAIRN_TRY(document.string("name"));
    description.version = CAIRN_TRY(document.string("version"));
    CAIRN_TRY(Version::parse(description.version).with_context("\"version\""));
    description.license = CAIRN_TRY(document.string("license"));
    description.description = CAIRN_TRY(document.string_or("description", ""));
    description.depends = CAIRN_TRY(constraint_map(document, "depends"));
    description.sources = CAIRN_TRY(document.strings_or_empty("sources"));
    description.targets = CAIRN_TRY(document.strings_or_empty("targets"));
    if (auto build = CAIRN_TRY(document.find("build"))) description.build = CAIRN_TRY(read_library_build(*build));
    if (description.name.empty() || description.name.find('/') != std::string::npos || description.name[0] == '.') {
      return make_error(ErrorCode::malformed, "\"name\": '{}' is not a library name", description.name);
    }
    return description;
  }();
  return std::move(parsed).with_context(file.string());
}

Result<UnikernelDescription> read_unikernel_description(const fs::path& path) {
  fs::path file = fs::is_directory(path) ? path / "unikernel.json" : path;
  auto parsed = [&]() -> Result<UnikernelDescription> {
    std::string text = CAIRN_TRY(read_file(file, max_description_size));
    Json json = CAIRN_TRY(parse_json(text));
    JsonReader document(json);
    CAIRN_TRY(
        document.allow_only({"name", "version", "target", "main", "requires", "devices", "memory_mib", "assets"}));
    UnikernelDescription description;
    description.name = CAIRN_TRY(document.string("name"));
    if (description.name.empty() ||
        !std::all_of(description.name.begin(), description.name.end(),
                     [](unsigned char c) { return std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.'; }) ||
        description.name.front() == '.') {
      return make_error(ErrorCode::malformed, "\"name\": '{}' is not an image name (letters, digits, '-', '_', '.')",
                        description.name);
    }
    description.version = CAIRN_TRY(document.string("version"));
    CAIRN_TRY(Version::parse(description.version).with_context("\"version\""));
    description.target = CAIRN_TRY(document.string("target"));
    if (!is_known_target(description.target)) {
      return make_error(ErrorCode::malformed, "\"target\": '{}' is not a target Cairn knows (spt, hvt, virtio)",
                        description.target);
    }
    JsonReader main = CAIRN_TRY(document.array("main"));
    std::vector<JsonReader> sources = CAIRN_TRY(main.elements());
    for (const auto& element : sources) {
      std::string source = CAIRN_TRY(contained_path(element));
      description.main.push_back(std::move(source));
    }
    if (description.main.empty()) return main.error("must name at least one source");
    description.requires_ = CAIRN_TRY(constraint_map(document, "requires"));
    if (auto devices = CAIRN_TRY(document.find("devices"))) {
      CAIRN_TRY(devices->allow_only({"net", "block"}));
      std::set<std::string> seen;
      description.devices.net = CAIRN_TRY(device_names(*devices, "net", seen));
      description.devices.block = CAIRN_TRY(device_names(*devices, "block", seen));
      if (seen.size() > 63) return devices->error("declares more than 63 devices");
    }
    if (auto memory = CAIRN_TRY(document.find("memory_mib"))) {
      std::int64_t mib = CAIRN_TRY(memory->as_integer());
      if (mib < 1 || mib > max_memory_mib) return memory->error(fmt::format("must be 1..{}", max_memory_mib));
      description.memory_mib = mib;
    }
    if (auto assets = CAIRN_TRY(document.find("assets"))) {
      description.assets = CAIRN_TRY(assets_folder(*assets, file.parent_path()));
    }
    std::string canonical = CAIRN_TRY(canonical_json(json));
    description.digest = Digest::sha256_of(canonical);
    return description;
  }();
  return std::move(parsed).with_context(file.string());
}

Result<std::vector<TreeEntry>> library_tree(const fs::path& library_directory, const LibraryDescription& description) {
  // Only the selected files are read: a library folder may hold much else (kernel/ holds the
  // tenders, and kernel/net another library).
  std::vector<TreeEntry> all = CAIRN_TRY(scan_tree(library_directory, {.compute_digests = false, .exclude = {}}));
  std::vector<TreeEntry> selected;
  for (auto& entry : all) {
    bool wanted = entry.path == "library.json";
    for (const auto& glob : description.sources) {
      if (wanted) break;
      wanted = glob_matches(glob, entry.path);
    }
    if (wanted) selected.push_back(std::move(entry));
  }
  CAIRN_TRY(fill_digests(library_directory, selected));
  return selected;
}

Result<LibraryEntry> make_library_entry(const fs::path& library_directory, std::int64_t expires) {
  LibraryDescription description = CAIRN_TRY(read_library_description(library_directory));
  std::vector<TreeEntry> tree = CAIRN_TRY(library_tree(library_directory, description));
  LibraryEntry entry;
  entry.expires = expires;
  entry.name = description.name;
  entry.library_version = description.version;
  entry.license = description.license;
  entry.description = description.description;
  entry.tree = CAIRN_TRY(tree_digest(tree));
  for (const auto& file : tree) entry.files.emplace(file.path, *file.content_digest);
  entry.depends = description.depends;
  entry.targets = description.targets;
  return entry;
}

Result<void> verify_library_tree(const fs::path& library_directory, const LibraryEntry& entry) {
  auto mismatch = [&](std::string_view file, std::string_view why) {
    return make_error(ErrorCode::refused, "library '{}' {}: {} {} (in {})", entry.name, entry.library_version, file,
                      why, library_directory.string());
  };
  LibraryDescription description = CAIRN_TRY(read_library_description(library_directory));
  std::vector<TreeEntry> tree = CAIRN_TRY(library_tree(library_directory, description));
  Digest digest = CAIRN_TRY(tree_digest(tree));
  if (digest == entry.tree) return {};
  std::set<std::string> seen;
  for (const auto& file : tree) {
    seen.insert(file.path);
    auto it = entry.files.find(file.path);
    if (it == entry.files.end()) return mismatch(file.path, "is not in the signed entry");
    if (it->second != *file.content_digest) {
      return mismatch(file.path, fmt::format("differs from the signed entry (content {}, signed {})",
                                             file.content_digest->to_string(), it->second.to_string()));
    }
  }
  for (const auto& [path, signed_digest] : entry.files) {
    if (!seen.contains(path)) return mismatch(path, "is missing");
  }
  return mismatch("tree", fmt::format("digest {} differs from the signed {} (a file's mode changed?)",
                                      digest.to_string(), entry.tree.to_string()));
}

Result<std::vector<fs::path>> find_library_directories(const fs::path& checkout) {
  std::vector<fs::path> found;
  std::error_code error;
  fs::recursive_directory_iterator it(checkout, fs::directory_options::none, error), end;
  if (error) return make_error(ErrorCode::io, "list {}: {}", checkout.string(), error.message());
  for (; it != end; it.increment(error)) {
    if (error) return make_error(ErrorCode::io, "list {}: {}", checkout.string(), error.message());
    std::string name = it->path().filename().string();
    if (it->is_directory() && !it->is_symlink()) {
      if (name.starts_with(".") || name.starts_with("build") || name == "_build" || name == "tests") {
        it.disable_recursion_pending();
      }
      continue;
    }
    if (name == "library.json" && it->is_regular_file()) found.push_back(it->path().parent_path());
  }
  std::sort(found.begin(), found.end());
  return found;
}

}  // namespace cairn::manifest
