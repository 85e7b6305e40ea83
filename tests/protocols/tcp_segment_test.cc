// TCP segments: parsing hand-built segments (checksums computed by the test's own naive code),
// writing headers with every option, and refusing malformed ones.
#include <cairn/protocols/tcp/segment.h>
#include <gtest/gtest.h>

#include "packet_builder.h"

namespace cairn::protocols::tcp {
namespace {

using testing::Bytes;
using testing::put16;
using testing::put32;

const Ipv4Address client = Ipv4Address::of(10, 0, 0, 2);
const Ipv4Address server = Ipv4Address::of(10, 0, 0, 1);

// A segment assembled field by field, `options` already padded to a multiple of 4.
Bytes tcp_segment(uint16_t source_port, uint16_t destination_port, uint32_t sequence, uint32_t acknowledgment,
                  uint8_t flags, uint16_t window, const Bytes& options, const Bytes& payload) {
  Bytes segment;
  put16(segment, source_port);
  put16(segment, destination_port);
  put32(segment, sequence);
  put32(segment, acknowledgment);
  segment.push_back(static_cast<uint8_t>((20 + options.size()) / 4 << 4));
  segment.push_back(flags);
  put16(segment, window);
  put16(segment, 0);
  put16(segment, 0);
  segment.insert(segment.end(), options.begin(), options.end());
  segment.insert(segment.end(), payload.begin(), payload.end());
  Bytes pseudo;
  put32(pseudo, client.value);
  put32(pseudo, server.value);
  put16(pseudo, 6);
  put16(pseudo, static_cast<uint16_t>(segment.size()));
  pseudo.insert(pseudo.end(), segment.begin(), segment.end());
  uint16_t sum = testing::naive_checksum(pseudo);
  segment[16] = static_cast<uint8_t>(sum >> 8);
  segment[17] = static_cast<uint8_t>(sum);
  return segment;
}

TEST(TcpSegmentTest, ParsesALinuxSynWithItsOptions) {
  // MSS 1460, SACK-permitted, timestamps, NOP, window scale 7: what Linux sends.
  Bytes options = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7};
  Bytes bytes = tcp_segment(40000, 80, 1000, 0, Flag::syn, 64240, options, {});
  Result<Segment> segment = parse(testing::view(bytes), client, server);
  ASSERT_TRUE(segment.ok()) << describe(segment.error());
  EXPECT_EQ(segment->source_port, 40000);
  EXPECT_EQ(segment->destination_port, 80);
  EXPECT_EQ(segment->sequence, 1000u);
  EXPECT_TRUE(segment->has(Flag::syn));
  EXPECT_EQ(segment->window, 64240);
  EXPECT_TRUE(segment->options.has_mss);
  EXPECT_EQ(segment->options.mss, 1460);
  EXPECT_TRUE(segment->options.sack_permitted);
  EXPECT_TRUE(segment->options.has_timestamps);
  EXPECT_EQ(segment->options.timestamp_value, 1u);
  EXPECT_TRUE(segment->options.has_window_scale);
  EXPECT_EQ(segment->options.window_scale, 7);
  EXPECT_EQ(segment->length(), 1u);
}

TEST(TcpSegmentTest, ParsesSackBlocksAndPayload) {
  Bytes options = {1, 1, 5, 18, 0, 0, 0, 10, 0, 0, 0, 20, 0, 0, 0, 30, 0, 0, 0, 40};
  Bytes bytes = tcp_segment(80, 40000, 5, 6, Flag::ack | Flag::fin, 100, options, {'h', 'i'});
  Result<Segment> segment = parse(testing::view(bytes), client, server);
  ASSERT_TRUE(segment.ok());
  ASSERT_EQ(segment->options.sack_count, 2);
  EXPECT_EQ(segment->options.sack[0].left, 10u);
  EXPECT_EQ(segment->options.sack[0].right, 20u);
  EXPECT_EQ(segment->options.sack[1].right, 40u);
  EXPECT_EQ(segment->payload.size(), 2u);
  EXPECT_EQ(segment->length(), 3u);  // two bytes and the FIN
}

TEST(TcpSegmentTest, RefusesMalformedSegments) {
  Bytes good = tcp_segment(1, 2, 3, 4, Flag::ack, 5, {}, {'x'});
  EXPECT_EQ(parse(ByteView(good.data(), 19), client, server).error(), Error::truncated);

  Bytes bad_sum = good;
  bad_sum.back() ^= 1;
  EXPECT_EQ(parse(testing::view(bad_sum), client, server).error(), Error::bad_checksum);
  EXPECT_EQ(parse(testing::view(good), client, Ipv4Address::of(10, 0, 0, 9)).error(), Error::bad_checksum);

  Bytes short_offset = tcp_segment(1, 2, 3, 4, Flag::ack, 5, {}, {});
  short_offset[12] = 4 << 4;
  EXPECT_EQ(parse(testing::view(short_offset), client, server).error(), Error::bad_header_length);
  Bytes long_offset = tcp_segment(1, 2, 3, 4, Flag::ack, 5, {}, {});
  long_offset[12] = 6 << 4;
  EXPECT_EQ(parse(testing::view(long_offset), client, server).error(), Error::bad_header_length);

  // Option lengths that contradict their kind, or run past the header.
  for (const Bytes& options :
       {Bytes{2, 3, 0, 0}, Bytes{3, 4, 1, 0}, Bytes{8, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, Bytes{5, 2, 0, 0},
        Bytes{5, 7, 0, 0, 0, 0, 0, 0}, Bytes{1, 1, 1, 30}, Bytes{1, 1, 1, 0xfe}, Bytes{1, 1, 1, 9}}) {
    Bytes bytes = tcp_segment(1, 2, 3, 4, Flag::ack, 5, options, {});
    EXPECT_EQ(parse(testing::view(bytes), client, server).error(), Error::bad_format) << int(options[0]);
  }
}

TEST(TcpSegmentTest, SkipsUnknownOptionsAndStopsAtEndOfList) {
  Bytes options = {30, 4, 0xaa, 0xbb, 0, 2, 3, 0};  // an unknown kind, then end-of-list before an MSS
  Bytes bytes = tcp_segment(1, 2, 3, 4, Flag::ack, 5, options, {});
  Result<Segment> segment = parse(testing::view(bytes), client, server);
  ASSERT_TRUE(segment.ok());
  EXPECT_FALSE(segment->options.has_mss);
}

TEST(TcpSegmentTest, WritesWhatItParsesBack) {
  Segment segment;
  segment.source_port = 80;
  segment.destination_port = 51000;
  segment.sequence = 0xfffffff0;
  segment.acknowledgment = 77;
  segment.flags = Flag::syn | Flag::ack;
  segment.window = 29200;
  segment.options.has_mss = true;
  segment.options.mss = 1460;
  segment.options.sack_permitted = true;
  segment.options.has_timestamps = true;
  segment.options.timestamp_value = 123456;
  segment.options.timestamp_echo = 654321;
  segment.options.has_window_scale = true;
  segment.options.window_scale = 9;
  Bytes payload = {1, 2, 3};
  segment.payload = testing::view(payload);

  uint8_t header[max_header_size];
  size_t size = write_header(header, segment, server, client);
  EXPECT_EQ(size, 40u);  // 20 + MSS 4 + SACK-permitted/timestamps 12 + window scale 4
  Bytes wire(header, header + size);
  wire.insert(wire.end(), payload.begin(), payload.end());
  Result<Segment> back = parse(testing::view(wire), server, client);
  ASSERT_TRUE(back.ok()) << describe(back.error());
  EXPECT_EQ(back->sequence, segment.sequence);
  EXPECT_EQ(back->acknowledgment, 77u);
  EXPECT_EQ(back->flags, segment.flags);
  EXPECT_EQ(back->options.mss, 1460);
  EXPECT_TRUE(back->options.sack_permitted);
  EXPECT_EQ(back->options.timestamp_echo, 654321u);
  EXPECT_EQ(back->options.window_scale, 9);
  EXPECT_EQ(testing::bytes_of(back->payload), payload);
}

TEST(TcpSegmentTest, WritesAsManySackBlocksAsFitBesideTimestamps) {
  Segment segment;
  segment.flags = Flag::ack;
  segment.options.has_timestamps = true;
  segment.options.sack_count = 4;
  for (uint32_t i = 0; i < 4; ++i) segment.options.sack[i] = {100 * i, 100 * i + 50};
  EXPECT_EQ(header_size_for(segment.options), 60u);  // 20 + 12 + 4 + 3 blocks
  uint8_t header[max_header_size];
  size_t size = write_header(header, segment, server, client);
  Result<Segment> back = parse(ByteView(header, size), server, client);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->options.sack_count, 3);
  EXPECT_EQ(back->options.sack[2].left, 200u);
  segment.options.has_timestamps = false;
  EXPECT_EQ(header_size_for(segment.options), 56u);  // 20 + 4 + 4 blocks
}

}  // namespace
}  // namespace cairn::protocols::tcp
