// SYN cookies (syn_cookies.h).
#include "cairn/protocols/tcp/syn_cookies.h"

namespace cairn::protocols::tcp {

namespace {

constexpr size_t mss_count = sizeof mss_table / sizeof mss_table[0];
static_assert(mss_count == 4, "the cookie has two bits for the MSS index");

constexpr int counter_shift = 30;  // bits 31-30: the time counter modulo 4
constexpr int mss_shift = 28;      // bits 29-28: the MSS index
constexpr uint32_t mac_mask = (uint32_t{1} << mss_shift) - 1;

// The low bits of a SYN-ACK's TSval: window scale in bits 3-0 (no_window_scaling for none),
// SACK permitted in bit 4.
constexpr uint32_t timestamp_bits = 5;
constexpr uint32_t timestamp_mask = (uint32_t{1} << timestamp_bits) - 1;
constexpr uint32_t window_scale_mask = 0xf;
constexpr uint32_t no_window_scaling = 0xf;
constexpr uint32_t sack_bit = 0x10;
constexpr uint8_t max_window_scale = 14;  // RFC 7323 2.3

// Tells the two hashes apart from each other and from the ISN's, which hash the bare tuple.
constexpr uint8_t domain_mac = 'C';
constexpr uint8_t domain_whitening = 'W';

uint32_t counter_at(Time now) {
  return static_cast<uint32_t>(now / cookie_unit);
}

uint32_t mss_index(uint16_t offered) {
  uint32_t index = 0;
  for (uint32_t i = 0; i < mss_count; ++i) {
    if (mss_table[i] <= offered) index = i;
  }
  return index;
}

}  // namespace

uint16_t SynCookies::encodable_mss(uint16_t offered) {
  return mss_table[mss_index(offered)];
}

uint32_t SynCookies::mac(const FourTuple& tuple, uint32_t peer_isn, uint32_t counter, uint32_t index) const {
  uint8_t message[four_tuple_size + 4 + 4 + 2];
  store_four_tuple(message, tuple);
  store_be32(message + four_tuple_size, peer_isn);
  store_be32(message + four_tuple_size + 4, counter);
  message[four_tuple_size + 8] = static_cast<uint8_t>(index);
  message[four_tuple_size + 9] = domain_mac;
  return static_cast<uint32_t>(siphash24(key_, ByteView(message, sizeof message))) & mac_mask;
}

uint32_t SynCookies::whitening(const FourTuple& tuple, uint32_t peer_isn) const {
  uint8_t message[four_tuple_size + 4 + 1];
  store_four_tuple(message, tuple);
  store_be32(message + four_tuple_size, peer_isn);
  message[four_tuple_size + 4] = domain_whitening;
  return static_cast<uint32_t>(siphash24(key_, ByteView(message, sizeof message)));
}

uint32_t SynCookies::make(const FourTuple& tuple, uint32_t peer_isn, const CookieOptions& offered, Time now) const {
  uint32_t counter = counter_at(now);
  uint32_t index = mss_index(offered.mss);
  uint32_t inner = (counter & 3) << counter_shift | index << mss_shift | mac(tuple, peer_isn, counter, index);
  return inner ^ whitening(tuple, peer_isn);
}

uint32_t SynCookies::timestamp_value(uint32_t clock, const CookieOptions& offered) {
  uint32_t scale = offered.window_scale < max_window_scale ? offered.window_scale : max_window_scale;
  uint32_t bits = offered.window_scaling ? scale : no_window_scaling;
  if (offered.sack_permitted) bits |= sack_bit;
  uint32_t value = (clock & ~timestamp_mask) | bits;
  // Stay at or below the clock, so the TSvals this end sends next never go backwards (PAWS).
  if (value > clock) value -= timestamp_mask + 1;
  return value;
}

Result<CookieOptions> SynCookies::check(const FourTuple& tuple, uint32_t peer_isn, uint32_t cookie, bool has_timestamp,
                                        uint32_t timestamp_echo, Time now) const {
  uint32_t inner = cookie ^ whitening(tuple, peer_isn);
  uint32_t current = counter_at(now);
  uint32_t age = (current - (inner >> counter_shift)) & 3;
  if (age > cookie_lifetime_units) return Error::unexpected;
  uint32_t index = inner >> mss_shift & 3;
  if (mac(tuple, peer_isn, current - age, index) != (inner & mac_mask)) return Error::bad_format;

  CookieOptions options;
  options.mss = mss_table[index];
  if (has_timestamp) {
    options.timestamps = true;
    uint32_t scale = timestamp_echo & window_scale_mask;
    options.window_scaling = scale != no_window_scaling;
    // 15 means none; 0-14 are the valid shifts, so nothing else needs clamping.
    options.window_scale = options.window_scaling ? static_cast<uint8_t>(scale) : 0;
    options.sack_permitted = (timestamp_echo & sack_bit) != 0;
  }
  return options;
}

}  // namespace cairn::protocols::tcp
