// DHCP messages: what the client writes (RFC 2131 table 5) and how it reads what servers send,
// including hostile option lists.
#include <cairn/protocols/dhcp/message.h>
#include <gtest/gtest.h>

#include "packet_builder.h"

namespace cairn::protocols::dhcp {
namespace {

using testing::Bytes;
using testing::view;

const MacAddress mac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
const Ipv4Address server = Ipv4Address::of(10, 0, 0, 1);
const Ipv4Address offered = Ipv4Address::of(10, 0, 0, 50);

testing::DhcpReply offer() {
  testing::DhcpReply reply;
  reply.type = 2;
  reply.transaction_id = 0x3903f326;
  reply.client_mac = mac;
  reply.your_address = offered;
  reply.server_address = server;
  reply.server_identifier = server;
  reply.subnet_mask = Ipv4Address::of(255, 255, 255, 0);
  reply.router = server;
  reply.dns_servers = {server};
  reply.lease_time = 3600;
  return reply;
}

// The options area of a written message, as (code, value) until `end`.
std::vector<std::pair<uint8_t, Bytes>> options_of(const Bytes& message) {
  std::vector<std::pair<uint8_t, Bytes>> options;
  for (size_t at = 240; at < message.size() && message[at] != 255;) {
    if (message[at] == 0) {
      ++at;
      continue;
    }
    size_t size = message.at(at + 1);
    options.emplace_back(message[at], Bytes(message.begin() + static_cast<long>(at + 2),
                                            message.begin() + static_cast<long>(at + 2 + size)));
    at += 2 + size;
  }
  return options;
}

TEST(DhcpMessageTest, ParsesAnOfferLaidOutAsRfc2131Draws) {
  Bytes bytes = testing::dhcp_reply(offer());
  Result<Message> message = parse(view(bytes));
  ASSERT_TRUE(message.ok());
  EXPECT_EQ(message->operation, operation::boot_reply);
  EXPECT_EQ(message->transaction_id, 0x3903f326u);
  EXPECT_EQ(message->client_mac, mac);
  EXPECT_EQ(message->your_address, offered);
  EXPECT_EQ(message->type, MessageType::offer);
  EXPECT_TRUE(message->has_server_identifier);
  EXPECT_EQ(message->server_identifier, server);
  EXPECT_EQ(message->subnet_mask, Ipv4Address::of(255, 255, 255, 0));
  EXPECT_EQ(message->router, server);
  ASSERT_EQ(message->dns_server_count, 1);
  EXPECT_EQ(message->dns_servers[0], server);
  EXPECT_EQ(message->lease_time, 3600u);
  EXPECT_FALSE(message->has_renewal_time);
}

TEST(DhcpMessageTest, WritesADiscoverAsRfc2131Table5Says) {
  Request request;
  request.type = MessageType::discover;
  request.transaction_id = 0x3903f326;
  request.broadcast_flag = true;
  request.client_mac = mac;
  Bytes bytes(max_written_size);
  bytes.resize(write(bytes.data(), request));
  EXPECT_EQ(bytes.size(), min_message_size);  // padded to BOOTP's 300 bytes
  EXPECT_EQ(bytes[0], 1);                     // BOOTREQUEST
  EXPECT_EQ(bytes[1], 1);                     // htype Ethernet
  EXPECT_EQ(bytes[2], 6);                     // hlen
  EXPECT_EQ(bytes[3], 0);                     // hops
  EXPECT_EQ(testing::get16(bytes, 4), 0x3903);
  EXPECT_EQ(testing::get16(bytes, 6), 0xf326);
  EXPECT_EQ(testing::get16(bytes, 10), 0x8000);                            // broadcast flag
  EXPECT_EQ(Bytes(bytes.begin() + 12, bytes.begin() + 28), Bytes(16, 0));  // ciaddr yiaddr siaddr giaddr
  EXPECT_EQ(Bytes(bytes.begin() + 28, bytes.begin() + 34), Bytes(mac.bytes, mac.bytes + 6));
  EXPECT_EQ(Bytes(bytes.begin() + 34, bytes.begin() + 236), Bytes(202, 0));  // chaddr rest, sname, file
  EXPECT_EQ(testing::get16(bytes, 236), 0x6382);
  EXPECT_EQ(testing::get16(bytes, 238), 0x5363);
  auto options = options_of(bytes);
  ASSERT_EQ(options.size(), 3u);
  EXPECT_EQ(options[0], (std::pair<uint8_t, Bytes>{53, {1}}));
  EXPECT_EQ(options[1], (std::pair<uint8_t, Bytes>{61, {1, 0x02, 0, 0, 0, 0, 1}}));
  EXPECT_EQ(options[2], (std::pair<uint8_t, Bytes>{55, {1, 3, 6, 51, 58, 59}}));
}

TEST(DhcpMessageTest, WritesARequestNamingTheServerTheAddressAndTheHost) {
  Request request;
  request.type = MessageType::request;
  request.transaction_id = 7;
  request.client_mac = mac;
  request.requested_address = offered;
  request.server_identifier = server;
  request.hostname = "cairn";
  Bytes bytes(max_written_size);
  bytes.resize(write(bytes.data(), request));
  auto options = options_of(bytes);
  ASSERT_EQ(options.size(), 6u);
  EXPECT_EQ(options[0], (std::pair<uint8_t, Bytes>{53, {3}}));
  EXPECT_EQ(options[2], (std::pair<uint8_t, Bytes>{50, {10, 0, 0, 50}}));
  EXPECT_EQ(options[3], (std::pair<uint8_t, Bytes>{54, {10, 0, 0, 1}}));
  EXPECT_EQ(options[4], (std::pair<uint8_t, Bytes>{12, testing::bytes_of("cairn")}));
}

TEST(DhcpMessageTest, WritesTheClientAddressWhenRenewing) {
  Request request;
  request.type = MessageType::request;
  request.client_mac = mac;
  request.client_address = offered;
  Bytes bytes(max_written_size);
  bytes.resize(write(bytes.data(), request));
  EXPECT_EQ(Bytes(bytes.begin() + 12, bytes.begin() + 16), (Bytes{10, 0, 0, 50}));
  EXPECT_EQ(testing::get16(bytes, 10), 0);  // no broadcast flag
}

TEST(DhcpMessageTest, RefusesTruncatedMessagesAndAMissingCookie) {
  Bytes bytes = testing::dhcp_reply(offer());
  EXPECT_EQ(parse(ByteView(bytes.data(), 239)).error(), Error::truncated);
  Bytes no_cookie = bytes;
  no_cookie[236] = 0;
  EXPECT_EQ(parse(view(no_cookie)).error(), Error::bad_format);
  Bytes bad_operation = bytes;
  bad_operation[0] = 3;
  EXPECT_EQ(parse(view(bad_operation)).error(), Error::bad_format);
}

TEST(DhcpMessageTest, RefusesAnOptionThatRunsPastTheEnd) {
  testing::DhcpReply reply = offer();
  reply.extra_options = {43, 200, 1, 2, 3};  // says 200 bytes, has 3 (and then `end`)
  Bytes bytes = testing::dhcp_reply(reply);
  EXPECT_EQ(parse(view(bytes)).error(), Error::truncated);
  Bytes lone_code = testing::dhcp_reply(offer());
  lone_code.back() = 43;  // a code with no length byte where `end` was
  EXPECT_EQ(parse(view(lone_code)).error(), Error::truncated);
}

TEST(DhcpMessageTest, RefusesHugeOptionLists) {
  testing::DhcpReply reply = offer();
  for (int i = 0; i < 500; ++i) {  // 500 empty vendor options: 1000 bytes, linear, but absurd
    reply.extra_options.push_back(224);
    reply.extra_options.push_back(0);
  }
  Bytes bytes = testing::dhcp_reply(reply);
  EXPECT_EQ(parse(view(bytes)).error(), Error::too_many_options);
  // Up to the bound is fine.
  reply.extra_options.resize(2 * (max_options - 7));
  EXPECT_TRUE(parse(view(testing::dhcp_reply(reply))).ok());
}

TEST(DhcpMessageTest, ToleratesPadsAndAMissingEnd) {
  testing::DhcpReply reply = offer();
  reply.extra_options = Bytes(100, 0);
  Bytes bytes = testing::dhcp_reply(reply);
  bytes.pop_back();  // no `end`
  Result<Message> message = parse(view(bytes));
  ASSERT_TRUE(message.ok());
  EXPECT_EQ(message->type, MessageType::offer);
}

TEST(DhcpMessageTest, IgnoresOptionsOfTheWrongSizeAndRepeatedOptions) {
  testing::DhcpReply reply = offer();
  reply.subnet_mask = Ipv4Address::any();
  reply.dns_servers.clear();
  reply.extra_options = {1,  3, 255, 255, 0,         // a 3-byte subnet mask
                         53, 1, 5,                   // a second message type
                         51, 4, 0,   0,   0, 9,      // a second lease time
                         6,  5, 1,   2,   3, 4, 5};  // DNS servers not a multiple of 4
  Result<Message> message = parse(view(testing::dhcp_reply(reply)));
  ASSERT_TRUE(message.ok());
  EXPECT_FALSE(message->has_subnet_mask);
  EXPECT_EQ(message->type, MessageType::offer);
  EXPECT_EQ(message->lease_time, 3600u);
  EXPECT_EQ(message->dns_server_count, 0);
}

TEST(DhcpMessageTest, ReadsAtMostThreeDnsServers) {
  testing::DhcpReply reply = offer();
  reply.dns_servers = {Ipv4Address::of(1, 1, 1, 1), Ipv4Address::of(2, 2, 2, 2), Ipv4Address::of(3, 3, 3, 3),
                       Ipv4Address::of(4, 4, 4, 4)};
  Result<Message> message = parse(view(testing::dhcp_reply(reply)));
  ASSERT_TRUE(message.ok());
  ASSERT_EQ(message->dns_server_count, 3);
  EXPECT_EQ(message->dns_servers[2], Ipv4Address::of(3, 3, 3, 3));
}

TEST(DhcpMessageTest, IgnoresOptionOverload) {
  // Option 52 = 3 says more options sit in `file` and `sname`; they are not read, so the message
  // type hidden there does not count.
  testing::DhcpReply reply = offer();
  reply.extra_options = {52, 1, 3};
  Bytes bytes = testing::dhcp_reply(reply);
  bytes[108] = 58;  // `file` starts at 108: T1 = 1 s there
  bytes[109] = 4;
  bytes[113] = 1;
  Result<Message> message = parse(view(bytes));
  ASSERT_TRUE(message.ok());
  EXPECT_FALSE(message->has_renewal_time);
}

}  // namespace
}  // namespace cairn::protocols::dhcp
