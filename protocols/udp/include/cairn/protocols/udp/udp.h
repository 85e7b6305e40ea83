// UDP over IPv4 (RFC 768): parse and check a datagram, write the header of one to send.
//
// The checksum covers the pseudo-header (source, destination, protocol 17, UDP length), the
// header and the payload. A received checksum of 0 means the sender computed none, which IPv4
// allows; a computed checksum of 0 is sent as 0xffff.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "cairn/protocols/common/addresses.h"
#include "cairn/protocols/common/bytes.h"
#include "cairn/protocols/common/result.h"

namespace cairn::protocols::udp {

constexpr size_t header_size = 8;

struct Endpoint {
  Ipv4Address address;
  uint16_t port = 0;

  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

struct Datagram {
  uint16_t source_port = 0;
  uint16_t destination_port = 0;
  ByteView payload;
};

// Parses the UDP datagram that is the payload of an IPv4 packet from `source` to `destination`.
// Errors: truncated (under 8 bytes), bad_length (length field under 8 or beyond the bytes; bytes
// beyond a shorter length are cut), bad_checksum.
Result<Datagram> parse(ByteView bytes, Ipv4Address source, Ipv4Address destination);

// The checksum of a datagram whose header is `header` (checksum field 0) and payload `payload`.
uint16_t checksum(Ipv4Address source, Ipv4Address destination, const uint8_t* header, ByteView payload);

// Writes the 8-byte header of a datagram carrying `payload` from `source` to `destination`,
// checksum included. The payload must fit: header_size + payload.size() <= 65535.
void write_header(uint8_t* out, const Endpoint& source, const Endpoint& destination, ByteView payload);

}  // namespace cairn::protocols::udp
