// TCP sequence numbers: RFC 6528 initial sequence numbers, the SipHash-2-4 keyed hash behind them
// (and behind SYN cookies, syn_cookies.h), and the modular comparisons of RFC 9293 3.4.
//
// An initial sequence number is ISN = M + F(4-tuple, key): M counts 4-microsecond ticks of the
// monotonic clock the caller passes in (wrapping every 4.77 hours), F is SipHash-2-4 of the
// connection's four numbers under a secret key. A new incarnation of a connection therefore starts
// above the old one's numbers, while an off-path attacker, who lacks the key, cannot guess where
// any connection starts. The key comes from the platform's entropy (cairn/runtime/entropy.h in
// images) and is a parameter here, so tests pass a fixed one.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "cairn/protocols/common/addresses.h"
#include "cairn/protocols/common/bytes.h"
#include "cairn/protocols/common/time.h"

namespace cairn::protocols::tcp {

// The four numbers that name a connection, from this host's point of view.
struct FourTuple {
  Ipv4Address local_address;
  uint16_t local_port = 0;
  Ipv4Address remote_address;
  uint16_t remote_port = 0;

  friend bool operator==(const FourTuple&, const FourTuple&) = default;
};

// The 128-bit SipHash key as two 64-bit halves. k0 holds key bytes 0-7 read little-endian, k1
// bytes 8-15, as in the SipHash paper, so key 00 01 .. 0f is {0x0706050403020100, 0x0f0e0d0c0b0a0908}.
struct SecretKey {
  uint64_t k0 = 0;
  uint64_t k1 = 0;

  // The key made of 16 bytes (entropy from the platform), read little-endian as above.
  // Reads exactly 16 bytes from `bytes`.
  static SecretKey from_bytes(const uint8_t* bytes);

  friend bool operator==(const SecretKey&, const SecretKey&) = default;
};

// SipHash-2-4 (Aumasson & Bernstein, 2012) of `message` under `key`.
// Matches the reference implementation's 64-bit output bit for bit, for messages of any length.
uint64_t siphash24(const SecretKey& key, ByteView message);

// Bytes of a FourTuple as hashed: local address, remote address, local port, remote port, all
// big-endian. Writes exactly four_tuple_size bytes to `out`.
constexpr size_t four_tuple_size = 12;
void store_four_tuple(uint8_t* out, const FourTuple& tuple);

// RFC 6528 initial sequence numbers under one secret key.
class SequenceGenerator {
 public:
  // M advances once every 4 microseconds: 250 000 per second.
  static constexpr Duration tick = 4000;

  explicit SequenceGenerator(const SecretKey& key) : key_(key) {}

  // The initial send sequence number for a connection on `tuple` opened at `now` (monotonic ns).
  // The same tuple at the same time always gives the same number; one tick later it is one more.
  uint32_t initial_sequence(const FourTuple& tuple, Time now) const;

  // F(tuple, key) alone, the per-connection offset added to the clock.
  // Useful to tests and to code that wants the clock part separately.
  uint32_t offset(const FourTuple& tuple) const;

 private:
  SecretKey key_;
};

// Modular sequence-number arithmetic (RFC 9293 3.4, RFC 1982): numbers live on a 2^32 circle and
// `a` is below `b` when b is less than 2^31 ahead of a. Meaningless for numbers 2^31 apart, which
// TCP's windows never are.
constexpr bool seq_lt(uint32_t a, uint32_t b) {
  return static_cast<int32_t>(a - b) < 0;
}
constexpr bool seq_leq(uint32_t a, uint32_t b) {
  return static_cast<int32_t>(a - b) <= 0;
}
constexpr bool seq_gt(uint32_t a, uint32_t b) {
  return static_cast<int32_t>(a - b) > 0;
}
constexpr bool seq_geq(uint32_t a, uint32_t b) {
  return static_cast<int32_t>(a - b) >= 0;
}
constexpr uint32_t seq_max(uint32_t a, uint32_t b) {
  return seq_gt(a, b) ? a : b;
}
constexpr uint32_t seq_min(uint32_t a, uint32_t b) {
  return seq_lt(a, b) ? a : b;
}
// low <= x <= high on the circle, counting forward from `low`: RFC 9293's acceptable ACK
// (SND.UNA < SEG.ACK =< SND.NXT) is seq_between(snd_una + 1, ack, snd_nxt).
constexpr bool seq_between(uint32_t low, uint32_t x, uint32_t high) {
  return x - low <= high - low;
}
// start <= x < start + size: whether `x` falls in a window of `size` numbers (RCV.NXT =< SEG.SEQ
// < RCV.NXT + RCV.WND is seq_in_window(seg_seq, rcv_nxt, rcv_wnd)); an empty window holds nothing.
constexpr bool seq_in_window(uint32_t x, uint32_t start, uint32_t size) {
  return x - start < size;
}
// How far `to` is ahead of `from` (0 when it is not ahead): bytes between two sequence numbers.
constexpr uint32_t seq_distance(uint32_t from, uint32_t to) {
  return seq_gt(to, from) ? to - from : 0;
}

}  // namespace cairn::protocols::tcp
