// Canonical JSON: the one spelling of a JSON value that Cairn signs and hashes.
//
// Output rules (RFC 8785, "JCS", restricted to integers): object keys sorted by their UTF-16 code
// units; no white space; strings in UTF-8 with only '"', '\\' and the control characters escaped
// (\b \f \n \r \t, the rest as \u00xx in lower-case hex); integers in plain decimal; no floats.
//
// Input rules for untrusted text: valid UTF-8, no duplicate keys, no floats, integers within
// 64 bits, nesting at most max_json_depth deep. Every signed or hashed document goes through
// parse_json on the way in and canonical_json on the way out.
#pragma once

#include "cairn/core/result.h"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace cairn {

using Json = nlohmann::json;

inline constexpr std::size_t max_json_depth = 128;

// Parses untrusted JSON text under the input rules above; errors say what and where
// ("duplicate key \"version\" in /signed").
Result<Json> parse_json(std::string_view text);

// Like parse_json, and also requires `text` to be exactly the canonical form of what it holds
// (for documents whose bytes are signed as they are).
Result<Json> parse_canonical_json(std::string_view text);

// The canonical form of `value`. Fails on floats and strings that are not valid UTF-8.
Result<std::string> canonical_json(const Json& value);

// Orders two UTF-8 strings by their UTF-16 code units, as RFC 8785 sorts object keys. This
// differs from byte order only between U+E000..U+FFFF and characters beyond U+FFFF.
bool utf16_less(std::string_view a, std::string_view b);

}  // namespace cairn
