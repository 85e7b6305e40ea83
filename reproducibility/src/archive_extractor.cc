// Safe extraction of tar and tar.gz archives that come from anywhere.
//
// The archive is untrusted. libarchive only parses it; every change to the file system is made
// here, with *at system calls relative to directory descriptors inside a private temporary
// directory beside the destination. Parents are opened one component at a time with O_NOFOLLOW
// and files are created with O_EXCL, so no path is ever resolved through a symlink. Each entry is
// checked before anything is written for it (paths, types, link targets, sizes); after the last
// one the kernel resolves every symlink beneath the root (openat2 RESOLVE_BENEATH) to catch
// chains that only escape once combined, and a dangling link, where the kernel stops early, is
// followed on through the extracted links as if what it names existed. Only then is the temporary
// directory renamed to the destination: an error at any point leaves nothing behind.
#include "cairn/reproducibility/archive.h"

#include "cairn/core/file.h"
#include "cairn/core/tree.h"
#include "cairn/core/utf8.h"
#include "libarchive_support.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace cairn::reproducibility {

namespace fs = std::filesystem;
using internal::archive_error;
using internal::ArchiveReadHandle;
using internal::ScopedLocale;

namespace {

// Extracted permissions are those of libarchive_support.h: the archive decides only whether a
// file is executable (owner bit). setuid, setgid, sticky bits, owners and mtimes from the archive
// are never applied.
using internal::directory_permissions;
using internal::executable_permissions;
using internal::file_permissions;

constexpr std::size_t copy_block_size = std::size_t{256} * 1024;

// Names are read under "C": libarchive then passes pax (UTF-8) names through as raw bytes, where
// a UTF-8 locale would normalize them to NFC and change the tree digest of an NFD name.
constexpr const char* name_locale = "C";

// The errno libarchive's tar reader gives with that warning, and with no other warning: its
// ARCHIVE_ERRNO_FILE_FORMAT, which is EILSEQ on Linux (archive_platform.h, not a public header).
constexpr int name_conversion_errno = EILSEQ;

// Calls `visit` with each '/'-separated component of `path`, empty ones included.
template <typename Visit>
void for_each_component(std::string_view path, Visit&& visit) {
  std::size_t start = 0;
  for (;;) {
    std::size_t slash = path.find('/', start);
    visit(path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) return;
    start = slash + 1;
  }
}

std::string_view parent_of(std::string_view path) {
  std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
}

std::string_view leaf_of(std::string_view path) {
  std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// A name from the archive as it appears in messages: bytes that could garble a terminal (and,
// in a name that is not UTF-8, every non-ASCII byte) are written as \xNN.
std::string printable(std::string_view name) {
  bool utf8 = is_valid_utf8(name);
  std::string shown;
  shown.reserve(name.size());
  for (char c : name) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f || byte == '\\' || (byte >= 0x80 && !utf8)) {
      shown += fmt::format("\\x{:02x}", byte);
    } else {
      shown.push_back(c);
    }
  }
  return shown;
}

// The normal form of a path from the archive ("./a//b/." is "a/b"; "." is ""), or why it is
// refused. `subject` names it in the message ("path", "hardlink target '../x'").
Result<std::string> normalize_archive_path(std::string_view raw, std::string_view subject) {
  if (raw.empty()) return make_error(ErrorCode::refused, "{} is empty", subject);
  if (!is_valid_utf8(raw)) return make_error(ErrorCode::refused, "{} is not valid UTF-8", subject);
  if (raw.front() == '/') {
    return make_error(ErrorCode::refused, "{} is absolute; entries must be relative to the destination", subject);
  }
  std::string normal;
  bool leaves = false;
  for_each_component(raw, [&](std::string_view component) {
    if (component.empty() || component == ".") return;
    if (component == "..") leaves = true;
    if (!normal.empty()) normal.push_back('/');
    normal.append(component);
  });
  if (leaves) return make_error(ErrorCode::refused, "{} leaves the destination ('..')", subject);
  if (!normal.empty()) {
    if (std::optional<std::string> problem = check_relative_path(normal)) {
      return make_error(ErrorCode::refused, "{}: {}", subject, *problem);
    }
  }
  return normal;
}

std::size_t depth_of(std::string_view normal_path) {
  return static_cast<std::size_t>(std::count(normal_path.begin(), normal_path.end(), '/')) + 1;
}

Error refused(std::string message) {
  return Error(ErrorCode::refused, std::move(message));
}

// What is already at an extracted path, as far as later entries are concerned.
enum class NodeKind { directory, file, symlink };

struct Node {
  NodeKind kind;
  std::uint64_t size = 0;        // for files: bytes, counted again by every hardlink to it
  std::string symlink_target{};  // for symlinks: the link's text
};

// How many symlinks one resolution follows before Linux gives up with ELOOP (MAXSYMLINKS).
constexpr int max_followed_symlinks = 40;

// Writes the entries of one archive below `root_fd` and remembers what it wrote.
class TreeExtractor {
 public:
  TreeExtractor(int root_fd, const ExtractLimits& limits)
      : root_fd_(root_fd), limits_(limits), buffer_(copy_block_size) {}

  Result<void> extract_entries(archive* reader) {
    for (;;) {
      archive_entry* entry = nullptr;
      int status = archive_read_next_header(reader, &entry);
      if (status == ARCHIVE_EOF) return {};
      // The one warning accepted: a pax name libarchive could not convert to the "C" locale. It
      // then hands over the name's raw bytes, which are checked like any other name below.
      bool unconverted_name = status == ARCHIVE_WARN && archive_errno(reader) == name_conversion_errno;
      if (status != ARCHIVE_OK && !unconverted_name) {
        return archive_error(ErrorCode::malformed, fmt::format("not a valid tar archive (after {} entries)", entries_),
                             reader);
      }
      if (entries_ >= limits_.max_entries) {
        return make_error(ErrorCode::limit_exceeded, "more than the limit of {} entries", limits_.max_entries);
      }
      ++entries_;
      const char* raw_path = archive_entry_pathname(entry);
      std::string_view raw = raw_path != nullptr ? raw_path : "";
      CAIRN_TRY(extract_entry(reader, entry, raw).with_context(fmt::format("entry '{}'", printable(raw))));
    }
  }

  // Resolves every extracted symlink with the kernel, beneath the root: refuses any that leads
  // outside, through however many links. Dangling links are refused too if they would lead
  // outside once what they name is made; those that stay inside, and looping links, are left.
  Result<void> check_symlinks_resolve_inside() const {
    for (const std::string& path : symlinks_) {
      open_how how{};
      how.flags = O_PATH | O_CLOEXEC;
      how.resolve = RESOLVE_BENEATH;
      long fd = -1;
      int error = 0;
      for (int attempt = 0; attempt < 8; ++attempt) {  // EAGAIN: a concurrent rename; cannot last
        fd = ::syscall(SYS_openat2, root_fd_, path.c_str(), &how, sizeof how);
        error = errno;
        if (fd >= 0 || error != EAGAIN) break;
      }
      if (fd >= 0) {
        UniqueFd resolved(static_cast<int>(fd));
        continue;
      }
      switch (error) {
        case ENOENT:
        case ENOTDIR: CAIRN_TRY(check_dangling_symlink_stays_inside(path)); continue;
        case ELOOP: continue;
        case EXDEV:
          return make_error(ErrorCode::refused, "entry '{}': symlink chain leaves the destination", printable(path));
        case ENOSYS:
          return make_error(ErrorCode::unsupported,
                            "entry '{}': checking symlinks needs openat2 (Linux 5.6 or later), which this "
                            "system refuses",
                            printable(path));
        default: return system_error(fmt::format("resolve symlink '{}'", printable(path)), error);
      }
    }
    return {};
  }

  std::uint64_t entries() const { return entries_; }
  std::uint64_t files() const { return files_; }
  std::uint64_t bytes() const { return bytes_; }

 private:
  Result<void> extract_entry(archive* reader, archive_entry* entry, std::string_view raw) {
    std::string path = CAIRN_TRY(normalize_archive_path(raw, "path"));
    const char* hardlink = archive_entry_hardlink(entry);
    mode_t type = archive_entry_filetype(entry);
    if (path.empty()) {
      if (hardlink == nullptr && type == AE_IFDIR) return {};  // "." itself: the destination
      return refused("path names the destination itself");
    }
    // Deeper paths are refused before any work: they cost one openat per level, and hash_tree
    // (which computes the report) refuses such trees anyway.
    if (depth_of(path) > max_tree_depth) {
      return make_error(ErrorCode::limit_exceeded, "path is deeper than the limit of {} levels", max_tree_depth);
    }
    if (hardlink != nullptr) return extract_hardlink(entry, path, hardlink);
    switch (type) {
      case AE_IFREG: return extract_file(reader, entry, path);
      case AE_IFDIR: return extract_directory(path);
      case AE_IFLNK: return extract_symlink(entry, path);
      case AE_IFCHR: return refuse_type("a character device file");
      case AE_IFBLK: return refuse_type("a block device file");
      case AE_IFIFO: return refuse_type("a FIFO");
      case AE_IFSOCK: return refuse_type("a socket");
      default: return refuse_type(fmt::format("of unknown type {:o}", type));
    }
  }

  // The kernel stops resolving a dangling link at the first component that is missing (or is a
  // file with more to follow), before any ".." after it: "t" -> "s/missing/../../x" with "s" ->
  // "." resolves to nothing today, and to the destination's parent once a folder "missing" is
  // made in the tree. So the link is followed on here, through the extracted links, taking every
  // such component for a folder; refused if that climbs above the root.
  Result<void> check_dangling_symlink_stays_inside(const std::string& path) const {
    std::vector<std::string_view> reached;  // folders below the root
    std::vector<std::string_view> pending;  // components still to resolve, the next one last
    auto push_components = [&pending](std::string_view text) {
      std::vector<std::string_view> components;
      for_each_component(text, [&](std::string_view component) { components.push_back(component); });
      pending.insert(pending.end(), components.rbegin(), components.rend());
    };
    push_components(path);
    int followed = 0;
    while (!pending.empty()) {
      std::string_view component = pending.back();
      pending.pop_back();
      if (component.empty() || component == ".") continue;
      if (component == "..") {
        if (reached.empty()) {
          return refused(fmt::format("entry '{}': dangling symlink leaves the destination once what it names is made",
                                     printable(path)));
        }
        reached.pop_back();
        continue;
      }
      std::string candidate;
      for (std::string_view folder : reached) candidate.append(folder).push_back('/');
      candidate.append(component);
      auto node = nodes_.find(candidate);
      if (node == nodes_.end() || node->second.kind != NodeKind::symlink) {
        reached.push_back(component);
        continue;
      }
      if (++followed > max_followed_symlinks) return {};  // a loop: it leads nowhere
      push_components(node->second.symlink_target);
    }
    return {};
  }

  static Error refuse_type(std::string_view what) {
    return refused(fmt::format("is {}; only files, directories, symlinks and hardlinks are extracted", what));
  }

  Result<void> refuse_duplicate(const std::string& path) const {
    if (nodes_.contains(path)) return refused("duplicate entry: the path was already extracted");
    return {};
  }

  Result<void> extract_directory(const std::string& path) {
    if (auto existing = nodes_.find(path); existing != nodes_.end()) {
      if (existing->second.kind == NodeKind::directory) return {};  // made for an earlier entry
      return refused("duplicate entry: the path was already extracted");
    }
    int parent = CAIRN_TRY(parent_directory_of(path));
    CAIRN_TRY(create_directory(parent, path));
    return {};
  }

  Result<void> extract_file(archive* reader, archive_entry* entry, const std::string& path) {
    CAIRN_TRY(refuse_duplicate(path));
    la_int64_t declared = archive_entry_size_is_set(entry) != 0 ? archive_entry_size(entry) : 0;
    if (declared < 0) return make_error(ErrorCode::malformed, "negative size {}", declared);
    auto size = static_cast<std::uint64_t>(declared);
    if (size > limits_.max_file_size) {
      return make_error(ErrorCode::limit_exceeded, "declares {} bytes, over the limit of {} bytes per file", size,
                        limits_.max_file_size);
    }
    CAIRN_TRY(count_toward_total(size));

    int parent = CAIRN_TRY(parent_directory_of(path));
    std::string leaf(leaf_of(path));
    UniqueFd file(::openat(parent, leaf.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!file.valid()) return system_error("create file", errno);
    Node& node = nodes_.emplace(path, Node{NodeKind::file}).first->second;

    // Count what the archive actually delivers too, not only what it declared: the check that
    // stops a decompression bomb however its header lies.
    std::uint64_t written = 0;
    std::uint64_t counted = size;
    for (;;) {
      la_ssize_t got = archive_read_data(reader, buffer_.data(), buffer_.size());
      if (got < 0) return archive_error(ErrorCode::malformed, "read its content", reader);
      if (got == 0) break;
      auto block = static_cast<std::size_t>(got);
      written += block;
      if (written > limits_.max_file_size) {
        return make_error(ErrorCode::limit_exceeded, "holds more than the limit of {} bytes per file",
                          limits_.max_file_size);
      }
      if (written > counted) {  // more than declared: count the excess before writing it
        CAIRN_TRY(count_toward_total(written - counted));
        counted = written;
      }
      CAIRN_TRY(write_all(file.get(), std::string_view(buffer_.data(), block)).with_context("write file"));
    }
    counted_bytes_ -= counted - written;  // fewer than declared: give back the difference
    mode_t permissions = (archive_entry_perm(entry) & S_IXUSR) != 0 ? executable_permissions : file_permissions;
    if (::fchmod(file.get(), permissions) != 0) return system_error("chmod file", errno);
    node.size = written;
    ++files_;
    bytes_ += written;
    return {};
  }

  Result<void> extract_symlink(archive_entry* entry, const std::string& path) {
    const char* raw_target = archive_entry_symlink(entry);
    std::string target = raw_target != nullptr ? raw_target : "";
    if (target.empty()) return refused("symlink has an empty target");
    if (!is_valid_utf8(target)) {
      return refused(fmt::format("symlink target '{}' is not valid UTF-8", printable(target)));
    }
    if (target.front() == '/') {
      return refused(
          fmt::format("symlink target '{}' is absolute; links must stay inside the destination", printable(target)));
    }
    if (!symlink_stays_inside(path, target)) {
      return refused(fmt::format("symlink target '{}' leaves the destination", printable(target)));
    }
    CAIRN_TRY(refuse_duplicate(path));
    int parent = CAIRN_TRY(parent_directory_of(path));
    std::string leaf(leaf_of(path));
    if (::symlinkat(target.c_str(), parent, leaf.c_str()) != 0) return system_error("create symlink", errno);
    nodes_.emplace(path, Node{NodeKind::symlink, 0, target});
    symlinks_.push_back(path);
    return {};
  }

  Result<void> extract_hardlink(archive_entry* entry, const std::string& path, std::string_view raw_target) {
    std::string target =
        CAIRN_TRY(normalize_archive_path(raw_target, fmt::format("hardlink target '{}'", printable(raw_target))));
    if (target.empty()) return refused("hardlink target names the destination itself");
    if (archive_entry_size_is_set(entry) != 0 && archive_entry_size(entry) > 0) {
      return refused("hardlink carries data of its own (pax); only links to an extracted file are allowed");
    }
    auto existing = nodes_.find(target);
    if (existing == nodes_.end()) {
      return refused(
          fmt::format("hardlink target '{}' has not been extracted (a link must follow its file)", printable(target)));
    }
    if (existing->second.kind != NodeKind::file) {
      return refused(fmt::format("hardlink target '{}' is not a regular file", printable(target)));
    }
    std::uint64_t size = existing->second.size;  // copied: creating directories may rehash nodes_
    CAIRN_TRY(refuse_duplicate(path));
    // The tree holds the content once more: hashing it (and anyone reading it) costs as much.
    CAIRN_TRY(count_toward_total(size));
    UniqueFd target_parent = CAIRN_TRY(walk_to_directory(parent_of(target)));
    int parent = CAIRN_TRY(parent_directory_of(path));
    std::string target_leaf(leaf_of(target));
    std::string leaf(leaf_of(path));
    // linkat without AT_SYMLINK_FOLLOW never follows a symlink at the target either.
    if (::linkat(target_parent.get(), target_leaf.c_str(), parent, leaf.c_str(), 0) != 0) {
      return system_error("create hardlink", errno);
    }
    nodes_.emplace(path, Node{NodeKind::file, size});
    return {};
  }

  Result<void> count_toward_total(std::uint64_t size) {
    if (size > limits_.max_total_size || counted_bytes_ > limits_.max_total_size - size) {
      return make_error(ErrorCode::limit_exceeded, "the files would hold more than the limit of {} bytes in total",
                        limits_.max_total_size);
    }
    counted_bytes_ += size;
    return {};
  }

  // The directory that will hold `path`, created (with its parents) if the archive has not named
  // it yet. The last one is kept open: archives list a directory's entries together.
  Result<int> parent_directory_of(std::string_view path) {
    std::string_view parent = parent_of(path);
    if (parent.empty()) return root_fd_;
    if (!cached_parent_.valid() || parent != cached_parent_path_) {
      cached_parent_ = CAIRN_TRY(walk_to_directory(parent));
      cached_parent_path_ = parent;
    }
    return cached_parent_.get();
  }

  // Opens the directory at `path` ("" is the root) one component at a time, never following a
  // symlink, creating components that do not exist yet.
  Result<UniqueFd> walk_to_directory(std::string_view path) {
    UniqueFd current(::fcntl(root_fd_, F_DUPFD_CLOEXEC, 0));
    if (!current.valid()) return system_error("duplicate a descriptor", errno);
    if (path.empty()) return current;
    for (std::size_t slash = path.find('/');; slash = path.find('/', slash + 1)) {
      CAIRN_TRY(step_into(current, std::string(path.substr(0, slash))));
      if (slash == std::string_view::npos) break;
    }
    return current;
  }

  // Replaces `current` by its subdirectory named by the last component of `prefix`.
  Result<void> step_into(UniqueFd& current, const std::string& prefix) {
    auto existing = nodes_.find(prefix);
    if (existing == nodes_.end()) {
      current = CAIRN_TRY(create_directory(current.get(), prefix));
      return {};
    }
    if (existing->second.kind == NodeKind::symlink) {
      return refused(fmt::format("path passes through a symlink ('{}')", printable(prefix)));
    }
    if (existing->second.kind == NodeKind::file) {
      return refused(fmt::format("path passes through '{}', which is a file", printable(prefix)));
    }
    std::string name(leaf_of(prefix));
    UniqueFd next(::openat(current.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next.valid()) return system_error(fmt::format("open directory '{}'", printable(prefix)), errno);
    current = std::move(next);
    return {};
  }

  // Makes the directory `path` inside `parent_fd` with exactly 0755 (whatever the umask), records
  // it, and returns it open.
  Result<UniqueFd> create_directory(int parent_fd, const std::string& path) {
    std::string name(leaf_of(path));
    if (::mkdirat(parent_fd, name.c_str(), directory_permissions) != 0) {
      return system_error(fmt::format("create directory '{}'", printable(path)), errno);
    }
    nodes_.emplace(path, Node{NodeKind::directory});
    UniqueFd directory(::openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!directory.valid()) return system_error(fmt::format("open directory '{}'", printable(path)), errno);
    if (::fchmod(directory.get(), directory_permissions) != 0) {
      return system_error(fmt::format("chmod directory '{}'", printable(path)), errno);
    }
    return directory;
  }

  int root_fd_;
  ExtractLimits limits_;
  std::vector<char> buffer_;
  std::unordered_map<std::string, Node> nodes_;  // every path extracted, implied directories too
  std::vector<std::string> symlinks_;
  UniqueFd cached_parent_;
  std::string cached_parent_path_;
  std::uint64_t entries_ = 0;
  std::uint64_t files_ = 0;
  std::uint64_t bytes_ = 0;
  std::uint64_t counted_bytes_ = 0;  // bytes_ plus declared sizes not yet written plus hardlinks
};

// Refuses a destination that holds something: extraction never merges into or replaces content.
Result<void> check_destination_is_free(const fs::path& destination) {
  struct stat info {};
  if (::lstat(destination.c_str(), &info) != 0) {
    if (errno == ENOENT) return {};
    return system_error(fmt::format("stat {}", destination.string()), errno);
  }
  if (!S_ISDIR(info.st_mode)) {
    return make_error(ErrorCode::already_exists, "{}: destination exists and is not a directory", destination.string());
  }
  std::error_code error;
  bool empty = fs::is_empty(destination, error);
  if (error) return system_error(fmt::format("list {}", destination.string()), error.value());
  if (!empty) {
    return make_error(ErrorCode::already_exists,
                      "{}: destination exists and is not empty; extract into a new "
                      "or empty directory",
                      destination.string());
  }
  return {};
}

Result<ArchiveReadHandle> open_reader(int fd) {
  ArchiveReadHandle reader(archive_read_new());
  if (!reader) return make_error(ErrorCode::internal, "libarchive could not allocate a reader");
  archive* a = reader.get();
  // tar only (ustar, pax, GNU, v7); gzip or no compression. ARCHIVE_WARN from the gzip filter
  // would mean an external gzip program: refused, like every other format and filter.
  if (archive_read_support_format_tar(a) != ARCHIVE_OK || archive_read_support_filter_gzip(a) != ARCHIVE_OK ||
      archive_read_support_filter_none(a) != ARCHIVE_OK) {
    return archive_error(ErrorCode::internal, "set up the tar reader", a);
  }
  if (archive_read_open_fd(a, fd, copy_block_size) != ARCHIVE_OK) {
    return archive_error(ErrorCode::malformed, "not a tar or tar.gz archive", a);
  }
  return reader;
}

Result<ExtractReport> extract_into(const fs::path& archive_path, const fs::path& destination,
                                   const ExtractLimits& limits) {
  fs::path target = destination.has_filename() ? destination : destination.parent_path();  // "out/" is "out"
  std::string name = target.filename().string();
  if (name.empty() || name == "." || name == "..") {
    return make_error(ErrorCode::invalid_argument, "{}: not a usable destination; name a new directory",
                      destination.string());
  }
  fs::path parent = target.has_parent_path() ? target.parent_path() : fs::path(".");
  CAIRN_TRY(check_destination_is_free(target));

  UniqueFd archive_fd(::open(archive_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!archive_fd.valid()) {
    if (errno == ENOENT) return make_error(ErrorCode::not_found, "no such file");
    return system_error("open", errno);
  }
  ScopedLocale locale = CAIRN_TRY(ScopedLocale::use(name_locale));
  ArchiveReadHandle reader = CAIRN_TRY(open_reader(archive_fd.get()));

  // Beside the destination, so that the final rename stays on one file system; private (0700)
  // until complete, and removed with everything in it on any error.
  TemporaryDirectory staging = CAIRN_TRY(TemporaryDirectory::create("." + name + ".extract-", parent));
  UniqueFd root_fd(::open(staging.path().c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!root_fd.valid()) return system_error(fmt::format("open {}", staging.path().string()), errno);

  TreeExtractor extractor(root_fd.get(), limits);
  CAIRN_TRY(extractor.extract_entries(reader.get()));
  CAIRN_TRY(extractor.check_symlinks_resolve_inside());
  reader.reset();

  Digest tree = CAIRN_TRY(hash_tree(staging.path()));
  if (::fchmod(root_fd.get(), directory_permissions) != 0) {
    return system_error(fmt::format("chmod {}", staging.path().string()), errno);
  }
  // One syncfs instead of an fsync per file: the tree is durable before its name appears.
  if (::syncfs(root_fd.get()) != 0) return system_error(fmt::format("sync {}", staging.path().string()), errno);
  // rename() replaces an empty directory atomically, and fails if it has been filled meanwhile.
  if (::rename(staging.path().c_str(), target.c_str()) != 0) {
    int error = errno;
    if (error == ENOTEMPTY || error == EEXIST || error == ENOTDIR) {
      return make_error(ErrorCode::already_exists, "{}: destination appeared during extraction", target.string());
    }
    return system_error(fmt::format("rename {} to {}", staging.path().string(), target.string()), error);
  }
  staging.release();
  CAIRN_TRY(sync_directory(parent));
  return ExtractReport{
      .entries = extractor.entries(), .files = extractor.files(), .bytes = extractor.bytes(), .tree = tree};
}

}  // namespace

Result<ExtractReport> extract_archive(const fs::path& archive, const fs::path& destination,
                                      const ExtractLimits& limits) {
  return extract_into(archive, destination, limits).with_context(archive.string());
}

}  // namespace cairn::reproducibility
