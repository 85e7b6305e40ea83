// Checkpoints and C2SP signed notes (see checkpoint.h).
#include "cairn/registry/checkpoint.h"

#include "cairn/core/base64.h"
#include "cairn/core/digest.h"
#include "cairn/core/utf8.h"

#include <charconv>

namespace cairn::registry {

namespace {

constexpr std::string_view em_dash = "\xE2\x80\x94";  // U+2014
constexpr char ed25519_signature_type = 0x01;

Error malformed(std::string_view what) {
  return make_error(ErrorCode::malformed, "{}", what);
}

bool is_key_name(std::string_view name) {
  if (name.empty() || !is_valid_utf8(name)) return false;
  for (unsigned char c : name) {
    if (c <= ' ' || c == '+' || c == 0x7f) return false;
  }
  return true;
}

std::string key_id_bytes(std::uint32_t id) {
  return {static_cast<char>(id >> 24), static_cast<char>(id >> 16), static_cast<char>(id >> 8), static_cast<char>(id)};
}

// Splits `text` at '\n' into its lines; the last element is what follows the final newline.
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  for (std::size_t newline; (newline = text.find('\n', start)) != std::string_view::npos; start = newline + 1) {
    lines.push_back(text.substr(start, newline - start));
  }
  lines.push_back(text.substr(start));
  return lines;
}

}  // namespace

Result<std::string> format_checkpoint(const Checkpoint& checkpoint) {
  auto bad_line = [](std::string_view line) {
    return line.empty() || line.find('\n') != std::string_view::npos || !is_valid_utf8(line);
  };
  if (bad_line(checkpoint.origin)) return malformed("a checkpoint's origin must be one non-empty line");
  std::string text = fmt::format("{}\n{}\n{}\n", checkpoint.origin, checkpoint.size, to_base64(checkpoint.root));
  for (const auto& extension : checkpoint.extensions) {
    if (bad_line(extension)) return malformed("a checkpoint's extension must be one non-empty line");
    text += extension + "\n";
  }
  return text;
}

Result<Checkpoint> parse_checkpoint(std::string_view text) {
  if (text.size() > max_note_size) return malformed("checkpoint: larger than 1 MiB");
  if (!is_valid_utf8(text)) return malformed("checkpoint: not UTF-8");
  std::vector<std::string_view> lines = split_lines(text);
  if (!lines.back().empty()) return malformed("checkpoint: the text does not end with a newline");
  lines.pop_back();
  if (lines.size() < 3) return malformed("checkpoint: fewer than three lines (origin, size, root)");
  Checkpoint checkpoint;
  checkpoint.origin = std::string(lines[0]);
  if (checkpoint.origin.empty()) return malformed("checkpoint: an empty origin");
  std::string_view size = lines[1];
  if (size.empty() || (size.size() > 1 && size[0] == '0') ||
      size.find_first_not_of("0123456789") != std::string_view::npos) {
    return malformed(fmt::format("checkpoint: tree size '{}' is not a decimal number", size));
  }
  auto [end, error] = std::from_chars(size.data(), size.data() + size.size(), checkpoint.size);
  if (error != std::errc() || end != size.data() + size.size()) {
    return malformed(fmt::format("checkpoint: tree size '{}' is out of range", size));
  }
  checkpoint.root = CAIRN_TRY(hash_from_base64(lines[2]).with_context("checkpoint: root hash"));
  for (std::size_t i = 3; i < lines.size(); ++i) {
    if (lines[i].empty()) return malformed("checkpoint: an empty extension line");
    checkpoint.extensions.emplace_back(lines[i]);
  }
  return checkpoint;
}

std::uint32_t note_key_id(std::string_view name, const signing::Ed25519PublicKey& key) {
  std::string data(name);
  data.push_back('\n');
  data.push_back(ed25519_signature_type);
  data += key.raw();
  Digest hash = Digest::sha256_of(data);
  std::span<const std::uint8_t> digest = hash.bytes();
  return std::uint32_t{digest[0]} << 24 | std::uint32_t{digest[1]} << 16 | std::uint32_t{digest[2]} << 8 |
         std::uint32_t{digest[3]};
}

std::string verifier_key(std::string_view name, const signing::Ed25519PublicKey& key) {
  std::string typed(1, ed25519_signature_type);
  typed += key.raw();
  return fmt::format("{}+{:08x}+{}", name, note_key_id(name, key), base64_encode(typed));
}

Result<NoteVerifier> parse_verifier_key(std::string_view text) {
  auto parsed = [&]() -> Result<NoteVerifier> {
    std::size_t first = text.find('+');
    std::size_t second = first == std::string_view::npos ? first : text.find('+', first + 1);
    if (second == std::string_view::npos) return malformed("expected <name>+<key id>+<key>");
    std::string_view name = text.substr(0, first), id = text.substr(first + 1, second - first - 1);
    if (!is_key_name(name)) return malformed(fmt::format("'{}' is not a key name", name));
    if (id.size() != 8 || id.find_first_not_of("0123456789abcdef") != std::string_view::npos) {
      return malformed(fmt::format("key id '{}' is not 8 lower-case hex digits", id));
    }
    std::string typed = CAIRN_TRY(base64_decode(text.substr(second + 1)));
    if (typed.empty() || typed[0] != ed25519_signature_type) {
      return make_error(ErrorCode::unsupported, "only Ed25519 verifier keys (type 0x01) are supported");
    }
    signing::Ed25519PublicKey key = CAIRN_TRY(signing::Ed25519PublicKey::from_raw(std::string_view(typed).substr(1)));
    NoteVerifier verifier{std::string(name), 0, key};
    std::from_chars(id.data(), id.data() + id.size(), verifier.key_id, 16);
    if (verifier.key_id != note_key_id(name, key)) {
      return make_error(ErrorCode::refused, "key id {} does not belong to this name and key", id);
    }
    return verifier;
  };
  return parsed().with_context("verifier key");
}

Result<std::string> sign_note(std::string_view text, std::string_view name, const signing::Ed25519PrivateKey& key) {
  if (!is_key_name(name)) return malformed(fmt::format("'{}' is not a key name", name));
  if (text.empty() || text.back() != '\n') return malformed("a note's text must end with a newline");
  if (text.find("\n\n") != std::string_view::npos) return malformed("a note's text must not hold a blank line");
  if (!is_valid_utf8(text)) return malformed("a note's text must be UTF-8");
  signing::Signature signature = CAIRN_TRY(key.sign(text));
  std::string blob = key_id_bytes(note_key_id(name, key.public_key())) + signature.bytes;
  return fmt::format("{}\n{} {} {}\n", text, em_dash, name, base64_encode(blob));
}

Result<std::string> open_note(std::string_view note, const NoteVerifier& verifier) {
  if (note.size() > max_note_size) return malformed("note: larger than 1 MiB");
  if (!is_valid_utf8(note)) return malformed("note: not UTF-8");
  std::size_t split = note.rfind("\n\n");
  if (split == std::string_view::npos) return malformed("note: no blank line before the signatures");
  std::string_view text = note.substr(0, split + 1);
  std::vector<std::string_view> lines = split_lines(note.substr(split + 2));
  if (!lines.back().empty()) return malformed("note: the signatures do not end with a newline");
  lines.pop_back();
  if (lines.empty()) return malformed("note: no signature");
  if (lines.size() > max_note_signatures) return malformed("note: more than 100 signatures");
  for (std::string_view line : lines) {
    if (!line.starts_with(em_dash) || line.size() < em_dash.size() + 1 || line[em_dash.size()] != ' ') {
      return malformed("note: a signature line does not start with an em dash and a space");
    }
    std::string_view rest = line.substr(em_dash.size() + 1);
    std::size_t space = rest.find(' ');
    if (space == std::string_view::npos) return malformed("note: a signature line without a signature");
    std::string_view name = rest.substr(0, space);
    if (!is_key_name(name)) return malformed(fmt::format("note: '{}' is not a key name", name));
    std::string blob = CAIRN_TRY(base64_decode(rest.substr(space + 1)).with_context("note: signature"));
    if (blob.size() < 4) return malformed("note: a signature shorter than its key id");
    std::uint32_t id = std::uint32_t{static_cast<unsigned char>(blob[0])} << 24 |
                       std::uint32_t{static_cast<unsigned char>(blob[1])} << 16 |
                       std::uint32_t{static_cast<unsigned char>(blob[2])} << 8 |
                       std::uint32_t{static_cast<unsigned char>(blob[3])};
    if (name != verifier.name || id != verifier.key_id) continue;  // another key's
    CAIRN_TRY(verifier.key.verify(text, std::string_view(blob).substr(4))
                  .with_context(fmt::format("note: the signature of {}", verifier.name)));
    return std::string(text);
  }
  return make_error(ErrorCode::refused, "note: no signature by {}+{:08x}", verifier.name, verifier.key_id);
}

}  // namespace cairn::registry
