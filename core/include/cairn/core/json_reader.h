// JsonReader: the one way to read typed fields out of an untrusted JSON document.
//
// A reader is a view of one value in a parsed document (parse_json) and of the path that leads to
// it, so that every error names the field: `"signed.keys.ab12.public": must be a string`,
// `"libraries.http.archive.size": must not be negative`, `"sources[2]": missing`. Errors are
// malformed; readers never throw, and the document must outlive them.
//
//   JsonReader document(json);
//   std::string name = CAIRN_TRY(document.string("name"));
//   std::int64_t version = CAIRN_TRY(document.integer("version"));
//   for (auto& [key, item] : CAIRN_TRY(document.members_of("depends"))) ...
#pragma once

#include "cairn/core/canonical_json.h"
#include "cairn/core/digest.h"
#include "cairn/core/result.h"

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cairn {

class JsonReader {
 public:
  // A reader of the whole document (an empty path), or of `value` found at `path` in a document
  // read by other means (JsonReader(signed_part, "signed")).
  explicit JsonReader(const Json& value, std::string path = {}) : value_(&value), path_(std::move(path)) {}

  const Json& json() const { return *value_; }
  // The path from the document's root: "signed.meta.libraries/a/1.json.length", "sources[0]".
  const std::string& path() const { return path_; }
  // The path quoted for messages ("\"signed.version\""), or "the document" at the root.
  std::string where() const;
  // A malformed error about this value: "<where()>: <why>" ("the document <why>" at the root).
  Error error(std::string_view why) const;

  // This value, typed. A count is an integer that is not negative.
  Result<std::string> as_string() const;
  Result<std::int64_t> as_integer() const;
  Result<std::uint64_t> as_count() const;
  Result<bool> as_boolean() const;
  Result<Digest> as_digest() const;                     // "sha256:<hex>" (see Digest::parse)
  Result<std::vector<std::string>> as_strings() const;  // an array of strings
  Result<void> require_object() const;
  Result<void> require_array() const;
  // The members of this object and the elements of this array, in document order.
  Result<std::vector<std::pair<std::string, JsonReader>>> members() const;
  Result<std::vector<JsonReader>> elements() const;
  // Refuses members other than `known`, naming the first stranger (for strict formats, where a
  // typo must not pass silently).
  Result<void> allow_only(std::initializer_list<std::string_view> known) const;

  // The member `key` of this object; missing is an error.
  Result<JsonReader> at(std::string_view key) const;
  // The member `key` of this object, or nullopt when absent; an error only if this is no object.
  Result<std::optional<JsonReader>> find(std::string_view key) const;

  // A required member, typed.
  Result<std::string> string(std::string_view key) const;
  Result<std::int64_t> integer(std::string_view key) const;
  Result<std::uint64_t> count(std::string_view key) const;
  Result<Digest> digest(std::string_view key) const;
  Result<std::vector<std::string>> strings(std::string_view key) const;
  Result<JsonReader> object(std::string_view key) const;
  Result<JsonReader> array(std::string_view key) const;
  // An optional member, typed, with the value to use when it is absent.
  Result<std::string> string_or(std::string_view key, std::string_view fallback) const;
  Result<bool> boolean_or(std::string_view key, bool fallback) const;
  Result<std::optional<std::string>> optional_string(std::string_view key) const;
  // An optional array of strings, and an optional object whose members are all strings: empty
  // when absent.
  Result<std::vector<std::string>> strings_or_empty(std::string_view key) const;
  Result<std::map<std::string, std::string>> string_map_or_empty(std::string_view key) const;
  // The members of an optional object member (empty when absent).
  Result<std::vector<std::pair<std::string, JsonReader>>> members_of(std::string_view key) const;
  // The elements of an optional array member (empty when absent).
  Result<std::vector<JsonReader>> elements_of(std::string_view key) const;

 private:
  std::string child_path(std::string_view key) const;

  const Json* value_;
  std::string path_;
};

}  // namespace cairn
