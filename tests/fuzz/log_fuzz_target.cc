// The fuzz target of the transparency log's readers (host_fuzz_targets.h): every request or
// document a log client or the registry parses, given the same bytes. What is accepted must be
// written back as the very same bytes (a tile path, a checkpoint, an entry bundle, a verifier
// key); a note opens only with a signature by the pinned log key, and what it returns is the
// signed text at the start of the input.
#include "cairn/registry/checkpoint.h"
#include "cairn/registry/tiles.h"
#include "host_fuzz_support.h"
#include "host_fuzz_targets.h"

#include <string>

namespace cairn::fuzz {

namespace {

// The log key of the corpus's signed notes: the Ed25519 key with 32 bytes 'k' as its seed, named
// "example.org/log" (as tests/registry/log_vectors signs).
const registry::NoteVerifier& pinned_log_key() {
  static const registry::NoteVerifier verifier = [] {
    auto key = signing::Ed25519PrivateKey::from_seed(std::string(32, 'k'));
    if (!key.ok()) broken("the log key", key.error().message());
    auto parsed = registry::parse_verifier_key(registry::verifier_key("example.org/log", key->public_key()));
    if (!parsed.ok()) broken("the log's own verifier key", parsed.error().message());
    return *parsed;
  }();
  return verifier;
}

bool check_log(std::string_view input) {
  bool accepted = false;
  if (auto tile = registry::parse_tile_path(input); tile.ok()) {
    accepted = true;
    require(registry::tile_path(*tile) == input, "a tile path that parses is written back otherwise");
  }
  if (auto checkpoint = registry::parse_checkpoint(input); checkpoint.ok()) {
    accepted = true;
    auto written = registry::format_checkpoint(*checkpoint);
    require(written.ok() && *written == input, "a checkpoint that parses is written back otherwise");
  }
  if (auto entries = registry::parse_entry_bundle(input); entries.ok()) {
    accepted = true;
    auto written = registry::entry_bundle(*entries);
    require(written.ok() && *written == input, "an entry bundle that parses is written back otherwise");
  }
  if (auto verifier = registry::parse_verifier_key(input); verifier.ok()) {
    accepted = true;
    require(registry::verifier_key(verifier->name, verifier->key) == input, "a verifier key is written back otherwise");
  }
  if (auto text = registry::open_note(input, pinned_log_key()); text.ok()) {
    accepted = true;
    require(input.starts_with(*text) && input.substr(text->size()).starts_with("\n"),
            "an opened note's text is not the start of the note");
  }
  return accepted;
}

}  // namespace

int fuzz_log(const std::uint8_t* data, std::size_t size) {
  return record_outcome(check_log(as_text(data, size)));
}

}  // namespace cairn::fuzz
