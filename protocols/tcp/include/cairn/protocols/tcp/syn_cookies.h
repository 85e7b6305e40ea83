// SYN cookies: a listener whose queue of half-open connections is full answers a SYN without
// remembering it, and rebuilds the connection from the ACK that completes the handshake.
//
// The SYN-ACK's initial sequence number (the cookie) carries what the listener would have kept:
//
//   bits 31-30  the 64-second time counter, modulo 4
//   bits 29-28  an index into mss_table (the largest entry not above the peer's MSS)
//   bits 27-0   28 bits of SipHash-2-4 over the 4-tuple, the peer's ISN, the full counter and
//               the index (a MAC: without the key nobody makes one that verifies)
//
// and the whole is XORed with 32 more keyed bits of the 4-tuple and peer ISN, so cookies look
// as unpredictable as RFC 6528 sequence numbers. The final ACK brings the cookie back as ACK - 1
// and the peer's ISN as SEQ - 1. A cookie verifies during the unit it was made in and the next one
// (64 to 128 s); forging one takes 2^29 guesses on average.
//
// Window scaling and SACK cannot fit too. When the SYN offered timestamps, the SYN-ACK's TSval
// carries them in its low 5 bits (window scale 0-14, or 15 for "not offered", and SACK permitted)
// and the final ACK's TSecr echoes them back; timestamp_value() writes them. Those bits are not
// covered by the MAC (an attacker able to rewrite TSecr is on the path already), and a connection
// whose ACK carries no timestamp gets neither window scaling nor SACK. The idea is Linux's
// (net/ipv4/syncookies.c); the layout and the MAC are this file's own.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "cairn/protocols/common/result.h"
#include "cairn/protocols/common/time.h"
#include "cairn/protocols/tcp/sequence.h"

namespace cairn::protocols::tcp {

// The MSS values a cookie can carry (two bits): the RFC 879 default, IPv6-tunnel and
// PPPoE-sized paths, and plain Ethernet.
constexpr uint16_t mss_table[] = {536, 1220, 1440, 1460};

// Cookies age in units of 64 seconds; one verifies for cookie_lifetime_units units after its own.
constexpr Duration cookie_unit = seconds(64);
constexpr uint32_t cookie_lifetime_units = 1;

// The options of a SYN, as far as a cookie keeps them.
struct CookieOptions {
  uint16_t mss = 536;
  bool sack_permitted = false;
  uint8_t window_scale = 0;  // the peer's shift count, 0-14; meaningful when window_scaling
  bool window_scaling = false;
  bool timestamps = false;

  friend bool operator==(const CookieOptions&, const CookieOptions&) = default;
};

class SynCookies {
 public:
  explicit SynCookies(const SecretKey& key) : key_(key) {}

  // The ISS for a SYN-ACK answering a SYN (ISN `peer_isn`) on `tuple` at `now`; the MSS it
  // encodes is the largest mss_table entry <= offered.mss (536 when the offer is smaller).
  uint32_t make(const FourTuple& tuple, uint32_t peer_isn, const CookieOptions& offered, Time now) const;

  // The TSval to send in that SYN-ACK when offered.timestamps: `clock` with its low 5 bits
  // replaced by the window scale and SACK bits, and never ahead of `clock`.
  static uint32_t timestamp_value(uint32_t clock, const CookieOptions& offered);

  // Checks the ACK completing a cookie handshake on `tuple` (peer_isn = SEG.SEQ - 1, cookie =
  // SEG.ACK - 1; timestamp_echo its TSecr when has_timestamp). Gives the options the connection
  // gets, Error::unexpected for a cookie older than its lifetime, Error::bad_format for one this
  // key did not make for this tuple and peer ISN.
  Result<CookieOptions> check(const FourTuple& tuple, uint32_t peer_isn, uint32_t cookie, bool has_timestamp,
                              uint32_t timestamp_echo, Time now) const;

  // The MSS a cookie will carry for an offered MSS: the largest mss_table entry not above it.
  // Offers below the table's first entry get the first entry, TCP's default of 536.
  static uint16_t encodable_mss(uint16_t offered);

 private:
  uint32_t mac(const FourTuple& tuple, uint32_t peer_isn, uint32_t counter, uint32_t mss_index) const;
  uint32_t whitening(const FourTuple& tuple, uint32_t peer_isn) const;

  SecretKey key_;
};

}  // namespace cairn::protocols::tcp
