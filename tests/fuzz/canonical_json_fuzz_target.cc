// The fuzz target of core/'s canonical JSON (host_fuzz_targets.h).
//
// For every text parse_json accepts: the canonical form exists, parses back as canonical JSON to
// the same value and is a fixed point; parse_canonical_json accepts exactly the texts that are
// their own canonical form; and object keys are ordered as their UTF-16 code units are, checked
// against a plain UTF-8 to UTF-16 conversion.
#include "cairn/core/canonical_json.h"
#include "host_fuzz_support.h"
#include "host_fuzz_targets.h"

#include <algorithm>
#include <string>
#include <vector>

namespace cairn::fuzz {

namespace {

// The UTF-16 code units of `text`, which the JSON parser has already checked to be valid UTF-8.
std::u16string utf16_units(std::string_view text) {
  std::u16string units;
  for (std::size_t i = 0; i < text.size();) {
    auto byte = [&](std::size_t k) { return static_cast<char32_t>(static_cast<unsigned char>(text[k])); };
    char32_t lead = byte(i);
    std::size_t length = lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
    require(i + length <= text.size(), "a key the parser accepted ends inside a UTF-8 sequence");
    char32_t code_point = length == 1 ? lead : lead & (0xffu >> (length + 1));
    for (std::size_t k = 1; k < length; ++k) code_point = code_point << 6 | (byte(i + k) & 0x3f);
    if (code_point >= 0x10000) {
      code_point -= 0x10000;
      units.push_back(static_cast<char16_t>(0xd800 + (code_point >> 10)));
      units.push_back(static_cast<char16_t>(0xdc00 + (code_point & 0x3ff)));
    } else {
      units.push_back(static_cast<char16_t>(code_point));
    }
    i += length;
  }
  return units;
}

// utf16_less, which orders canonical keys, agrees with comparing UTF-16 code units, for every
// pair of keys of every object in `value` (adjacent pairs only in large objects).
void check_key_order(const Json& value) {
  if (value.is_array()) {
    for (const Json& item : value) check_key_order(item);
    return;
  }
  if (!value.is_object()) return;
  std::vector<std::string_view> keys;
  for (const auto& [key, item] : value.get_ref<const Json::object_t&>()) {
    keys.push_back(key);
    check_key_order(item);
  }
  std::vector<std::u16string> units;
  units.reserve(keys.size());
  for (std::string_view key : keys) units.push_back(utf16_units(key));
  constexpr std::size_t all_pairs_up_to = 32;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    std::size_t last = keys.size() <= all_pairs_up_to ? keys.size() : std::min(i + 2, keys.size());
    for (std::size_t j = i; j < last; ++j) {
      require(utf16_less(keys[i], keys[j]) == (units[i] < units[j]), "utf16_less disagrees with UTF-16 order");
      require(utf16_less(keys[j], keys[i]) == (units[j] < units[i]), "utf16_less disagrees with UTF-16 order");
    }
  }
}

bool check_canonical_json(std::string_view text) {
  Result<Json> value = parse_json(text);
  Result<Json> canonical_value = parse_canonical_json(text);
  if (!value) {
    require(!canonical_value, "parse_canonical_json accepts a text that parse_json refuses");
    return false;
  }
  Result<std::string> canonical = canonical_json(*value);
  if (!canonical) broken("a value parse_json accepts has no canonical form", canonical.error().message());
  require(canonical_value.ok() == (text == *canonical),
          "parse_canonical_json accepts other than the texts that are their own canonical form");
  if (canonical_value) require(*canonical_value == *value, "parse_canonical_json reads another value");

  Result<Json> reparsed = parse_canonical_json(*canonical);
  if (!reparsed) broken("the canonical form is not accepted as canonical", reparsed.error().message());
  require(*reparsed == *value, "the canonical form holds another value");
  Result<std::string> again = canonical_json(*reparsed);
  require(again.ok() && *again == *canonical, "the canonical form of the canonical form differs");

  check_key_order(*value);
  return true;
}

}  // namespace

int fuzz_canonical_json(const std::uint8_t* data, std::size_t size) {
  return record_outcome(check_canonical_json(as_text(data, size)));
}

}  // namespace cairn::fuzz
