// ICMP for IPv4 (RFC 792), as much as a host needs: echo replies, destination-unreachable
// errors, and the RFC 1812 (4.3.2.8) token bucket that limits how many errors go out.
//
// The rules on when not to send an error (RFC 1122 3.2.2: never about an ICMP error, a broadcast
// or multicast, a non-initial fragment, or a packet from a non-unicast source) are applied by the
// caller, which knows the addresses; `is_error` helps.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "cairn/protocols/common/bytes.h"
#include "cairn/protocols/common/result.h"
#include "cairn/protocols/common/time.h"

namespace cairn::protocols::icmp {

constexpr size_t header_size = 8;
// RFC 1812 4.3.2.3: an error quotes as much of the offending datagram as keeps it within 576 bytes.
constexpr size_t max_error_datagram_size = 576;

namespace type {
constexpr uint8_t echo_reply = 0;
constexpr uint8_t destination_unreachable = 3;
constexpr uint8_t source_quench = 4;
constexpr uint8_t redirect = 5;
constexpr uint8_t echo_request = 8;
constexpr uint8_t time_exceeded = 11;
constexpr uint8_t parameter_problem = 12;
}  // namespace type

namespace unreachable {
constexpr uint8_t network = 0;
constexpr uint8_t host = 1;
constexpr uint8_t protocol = 2;
constexpr uint8_t port = 3;
}  // namespace unreachable

struct Message {
  uint8_t type = 0;
  uint8_t code = 0;
  uint32_t rest = 0;  // the header's last four bytes: identifier and sequence for echoes
  ByteView body;      // everything after the 8-byte header

  uint16_t identifier() const { return static_cast<uint16_t>(rest >> 16); }
  uint16_t sequence() const { return static_cast<uint16_t>(rest); }
};

// Parses an ICMP message (the whole IPv4 payload). Errors: truncated, bad_checksum.
Result<Message> parse(ByteView bytes);

// Whether `message_type` is an error message, about which no error may be sent.
constexpr bool is_error(uint8_t message_type) {
  return message_type == type::destination_unreachable || message_type == type::source_quench ||
         message_type == type::redirect || message_type == type::time_exceeded ||
         message_type == type::parameter_problem;
}

// Writes the 8-byte header of the reply to echo request `request` (same identifier, sequence and
// body, which the caller sends after the header), checksum included.
void write_echo_reply_header(uint8_t* out, const Message& request);

// Writes the 8-byte header of a destination-unreachable message with `code`, whose body (sent
// after it) is `quoted`: the offending datagram's IP header and first payload bytes.
void write_unreachable_header(uint8_t* out, uint8_t code, ByteView quoted);

// How many bytes of an offending IPv4 datagram of `datagram_size` bytes an error quotes.
constexpr size_t quoted_size(size_t datagram_size) {
  constexpr size_t room = max_error_datagram_size - 20 - header_size;
  return datagram_size < room ? datagram_size : room;
}

// A token bucket: `burst` errors at once, then `per_second` on average (RFC 1812 4.3.2.8).
class RateLimiter {
 public:
  explicit RateLimiter(uint32_t burst = 10, uint32_t per_second = 100);

  // Whether one more error may go out at `now`; takes a token if so.
  bool allow(Time now);

 private:
  Duration interval_;  // time that earns one token
  Duration capacity_;  // burst * interval
  Duration credit_;    // earned time, at most capacity_
  Time last_ = 0;
};

}  // namespace cairn::protocols::icmp
