// ICMP: messages, echo replies, destination unreachable, and the error rate limit.
#include <cairn/protocols/icmp/icmp.h>
#include <gtest/gtest.h>

#include "packet_builder.h"

namespace cairn::protocols::icmp {
namespace {

using testing::Bytes;
using testing::hex;
using testing::view;

// What Linux ping sends: 8 bytes of time stamp, then 0x10, 0x11, ... 0x37.
Bytes ping_body() {
  Bytes body = hex("a0 5b 6f 65 00 00 00 00");
  for (uint8_t b = 0x10; b < 0x38; ++b) body.push_back(b);
  return body;
}

TEST(IcmpTest, ParsesAnEchoRequest) {
  Bytes message = testing::echo_request(0x1c46, 3, ping_body());
  Result<Message> parsed = parse(view(message));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->type, type::echo_request);
  EXPECT_EQ(parsed->code, 0);
  EXPECT_EQ(parsed->identifier(), 0x1c46);
  EXPECT_EQ(parsed->sequence(), 3);
  EXPECT_EQ(testing::bytes_of(parsed->body), ping_body());
}

TEST(IcmpTest, RefusesTruncatedMessagesAndBadChecksums) {
  Bytes message = testing::echo_request(1, 1, {1, 2, 3});
  EXPECT_EQ(parse(ByteView(message.data(), header_size - 1)).error(), Error::truncated);
  Bytes corrupted = message;
  corrupted.back() ^= 0xff;
  EXPECT_EQ(parse(view(corrupted)).error(), Error::bad_checksum);
}

TEST(IcmpTest, EchoReplyCopiesIdentifierSequenceAndBody) {
  Bytes request = testing::echo_request(0x1c46, 3, ping_body());
  Message parsed = parse(view(request)).value();
  uint8_t header[header_size];
  write_echo_reply_header(header, parsed);
  Bytes reply(header, header + header_size);
  testing::append(reply, testing::bytes_of(parsed.body));
  EXPECT_EQ(reply, testing::icmp_message(type::echo_reply, 0, 0x1c460003, ping_body()));
}

TEST(IcmpTest, EchoReplyOfAnOddLengthBodyHasAValidChecksum) {
  Bytes request = testing::echo_request(7, 9, {1, 2, 3, 4, 5});
  Message parsed = parse(view(request)).value();
  uint8_t header[header_size];
  write_echo_reply_header(header, parsed);
  Bytes reply(header, header + header_size);
  testing::append(reply, {1, 2, 3, 4, 5});
  EXPECT_EQ(testing::naive_checksum(reply), 0);
}

TEST(IcmpTest, PortUnreachableQuotesTheOffendingDatagram) {
  Bytes offending = testing::ipv4_packet(
      Ipv4Address::of(10, 0, 0, 2), Ipv4Address::of(10, 0, 0, 1), 17,
      testing::udp_datagram(Ipv4Address::of(10, 0, 0, 2), 5000, Ipv4Address::of(10, 0, 0, 1), 9, {1, 2, 3}));
  uint8_t header[header_size];
  write_unreachable_header(header, unreachable::port, view(offending));
  Bytes message(header, header + header_size);
  testing::append(message, offending);
  EXPECT_EQ(message, testing::icmp_message(type::destination_unreachable, unreachable::port, 0, offending));
}

TEST(IcmpTest, ErrorsQuoteNoMoreThanFitsIn576Bytes) {
  EXPECT_EQ(quoted_size(100), 100u);
  EXPECT_EQ(quoted_size(1500), 576u - 20 - 8);
}

TEST(IcmpTest, KnowsWhichMessagesAreErrors) {
  for (uint8_t t : {3, 4, 5, 11, 12}) EXPECT_TRUE(is_error(t)) << int(t);
  for (uint8_t t : {0, 8, 13, 14}) EXPECT_FALSE(is_error(t)) << int(t);
}

TEST(RateLimiterTest, AllowsABurstThenTheSteadyRate) {
  RateLimiter limiter(3, 10);  // 3 at once, then one per 100 ms
  Time now = seconds(5);
  EXPECT_TRUE(limiter.allow(now));
  EXPECT_TRUE(limiter.allow(now));
  EXPECT_TRUE(limiter.allow(now));
  EXPECT_FALSE(limiter.allow(now));
  EXPECT_FALSE(limiter.allow(now + milliseconds(99)));
  EXPECT_TRUE(limiter.allow(now + milliseconds(100)));
  EXPECT_FALSE(limiter.allow(now + milliseconds(150)));
  EXPECT_TRUE(limiter.allow(now + milliseconds(200)));
}

TEST(RateLimiterTest, NeverSavesMoreThanTheBurst) {
  RateLimiter limiter(2, 10);
  Time now = seconds(1000);  // a long silence
  int allowed = 0;
  for (int i = 0; i < 100; ++i) allowed += limiter.allow(now) ? 1 : 0;
  EXPECT_EQ(allowed, 2);
}

TEST(RateLimiterTest, KeepsTheRateUnderAFlood) {
  RateLimiter limiter(10, 100);
  int allowed = 0;
  for (Time now = seconds(1); now < seconds(11); now += milliseconds(1)) allowed += limiter.allow(now) ? 1 : 0;
  EXPECT_GE(allowed, 1000);
  EXPECT_LE(allowed, 1010);  // 10 s at 100/s, plus the burst
}

}  // namespace
}  // namespace cairn::protocols::icmp
