// UDP: datagrams and their checksum, and sockets with bounded receive queues.
#include <cairn/protocols/udp/sockets.h>
#include <cairn/protocols/udp/udp.h>
#include <gtest/gtest.h>

#include <set>

#include "packet_builder.h"

namespace cairn::protocols::udp {
namespace {

using testing::Bytes;
using testing::view;

const Ipv4Address client = Ipv4Address::of(10, 0, 0, 2);
const Ipv4Address server = Ipv4Address::of(10, 0, 0, 1);

TEST(UdpTest, ParsesADatagramAndVerifiesItsChecksum) {
  Bytes datagram = testing::udp_datagram(client, 5000, server, 7, testing::bytes_of("hello"));
  Result<Datagram> parsed = parse(view(datagram), client, server);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->source_port, 5000);
  EXPECT_EQ(parsed->destination_port, 7);
  EXPECT_EQ(testing::bytes_of(parsed->payload), testing::bytes_of("hello"));
}

TEST(UdpTest, AcceptsAZeroChecksumAsNoChecksum) {
  Bytes datagram = testing::udp_datagram(client, 5000, server, 7, testing::bytes_of("hello"), false);
  EXPECT_TRUE(parse(view(datagram), client, server).ok());
}

TEST(UdpTest, RefusesABadChecksum) {
  Bytes datagram = testing::udp_datagram(client, 5000, server, 7, testing::bytes_of("hello"));
  datagram.back() ^= 0x20;
  EXPECT_EQ(parse(view(datagram), client, server).error(), Error::bad_checksum);
}

TEST(UdpTest, ChecksumCoversThePseudoHeader) {
  Bytes datagram = testing::udp_datagram(client, 5000, server, 7, testing::bytes_of("hello"));
  EXPECT_EQ(parse(view(datagram), client, Ipv4Address::of(10, 0, 0, 3)).error(), Error::bad_checksum);
}

TEST(UdpTest, RefusesLengthFieldsThatLieAndCutsBytesBeyondTheLength) {
  Bytes datagram = testing::udp_datagram(client, 5000, server, 7, {1, 2, 3, 4}, false);
  Bytes longer = datagram;
  longer[5] = 13;  // one more than there is
  EXPECT_EQ(parse(view(longer), client, server).error(), Error::bad_length);
  Bytes below_header = datagram;
  below_header[5] = 7;
  EXPECT_EQ(parse(view(below_header), client, server).error(), Error::bad_length);
  Bytes shorter = datagram;
  shorter[5] = 10;
  Result<Datagram> parsed = parse(view(shorter), client, server);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(testing::bytes_of(parsed->payload), (Bytes{1, 2}));
  EXPECT_EQ(parse(ByteView(datagram.data(), 7), client, server).error(), Error::truncated);
}

TEST(UdpTest, WritesTheHeaderOfTheHandBuiltDatagram) {
  Bytes payload = testing::bytes_of("hello");
  uint8_t header[header_size];
  write_header(header, {client, 5000}, {server, 7}, view(payload));
  Bytes expected = testing::udp_datagram(client, 5000, server, 7, payload);
  EXPECT_EQ(Bytes(header, header + header_size), Bytes(expected.begin(), expected.begin() + header_size));
}

TEST(UdpTest, SendsAComputedZeroChecksumAsAllOnes) {
  // With a two-byte payload equal to the checksum over a zero payload, the sum is all ones and
  // the checksum 0, which on the wire would mean "none".
  uint8_t header[header_size];
  Bytes zero = {0, 0};
  write_header(header, {client, 1}, {server, 2}, view(zero));
  Bytes payload = {header[6], header[7]};
  write_header(header, {client, 1}, {server, 2}, view(payload));
  EXPECT_EQ(header[6], 0xff);
  EXPECT_EQ(header[7], 0xff);
  Bytes datagram(header, header + header_size);
  testing::append(datagram, payload);
  EXPECT_TRUE(parse(view(datagram), client, server).ok());
}

class SocketsTest : public ::testing::Test {
 protected:
  Status deliver(uint16_t port, const Bytes& payload) {
    return sockets.deliver(port, Endpoint{client, 5000}, server, view(payload));
  }

  Counters counters;
  Sockets sockets{counters, 1234};
  Received received;
};

TEST_F(SocketsTest, DeliversToTheBoundPortInOrder) {
  Result<SocketId> socket = sockets.bind(7);
  ASSERT_TRUE(socket.ok());
  EXPECT_FALSE(sockets.readable(socket.value()));
  ASSERT_TRUE(deliver(7, {1}).ok());
  ASSERT_TRUE(deliver(7, {2, 2}).ok());
  EXPECT_TRUE(sockets.readable(socket.value()));
  ASSERT_TRUE(sockets.receive(socket.value(), received));
  EXPECT_EQ(received.from, (Endpoint{client, 5000}));
  EXPECT_EQ(received.destination, server);
  EXPECT_EQ(testing::bytes_of(received.payload), (Bytes{1}));
  ASSERT_TRUE(sockets.receive(socket.value(), received));
  EXPECT_EQ(testing::bytes_of(received.payload), (Bytes{2, 2}));
  EXPECT_FALSE(sockets.receive(socket.value(), received));
  EXPECT_EQ(counters.delivered, 2u);
}

TEST_F(SocketsTest, RefusesASecondBindOfAPort) {
  ASSERT_TRUE(sockets.bind(7).ok());
  EXPECT_EQ(sockets.bind(7).error(), Error::in_use);
}

TEST_F(SocketsTest, PicksDistinctEphemeralPortsInTheDynamicRange) {
  std::set<uint16_t> ports;
  for (size_t i = 0; i < Sockets::max_sockets; ++i) {
    Result<SocketId> socket = sockets.bind(0);
    ASSERT_TRUE(socket.ok());
    uint16_t port = sockets.port(socket.value());
    EXPECT_GE(port, Sockets::first_ephemeral_port);
    ports.insert(port);
  }
  EXPECT_EQ(ports.size(), Sockets::max_sockets);
  EXPECT_EQ(sockets.bind(0).error(), Error::queue_full);  // every socket is taken
}

TEST_F(SocketsTest, CountsDatagramsForPortsNobodyBound) {
  EXPECT_EQ(deliver(9, {1}).error(), Error::no_port);
  EXPECT_EQ(counters.dropped(Error::no_port), 1u);
}

TEST_F(SocketsTest, BoundsTheReceiveQueue) {
  SocketId socket = sockets.bind(7, Sockets::Options{2, 100}).value();
  ASSERT_TRUE(deliver(7, {1}).ok());
  ASSERT_TRUE(deliver(7, {2}).ok());
  EXPECT_EQ(deliver(7, {3}).error(), Error::queue_full);
  EXPECT_EQ(counters.dropped(Error::queue_full), 1u);
  ASSERT_TRUE(sockets.receive(socket, received));
  EXPECT_EQ(testing::bytes_of(received.payload), (Bytes{1}));
}

TEST_F(SocketsTest, DropsDatagramsLargerThanTheSocketTakes) {
  sockets.bind(7, Sockets::Options{2, 4}).value();
  EXPECT_EQ(deliver(7, {1, 2, 3, 4, 5}).error(), Error::too_large);
  EXPECT_TRUE(deliver(7, {1, 2, 3, 4}).ok());
}

TEST_F(SocketsTest, KeepsAReceivedPayloadIntactUntilTheNextReceive) {
  SocketId socket = sockets.bind(7, Sockets::Options{2, 8}).value();
  ASSERT_TRUE(deliver(7, {1, 1}).ok());
  ASSERT_TRUE(sockets.receive(socket, received));
  ASSERT_TRUE(deliver(7, {2, 2}).ok());
  EXPECT_EQ(deliver(7, {3, 3}).error(), Error::queue_full);  // the lent slot is not reused
  EXPECT_EQ(testing::bytes_of(received.payload), (Bytes{1, 1}));
  ASSERT_TRUE(sockets.receive(socket, received));
  EXPECT_EQ(testing::bytes_of(received.payload), (Bytes{2, 2}));
}

TEST_F(SocketsTest, CloseDropsTheQueueAndFreesThePort) {
  SocketId socket = sockets.bind(7).value();
  ASSERT_TRUE(deliver(7, {1}).ok());
  sockets.close(socket);
  EXPECT_FALSE(sockets.is_open(socket));
  EXPECT_FALSE(sockets.receive(socket, received));
  EXPECT_EQ(deliver(7, {1}).error(), Error::no_port);
  EXPECT_TRUE(sockets.bind(7).ok());
}

TEST_F(SocketsTest, RefusesEmptyQueues) {
  EXPECT_EQ(sockets.bind(7, Sockets::Options{0, 100}).error(), Error::bad_argument);
  EXPECT_EQ(sockets.bind(7, Sockets::Options{4, 0}).error(), Error::bad_argument);
}

}  // namespace
}  // namespace cairn::protocols::udp
