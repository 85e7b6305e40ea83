// Deterministic tar.gz archives of trees, and their safe extraction.
//
// create_archive writes bytes that depend only on the tree (see core/tree.h): two checkouts
// of the same library, made at different times by different users in different folders, pack to
// the same bytes and so to the same digest. extract_archive is the other half: it unpacks an
// archive from anywhere without letting it write outside the destination, create devices, or
// fill the disk, and it leaves either the whole tree or nothing.
#pragma once

#include "cairn/core/digest.h"
#include "cairn/core/result.h"

#include <cstdint>
#include <filesystem>
#include <optional>

namespace cairn::reproducibility {

struct ArchiveOptions {
  std::int64_t mtime = 0;  // every entry's mtime: SOURCE_DATE_EPOCH, or 0
};

// Reads SOURCE_DATE_EPOCH: nullopt when unset; an error when set but not a non-negative decimal
// integer (seconds since 1970-01-01 UTC), so that a typo never silently changes the archive.
Result<std::optional<std::int64_t>> source_date_epoch_from_environment();

// Writes a deterministic tar.gz of the tree at `root` to `output` (atomically via AtomicFile) and
// returns the tree digest of exactly the bytes it archived (equal to hash_tree(root)).
Result<Digest> create_archive(const std::filesystem::path& root, const std::filesystem::path& output,
                              const ArchiveOptions& options = {});

struct ExtractLimits {
  std::uint64_t max_file_size = 1ull << 30;   // per entry, bytes
  std::uint64_t max_total_size = 4ull << 30;  // sum of all file bytes (a hardlink counts its file again)
  std::uint64_t max_entries = 1'000'000;
};

struct ExtractReport {
  std::uint64_t entries = 0;  // archive entries read, of every type
  std::uint64_t files = 0;    // regular files written (hardlinks to them not counted)
  std::uint64_t bytes = 0;    // bytes written into those files
  Digest tree;                // hash_tree of the extracted tree
};

// Safely extracts a tar or tar.gz into `destination`, which must not exist or be an empty
// directory; on any error nothing is left there (nor any temporary directory beside it).
Result<ExtractReport> extract_archive(const std::filesystem::path& archive, const std::filesystem::path& destination,
                                      const ExtractLimits& limits = {});

}  // namespace cairn::reproducibility
