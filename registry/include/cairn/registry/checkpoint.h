// Checkpoints of the transparency log as C2SP signed notes.
//
// A checkpoint (C2SP tlog-checkpoint) is the note text
//   <origin>\n<tree size, decimal>\n<root hash, standard base64>\n[<extension line>\n...]
// A signed note (C2SP signed-note) is that text, a blank line, and one or more lines
//   — <key name> <base64(4-byte key id || signature)>\n
// (U+2014 EM DASH, a space), each an Ed25519 signature over the text, final newline included.
// The key id is the first 4 bytes of SHA-256(key name || "\n" || 0x01 || public key), and a
// verifier key is written <key name>+<8 hex of the key id>+<base64(0x01 || public key)>, the
// form the log serves at /log/vkey.
#pragma once

#include "cairn/core/result.h"
#include "cairn/registry/merkle.h"
#include "cairn/signing/ed25519.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::registry {

inline constexpr std::size_t max_note_size = 1 << 20;
inline constexpr std::size_t max_note_signatures = 100;

struct Checkpoint {
  std::string origin;  // the log's name, e.g. "registry.example.org/log"
  std::uint64_t size = 0;
  Hash root{};
  std::vector<std::string> extensions;  // further lines, without their newlines
};

// The note text of `checkpoint` (refused when the origin or an extension is empty or holds a
// newline).
Result<std::string> format_checkpoint(const Checkpoint& checkpoint);
// Parses a checkpoint's note text strictly (decimal size without leading zeros, a 32-byte root).
Result<Checkpoint> parse_checkpoint(std::string_view text);

// A note key: a name (non-empty, no spaces, no '+') and an Ed25519 key.
std::uint32_t note_key_id(std::string_view name, const signing::Ed25519PublicKey& key);
// "<name>+<8 hex>+<base64(0x01 || key)>".
std::string verifier_key(std::string_view name, const signing::Ed25519PublicKey& key);

struct NoteVerifier {
  std::string name;
  std::uint32_t key_id = 0;
  signing::Ed25519PublicKey key;
};
// Parses a verifier key string (Ed25519 only), checking that its id matches its name and key.
Result<NoteVerifier> parse_verifier_key(std::string_view text);

// `text` (which must end in a newline, hold no blank line and be valid UTF-8) signed by `key`
// under `name`.
Result<std::string> sign_note(std::string_view text, std::string_view name, const signing::Ed25519PrivateKey& key);
// The text of `note` when it carries a good signature by `verifier`; lines of other keys are
// ignored, and a bad signature by `verifier` refuses the whole note.
Result<std::string> open_note(std::string_view note, const NoteVerifier& verifier);

}  // namespace cairn::registry
