// The content-addressed store of library trees: $XDG_CACHE_HOME/cairn/store/<tree hex>/ (default
// ~/.cache/cairn/store/), filled from a library's archive and trusted only by its tree digest.
//
// Filling: download the archive (at most its signed size) -> check its size and digest ->
// extract it safely beside the final path -> its tree digest must equal the entry's -> rename
// into place. An existing store path counts only when a fresh tree hash of it matches.
#pragma once

#include "cairn/core/result.h"
#include "cairn/manifest/metadata.h"
#include "cairn/manifest/repository.h"

#include <filesystem>

namespace cairn::manifest {

// $XDG_CACHE_HOME/cairn/store (or ~/.cache/cairn/store).
Result<std::filesystem::path> store_directory();

// The verified tree of `entry` in the store at `store` (empty: store_directory()), downloading
// its archive from `repository` if needed. Errors name the library.
Result<std::filesystem::path> fetch_library(const Repository& repository, const LibraryEntry& entry,
                                            const std::filesystem::path& store = {});

}  // namespace cairn::manifest
