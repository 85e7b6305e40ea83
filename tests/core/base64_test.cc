// base64: the RFC 4648 test vectors, both alphabets, and the strictness that gives each byte
// string one spelling.
#include "cairn/core/base64.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace cairn {
namespace {

// RFC 4648, section 10.
const std::vector<std::pair<std::string, std::string>> rfc4648_vectors = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

TEST(Base64, EncodesRfc4648Vectors) {
  for (const auto& [bytes, text] : rfc4648_vectors) EXPECT_EQ(base64_encode(bytes), text) << bytes;
}

TEST(Base64, DecodesRfc4648Vectors) {
  for (const auto& [bytes, text] : rfc4648_vectors) {
    auto decoded = base64_decode(text);
    ASSERT_TRUE(decoded.ok()) << text << ": " << decoded.error().message();
    EXPECT_EQ(*decoded, bytes);
  }
}

TEST(Base64, RoundTripsEveryByteValueAndLength) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
  for (std::size_t length = 0; length <= bytes.size(); length += 1) {
    std::string_view prefix = std::string_view(bytes).substr(0, length);
    for (auto alphabet : {Base64Alphabet::standard, Base64Alphabet::url_safe}) {
      auto decoded = base64_decode(base64_encode(prefix, alphabet), alphabet);
      ASSERT_TRUE(decoded.ok()) << length;
      EXPECT_EQ(*decoded, prefix);
    }
  }
}

TEST(Base64, UrlSafeUsesDashAndUnderscore) {
  std::string bytes = "\xfb\xff\xbf";
  EXPECT_EQ(base64_encode(bytes), "+/+/");
  EXPECT_EQ(base64_encode(bytes, Base64Alphabet::url_safe), "-_-_");
  EXPECT_EQ(base64_decode("-_-_", Base64Alphabet::url_safe).value(), bytes);
}

TEST(Base64, UrlSafeAcceptsMissingPaddingButNotWrongPadding) {
  EXPECT_EQ(base64_decode("Zg", Base64Alphabet::url_safe).value(), "f");
  EXPECT_EQ(base64_decode("Zm8", Base64Alphabet::url_safe).value(), "fo");
  EXPECT_EQ(base64_decode("Zg==", Base64Alphabet::url_safe).value(), "f");
  EXPECT_FALSE(base64_decode("Zg=", Base64Alphabet::url_safe).ok());
  EXPECT_FALSE(base64_decode("Z", Base64Alphabet::url_safe).ok());
}

TEST(Base64, RejectsCharactersOfTheOtherAlphabet) {
  auto standard = base64_decode("-_-_");
  ASSERT_FALSE(standard.ok());
  EXPECT_EQ(standard.error().code(), ErrorCode::malformed);
  EXPECT_EQ(standard.error().message(), "not base64: '-' at offset 0 is outside the alphabet");
  EXPECT_FALSE(base64_decode("+/+/", Base64Alphabet::url_safe).ok());
}

TEST(Base64, RejectsWhiteSpaceAndGarbage) {
  using namespace std::string_view_literals;
  for (std::string_view text : {"Zm9v\n"sv, " Zm9v"sv, "Zm 9v"sv, "Zm9v\r\nYmFy"sv, "Zm9*"sv, "Zm\0v"sv}) {
    auto decoded = base64_decode(text);
    ASSERT_FALSE(decoded.ok()) << text;
    EXPECT_EQ(decoded.error().code(), ErrorCode::malformed);
  }
  EXPECT_EQ(base64_decode("Zm\x01v").error().message(), "not base64: byte 0x01 at offset 2 is outside the alphabet");
}

TEST(Base64, RejectsMissingExtraOrMisplacedPadding) {
  EXPECT_EQ(base64_decode("Zg").error().message(), "not base64: length 2 is not a multiple of 4");
  EXPECT_FALSE(base64_decode("Zg=").ok());
  EXPECT_FALSE(base64_decode("Zm8==").ok());
  EXPECT_FALSE(base64_decode("Zm9v====").ok());
  EXPECT_FALSE(base64_decode("Z===").ok());
  EXPECT_FALSE(base64_decode("Zg==Zg==").ok());  // padding in the middle
  EXPECT_FALSE(base64_decode("=Zm9").ok());
}

TEST(Base64, RejectsNonZeroUnusedBits) {
  EXPECT_EQ(base64_decode("QQ==").value(), "A");
  EXPECT_EQ(base64_decode("QR==").error().message(), "not base64: the last character has non-zero unused bits");
  EXPECT_EQ(base64_decode("QUE=").value(), "AA");
  EXPECT_FALSE(base64_decode("QUF=").ok());
}

}  // namespace
}  // namespace cairn
