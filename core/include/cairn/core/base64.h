// Base64 (RFC 4648) for signatures, envelopes and transparency-log proofs.
//
// Encoding always writes padded text. Decoding is strict, so that every byte string has exactly
// one accepted spelling in the standard alphabet: no white space, no characters outside the
// alphabet, '=' only as the final padding and exactly as much as the length needs, and the unused
// low bits of the last character zero ("QR==" is refused; "QQ==" is the only spelling of "A").
#pragma once

#include "cairn/core/result.h"

#include <string>
#include <string_view>

namespace cairn {

enum class Base64Alphabet {
  standard,  // A–Z a–z 0–9 + /   (RFC 4648 section 4); padding required
  url_safe,  // A–Z a–z 0–9 - _   (RFC 4648 section 5); padding optional, but exact when present
};

// The padded base64 text of `bytes`.
std::string base64_encode(std::string_view bytes, Base64Alphabet alphabet = Base64Alphabet::standard);

// The bytes `text` encodes. Errors (code malformed) say what is wrong and where:
// "character '!' at offset 4 is not base64", "length 5 is not a multiple of 4".
Result<std::string> base64_decode(std::string_view text, Base64Alphabet alphabet = Base64Alphabet::standard);

}  // namespace cairn
