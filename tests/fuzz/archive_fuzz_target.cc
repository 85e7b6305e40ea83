// The fuzz target of archive extraction (host_fuzz_targets.h): the input, written to a scratch
// file, is extracted with small limits into "out" inside an extraction root that holds nothing
// else. Beside the root lie the input and a sentinel file that no archive may touch:
//
//   <scratch>/archive/  input  sentinel  root/out
//
// Whatever the input, nothing outside the destination changes: the folder holds exactly those
// three, the sentinel keeps its bytes, inode, mode and single link, and the root holds only "out"
// after a success and nothing at all after a failure (extract_archive promises to leave neither
// the destination nor its temporary folder behind). What a success extracts keeps the promises of
// archive.h: only directories (0755), files (0644 or 0755, within the limits) and symlinks that
// stay inside the destination, now and after any folder is made inside it (a dangling link must
// not lead out once what it names exists); no hardlink to anything outside (each file's link count
// is the number of its names inside); and the report's tree digest is that of the tree on disk.
#include "cairn/core/file.h"
#include "cairn/core/tree.h"
#include "cairn/reproducibility/archive.h"
#include "host_fuzz_support.h"
#include "host_fuzz_targets.h"

#include <sys/stat.h>

#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace cairn::fuzz {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view sentinel_content = "outside the extraction root: no archive may touch this file\n";

reproducibility::ExtractLimits small_limits() {
  reproducibility::ExtractLimits limits;
  limits.max_file_size = 64 << 10;
  limits.max_total_size = 256 << 10;
  limits.max_entries = 64;
  return limits;
}

struct Layout {
  fs::path folder;  // <scratch>/archive
  fs::path input;
  fs::path sentinel;
  fs::path root;
  fs::path destination;
  struct stat sentinel_state;
};

struct stat lstat_or_broken(const fs::path& path, std::string_view what) {
  struct stat state {};
  if (::lstat(path.c_str(), &state) != 0) broken(what, path.string());
  return state;
}

const Layout& archive_layout() {
  static const Layout made = [] {
    Layout layout;
    layout.folder = scratch_subdirectory("archive");
    layout.input = layout.folder / "input";
    layout.sentinel = layout.folder / "sentinel";
    layout.root = layout.folder / "root";
    layout.destination = layout.root / "out";
    write_scratch_file(layout.sentinel, reinterpret_cast<const std::uint8_t*>(sentinel_content.data()),
                       sentinel_content.size());
    std::error_code error;
    fs::create_directory(layout.root, error);
    if (error) broken("cannot make the extraction root", error.message());
    layout.sentinel_state = lstat_or_broken(layout.sentinel, "cannot stat the sentinel");
    return layout;
  }();
  return made;
}

std::set<std::string> names_in(const fs::path& folder) {
  std::set<std::string> names;
  std::error_code error;
  for (fs::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
    names.insert(it->path().filename().string());
  }
  if (error) broken("cannot list a folder", folder.string() + ": " + error.message());
  return names;
}

void check_nothing_outside_changed(const Layout& layout, bool extracted) {
  require(names_in(layout.folder) == std::set<std::string>{"input", "root", "sentinel"},
          "extraction changed the folder beside the extraction root");
  struct stat now = lstat_or_broken(layout.sentinel, "the sentinel is gone");
  const struct stat& before = layout.sentinel_state;
  require(S_ISREG(now.st_mode) && now.st_ino == before.st_ino && now.st_mode == before.st_mode && now.st_nlink == 1 &&
              now.st_size == before.st_size,
          "extraction changed the sentinel beside the extraction root");
  Result<std::string> content = read_file(layout.sentinel, 4096);
  require(content.ok() && *content == sentinel_content, "extraction changed the sentinel's bytes");
  struct stat root = lstat_or_broken(layout.root, "the extraction root is gone");
  require(S_ISDIR(root.st_mode), "the extraction root is no longer a directory");
  if (extracted) {
    require(names_in(layout.root) == std::set<std::string>{"out"}, "extraction left more than its destination");
  } else {
    std::set<std::string> left = names_in(layout.root);
    if (!left.empty()) broken("a failed extraction left something behind", *left.begin());
  }
}

std::deque<std::string> components_of(std::string_view path) {
  std::deque<std::string> components;
  for (std::size_t start = 0;;) {
    std::size_t slash = path.find('/', start);
    components.emplace_back(
        path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) return components;
    start = slash + 1;
  }
}

// Whether the symlink at `link` (relative to `root`) leads to a place inside `root`, resolved as
// Linux resolves it, except that a component that does not exist, or is a file with more to come,
// counts as a folder: where the link leads once such folders are made. A chain of more links than
// Linux follows leads nowhere, so it stays inside.
bool stays_inside_whatever_is_made(const fs::path& root, const std::string& link) {
  constexpr int max_links = 40;  // Linux's MAXSYMLINKS
  std::vector<std::string> at;   // the folders below root reached so far
  std::deque<std::string> pending = components_of(link);
  int links = 0;
  while (!pending.empty()) {
    std::string component = std::move(pending.front());
    pending.pop_front();
    if (component.empty() || component == ".") continue;
    if (component == "..") {
      if (at.empty()) return false;
      at.pop_back();
      continue;
    }
    fs::path candidate = root;
    for (const std::string& folder : at) candidate /= folder;
    candidate /= component;
    struct stat state {};
    if (::lstat(candidate.c_str(), &state) != 0 || !S_ISLNK(state.st_mode)) {
      at.push_back(std::move(component));
      continue;
    }
    if (++links > max_links) return true;
    std::error_code error;
    std::string target = fs::read_symlink(candidate, error).string();
    if (error) broken("cannot read an extracted symlink", candidate.string());
    if (target.starts_with('/')) return false;
    std::deque<std::string> inner = components_of(target);
    pending.insert(pending.begin(), inner.begin(), inner.end());
  }
  return true;
}

void check_extracted_tree(const fs::path& destination, const reproducibility::ExtractReport& report,
                          const reproducibility::ExtractLimits& limits) {
  std::error_code error;
  fs::path inside = fs::canonical(destination, error);
  if (error) broken("cannot resolve the destination", error.message());
  std::uint64_t total = 0;
  std::map<ino_t, nlink_t> names_of_file;  // inode -> names found inside
  std::map<ino_t, nlink_t> links_of_file;  // inode -> its link count
  for (fs::recursive_directory_iterator it(destination, error), end; !error && it != end; it.increment(error)) {
    struct stat state = lstat_or_broken(it->path(), "cannot stat an extracted entry");
    mode_t permissions = state.st_mode & 07777;
    if (S_ISDIR(state.st_mode)) {
      require(permissions == 0755, "an extracted directory is not 0755");
    } else if (S_ISREG(state.st_mode)) {
      require(permissions == 0644 || permissions == 0755, "an extracted file is neither 0644 nor 0755");
      auto size = static_cast<std::uint64_t>(state.st_size);
      require(size <= limits.max_file_size, "an extracted file is larger than the limit");
      total += size;
      ++names_of_file[state.st_ino];
      links_of_file[state.st_ino] = state.st_nlink;
    } else if (S_ISLNK(state.st_mode)) {
      std::string link = it->path().lexically_relative(destination).string();
      if (!stays_inside_whatever_is_made(inside, link)) broken("an extracted symlink leads outside", link);
    } else {
      broken("extraction made something other than a directory, file or symlink", it->path().string());
    }
  }
  if (error) broken("cannot walk the extracted tree", error.message());
  require(total <= limits.max_total_size, "the extracted files hold more than the total limit");
  for (const auto& [inode, names] : names_of_file) {
    require(links_of_file[inode] == names, "an extracted file has a name outside the destination");
  }
  require(report.entries <= limits.max_entries, "the report counts more entries than the limit");
  require(report.bytes <= total, "the report counts more bytes than the files hold");
  Result<Digest> tree = hash_tree(destination);
  if (!tree) broken("the extracted tree cannot be hashed", tree.error().message());
  require(*tree == report.tree, "the report's tree digest is not the extracted tree's");
}

bool check_archive(const std::uint8_t* data, std::size_t size) {
  const Layout& paths = archive_layout();
  write_scratch_file(paths.input, data, size);
  reproducibility::ExtractLimits limits = small_limits();
  Result<reproducibility::ExtractReport> report =
      reproducibility::extract_archive(paths.input, paths.destination, limits);
  check_nothing_outside_changed(paths, report.ok());
  if (!report) return false;
  check_extracted_tree(paths.destination, *report, limits);
  std::error_code error;
  fs::remove_all(paths.destination, error);
  if (error) broken("cannot remove the extracted tree", error.message());
  return true;
}

}  // namespace

int fuzz_archive(const std::uint8_t* data, std::size_t size) {
  return record_outcome(check_archive(data, size));
}

}  // namespace cairn::fuzz
