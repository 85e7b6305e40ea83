// The host-side fuzz targets: one per reader of untrusted input on the host. Each runs the reader
// on the input and, for what it accepts, checks invariants that must hold (a canonical form is a
// fixed point, what is written reads back the same, a signature verifies only if the pinned key
// made it, an archive writes nothing outside its destination...); a broken invariant aborts.
// libFuzzer runs each through fuzz_main.cc; host_corpus_replay_test replays the corpora in
// tests/fuzz/corpus/<name>/ through the same functions in every build.
#pragma once

#include "fuzz_targets.h"  // Target

#include <cstddef>
#include <cstdint>

namespace cairn::fuzz {

// core/: parse_json, parse_canonical_json and canonical_json.
int fuzz_canonical_json(const std::uint8_t* data, std::size_t size);
// manifest/: the four signed documents and the readers of their signed parts.
int fuzz_metadata(const std::uint8_t* data, std::size_t size);
// manifest/: library.json, unikernel.json and cairn.lock.
int fuzz_library_json(const std::uint8_t* data, std::size_t size);
int fuzz_unikernel_json(const std::uint8_t* data, std::size_t size);
int fuzz_lock(const std::uint8_t* data, std::size_t size);
// manifest/: source globs; the input is the glob, a newline, then the path.
int fuzz_glob(const std::uint8_t* data, std::size_t size);
// manifest/: versions and constraints, one per line.
int fuzz_semver(const std::uint8_t* data, std::size_t size);
// signing/: DSSE envelopes, verified against one pinned Ed25519 key.
int fuzz_dsse(const std::uint8_t* data, std::size_t size);
// An spt image as cairn-spt validates it and as `cairn image inspect` reads it.
int fuzz_image(const std::uint8_t* data, std::size_t size);
// reproducibility/: extraction of a tar or tar.gz archive.
int fuzz_archive(const std::uint8_t* data, std::size_t size);
// registry/: tile paths, checkpoints, signed notes, entry bundles and verifier keys.
int fuzz_log(const std::uint8_t* data, std::size_t size);
// registry/: the server's request readers (paths, Range, Content-Range, log entries, manifests).
int fuzz_registry_requests(const std::uint8_t* data, std::size_t size);

inline constexpr Target host_targets[] = {
    {"canonical_json", fuzz_canonical_json},
    {"metadata", fuzz_metadata},
    {"library_json", fuzz_library_json},
    {"unikernel_json", fuzz_unikernel_json},
    {"lock", fuzz_lock},
    {"glob", fuzz_glob},
    {"semver", fuzz_semver},
    {"dsse", fuzz_dsse},
    {"image", fuzz_image},
    {"archive", fuzz_archive},
    {"log", fuzz_log},
    {"registry_requests", fuzz_registry_requests},
};

}  // namespace cairn::fuzz
