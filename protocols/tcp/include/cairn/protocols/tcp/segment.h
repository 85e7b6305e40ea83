// TCP segments over IPv4 (RFC 9293 3.1): parse and check one, write the header of one to send.
//
// Options read and written: MSS (2), window scale (3, RFC 7323), SACK-permitted (4) and SACK (5,
// RFC 2018), timestamps (8, RFC 7323); NOP and end-of-list; any other option is skipped by its
// length. The checksum covers the pseudo-header (source, destination, protocol 6, TCP length),
// the header and the payload.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "cairn/protocols/common/addresses.h"
#include "cairn/protocols/common/bytes.h"
#include "cairn/protocols/common/result.h"

namespace cairn::protocols::tcp {

constexpr uint8_t protocol_number = 6;
constexpr size_t header_size = 20;      // without options
constexpr size_t max_header_size = 60;  // data offset 15
constexpr size_t max_sack_blocks = 4;   // what fits in 40 bytes of options beside nothing else

// Control bits (RFC 9293 3.1, RFC 3168 for ECE/CWR).
enum Flag : uint8_t {
  fin = 0x01,
  syn = 0x02,
  rst = 0x04,
  psh = 0x08,
  ack = 0x10,
  urg = 0x20,
  ece = 0x40,
  cwr = 0x80,
};

// One SACK block: the sequence numbers [left, right) that the receiver holds (RFC 2018 3).
struct SackBlock {
  uint32_t left = 0;
  uint32_t right = 0;
};

struct Options {
  bool has_mss = false;
  uint16_t mss = 0;
  bool has_window_scale = false;
  uint8_t window_scale = 0;  // as sent; a receiver caps it at 14 (RFC 7323 2.3)
  bool sack_permitted = false;
  bool has_timestamps = false;
  uint32_t timestamp_value = 0;
  uint32_t timestamp_echo = 0;
  uint8_t sack_count = 0;
  SackBlock sack[max_sack_blocks];
};

struct Segment {
  uint16_t source_port = 0;
  uint16_t destination_port = 0;
  uint32_t sequence = 0;
  uint32_t acknowledgment = 0;
  uint8_t flags = 0;
  uint16_t window = 0;  // as on the wire, before scaling
  uint16_t urgent = 0;
  Options options;
  ByteView payload;

  bool has(Flag flag) const { return (flags & flag) != 0; }
  // SEG.LEN: the sequence space the segment occupies (payload, plus one each for SYN and FIN).
  uint32_t length() const {
    return static_cast<uint32_t>(payload.size()) + (has(Flag::syn) ? 1u : 0u) + (has(Flag::fin) ? 1u : 0u);
  }
};

// Parses the TCP segment that is the payload of an IPv4 packet from `source` to `destination`.
// Errors: truncated (under 20 bytes, or options beyond the header), bad_header_length (data
// offset under 5 or beyond the bytes), bad_checksum, bad_format (an option whose length field
// is wrong for its kind, or runs past the header).
Result<Segment> parse(ByteView bytes, Ipv4Address source, Ipv4Address destination);

// The size of the header write_header() makes for `options` (20 plus padded options, <= 60).
size_t header_size_for(const Options& options);

// Writes the header of `segment` (its payload is sent after it, not copied here) into `out`,
// which holds at least header_size_for(segment.options) bytes, checksum over header and payload
// included, and returns its size. Options are written in the order Linux uses, so that a SYN's
// options fit 40 bytes: MSS, SACK-permitted + timestamps, window scale; then SACK blocks, as
// many as fit beside the others.
size_t write_header(uint8_t* out, const Segment& segment, Ipv4Address source, Ipv4Address destination);

}  // namespace cairn::protocols::tcp
