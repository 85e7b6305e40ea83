// The fuzz targets of a checkout's descriptions (host_fuzz_targets.h): library.json and
// unikernel.json as their readers take them (from files, written into a scratch folder made once),
// cairn.lock, and the source globs of library.json.
//
// What a reader accepts must say what the document says and keep the promises of its header (a
// version that parses, constraints that parse, a library name that is no path); a lock written
// back reads as the same lock; and glob matching agrees with a plain reference matcher on short
// inputs and never takes longer than its documented bound allows (see check_glob).
#include "cairn/core/canonical_json.h"
#include "cairn/core/digest.h"
#include "cairn/manifest/library_description.h"
#include "cairn/manifest/lock.h"
#include "cairn/manifest/semver.h"
#include "host_fuzz_support.h"
#include "host_fuzz_targets.h"

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace cairn::fuzz {

namespace {

using namespace cairn::manifest;  // NOLINT: the targets read the manifest's descriptions

// The member `key` of an object a reader accepted, which must be absent or of the type the
// reader promises; absent, it reads as `fallback`.
const Json* member(const Json& object, const char* key) {
  auto found = object.find(key);
  return found == object.end() ? nullptr : &*found;
}

std::string string_member(const Json& object, const char* key, std::string_view fallback = {}) {
  const Json* value = member(object, key);
  if (value == nullptr) return std::string(fallback);
  if (!value->is_string()) broken("an accepted description has a field of the wrong type", key);
  return value->get<std::string>();
}

std::vector<std::string> strings_member(const Json& object, const char* key) {
  std::vector<std::string> strings;
  const Json* value = member(object, key);
  if (value == nullptr) return strings;
  if (!value->is_array()) broken("an accepted description has a field of the wrong type", key);
  for (const Json& item : *value) {
    if (!item.is_string()) broken("an accepted description has a list with an item of the wrong type", key);
    strings.push_back(item.get<std::string>());
  }
  return strings;
}

std::map<std::string, std::string> constraints_member(const Json& object, const char* key) {
  std::map<std::string, std::string> constraints;
  const Json* value = member(object, key);
  if (value == nullptr) return constraints;
  if (!value->is_object()) broken("an accepted description has a field of the wrong type", key);
  for (const auto& [name, item] : value->items()) {
    if (!item.is_string()) broken("an accepted description has a constraint that is no string", name);
    constraints.emplace(name, item.get<std::string>());
  }
  return constraints;
}

// Every constraint an accepted description holds parses.
void check_constraints(const std::map<std::string, std::string>& constraints) {
  for (const auto& [name, text] : constraints) {
    Result<Constraint> constraint = Constraint::parse(text);
    if (!constraint) broken("an accepted description holds a constraint that does not parse", text);
  }
}

Json accepted_json(std::string_view text) {
  Result<Json> json = parse_json(text);
  if (!json) broken("a reader accepted a description that is not JSON", json.error().message());
  if (!json->is_object()) broken("a reader accepted a description that is not an object");
  return std::move(json).value();
}

bool check_library_json(const std::uint8_t* data, std::size_t size) {
  static const std::filesystem::path folder = scratch_subdirectory("library");
  write_scratch_file(folder / "library.json", data, size);
  Result<LibraryDescription> description = read_library_description(folder);
  if (!description) return false;

  Json json = accepted_json(as_text(data, size));
  require(description->name == string_member(json, "name"), "library.json: another name");
  require(!description->name.empty() && description->name.find('/') == std::string::npos &&
              description->name.front() != '.',
          "library.json: a name that is no library name");
  require(description->version == string_member(json, "version"), "library.json: another version");
  require(Version::parse(description->version).ok(), "library.json: a version that does not parse");
  require(description->license == string_member(json, "license"), "library.json: another license");
  require(description->description == string_member(json, "description", ""), "library.json: another description");
  require(description->depends == constraints_member(json, "depends"), "library.json: other dependencies");
  check_constraints(description->depends);
  require(description->sources == strings_member(json, "sources"), "library.json: other sources");
  require(description->targets == strings_member(json, "targets"), "library.json: other targets");
  return true;
}

bool check_unikernel_json(const std::uint8_t* data, std::size_t size) {
  static const std::filesystem::path file = scratch_subdirectory("unikernel") / "unikernel.json";
  write_scratch_file(file, data, size);
  Result<UnikernelDescription> description = read_unikernel_description(file);
  if (!description) return false;

  Json json = accepted_json(as_text(data, size));
  Result<std::string> canonical = canonical_json(json);
  require(canonical.ok() && description->digest == Digest::sha256_of(*canonical),
          "unikernel.json: the digest is not that of the canonical JSON");
  require(description->name == string_member(json, "name"), "unikernel.json: another name");
  require(description->version == string_member(json, "version", ""), "unikernel.json: another version");
  require(description->target == string_member(json, "target", ""), "unikernel.json: another target");
  require(description->requires_ == constraints_member(json, "requires"), "unikernel.json: other requirements");
  check_constraints(description->requires_);
  require(!description->main.empty(), "unikernel.json: accepted without a source");
  for (const auto& source : description->main) {
    require(!check_relative_path(source).has_value(), "unikernel.json: a source outside the app folder");
  }
  require(!description->memory_mib || (*description->memory_mib >= 1 && *description->memory_mib <= max_memory_mib),
          "unikernel.json: memory out of range");
  require(description->devices.net.size() + description->devices.block.size() <= 63,
          "unikernel.json: more devices than a manifest holds");
  return true;
}

bool check_lock(std::string_view text) {
  Result<LockFile> lock = parse_lock(text);
  if (!lock) return false;
  Result<std::string> written = canonical_json(to_json(*lock));
  if (!written) broken("an accepted lock has no canonical form", written.error().message());
  Result<LockFile> reread = parse_lock(*written);
  if (!reread) broken("an accepted lock, written back, does not parse", reread.error().message());
  Result<std::string> rewritten = canonical_json(to_json(*reread));
  require(rewritten.ok() && *rewritten == *written, "an accepted lock, written back, reads as another lock");
  return true;
}

// '/'-separated components, empty ones included, as the glob dialect splits paths and globs.
std::vector<std::string_view> split_components(std::string_view text) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    std::size_t slash = text.find('/', start);
    parts.push_back(text.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) return parts;
    start = slash + 1;
  }
}

// The glob dialect of library_description.h by its definition, as a table over suffixes: in a
// component `*` matches any run of characters and `?` any one character; a component `**` matches
// any run of components. Quadratic, so only for short inputs.
bool reference_component_matches(std::string_view glob, std::string_view name) {
  // rest[i][j]: glob[i:] matches name[j:].
  std::vector<std::vector<bool>> rest(glob.size() + 1, std::vector<bool>(name.size() + 1, false));
  rest[glob.size()][name.size()] = true;
  for (std::size_t i = glob.size(); i-- > 0;) {
    for (std::size_t j = name.size() + 1; j-- > 0;) {
      bool more = j < name.size();
      if (glob[i] == '*') {
        rest[i][j] = rest[i + 1][j] || (more && rest[i][j + 1]);
      } else {
        rest[i][j] = more && (glob[i] == '?' || glob[i] == name[j]) && rest[i + 1][j + 1];
      }
    }
  }
  return rest[0][0];
}

bool reference_glob_matches(std::string_view glob_text, std::string_view path_text) {
  std::vector<std::string_view> glob = split_components(glob_text);
  std::vector<std::string_view> path = split_components(path_text);
  std::vector<std::vector<bool>> rest(glob.size() + 1, std::vector<bool>(path.size() + 1, false));
  rest[glob.size()][path.size()] = true;
  for (std::size_t i = glob.size(); i-- > 0;) {
    for (std::size_t j = path.size() + 1; j-- > 0;) {
      bool more = j < path.size();
      if (glob[i] == "**") {
        rest[i][j] = rest[i + 1][j] || (more && rest[i][j + 1]);
      } else {
        rest[i][j] = more && reference_component_matches(glob[i], path[j]) && rest[i + 1][j + 1];
      }
    }
  }
  return rest[0][0];
}

constexpr std::size_t reference_input_limit = 200;

// glob_matches is quadratic by design: O(glob × path) components, and within one component
// O(name²) characters (names on disk have at most 255 bytes). An input of 8 KiB shaped for that
// bound ("**/a/a/.../b" against "a/a/...", or "*aaa...b" against "aaa...") takes up to 0.8 s
// here (ASan, UBSan, no optimisation, about 100 ns per pair of characters) and about 10 ms in a
// release build, so a flat 100 ms limit would fail on what the design allows. The limit is 100 ms
// plus 500 ns for every pair of glob and path characters: five times what the bound needs, and
// still far below what an exponential or cubic matcher takes (the exponential one this replaced
// spent seconds on a glob and a path of a few dozen components).
std::chrono::nanoseconds slowest_match(std::size_t glob_size, std::size_t path_size) {
  return std::chrono::milliseconds(100) +
         std::chrono::nanoseconds(500) * static_cast<std::int64_t>((glob_size + 1) * (path_size + 1));
}

bool check_glob(std::string_view text) {
  std::size_t newline = text.find('\n');
  std::string_view glob = text.substr(0, newline);
  std::string_view path = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);

  auto start = std::chrono::steady_clock::now();
  bool matched = glob_matches(glob, path);
  auto took = std::chrono::steady_clock::now() - start;
  if (took > slowest_match(glob.size(), path.size())) {
    broken("glob_matches took longer than its bound allows",
           std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()) + " ms");
  }
  if (text.size() <= reference_input_limit) {
    require(matched == reference_glob_matches(glob, path), "glob_matches disagrees with the reference matcher");
  }
  require(glob_matches("**", path), "\"**\" does not match every path");
  if (path.find_first_of("*?") == std::string_view::npos) {
    require(glob_matches(path, path), "a path without wildcards does not match itself");
  }
  return matched;
}

}  // namespace

int fuzz_library_json(const std::uint8_t* data, std::size_t size) {
  return record_outcome(check_library_json(data, size));
}

int fuzz_unikernel_json(const std::uint8_t* data, std::size_t size) {
  return record_outcome(check_unikernel_json(data, size));
}

int fuzz_lock(const std::uint8_t* data, std::size_t size) {
  return record_outcome(check_lock(as_text(data, size)));
}

int fuzz_glob(const std::uint8_t* data, std::size_t size) {
  return record_outcome(check_glob(as_text(data, size)));
}

}  // namespace cairn::fuzz
