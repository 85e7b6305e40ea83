// ARP: packets, and the resolver's cache, replies, held packets and retries.
#include <cairn/protocols/arp/arp.h>
#include <cairn/protocols/arp/resolver.h>
#include <gtest/gtest.h>

#include "packet_builder.h"

namespace cairn::protocols::arp {
namespace {

using testing::Bytes;
using testing::hex;
using testing::view;

const MacAddress own_mac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
const MacAddress peer_mac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};
const MacAddress other_mac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x03}};
const Ipv4Address own = Ipv4Address::of(10, 0, 0, 1);
const Ipv4Address peer = Ipv4Address::of(10, 0, 0, 2);
const Ipv4Address other = Ipv4Address::of(10, 0, 0, 3);
const Ipv4Address netmask = Ipv4Address::of(255, 255, 255, 0);
const Ipv4Address gateway = Ipv4Address::of(10, 0, 0, 254);
constexpr Time start = seconds(100);

TEST(ArpPacketTest, ParsesARequestLaidOutAsRfc826Says) {
  // Who has 10.0.0.1? Tell 10.0.0.2 (02:00:00:00:00:02), with Ethernet padding after it.
  Bytes bytes = hex("0001 0800 06 04 0001 020000000002 0a000002 000000000000 0a000001 0000000000");
  Result<Packet> packet = parse(view(bytes));
  ASSERT_TRUE(packet.ok());
  EXPECT_EQ(packet->operation, Operation::request);
  EXPECT_EQ(packet->sender_mac, peer_mac);
  EXPECT_EQ(packet->sender_address, peer);
  EXPECT_TRUE(packet->target_mac.is_zero());
  EXPECT_EQ(packet->target_address, own);
}

TEST(ArpPacketTest, WritesWhatItParses) {
  Packet reply = reply_to(request(peer_mac, peer, own), own_mac);
  uint8_t bytes[packet_size];
  write(bytes, reply);
  EXPECT_EQ(Bytes(bytes, bytes + packet_size), hex("0001 0800 06 04 0002 020000000001 0a000001 020000000002 0a000002"));
}

TEST(ArpPacketTest, AnnouncementNamesTheAddressAsSenderAndTarget) {
  Packet packet = announcement(own_mac, own);
  EXPECT_EQ(packet.operation, Operation::request);
  EXPECT_EQ(packet.sender_address, own);
  EXPECT_EQ(packet.target_address, own);
  EXPECT_TRUE(packet.target_mac.is_zero());
}

TEST(ArpPacketTest, RefusesOtherHardwareProtocolsAndOperations) {
  Bytes good = testing::arp_packet(1, peer_mac, peer, MacAddress(), own);
  EXPECT_TRUE(parse(view(good)).ok());
  for (size_t at : {1u, 3u, 4u, 5u, 7u}) {  // htype, ptype, hlen, plen, operation
    Bytes bad = good;
    bad[at] ^= 0x10;
    EXPECT_EQ(parse(view(bad)).error(), Error::bad_format) << "byte " << at;
  }
  EXPECT_EQ(parse(ByteView(good.data(), packet_size - 1)).error(), Error::truncated);
}

class ResolverTest : public ::testing::Test {
 protected:
  void SetUp() override { resolver.configure(own_mac, own, netmask, gateway); }

  bool input(const Packet& packet, Time now = start) { return resolver.input(packet, now, reply); }

  Counters counters;
  Resolver resolver{counters};
  Packet reply;
  MacAddress mac;
};

TEST_F(ResolverTest, RepliesToARequestForItsAddressAndLearnsTheSender) {
  ASSERT_TRUE(input(request(peer_mac, peer, own)));
  EXPECT_EQ(reply.operation, Operation::reply);
  EXPECT_EQ(reply.sender_mac, own_mac);
  EXPECT_EQ(reply.sender_address, own);
  EXPECT_EQ(reply.target_mac, peer_mac);
  EXPECT_EQ(reply.target_address, peer);
  ASSERT_TRUE(resolver.lookup(peer, start, mac));
  EXPECT_EQ(mac, peer_mac);
}

TEST_F(ResolverTest, NeitherAnswersNorLearnsFromRequestsForOtherHosts) {
  EXPECT_FALSE(input(request(peer_mac, peer, other)));
  EXPECT_FALSE(resolver.lookup(peer, start, mac));
  EXPECT_EQ(counters.dropped(Error::not_for_us), 1u);
}

TEST_F(ResolverTest, RefreshesAKnownSenderFromAnyOfItsPackets) {
  input(request(peer_mac, peer, own));
  // The peer moved to another MAC and says so in a gratuitous ARP (target = itself).
  EXPECT_FALSE(input(announcement(other_mac, peer), start + seconds(50)));
  ASSERT_TRUE(resolver.lookup(peer, start + seconds(100), mac));  // refreshed at +50 s: alive at +100 s
  EXPECT_EQ(mac, other_mac);
}

TEST_F(ResolverTest, DropsAndCountsArpFromOtherSubnets) {
  EXPECT_FALSE(input(request(peer_mac, Ipv4Address::of(192, 168, 1, 7), own)));
  EXPECT_EQ(counters.dropped(Error::other_subnet), 1u);
  EXPECT_EQ(resolver.cached_bindings(start), 0u);
  // The gateway is reachable even when it sits outside the subnet (a /32 configuration).
  resolver.configure(own_mac, own, Ipv4Address::broadcast(), gateway);
  EXPECT_TRUE(input(request(peer_mac, gateway, own)));
}

TEST_F(ResolverTest, DropsAndCountsClaimsOnItsOwnAddress) {
  EXPECT_FALSE(input(announcement(peer_mac, own)));
  EXPECT_EQ(counters.dropped(Error::address_conflict), 1u);
  EXPECT_FALSE(resolver.lookup(own, start, mac));
}

TEST_F(ResolverTest, AnswersAProbeForItsAddressWithoutLearningFromIt) {
  // RFC 5227 2.1.1: a host about to take 10.0.0.1 asks with sender 0.0.0.0; the answer warns it.
  ASSERT_TRUE(input(request(peer_mac, Ipv4Address::any(), own)));
  EXPECT_EQ(reply.operation, Operation::reply);
  EXPECT_EQ(reply.sender_mac, own_mac);
  EXPECT_EQ(reply.sender_address, own);
  EXPECT_EQ(reply.target_mac, peer_mac);
  EXPECT_TRUE(reply.target_address.is_any());
  EXPECT_EQ(resolver.cached_bindings(start), 0u);
}

TEST_F(ResolverTest, DropsOtherProbesAndBroadcastOrGroupSenders) {
  EXPECT_FALSE(input(request(peer_mac, Ipv4Address::any(), other)));               // a probe for another address
  EXPECT_FALSE(input(request(MacAddress::broadcast(), Ipv4Address::any(), own)));  // a probe from a group MAC
  EXPECT_FALSE(input(request(peer_mac, Ipv4Address::of(10, 0, 0, 255), own)));     // subnet broadcast
  EXPECT_FALSE(input(request(MacAddress::broadcast(), peer, own)));                // group MAC
  EXPECT_EQ(counters.dropped(Error::bad_address), 4u);
  EXPECT_EQ(resolver.cached_bindings(start), 0u);
}

TEST_F(ResolverTest, IgnoresEverythingBeforeItHasAnAddress) {
  resolver.configure(own_mac, Ipv4Address::any(), Ipv4Address::any(), Ipv4Address::any());
  EXPECT_FALSE(input(request(peer_mac, peer, Ipv4Address::any())));
  EXPECT_EQ(counters.dropped(Error::not_for_us), 1u);
}

TEST_F(ResolverTest, ForgetsABindingAfterItsLifetime) {
  input(request(peer_mac, peer, own));
  EXPECT_TRUE(resolver.lookup(peer, start + seconds(59), mac));
  EXPECT_FALSE(resolver.lookup(peer, start + seconds(60), mac));
}

TEST_F(ResolverTest, ReplacesTheBindingClosestToExpiryWhenFull) {
  for (uint8_t i = 0; i < Resolver::cache_size; ++i) {
    MacAddress sender{{0x02, 0, 0, 0, 1, i}};
    input(request(sender, Ipv4Address::of(10, 0, 0, static_cast<uint8_t>(10 + i)), own), start + i);
  }
  EXPECT_EQ(resolver.cached_bindings(start + 100), Resolver::cache_size);
  input(request(peer_mac, peer, own), start + 100);
  EXPECT_TRUE(resolver.lookup(peer, start + 100, mac));
  EXPECT_FALSE(resolver.lookup(Ipv4Address::of(10, 0, 0, 10), start + 100, mac));  // the oldest went
  EXPECT_TRUE(resolver.lookup(Ipv4Address::of(10, 0, 0, 11), start + 100, mac));
}

TEST_F(ResolverTest, HoldsPacketsUntilTheReplyThenReleasesThemInOrder) {
  Bytes first = {1, 1, 1}, second = {2, 2};
  Result<bool> held = resolver.hold(peer, view(first), start);
  ASSERT_TRUE(held.ok());
  EXPECT_TRUE(held.value());  // the first packet: send a request now
  held = resolver.hold(peer, view(second), start);
  ASSERT_TRUE(held.ok());
  EXPECT_FALSE(held.value());  // already asked
  ByteView packet;
  EXPECT_FALSE(resolver.take_resolved(mac, packet));

  EXPECT_FALSE(input(reply_to(request(own_mac, own, peer), peer_mac)));
  ASSERT_TRUE(resolver.take_resolved(mac, packet));
  EXPECT_EQ(mac, peer_mac);
  EXPECT_EQ(testing::bytes_of(packet), first);
  ASSERT_TRUE(resolver.take_resolved(mac, packet));
  EXPECT_EQ(testing::bytes_of(packet), second);
  EXPECT_FALSE(resolver.take_resolved(mac, packet));
  EXPECT_EQ(resolver.held_packets(), 0u);
  EXPECT_EQ(resolver.next_deadline(), never);
}

TEST_F(ResolverTest, BoundsHeldPacketsPerDestinationAndInTotal) {
  Bytes packet = {0x45};
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(resolver.hold(peer, view(packet), start).ok());
  EXPECT_EQ(resolver.hold(peer, view(packet), start).error(), Error::queue_full);  // 4 per destination
  for (uint8_t i = 0; i < 4; ++i) {
    ASSERT_TRUE(resolver.hold(Ipv4Address::of(10, 0, 0, static_cast<uint8_t>(20 + i)), view(packet), start).ok());
  }
  EXPECT_EQ(resolver.hold(other, view(packet), start).error(), Error::queue_full);  // 8 in all
  EXPECT_EQ(counters.dropped(Error::queue_full), 2u);
  EXPECT_EQ(resolver.held_packets(), Resolver::max_held_packets);
  Bytes huge(Resolver::max_held_packet_size + 1);
  EXPECT_EQ(resolver.hold(other, view(huge), start).error(), Error::too_large);
}

TEST_F(ResolverTest, RetriesRequestsThenDropsThePacketsOfSilentHosts) {
  Bytes packet = {0x45};
  ASSERT_TRUE(resolver.hold(peer, view(packet), start).value());  // request 1 of 3, now
  ASSERT_TRUE(resolver.hold(peer, view(packet), start).ok());
  Ipv4Address due;
  EXPECT_FALSE(resolver.take_due_request(start + milliseconds(999), due));
  EXPECT_EQ(resolver.next_deadline(), start + seconds(1));
  ASSERT_TRUE(resolver.take_due_request(start + seconds(1), due));  // request 2
  EXPECT_EQ(due, peer);
  EXPECT_FALSE(resolver.take_due_request(start + seconds(1), due));
  ASSERT_TRUE(resolver.take_due_request(start + seconds(2), due));   // request 3
  EXPECT_FALSE(resolver.take_due_request(start + seconds(3), due));  // no answer: give up
  EXPECT_EQ(resolver.held_packets(), 0u);
  EXPECT_EQ(counters.dropped(Error::unresolved), 2u);
  EXPECT_EQ(resolver.next_deadline(), never);
}

TEST_F(ResolverTest, ForgetsEverythingWhenTheAddressChanges) {
  input(request(peer_mac, peer, own));
  Bytes packet = {0x45};
  ASSERT_TRUE(resolver.hold(other, view(packet), start).ok());
  resolver.configure(own_mac, own, netmask, gateway);  // unchanged: nothing forgotten
  EXPECT_EQ(resolver.cached_bindings(start), 1u);
  resolver.configure(own_mac, Ipv4Address::of(10, 0, 0, 9), netmask, gateway);
  EXPECT_EQ(resolver.cached_bindings(start), 0u);
  EXPECT_EQ(resolver.held_packets(), 0u);
}

}  // namespace
}  // namespace cairn::protocols::arp
