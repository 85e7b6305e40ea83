// IPv4: header checks (every way a header can lie), header writing, and fragment reassembly.
#include <cairn/protocols/ipv4/ipv4.h>
#include <cairn/protocols/ipv4/reassembly.h>
#include <gtest/gtest.h>

#include "packet_builder.h"

namespace cairn::protocols::ipv4 {
namespace {

using testing::Bytes;
using testing::hex;
using testing::view;

const Ipv4Address source = Ipv4Address::of(192, 168, 0, 1);
const Ipv4Address destination = Ipv4Address::of(192, 168, 0, 199);

TEST(Ipv4Test, ParsesTheWorkedExampleHeaderAndItsPayload) {
  // 20 bytes of header with checksum b861, total length 0x73 = 115: 95 bytes of UDP payload.
  Bytes packet = hex("45 00 00 73 00 00 40 00 40 11 b8 61 c0 a8 00 01 c0 a8 00 c7");
  packet.resize(115, 0xab);
  Result<Packet> parsed = parse(view(packet));
  ASSERT_TRUE(parsed.ok());
  const Header& header = parsed->header;
  EXPECT_EQ(header.header_length, 20);
  EXPECT_EQ(header.total_length, 115);
  EXPECT_TRUE(header.dont_fragment);
  EXPECT_FALSE(header.is_fragment());
  EXPECT_EQ(header.ttl, 64);
  EXPECT_EQ(header.protocol, protocol::udp);
  EXPECT_EQ(header.source, source);
  EXPECT_EQ(header.destination, destination);
  EXPECT_EQ(parsed->payload.size(), 95u);
}

TEST(Ipv4Test, CutsLinkPaddingAfterTheTotalLength) {
  Bytes packet = testing::ipv4_packet(source, destination, protocol::icmp, {1, 2, 3});
  packet.resize(46, 0);  // Ethernet pads to 46 bytes of payload
  Result<Packet> parsed = parse(view(packet));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(testing::bytes_of(parsed->payload), (Bytes{1, 2, 3}));
}

TEST(Ipv4Test, SkipsOptions) {
  // Record Route (7) with room for one address, then End of Options: IHL 7.
  testing::Ipv4Fields fields;
  fields.options = hex("07 07 04 00 00 00 00 00");
  Bytes packet = testing::ipv4_packet(source, destination, protocol::udp, {9, 8, 7}, fields);
  Result<Packet> parsed = parse(view(packet));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->header.header_length, 28);
  EXPECT_EQ(parsed->header_bytes.size(), 28u);
  EXPECT_EQ(testing::bytes_of(parsed->payload), (Bytes{9, 8, 7}));
}

TEST(Ipv4Test, RefusesTruncatedHeaders) {
  Bytes packet = testing::ipv4_packet(source, destination, protocol::udp, {});
  for (size_t size = 0; size < header_size; ++size) {
    EXPECT_EQ(parse(ByteView(packet.data(), size)).error(), Error::truncated) << size;
  }
}

TEST(Ipv4Test, RefusesOtherVersions) {
  Bytes packet = testing::ipv4_packet(source, destination, protocol::udp, {});
  packet[0] = 0x65;  // IPv6's version with IHL 5
  testing::fix_ipv4_checksum(packet);
  EXPECT_EQ(parse(view(packet)).error(), Error::bad_version);
}

TEST(Ipv4Test, RefusesHeaderLengthsBelowFiveWordsOrBeyondTheBytes) {
  Bytes packet = testing::ipv4_packet(source, destination, protocol::udp, {1, 2, 3, 4});
  for (uint8_t ihl = 0; ihl < 5; ++ihl) {
    Bytes bad = packet;
    bad[0] = static_cast<uint8_t>(0x40 | ihl);
    EXPECT_EQ(parse(view(bad)).error(), Error::bad_header_length) << "IHL " << int(ihl);
  }
  Bytes beyond = packet;
  beyond[0] = 0x4f;  // 60 bytes of header in a 24-byte packet
  EXPECT_EQ(parse(view(beyond)).error(), Error::bad_header_length);
}

TEST(Ipv4Test, RefusesTotalLengthsThatLie) {
  Bytes packet = testing::ipv4_packet(source, destination, protocol::udp, {1, 2, 3, 4});
  Bytes longer = packet;
  longer[3] = 25;  // one byte more than there is
  testing::fix_ipv4_checksum(longer);
  EXPECT_EQ(parse(view(longer)).error(), Error::bad_length);
  Bytes shorter = packet;
  shorter[3] = 19;  // less than the header itself
  testing::fix_ipv4_checksum(shorter);
  EXPECT_EQ(parse(view(shorter)).error(), Error::bad_length);
}

TEST(Ipv4Test, RefusesABadChecksum) {
  Bytes packet = testing::ipv4_packet(source, destination, protocol::udp, {});
  packet[11] ^= 1;
  EXPECT_EQ(parse(view(packet)).error(), Error::bad_checksum);
}

TEST(Ipv4Test, KeepsPacketsWithALowTtl) {
  // RFC 1122 3.2.1.7: a host must not discard a datagram because its TTL is below 2.
  testing::Ipv4Fields fields;
  fields.ttl = 0;
  Bytes packet = testing::ipv4_packet(source, destination, protocol::udp, {}, fields);
  ASSERT_TRUE(parse(view(packet)).ok());
  EXPECT_EQ(parse(view(packet))->header.ttl, 0);
}

TEST(Ipv4Test, ReadsFragmentFields) {
  testing::Ipv4Fields fields;
  fields.flags_and_offset = 0x2000 | 185;  // more fragments, offset 185 * 8 = 1480
  Bytes packet = testing::ipv4_packet(source, destination, protocol::icmp, Bytes(8), fields);
  Result<Packet> parsed = parse(view(packet));
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->header.more_fragments);
  EXPECT_EQ(parsed->header.fragment_offset, 1480);
  EXPECT_TRUE(parsed->header.is_fragment());
}

TEST(Ipv4Test, WritesAHeaderEqualToTheHandBuiltOne) {
  Header header;
  header.total_length = 23;
  header.identification = 0x1234;
  header.protocol = protocol::udp;
  header.source = source;
  header.destination = destination;
  uint8_t out[header_size];
  write_header(out, header);
  Bytes expected = testing::ipv4_packet(source, destination, protocol::udp, {1, 2, 3});
  expected.resize(header_size);
  EXPECT_EQ(Bytes(out, out + header_size), expected);
}

TEST(Ipv4Test, NeverWritesTtlZero) {
  Header header;
  header.ttl = 0;
  uint8_t out[header_size];
  write_header(out, header);
  EXPECT_EQ(out[8], default_ttl);
}

TEST(Ipv4ConfigTest, KnowsItsSubnetAndBroadcasts) {
  Config config{Ipv4Address::of(10, 1, 2, 3), Ipv4Address::of(255, 255, 0, 0), Ipv4Address::of(10, 1, 0, 1)};
  EXPECT_TRUE(config.in_subnet(Ipv4Address::of(10, 1, 200, 7)));
  EXPECT_FALSE(config.in_subnet(Ipv4Address::of(10, 2, 0, 1)));
  EXPECT_TRUE(config.is_broadcast(Ipv4Address::of(10, 1, 255, 255)));
  EXPECT_TRUE(config.is_broadcast(Ipv4Address::broadcast()));
  EXPECT_FALSE(config.is_broadcast(Ipv4Address::of(10, 1, 255, 254)));
  Config point_to_point{Ipv4Address::of(10, 1, 2, 3), Ipv4Address::broadcast(), {}};
  EXPECT_FALSE(point_to_point.is_broadcast(Ipv4Address::of(10, 1, 2, 3)));
}

// ---- Reassembly -----------------------------------------------------------------------------------

class ReassemblerTest : public ::testing::Test {
 protected:
  // A fragment of datagram `id` carrying payload bytes [offset, offset + size) of `whole`.
  Bytes fragment(uint16_t id, size_t offset, size_t size, bool more, Ipv4Address from = source) {
    testing::Ipv4Fields fields;
    fields.identification = id;
    fields.flags_and_offset = static_cast<uint16_t>((more ? 0x2000 : 0) | offset / 8);
    Bytes data(whole.begin() + static_cast<long>(offset), whole.begin() + static_cast<long>(offset + size));
    return testing::ipv4_packet(from, destination, protocol::udp, data, fields);
  }

  Result<bool> add(const Bytes& bytes, Time now = seconds(10)) {
    Result<Packet> packet = parse(view(bytes));
    EXPECT_TRUE(packet.ok());
    return reassembler.add(packet.value(), now, payload);
  }

  Counters counters;
  Reassembler reassembler{counters};
  ByteView payload;
  Bytes whole = [] {
    Bytes bytes(3000);
    for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 7);
    return bytes;
  }();
};

TEST_F(ReassemblerTest, ReassemblesFragmentsInOrder) {
  EXPECT_FALSE(add(fragment(1, 0, 1480, true)).value());
  EXPECT_FALSE(add(fragment(1, 1480, 1480, true)).value());
  Result<bool> last = add(fragment(1, 2960, 40, false));
  ASSERT_TRUE(last.ok());
  ASSERT_TRUE(last.value());
  EXPECT_EQ(testing::bytes_of(payload), whole);
  EXPECT_EQ(reassembler.datagrams_in_progress(), 0u);
}

TEST_F(ReassemblerTest, ReassemblesFragmentsOutOfOrder) {
  EXPECT_FALSE(add(fragment(2, 2960, 40, false)).value());
  EXPECT_FALSE(add(fragment(2, 0, 1480, true)).value());
  ASSERT_TRUE(add(fragment(2, 1480, 1480, true)).value());
  EXPECT_EQ(testing::bytes_of(payload), whole);
}

TEST_F(ReassemblerTest, KeepsDatagramsFromDifferentSourcesApart) {
  Ipv4Address elsewhere = Ipv4Address::of(192, 168, 0, 2);
  EXPECT_FALSE(add(fragment(3, 0, 1480, true)).value());
  EXPECT_FALSE(add(fragment(3, 0, 1480, true, elsewhere)).value());
  EXPECT_EQ(reassembler.datagrams_in_progress(), 2u);
  ASSERT_TRUE(add(fragment(3, 1480, 1520, false, elsewhere)).value());
  EXPECT_EQ(testing::bytes_of(payload), whole);
  EXPECT_EQ(reassembler.datagrams_in_progress(), 1u);
}

TEST_F(ReassemblerTest, DropsTheWholeDatagramWhenFragmentsOverlap) {
  EXPECT_FALSE(add(fragment(4, 0, 1480, true)).value());
  EXPECT_EQ(add(fragment(4, 1472, 16, true)).error(), Error::fragment_overlap);
  EXPECT_EQ(reassembler.datagrams_in_progress(), 0u);
  // The rest alone never completes: a new datagram starts and waits.
  EXPECT_FALSE(add(fragment(4, 2960, 40, false)).value());
  EXPECT_EQ(counters.dropped(Error::fragment_overlap), 1u);
}

TEST_F(ReassemblerTest, TreatsADuplicateFragmentAsAnOverlap) {
  EXPECT_FALSE(add(fragment(5, 0, 1480, true)).value());
  EXPECT_EQ(add(fragment(5, 0, 1480, true)).error(), Error::fragment_overlap);
}

TEST_F(ReassemblerTest, DropsIncompleteDatagramsAfterTheTimeout) {
  EXPECT_FALSE(add(fragment(6, 0, 1480, true), seconds(10)).value());
  EXPECT_EQ(reassembler.next_deadline(), seconds(10) + Reassembler::timeout);
  reassembler.on_timer(seconds(39));
  EXPECT_EQ(reassembler.datagrams_in_progress(), 1u);
  reassembler.on_timer(seconds(40));
  EXPECT_EQ(reassembler.datagrams_in_progress(), 0u);
  EXPECT_EQ(counters.dropped(Error::fragment_timeout), 1u);
  EXPECT_EQ(reassembler.next_deadline(), never);
}

TEST_F(ReassemblerTest, BoundsTheDatagramsInProgress) {
  for (uint16_t id = 10; id < 10 + Reassembler::max_datagrams; ++id) {
    EXPECT_FALSE(add(fragment(id, 0, 8, true)).value());
  }
  EXPECT_EQ(add(fragment(99, 0, 8, true)).error(), Error::queue_full);
  EXPECT_EQ(counters.dropped(Error::queue_full), 1u);
  EXPECT_EQ(reassembler.datagrams_in_progress(), Reassembler::max_datagrams);
}

TEST_F(ReassemblerTest, DropsDatagramsBeyondTheSizeBound) {
  whole.resize(Reassembler::max_payload_size + 8);
  EXPECT_FALSE(add(fragment(7, 0, 1480, true)).value());
  EXPECT_EQ(add(fragment(7, Reassembler::max_payload_size, 8, false)).error(), Error::too_large);
  EXPECT_EQ(reassembler.datagrams_in_progress(), 0u);  // the whole datagram went
  // A fragment claiming the largest offset the field allows.
  testing::Ipv4Fields fields;
  fields.flags_and_offset = 0x1fff;
  Bytes far = testing::ipv4_packet(source, destination, protocol::udp, Bytes(100), fields);
  EXPECT_EQ(add(far).error(), Error::too_large);
}

TEST_F(ReassemblerTest, DropsEmptyFragmentsAndMiddleFragmentsNotMadeOf8ByteBlocks) {
  EXPECT_EQ(add(fragment(8, 0, 0, true)).error(), Error::bad_length);
  EXPECT_EQ(add(fragment(8, 0, 100, true)).error(), Error::bad_length);
  EXPECT_EQ(counters.dropped(Error::bad_length), 2u);
}

TEST_F(ReassemblerTest, DropsDatagramsWhoseLastFragmentContradictsTheOthers) {
  EXPECT_FALSE(add(fragment(9, 1480, 1480, true)).value());
  EXPECT_EQ(add(fragment(9, 0, 1000, false)).error(), Error::bad_length);  // ends before data already in
  EXPECT_FALSE(add(fragment(10, 2960, 40, false)).value());
  EXPECT_EQ(add(fragment(10, 1480, 40, false)).error(), Error::bad_length);  // a second last fragment
  EXPECT_FALSE(add(fragment(11, 1480, 40, false)).value());
  EXPECT_EQ(add(fragment(11, 1480, 1480, true)).error(), Error::bad_length);  // beyond the known end
}

}  // namespace
}  // namespace cairn::protocols::ipv4
