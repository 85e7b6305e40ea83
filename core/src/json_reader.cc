// Typed reading of untrusted JSON with the field's path in every error (see json_reader.h).
#include "cairn/core/json_reader.h"

#include <algorithm>

namespace cairn {

std::string JsonReader::where() const {
  return path_.empty() ? std::string("the document") : fmt::format("\"{}\"", path_);
}

Error JsonReader::error(std::string_view why) const {
  if (path_.empty()) return make_error(ErrorCode::malformed, "the document {}", why);
  return make_error(ErrorCode::malformed, "\"{}\": {}", path_, why);
}

std::string JsonReader::child_path(std::string_view key) const {
  return path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
}

Result<std::string> JsonReader::as_string() const {
  if (!value_->is_string()) return error("must be a string");
  return value_->get<std::string>();
}

Result<std::int64_t> JsonReader::as_integer() const {
  if (value_->is_number_unsigned() && value_->get<std::uint64_t>() > std::uint64_t{INT64_MAX}) {
    return error("is too large");
  }
  if (!value_->is_number_integer()) return error("must be an integer");
  return value_->get<std::int64_t>();
}

Result<std::uint64_t> JsonReader::as_count() const {
  if (value_->is_number_unsigned()) return value_->get<std::uint64_t>();
  if (!value_->is_number_integer()) return error("must be an integer");
  if (value_->get<std::int64_t>() < 0) return error("must not be negative");
  return static_cast<std::uint64_t>(value_->get<std::int64_t>());
}

Result<bool> JsonReader::as_boolean() const {
  if (!value_->is_boolean()) return error("must be true or false");
  return value_->get<bool>();
}

Result<Digest> JsonReader::as_digest() const {
  std::string text = CAIRN_TRY(as_string());
  Result<Digest> digest = Digest::parse(text);
  if (!digest.ok()) return error(digest.error().message());
  return std::move(digest).value();
}

Result<std::vector<std::string>> JsonReader::as_strings() const {
  std::vector<std::string> result;
  for (const JsonReader& element : CAIRN_TRY(elements())) {
    std::string value = CAIRN_TRY(element.as_string());
    result.push_back(std::move(value));
  }
  return result;
}

Result<void> JsonReader::require_object() const {
  if (!value_->is_object()) return error("must be an object");
  return {};
}

Result<void> JsonReader::require_array() const {
  if (!value_->is_array()) return error("must be an array");
  return {};
}

Result<std::vector<std::pair<std::string, JsonReader>>> JsonReader::members() const {
  CAIRN_TRY(require_object());
  std::vector<std::pair<std::string, JsonReader>> result;
  for (const auto& item : value_->items()) {
    result.emplace_back(item.key(), JsonReader(item.value(), child_path(item.key())));
  }
  return result;
}

Result<std::vector<JsonReader>> JsonReader::elements() const {
  CAIRN_TRY(require_array());
  std::vector<JsonReader> result;
  result.reserve(value_->size());
  for (std::size_t i = 0; i < value_->size(); ++i) {
    result.push_back(JsonReader((*value_)[i], fmt::format("{}[{}]", path_, i)));
  }
  return result;
}

Result<void> JsonReader::allow_only(std::initializer_list<std::string_view> known) const {
  CAIRN_TRY(require_object());
  for (const auto& item : value_->items()) {
    if (std::find(known.begin(), known.end(), item.key()) == known.end()) {
      return JsonReader(item.value(), child_path(item.key())).error("is not a known field");
    }
  }
  return {};
}

Result<std::optional<JsonReader>> JsonReader::find(std::string_view key) const {
  CAIRN_TRY(require_object());
  auto it = value_->find(key);
  if (it == value_->end()) return std::optional<JsonReader>();
  return std::optional<JsonReader>(JsonReader(*it, child_path(key)));
}

Result<JsonReader> JsonReader::at(std::string_view key) const {
  std::optional<JsonReader> member = CAIRN_TRY(find(key));
  if (!member) return JsonReader(*value_, child_path(key)).error("missing");
  return *member;
}

Result<std::string> JsonReader::string(std::string_view key) const {
  return CAIRN_TRY(at(key)).as_string();
}
Result<std::int64_t> JsonReader::integer(std::string_view key) const {
  return CAIRN_TRY(at(key)).as_integer();
}
Result<std::uint64_t> JsonReader::count(std::string_view key) const {
  return CAIRN_TRY(at(key)).as_count();
}
Result<Digest> JsonReader::digest(std::string_view key) const {
  return CAIRN_TRY(at(key)).as_digest();
}
Result<std::vector<std::string>> JsonReader::strings(std::string_view key) const {
  return CAIRN_TRY(at(key)).as_strings();
}

Result<JsonReader> JsonReader::object(std::string_view key) const {
  JsonReader member = CAIRN_TRY(at(key));
  CAIRN_TRY(member.require_object());
  return member;
}

Result<JsonReader> JsonReader::array(std::string_view key) const {
  JsonReader member = CAIRN_TRY(at(key));
  CAIRN_TRY(member.require_array());
  return member;
}

Result<std::string> JsonReader::string_or(std::string_view key, std::string_view fallback) const {
  std::optional<JsonReader> member = CAIRN_TRY(find(key));
  if (!member) return std::string(fallback);
  return member->as_string();
}

Result<bool> JsonReader::boolean_or(std::string_view key, bool fallback) const {
  std::optional<JsonReader> member = CAIRN_TRY(find(key));
  if (!member) return fallback;
  return member->as_boolean();
}

Result<std::optional<std::string>> JsonReader::optional_string(std::string_view key) const {
  std::optional<JsonReader> member = CAIRN_TRY(find(key));
  if (!member) return std::optional<std::string>();
  std::string value = CAIRN_TRY(member->as_string());
  return std::optional<std::string>(std::move(value));
}

Result<std::vector<std::string>> JsonReader::strings_or_empty(std::string_view key) const {
  std::optional<JsonReader> member = CAIRN_TRY(find(key));
  if (!member) return std::vector<std::string>();
  return member->as_strings();
}

Result<std::map<std::string, std::string>> JsonReader::string_map_or_empty(std::string_view key) const {
  std::map<std::string, std::string> result;
  for (const auto& [name, member] : CAIRN_TRY(members_of(key))) {
    std::string value = CAIRN_TRY(member.as_string());
    result.emplace(name, std::move(value));
  }
  return result;
}

Result<std::vector<std::pair<std::string, JsonReader>>> JsonReader::members_of(std::string_view key) const {
  std::optional<JsonReader> member = CAIRN_TRY(find(key));
  if (!member) return std::vector<std::pair<std::string, JsonReader>>();
  return member->members();
}

Result<std::vector<JsonReader>> JsonReader::elements_of(std::string_view key) const {
  std::optional<JsonReader> member = CAIRN_TRY(find(key));
  if (!member) return std::vector<JsonReader>();
  return member->elements();
}

}  // namespace cairn
