// The shared pieces: the Internet checksum (with RFC 1071's own example), Result, Counters.
#include <cairn/protocols/common/checksum.h>
#include <cairn/protocols/common/result.h>
#include <cairn/protocols/common/time.h>
#include <gtest/gtest.h>

#include <random>

#include "packet_builder.h"

namespace cairn::protocols {
namespace {

using testing::Bytes;
using testing::hex;
using testing::view;

TEST(ChecksumTest, MatchesTheExampleOfRfc1071) {
  // RFC 1071 section 3: the bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2; the checksum is its
  // complement.
  Bytes data = hex("00 01 f2 03 f4 f5 f6 f7");
  EXPECT_EQ(internet_checksum(view(data)), static_cast<uint16_t>(~0xddf2));
}

TEST(ChecksumTest, VerifiesToZeroOverDataThatIncludesItsChecksum) {
  // The well-known worked example of an IPv4 header (UDP, 192.168.0.1 to 192.168.0.199), with
  // its checksum b8 61 in place.
  Bytes header = hex("45 00 00 73 00 00 40 00 40 11 b8 61 c0 a8 00 01 c0 a8 00 c7");
  EXPECT_EQ(internet_checksum(view(header)), 0);
  header[10] = header[11] = 0;
  EXPECT_EQ(internet_checksum(view(header)), 0xb861);
}

TEST(ChecksumTest, PiecesOfAnyLengthSumLikeTheWhole) {
  std::mt19937 random(7);
  for (int round = 0; round < 200; ++round) {
    Bytes data(random() % 300);
    for (auto& byte : data) byte = static_cast<uint8_t>(random());
    Checksum pieces;
    size_t at = 0;
    while (at < data.size()) {
      size_t size = std::min<size_t>(data.size() - at, random() % 7);
      pieces.add(ByteView(data.data() + at, size));
      at += size;
    }
    ASSERT_EQ(pieces.finish(), testing::naive_checksum(data)) << "round " << round;
  }
}

TEST(ChecksumTest, WordsAddLikeTheirBytesEvenAtAnOddPosition) {
  Bytes data = hex("01 02 03 04 05 06 07");
  Checksum words;
  words.add(ByteView(data.data(), 1));
  words.add16(0x0203);
  words.add32(0x04050607);
  EXPECT_EQ(words.finish(), testing::naive_checksum(data));
}

TEST(ChecksumTest, OfNothingIsAllOnes) {
  EXPECT_EQ(internet_checksum(ByteView()), 0xffff);
}

TEST(ResultTest, CarriesAValueOrAnError) {
  Result<int> value = 42;
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(value.value(), 42);
  Result<int> error = Error::truncated;
  ASSERT_FALSE(error);
  EXPECT_EQ(error.error(), Error::truncated);
  Status done;
  EXPECT_TRUE(done.ok());
  EXPECT_STREQ(describe(Error::bad_checksum), "bad_checksum");
}

TEST(CountersTest, CountDropsPerReason) {
  Counters counters;
  counters.drop(Error::bad_checksum);
  counters.drop(Error::bad_checksum);
  counters.drop(Error::truncated);
  EXPECT_EQ(counters.dropped(Error::bad_checksum), 2u);
  EXPECT_EQ(counters.dropped(Error::truncated), 1u);
  EXPECT_EQ(counters.dropped_total(), 3u);
}

TEST(TimeTest, LaterSaturatesInsteadOfWrapping) {
  EXPECT_EQ(later(5, 10), 15u);
  EXPECT_EQ(later(never - 5, seconds(1)), never);
  EXPECT_EQ(later(never, 0), never);
}

TEST(AddressTest, KnowsWhichAddressesAreUnicast) {
  EXPECT_TRUE(Ipv4Address::of(192, 0, 2, 1).is_unicast());
  EXPECT_FALSE(Ipv4Address::any().is_unicast());
  EXPECT_FALSE(Ipv4Address::broadcast().is_unicast());
  EXPECT_FALSE(Ipv4Address::of(224, 0, 0, 1).is_unicast());
  EXPECT_FALSE(Ipv4Address::of(127, 0, 0, 1).is_unicast());
  EXPECT_TRUE(MacAddress::broadcast().is_multicast());
  EXPECT_FALSE((MacAddress{{0x02, 0, 0, 0, 0, 1}}).is_multicast());
}

}  // namespace
}  // namespace cairn::protocols
