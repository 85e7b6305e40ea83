// Where the trees of a lock's libraries come from, each checked against its signed entry before
// anything uses it: a checkout (`--sources`: folders holding library.json, as the in-repo
// kernel/ and protocols/ libraries are) or the content-addressed store (store.h), filled from the
// library's signed archive.
#pragma once

#include "cairn/core/result.h"
#include "cairn/manifest/client.h"
#include "cairn/manifest/lock.h"

#include <filesystem>
#include <map>
#include <string>

namespace cairn::manifest {

// The verified folder of every library in `lock`, by name: its folder in `checkout` (when not
// empty and it holds the library) after verify_library_tree, else its store folder after
// fetch_library. A library with neither is left out; one whose tree differs from its signed entry
// is refused, naming the library and the file. `verified` must be what `lock` was checked against.
Result<std::map<std::string, std::filesystem::path>> verify_sources(const Repository& repository,
                                                                    const VerifiedRepository& verified,
                                                                    const LockFile& lock,
                                                                    const std::filesystem::path& checkout);

}  // namespace cairn::manifest
