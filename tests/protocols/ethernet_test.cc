// Ethernet II framing: headers, the 802.1Q tag, what is refused.
#include <cairn/protocols/ethernet/ethernet.h>
#include <gtest/gtest.h>

#include "packet_builder.h"

namespace cairn::protocols::ethernet {
namespace {

using testing::Bytes;
using testing::hex;
using testing::view;

const MacAddress own{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
const MacAddress peer{{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};

TEST(EthernetTest, ParsesAnUntaggedFrame) {
  Bytes frame = testing::ethernet_frame(own, peer, ether_type::ipv4, hex("45 00 00 14"));
  Result<Frame> parsed = parse(view(frame));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->destination, own);
  EXPECT_EQ(parsed->source, peer);
  EXPECT_EQ(parsed->ether_type, ether_type::ipv4);
  EXPECT_FALSE(parsed->vlan_tagged);
  EXPECT_EQ(testing::bytes_of(parsed->payload), hex("45 00 00 14"));
}

TEST(EthernetTest, SkipsOne8021QTag) {
  // 802.1Q: TPID 8100, TCI (priority 3, VLAN 42), then the real EtherType.
  Bytes frame = testing::ethernet_frame(own, peer, ether_type::vlan, hex("60 2a 08 06 aa bb"));
  Result<Frame> parsed = parse(view(frame));
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->vlan_tagged);
  EXPECT_EQ(parsed->ether_type, ether_type::arp);
  EXPECT_EQ(testing::bytes_of(parsed->payload), hex("aa bb"));
}

TEST(EthernetTest, RefusesQinQAndDoubleTags) {
  for (uint16_t outer : {ether_type::qinq, ether_type::qinq_legacy}) {
    Bytes frame = testing::ethernet_frame(own, peer, outer, hex("00 2a 81 00 00 07 08 00"));
    EXPECT_EQ(parse(view(frame)).error(), Error::unsupported);
  }
  Bytes doubly = testing::ethernet_frame(own, peer, ether_type::vlan, hex("00 2a 81 00 00 07 08 00"));
  EXPECT_EQ(parse(view(doubly)).error(), Error::unsupported);
}

TEST(EthernetTest, Refuses8023LengthFrames) {
  Bytes frame = testing::ethernet_frame(own, peer, 46, Bytes(46));
  EXPECT_EQ(parse(view(frame)).error(), Error::unsupported);
}

TEST(EthernetTest, RefusesTruncatedHeaders) {
  Bytes frame = testing::ethernet_frame(own, peer, ether_type::ipv4, {});
  for (size_t size = 0; size < header_size; ++size) {
    EXPECT_EQ(parse(ByteView(frame.data(), size)).error(), Error::truncated) << size;
  }
  EXPECT_TRUE(parse(view(frame)).ok());  // an empty payload is still a frame
  Bytes tagged = testing::ethernet_frame(own, peer, ether_type::vlan, hex("00 2a"));
  EXPECT_EQ(parse(view(tagged)).error(), Error::truncated);
}

TEST(EthernetTest, WritesAHeaderThatParsesBack) {
  uint8_t header[header_size];
  write_header(header, MacAddress::broadcast(), own, ether_type::arp);
  EXPECT_EQ(Bytes(header, header + header_size), hex("ffffffffffff 020000000001 0806"));
}

TEST(EthernetTest, AcceptsOnlyItsOwnAddressAndBroadcast) {
  EXPECT_TRUE(accepts(own, own));
  EXPECT_TRUE(accepts(MacAddress::broadcast(), own));
  EXPECT_FALSE(accepts(peer, own));
  EXPECT_FALSE(accepts(MacAddress{{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}}, own));  // IPv4 multicast
}

}  // namespace
}  // namespace cairn::protocols::ethernet
