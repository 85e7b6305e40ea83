// The protocols' one error type, the Result that carries it, and the per-layer counters.
//
// Every parser returns Result<T>: the parsed value or an Error saying why the bytes were refused.
// The same Error values are the reasons a layer drops a packet, so each layer counts its drops in
// a Counters array indexed by Error: a test asserts "dropped and counted" as
// `stats.ipv4.dropped(Error::bad_checksum) == 1`. Freestanding: no exceptions, no <optional>.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <utility>

namespace cairn::protocols {

enum class Error : uint8_t {
  // Malformed input.
  truncated,          // fewer bytes than a header or a length field needs
  bad_length,         // a length field that contradicts the packet (IPv4 total length, UDP length)
  bad_checksum,       // Internet checksum does not verify
  bad_version,        // IPv4 version other than 4
  bad_header_length,  // IPv4 IHL below 5 or beyond the packet
  bad_format,         // a field the protocol fixes has another value (ARP hardware type, DHCP cookie)
  bad_address,        // a source address no host may use (broadcast, multicast)
  too_many_options,   // more options than a sane sender writes (DHCP)
  // Well-formed, but not taken.
  unsupported,       // valid but not handled here (802.3 frames, QinQ, IPv4 protocols other than ICMP/UDP)
  not_for_us,        // another host's frame, packet, ARP exchange or DHCP transaction
  other_subnet,      // ARP from an address outside the interface's subnet
  address_conflict,  // another host claims this interface's IPv4 address
  unexpected,        // a message the state machine does not expect in its current state (DHCP)
  no_port,           // UDP to a port nobody bound
  queue_full,        // a bounded queue (socket, ARP hold, output, reassembly) had no room
  too_large,         // bigger than a buffer or a bound allows
  fragment_overlap,  // an IPv4 fragment overlapping one already received (the datagram is dropped)
  fragment_timeout,  // an IPv4 datagram not complete within the reassembly timeout
  unresolved,        // ARP never answered for the next hop: the packets held for it are dropped
  rate_limited,      // an ICMP error suppressed by the token bucket
  broadcast,         // no ICMP reply to broadcasts or to ICMP errors
  // Refused requests from the application.
  no_route,        // no gateway for an off-subnet destination
  not_configured,  // the interface has no IPv4 address yet
  in_use,          // the UDP port is bound already
  bad_argument,    // a request that makes no sense (unknown socket, payload too big for a frame)
  count_,          // number of values, for arrays indexed by Error
};

constexpr size_t error_count = static_cast<size_t>(Error::count_);

// The snake_case name of an error ("bad_checksum").
const char* describe(Error error);

// A value or an Error. T must be default-constructible and copyable (parsed headers, views,
// handles), which keeps this free of unions and placement new.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)), ok_(true) {}  // NOLINT: implicit by design
  Result(Error error) : error_(error), ok_(false) {}        // NOLINT

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  Error error() const { return error_; }
  // Only meaningful when ok().
  const T& value() const { return value_; }
  T& value() { return value_; }
  const T* operator->() const { return &value_; }
  T* operator->() { return &value_; }

 private:
  T value_{};
  Error error_ = Error::count_;
  bool ok_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() : ok_(true) {}
  Result(Error error) : error_(error), ok_(false) {}  // NOLINT

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  Error error() const { return error_; }

 private:
  Error error_ = Error::count_;
  bool ok_;
};

using Status = Result<void>;

// What one layer saw: packets in, passed up, sent, and dropped per reason.
struct Counters {
  uint64_t received = 0;
  uint64_t delivered = 0;
  uint64_t sent = 0;
  uint64_t drops[error_count] = {};

  void drop(Error reason) { ++drops[static_cast<size_t>(reason)]; }
  uint64_t dropped(Error reason) const { return drops[static_cast<size_t>(reason)]; }
  uint64_t dropped_total() const {
    uint64_t total = 0;
    for (uint64_t count : drops) total += count;
    return total;
  }
};

}  // namespace cairn::protocols
