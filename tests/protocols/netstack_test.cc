// The composed interface, end to end in memory with a simulated clock: against hand-crafted peer
// frames (ARP, ping, UDP, hostile packets, a scripted DHCP server), and two interfaces wired back
// to back.
#include <cairn/protocols/netstack/interface.h>
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <vector>

#include "packet_builder.h"

namespace cairn::protocols::netstack {
namespace {

using testing::Bytes;
using testing::view;

const MacAddress own_mac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
const MacAddress peer_mac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};
const MacAddress gateway_mac{{0x02, 0x00, 0x00, 0x00, 0x00, 0xfe}};
const Ipv4Address own = Ipv4Address::of(10, 0, 0, 1);
const Ipv4Address peer = Ipv4Address::of(10, 0, 0, 2);
const Ipv4Address gateway = Ipv4Address::of(10, 0, 0, 254);
const Ipv4Address netmask = Ipv4Address::of(255, 255, 255, 0);
constexpr Time start = seconds(50);

Config static_config(const MacAddress& mac = own_mac, Ipv4Address address = own) {
  Config config;
  config.mac = mac;
  config.use_dhcp = false;
  config.static_address = {address, netmask, gateway};
  return config;
}

std::vector<Bytes> drain(Interface& interface) {
  std::vector<Bytes> frames;
  for (ByteView frame; interface.next_output(frame);) frames.push_back(testing::bytes_of(frame));
  return frames;
}

// A frame taken apart with the stack's own parsers, for checking what it sent.
struct Sent {
  ethernet::Frame frame;
  ipv4::Packet packet;
  Bytes bytes;
};

Sent parse_ipv4_frame(const Bytes& bytes) {
  Sent sent;
  sent.bytes = bytes;
  Result<ethernet::Frame> frame = ethernet::parse(view(sent.bytes));
  EXPECT_TRUE(frame.ok());
  sent.frame = frame.value();
  EXPECT_EQ(sent.frame.ether_type, ethernet::ether_type::ipv4);
  Result<ipv4::Packet> packet = ipv4::parse(sent.frame.payload);
  EXPECT_TRUE(packet.ok()) << (packet.ok() ? "" : describe(packet.error()));
  sent.packet = packet.value();
  return sent;
}

arp::Packet parse_arp_frame(const Bytes& bytes, MacAddress* destination = nullptr) {
  Result<ethernet::Frame> frame = ethernet::parse(view(bytes));
  EXPECT_TRUE(frame.ok());
  EXPECT_EQ(frame->ether_type, ethernet::ether_type::arp);
  if (destination != nullptr) *destination = frame->destination;
  Result<arp::Packet> packet = arp::parse(frame->payload);
  EXPECT_TRUE(packet.ok());
  return packet.value();
}

// `frame` is a gratuitous ARP that announces `own` as this interface's (RFC 5227 2.3), broadcast.
void expect_announcement(const Bytes& frame) {
  MacAddress destination;
  arp::Packet announcement = parse_arp_frame(frame, &destination);
  EXPECT_TRUE(destination.is_broadcast());
  EXPECT_EQ(announcement.sender_mac, own_mac);
  EXPECT_EQ(announcement.sender_address, own);
  EXPECT_EQ(announcement.target_address, own);
}

class InterfaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    net.start(start);
    drain(net);  // the announcement
    Event event;
    while (net.next_event(event)) {
    }
  }

  // Frames from the peer.
  Bytes from_peer(uint16_t type, const Bytes& payload, const MacAddress& destination = own_mac) {
    return testing::ethernet_frame(destination, peer_mac, type, payload);
  }
  Bytes ipv4_from_peer(uint8_t protocol, const Bytes& payload, Ipv4Address destination = own,
                       const testing::Ipv4Fields& fields = {}) {
    return from_peer(ethernet::ether_type::ipv4, testing::ipv4_packet(peer, destination, protocol, payload, fields),
                     destination.is_broadcast() ? MacAddress::broadcast() : own_mac);
  }
  Bytes udp_from_peer(uint16_t port, const Bytes& payload, Ipv4Address destination = own) {
    return ipv4_from_peer(ipv4::protocol::udp, testing::udp_datagram(peer, 5000, destination, port, payload),
                          destination);
  }
  // The peer says who it is, so that replies need no ARP exchange.
  void introduce_peer() {
    net.input(view(from_peer(ethernet::ether_type::arp, testing::arp_packet(1, peer_mac, peer, MacAddress(), own),
                             MacAddress::broadcast())),
              start);
    drain(net);
  }

  Interface net{static_config()};
};

TEST_F(InterfaceTest, AnnouncesAStaticAddressWhenStarted) {
  Interface fresh(static_config());
  EXPECT_FALSE(fresh.configured());
  fresh.start(start);
  EXPECT_TRUE(fresh.configured());
  Event event;
  ASSERT_TRUE(fresh.next_event(event));
  EXPECT_EQ(event.kind, Event::Kind::address_acquired);
  EXPECT_EQ(event.address.address, own);
  EXPECT_EQ(event.address.gateway, gateway);
  std::vector<Bytes> frames = drain(fresh);
  ASSERT_EQ(frames.size(), 1u);
  expect_announcement(frames[0]);
  EXPECT_EQ(fresh.next_deadline(), never);
}

TEST_F(InterfaceTest, AnswersArpRequestsAndProbesForItsAddress) {
  // A plain request, and an RFC 5227 probe (sender 0.0.0.0) from a host about to take the address:
  // the answer to the probe is what makes that host back off.
  for (Ipv4Address sender : {peer, Ipv4Address::any()}) {
    net.input(view(from_peer(ethernet::ether_type::arp, testing::arp_packet(1, peer_mac, sender, MacAddress(), own),
                             MacAddress::broadcast())),
              start);
    std::vector<Bytes> frames = drain(net);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0], testing::ethernet_frame(peer_mac, own_mac, ethernet::ether_type::arp,
                                                 testing::arp_packet(2, own_mac, own, peer_mac, sender)));
  }
}

TEST_F(InterfaceTest, DefendsItsAddressAtMostOncePerDefendInterval) {
  Bytes claim = from_peer(ethernet::ether_type::arp, testing::arp_packet(1, peer_mac, own, MacAddress(), own),
                          MacAddress::broadcast());  // the peer announces our address as its own
  net.input(view(claim), start);
  std::vector<Bytes> frames = drain(net);
  ASSERT_EQ(frames.size(), 1u);
  expect_announcement(frames[0]);  // the defence
  Event event;
  ASSERT_TRUE(net.next_event(event));
  EXPECT_EQ(event.kind, Event::Kind::address_conflict);
  EXPECT_TRUE(event.defended);
  EXPECT_EQ(event.address.address, own);
  EXPECT_EQ(event.conflicting_mac, peer_mac);
  EXPECT_TRUE(net.configured());  // it keeps the address

  net.input(view(claim), start + seconds(9));  // within DEFEND_INTERVAL: no second announcement
  EXPECT_TRUE(drain(net).empty());
  EXPECT_FALSE(net.next_event(event));
  net.input(view(claim), start + seconds(10));
  EXPECT_EQ(drain(net).size(), 1u);
  EXPECT_TRUE(net.next_event(event));
  EXPECT_EQ(net.stats().arp.dropped(Error::address_conflict), 3u);
}

TEST_F(InterfaceTest, AnswersAPingWithTheSameIdentifierSequenceAndData) {
  introduce_peer();
  Bytes body = testing::bytes_of("0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghij");
  net.input(view(ipv4_from_peer(ipv4::protocol::icmp, testing::echo_request(0x1c46, 1, body))), start);
  std::vector<Bytes> frames = drain(net);
  ASSERT_EQ(frames.size(), 1u);
  Sent reply = parse_ipv4_frame(frames[0]);
  EXPECT_EQ(reply.frame.destination, peer_mac);
  EXPECT_EQ(reply.frame.source, own_mac);
  EXPECT_EQ(reply.packet.header.source, own);
  EXPECT_EQ(reply.packet.header.destination, peer);
  EXPECT_EQ(reply.packet.header.protocol, ipv4::protocol::icmp);
  EXPECT_EQ(reply.packet.header.ttl, 64);
  EXPECT_EQ(testing::bytes_of(reply.packet.payload), testing::icmp_message(0, 0, 0x1c460001, body));
  EXPECT_EQ(net.stats().icmp.sent, 1u);
}

TEST_F(InterfaceTest, ResolvesAnUnknownPeerBeforeAnsweringIt) {
  net.input(view(ipv4_from_peer(ipv4::protocol::icmp, testing::echo_request(1, 1, {1, 2, 3}))), start);
  std::vector<Bytes> frames = drain(net);
  ASSERT_EQ(frames.size(), 1u);
  MacAddress destination;
  arp::Packet request = parse_arp_frame(frames[0], &destination);
  EXPECT_TRUE(destination.is_broadcast());
  EXPECT_EQ(request.operation, arp::Operation::request);
  EXPECT_EQ(request.target_address, peer);
  EXPECT_EQ(net.next_deadline(), start + seconds(1));  // the retry

  net.input(view(from_peer(ethernet::ether_type::arp, testing::arp_packet(2, peer_mac, peer, own_mac, own))),
            start + milliseconds(1));
  frames = drain(net);
  ASSERT_EQ(frames.size(), 1u);
  Sent reply = parse_ipv4_frame(frames[0]);
  EXPECT_EQ(reply.frame.destination, peer_mac);
  EXPECT_EQ(testing::bytes_of(reply.packet.payload), testing::icmp_message(0, 0, 0x00010001, {1, 2, 3}));
  EXPECT_EQ(net.next_deadline(), never);
}

TEST_F(InterfaceTest, RetriesArpThenDropsWhatWaitedForASilentPeer) {
  net.input(view(ipv4_from_peer(ipv4::protocol::icmp, testing::echo_request(1, 1, {1}))), start);
  ASSERT_EQ(drain(net).size(), 1u);
  net.on_timer(start + seconds(1));
  ASSERT_EQ(drain(net).size(), 1u);  // second request
  net.on_timer(start + seconds(2));
  ASSERT_EQ(drain(net).size(), 1u);  // third
  net.on_timer(start + seconds(3));
  EXPECT_TRUE(drain(net).empty());
  EXPECT_EQ(net.stats().arp.dropped(Error::unresolved), 1u);
  EXPECT_EQ(net.next_deadline(), never);
}

TEST_F(InterfaceTest, AnswersAPingInsideAn8021QTag) {
  introduce_peer();
  Bytes packet = testing::ipv4_packet(peer, own, ipv4::protocol::icmp, testing::echo_request(5, 6, {7}));
  Bytes tagged = {0x00, 0x05, 0x08, 0x00};  // VLAN 5, then IPv4
  testing::append(tagged, packet);
  net.input(view(from_peer(ethernet::ether_type::vlan, tagged)), start);
  std::vector<Bytes> frames = drain(net);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(parse_ipv4_frame(frames[0]).frame.ether_type, ethernet::ether_type::ipv4);  // untagged
}

TEST_F(InterfaceTest, DeliversUdpToABoundSocketAndSendsTheReply) {
  introduce_peer();
  SocketId socket = net.bind(7).value();
  net.input(view(udp_from_peer(7, testing::bytes_of("ping"))), start);
  EXPECT_TRUE(drain(net).empty());
  ASSERT_TRUE(net.readable(socket));
  Received datagram;
  ASSERT_TRUE(net.receive(socket, datagram));
  EXPECT_EQ(datagram.from, (Endpoint{peer, 5000}));
  EXPECT_EQ(datagram.destination, own);
  EXPECT_EQ(testing::bytes_of(datagram.payload), testing::bytes_of("ping"));

  ASSERT_TRUE(net.send_to(socket, datagram.from, datagram.payload, start).ok());
  std::vector<Bytes> frames = drain(net);
  ASSERT_EQ(frames.size(), 1u);
  Sent reply = parse_ipv4_frame(frames[0]);
  EXPECT_EQ(reply.frame.destination, peer_mac);
  EXPECT_EQ(testing::bytes_of(reply.packet.payload),
            testing::udp_datagram(own, 7, peer, 5000, testing::bytes_of("ping")));
}

TEST_F(InterfaceTest, SendsPortUnreachableForClosedPortsWithinTheRateLimit) {
  introduce_peer();
  Bytes probe = udp_from_peer(9, {1, 2, 3});
  net.input(view(probe), start);
  std::vector<Bytes> frames = drain(net);
  ASSERT_EQ(frames.size(), 1u);
  Sent error = parse_ipv4_frame(frames[0]);
  EXPECT_EQ(error.packet.header.destination, peer);
  Bytes quoted(probe.begin() + ethernet::header_size, probe.end());
  EXPECT_EQ(testing::bytes_of(error.packet.payload), testing::icmp_message(3, 3, 0, quoted));
  EXPECT_EQ(net.stats().udp.dropped(Error::no_port), 1u);

  // A flood: the burst (10, one already spent) goes out, the rest is counted.
  for (int i = 0; i < 20; ++i) net.input(view(probe), start);
  EXPECT_EQ(drain(net).size(), 9u);
  EXPECT_EQ(net.stats().icmp.dropped(Error::rate_limited), 11u);
  net.input(view(probe), start + milliseconds(10));  // 100 per second: one more token
  EXPECT_EQ(drain(net).size(), 1u);
}

TEST_F(InterfaceTest, SendsProtocolUnreachableForProtocolsItDoesNotSpeak) {
  introduce_peer();
  net.input(view(ipv4_from_peer(132, Bytes(20))), start);  // SCTP
  std::vector<Bytes> frames = drain(net);
  ASSERT_EQ(frames.size(), 1u);
  Sent error = parse_ipv4_frame(frames[0]);
  EXPECT_EQ(error.packet.payload[0], 3);
  EXPECT_EQ(error.packet.payload[1], 2);
  EXPECT_EQ(net.stats().ipv4.dropped(Error::unsupported), 1u);
}

TEST_F(InterfaceTest, NeverAnswersBroadcastPingsOrSendsErrorsAboutBroadcasts) {
  introduce_peer();
  net.input(view(ipv4_from_peer(ipv4::protocol::icmp, testing::echo_request(1, 1, {1}), Ipv4Address::broadcast())),
            start);
  net.input(
      view(ipv4_from_peer(ipv4::protocol::icmp, testing::echo_request(1, 2, {1}), Ipv4Address::of(10, 0, 0, 255))),
      start);
  net.input(view(udp_from_peer(9, {1}, Ipv4Address::broadcast())), start);
  EXPECT_TRUE(drain(net).empty());
  EXPECT_EQ(net.stats().icmp.dropped(Error::broadcast), 2u);
  EXPECT_EQ(net.stats().udp.dropped(Error::no_port), 1u);
}

TEST_F(InterfaceTest, NeverSendsAnErrorAboutAnIcmpError) {
  introduce_peer();
  net.input(view(ipv4_from_peer(ipv4::protocol::icmp, testing::icmp_message(3, 3, 0, Bytes(28)))), start);
  EXPECT_TRUE(drain(net).empty());
  EXPECT_EQ(net.stats().icmp.delivered, 1u);
}

TEST_F(InterfaceTest, DropsAndCountsHostilePackets) {
  introduce_peer();
  Bytes good = testing::ipv4_packet(peer, own, ipv4::protocol::icmp, testing::echo_request(1, 1, {1, 2, 3, 4}));
  auto send = [&](const Bytes& packet) { net.input(view(from_peer(ethernet::ether_type::ipv4, packet)), start); };

  Bytes bad_checksum = good;
  bad_checksum[10] ^= 0xff;
  send(bad_checksum);
  send(Bytes(good.begin(), good.begin() + 19));  // truncated header
  Bytes small_ihl = good;
  small_ihl[0] = 0x44;
  testing::fix_ipv4_checksum(small_ihl);
  send(small_ihl);
  Bytes lying_length = good;
  lying_length[3] = 200;
  testing::fix_ipv4_checksum(lying_length);
  send(lying_length);
  Bytes broadcast_source = testing::ipv4_packet(Ipv4Address::broadcast(), own, ipv4::protocol::icmp, {});
  send(broadcast_source);
  Bytes elsewhere = testing::ipv4_packet(peer, Ipv4Address::of(10, 0, 0, 9), ipv4::protocol::icmp, {});
  send(elsewhere);
  Bytes bad_icmp = testing::ipv4_packet(peer, own, ipv4::protocol::icmp, {8, 0, 0, 0, 0, 1, 0, 1});
  send(bad_icmp);
  Bytes bad_udp = testing::ipv4_packet(peer, own, ipv4::protocol::udp, testing::udp_datagram(peer, 1, own, 2, {5}));
  bad_udp.back() ^= 1;
  send(bad_udp);
  Bytes short_udp = testing::ipv4_packet(peer, own, ipv4::protocol::udp, {0, 1, 0, 2, 0, 4, 0});
  send(short_udp);
  net.input(view(testing::ethernet_frame(gateway_mac, peer_mac, ethernet::ether_type::ipv4, good)), start);
  net.input(view(Bytes(13, 0xff)), start);
  net.input(view(from_peer(0x86dd, Bytes(40))), start);  // IPv6
  net.input(view(from_peer(ethernet::ether_type::arp,
                           testing::arp_packet(1, peer_mac, Ipv4Address::of(172, 16, 0, 1), MacAddress(), own),
                           MacAddress::broadcast())),
            start);
  net.input(view(from_peer(ethernet::ether_type::arp, Bytes(27, 0))), start);

  EXPECT_TRUE(drain(net).empty());
  const Stats& stats = net.stats();
  EXPECT_EQ(stats.ipv4.dropped(Error::bad_checksum), 1u);
  EXPECT_EQ(stats.ipv4.dropped(Error::truncated), 1u);
  EXPECT_EQ(stats.ipv4.dropped(Error::bad_header_length), 1u);
  EXPECT_EQ(stats.ipv4.dropped(Error::bad_length), 1u);
  EXPECT_EQ(stats.ipv4.dropped(Error::bad_address), 1u);
  EXPECT_EQ(stats.ipv4.dropped(Error::not_for_us), 1u);
  EXPECT_EQ(stats.icmp.dropped(Error::bad_checksum), 1u);
  EXPECT_EQ(stats.udp.dropped(Error::bad_checksum), 1u);
  EXPECT_EQ(stats.udp.dropped(Error::truncated), 1u);
  EXPECT_EQ(stats.ethernet.dropped(Error::not_for_us), 1u);
  EXPECT_EQ(stats.ethernet.dropped(Error::truncated), 1u);
  EXPECT_EQ(stats.ethernet.dropped(Error::unsupported), 1u);
  EXPECT_EQ(stats.arp.dropped(Error::other_subnet), 1u);
  EXPECT_EQ(stats.arp.dropped(Error::truncated), 1u);
}

TEST_F(InterfaceTest, RoutesOffSubnetDestinationsThroughTheGateway) {
  SocketId socket = net.bind(0).value();
  ASSERT_TRUE(net.send_to(socket, {Ipv4Address::of(192, 0, 2, 53), 53}, testing::bytes_of("query"), start).ok());
  std::vector<Bytes> frames = drain(net);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(parse_arp_frame(frames[0]).target_address, gateway);
  net.input(view(testing::ethernet_frame(own_mac, gateway_mac, ethernet::ether_type::arp,
                                         testing::arp_packet(2, gateway_mac, gateway, own_mac, own))),
            start);
  frames = drain(net);
  ASSERT_EQ(frames.size(), 1u);
  Sent datagram = parse_ipv4_frame(frames[0]);
  EXPECT_EQ(datagram.frame.destination, gateway_mac);
  EXPECT_EQ(datagram.packet.header.destination, Ipv4Address::of(192, 0, 2, 53));
}

TEST_F(InterfaceTest, RefusesToSendWithoutARouteOrAnAddress) {
  Config no_gateway = static_config();
  no_gateway.static_address.gateway = Ipv4Address::any();
  Interface isolated(no_gateway);
  SocketId socket = isolated.bind(1000).value();
  EXPECT_EQ(isolated.send_to(socket, {peer, 7}, {}, start).error(), Error::not_configured);
  isolated.start(start);
  EXPECT_EQ(isolated.send_to(socket, {Ipv4Address::of(192, 0, 2, 1), 7}, {}, start).error(), Error::no_route);
  EXPECT_EQ(isolated.send_to(socket, {peer, 0}, {}, start).error(), Error::bad_argument);
  EXPECT_EQ(isolated.send_to(SocketId{7}, {peer, 7}, {}, start).error(), Error::bad_argument);
  Bytes huge(Interface::max_udp_payload + 1);
  EXPECT_EQ(isolated.send_to(socket, {peer, 7}, view(huge), start).error(), Error::too_large);
}

TEST_F(InterfaceTest, RefusesADatagramTooFragmentedToHoldButResolvesItsNextHop) {
  SocketId socket = net.bind(0).value();
  Bytes big(8000);  // 6 fragments; ARP holds 4 per next hop
  EXPECT_EQ(net.send_to(socket, {peer, 7}, view(big), start).error(), Error::queue_full);
  std::vector<Bytes> frames = drain(net);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(parse_arp_frame(frames[0]).target_address, peer);
  EXPECT_EQ(net.arp().held_packets(), 0u);  // nothing half-sent
  net.input(view(from_peer(ethernet::ether_type::arp, testing::arp_packet(2, peer_mac, peer, own_mac, own))), start);
  ASSERT_TRUE(net.send_to(socket, {peer, 7}, view(big), start).ok());
  EXPECT_EQ(drain(net).size(), 6u);
}

TEST_F(InterfaceTest, BoundsItsOutputQueueAndCountsTheOverflow) {
  for (uint8_t i = 0; i < 20; ++i) {
    MacAddress sender{{0x02, 0, 0, 0, 1, i}};
    net.input(view(testing::ethernet_frame(
                  MacAddress::broadcast(), sender, ethernet::ether_type::arp,
                  testing::arp_packet(1, sender, Ipv4Address::of(10, 0, 0, static_cast<uint8_t>(100 + i)), MacAddress(),
                                      own))),
              start);
  }
  EXPECT_EQ(net.queued_outputs(), Interface::output_slots);
  EXPECT_EQ(net.stats().ethernet.dropped(Error::queue_full), 4u);
  EXPECT_EQ(drain(net).size(), Interface::output_slots);
}

TEST_F(InterfaceTest, QueuesAllOfAFragmentedDatagramOrNoneOfIt) {
  introduce_peer();
  SocketId socket = net.bind(0).value();
  for (uint8_t i = 0; i < Interface::output_slots - 2; ++i) {  // leave two free slots
    net.input(view(from_peer(ethernet::ether_type::arp, testing::arp_packet(1, peer_mac, peer, MacAddress(), own),
                             MacAddress::broadcast())),
              start);
  }
  Bytes big(4000);  // three fragments
  EXPECT_EQ(net.send_to(socket, {peer, 7}, view(big), start).error(), Error::queue_full);
  EXPECT_EQ(net.queued_outputs(), Interface::output_slots - 2);
}

TEST_F(InterfaceTest, HoldsForArpEvenWhileTheOutputQueueIsFull) {
  SocketId socket = net.bind(0).value();
  for (uint8_t i = 0; i < Interface::output_slots; ++i) {
    MacAddress sender{{0x02, 0, 0, 0, 1, i}};
    net.input(view(testing::ethernet_frame(
                  MacAddress::broadcast(), sender, ethernet::ether_type::arp,
                  testing::arp_packet(1, sender, Ipv4Address::of(10, 0, 0, static_cast<uint8_t>(100 + i)), MacAddress(),
                                      own))),
              start);
  }
  ASSERT_TRUE(net.send_to(socket, {peer, 7}, testing::bytes_of("later"), start).ok());  // held; its request lost
  EXPECT_EQ(net.arp().held_packets(), 1u);
  drain(net);
  net.on_timer(start + seconds(1));  // the retry goes out
  EXPECT_EQ(parse_arp_frame(drain(net).at(0)).target_address, peer);
  net.input(view(from_peer(ethernet::ether_type::arp, testing::arp_packet(2, peer_mac, peer, own_mac, own))),
            start + seconds(1));
  std::vector<Bytes> frames = drain(net);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(parse_ipv4_frame(frames[0]).packet.header.destination, peer);
}

TEST_F(InterfaceTest, AnswersAFragmentedPingWithAFragmentedReply) {
  introduce_peer();
  Bytes body(3000);
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<uint8_t>(i);
  Bytes message = testing::echo_request(9, 9, body);  // 3008 bytes of ICMP
  for (size_t offset = 0; offset < message.size(); offset += 1480) {
    size_t size = std::min<size_t>(1480, message.size() - offset);
    testing::Ipv4Fields fields;
    fields.identification = 77;
    fields.flags_and_offset = static_cast<uint16_t>((offset + size < message.size() ? 0x2000 : 0) | offset / 8);
    net.input(view(ipv4_from_peer(ipv4::protocol::icmp,
                                  Bytes(message.begin() + static_cast<long>(offset),
                                        message.begin() + static_cast<long>(offset + size)),
                                  own, fields)),
              start);
  }
  std::vector<Bytes> frames = drain(net);
  ASSERT_EQ(frames.size(), 3u);
  Counters counters;
  ipv4::Reassembler reassembler(counters);
  ByteView whole;
  bool complete = false;
  for (const Bytes& frame : frames) {
    EXPECT_LE(frame.size(), ethernet::max_frame_size);
    Sent fragment = parse_ipv4_frame(frame);
    Result<bool> added = reassembler.add(fragment.packet, start, whole);
    ASSERT_TRUE(added.ok());
    complete = added.value();
  }
  ASSERT_TRUE(complete);
  EXPECT_EQ(testing::bytes_of(whole), testing::icmp_message(0, 0, 0x00090009, body));
}

// ---- Two interfaces on one wire ------------------------------------------------------------------

// Carries frames between two interfaces until both are quiet.
void exchange(Interface& a, Interface& b, Time now) {
  for (bool moved = true; moved;) {
    moved = false;
    for (ByteView frame; a.next_output(frame);) {
      Bytes copy = testing::bytes_of(frame);
      b.input(view(copy), now);
      moved = true;
    }
    for (ByteView frame; b.next_output(frame);) {
      Bytes copy = testing::bytes_of(frame);
      a.input(view(copy), now);
      moved = true;
    }
  }
}

TEST(BackToBackTest, TwoInterfacesResolveEachOtherAndExchangeDatagrams) {
  Interface a(static_config(own_mac, own));
  Interface b(static_config(peer_mac, peer));
  a.start(start);
  b.start(start);
  exchange(a, b, start);  // the announcements refresh nothing: neither knew the other
  SocketId client = a.bind(0).value();
  SocketId server = b.bind(7).value();

  ASSERT_TRUE(a.send_to(client, {peer, 7}, testing::bytes_of("hello"), start).ok());
  exchange(a, b, start + milliseconds(1));  // ARP request, reply, then the datagram
  Received request;
  ASSERT_TRUE(b.receive(server, request));
  EXPECT_EQ(testing::bytes_of(request.payload), testing::bytes_of("hello"));
  EXPECT_EQ(request.from, (Endpoint{own, a.local_port(client)}));

  ASSERT_TRUE(b.send_to(server, request.from, testing::bytes_of("world"), start).ok());
  exchange(a, b, start + milliseconds(2));  // b learnt a from its request: no ARP now
  Received reply;
  ASSERT_TRUE(a.receive(client, reply));
  EXPECT_EQ(testing::bytes_of(reply.payload), testing::bytes_of("world"));
  EXPECT_EQ(a.stats().arp.sent, 2u);  // the announcement and one request
  EXPECT_EQ(b.stats().arp.sent, 2u);  // the announcement and one reply
  EXPECT_EQ(a.stats().ipv4.dropped_total() + b.stats().ipv4.dropped_total(), 0u);
}

TEST(BackToBackTest, TcpCarriesAMegabyteEachWayAndCloses) {
  Interface a(static_config(own_mac, own));
  Interface b(static_config(peer_mac, peer));
  a.start(start);
  b.start(start);
  exchange(a, b, start);
  tcp::ListenerId listener = b.tcp().listen(80, 4).value();
  tcp::ConnectionId client = a.connect(peer, 80, start).value();
  Time now = start;
  exchange(a, b, now);
  tcp::ConnectionId server;
  ASSERT_TRUE(b.tcp().accept(listener, server));
  tcp::Connection& ours = *a.tcp().connection(client);
  tcp::Connection& theirs = *b.tcp().connection(server);
  ASSERT_EQ(ours.state(), tcp::State::established);
  EXPECT_EQ(ours.send_mss(), 1460);  // MTU 1500 - 40

  Bytes data(1 << 20);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i % 253);
  Bytes at_server, at_client;
  size_t to_server = 0, to_client = 0;
  uint8_t buffer[8192];
  for (int round = 0; round < 100000 && (at_server.size() < data.size() || at_client.size() < data.size()); ++round) {
    to_server += ours.write(ByteView(data.data() + to_server, data.size() - to_server));
    to_client += theirs.write(ByteView(data.data() + to_client, data.size() - to_client));
    exchange(a, b, now);
    for (size_t n; (n = theirs.read(MutableByteView(buffer, sizeof buffer))) > 0;)
      at_server.insert(at_server.end(), buffer, buffer + n);
    for (size_t n; (n = ours.read(MutableByteView(buffer, sizeof buffer))) > 0;)
      at_client.insert(at_client.end(), buffer, buffer + n);
    now += milliseconds(1);
    if (now >= a.next_deadline()) a.on_timer(now);
    if (now >= b.next_deadline()) b.on_timer(now);
  }
  EXPECT_EQ(at_server, data);
  EXPECT_EQ(at_client, data);
  EXPECT_EQ(a.stats().ethernet.dropped(Error::queue_full) + b.stats().ethernet.dropped(Error::queue_full), 0u);

  ours.close(now);
  exchange(a, b, now);
  theirs.close(now);
  exchange(a, b, now);
  EXPECT_EQ(theirs.state(), tcp::State::closed);
  EXPECT_EQ(ours.state(), tcp::State::time_wait);
  b.tcp().release(server);
  EXPECT_EQ(b.tcp().connection_count(), 0u);
}

TEST_F(InterfaceTest, AnswersTcpToAClosedPortWithAResetAndIgnoresBroadcastTcp) {
  introduce_peer();
  Bytes syn(20);
  syn[0] = 0x9c;  // source port 40000
  syn[1] = 0x40;
  syn[3] = 81;
  syn[7] = 9;  // sequence 9
  syn[12] = 5 << 4;
  syn[13] = tcp::Flag::syn;
  Bytes pseudo;
  testing::put32(pseudo, peer.value);
  testing::put32(pseudo, own.value);
  testing::put16(pseudo, 6);
  testing::put16(pseudo, 20);
  pseudo.insert(pseudo.end(), syn.begin(), syn.end());
  uint16_t sum = testing::naive_checksum(pseudo);
  syn[16] = static_cast<uint8_t>(sum >> 8);
  syn[17] = static_cast<uint8_t>(sum);
  net.input(view(ipv4_from_peer(ipv4::protocol::tcp, syn)), start);
  std::vector<Bytes> frames = drain(net);
  ASSERT_EQ(frames.size(), 1u);
  Sent reset = parse_ipv4_frame(frames[0]);
  Result<tcp::Segment> segment = tcp::parse(reset.packet.payload, own, peer);
  ASSERT_TRUE(segment.ok());
  EXPECT_EQ(segment->flags, tcp::Flag::rst | tcp::Flag::ack);
  EXPECT_EQ(segment->acknowledgment, 10u);
  EXPECT_EQ(segment->destination_port, 40000);

  net.input(view(ipv4_from_peer(ipv4::protocol::tcp, syn, Ipv4Address::broadcast())), start);
  EXPECT_TRUE(drain(net).empty());
  EXPECT_EQ(net.stats().tcp.dropped(Error::broadcast), 1u);
}

TEST(BackToBackTest, DatagramsLargerThanTheMtuAreFragmentedAndReassembled) {
  Interface a(static_config(own_mac, own));
  Interface b(static_config(peer_mac, peer));
  a.start(start);
  b.start(start);
  SocketId client = a.bind(0).value();
  SocketId server = b.bind(7, udp::Sockets::Options{2, 8000}).value();
  Bytes big(5000);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>(i * 13);
  ASSERT_TRUE(a.send_to(client, {peer, 7}, view(big), start).ok());  // 4 fragments, held for ARP
  exchange(a, b, start);
  Received datagram;
  ASSERT_TRUE(b.receive(server, datagram));
  EXPECT_EQ(testing::bytes_of(datagram.payload), big);
  EXPECT_EQ(a.stats().ethernet.sent, 1u + 1u + 4u);  // announcement, ARP request, 4 fragments
}

TEST(BackToBackTest, ArpEntriesExpireAndAreResolvedAgain) {
  Interface a(static_config(own_mac, own));
  Interface b(static_config(peer_mac, peer));
  a.start(start);
  b.start(start);
  SocketId client = a.bind(0).value();
  b.bind(7).value();
  ASSERT_TRUE(a.send_to(client, {peer, 7}, {}, start).ok());
  exchange(a, b, start);
  uint64_t requests = a.stats().arp.sent;
  ASSERT_TRUE(a.send_to(client, {peer, 7}, {}, start + seconds(30)).ok());
  exchange(a, b, start + seconds(30));
  EXPECT_EQ(a.stats().arp.sent, requests);  // still cached
  ASSERT_TRUE(a.send_to(client, {peer, 7}, {}, start + seconds(61)).ok());
  exchange(a, b, start + seconds(61));
  EXPECT_EQ(a.stats().arp.sent, requests + 1);  // expired: asked again
}

// ---- DHCP through the interface ------------------------------------------------------------------

// A scripted DHCP server on the wire: answers the interface's DISCOVER and REQUEST frames.
class DhcpServer {
 public:
  static constexpr Ipv4Address address = Ipv4Address::of(10, 0, 0, 254);
  static constexpr Ipv4Address offered = Ipv4Address::of(10, 0, 0, 50);
  const MacAddress mac = gateway_mac;

  // Parses a frame the client sent: its DHCP message, or nothing for other frames.
  static bool parse_dhcp(const Bytes& frame, dhcp::Message& message, Ipv4Address* destination = nullptr) {
    Result<ethernet::Frame> ethernet_frame = ethernet::parse(view(frame));
    if (!ethernet_frame || ethernet_frame->ether_type != ethernet::ether_type::ipv4) return false;
    Result<ipv4::Packet> packet = ipv4::parse(ethernet_frame->payload);
    if (!packet) return false;
    Result<udp::Datagram> datagram = udp::parse(packet->payload, packet->header.source, packet->header.destination);
    if (!datagram || datagram->destination_port != dhcp::server_port) return false;
    Result<dhcp::Message> parsed = dhcp::parse(datagram->payload);
    if (!parsed) return false;
    message = parsed.value();
    if (destination != nullptr) *destination = packet->header.destination;
    return true;
  }

  Bytes reply(const dhcp::Message& request, uint8_t type, Ipv4Address destination = Ipv4Address::broadcast()) const {
    testing::DhcpReply reply;
    reply.type = type;
    reply.transaction_id = request.transaction_id;
    reply.client_mac = request.client_mac;
    reply.your_address = type == 6 ? Ipv4Address::any() : offered;
    reply.server_identifier = address;
    if (type != 6) {
      reply.subnet_mask = netmask;
      reply.router = address;
      reply.dns_servers = {address};
      reply.lease_time = lease_time;
    }
    Bytes payload = testing::dhcp_reply(reply);
    MacAddress link = destination.is_broadcast() ? MacAddress::broadcast() : request.client_mac;
    return testing::ethernet_frame(link, mac, ethernet::ether_type::ipv4,
                                   testing::ipv4_packet(address, destination, ipv4::protocol::udp,
                                                        testing::udp_datagram(address, 67, destination, 68, payload)));
  }

  uint32_t lease_time = 600;
};

// After the ACK at `acked`: the two ARP probes for the address go unanswered, and one second
// later the interface takes it. Returns the probes.
std::vector<arp::Packet> probe_unanswered(Interface& net, Time acked) {
  std::vector<arp::Packet> probes;
  EXPECT_EQ(net.dhcp_state(), dhcp::State::checking);
  EXPECT_FALSE(net.configured());
  for (const Bytes& frame : drain(net)) probes.push_back(parse_arp_frame(frame));
  net.on_timer(acked + milliseconds(500));
  for (const Bytes& frame : drain(net)) probes.push_back(parse_arp_frame(frame));
  EXPECT_FALSE(net.configured());
  net.on_timer(acked + seconds(1));
  EXPECT_EQ(net.dhcp_state(), dhcp::State::bound);
  return probes;
}

TEST(InterfaceDhcpTest, AcquiresRenewsAndLosesALease) {
  Config config;
  config.mac = own_mac;
  config.random_seed = 99;
  Interface net(config);
  DhcpServer server;
  Time now = start;
  net.start(now);
  EXPECT_FALSE(net.configured());
  EXPECT_EQ(net.dhcp_state(), dhcp::State::selecting);

  std::vector<Bytes> frames = drain(net);
  ASSERT_EQ(frames.size(), 1u);
  dhcp::Message discover;
  ASSERT_TRUE(DhcpServer::parse_dhcp(frames[0], discover));
  EXPECT_EQ(discover.type, dhcp::MessageType::discover);
  Sent sent = parse_ipv4_frame(frames[0]);
  EXPECT_TRUE(sent.frame.destination.is_broadcast());
  EXPECT_TRUE(sent.packet.header.source.is_any());

  net.input(view(server.reply(discover, 2)), now);
  frames = drain(net);
  ASSERT_EQ(frames.size(), 1u);
  dhcp::Message request;
  ASSERT_TRUE(DhcpServer::parse_dhcp(frames[0], request));
  EXPECT_EQ(request.type, dhcp::MessageType::request);

  net.input(view(server.reply(request, 5)), now);
  std::vector<arp::Packet> probes = probe_unanswered(net, now);
  ASSERT_EQ(probes.size(), 2u);
  for (const arp::Packet& probe : probes) {  // RFC 5227 2.1.1: sender 0.0.0.0, target the address
    EXPECT_EQ(probe.operation, arp::Operation::request);
    EXPECT_EQ(probe.sender_mac, own_mac);
    EXPECT_TRUE(probe.sender_address.is_any());
    EXPECT_EQ(probe.target_mac, MacAddress());
    EXPECT_EQ(probe.target_address, DhcpServer::offered);
  }
  EXPECT_TRUE(net.configured());
  EXPECT_EQ(net.address().address, DhcpServer::offered);
  EXPECT_EQ(net.address().gateway, DhcpServer::address);
  Event event;
  ASSERT_TRUE(net.next_event(event));
  EXPECT_EQ(event.kind, Event::Kind::address_acquired);
  ASSERT_EQ(event.dns_server_count, 1);
  EXPECT_EQ(event.dns_servers[0], DhcpServer::address);
  frames = drain(net);
  ASSERT_EQ(frames.size(), 1u);  // the announcement of the new address
  EXPECT_EQ(parse_arp_frame(frames[0]).sender_address, DhcpServer::offered);

  // T1 at 300 s: a unicast REQUEST to the server, which needs its MAC first.
  now = start + seconds(300);
  EXPECT_EQ(net.next_deadline(), now);
  net.on_timer(now);
  frames = drain(net);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(parse_arp_frame(frames[0]).target_address, DhcpServer::address);
  net.input(view(testing::ethernet_frame(
                own_mac, server.mac, ethernet::ether_type::arp,
                testing::arp_packet(2, server.mac, DhcpServer::address, own_mac, DhcpServer::offered))),
            now);
  frames = drain(net);
  ASSERT_EQ(frames.size(), 1u);
  dhcp::Message renewal;
  Ipv4Address destination;
  ASSERT_TRUE(DhcpServer::parse_dhcp(frames[0], renewal, &destination));
  EXPECT_EQ(destination, DhcpServer::address);
  EXPECT_EQ(renewal.client_address, DhcpServer::offered);
  net.input(view(server.reply(renewal, 5, DhcpServer::offered)), now);
  EXPECT_EQ(net.dhcp_state(), dhcp::State::bound);
  EXPECT_FALSE(net.next_event(event));  // same address: nothing for the application

  // The server goes away: renewals and rebinds go unanswered until the lease ends.
  while (net.configured()) {
    now = net.next_deadline();
    ASSERT_NE(now, never);
    net.on_timer(now);
    drain(net);
  }
  EXPECT_EQ(now, start + seconds(300) + seconds(600));
  ASSERT_TRUE(net.next_event(event));
  EXPECT_EQ(event.kind, Event::Kind::address_lost);
  EXPECT_EQ(event.address.address, DhcpServer::offered);
  EXPECT_EQ(net.dhcp_state(), dhcp::State::selecting);
}

TEST(InterfaceDhcpTest, TakesRepliesUnicastToTheOfferedAddressBeforeItHasOne) {
  Config config;
  config.mac = own_mac;
  Interface net(config);
  DhcpServer server;
  net.start(start);
  dhcp::Message discover;
  ASSERT_TRUE(DhcpServer::parse_dhcp(drain(net).at(0), discover));
  net.input(view(server.reply(discover, 2, DhcpServer::offered)), start);  // unicast, despite the flag
  EXPECT_EQ(net.dhcp_state(), dhcp::State::requesting);
  // Anything else unicast before the lease is not taken.
  net.input(
      view(testing::ethernet_frame(own_mac, peer_mac, ethernet::ether_type::ipv4,
                                   testing::ipv4_packet(peer, DhcpServer::offered, ipv4::protocol::udp,
                                                        testing::udp_datagram(peer, 1, DhcpServer::offered, 7, {1})))),
      start);
  EXPECT_EQ(net.stats().udp.dropped(Error::not_for_us), 1u);
  EXPECT_EQ(net.bind(68).error(), Error::in_use);  // the client's port
}

// Runs DISCOVER, OFFER, REQUEST and ACK at `start`; leaves the interface probing the address.
void acknowledge(Interface& net, const DhcpServer& server) {
  net.start(start);
  dhcp::Message message;
  ASSERT_TRUE(DhcpServer::parse_dhcp(drain(net).at(0), message));
  net.input(view(server.reply(message, 2)), start);
  ASSERT_TRUE(DhcpServer::parse_dhcp(drain(net).at(0), message));
  net.input(view(server.reply(message, 5)), start);
  ASSERT_EQ(net.dhcp_state(), dhcp::State::checking);
  drain(net);  // the first probe
}

TEST(InterfaceDhcpTest, ANakWhileRenewingLosesTheAddress) {
  Config config;
  config.mac = own_mac;
  Interface net(config);
  DhcpServer server;
  acknowledge(net, server);
  probe_unanswered(net, start);
  ASSERT_TRUE(net.configured());
  // Skip the unicast renewal: at T2 the REQUEST is broadcast.
  net.on_timer(start + seconds(525));
  std::vector<Bytes> frames = drain(net);
  ASSERT_FALSE(frames.empty());
  dhcp::Message message;
  ASSERT_TRUE(DhcpServer::parse_dhcp(frames.back(), message));
  EXPECT_EQ(net.dhcp_state(), dhcp::State::rebinding);
  net.input(view(server.reply(message, 6)), start + seconds(526));
  EXPECT_FALSE(net.configured());
  Event event;
  ASSERT_TRUE(net.next_event(event));
  EXPECT_EQ(event.kind, Event::Kind::address_acquired);
  ASSERT_TRUE(net.next_event(event));
  EXPECT_EQ(event.kind, Event::Kind::address_lost);
}

Bytes arp_frame(uint16_t operation, const MacAddress& sender_mac, Ipv4Address sender, Ipv4Address target) {
  return testing::ethernet_frame(MacAddress::broadcast(), sender_mac, ethernet::ether_type::arp,
                                 testing::arp_packet(operation, sender_mac, sender, MacAddress(), target));
}

// An interface that has its ACK and is probing the offered address.
class InterfaceProbingTest : public ::testing::Test {
 protected:
  static Config own_config() {
    Config config;
    config.mac = own_mac;
    return config;
  }
  void SetUp() override { acknowledge(net, server); }

  Interface net{own_config()};
  DhcpServer server;
};

TEST_F(InterfaceProbingTest, DeclinesAnAddressAnotherHostAnswersForAndDiscoversAgainLater) {
  // The host that has the address answers the probe.
  net.input(
      view(testing::ethernet_frame(own_mac, peer_mac, ethernet::ether_type::arp,
                                   testing::arp_packet(2, peer_mac, DhcpServer::offered, own_mac, Ipv4Address::any()))),
      start + milliseconds(1));
  EXPECT_FALSE(net.configured());
  std::vector<Bytes> frames = drain(net);
  ASSERT_EQ(frames.size(), 1u);
  dhcp::Message decline;
  Ipv4Address destination;
  ASSERT_TRUE(DhcpServer::parse_dhcp(frames[0], decline, &destination));
  EXPECT_EQ(decline.type, dhcp::MessageType::decline);
  EXPECT_EQ(decline.requested_address, DhcpServer::offered);
  EXPECT_EQ(decline.server_identifier, DhcpServer::address);
  EXPECT_TRUE(destination.is_broadcast());
  EXPECT_TRUE(parse_ipv4_frame(frames[0]).packet.header.source.is_any());
  Event event;
  ASSERT_TRUE(net.next_event(event));
  EXPECT_EQ(event.kind, Event::Kind::address_conflict);
  EXPECT_EQ(event.address.address, DhcpServer::offered);
  EXPECT_EQ(event.conflicting_mac, peer_mac);
  EXPECT_FALSE(net.next_event(event));
  EXPECT_EQ(net.arp().cached_bindings(start), 0u);  // nothing learned from the conflict

  // Ten seconds later it starts over.
  EXPECT_EQ(net.next_deadline(), start + milliseconds(1) + seconds(10));
  net.on_timer(start + milliseconds(1) + seconds(10));
  dhcp::Message discover;
  ASSERT_TRUE(DhcpServer::parse_dhcp(drain(net).at(0), discover));
  EXPECT_EQ(discover.type, dhcp::MessageType::discover);
}

TEST_F(InterfaceProbingTest, AnotherHostProbingForTheSameAddressIsAConflictToo) {
  net.input(view(arp_frame(1, peer_mac, Ipv4Address::any(), DhcpServer::offered)), start + milliseconds(2));
  EXPECT_EQ(net.dhcp_state(), dhcp::State::init);
  Event event;
  ASSERT_TRUE(net.next_event(event));
  EXPECT_EQ(event.kind, Event::Kind::address_conflict);
}

TEST_F(InterfaceProbingTest, OwnProbesAndOtherAddressesAreNoConflict) {
  net.input(view(arp_frame(1, own_mac, Ipv4Address::any(), DhcpServer::offered)), start);  // our own, echoed
  net.input(view(arp_frame(1, peer_mac, peer, Ipv4Address::of(10, 0, 0, 9))), start);      // someone else's
  net.input(view(arp_frame(2, peer_mac, peer, DhcpServer::offered)), start);               // names it as target only
  EXPECT_EQ(net.dhcp_state(), dhcp::State::checking);
  Event event;
  EXPECT_FALSE(net.next_event(event));
  probe_unanswered(net, start);
  EXPECT_TRUE(net.configured());
}

// ---- A DHCP exchange captured from dnsmasq ---------------------------------------------------------

// Frames dnsmasq 2.89 sent to this stack (run over a veth in a network namespace, tests/protocols/
// data/): its OFFER and ACK (broadcast, as the client's flag asked) and the ACK to a renewal at T1
// (unicast). Lease 2 minutes, T1 1 minute, T2 105 s, router and DNS 10.77.0.1; captured by a
// host driver feeding an Interface from an AF_PACKET socket, with dnsmasq --no-ping on the peer.
Bytes captured(const char* name) {
  std::ifstream in(std::string(CAIRN_TEST_DATA_DIR) + "/data/" + name, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Puts `transaction_id` into a captured frame's DHCP message. The UDP checksum then no longer
// matches: it is set to 0, "none", which IPv4 allows (the IPv4 header is untouched).
Bytes with_transaction(Bytes frame, uint32_t transaction_id) {
  constexpr size_t udp_at = ethernet::header_size + ipv4::header_size;
  frame.at(udp_at + 6) = frame.at(udp_at + 7) = 0;
  for (int i = 0; i < 4; ++i) frame.at(udp_at + 8 + 4 + i) = static_cast<uint8_t>(transaction_id >> (24 - 8 * i));
  return frame;
}

TEST(CapturedDnsmasqTest, ItsFramesPassEveryCheckUnchanged) {
  struct Expected {
    const char* name;
    uint32_t renewal_time;
    uint32_t rebinding_time;
  };
  // dnsmasq's ACK to a renewal counts T1 and T2 from its own idea of when the lease began.
  for (auto [name, renewal_time, rebinding_time] :
       {Expected{"dnsmasq-offer.frame", 60, 105}, Expected{"dnsmasq-ack.frame", 60, 105},
        Expected{"dnsmasq-renewal-ack.frame", 53, 98}}) {
    Bytes frame = captured(name);
    ASSERT_EQ(frame.size(), 342u) << name;
    Sent sent = parse_ipv4_frame(frame);
    Result<udp::Datagram> datagram =
        udp::parse(sent.packet.payload, sent.packet.header.source, sent.packet.header.destination);
    ASSERT_TRUE(datagram.ok()) << name;  // dnsmasq's UDP checksum verifies
    Result<dhcp::Message> message = dhcp::parse(datagram->payload);
    ASSERT_TRUE(message.ok()) << name;
    EXPECT_EQ(message->your_address, Ipv4Address::of(10, 77, 0, 81));
    EXPECT_EQ(message->server_identifier, Ipv4Address::of(10, 77, 0, 1));
    EXPECT_EQ(message->lease_time, 120u);
    EXPECT_EQ(message->renewal_time, renewal_time) << name;
    EXPECT_EQ(message->rebinding_time, rebinding_time) << name;
    EXPECT_EQ(message->subnet_mask, Ipv4Address::of(255, 255, 255, 0));
    EXPECT_EQ(message->router, Ipv4Address::of(10, 77, 0, 1));
    ASSERT_EQ(message->dns_server_count, 1);
  }
}

TEST(CapturedDnsmasqTest, TheClientTakesTheLeaseAndRenewsIt) {
  const MacAddress captured_mac{{0x96, 0xdc, 0x85, 0x0d, 0x12, 0x39}};
  const MacAddress server_mac{{0x1a, 0x82, 0x4e, 0x66, 0x56, 0x46}};
  const Ipv4Address server = Ipv4Address::of(10, 77, 0, 1);
  const Ipv4Address leased = Ipv4Address::of(10, 77, 0, 81);
  Config config;
  config.mac = captured_mac;
  Interface net(config);
  net.start(start);
  dhcp::Message message;
  ASSERT_TRUE(DhcpServer::parse_dhcp(drain(net).at(0), message));
  net.input(view(with_transaction(captured("dnsmasq-offer.frame"), message.transaction_id)), start);
  ASSERT_TRUE(DhcpServer::parse_dhcp(drain(net).at(0), message));
  ASSERT_EQ(message.type, dhcp::MessageType::request);
  net.input(view(with_transaction(captured("dnsmasq-ack.frame"), message.transaction_id)), start);
  probe_unanswered(net, start);
  ASSERT_TRUE(net.configured());
  EXPECT_EQ(net.address().address, leased);
  EXPECT_EQ(net.address().gateway, server);
  drain(net);

  Time t1 = start + seconds(60);
  EXPECT_EQ(net.next_deadline(), t1);
  net.on_timer(t1);
  EXPECT_EQ(parse_arp_frame(drain(net).at(0)).target_address, server);
  net.input(view(testing::ethernet_frame(captured_mac, server_mac, ethernet::ether_type::arp,
                                         testing::arp_packet(2, server_mac, server, captured_mac, leased))),
            t1);
  Ipv4Address destination;
  ASSERT_TRUE(DhcpServer::parse_dhcp(drain(net).at(0), message, &destination));
  EXPECT_EQ(destination, server);
  net.input(view(with_transaction(captured("dnsmasq-renewal-ack.frame"), message.transaction_id)), t1);
  EXPECT_EQ(net.dhcp_state(), dhcp::State::bound);
  EXPECT_EQ(net.next_deadline(), t1 + seconds(53));  // the renewal ACK's T1
  EXPECT_EQ(net.stats().dhcp.dropped_total(), 0u);
}

}  // namespace
}  // namespace cairn::protocols::netstack
