// The TCP table of one host: listeners and accept, active opens, resets for ports nobody listens
// on, SYN cookies beyond the backlog, TIME-WAIT reuse, and the bound on connections. Two
// Endpoints (a client host and a server host) exchange segments through bytes.
#include <cairn/protocols/tcp/endpoints.h>
#include <gtest/gtest.h>

#include <deque>
#include <string>

#include "packet_builder.h"

namespace cairn::protocols::tcp {
namespace {

using testing::Bytes;

const Ipv4Address client_address = Ipv4Address::of(10, 0, 0, 2);
const Ipv4Address server_address = Ipv4Address::of(10, 0, 0, 1);
const SecretKey client_key{1, 2};
const SecretKey server_key{3, 4};

struct Packet {
  Ipv4Address source;
  Ipv4Address destination;
  Bytes bytes;
};

class TwoHosts : public ::testing::Test {
 protected:
  explicit TwoHosts(EndpointsSettings server_settings = EndpointsSettings{})
      : client(EndpointsSettings{}, client_key, client_counters),
        server(server_settings, server_key, server_counters) {}

  // Moves every queued segment both ways until nothing is left, `rounds` at most.
  void exchange(int rounds = 100) {
    for (int round = 0; round < rounds; ++round) {
      bool moved = false;
      moved |= forward(client, server, true);
      moved |= forward(server, client, false);
      if (!moved) return;
    }
  }

  bool forward(Endpoints& from, Endpoints& to, bool from_client) {
    std::deque<Packet> packets;
    Transmit out;
    while (from.next_output(out, now)) {
      uint8_t header[max_header_size];
      size_t size = write_header(header, out.segment, out.source, out.destination);
      Packet packet{out.source, out.destination, Bytes(header, header + size)};
      packet.bytes.insert(packet.bytes.end(), out.segment.payload.begin(), out.segment.payload.end());
      (from_client ? sent_by_client : sent_by_server).push_back(out.segment);
      packets.push_back(std::move(packet));
    }
    for (const Packet& packet : packets) {
      Result<Segment> segment = parse(testing::view(packet.bytes), packet.source, packet.destination);
      EXPECT_TRUE(segment.ok());
      if (segment.ok()) to.input(segment.value(), packet.source, packet.destination, now);
    }
    return !packets.empty();
  }

  // A segment to the server, as an attacker would forge it.
  void inject(const Segment& segment, Ipv4Address source = client_address) {
    server.input(segment, source, server_address, now);
  }

  std::vector<Outgoing> drain_server() {
    std::vector<Outgoing> sent;
    Transmit out;
    while (server.next_output(out, now)) sent.push_back(out.segment);
    return sent;
  }

  Counters client_counters, server_counters;
  Endpoints client;
  Endpoints server;
  Time now = seconds(100);
  std::vector<Segment> sent_by_client, sent_by_server;
};

Segment syn_from(uint16_t port, uint32_t sequence, uint16_t to_port = 80) {
  Segment s;
  s.source_port = port;
  s.destination_port = to_port;
  s.sequence = sequence;
  s.flags = Flag::syn;
  s.window = 65535;
  s.options.has_mss = true;
  s.options.mss = 1460;
  return s;
}

TEST_F(TwoHosts, ListensAcceptsAndCarriesData) {
  Result<ListenerId> listener = server.listen(80, 8);
  ASSERT_TRUE(listener.ok());
  EXPECT_EQ(server.listen(80, 8).error(), Error::in_use);
  Result<ConnectionId> id = client.connect(client_address, server_address, 80, now);
  ASSERT_TRUE(id.ok());
  EXPECT_GE(client.connection(id.value())->tuple().local_port, 49152);
  exchange();
  ConnectionId accepted;
  ASSERT_TRUE(server.accept(listener.value(), accepted));
  EXPECT_FALSE(server.accept(listener.value(), accepted));
  Connection* theirs = server.connection(accepted);
  Connection* ours = client.connection(id.value());
  ASSERT_NE(theirs, nullptr);
  EXPECT_EQ(theirs->state(), State::established);
  EXPECT_EQ(ours->state(), State::established);

  std::string request = "GET / HTTP/1.1\r\n\r\n";
  ours->write(ByteView(reinterpret_cast<const uint8_t*>(request.data()), request.size()));
  exchange();
  char buffer[64];
  size_t n = theirs->read(MutableByteView(reinterpret_cast<uint8_t*>(buffer), sizeof buffer));
  EXPECT_EQ(std::string(buffer, n), request);

  // Both close; the server's side is freed at once after LAST-ACK, the client's after TIME-WAIT.
  ours->close(now);
  exchange();
  theirs->close(now);
  exchange();
  server.release(accepted);
  EXPECT_EQ(server.connection_count(), 0u);
  EXPECT_EQ(server.connection(accepted), nullptr);  // a stale handle finds nothing
  client.release(id.value());
  EXPECT_EQ(client.connection_count(), 1u);  // in TIME-WAIT
  now += seconds(61);
  client.on_timer(now);
  EXPECT_EQ(client.connection_count(), 0u);
}

TEST_F(TwoHosts, AnswersASynToAClosedPortWithAReset) {
  inject(syn_from(40000, 777, 81));
  std::vector<Outgoing> sent = drain_server();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].flags, Flag::rst | Flag::ack);
  EXPECT_EQ(sent[0].acknowledgment, 778u);
  EXPECT_EQ(server_counters.dropped(Error::no_port), 1u);
  // An ACK for nothing gets a RST from its acknowledgment number; a RST gets nothing.
  Segment stray = syn_from(40000, 5, 81);
  stray.flags = Flag::ack;
  stray.acknowledgment = 4242;
  inject(stray);
  stray.flags = Flag::rst;
  inject(stray);
  sent = drain_server();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].flags, Flag::rst);
  EXPECT_EQ(sent[0].sequence, 4242u);
}

TEST_F(TwoHosts, ASynFloodBeyondTheBacklogGetsCookiesAndCostsNoMemory) {
  ListenerId listener = server.listen(80, 4).value();
  for (uint16_t i = 0; i < 1000; ++i) {
    Segment syn = syn_from(static_cast<uint16_t>(1000 + i), 100000u * i);
    syn.options.has_timestamps = true;
    syn.options.timestamp_value = 1;
    server.input(syn, Ipv4Address{client_address.value + i}, server_address, now);
    drain_server();
  }
  EXPECT_EQ(server.connection_count(), 4u);  // only the backlog holds state
  EXPECT_EQ(server.listener_backlog(listener), 4u);
  EXPECT_EQ(server.cookies_sent(), 996u);

  // A real client still gets in, through a cookie.
  ConnectionId id = client.connect(client_address, server_address, 80, now).value();
  exchange();
  EXPECT_EQ(server.cookies_accepted(), 1u);
  ConnectionId accepted;
  ASSERT_TRUE(server.accept(listener, accepted));
  EXPECT_EQ(server.connection(accepted)->state(), State::established);
  EXPECT_EQ(client.connection(id)->state(), State::established);

  // The flood's half-open connections give up (SYN-ACK retried 1+2+4+8+16+32 s) and are freed.
  for (Time until = now + seconds(200); server.next_deadline() <= until;) {
    now = server.next_deadline();
    server.on_timer(now);
    drain_server();
  }
  EXPECT_EQ(server.connection_count(), 1u);
  EXPECT_EQ(server.listener_backlog(listener), 0u);
}

TEST_F(TwoHosts, ACookieHandshakeMakesAWorkingConnectionWithItsOptions) {
  EndpointsSettings cookies_only;
  cookies_only.always_cookies = true;
  Counters counters;
  Endpoints cookie_server(cookies_only, server_key, counters);
  ListenerId listener = cookie_server.listen(80, 4).value();
  ConnectionId id = client.connect(client_address, server_address, 80, now).value();
  // Client SYN -> cookie SYN-ACK -> client ACK -> server connection.
  for (int round = 0; round < 10; ++round) {
    Transmit out;
    std::vector<Packet> to_server, to_client;
    while (client.next_output(out, now)) {
      uint8_t header[max_header_size];
      size_t size = write_header(header, out.segment, out.source, out.destination);
      Packet packet{out.source, out.destination, Bytes(header, header + size)};
      packet.bytes.insert(packet.bytes.end(), out.segment.payload.begin(), out.segment.payload.end());
      to_server.push_back(packet);
    }
    for (const Packet& packet : to_server)
      cookie_server.input(parse(testing::view(packet.bytes), packet.source, packet.destination).value(), packet.source,
                          packet.destination, now);
    while (cookie_server.next_output(out, now)) {
      uint8_t header[max_header_size];
      size_t size = write_header(header, out.segment, out.source, out.destination);
      Packet packet{out.source, out.destination, Bytes(header, header + size)};
      packet.bytes.insert(packet.bytes.end(), out.segment.payload.begin(), out.segment.payload.end());
      to_client.push_back(packet);
    }
    for (const Packet& packet : to_client)
      client.input(parse(testing::view(packet.bytes), packet.source, packet.destination).value(), packet.source,
                   packet.destination, now);
    if (to_server.empty() && to_client.empty()) break;
  }
  EXPECT_EQ(cookie_server.cookies_sent(), 1u);
  EXPECT_EQ(cookie_server.cookies_accepted(), 1u);
  ConnectionId accepted;
  ASSERT_TRUE(cookie_server.accept(listener, accepted));
  Connection* theirs = cookie_server.connection(accepted);
  EXPECT_EQ(theirs->state(), State::established);
  EXPECT_EQ(theirs->send_mss(), 1460);
  EXPECT_EQ(client.connection(id)->state(), State::established);
}

TEST_F(TwoHosts, AForgedCookieAckIsRefusedWithAReset) {
  server.listen(80, 4).value();
  Segment ack = syn_from(40000, 1001);
  ack.flags = Flag::ack;
  ack.acknowledgment = 0x12345678;
  inject(ack);
  std::vector<Outgoing> sent = drain_server();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].flags, Flag::rst);
  EXPECT_EQ(server.connection_count(), 0u);
}

TEST_F(TwoHosts, ANewerSynReusesAConnectionInTimeWait) {
  ListenerId listener = server.listen(80, 4).value();
  ConnectionId id = client.connect(client_address, server_address, 80, now).value();
  exchange();
  ConnectionId accepted;
  ASSERT_TRUE(server.accept(listener, accepted));
  uint16_t port = client.connection(id)->tuple().local_port;
  server.connection(accepted)->close(now);  // the server closes first: it holds TIME-WAIT
  exchange();
  client.connection(id)->close(now);
  exchange();
  ASSERT_EQ(server.connection(accepted)->state(), State::time_wait);
  server.release(accepted);
  ASSERT_EQ(server.connection_count(), 1u);

  Segment syn = syn_from(port, 0x7fff0000);  // well beyond the old incarnation (no timestamps here)
  inject(syn);
  std::vector<Outgoing> sent = drain_server();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].flags, Flag::syn | Flag::ack);
  EXPECT_EQ(sent[0].acknowledgment, 0x7fff0001u);
}

TEST_F(TwoHosts, ConnectionsAreBounded) {
  EndpointsSettings two;
  two.max_connections = 2;
  Counters counters;
  Endpoints small(two, client_key, counters);
  EXPECT_TRUE(small.connect(client_address, server_address, 80, now).ok());
  EXPECT_TRUE(small.connect(client_address, server_address, 80, now).ok());
  EXPECT_EQ(small.connect(client_address, server_address, 80, now).error(), Error::queue_full);
  EXPECT_EQ(small.connect(client_address, Ipv4Address::of(255, 255, 255, 255), 80, now).error(), Error::bad_argument);
}

}  // namespace
}  // namespace cairn::protocols::tcp
