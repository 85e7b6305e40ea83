// Where manifest files come from: a folder, a file:// URL or an http(s):// URL, read with a size
// limit and a time limit on every file (TUF's endless-data and slow-retrieval attacks), through
// core's HTTP client (core/http.h).
#pragma once

#include "cairn/core/http.h"
#include "cairn/core/result.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace cairn::manifest {

// TUF's per-document size limits.
inline constexpr std::uint64_t max_root_size = 64 << 10;
inline constexpr std::uint64_t max_timestamp_size = 64 << 10;
inline constexpr std::uint64_t max_entry_size = 1 << 20;

class Repository {
 public:
  // A folder path, file://PATH, or http(s)://HOST/PATH (a trailing '/' is optional).
  static Result<Repository> open(std::string_view location, TransferLimits limits = {});

  // The file at `relative` (e.g. "snapshot.json"), at most `max_size` bytes. A missing file is
  // not_found; a larger one is limit_exceeded.
  Result<std::string> fetch(std::string_view relative, std::uint64_t max_size) const;
  // Downloads `reference` (an absolute URL or a path relative to the repository) to `destination`.
  Result<void> download(std::string_view reference, const std::filesystem::path& destination,
                        std::uint64_t max_size) const;

  const std::string& location() const { return location_; }
  bool is_remote() const { return !base_url_.empty(); }
  // The folder of a local repository (empty for a remote one).
  const std::filesystem::path& directory() const { return directory_; }

 private:
  std::string location_;
  std::string base_url_;  // "http://host/path/" for remote repositories
  std::filesystem::path directory_;
  TransferLimits limits_;
};

}  // namespace cairn::manifest
