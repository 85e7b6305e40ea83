// Strict JSON input (a SAX handler over nlohmann's parser) and canonical JSON output.
#include "cairn/core/canonical_json.h"

#include "cairn/core/utf8.h"

#include <algorithm>
#include <vector>

namespace cairn {

namespace {

// Builds a Json document from SAX events, refusing floats, duplicate keys and deep nesting.
// nlohmann's own DOM builder silently keeps the last of duplicate keys, which would let two
// readers of one signed document see different values.
// NOLINTNEXTLINE(bugprone-exception-escape): nlohmann::json destruction does not throw.
class StrictJsonBuilder : public nlohmann::json_sax<Json> {
 public:
  Result<Json> take_result() && {
    if (error_) return std::move(*error_);
    return std::move(root_);
  }

  bool null() override { return add(Json(nullptr)); }
  bool boolean(bool value) override { return add(Json(value)); }
  bool number_integer(number_integer_t value) override { return add(Json(value)); }
  bool number_unsigned(number_unsigned_t value) override { return add(Json(value)); }
  bool number_float(number_float_t, const string_t& literal) override {
    bool looks_integral = literal.find_first_of(".eE") == string_t::npos;
    return fail(ErrorCode::malformed,
                looks_integral ? fmt::format("integer {} at {} does not fit in 64 bits", literal, value_location())
                               : fmt::format("number {} at {} is not an integer (floats are not allowed)", literal,
                                             value_location()));
  }
  bool string(string_t& value) override { return add(Json(std::move(value))); }
  bool binary(binary_t&) override { return fail(ErrorCode::malformed, "binary values are not JSON"); }

  bool start_object(std::size_t) override { return open(Json::object()); }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(Json::array()); }
  bool end_array() override { return close(); }

  bool key(string_t& key) override {
    Json& object = *stack_.back().container;
    if (object.contains(key)) {
      return fail(ErrorCode::malformed, fmt::format("duplicate key \"{}\" in {}", key, container_location()));
    }
    stack_.back().pending_key = std::move(key);
    return true;
  }

  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& error) override {
    // nlohmann's message already names the byte and the token; keep its text after the prefix.
    std::string what = error.what();
    if (std::size_t cut = what.find("] "); cut != std::string::npos) what = what.substr(cut + 2);
    return fail(ErrorCode::malformed, fmt::format("{} (byte {})", what, position));
  }

 private:
  struct Frame {
    Json* container;
    std::string pending_key;  // for objects: the key whose value comes next
  };

  bool add(Json value) {
    if (stack_.empty()) {
      root_ = std::move(value);
      return true;
    }
    Frame& frame = stack_.back();
    if (frame.container->is_object()) {
      (*frame.container)[frame.pending_key] = std::move(value);
    } else {
      frame.container->push_back(std::move(value));
    }
    return true;
  }

  Json* last_added() {
    if (stack_.empty()) return &root_;
    Frame& frame = stack_.back();
    return frame.container->is_object() ? &(*frame.container)[frame.pending_key] : &frame.container->back();
  }

  bool open(Json empty_container) {
    if (stack_.size() >= max_json_depth) {
      return fail(ErrorCode::limit_exceeded,
                  fmt::format("nesting deeper than {} levels at {}", max_json_depth, value_location()));
    }
    add(std::move(empty_container));
    stack_.push_back(Frame{last_added(), {}});
    return true;
  }

  bool close() {
    stack_.pop_back();
    return true;
  }

  // A JSON-pointer-like location, for error messages: of the value about to be added to the
  // innermost open container (value_location), or of that container itself (container_location).
  std::string value_location() const { return location(stack_.size()); }
  std::string container_location() const { return location(stack_.size() - 1); }

  std::string location(std::size_t depth) const {
    std::string where;
    for (std::size_t i = 0; i < depth; ++i) {
      const Frame& frame = stack_[i];
      where += '/';
      if (frame.container->is_object()) {
        where += frame.pending_key;
      } else {
        // Below the innermost frame the child being built is already the array's last element.
        std::size_t size = frame.container->size();
        where += std::to_string(i + 1 < stack_.size() ? size - 1 : size);
      }
    }
    return where.empty() ? "/" : where;
  }

  bool fail(ErrorCode code, std::string message) {
    if (!error_) error_ = Error(code, std::move(message));
    return false;
  }

  Json root_;
  std::vector<Frame> stack_;
  std::optional<Error> error_;
};

// Decodes the code point starting at text[i] (text is valid UTF-8) and advances i.
std::uint32_t next_code_point(std::string_view text, std::size_t& i) {
  auto byte = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(text[k])); };
  std::uint32_t lead = byte(i);
  if (lead < 0x80) return ++i, lead;
  std::size_t length = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
  std::uint32_t code_point = lead & (0x7fu >> length);
  for (std::size_t k = 1; k < length && i + k < text.size(); ++k) code_point = code_point << 6 | (byte(i + k) & 0x3f);
  i += length;
  return code_point;
}

// Maps a code point to a number whose order is the order of its UTF-16 encoding: characters
// beyond U+FFFF (surrogate pairs, D800..DBFF first) sort before U+E000..U+FFFF.
std::uint32_t utf16_rank(std::uint32_t code_point) {
  if (code_point < 0xd800) return code_point;
  if (code_point >= 0x10000) return 0xd800 + (code_point - 0x10000);
  return code_point + 0x100000;
}

void append_string(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (byte < 0x20) {
          out += "\\u00";
          out.push_back(hex[byte >> 4]);
          out.push_back(hex[byte & 0xf]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

Result<void> append_canonical(std::string& out, const Json& value, std::string& where) {
  switch (value.type()) {
    case Json::value_t::null: out += "null"; return {};
    case Json::value_t::boolean: out += value.get<bool>() ? "true" : "false"; return {};
    case Json::value_t::number_integer: out += std::to_string(value.get<std::int64_t>()); return {};
    case Json::value_t::number_unsigned: out += std::to_string(value.get<std::uint64_t>()); return {};
    case Json::value_t::number_float:
      return make_error(ErrorCode::invalid_argument, "canonical JSON has no floats (found one at {})",
                        where.empty() ? "/" : where);
    case Json::value_t::string: {
      const auto& text = value.get_ref<const std::string&>();
      if (!is_valid_utf8(text)) {
        return make_error(ErrorCode::invalid_argument, "string at {} is not valid UTF-8", where.empty() ? "/" : where);
      }
      append_string(out, text);
      return {};
    }
    case Json::value_t::array: {
      out.push_back('[');
      std::size_t index = 0;
      for (const Json& item : value) {
        if (index > 0) out.push_back(',');
        std::size_t mark = where.size();
        where += "/" + std::to_string(index++);
        CAIRN_TRY(append_canonical(out, item, where));
        where.resize(mark);
      }
      out.push_back(']');
      return {};
    }
    case Json::value_t::object: {
      std::vector<const Json::object_t::value_type*> members;
      members.reserve(value.size());
      for (const auto& member : value.get_ref<const Json::object_t&>()) members.push_back(&member);
      // The map is in byte order, which equals UTF-16 order unless a key holds U+E000 or above.
      std::sort(members.begin(), members.end(), [](auto* a, auto* b) { return utf16_less(a->first, b->first); });
      out.push_back('{');
      bool first = true;
      for (const auto* member : members) {
        if (!first) out.push_back(',');
        first = false;
        if (!is_valid_utf8(member->first)) {
          return make_error(ErrorCode::invalid_argument, "a key in {} is not valid UTF-8", where.empty() ? "/" : where);
        }
        append_string(out, member->first);
        out.push_back(':');
        std::size_t mark = where.size();
        where += "/" + member->first;
        CAIRN_TRY(append_canonical(out, member->second, where));
        where.resize(mark);
      }
      out.push_back('}');
      return {};
    }
    case Json::value_t::binary:
    case Json::value_t::discarded: break;
  }
  return make_error(ErrorCode::invalid_argument, "value at {} has no JSON form", where.empty() ? "/" : where);
}

}  // namespace

bool utf16_less(std::string_view a, std::string_view b) {
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i] == b[j] && static_cast<unsigned char>(a[i]) < 0x80) {
      ++i, ++j;
      continue;
    }
    std::uint32_t x = utf16_rank(next_code_point(a, i));
    std::uint32_t y = utf16_rank(next_code_point(b, j));
    if (x != y) return x < y;
  }
  return i == a.size() && j < b.size();
}

Result<Json> parse_json(std::string_view text) {
  StrictJsonBuilder builder;
  // strict: nothing but white space may follow the value. Invalid UTF-8 in strings and lone
  // surrogate escapes are parse errors in nlohmann's lexer.
  bool accepted = Json::sax_parse(text.begin(), text.end(), &builder, Json::input_format_t::json, true,
                                  /*ignore_comments=*/false);
  Result<Json> result = std::move(builder).take_result();
  if (!accepted && result.ok()) return make_error(ErrorCode::malformed, "JSON text was not accepted");
  return result;
}

Result<Json> parse_canonical_json(std::string_view text) {
  Json value = CAIRN_TRY(parse_json(text));
  std::string canonical = CAIRN_TRY(canonical_json(value));
  if (canonical != text) {
    std::size_t at = 0;
    while (at < canonical.size() && at < text.size() && canonical[at] == text[at]) ++at;
    return make_error(ErrorCode::malformed, "JSON is not in canonical form (first difference at byte {})", at);
  }
  return value;
}

Result<std::string> canonical_json(const Json& value) {
  std::string out;
  std::string where;
  CAIRN_TRY(append_canonical(out, value, where));
  return out;
}

}  // namespace cairn
