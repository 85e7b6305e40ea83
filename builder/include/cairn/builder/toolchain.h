// The unikernel toolchain as it actually is on this machine: the g++ driver and every program it
// runs for a compile and a link (cc1plus, as, collect2, ld), each by its real path and SHA-256,
// and the Debian packages that own them, with their versions. Its identity digest goes into every
// action's cache key and the provenance records it, so an image says exactly what built it.
#pragma once

#include "cairn/core/canonical_json.h"
#include "cairn/core/digest.h"
#include "cairn/core/result.h"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace cairn::builder {

struct ToolchainProgram {
  std::string role;            // "driver", "cc1plus", "as", "collect2", "ld"
  std::filesystem::path path;  // the real path (symlinks resolved)
  Digest digest = Digest::sha256_of("");
};

struct Toolchain {
  std::filesystem::path driver;  // what actions run: the driver's path as found (e.g. /usr/bin/g++)
  std::string version;           // `g++ -dumpfullversion`
  std::vector<ToolchainProgram> programs;
  std::map<std::string, std::string> packages;  // Debian package -> version; empty without dpkg
  Digest identity = Digest::sha256_of("");      // of the canonical JSON of everything above

  Json to_json() const;
};

// Finds the toolchain behind `driver` (a path, or a name searched in PATH). `cache_file`, when not
// empty, remembers the digests by each program's (size, mtime, inode), so that an unchanged
// toolchain is not read again on every build.
Result<Toolchain> find_toolchain(const std::string& driver = "g++", const std::filesystem::path& cache_file = {});

}  // namespace cairn::builder
