// The newest checkpoint seen of each log (see seen_checkpoints.h).
#include "cairn/consumer/seen_checkpoints.h"

#include "cairn/core/digest.h"
#include "cairn/core/file.h"
#include "cairn/core/file_lock.h"

#include <fmt/format.h>

namespace cairn::consumer {

namespace fs = std::filesystem;
using registry::Checkpoint;
using registry::Hash;

namespace {

std::string describe(const Checkpoint& checkpoint) {
  return fmt::format("{} size {} root {}", checkpoint.origin, checkpoint.size, registry::to_base64(checkpoint.root));
}

}  // namespace

Result<WitnessOutcome> witness_checkpoint(const fs::path& directory, std::string_view vkey,
                                          const registry::NoteVerifier& verifier, std::string_view note,
                                          const Checkpoint& checkpoint, const ConsistencyProver& prove) {
  std::error_code error;
  fs::create_directories(directory, error);
  if (error) return make_error(ErrorCode::io, "{}: {}", directory.string(), error.message());
  std::string name = Digest::sha256_of(vkey).hex();
  WitnessOutcome outcome;
  outcome.file = directory / (name + ".checkpoint");
  FileLock lock = CAIRN_TRY(FileLock::acquire(directory / (name + ".lock"), "recording a log checkpoint"));

  if (!fs::exists(outcome.file, error)) {
    CAIRN_TRY(write_file_atomically(outcome.file, note));
    return outcome;
  }
  std::string seen_note = CAIRN_TRY(read_file(outcome.file, registry::max_note_size));
  Result<std::string> opened = registry::open_note(seen_note, verifier);
  if (!opened.ok()) {
    return std::move(opened).error().with_context(
        fmt::format("the checkpoint seen before ({}) no longer verifies with the log key", outcome.file.string()));
  }
  Checkpoint seen = CAIRN_TRY(registry::parse_checkpoint(*opened));
  outcome.seen_size = seen.size;
  auto fork = [&](std::string_view why) {
    return make_error(ErrorCode::refused,
                      "the log forked: the checkpoint {} is not consistent with the checkpoint {} seen before (kept "
                      "in {}): {}",
                      describe(checkpoint), describe(seen), outcome.file.string(), why);
  };
  if (seen.origin != checkpoint.origin) return fork("their origins differ under one key");
  if (seen.size == checkpoint.size) {
    if (seen.root != checkpoint.root) return fork("the same size with another root");
    outcome.kind = WitnessOutcome::Kind::same;
    return outcome;
  }
  bool newer = checkpoint.size > seen.size;
  const Checkpoint& small = newer ? seen : checkpoint;
  const Checkpoint& large = newer ? checkpoint : seen;
  if (small.size == 0) {
    // The empty tree is a prefix of every tree.
  } else {
    // A log that cannot prove the two consistent is treated as having forked: an honest log can
    // prove any of its sizes a prefix of any larger one.
    Result<std::optional<std::vector<Hash>>> proof = prove(small.size, large.size);
    if (!proof.ok()) return fork(fmt::format("no consistency proof from the log: {}", proof.error().message()));
    if (!*proof) {
      outcome.kind = WitnessOutcome::Kind::unproven;
      return outcome;
    }
    Result<void> consistent = registry::verify_consistency(small.size, large.size, small.root, large.root, **proof);
    if (!consistent.ok()) return fork(consistent.error().message());
  }
  if (!newer) {
    outcome.kind = WitnessOutcome::Kind::older;
    return outcome;
  }
  CAIRN_TRY(write_file_atomically(outcome.file, note));
  outcome.kind = WitnessOutcome::Kind::extended;
  return outcome;
}

}  // namespace cairn::consumer
