// Text as HTTP sees it: ASCII bytes in a ByteView, compared without regard to case where RFC 9110
// says names are case-insensitive (field names, methods of other protocols, codings, "bytes").
//
// Nothing here copies; a view stays valid as long as the bytes it points into.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "cairn/protocols/common/bytes.h"

namespace cairn::protocols::http {

// A view of a NUL-terminated literal, without the NUL.
inline ByteView text(const char* literal) {
  size_t size = 0;
  while (literal[size] != '\0') ++size;
  return ByteView(reinterpret_cast<const uint8_t*>(literal), size);
}

constexpr uint8_t to_lower(uint8_t byte) {
  return byte >= 'A' && byte <= 'Z' ? static_cast<uint8_t>(byte + ('a' - 'A')) : byte;
}

// True when `a` and `b` hold the same bytes, ASCII letters compared without case.
constexpr bool equals_ignoring_case(ByteView a, ByteView b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (to_lower(a[i]) != to_lower(b[i])) return false;
  }
  return true;
}

inline bool equals_ignoring_case(ByteView a, const char* literal) {
  return equals_ignoring_case(a, text(literal));
}

// True when `a` and `b` hold exactly the same bytes.
inline bool equals(ByteView a, ByteView b) {
  return a.size() == b.size() && equal_bytes(a.data(), b.data(), a.size());
}

// tchar of RFC 9110 5.6.2: the bytes of tokens (methods, field names, codings).
constexpr bool is_token_byte(uint8_t byte) {
  if (byte >= '0' && byte <= '9') return true;
  if ((byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z')) return true;
  switch (byte) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~': return true;
    default: return false;
  }
}

constexpr bool is_token(ByteView bytes) {
  if (bytes.empty()) return false;
  for (uint8_t byte : bytes) {
    if (!is_token_byte(byte)) return false;
  }
  return true;
}

// `bytes` without leading and trailing SP and HTAB (OWS, RFC 9110 5.6.3).
constexpr ByteView trim_whitespace(ByteView bytes) {
  size_t begin = 0;
  size_t end = bytes.size();
  while (begin < end && (bytes[begin] == ' ' || bytes[begin] == '\t')) ++begin;
  while (end > begin && (bytes[end - 1] == ' ' || bytes[end - 1] == '\t')) --end;
  return bytes.subspan(begin, end - begin);
}

// Walks a comma-separated list (RFC 9110 5.6.1), yielding each element trimmed of OWS; empty
// elements (", ,") are skipped, as the RFC asks of recipients.
class ListReader {
 public:
  explicit constexpr ListReader(ByteView list) : list_(list) {}

  // Sets `element` to the next non-empty element and returns true, or returns false at the end.
  constexpr bool next(ByteView& element) {
    while (at_ < list_.size()) {
      size_t end = at_;
      while (end < list_.size() && list_[end] != ',') ++end;
      ByteView candidate = trim_whitespace(list_.subspan(at_, end - at_));
      at_ = end + 1;
      if (!candidate.empty()) {
        element = candidate;
        return true;
      }
    }
    return false;
  }

 private:
  ByteView list_;
  size_t at_ = 0;
};

}  // namespace cairn::protocols::http
