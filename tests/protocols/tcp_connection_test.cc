// The TCP connection state machine from scripted exchanges: two Connections joined by a simulated
// link (every segment written to bytes and parsed back, with a one-way delay, and a hook that can
// drop, hold or rewrite segments), or one Connection fed hand-made segments.
#include <cairn/protocols/common/random.h>
#include <cairn/protocols/tcp/connection.h>
#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "packet_builder.h"

namespace cairn::protocols::tcp {
namespace {

using testing::Bytes;

const Ipv4Address client_address = Ipv4Address::of(10, 0, 0, 2);
const Ipv4Address server_address = Ipv4Address::of(10, 0, 0, 1);
const FourTuple client_tuple{client_address, 40000, server_address, 80};
const FourTuple server_tuple{server_address, 80, client_address, 40000};

// A segment on the wire: its bytes and when it arrives.
struct InFlight {
  Bytes bytes;
  Time arrives = 0;
  bool to_server = false;
};

// Two connections and the link between them. The server side is created from the client's SYN,
// as a listener would.
class Link {
 public:
  explicit Link(Settings client_settings = Settings{}, Settings server_settings = Settings{})
      : client(client_settings), server_settings_(server_settings) {}

  Connection client;
  std::unique_ptr<Connection> server;
  Time now = seconds(1000);
  Duration delay = milliseconds(10);
  // Extra delay per segment (reordering when it varies); none by default.
  std::function<Duration()> jitter;
  // Sees each segment before it leaves; false drops it.
  std::function<bool(const Segment&, bool to_server)> filter;
  std::vector<Segment> sent_by_client, sent_by_server;  // headers only (payload views cleared)
  uint32_t server_iss = 5000;

  void connect() {
    ASSERT_TRUE(client.open(client_tuple, 1000, 7, now).ok());
    run_until([&] { return client.state() == State::established && server && server->state() == State::established; });
  }

  // Moves segments and time until `done` or `limit` of simulated time passed; true if done.
  bool run_until(const std::function<bool()>& done, Duration limit = seconds(600)) {
    Time end = now + limit;
    while (!done()) {
      collect();
      Time next = end;
      for (const InFlight& segment : wire_) next = earliest(next, segment.arrives);
      next = earliest(next, client.next_deadline());
      if (server) next = earliest(next, server->next_deadline());
      if (next >= end) {
        now = end;
        return done();
      }
      now = next > now ? next : now;
      deliver();
      if (now >= client.next_deadline()) client.on_timer(now);
      if (server && now >= server->next_deadline()) server->on_timer(now);
      collect();
    }
    collect();
    return true;
  }

  // Sends `count` bytes of a known pattern from one side while the other reads; the bytes read.
  Bytes transfer(Connection& from, Connection& to, size_t count, bool reader_reads = true) {
    Bytes data(count);
    for (size_t i = 0; i < count; ++i) data[i] = static_cast<uint8_t>(i * 7 + i / 251);
    size_t written = 0;
    Bytes received;
    uint8_t buffer[4096];
    run_until(
        [&] {
          written += from.write(ByteView(data.data() + written, data.size() - written));
          if (reader_reads) {
            for (size_t n; (n = to.read(MutableByteView(buffer, sizeof buffer))) > 0;)
              received.insert(received.end(), buffer, buffer + n);
          }
          return received.size() == count;
        },
        seconds(600));
    EXPECT_EQ(received, data);
    return received;
  }

  void collect() {
    Outgoing out;
    while (client.next_segment(out, now)) send(out, true);
    if (server) {
      while (server->next_segment(out, now)) send(out, false);
    }
  }

  size_t in_flight() const { return wire_.size(); }

 private:
  void send(const Outgoing& out, bool to_server) {
    (to_server ? sent_by_client : sent_by_server).push_back(out);
    (to_server ? sent_by_client : sent_by_server).back().payload = {};
    if (filter && !filter(out, to_server)) return;
    uint8_t header[max_header_size];
    Ipv4Address source = to_server ? client_address : server_address;
    Ipv4Address destination = to_server ? server_address : client_address;
    size_t size = write_header(header, out, source, destination);
    InFlight segment{Bytes(header, header + size), now + delay + (jitter ? jitter() : 0), to_server};
    segment.bytes.insert(segment.bytes.end(), out.payload.begin(), out.payload.end());
    wire_.push_back(std::move(segment));
  }

  void deliver() {
    for (size_t i = 0; i < wire_.size();) {
      if (wire_[i].arrives > now) {
        ++i;
        continue;
      }
      InFlight segment = std::move(wire_[i]);
      wire_.erase(wire_.begin() + static_cast<std::ptrdiff_t>(i));
      bool to_server = segment.to_server;
      Result<Segment> parsed = parse(testing::view(segment.bytes), to_server ? client_address : server_address,
                                     to_server ? server_address : client_address);
      ASSERT_TRUE(parsed.ok());
      if (to_server) {
        if (!server && parsed->has(Flag::syn) && !parsed->has(Flag::ack)) {
          server = std::make_unique<Connection>(server_settings_);
          ASSERT_TRUE(server->accept(server_tuple, parsed.value(), server_iss, 99, now).ok());
        } else if (server) {
          server->input(parsed.value(), now);
        }
      } else {
        client.input(parsed.value(), now);
      }
      collect();
    }
  }

  Settings server_settings_;
  std::deque<InFlight> wire_;
};

// A segment for hand-fed tests.
Segment segment(uint32_t sequence, uint32_t acknowledgment, uint8_t flags, uint16_t window = 65535) {
  Segment s;
  s.source_port = 80;
  s.destination_port = 40000;
  s.sequence = sequence;
  s.acknowledgment = acknowledgment;
  s.flags = flags;
  s.window = window;
  return s;
}

TEST(TcpConnectionTest, HandshakeNegotiatesMssWindowScaleSackAndTimestamps) {
  Settings small;
  small.mss = 1200;
  small.receive_buffer = 256 * 1024;
  Link link(Settings{}, small);
  link.connect();
  ASSERT_EQ(link.client.state(), State::established);
  ASSERT_EQ(link.server->state(), State::established);
  ASSERT_GE(link.sent_by_client.size(), 2u);
  const Segment& syn = link.sent_by_client[0];
  EXPECT_EQ(syn.flags, Flag::syn);
  EXPECT_EQ(syn.sequence, 1000u);
  EXPECT_EQ(syn.options.mss, 1460);
  EXPECT_TRUE(syn.options.sack_permitted);
  EXPECT_TRUE(syn.options.has_timestamps);
  EXPECT_EQ(syn.options.timestamp_echo, 0u);
  EXPECT_EQ(syn.options.window_scale, 1);  // 64 KiB is one more than 16 bits hold
  const Segment& syn_ack = link.sent_by_server[0];
  EXPECT_EQ(syn_ack.flags, Flag::syn | Flag::ack);
  EXPECT_EQ(syn_ack.sequence, 5000u);
  EXPECT_EQ(syn_ack.acknowledgment, 1001u);
  EXPECT_EQ(syn_ack.options.mss, 1200);
  EXPECT_EQ(syn_ack.options.window_scale, 3);  // 256 KiB >> 2 is still 65536
  EXPECT_EQ(link.client.send_mss(), 1200);
  EXPECT_EQ(link.server->send_mss(), 1200);
  // The handshake measured the round trip (2 × 10 ms).
  EXPECT_NEAR(static_cast<double>(link.client.smoothed_rtt()), static_cast<double>(milliseconds(20)),
              static_cast<double>(milliseconds(2)));
  EXPECT_EQ(link.client.congestion_window(), 10u * 1200);
}

TEST(TcpConnectionTest, PeerWithoutOptionsGetsDefaultMssAndNoScaling) {
  Connection connection;
  Segment syn = segment(7000, 0, Flag::syn, 8192);
  ASSERT_TRUE(connection.accept(server_tuple, syn, 100, 0, seconds(1)).ok());
  Outgoing out;
  ASSERT_TRUE(connection.next_segment(out, seconds(1)));
  EXPECT_EQ(out.flags, Flag::syn | Flag::ack);
  EXPECT_FALSE(out.options.has_window_scale);
  EXPECT_FALSE(out.options.sack_permitted);
  EXPECT_FALSE(out.options.has_timestamps);
  EXPECT_EQ(out.acknowledgment, 7001u);
  connection.input(segment(7001, 101, Flag::ack, 8192), seconds(1));
  EXPECT_EQ(connection.state(), State::established);
  EXPECT_EQ(connection.send_mss(), 536);
  EXPECT_EQ(connection.send_window(), 8192u);
}

TEST(TcpConnectionTest, CarriesDataBothWays) {
  Link link;
  link.connect();
  link.transfer(link.client, *link.server, 300 * 1000);
  link.transfer(*link.server, link.client, 1000 * 1000);
  link.run_until([&] { return link.server->bytes_in_flight() == 0; });
  EXPECT_EQ(link.server->stats().retransmitted_segments, 0u);
  EXPECT_EQ(link.client.stats().retransmitted_segments, 0u);
  EXPECT_EQ(link.server->stats().bytes_acknowledged, 1000u * 1000);
  EXPECT_GT(link.server->congestion_window(), 10u * 1460);  // slow start grew it
}

TEST(TcpConnectionTest, DelaysAcksButAcknowledgesEverySecondFullSegment) {
  Link link;
  link.connect();
  size_t acks_before = link.sent_by_server.size();
  link.client.write(testing::view(Bytes(100, 'a')));
  link.run_until([&] { return link.server->readable_bytes() == 100; });
  link.collect();
  EXPECT_EQ(link.sent_by_server.size(), acks_before);  // one small segment: the ACK waits
  Time arrived = link.now;
  link.run_until([&] { return link.sent_by_server.size() > acks_before; });
  EXPECT_EQ(link.now - arrived, milliseconds(40));

  uint8_t sink[200];
  (void)link.server->read(MutableByteView(sink, sizeof sink));
  link.run_until([&] { return link.in_flight() == 0 && link.client.bytes_in_flight() == 0; });
  size_t acks = link.sent_by_server.size();
  link.client.write(testing::view(Bytes(2 * 1448, 'b')));  // two full segments (MSS 1460 - timestamps)
  link.run_until([&] { return link.server->readable_bytes() == 2 * 1448; });
  link.collect();
  EXPECT_EQ(link.sent_by_server.size(), acks + 1);  // at once, no timer
}

TEST(TcpConnectionTest, NagleHoldsSmallSegmentsWhileDataIsUnacknowledged) {
  for (bool nagle : {true, false}) {
    Link link;
    link.connect();
    link.client.set_nagle(nagle);
    size_t before = link.sent_by_client.size();
    link.client.write(testing::view(Bytes(10, 'x')));
    link.collect();
    link.client.write(testing::view(Bytes(10, 'y')));
    link.collect();
    EXPECT_EQ(link.sent_by_client.size() - before, nagle ? 1u : 2u) << "nagle " << nagle;
    link.run_until([&] { return link.server->readable_bytes() == 20; });
  }
}

TEST(TcpConnectionTest, RetransmitsALostSegmentAfterTheTimeout) {
  Link link;
  link.connect();
  bool dropped = false;
  link.filter = [&](const Segment& s, bool to_server) {
    if (to_server && !s.payload.empty() && !dropped) {
      dropped = true;
      return false;
    }
    return true;
  };
  link.transfer(link.client, *link.server, 500);  // a single segment: only the timer can recover it
  EXPECT_TRUE(dropped);
  EXPECT_EQ(link.client.stats().timeouts, 1u);
  EXPECT_EQ(link.client.stats().retransmitted_segments, 1u);
}

TEST(TcpConnectionTest, SackRecoversAMiddleLossWithOneRetransmissionAndNoTimeout) {
  Link link;
  link.connect();
  int data_segments = 0;
  link.filter = [&](const Segment& s, bool to_server) {
    if (to_server && !s.payload.empty() && ++data_segments == 3) return false;  // the third segment
    return true;
  };
  link.transfer(link.client, *link.server, 20 * 1448);
  EXPECT_EQ(link.client.stats().timeouts, 0u);
  EXPECT_EQ(link.client.stats().fast_retransmits, 1u);
  EXPECT_EQ(link.client.stats().retransmitted_segments, 1u);
  EXPECT_GE(link.server->stats().out_of_order_segments, 3u);
  // The server's duplicate ACKs carried a SACK block for the data beyond the hole.
  bool saw_sack = false;
  for (const Segment& s : link.sent_by_server) saw_sack = saw_sack || s.options.sack_count > 0;
  EXPECT_TRUE(saw_sack);
}

TEST(TcpConnectionTest, SackRecoversSeveralLossesInOneWindow) {
  Link link;
  link.connect();
  int data_segments = 0;
  link.filter = [&](const Segment& s, bool to_server) {
    if (!to_server || s.payload.empty()) return true;
    ++data_segments;
    return data_segments != 3 && data_segments != 5 && data_segments != 8;
  };
  link.transfer(link.client, *link.server, 30 * 1448);
  EXPECT_EQ(link.client.stats().timeouts, 0u);
  EXPECT_EQ(link.client.stats().retransmitted_segments, 3u);
}

TEST(TcpConnectionTest, NewRenoRecoversWithoutSack) {
  Settings no_sack;
  no_sack.sack = false;
  Link link(no_sack, no_sack);
  link.connect();
  int data_segments = 0;
  link.filter = [&](const Segment& s, bool to_server) {
    if (!to_server || s.payload.empty()) return true;
    ++data_segments;
    return data_segments != 3 && data_segments != 6;
  };
  link.transfer(link.client, *link.server, 30 * 1448);
  EXPECT_EQ(link.client.stats().timeouts, 0u);
  EXPECT_EQ(link.client.stats().fast_retransmits, 1u);  // one recovery; the partial ACK resent the second
  EXPECT_EQ(link.client.stats().retransmitted_segments, 2u);
}

TEST(TcpConnectionTest, SurvivesRandomLossAndReordering) {
  Link link;
  link.connect();
  protocols::Random random(42);
  link.filter = [&](const Segment&, bool) { return random.below(100) >= 5; };  // 5 % loss both ways
  link.jitter = [&] { return milliseconds(random.below(8)); };                 // and reordering
  link.transfer(link.client, *link.server, 2 * 1000 * 1000);
  link.transfer(*link.server, link.client, 300 * 1000);
  EXPECT_GT(link.client.stats().retransmitted_segments, 0u);
}

TEST(TcpConnectionTest, ProbesAZeroWindowUntilTheReaderMakesRoom) {
  Settings tiny;
  tiny.receive_buffer = 4096;
  Link link(Settings{}, tiny);
  link.connect();
  Bytes data(20000, 'z');
  size_t written = link.client.write(testing::view(data));
  link.run_until([&] { return link.client.send_window() == 0 && link.server->readable_bytes() == 4096; });
  ASSERT_EQ(link.server->readable_bytes(), 4096u);
  link.run_until([&] { return false; }, seconds(5));
  EXPECT_GT(link.client.stats().zero_window_probes, 0u);
  EXPECT_EQ(link.client.stats().timeouts, 0u);
  EXPECT_EQ(link.client.state(), State::established);
  // Read everything; the window update lets the rest through.
  Bytes received;
  uint8_t buffer[1024];
  link.run_until([&] {
    written += link.client.write(ByteView(data.data() + written, data.size() - written));
    for (size_t n; (n = link.server->read(MutableByteView(buffer, sizeof buffer))) > 0;)
      received.insert(received.end(), buffer, buffer + n);
    return received.size() == data.size();
  });
  EXPECT_EQ(received, data);
}

TEST(TcpConnectionTest, ActiveCloseGoesThroughTimeWait) {
  Link link;
  link.connect();
  link.client.close(link.now);
  EXPECT_EQ(link.client.state(), State::fin_wait_1);
  link.run_until([&] { return link.server->state() == State::close_wait && link.client.state() == State::fin_wait_2; });
  EXPECT_TRUE(link.server->at_end_of_stream());
  link.server->write(testing::view(Bytes(10, 'q')));  // a half-closed connection still carries data back
  link.server->close(link.now);
  EXPECT_EQ(link.server->state(), State::last_ack);
  link.run_until([&] { return link.server->state() == State::closed; });
  EXPECT_EQ(link.server->ending(), Ending::none);
  EXPECT_EQ(link.client.state(), State::time_wait);
  EXPECT_EQ(link.client.readable_bytes(), 10u);
  Time entered = link.now;
  link.run_until([&] { return link.client.state() == State::closed; });
  EXPECT_GE(link.now - entered, seconds(59));
  EXPECT_EQ(link.client.ending(), Ending::none);
}

TEST(TcpConnectionTest, SimultaneousCloseGoesThroughClosing) {
  Link link;
  link.connect();
  link.client.close(link.now);
  link.server->close(link.now);
  link.run_until([&] { return link.client.state() == State::time_wait && link.server->state() == State::time_wait; },
                 seconds(5));
  EXPECT_EQ(link.client.state(), State::time_wait);
  EXPECT_EQ(link.server->state(), State::time_wait);
}

TEST(TcpConnectionTest, SimultaneousOpenReachesEstablished) {
  Connection a, b;
  Time now = seconds(1);
  ASSERT_TRUE(a.open(client_tuple, 100, 0, now).ok());
  ASSERT_TRUE(b.open(server_tuple, 900, 0, now).ok());
  Outgoing syn_a, syn_b;
  ASSERT_TRUE(a.next_segment(syn_a, now));
  ASSERT_TRUE(b.next_segment(syn_b, now));
  Segment copy_a = syn_a, copy_b = syn_b;
  a.input(copy_b, now);
  b.input(copy_a, now);
  EXPECT_EQ(a.state(), State::syn_received);
  EXPECT_EQ(b.state(), State::syn_received);
  Outgoing synack_a, synack_b;
  ASSERT_TRUE(a.next_segment(synack_a, now));
  ASSERT_TRUE(b.next_segment(synack_b, now));
  EXPECT_EQ(synack_a.flags, Flag::syn | Flag::ack);
  EXPECT_EQ(synack_a.sequence, 100u);
  Segment copy_sa = synack_a, copy_sb = synack_b;
  a.input(copy_sb, now);
  b.input(copy_sa, now);
  EXPECT_EQ(a.state(), State::established);
  EXPECT_EQ(b.state(), State::established);
}

TEST(TcpConnectionTest, RetransmitsTheSynAndGivesUp) {
  Connection connection;
  Time now = seconds(1);
  ASSERT_TRUE(connection.open(client_tuple, 1, 0, now).ok());
  Outgoing out;
  int syns = 0;
  for (int step = 0; step < 1000 && connection.state() != State::closed; ++step) {
    while (connection.next_segment(out, now)) syns += out.has(Flag::syn) ? 1 : 0;
    now = connection.next_deadline() == never ? now : connection.next_deadline();
    connection.on_timer(now);
  }
  EXPECT_EQ(syns, 7);  // the SYN and 6 retransmissions, 1, 2, 4 ... 32 s apart
  EXPECT_EQ(connection.ending(), Ending::timed_out);
  EXPECT_EQ(now - seconds(1), seconds(1 + 2 + 4 + 8 + 16 + 32 + 60));
}

TEST(TcpConnectionTest, ARefusedConnectionEndsOnAnAcceptableReset) {
  Connection connection;
  ASSERT_TRUE(connection.open(client_tuple, 1000, 0, seconds(1)).ok());
  Outgoing out;
  ASSERT_TRUE(connection.next_segment(out, seconds(1)));
  connection.input(segment(0, 999, Flag::rst | Flag::ack), seconds(1));  // acknowledges nothing we sent
  EXPECT_EQ(connection.state(), State::syn_sent);
  connection.input(segment(0, 1001, Flag::rst | Flag::ack), seconds(1));
  EXPECT_EQ(connection.state(), State::closed);
  EXPECT_EQ(connection.ending(), Ending::refused);
}

// An established connection whose peer's next sequence number is 5001, fed by hand.
class HandFedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(connection.open(client_tuple, 1000, 0, now).ok());
    Outgoing out;
    ASSERT_TRUE(connection.next_segment(out, now));
    Segment syn_ack = segment(5000, 1001, Flag::syn | Flag::ack, 65535);
    syn_ack.options.has_mss = true;
    syn_ack.options.mss = 1460;
    connection.input(syn_ack, now);
    ASSERT_EQ(connection.state(), State::established);
    drain();
  }
  std::vector<Outgoing> drain() {
    std::vector<Outgoing> sent;
    Outgoing out;
    while (connection.next_segment(out, now)) sent.push_back(out);
    return sent;
  }
  Connection connection;
  Time now = seconds(1);
};

TEST_F(HandFedTest, ResetExactlyAtRcvNxtEndsTheConnection) {
  connection.input(segment(5001, 0, Flag::rst), now);
  EXPECT_EQ(connection.state(), State::closed);
  EXPECT_EQ(connection.ending(), Ending::reset);
}

TEST_F(HandFedTest, ResetInsideTheWindowGetsAChallengeAck) {
  connection.input(segment(5001 + 100, 0, Flag::rst), now);
  EXPECT_EQ(connection.state(), State::established);
  std::vector<Outgoing> sent = drain();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].flags, Flag::ack);
  EXPECT_EQ(sent[0].acknowledgment, 5001u);
  EXPECT_EQ(connection.stats().challenge_acks, 1u);
}

TEST_F(HandFedTest, ResetOutsideTheWindowIsIgnoredSilently) {
  connection.input(segment(5001 + 70000, 0, Flag::rst), now);
  connection.input(segment(5000 - 10, 0, Flag::rst), now);
  EXPECT_EQ(connection.state(), State::established);
  EXPECT_TRUE(drain().empty());
}

TEST_F(HandFedTest, SynInAnEstablishedConnectionGetsAChallengeAckNotAReset) {
  connection.input(segment(5001, 0, Flag::syn), now);
  connection.input(segment(123456, 0, Flag::syn), now);
  EXPECT_EQ(connection.state(), State::established);
  std::vector<Outgoing> sent = drain();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].flags, Flag::ack);
}

TEST_F(HandFedTest, ChallengeAcksAreRateLimited) {
  for (int i = 0; i < 100; ++i) {
    connection.input(segment(5001 + 10, 0, Flag::rst), now);
    drain();
  }
  EXPECT_EQ(connection.stats().challenge_acks, 10u);
  now += seconds(2);
  connection.input(segment(5001 + 10, 0, Flag::rst), now);
  EXPECT_EQ(connection.stats().challenge_acks, 11u);
}

TEST_F(HandFedTest, AnAckForDataNeverSentIsDroppedAndAnswered) {
  Segment bogus = segment(5001, 999999, Flag::ack);
  bogus.payload = ByteView(reinterpret_cast<const uint8_t*>("data"), 4);
  connection.input(bogus, now);
  EXPECT_EQ(connection.readable_bytes(), 0u);
  std::vector<Outgoing> sent = drain();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].acknowledgment, 5001u);
}

TEST_F(HandFedTest, OverlappingAndOutOfOrderSegmentsAssembleInOrder) {
  auto data = [](uint32_t sequence, const char* text) {
    Segment s = segment(sequence, 1001, Flag::ack);
    s.payload = ByteView(reinterpret_cast<const uint8_t*>(text), __builtin_strlen(text));
    return s;
  };
  connection.input(data(5001 + 6, "world"), now);  // ahead of a hole
  EXPECT_EQ(connection.readable_bytes(), 0u);
  connection.input(data(5001 + 3, "lo wor"), now);  // overlaps the held range
  connection.input(data(5001, "hel"), now);         // fills the hole
  connection.input(data(5001, "hello"), now);       // old, a duplicate
  char text[32] = {};
  size_t n = connection.read(MutableByteView(reinterpret_cast<uint8_t*>(text), sizeof text));
  EXPECT_EQ(std::string(text, n), "hello world");
}

TEST_F(HandFedTest, WrappedSequenceNumbersWork) {
  Connection wrapped;
  ASSERT_TRUE(wrapped.open(client_tuple, 0xfffffff0, 0, now).ok());
  Outgoing out;
  ASSERT_TRUE(wrapped.next_segment(out, now));
  wrapped.input(segment(0xfffffffa, 0xfffffff1, Flag::syn | Flag::ack), now);
  ASSERT_EQ(wrapped.state(), State::established);
  Segment s = segment(0xfffffffb, 0xfffffff1, Flag::ack);
  const char* text = "0123456789";
  s.payload = ByteView(reinterpret_cast<const uint8_t*>(text), 10);  // crosses 2^32
  wrapped.input(s, now);
  EXPECT_EQ(wrapped.readable_bytes(), 10u);
  EXPECT_EQ(wrapped.write(ByteView(reinterpret_cast<const uint8_t*>(text), 10)), 10u);
  while (wrapped.next_segment(out, now)) {
  }
  wrapped.input(segment(0xfffffffb + 10, 0xfffffff1 + 10, Flag::ack), now);
  EXPECT_EQ(wrapped.bytes_in_flight(), 0u);
}

TEST_F(HandFedTest, PawsDropsASegmentWithAnOldTimestamp) {
  Connection stamped;
  ASSERT_TRUE(stamped.open(client_tuple, 1000, 0, now).ok());
  Outgoing out;
  ASSERT_TRUE(stamped.next_segment(out, now));
  Segment syn_ack = segment(5000, 1001, Flag::syn | Flag::ack);
  syn_ack.options.has_timestamps = true;
  syn_ack.options.timestamp_value = 1000;
  syn_ack.options.timestamp_echo = out.options.timestamp_value;
  stamped.input(syn_ack, now);
  ASSERT_EQ(stamped.state(), State::established);
  Segment old = segment(5001, 1001, Flag::ack);
  old.options.has_timestamps = true;
  old.options.timestamp_value = 999;
  old.payload = ByteView(reinterpret_cast<const uint8_t*>("x"), 1);
  stamped.input(old, now);
  EXPECT_EQ(stamped.readable_bytes(), 0u);
  EXPECT_EQ(stamped.stats().dropped_segments, 1u);
  old.options.timestamp_value = 1001;
  stamped.input(old, now);
  EXPECT_EQ(stamped.readable_bytes(), 1u);
}

TEST_F(HandFedTest, TimeWaitMayBeReusedOnlyByANewerSyn) {
  connection.close(now);
  drain();  // FIN 1001
  connection.input(segment(5001, 1002, Flag::ack | Flag::fin), now);
  ASSERT_EQ(connection.state(), State::time_wait);
  EXPECT_FALSE(connection.may_reuse_time_wait(segment(5001, 0, Flag::syn)));
  EXPECT_TRUE(connection.may_reuse_time_wait(segment(5001 + 100000, 0, Flag::syn)));
  // A retransmitted FIN is acknowledged again and restarts the 2 MSL wait.
  drain();
  now += seconds(30);
  connection.input(segment(5001, 1002, Flag::ack | Flag::fin), now);
  std::vector<Outgoing> sent = drain();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].acknowledgment, 5002u);
  EXPECT_EQ(connection.next_deadline(), now + seconds(60));
}

TEST_F(HandFedTest, AbortSendsAReset) {
  connection.abort();
  std::vector<Outgoing> sent = drain();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_TRUE(sent[0].has(Flag::rst));
  EXPECT_EQ(sent[0].sequence, 1001u);
  EXPECT_EQ(connection.ending(), Ending::aborted);
  EXPECT_TRUE(connection.finished());
}

TEST_F(HandFedTest, KeepAliveProbesThenTimesOut) {
  Settings settings;
  settings.keep_alive = true;
  settings.keep_alive_idle = seconds(10);
  settings.keep_alive_interval = seconds(1);
  settings.keep_alive_probes = 3;
  Connection alive(settings);
  ASSERT_TRUE(alive.open(client_tuple, 1000, 0, now).ok());
  Outgoing out;
  ASSERT_TRUE(alive.next_segment(out, now));
  alive.input(segment(5000, 1001, Flag::syn | Flag::ack), now);
  while (alive.next_segment(out, now)) {
  }
  int probes = 0;
  while (alive.state() == State::established) {
    now = alive.next_deadline();
    alive.on_timer(now);
    while (alive.next_segment(out, now)) {
      if (out.sequence == 1000 && !out.has(Flag::rst)) ++probes;  // SND.UNA - 1
    }
  }
  EXPECT_EQ(probes, 3);
  EXPECT_EQ(alive.ending(), Ending::timed_out);
}

TEST_F(HandFedTest, BuffersAreBounded) {
  Bytes big(200 * 1024, 'b');
  EXPECT_EQ(connection.write(testing::view(big)), 64u * 1024);
  EXPECT_EQ(connection.write(testing::view(big)), 0u);
  // Data beyond the receive window is cut at its edge.
  Segment s = segment(5001, 1001, Flag::ack);
  Bytes flood(70 * 1024, 'f');
  s.payload = testing::view(flood);
  connection.input(s, now);
  EXPECT_EQ(connection.readable_bytes(), 64u * 1024);
}

}  // namespace
}  // namespace cairn::protocols::tcp
