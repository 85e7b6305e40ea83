// Trees: the content of a library's source folder, and its digest.
//
// A tree is the sorted list of its files and symbolic links, each with a relative path, a mode
// (file, executable file, symlink) and the SHA-256 of its content (of the link target, for a
// symlink). Nothing else counts: timestamps, owners, permission bits other than the owner's
// execute bit, the order in which entries were created, the folder the tree sits in. Directories
// are implied by the paths inside them, so an empty directory is not part of a tree (as in Git).
//
// The tree digest is SHA-256 over (all strings are bytes, no separators beyond those shown):
//
//   "cairn-tree-v1\n"
//   for each entry, in byte-wise order of path:
//     <mode> " " <64 hex of the content's SHA-256> " " <path> "\0"
//
// where <mode> is "file", "exec" or "symlink". The NUL ends each path, which may hold any
// character but NUL and must be valid UTF-8. Devices, sockets and FIFOs are refused.
#pragma once

#include "cairn/core/digest.h"
#include "cairn/core/result.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn {

enum class EntryMode { file, executable, symlink };

// "file", "exec" or "symlink": the spelling used in the tree digest.
std::string_view to_string(EntryMode mode);

struct TreeEntry {
  std::string path;  // relative, '/'-separated, no "." or ".." components
  EntryMode mode = EntryMode::file;
  std::string symlink_target;            // only for symlinks: the link's text, never followed
  std::uint64_t size = 0;                // only for files: size in bytes when scanned
  std::optional<Digest> content_digest;  // SHA-256 of content or link target, if computed
};

struct ScanOptions {
  // Hash every file while scanning. Off for callers that read the files themselves anyway
  // (archive creation hashes the bytes as it archives them).
  bool compute_digests = true;
  // Leaves out the entries (and whole folders) for which it returns true, given their relative
  // path, before reading them: an app folder's _build/, say.
  std::function<bool(std::string_view path, bool is_directory)> exclude;
};

// Trees deeper than this many levels are refused (by scanning, archiving and extraction alike).
inline constexpr std::size_t max_tree_depth = 256;

// Lists the tree rooted at `root` (a directory; a symlink naming one is followed), sorted by
// path bytes. Symlinks inside are recorded, never followed. Refuses special files and names that
// are not valid UTF-8, naming the offending path.
Result<std::vector<TreeEntry>> scan_tree(const std::filesystem::path& root, ScanOptions options = {});

// Remembered file digests, by path and by what stat(2) says of the file (size, inode, mtime and
// ctime, which no one can set back): a file whose stat is unchanged is not read again, as Git's
// index and ccache trust it. Kept in a JSON file between runs; not thread-safe.
class DigestMemo {
 public:
  // An empty memo that load() fills from `file` (a missing or unreadable file is an empty memo).
  explicit DigestMemo(std::filesystem::path file = {}) : file_(std::move(file)) {}
  void load();
  // Writes what was used or learnt in this run, if anything was learnt (only a memo: a failure
  // costs time, not correctness).
  void save() const;

  // The digest of the open file `fd` at `path`, remembered or read.
  Result<Digest> digest(const std::filesystem::path& path, int fd);

 private:
  struct Known {
    std::string stat;
    Digest digest;
    bool used = false;
  };
  std::filesystem::path file_;
  std::map<std::string, Known> known_;
  bool changed_ = false;
};

// Computes the content digest of every file entry of `entries` (scanned from `root` without
// digests) that lacks one, refusing a file that is no longer a regular file; through `memo`
// when given.
Result<void> fill_digests(const std::filesystem::path& root, std::vector<TreeEntry>& entries,
                          DigestMemo* memo = nullptr);

// The tree digest of entries that carry content digests (see the format above). The entries
// must be sorted by path and unique, as scan_tree returns them.
Result<Digest> tree_digest(const std::vector<TreeEntry>& entries);

// scan_tree + tree_digest.
Result<Digest> hash_tree(const std::filesystem::path& root);

// Checks that `path` is a relative path in normal form ("a/b/c": no empty, "." or ".."
// components, no leading or trailing '/') and valid UTF-8. Returns a reason when it is not.
std::optional<std::string> check_relative_path(std::string_view path);

// Whether a symlink at `link_path` (a relative path in normal form) whose text is `target`
// points inside the tree when read against the link's directory: relative, and never climbing
// above the root with "..". Links it passes through are not followed (the text alone decides).
bool symlink_stays_inside(std::string_view link_path, std::string_view target);

}  // namespace cairn
