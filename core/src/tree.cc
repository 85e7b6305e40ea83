// Scanning a directory into a sorted tree and hashing it (the format is in tree.h).
#include "cairn/core/tree.h"

#include "cairn/core/canonical_json.h"
#include "cairn/core/file.h"
#include "cairn/core/unique_handle.h"
#include "cairn/core/utf8.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace cairn {

namespace fs = std::filesystem;

namespace {

std::string join(std::string_view prefix, std::string_view name) {
  if (prefix.empty()) return std::string(name);
  std::string path;
  path.reserve(prefix.size() + 1 + name.size());
  path.append(prefix).push_back('/');
  path.append(name);
  return path;
}

std::string_view describe_special_file(mode_t mode) {
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "not a file, directory or symlink";
}

class TreeScanner {
 public:
  TreeScanner(const fs::path& root, ScanOptions options) : root_(root), options_(options) {}

  Result<std::vector<TreeEntry>> scan() {
    UniqueFd root_fd(::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root_fd.valid()) {
      if (errno == ENOENT) return make_error(ErrorCode::not_found, "{}: no such directory", root_.string());
      if (errno == ENOTDIR) return make_error(ErrorCode::invalid_argument, "{}: not a directory", root_.string());
      return system_error(fmt::format("open {}", root_.string()), errno);
    }
    CAIRN_TRY(scan_directory(std::move(root_fd), "", 0));
    std::sort(entries_.begin(), entries_.end(), [](const TreeEntry& a, const TreeEntry& b) { return a.path < b.path; });
    return std::move(entries_);
  }

 private:
  Error path_error(ErrorCode code, std::string_view relative, std::string_view why) const {
    return make_error(code, "{}: {}", (root_ / std::string(relative)).string(), why);
  }

  Result<void> scan_directory(UniqueFd directory_fd, const std::string& prefix, int depth) {
    if (static_cast<std::size_t>(depth) > max_tree_depth) {
      return path_error(ErrorCode::limit_exceeded, prefix,
                        fmt::format("tree is deeper than {} levels", max_tree_depth));
    }
    // fdopendir takes ownership of the descriptor it is given; keep ours for the *at calls.
    int listing_fd = ::dup(directory_fd.get());
    if (listing_fd < 0) return system_error("dup", errno);
    UniqueHandle<DIR, ::closedir> listing(::fdopendir(listing_fd));
    if (!listing) {
      ::close(listing_fd);
      return system_error(fmt::format("list {}", (root_ / prefix).string()), errno);
    }
    std::vector<std::string> names;
    errno = 0;
    while (const dirent* item = ::readdir(listing.get())) {
      std::string_view name = item->d_name;
      if (name != "." && name != "..") names.emplace_back(name);
    }
    if (errno != 0) return system_error(fmt::format("list {}", (root_ / prefix).string()), errno);

    for (const std::string& name : names) {
      std::string path = join(prefix, name);
      if (!is_valid_utf8(name)) return path_error(ErrorCode::refused, path, "file name is not valid UTF-8");
      struct stat info {};
      if (::fstatat(directory_fd.get(), name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) {
        return system_error(fmt::format("stat {}", (root_ / path).string()), errno);
      }
      if (options_.exclude && options_.exclude(path, S_ISDIR(info.st_mode))) continue;
      if (S_ISDIR(info.st_mode)) {
        UniqueFd child(::openat(directory_fd.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!child.valid()) return system_error(fmt::format("open {}", (root_ / path).string()), errno);
        CAIRN_TRY(scan_directory(std::move(child), path, depth + 1));
      } else if (S_ISREG(info.st_mode)) {
        CAIRN_TRY(add_file(directory_fd.get(), name, std::move(path), info));
      } else if (S_ISLNK(info.st_mode)) {
        CAIRN_TRY(add_symlink(directory_fd.get(), name, std::move(path), info));
      } else {
        return path_error(ErrorCode::refused, path,
                          fmt::format("is {}; a tree holds only files, directories and symlinks",
                                      describe_special_file(info.st_mode)));
      }
    }
    return {};
  }

  Result<void> add_file(int directory_fd, const std::string& name, std::string path, const struct stat& info) {
    TreeEntry entry;
    entry.mode = (info.st_mode & S_IXUSR) != 0 ? EntryMode::executable : EntryMode::file;
    entry.size = static_cast<std::uint64_t>(info.st_size);
    if (options_.compute_digests) {
      // O_NONBLOCK: should the file have been swapped for a FIFO since fstatat, open won't hang.
      UniqueFd fd(::openat(directory_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
      if (!fd.valid()) return system_error(fmt::format("open {}", (root_ / path).string()), errno);
      struct stat opened {};
      if (::fstat(fd.get(), &opened) != 0 || !S_ISREG(opened.st_mode)) {
        return path_error(ErrorCode::refused, path, "changed while the tree was scanned");
      }
      entry.size = static_cast<std::uint64_t>(opened.st_size);
      (void)::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
      entry.content_digest = CAIRN_TRY(digest_fd(fd.get()).with_context((root_ / path).string()));
    }
    entry.path = std::move(path);
    entries_.push_back(std::move(entry));
    return {};
  }

  Result<void> add_symlink(int directory_fd, const std::string& name, std::string path, const struct stat& info) {
    // st_size of a symlink is the length of its target; +1 detects a target that grew meanwhile.
    std::string target(static_cast<std::size_t>(info.st_size) + 1, '\0');
    ssize_t length = ::readlinkat(directory_fd, name.c_str(), target.data(), target.size());
    if (length < 0) return system_error(fmt::format("readlink {}", (root_ / path).string()), errno);
    if (static_cast<std::size_t>(length) >= target.size()) {
      return path_error(ErrorCode::refused, path, "changed while the tree was scanned");
    }
    target.resize(static_cast<std::size_t>(length));
    if (!is_valid_utf8(target)) return path_error(ErrorCode::refused, path, "symlink target is not valid UTF-8");
    TreeEntry entry;
    entry.mode = EntryMode::symlink;
    entry.content_digest = Digest::sha256_of(target);
    entry.symlink_target = std::move(target);
    entry.path = std::move(path);
    entries_.push_back(std::move(entry));
    return {};
  }

  fs::path root_;
  ScanOptions options_;
  std::vector<TreeEntry> entries_;
};

}  // namespace

std::string_view to_string(EntryMode mode) {
  switch (mode) {
    case EntryMode::file: return "file";
    case EntryMode::executable: return "exec";
    case EntryMode::symlink: return "symlink";
  }
  return "file";
}

void DigestMemo::load() {
  if (file_.empty()) return;
  auto text = read_file(file_, 64 << 20);
  if (!text.ok()) return;
  auto json = parse_json(*text);
  if (!json.ok() || !json->is_object()) return;
  for (auto it = json->begin(); it != json->end(); ++it) {
    if (!it.value().is_array() || it.value().size() != 2 || !it.value()[0].is_string() || !it.value()[1].is_string()) {
      continue;
    }
    auto digest = Digest::parse(it.value()[1].get<std::string>());
    if (digest.ok()) known_.emplace(it.key(), Known{it.value()[0].get<std::string>(), *digest, false});
  }
}

void DigestMemo::save() const {
  if (file_.empty() || !changed_) return;
  Json json = Json::object();
  for (const auto& [path, known] : known_) {
    if (known.used) json[path] = Json::array({known.stat, known.digest.to_string()});
  }
  std::error_code ignored;
  fs::create_directories(file_.parent_path(), ignored);
  (void)write_file_atomically(file_, json.dump());
}

Result<Digest> DigestMemo::digest(const fs::path& path, int fd) {
  struct stat info {};
  if (::fstat(fd, &info) != 0) return system_error(fmt::format("stat {}", path.string()), errno);
  std::string stat = fmt::format("{}:{}:{}.{}:{}.{}", info.st_size, info.st_ino, info.st_mtim.tv_sec,
                                 info.st_mtim.tv_nsec, info.st_ctim.tv_sec, info.st_ctim.tv_nsec);
  std::string key = fs::absolute(path).string();
  auto it = known_.find(key);
  if (it != known_.end() && it->second.stat == stat) {
    it->second.used = true;
    return it->second.digest;
  }
  Digest digest = CAIRN_TRY(digest_fd(fd).with_context(path.string()));
  known_.insert_or_assign(key, Known{stat, digest, true});
  changed_ = true;
  return digest;
}

Result<void> fill_digests(const fs::path& root, std::vector<TreeEntry>& entries, DigestMemo* memo) {
  for (auto& entry : entries) {
    if (entry.content_digest || entry.mode == EntryMode::symlink) continue;
    fs::path path = root / entry.path;
    // As the scanner opens files: never following a link, never blocking on a FIFO.
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!fd.valid()) return system_error(fmt::format("open {}", path.string()), errno);
    struct stat opened {};
    if (::fstat(fd.get(), &opened) != 0 || !S_ISREG(opened.st_mode)) {
      return make_error(ErrorCode::refused, "{}: changed while the tree was scanned", path.string());
    }
    entry.size = static_cast<std::uint64_t>(opened.st_size);
    if (memo != nullptr) {
      entry.content_digest = CAIRN_TRY(memo->digest(path, fd.get()));
    } else {
      entry.content_digest = CAIRN_TRY(digest_fd(fd.get()).with_context(path.string()));
    }
  }
  return {};
}

Result<std::vector<TreeEntry>> scan_tree(const fs::path& root, ScanOptions options) {
  return TreeScanner(root, options).scan();
}

Result<Digest> tree_digest(const std::vector<TreeEntry>& entries) {
  Hasher hasher(DigestAlgorithm::sha256);
  hasher.update("cairn-tree-v1\n");
  const std::string* previous = nullptr;
  for (const TreeEntry& entry : entries) {
    if (!entry.content_digest || entry.content_digest->algorithm() != DigestAlgorithm::sha256) {
      return make_error(ErrorCode::invalid_argument, "tree entry '{}' has no SHA-256 content digest", entry.path);
    }
    if (previous != nullptr && !(*previous < entry.path)) {
      return make_error(ErrorCode::invalid_argument, "tree entries are not sorted and unique at '{}'", entry.path);
    }
    if (auto problem = check_relative_path(entry.path)) {
      return make_error(ErrorCode::invalid_argument, "tree entry '{}': {}", entry.path, *problem);
    }
    hasher.update(to_string(entry.mode));
    hasher.update(" ");
    hasher.update(entry.content_digest->hex());
    hasher.update(" ");
    hasher.update(entry.path);
    hasher.update(std::string_view("\0", 1));
    previous = &entry.path;
  }
  return hasher.finish();
}

Result<Digest> hash_tree(const fs::path& root) {
  std::vector<TreeEntry> entries = CAIRN_TRY(scan_tree(root));
  return tree_digest(entries);
}

std::optional<std::string> check_relative_path(std::string_view path) {
  if (path.empty()) return "empty path";
  if (path.front() == '/') return "absolute path";
  if (path.find('\0') != std::string_view::npos) return "path contains a NUL byte";
  if (!is_valid_utf8(path)) return "path is not valid UTF-8";
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view component = path.substr(start, end - start);
    if (component.empty()) return "path has an empty component ('//' or a trailing '/')";
    if (component == ".") return "path has a '.' component";
    if (component == "..") return "path has a '..' component";
    start = end + 1;
  }
  return std::nullopt;
}

bool symlink_stays_inside(std::string_view link_path, std::string_view target) {
  if (target.empty() || target.front() == '/') return false;
  // Depth of the link's directory: the number of '/' in its path.
  std::size_t depth = static_cast<std::size_t>(std::count(link_path.begin(), link_path.end(), '/'));
  std::size_t start = 0;
  while (start <= target.size()) {
    std::size_t end = target.find('/', start);
    if (end == std::string_view::npos) end = target.size();
    std::string_view component = target.substr(start, end - start);
    if (component == "..") {
      if (depth == 0) return false;
      --depth;
    } else if (!component.empty() && component != ".") {
      ++depth;
    }
    start = end + 1;
  }
  return true;
}

}  // namespace cairn
