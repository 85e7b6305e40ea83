// `cairn build`: from an app folder (unikernel.json, its sources) and a signed manifest to a
// bit-for-bit reproducible image with its provenance. The steps, in order:
//   1. read unikernel.json strictly;
//   2. resolve and verify as `cairn lock` does (writing cairn.lock), or, with `locked`, take
//      cairn.lock alone: no manifest, no network, no clock;
//   3. copy every library tree, and the app's, into the content-addressed store, checking each
//      copy against its signed (or locked) tree digest;
//   4. generate the start-up glue (the device header, the ELF notes);
//   5. run the action graph: a compile per translation unit, a link, each in the sandbox and
//      answered from the action cache when it can be;
//   6. write <out>/<name>.spt, provenance.json, cairn.lock and build.log.
// See builder/README.md for the layout inside the sandbox and the cache keys.
#pragma once

#include "cairn/core/digest.h"
#include "cairn/core/result.h"
#include "cairn/manifest/client.h"

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace cairn::builder {

struct BuildOptions {
  std::filesystem::path app = ".";     // the folder holding unikernel.json
  manifest::ManifestRequest manifest;  // where the manifest is (not used when locked)
  bool locked = false;                 // build from cairn.lock alone
  std::filesystem::path sources;       // a checkout holding library folders (else the store)
  unsigned jobs = 0;                   // 0: one per core
  std::filesystem::path out;           // empty: <app>/_build/<name>
  bool keep_going = false;
  bool sandbox = true;          // false: --no-sandbox (recorded in the provenance)
  std::filesystem::path cache;  // empty: $XDG_CACHE_HOME/cairn/actions
  std::string compiler = "g++";
  // Progress lines ("[3/12] compile udp/src/udp.cc"), and notes ("cairn: note: ...").
  std::function<void(std::string_view line)> on_progress;
  // The compiler's own output of an action, as it ran (warnings, errors).
  std::function<void(std::string_view output)> on_output;
};

struct BuildReport {
  std::filesystem::path image;
  Digest image_digest = Digest::sha256_of("");
  std::filesystem::path provenance;
  std::size_t actions = 0;
  std::size_t ran = 0;
  std::size_t cached = 0;
  double seconds = 0;
};

Result<BuildReport> build_unikernel(const BuildOptions& options);

}  // namespace cairn::builder
