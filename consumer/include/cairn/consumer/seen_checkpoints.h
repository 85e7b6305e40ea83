// The newest checkpoint this client has seen of each transparency log, and the check that every
// checkpoint it is shown later is consistent with it: what stops a log from showing one consumer
// a tree and another consumer a different one (a fork) without being caught.
//
// One file per log, <directory>/<hex of SHA-256 of the log's verifier key>.checkpoint, holding the
// signed note; replaced atomically, under a lock, and only by a newer checkpoint proven to extend
// it (RFC 9162 consistency proof).
#pragma once

#include "cairn/core/result.h"
#include "cairn/registry/checkpoint.h"
#include "cairn/registry/merkle.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::consumer {

// Asks the log for the consistency proof between tree sizes (first, second), first <= second;
// nullopt when there is no log to ask (offline).
using ConsistencyProver =
    std::function<Result<std::optional<std::vector<registry::Hash>>>(std::uint64_t first, std::uint64_t second)>;

struct WitnessOutcome {
  enum class Kind {
    first,     // nothing was seen of this log before; this checkpoint is now the newest seen
    same,      // the checkpoint seen before, again
    extended,  // newer than the one seen before, proven consistent; now the newest seen
    older,     // older than the one seen before and proven a prefix of it (kept the newer)
    unproven,  // another size than the one seen before, and no log to ask for a proof
  };
  Kind kind = Kind::first;
  std::uint64_t seen_size = 0;  // the size seen before (0 for first)
  std::filesystem::path file;
};

// Checks `note` (a checkpoint signed by `verifier`, already opened into `checkpoint`) against the
// newest checkpoint seen of the log `vkey`, kept in `directory`. Refused, naming both checkpoints
// and the file, when the two cannot both be honest: the same size with another root, a proof
// that does not verify, another origin under the same key. The log's refusal to give a proof
// is an error too.
Result<WitnessOutcome> witness_checkpoint(const std::filesystem::path& directory, std::string_view vkey,
                                          const registry::NoteVerifier& verifier, std::string_view note,
                                          const registry::Checkpoint& checkpoint, const ConsistencyProver& prove);

}  // namespace cairn::consumer
