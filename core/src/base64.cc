// A small strict base64 codec (see base64.h). Written out rather than wrapped around OpenSSL's
// EVP_DecodeBlock, which skips white space, pads its output with zero bytes and accepts
// non-canonical final characters: all three would give one signature several spellings.
#include "cairn/core/base64.h"

#include <array>
#include <cstdint>

namespace cairn {

namespace {

constexpr std::string_view standard_characters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view url_safe_characters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string_view characters_of(Base64Alphabet alphabet) {
  return alphabet == Base64Alphabet::standard ? standard_characters : url_safe_characters;
}

// Maps each byte to its 6-bit value, or -1 for a byte outside the alphabet.
using DecodeTable = std::array<std::int8_t, 256>;

constexpr DecodeTable make_decode_table(std::string_view characters) {
  DecodeTable table{};
  for (auto& entry : table) entry = -1;
  for (std::size_t i = 0; i < characters.size(); ++i) {
    table[static_cast<unsigned char>(characters[i])] = static_cast<std::int8_t>(i);
  }
  return table;
}

constexpr DecodeTable standard_table = make_decode_table(standard_characters);
constexpr DecodeTable url_safe_table = make_decode_table(url_safe_characters);

// Describes a byte for an error message: printable ASCII as itself, the rest as hex.
std::string describe(char c) {
  auto byte = static_cast<unsigned char>(c);
  if (byte >= 0x21 && byte < 0x7f) return fmt::format("'{}'", c);
  return fmt::format("byte 0x{:02x}", byte);
}

}  // namespace

std::string base64_encode(std::string_view bytes, Base64Alphabet alphabet) {
  std::string_view characters = characters_of(alphabet);
  std::string text;
  text.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t group = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16 |
                          static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8 |
                          static_cast<unsigned char>(bytes[i + 2]);
    text += characters[group >> 18 & 0x3f];
    text += characters[group >> 12 & 0x3f];
    text += characters[group >> 6 & 0x3f];
    text += characters[group & 0x3f];
  }
  std::size_t rest = bytes.size() - i;
  if (rest == 0) return text;
  std::uint32_t group = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
  if (rest == 2) group |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
  text += characters[group >> 18 & 0x3f];
  text += characters[group >> 12 & 0x3f];
  text += rest == 2 ? characters[group >> 6 & 0x3f] : '=';
  text += '=';
  return text;
}

Result<std::string> base64_decode(std::string_view text, Base64Alphabet alphabet) {
  const DecodeTable& table = alphabet == Base64Alphabet::standard ? standard_table : url_safe_table;
  std::string_view name = alphabet == Base64Alphabet::standard ? "base64" : "URL-safe base64";

  // Split off the padding, then check that it is exactly what the length calls for.
  std::size_t padding = 0;
  while (padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  std::string_view body = text.substr(0, text.size() - padding);
  bool padding_optional = alphabet == Base64Alphabet::url_safe && padding == 0;
  if (!padding_optional && text.size() % 4 != 0) {
    return make_error(ErrorCode::malformed, "not {}: length {} is not a multiple of 4", name, text.size());
  }
  if (body.size() % 4 == 1) {
    return make_error(ErrorCode::malformed, "not {}: {} characters cannot end a group", name, body.size() % 4);
  }
  if (padding > 2 || (padding > 0 && padding != 4 - body.size() % 4)) {
    return make_error(ErrorCode::malformed, "not {}: wrong padding ({} '=' after {} characters)", name, padding,
                      body.size());
  }

  std::string bytes;
  bytes.reserve(body.size() / 4 * 3 + 2);
  std::uint32_t group = 0;
  int bits = 0;
  for (std::size_t i = 0; i < body.size(); ++i) {
    std::int8_t value = table[static_cast<unsigned char>(body[i])];
    if (value < 0) {
      return make_error(ErrorCode::malformed, "not {}: {} at offset {} is outside the alphabet", name,
                        describe(body[i]), i);
    }
    group = (group << 6 | static_cast<std::uint32_t>(value)) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes += static_cast<char>(group >> bits & 0xff);
    }
  }
  // What is left over must be zero bits, or two texts would decode to the same bytes.
  if (bits > 0 && (group & ((1u << bits) - 1)) != 0) {
    return make_error(ErrorCode::malformed, "not {}: the last character has non-zero unused bits", name);
  }
  return bytes;
}

}  // namespace cairn
