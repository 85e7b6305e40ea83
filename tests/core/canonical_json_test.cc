// Canonical JSON: the vectors in canonical_json_vectors.json, plus cases built in code.
#include "cairn/core/canonical_json.h"

#include "cairn/core/file.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace cairn {
namespace {

std::string from_hex(const std::string& hex) {
  std::string bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return bytes;
}

struct Vector {
  std::string name;
  std::string input;
  std::optional<std::string> canonical;
  std::optional<std::string> error_part;
};

std::vector<Vector> load_vectors() {
  // The vector file itself is trusted test data; read it with nlohmann's ordinary parser.
  std::ifstream stream(std::string(CAIRN_TEST_DATA_DIR) + "/canonical_json_vectors.json");
  std::stringstream text;
  text << stream.rdbuf();
  nlohmann::json document = nlohmann::json::parse(text.str());
  std::vector<Vector> vectors;
  for (const auto& item : document.at("cases")) {
    Vector vector;
    vector.name = item.at("name");
    vector.input = item.contains("input_hex") ? from_hex(item.at("input_hex")) : item.at("input").get<std::string>();
    if (item.contains("canonical")) vector.canonical = item.at("canonical").get<std::string>();
    if (item.contains("error")) vector.error_part = item.at("error").get<std::string>();
    vectors.push_back(std::move(vector));
  }
  return vectors;
}

TEST(CanonicalJson, VectorFileHasBothKindsOfCase) {
  std::vector<Vector> vectors = load_vectors();
  auto accepted = std::count_if(vectors.begin(), vectors.end(), [](auto& v) { return v.canonical.has_value(); });
  EXPECT_GE(accepted, 7);
  EXPECT_GE(static_cast<long>(vectors.size()) - accepted, 15);
}

TEST(CanonicalJson, Vectors) {
  for (const Vector& vector : load_vectors()) {
    SCOPED_TRACE(vector.name);
    Result<Json> parsed = parse_json(vector.input);
    if (vector.canonical) {
      ASSERT_TRUE(parsed.ok()) << parsed.error().message();
      Result<std::string> canonical = canonical_json(*parsed);
      ASSERT_TRUE(canonical.ok()) << canonical.error().message();
      EXPECT_EQ(*canonical, *vector.canonical);
      // The canonical form is a fixed point and passes the strict canonical reader.
      EXPECT_TRUE(parse_canonical_json(*canonical).ok());
    } else {
      ASSERT_FALSE(parsed.ok()) << "accepted: " << vector.input;
      EXPECT_NE(parsed.error().message().find(*vector.error_part), std::string::npos) << parsed.error().message();
      EXPECT_NE(parsed.error().code(), ErrorCode::internal);
    }
  }
}

TEST(CanonicalJson, RejectsNestingDeeperThanTheLimit) {
  std::string deep = std::string(max_json_depth, '[') + std::string(max_json_depth, ']');
  EXPECT_TRUE(parse_json(deep).ok());
  std::string too_deep = std::string(max_json_depth + 1, '[') + std::string(max_json_depth + 1, ']');
  Result<Json> parsed = parse_json(too_deep);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code(), ErrorCode::limit_exceeded);
  // A hostile depth far beyond the limit fails the same way, without exhausting the stack.
  std::string hostile(1'000'000, '[');
  EXPECT_EQ(parse_json(hostile).error().code(), ErrorCode::limit_exceeded);
}

TEST(CanonicalJson, ParseCanonicalRefusesOtherSpellings) {
  EXPECT_TRUE(parse_canonical_json(R"({"a":1,"b":[2]})").ok());
  Result<Json> spaced = parse_canonical_json(R"({"a": 1,"b":[2]})");
  ASSERT_FALSE(spaced.ok());
  EXPECT_NE(spaced.error().message().find("not in canonical form (first difference at byte 5)"), std::string::npos)
      << spaced.error().message();
  EXPECT_FALSE(parse_canonical_json(R"({"b":1,"a":2})").ok());
  EXPECT_FALSE(parse_canonical_json(R"("\u0041")").ok());
}

TEST(CanonicalJson, RefusesToWriteFloatsBuiltInCode) {
  Json value = {{"signed", {{"ratio", 0.5}}}};
  Result<std::string> text = canonical_json(value);
  ASSERT_FALSE(text.ok());
  EXPECT_NE(text.error().message().find("no floats (found one at /signed/ratio)"), std::string::npos)
      << text.error().message();
}

TEST(CanonicalJson, RefusesToWriteInvalidUtf8BuiltInCode) {
  Json value = {{"name", std::string("\xff\xfe")}};
  Result<std::string> text = canonical_json(value);
  ASSERT_FALSE(text.ok());
  EXPECT_NE(text.error().message().find("/name is not valid UTF-8"), std::string::npos);
}

TEST(CanonicalJson, Utf16OrderDiffersFromByteOrderOnlyAboveTheSurrogates) {
  EXPECT_TRUE(utf16_less("a", "b"));
  EXPECT_TRUE(utf16_less("a", "ab"));
  EXPECT_FALSE(utf16_less("ab", "ab"));
  EXPECT_TRUE(utf16_less("\xc3\xb6", "\xe2\x82\xac"));           // U+00F6 < U+20AC, as bytes
  EXPECT_TRUE(utf16_less("\xf0\x9f\x98\x80", "\xef\xac\xb3"));   // U+1F600 < U+FB33 in UTF-16
  EXPECT_FALSE(utf16_less("\xef\xac\xb3", "\xf0\x9f\x98\x80"));
  EXPECT_TRUE(std::string("\xef\xac\xb3") < std::string("\xf0\x9f\x98\x80"));  // byte order disagrees
}

TEST(CanonicalJson, ParsesLargeDocumentsQuickly) {
  // 50,000 members: the duplicate check must not be quadratic.
  std::string text = "{";
  for (int i = 0; i < 50'000; ++i) text += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":" + std::to_string(i);
  text += "}";
  Result<Json> parsed = parse_json(text);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->size(), 50'000u);
}

}  // namespace
}  // namespace cairn
