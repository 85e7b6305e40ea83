// Where Cairn keeps what outlives one command, following the XDG Base Directory specification
// with one rule for every folder: $XDG_<KIND>_HOME/cairn when that variable holds an absolute
// path (a relative one is invalid and ignored, as the specification says), else
// $HOME/<default>/cairn when $HOME is an absolute path, else an error naming both variables.
#pragma once

#include "cairn/core/result.h"

#include <filesystem>

namespace cairn {

// $XDG_STATE_HOME/cairn, else ~/.local/state/cairn: trust state, development keys and manifests.
Result<std::filesystem::path> state_directory();
// $XDG_CACHE_HOME/cairn, else ~/.cache/cairn: the store, GnuPG homes of pinned keys. Safe to delete.
Result<std::filesystem::path> cache_directory();

}  // namespace cairn
