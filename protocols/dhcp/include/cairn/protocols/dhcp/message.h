// DHCP messages (RFC 2131 section 2, options from RFC 2132): parse what servers send, write what
// a client sends.
//
// Parsing is bounded and linear: the fixed part and the magic cookie must be there (truncated,
// bad_format), and options are read one by one until `end` or the last byte; an option whose
// length runs past the message makes it truncated, and more than `max_options` options (pads not
// counted) make it too_many_options — a legitimate server writes a dozen or two. The first
// occurrence of an option counts; options of the wrong size are ignored. Option overload (52) is
// ignored: options carried in the `sname` and `file` fields are not read (no server this client
// needs puts the ones it uses there), which also means no option can point the parser anywhere.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "cairn/protocols/common/addresses.h"
#include "cairn/protocols/common/bytes.h"
#include "cairn/protocols/common/result.h"

namespace cairn::protocols::dhcp {

constexpr uint16_t server_port = 67;
constexpr uint16_t client_port = 68;
constexpr size_t fixed_size = 236;  // op .. file, before the magic cookie
constexpr uint32_t magic_cookie = 0x63825363;
constexpr size_t max_options = 128;
constexpr size_t max_dns_servers = 3;
constexpr size_t min_message_size = 300;  // BOOTP's minimum; what the client pads to
constexpr size_t max_written_size = 576;  // every message the client writes fits
constexpr uint32_t infinite_lease = 0xffffffff;

enum class MessageType : uint8_t { none = 0, discover, offer, request, decline, ack, nak, release, inform };

namespace option {
constexpr uint8_t pad = 0;
constexpr uint8_t subnet_mask = 1;
constexpr uint8_t router = 3;
constexpr uint8_t dns_servers = 6;
constexpr uint8_t hostname = 12;
constexpr uint8_t requested_address = 50;
constexpr uint8_t lease_time = 51;
constexpr uint8_t overload = 52;
constexpr uint8_t message_type = 53;
constexpr uint8_t server_identifier = 54;
constexpr uint8_t parameter_request_list = 55;
constexpr uint8_t renewal_time = 58;
constexpr uint8_t rebinding_time = 59;
constexpr uint8_t client_identifier = 61;
constexpr uint8_t end = 255;
}  // namespace option

namespace operation {
constexpr uint8_t boot_request = 1;
constexpr uint8_t boot_reply = 2;
}  // namespace operation

struct Message {
  uint8_t operation = 0;
  uint32_t transaction_id = 0;  // xid
  uint16_t seconds = 0;
  uint16_t flags = 0;
  Ipv4Address client_address;  // ciaddr
  Ipv4Address your_address;    // yiaddr
  Ipv4Address server_address;  // siaddr
  Ipv4Address relay_address;   // giaddr
  MacAddress client_mac;       // chaddr, when htype is Ethernet and hlen 6
  // Options this client reads; has_* says whether one was present.
  MessageType type = MessageType::none;
  Ipv4Address server_identifier;
  Ipv4Address requested_address;
  Ipv4Address subnet_mask;
  Ipv4Address router;
  Ipv4Address dns_servers[max_dns_servers];
  uint8_t dns_server_count = 0;
  uint32_t lease_time = 0;  // seconds
  uint32_t renewal_time = 0;
  uint32_t rebinding_time = 0;
  bool has_server_identifier = false;
  bool has_subnet_mask = false;
  bool has_router = false;
  bool has_lease_time = false;
  bool has_renewal_time = false;
  bool has_rebinding_time = false;
  size_t option_count = 0;
};

// Parses a DHCP message (a UDP payload); see the file comment for the checks.
Result<Message> parse(ByteView bytes);

// What a client puts in a message.
struct Request {
  MessageType type = MessageType::discover;
  uint32_t transaction_id = 0;
  uint16_t seconds = 0;
  bool broadcast_flag = false;     // ask the server to broadcast its reply (no address yet)
  MacAddress client_mac;           // chaddr, and the client identifier (type 1, the MAC)
  Ipv4Address client_address;      // ciaddr: set when renewing or rebinding
  Ipv4Address requested_address;   // option 50, when any() not sent
  Ipv4Address server_identifier;   // option 54, when any() not sent
  const char* hostname = nullptr;  // option 12, when set (at most 63 characters are sent)
};

// Writes `request` at `out` (at least max_written_size bytes), padded to min_message_size; returns
// its size. The parameter request list asks for subnet mask, router, DNS servers, lease, T1, T2;
// DECLINE and RELEASE carry neither it nor the host name.
size_t write(uint8_t* out, const Request& request);

}  // namespace cairn::protocols::dhcp
