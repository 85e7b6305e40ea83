// Digest and Hasher: known answers (FIPS 180-2 examples), streaming, parsing and printing.
#include "cairn/core/digest.h"

#include "cairn/core/file.h"

#include <gtest/gtest.h>

#include <string>

namespace cairn {
namespace {

constexpr std::string_view abc_sha256 = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr std::string_view abc_sha512 =
    "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";
constexpr std::string_view empty_sha256 = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

TEST(Digest, KnownAnswersForAbc) {
  EXPECT_EQ(Digest::sha256_of("abc").to_string(), abc_sha256);
  std::string_view abc = "abc";
  EXPECT_EQ(Digest::of(DigestAlgorithm::sha512, std::as_bytes(std::span(abc.data(), abc.size()))).to_string(),
            abc_sha512);
  EXPECT_EQ(Digest::sha256_of("").to_string(), empty_sha256);
}

TEST(Digest, StreamingEqualsOneShot) {
  // The two-block FIPS message, fed in uneven pieces.
  std::string message = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  Hasher hasher;
  for (std::size_t i = 0; i < message.size(); i += 7) hasher.update(std::string_view(message).substr(i, 7));
  Digest streamed = hasher.finish();
  EXPECT_EQ(streamed, Digest::sha256_of(message));
  EXPECT_EQ(streamed.hex(), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Digest, HasherResetsAfterFinish) {
  Hasher hasher;
  hasher.update("abc");
  (void)hasher.finish();
  hasher.update("abc");
  EXPECT_EQ(hasher.finish().to_string(), abc_sha256);
}

TEST(Digest, ParsePrintRoundTrip) {
  Result<Digest> parsed = Digest::parse(abc_sha256);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  EXPECT_EQ(parsed->to_string(), abc_sha256);
  EXPECT_EQ(parsed->algorithm(), DigestAlgorithm::sha256);
  Result<Digest> parsed512 = Digest::parse(abc_sha512);
  ASSERT_TRUE(parsed512.ok());
  EXPECT_EQ(parsed512->bytes().size(), 64u);
}

struct MalformedDigest {
  std::string name;
  std::string text;
  ErrorCode code;
  std::string message_part;
};

class DigestRejects : public testing::TestWithParam<MalformedDigest> {};

TEST_P(DigestRejects, WithAClearError) {
  Result<Digest> parsed = Digest::parse(GetParam().text);
  ASSERT_FALSE(parsed.ok()) << GetParam().text;
  EXPECT_EQ(parsed.error().code(), GetParam().code);
  EXPECT_NE(parsed.error().message().find(GetParam().message_part), std::string::npos) << parsed.error().message();
}

INSTANTIATE_TEST_SUITE_P(
    MalformedStrings, DigestRejects,
    testing::Values(
        MalformedDigest{"NoPrefix", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", ErrorCode::malformed,
                        "no algorithm prefix"},
        MalformedDigest{"UnknownAlgorithm", "md5:900150983cd24fb0d6963f7d28e17f72", ErrorCode::unsupported, "unknown algorithm 'md5'"},
        MalformedDigest{"TooShort", "sha256:ba7816bf", ErrorCode::malformed, "needs 64 hex digits, found 8"},
        MalformedDigest{"TooLong", std::string(abc_sha256) + "00", ErrorCode::malformed, "found 66"},
        MalformedDigest{"UpperCase", "sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
                        ErrorCode::malformed, "not a lower-case hex digit"},
        MalformedDigest{"NotHex", "sha256:zz7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                        ErrorCode::malformed, "character 8 is not a lower-case hex digit"},
        MalformedDigest{"EmptyHex", "sha256:", ErrorCode::malformed, "found 0"},
        MalformedDigest{"Empty", "", ErrorCode::malformed, "no algorithm prefix"},
        MalformedDigest{"LeadingSpace", " sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                        ErrorCode::unsupported, "unknown algorithm"}),
    [](const testing::TestParamInfo<MalformedDigest>& param_info) { return param_info.param.name; });

TEST(Digest, FromBytesChecksLength) {
  std::array<std::uint8_t, 31> short_bytes{};
  EXPECT_FALSE(Digest::from_bytes(DigestAlgorithm::sha256, short_bytes).ok());
  std::array<std::uint8_t, 32> bytes{};
  EXPECT_TRUE(Digest::from_bytes(DigestAlgorithm::sha256, bytes).ok());
}

TEST(Digest, OfFileMatchesOfBytes) {
  Result<TemporaryDirectory> directory = TemporaryDirectory::create();
  ASSERT_TRUE(directory.ok());
  std::string content(700'000, 'x');  // several read blocks
  content += "tail";
  auto path = directory->path() / "data";
  ASSERT_TRUE(write_file_atomically(path, content).ok());
  Result<Digest> digest = digest_file(path);
  ASSERT_TRUE(digest.ok()) << digest.error().message();
  EXPECT_EQ(*digest, Digest::sha256_of(content));
}

TEST(Digest, OfMissingFileIsNotFound) {
  Result<Digest> digest = digest_file("/nonexistent/cairn/file");
  ASSERT_FALSE(digest.ok());
  EXPECT_EQ(digest.error().code(), ErrorCode::not_found);
  EXPECT_NE(digest.error().message().find("/nonexistent/cairn/file"), std::string::npos);
}

}  // namespace
}  // namespace cairn
