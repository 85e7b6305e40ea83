// Finding and identifying the toolchain (see toolchain.h).
#include "cairn/builder/toolchain.h"

#include "cairn/core/file.h"
#include "cairn/core/subprocess.h"

#include <sys/stat.h>

#include <cstdlib>
#include <optional>
#include <sstream>

namespace cairn::builder {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t max_probe_output = 1 << 20;

// The stdout (and stderr) of `argv`, which must exit 0.
Result<std::string> output_of(const std::vector<std::string>& argv) {
  TemporaryDirectory scratch = CAIRN_TRY(TemporaryDirectory::create("cairn-probe-"));
  fs::path output = scratch.path() / "output";
  ProcessExit exit = CAIRN_TRY(run_to_file(argv, output));
  std::string text = CAIRN_TRY(read_file(output, max_probe_output));
  if (exit.shell_status() != 0) {
    return make_error(ErrorCode::io, "{} failed (status {}): {}", argv[0], exit.shell_status(), text);
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// `name` if it holds a '/', else the first executable `name` in PATH.
Result<fs::path> find_program(const std::string& name) {
  fs::path found = find_in_path(name);
  if (found.empty()) return make_error(ErrorCode::not_found, "no '{}' in PATH", name);
  return found;
}

std::string stat_key(const fs::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return {};
  return fmt::format("{}:{}:{}.{}", info.st_size, info.st_ino, info.st_mtim.tv_sec, info.st_mtim.tv_nsec);
}

// Debian package -> version for the packages owning `paths` (empty without dpkg).
std::map<std::string, std::string> owning_packages(const std::vector<fs::path>& paths) {
  std::map<std::string, std::string> packages;
  if (::access("/usr/bin/dpkg-query", X_OK) != 0) return packages;
  std::vector<std::string> search{"/usr/bin/dpkg-query", "-S"};
  for (const auto& path : paths) search.push_back(path.string());
  auto owners = output_of(search);
  if (!owners.ok()) {
    // dpkg-query fails when one path belongs to no package (a compiler wrapper outside dpkg):
    // ask again path by path, so that the programs that do belong to a package are still named.
    std::string found;
    for (const auto& path : paths) {
      auto owner = output_of({"/usr/bin/dpkg-query", "-S", path.string()});
      if (owner.ok()) found += *owner + "\n";
    }
    owners = std::move(found);
  }
  std::vector<std::string> query{"/usr/bin/dpkg-query", "-W", "-f=${Package} ${Version}\\n"};
  std::stringstream lines(*owners);
  for (std::string line; std::getline(lines, line);) {
    auto colon = line.find(": ");
    if (colon == std::string::npos) continue;
    std::string package = line.substr(0, colon);
    if (auto arch = package.find(':'); arch != std::string::npos) package.resize(arch);
    query.push_back(package);
  }
  if (query.size() == 3) return packages;
  auto versions = output_of(query);
  if (!versions.ok()) return packages;
  std::stringstream rows(*versions);
  for (std::string row; std::getline(rows, row);) {
    auto space = row.find(' ');
    if (space != std::string::npos) packages[row.substr(0, space)] = row.substr(space + 1);
  }
  return packages;
}

// The identity remembered in `cache_file`, if every program it names is still the same file
// (size, inode, mtime) and the driver is the one asked for.
std::optional<Toolchain> remembered_toolchain(const fs::path& cache_file, const fs::path& driver) {
  auto text = read_file(cache_file, max_probe_output);
  if (!text.ok()) return std::nullopt;
  auto remembered = parse_json(*text);
  if (!remembered.ok() || !remembered->is_object() || remembered->value("driver", "") != driver.string()) {
    return std::nullopt;
  }
  Toolchain toolchain;
  toolchain.driver = driver;
  toolchain.version = remembered->value("version", "");
  if (auto packages = remembered->find("packages"); packages != remembered->end() && packages->is_object()) {
    for (auto it = packages->begin(); it != packages->end(); ++it) {
      if (!it.value().is_string()) return std::nullopt;
      toolchain.packages[it.key()] = it.value().get<std::string>();
    }
  }
  const Json programs = remembered->value("programs", Json::array());
  if (!programs.is_array() || programs.empty()) return std::nullopt;
  for (const auto& program : programs) {
    if (!program.is_object()) return std::nullopt;
    auto digest = Digest::parse(program.value("digest", ""));
    std::string path = program.value("path", "");
    if (!digest.ok() || path.empty() || program.value("stat", "") != stat_key(path)) return std::nullopt;
    toolchain.programs.push_back({program.value("role", ""), path, *digest});
  }
  auto canonical = canonical_json(toolchain.to_json());
  if (!canonical.ok()) return std::nullopt;
  toolchain.identity = Digest::sha256_of(*canonical);
  return toolchain;
}

}  // namespace

Json Toolchain::to_json() const {
  Json programs_json = Json::array();
  for (const auto& program : programs) {
    programs_json.push_back(
        {{"role", program.role}, {"path", program.path.string()}, {"digest", program.digest.to_string()}});
  }
  return {{"driver", driver.string()}, {"version", version}, {"programs", programs_json}, {"packages", packages}};
}

Result<Toolchain> find_toolchain(const std::string& driver_name, const fs::path& cache_file) {
  auto found = [&]() -> Result<Toolchain> {
    Toolchain toolchain;
    toolchain.driver = CAIRN_TRY(find_program(driver_name));
    // Asking the driver where its programs are costs a process each: a remembered answer whose
    // programs are all unchanged files is taken instead.
    if (!cache_file.empty()) {
      if (auto remembered = remembered_toolchain(cache_file, toolchain.driver)) return *remembered;
    }
    std::vector<std::pair<std::string, fs::path>> roles{{"driver", toolchain.driver}};
    for (const char* role : {"cc1plus", "as", "collect2", "ld"}) {
      std::string where = CAIRN_TRY(output_of({toolchain.driver.string(), fmt::format("-print-prog-name={}", role)}));
      fs::path program = CAIRN_TRY(find_program(where));
      roles.emplace_back(role, program);
    }
    std::error_code error;
    std::vector<fs::path> real_paths;
    for (auto& [role, path] : roles) {
      fs::path real = fs::canonical(path, error);
      if (error) return make_error(ErrorCode::not_found, "{} ({}): {}", role, path.string(), error.message());
      real_paths.push_back(real);
    }

    toolchain.version = CAIRN_TRY(output_of({toolchain.driver.string(), "-dumpfullversion"}));
    for (std::size_t i = 0; i < roles.size(); ++i) {
      Digest digest = CAIRN_TRY(digest_file(real_paths[i]));
      toolchain.programs.push_back({roles[i].first, real_paths[i], digest});
    }
    toolchain.packages = owning_packages(real_paths);
    Json json = toolchain.to_json();
    std::string canonical = CAIRN_TRY(canonical_json(json));
    toolchain.identity = Digest::sha256_of(canonical);
    if (!cache_file.empty()) {
      for (auto& program : json["programs"]) program["stat"] = stat_key(program["path"].get<std::string>());
      fs::create_directories(cache_file.parent_path(), error);
      (void)write_file_atomically(cache_file, json.dump());  // only a memo: a failure costs time
    }
    return toolchain;
  }();
  return std::move(found).with_context(fmt::format("the toolchain ({})", driver_name));
}

}  // namespace cairn::builder
