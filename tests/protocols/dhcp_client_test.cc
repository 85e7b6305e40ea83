// The DHCP client through whole leases: DISCOVER, OFFER, REQUEST, ACK, the ARP probes and DECLINE,
// renewal at T1, rebinding at T2, expiry, NAKs, retransmissions, and servers that misbehave.
#include <cairn/protocols/dhcp/client.h>
#include <gtest/gtest.h>

#include <vector>

#include "packet_builder.h"

namespace cairn::protocols::dhcp {
namespace {

using testing::Bytes;
using testing::view;

const MacAddress mac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
const Ipv4Address server = Ipv4Address::of(10, 0, 0, 1);
const Ipv4Address other_server = Ipv4Address::of(10, 0, 0, 2);
const Ipv4Address offered = Ipv4Address::of(10, 0, 0, 50);
constexpr Time start = seconds(1000);

class DhcpClientTest : public ::testing::Test {
 protected:
  // The message the client wants sent now, parsed; fails the test if there is none.
  Message sent(Transmission* transmission = nullptr) {
    Transmission taken;
    EXPECT_TRUE(client.take_transmission(taken)) << "the client sent nothing";
    if (transmission != nullptr) *transmission = taken;
    Result<Message> message = parse(taken.message);
    EXPECT_TRUE(message.ok());
    last_sent = testing::bytes_of(taken.message);
    return message.value();
  }
  bool sent_nothing() {
    Transmission taken;
    return !client.take_transmission(taken);
  }

  testing::DhcpReply reply_to(const Message& request, uint8_t type, Ipv4Address from = server) {
    testing::DhcpReply reply;
    reply.type = type;
    reply.transaction_id = request.transaction_id;
    reply.client_mac = mac;
    reply.your_address = type == 6 ? Ipv4Address::any() : offered;
    reply.server_identifier = from;
    if (type != 6) {
      reply.subnet_mask = Ipv4Address::of(255, 255, 255, 0);
      reply.router = server;
      reply.dns_servers = {server, other_server};
      reply.lease_time = 3600;
    }
    return reply;
  }
  void receive(const testing::DhcpReply& reply, Time now) { client.input(view(testing::dhcp_reply(reply)), now); }

  // Starts the client and answers its DISCOVER with an offer, at `start`: returns its REQUEST.
  Message request_after_offer() {
    client.start(start);
    receive(reply_to(sent(), 2), start);
    return sent();
  }

  // After an ACK at `acked` while requesting: two ARP probes for the address, 500 ms apart, no
  // answer, and the lease is taken 500 ms after the second.
  static void probe_unanswered(Client& probing, Time acked) {
    ASSERT_EQ(probing.state(), State::checking);
    Ipv4Address probed;
    ASSERT_TRUE(probing.take_probe(probed));
    EXPECT_EQ(probed, offered);
    EXPECT_EQ(probing.next_deadline(), acked + milliseconds(500));
    probing.on_timer(acked + milliseconds(500));
    ASSERT_TRUE(probing.take_probe(probed));
    EXPECT_FALSE(probing.take_probe(probed));
    EXPECT_EQ(probing.state(), State::checking);
    probing.on_timer(acked + seconds(1));
    EXPECT_FALSE(probing.take_probe(probed));
    ASSERT_EQ(probing.state(), State::bound);
  }

  // Runs DISCOVER -> OFFER -> REQUEST -> ACK at `start` with a one-hour lease.
  void bind(uint32_t lease_time = 3600) {
    client.start(start);
    Message discover = sent();
    receive(reply_to(discover, 2), start);
    Message request = sent();
    testing::DhcpReply ack = reply_to(request, 5);
    ack.lease_time = lease_time;
    receive(ack, start);
    probe_unanswered(client, start);
    ASSERT_EQ(client.take_event(), Event::acquired);
  }

  Counters counters;
  Client client{mac, 42, counters};
  Bytes last_sent;
};

TEST_F(DhcpClientTest, StartsByBroadcastingADiscover) {
  EXPECT_EQ(client.state(), State::init);
  EXPECT_EQ(client.next_deadline(), never);
  client.start(start);
  EXPECT_EQ(client.state(), State::selecting);
  Transmission transmission;
  Message discover = sent(&transmission);
  EXPECT_EQ(discover.type, MessageType::discover);
  EXPECT_EQ(discover.operation, operation::boot_request);
  EXPECT_EQ(discover.client_mac, mac);
  EXPECT_EQ(discover.flags, 0x8000);
  EXPECT_TRUE(transmission.source.is_any());
  EXPECT_TRUE(transmission.destination.is_broadcast());
  EXPECT_TRUE(sent_nothing());
}

TEST_F(DhcpClientTest, RetransmitsTheDiscoverWithExponentialBackoff) {
  client.start(start);
  uint32_t transaction = sent().transaction_id;
  Time now = start;
  for (Duration expected : {4, 8, 16, 32, 64, 64}) {
    Time deadline = client.next_deadline();
    EXPECT_GE(deadline - now, seconds(expected - 1)) << "after " << expected;
    EXPECT_LE(deadline - now, seconds(expected + 1)) << "after " << expected;
    client.on_timer(deadline - 1);
    EXPECT_TRUE(sent_nothing());
    now = deadline;
    client.on_timer(now);
    Message again = sent();
    EXPECT_EQ(again.type, MessageType::discover);
    EXPECT_EQ(again.transaction_id, transaction);  // the same exchange
    EXPECT_EQ(again.seconds, (now - start) / seconds(1));
  }
}

TEST_F(DhcpClientTest, RequestsTheFirstOfferAndIgnoresLaterOnes) {
  client.start(start);
  Message discover = sent();
  receive(reply_to(discover, 2), start + seconds(1));
  EXPECT_EQ(client.state(), State::requesting);
  Transmission transmission;
  Message request = sent(&transmission);
  EXPECT_EQ(request.type, MessageType::request);
  EXPECT_EQ(request.transaction_id, discover.transaction_id);
  EXPECT_EQ(request.requested_address, offered);
  EXPECT_TRUE(request.has_server_identifier);
  EXPECT_EQ(request.server_identifier, server);
  EXPECT_TRUE(request.client_address.is_any());
  EXPECT_TRUE(transmission.destination.is_broadcast());

  receive(reply_to(discover, 2, other_server), start + seconds(1));  // a second offer
  EXPECT_TRUE(sent_nothing());
  EXPECT_EQ(counters.dropped(Error::unexpected), 1u);
  // An ACK from the server we did not choose is not ours either.
  receive(reply_to(request, 5, other_server), start + seconds(1));
  EXPECT_EQ(client.state(), State::requesting);
}

TEST_F(DhcpClientTest, BindsOnAckWithTheLeaseAndItsTimers) {
  bind();
  const Lease& lease = client.lease();
  EXPECT_EQ(lease.address, offered);
  EXPECT_EQ(lease.netmask, Ipv4Address::of(255, 255, 255, 0));
  EXPECT_EQ(lease.router, server);
  EXPECT_EQ(lease.server, server);
  ASSERT_EQ(lease.dns_server_count, 2);
  EXPECT_EQ(lease.dns_servers[1], other_server);
  EXPECT_EQ(lease.renew_at, start + seconds(1800));   // T1 = 0.5
  EXPECT_EQ(lease.rebind_at, start + seconds(3150));  // T2 = 0.875
  EXPECT_EQ(lease.expires, start + seconds(3600));
  EXPECT_EQ(client.next_deadline(), start + seconds(1800));
  EXPECT_TRUE(sent_nothing());
}

TEST_F(DhcpClientTest, RenewsAtT1UnicastToItsServer) {
  bind();
  client.on_timer(start + seconds(1799));
  EXPECT_TRUE(sent_nothing());
  Time t1 = start + seconds(1800);
  client.on_timer(t1);
  EXPECT_EQ(client.state(), State::renewing);
  Transmission transmission;
  Message request = sent(&transmission);
  EXPECT_EQ(request.type, MessageType::request);
  EXPECT_EQ(request.client_address, offered);
  EXPECT_FALSE(request.has_server_identifier);  // RFC 2131 table 5: not in RENEWING
  EXPECT_EQ(request.flags, 0);
  EXPECT_EQ(transmission.source, offered);
  EXPECT_EQ(transmission.destination, server);
  // Half the time to T2 (675 s) before retransmitting.
  EXPECT_EQ(client.next_deadline(), t1 + seconds(675));

  testing::DhcpReply ack = reply_to(request, 5);
  receive(ack, t1 + seconds(1));
  EXPECT_EQ(client.state(), State::bound);
  EXPECT_EQ(client.take_event(), Event::renewed);
  EXPECT_EQ(client.lease().expires, t1 + seconds(1) + seconds(3600));
}

TEST_F(DhcpClientTest, RetransmitsRenewalsNoMoreOftenThanEvery60Seconds) {
  bind(400);  // T1 200 s, T2 350 s
  Time t1 = start + seconds(200);
  client.on_timer(t1);
  sent();
  EXPECT_EQ(client.next_deadline(), t1 + seconds(75));  // half of the 150 s left to T2
  client.on_timer(t1 + seconds(75));
  sent();
  EXPECT_EQ(client.next_deadline(), t1 + seconds(75) + seconds(60));  // half of 75 s is below 60 s
}

TEST_F(DhcpClientTest, RebindsAtT2ByBroadcastWithANewTransaction) {
  bind();
  client.on_timer(start + seconds(1800));
  Message renewal = sent();
  Time t2 = start + seconds(3150);
  client.on_timer(t2);
  EXPECT_EQ(client.state(), State::rebinding);
  Transmission transmission;
  Message request = sent(&transmission);
  EXPECT_NE(request.transaction_id, renewal.transaction_id);
  EXPECT_EQ(request.client_address, offered);
  EXPECT_EQ(transmission.source, offered);
  EXPECT_TRUE(transmission.destination.is_broadcast());
  // Another server may answer now.
  receive(reply_to(request, 5, other_server), t2 + seconds(2));
  EXPECT_EQ(client.state(), State::bound);
  EXPECT_EQ(client.take_event(), Event::renewed);
  EXPECT_EQ(client.lease().server, other_server);
}

TEST_F(DhcpClientTest, LosesTheAddressWhenTheLeaseExpiresAndDiscoversAgain) {
  bind();
  client.on_timer(start + seconds(1800));
  sent();
  client.on_timer(start + seconds(3150));
  sent();
  EXPECT_EQ(client.next_deadline(), start + seconds(3150 + 225));  // half of the 450 s left
  client.on_timer(start + seconds(3375));
  EXPECT_EQ(sent().type, MessageType::request);
  client.on_timer(start + seconds(3600));
  EXPECT_EQ(client.take_event(), Event::lost);
  EXPECT_FALSE(client.has_lease());
  EXPECT_EQ(client.state(), State::selecting);
  EXPECT_EQ(sent().type, MessageType::discover);
}

TEST_F(DhcpClientTest, HandlesATimerCalledLongAfterTheLeaseExpired) {
  bind();
  client.on_timer(start + seconds(100000));
  EXPECT_EQ(client.take_event(), Event::lost);
  EXPECT_EQ(sent().type, MessageType::discover);
}

TEST_F(DhcpClientTest, RestartsOnANakWhileRequesting) {
  client.start(start);
  Message discover = sent();
  receive(reply_to(discover, 2), start);
  Message request = sent();
  receive(reply_to(request, 6), start + seconds(1));
  EXPECT_EQ(client.state(), State::selecting);
  EXPECT_EQ(client.take_event(), Event::none);  // it never had the address
  Message again = sent();
  EXPECT_EQ(again.type, MessageType::discover);
  EXPECT_NE(again.transaction_id, discover.transaction_id);
}

TEST_F(DhcpClientTest, LosesTheLeaseOnANakWhileRenewing) {
  bind();
  client.on_timer(start + seconds(1800));
  Message request = sent();
  receive(reply_to(request, 6), start + seconds(1801));
  EXPECT_EQ(client.take_event(), Event::lost);
  EXPECT_EQ(client.state(), State::selecting);
  EXPECT_EQ(sent().type, MessageType::discover);
}

TEST_F(DhcpClientTest, IgnoresRepliesToOtherTransactionsAndOtherClients) {
  client.start(start);
  Message discover = sent();
  testing::DhcpReply other_transaction = reply_to(discover, 2);
  other_transaction.transaction_id ^= 1;
  receive(other_transaction, start);
  testing::DhcpReply other_client = reply_to(discover, 2);
  other_client.client_mac.bytes[5] ^= 1;
  receive(other_client, start);
  EXPECT_EQ(client.state(), State::selecting);
  EXPECT_EQ(counters.dropped(Error::not_for_us), 2u);
}

TEST_F(DhcpClientTest, GivesUpARequestNobodyAnswersAndDiscoversAgain) {
  client.start(start);
  Message discover = sent();
  receive(reply_to(discover, 2), start);
  sent();
  for (int retransmission = 0; retransmission < 3; ++retransmission) {
    client.on_timer(client.next_deadline());
    EXPECT_EQ(sent().type, MessageType::request);
  }
  client.on_timer(client.next_deadline());
  EXPECT_EQ(client.state(), State::selecting);
  EXPECT_EQ(sent().type, MessageType::discover);
}

TEST_F(DhcpClientTest, TakesTheServersT1AndT2OnlyWhenTheyAreConsistent) {
  Message request = request_after_offer();
  testing::DhcpReply ack = reply_to(request, 5);
  ack.renewal_time = 600;
  ack.rebinding_time = 1200;
  receive(ack, start);
  probe_unanswered(client, start);
  EXPECT_EQ(client.lease().renew_at, start + seconds(600));
  EXPECT_EQ(client.lease().rebind_at, start + seconds(1200));

  Client fresh{mac, 7, counters};
  fresh.start(start);
  Transmission transmission;
  ASSERT_TRUE(fresh.take_transmission(transmission));
  Message second_discover = parse(transmission.message).value();
  fresh.input(view(testing::dhcp_reply(reply_to(second_discover, 2))), start);
  ASSERT_TRUE(fresh.take_transmission(transmission));
  testing::DhcpReply inconsistent = reply_to(parse(transmission.message).value(), 5);
  inconsistent.renewal_time = 3000;  // T1 after T2: both fall back to the defaults
  inconsistent.rebinding_time = 2000;
  fresh.input(view(testing::dhcp_reply(inconsistent)), start);
  probe_unanswered(fresh, start);
  EXPECT_EQ(fresh.lease().renew_at, start + seconds(1800));
  EXPECT_EQ(fresh.lease().rebind_at, start + seconds(3150));
}

TEST_F(DhcpClientTest, NeverRenewsAnInfiniteLease) {
  bind(infinite_lease);
  EXPECT_EQ(client.next_deadline(), never);
  client.on_timer(start + seconds(10'000'000));
  EXPECT_TRUE(client.has_lease());
  EXPECT_TRUE(sent_nothing());
}

TEST_F(DhcpClientTest, DropsAndCountsAnOfferWithAHugeOptionList) {
  client.start(start);
  Message discover = sent();
  testing::DhcpReply hostile = reply_to(discover, 2);
  for (int i = 0; i < 1000; ++i) hostile.extra_options.insert(hostile.extra_options.end(), {224, 0});
  receive(hostile, start);
  EXPECT_EQ(client.state(), State::selecting);
  EXPECT_EQ(counters.dropped(Error::too_many_options), 1u);
}

TEST_F(DhcpClientTest, RefusesAnAckWithoutALeaseTime) {
  Message request = request_after_offer();
  testing::DhcpReply ack = reply_to(request, 5);
  ack.lease_time = 0;  // option 51 left out
  receive(ack, start);
  EXPECT_EQ(client.state(), State::requesting);
  EXPECT_EQ(counters.dropped(Error::bad_format), 1u);
}

TEST_F(DhcpClientTest, ANewAddressOnRenewalLosesTheOldOneFirst) {
  bind();
  client.on_timer(start + seconds(1800));
  Message request = sent();
  testing::DhcpReply ack = reply_to(request, 5);
  ack.your_address = Ipv4Address::of(10, 0, 0, 77);
  receive(ack, start + seconds(1801));
  EXPECT_EQ(client.take_event(), Event::lost);
  EXPECT_EQ(client.take_event(), Event::acquired);
  EXPECT_EQ(client.lease().address, Ipv4Address::of(10, 0, 0, 77));
}

TEST_F(DhcpClientTest, FallsBackToTheClassfulMaskWhenTheServerNamesNone) {
  testing::DhcpReply ack = reply_to(request_after_offer(), 5);
  ack.subnet_mask = Ipv4Address::any();
  receive(ack, start);
  probe_unanswered(client, start);
  EXPECT_EQ(client.lease().netmask, Ipv4Address::of(255, 0, 0, 0));  // 10/8
}

// ---- Probing the acknowledged address (RFC 2131 3.1.5, RFC 5227 2.1.1) ----------------------------

// The option codes of a written message, in order.
std::vector<uint8_t> option_codes(const Bytes& message) {
  std::vector<uint8_t> codes;
  for (size_t at = fixed_size + 4; at < message.size() && message[at] != option::end;) {
    if (message[at] == option::pad) {
      ++at;
      continue;
    }
    codes.push_back(message[at]);
    at += 2 + message.at(at + 1);
  }
  return codes;
}

TEST_F(DhcpClientTest, TakesTheAddressOnlyAfterTheProbesGoUnanswered) {
  client.start(start);
  receive(reply_to(sent(), 2), start);
  receive(reply_to(sent(), 5), start + seconds(2));
  EXPECT_FALSE(client.has_lease());
  EXPECT_EQ(client.take_event(), Event::none);  // not yet usable
  EXPECT_EQ(client.probing(), offered);
  EXPECT_TRUE(sent_nothing());  // probes are ARP, not DHCP
  probe_unanswered(client, start + seconds(2));
  EXPECT_EQ(client.take_event(), Event::acquired);
  EXPECT_EQ(client.probing(), Ipv4Address::any());
  // The lease counts from the ACK, not from the end of probing.
  EXPECT_EQ(client.lease().expires, start + seconds(2) + seconds(3600));
}

TEST_F(DhcpClientTest, DeclinesAnAddressAnotherHostUsesAndStartsOverTenSecondsLater) {
  client.start(start);
  Message discover = sent();
  receive(reply_to(discover, 2), start);
  receive(reply_to(sent(), 5), start);
  Ipv4Address probed;
  ASSERT_TRUE(client.take_probe(probed));
  Time answered = start + milliseconds(3);
  client.conflict(offered, answered);

  Transmission transmission;
  Message decline = sent(&transmission);
  EXPECT_EQ(decline.type, MessageType::decline);
  EXPECT_EQ(decline.transaction_id, discover.transaction_id);
  EXPECT_EQ(decline.requested_address, offered);
  EXPECT_EQ(decline.server_identifier, server);
  EXPECT_TRUE(decline.client_address.is_any());
  EXPECT_EQ(decline.seconds, 0);
  EXPECT_TRUE(transmission.source.is_any());
  EXPECT_TRUE(transmission.destination.is_broadcast());
  // RFC 2131 table 5: no parameter request list, no host name in a DECLINE.
  EXPECT_EQ(option_codes(last_sent), (std::vector<uint8_t>{option::message_type, option::client_identifier,
                                                           option::requested_address, option::server_identifier}));

  EXPECT_EQ(client.take_event(), Event::declined);
  EXPECT_EQ(client.declined(), offered);
  EXPECT_EQ(client.state(), State::init);
  EXPECT_FALSE(client.has_lease());
  EXPECT_FALSE(client.take_probe(probed));
  EXPECT_EQ(client.next_deadline(), answered + seconds(10));
  client.on_timer(answered + seconds(10) - 1);
  EXPECT_TRUE(sent_nothing());
  client.on_timer(answered + seconds(10));
  EXPECT_EQ(client.state(), State::selecting);
  Message again = sent();
  EXPECT_EQ(again.type, MessageType::discover);
  EXPECT_NE(again.transaction_id, discover.transaction_id);
}

TEST_F(DhcpClientTest, IgnoresConflictsForOtherAddressesAndOutsideProbing) {
  receive(reply_to(request_after_offer(), 5), start);
  client.conflict(Ipv4Address::of(10, 0, 0, 51), start);
  EXPECT_EQ(client.state(), State::checking);
  EXPECT_TRUE(sent_nothing());
  probe_unanswered(client, start);
  EXPECT_EQ(client.take_event(), Event::acquired);
  client.conflict(offered, start + seconds(5));  // bound: no longer probing
  EXPECT_EQ(client.state(), State::bound);
  EXPECT_TRUE(sent_nothing());
  EXPECT_EQ(client.take_event(), Event::none);
}

TEST_F(DhcpClientTest, WithoutProbesTheAckBindsAtOnce) {
  Client::Settings settings;
  settings.conflict_probes = 0;
  Client unprobed{mac, 42, counters, settings};
  unprobed.start(start);
  Transmission transmission;
  ASSERT_TRUE(unprobed.take_transmission(transmission));
  unprobed.input(view(testing::dhcp_reply(reply_to(parse(transmission.message).value(), 2))), start);
  ASSERT_TRUE(unprobed.take_transmission(transmission));
  unprobed.input(view(testing::dhcp_reply(reply_to(parse(transmission.message).value(), 5))), start);
  EXPECT_EQ(unprobed.state(), State::bound);
  EXPECT_EQ(unprobed.take_event(), Event::acquired);
  Ipv4Address probed;
  EXPECT_FALSE(unprobed.take_probe(probed));
}

TEST_F(DhcpClientTest, ARepeatedAckWhileProbingIsNotTaken) {
  Message request = request_after_offer();
  receive(reply_to(request, 5), start);
  receive(reply_to(request, 5), start + milliseconds(100));
  EXPECT_EQ(client.state(), State::checking);
  EXPECT_EQ(counters.dropped(Error::unexpected), 1u);
}

}  // namespace
}  // namespace cairn::protocols::dhcp
