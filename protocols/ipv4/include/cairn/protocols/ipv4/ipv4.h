// IPv4 headers (RFC 791): parse and check a received packet, write the header of one to send,
// and the interface's address configuration (address, netmask, gateway).
//
// Parsing checks, in order: at least 20 bytes (truncated), version 4 (bad_version), IHL of at
// least 5 words and within the bytes (bad_header_length), a total length that covers the header
// and fits in the bytes (bad_length; bytes beyond it are link padding and cut off), and the
// header checksum (bad_checksum). Options are skipped: never interpreted, never echoed (the
// payload starts after IHL words). TTL: this host sends with 64 and never 0; it does not drop
// received packets for a low TTL (RFC 1122 3.2.1.7: a host must not discard a datagram for
// TTL < 2). Fragments are reassembled by Reassembler (reassembly.h).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "cairn/protocols/common/addresses.h"
#include "cairn/protocols/common/bytes.h"
#include "cairn/protocols/common/result.h"

namespace cairn::protocols::ipv4 {

constexpr size_t header_size = 20;      // without options: every header this host writes
constexpr size_t max_header_size = 60;  // IHL 15
constexpr uint8_t default_ttl = 64;

namespace protocol {
constexpr uint8_t icmp = 1;
constexpr uint8_t tcp = 6;
constexpr uint8_t udp = 17;
}  // namespace protocol

struct Header {
  uint8_t header_length = header_size;  // bytes, options included
  uint8_t type_of_service = 0;
  uint16_t total_length = 0;  // header + payload
  uint16_t identification = 0;
  bool dont_fragment = false;
  bool more_fragments = false;
  uint16_t fragment_offset = 0;  // bytes (the field counts 8-byte units)
  uint8_t ttl = default_ttl;
  uint8_t protocol = 0;
  Ipv4Address source;
  Ipv4Address destination;

  bool is_fragment() const { return more_fragments || fragment_offset != 0; }
};

struct Packet {
  Header header;
  ByteView header_bytes;  // the header as received, options included
  ByteView payload;       // total_length - header_length bytes
};

// Parses and checks the IPv4 packet at the start of `bytes` (see the file comment for the checks).
Result<Packet> parse(ByteView bytes);

// Writes a 20-byte header (no options) at `out`, with its checksum. header.header_length is
// ignored (always 20).
void write_header(uint8_t* out, const Header& header);

// An interface's IPv4 configuration: from DHCP or static.
struct Config {
  Ipv4Address address;  // any() = not configured
  Ipv4Address netmask;
  Ipv4Address gateway;  // any() = no default route

  bool configured() const { return !address.is_any(); }
  bool in_subnet(Ipv4Address other) const { return (other.value & netmask.value) == (address.value & netmask.value); }
  Ipv4Address subnet_broadcast() const { return {address.value | ~netmask.value}; }
  // Limited broadcast, or the subnet's directed broadcast (not for a /31 or /32).
  bool is_broadcast(Ipv4Address other) const {
    return other.is_broadcast() || (netmask.value < 0xfffffffe && other == subnet_broadcast());
  }
};

}  // namespace cairn::protocols::ipv4
