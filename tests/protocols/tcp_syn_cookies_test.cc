// SYN cookies: what a cookie carries comes back from the completing ACK, and nothing else does.
#include <cairn/protocols/tcp/syn_cookies.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <random>

namespace cairn::protocols::tcp {
namespace {

const FourTuple tuple = {Ipv4Address::of(192, 0, 2, 1), 443, Ipv4Address::of(198, 51, 100, 7), 51000};
const SecretKey key = {0x1122334455667788, 0x99aabbccddeeff00};
constexpr uint32_t peer_isn = 0xdeadbeef;
const Time now = seconds(1000) + milliseconds(123);

// The options the listener gets back for a SYN that offered `offered`, answered at `made` and
// completed at `completed`; the ACK carries a timestamp when the SYN offered them.
Result<CookieOptions> round_trip(const SynCookies& cookies, const CookieOptions& offered, Time made, Time completed) {
  uint32_t cookie = cookies.make(tuple, peer_isn, offered, made);
  uint32_t echo = offered.timestamps ? SynCookies::timestamp_value(0x12345678, offered) : 0;
  return cookies.check(tuple, peer_isn, cookie, offered.timestamps, echo, completed);
}

TEST(SynCookiesTest, CarriesEachMssBucket) {
  SynCookies cookies(key);
  for (uint16_t mss : mss_table) {
    Result<CookieOptions> options = round_trip(cookies, {.mss = mss}, now, now);
    ASSERT_TRUE(options.ok()) << mss;
    EXPECT_EQ(options->mss, mss);
  }
}

TEST(SynCookiesTest, RoundsTheOfferedMssDownToTheTable) {
  EXPECT_EQ(SynCookies::encodable_mss(1460), 1460);
  EXPECT_EQ(SynCookies::encodable_mss(9000), 1460);
  EXPECT_EQ(SynCookies::encodable_mss(1459), 1440);
  EXPECT_EQ(SynCookies::encodable_mss(1300), 1220);
  EXPECT_EQ(SynCookies::encodable_mss(1219), 536);
  EXPECT_EQ(SynCookies::encodable_mss(536), 536);
  EXPECT_EQ(SynCookies::encodable_mss(100), 536);  // below the table: TCP's default
  SynCookies cookies(key);
  Result<CookieOptions> options = round_trip(cookies, {.mss = 1400}, now, now);
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->mss, 1220);
}

TEST(SynCookiesTest, CarriesEveryOptionCombinationThroughTheTimestamp) {
  SynCookies cookies(key);
  for (uint16_t mss : mss_table) {
    for (bool sack : {false, true}) {
      for (bool scaling : {false, true}) {
        for (uint8_t scale : {0, 1, 7, 14}) {
          CookieOptions offered = {
              .mss = mss, .sack_permitted = sack, .window_scale = scale, .window_scaling = scaling, .timestamps = true};
          Result<CookieOptions> options = round_trip(cookies, offered, now, now);
          ASSERT_TRUE(options.ok());
          CookieOptions expected = offered;
          if (!scaling) expected.window_scale = 0;
          EXPECT_EQ(options.value(), expected) << mss << " sack " << sack << " scale " << int(scale);
        }
      }
    }
  }
}

TEST(SynCookiesTest, WithoutTimestampsThereIsNoWindowScalingAndNoSack) {
  SynCookies cookies(key);
  CookieOptions offered = {.mss = 1460, .sack_permitted = true, .window_scale = 7, .window_scaling = true};
  Result<CookieOptions> options = round_trip(cookies, offered, now, now);
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options.value(), (CookieOptions{.mss = 1460}));
  // Timestamps offered in the SYN, none in the ACK (stripped on the way): the same.
  offered.timestamps = true;
  uint32_t cookie = cookies.make(tuple, peer_isn, offered, now);
  options = cookies.check(tuple, peer_isn, cookie, false, 0, now);
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options.value(), (CookieOptions{.mss = 1460}));
}

TEST(SynCookiesTest, ClampsWindowScaleTo14) {
  CookieOptions offered = {.window_scale = 15, .window_scaling = true, .timestamps = true};
  SynCookies cookies(key);
  Result<CookieOptions> options = round_trip(cookies, offered, now, now);
  ASSERT_TRUE(options.ok());
  EXPECT_TRUE(options->window_scaling);
  EXPECT_EQ(options->window_scale, 14);
}

TEST(SynCookiesTest, TimestampValueReplacesOnlyLowBitsAndNeverRunsAhead) {
  CookieOptions offered = {.sack_permitted = true, .window_scale = 3, .window_scaling = true, .timestamps = true};
  // 0x13 = SACK (0x10) | scale 3.
  EXPECT_EQ(SynCookies::timestamp_value(0x12345678, offered), 0x12345673u);
  EXPECT_EQ(SynCookies::timestamp_value(0x12345660, offered), 0x12345653u);  // 0x...73 would be ahead
  EXPECT_EQ(SynCookies::timestamp_value(0x1234567f, offered), 0x12345673u);
  CookieOptions none = {.timestamps = true};
  EXPECT_EQ(SynCookies::timestamp_value(0x12345680, none), 0x1234566fu);  // scale "none" is 0xf
  for (uint32_t clock : {0u, 5u, 0x40u, 0xffffffffu, 0x80000010u}) {
    uint32_t value = SynCookies::timestamp_value(clock, offered);
    EXPECT_TRUE(seq_leq(value, clock)) << clock;
    EXPECT_LT(clock - value, 32u) << clock;
    EXPECT_EQ(value & 0x1f, 0x13u);
  }
}

TEST(SynCookiesTest, RefusesAnotherTuplePeerIsnOrKey) {
  SynCookies cookies(key);
  CookieOptions offered = {.mss = 1460};
  uint32_t cookie = cookies.make(tuple, peer_isn, offered, now);
  ASSERT_TRUE(cookies.check(tuple, peer_isn, cookie, false, 0, now).ok());

  FourTuple other_port = tuple;
  other_port.remote_port = 51001;
  FourTuple other_address = tuple;
  other_address.remote_address = Ipv4Address::of(198, 51, 100, 8);
  FourTuple other_local = tuple;
  other_local.local_port = 444;
  for (const FourTuple& other : {other_port, other_address, other_local}) {
    EXPECT_FALSE(cookies.check(other, peer_isn, cookie, false, 0, now).ok());
  }
  EXPECT_FALSE(cookies.check(tuple, peer_isn + 1, cookie, false, 0, now).ok());
  EXPECT_FALSE(SynCookies({key.k0 ^ 1, key.k1}).check(tuple, peer_isn, cookie, false, 0, now).ok());
}

TEST(SynCookiesTest, RefusesEverySingleBitFlip) {
  SynCookies cookies(key);
  uint32_t cookie = cookies.make(tuple, peer_isn, {.mss = 536}, now);
  for (int bit = 0; bit < 32; ++bit) {
    Result<CookieOptions> options = cookies.check(tuple, peer_isn, cookie ^ (uint32_t{1} << bit), false, 0, now);
    EXPECT_FALSE(options.ok()) << "bit " << bit;
    // A flipped counter bit may read as too old; anything else is a forgery.
    if (bit < 30) {
      EXPECT_EQ(options.error(), Error::bad_format) << "bit " << bit;
    }
  }
}

TEST(SynCookiesTest, AcceptedFor64To128SecondsThenRefused) {
  SynCookies cookies(key);
  CookieOptions offered = {.mss = 1440};
  Time start = 10 * cookie_unit;  // the start of a unit
  EXPECT_TRUE(round_trip(cookies, offered, start, start + cookie_unit - 1).ok());
  EXPECT_TRUE(round_trip(cookies, offered, start, start + seconds(64)).ok());
  EXPECT_TRUE(round_trip(cookies, offered, start, start + seconds(127)).ok());
  // Made at the end of a unit: still good 64 s later, in the next unit.
  EXPECT_TRUE(round_trip(cookies, offered, start + cookie_unit - 1, start + cookie_unit - 1 + seconds(64)).ok());

  Result<CookieOptions> two_units = round_trip(cookies, offered, start, start + 2 * cookie_unit);
  ASSERT_FALSE(two_units.ok());
  EXPECT_EQ(two_units.error(), Error::unexpected);
  Result<CookieOptions> three_units = round_trip(cookies, offered, start, start + 3 * cookie_unit);
  ASSERT_FALSE(three_units.ok());
  EXPECT_EQ(three_units.error(), Error::unexpected);
  // Four or more units later the counter bits alias a fresh cookie's, and the MAC refuses it.
  for (uint64_t units = 4; units < 12; ++units) {
    EXPECT_FALSE(round_trip(cookies, offered, start, start + units * cookie_unit).ok()) << units;
  }
}

TEST(SynCookiesTest, RefusesACookieFromTheFuture) {
  SynCookies cookies(key);
  Time start = 10 * cookie_unit;
  EXPECT_FALSE(round_trip(cookies, {}, start + cookie_unit, start).ok());
}

TEST(SynCookiesTest, WorksAtTheStartOfTheClock) {
  SynCookies cookies(key);
  EXPECT_TRUE(round_trip(cookies, {.mss = 1460}, 0, 0).ok());
  EXPECT_TRUE(round_trip(cookies, {.mss = 1460}, 0, cookie_unit).ok());
}

TEST(SynCookiesTest, CookiesLookRandomAcrossPeers) {
  // The ISS is whitened: the counter and MSS bits do not show in the top of the number.
  SynCookies cookies(key);
  uint32_t top_bits_seen = 0;
  for (uint32_t isn = 0; isn < 64; ++isn) {
    top_bits_seen |= 1u << (cookies.make(tuple, isn, {.mss = 1460}, now) >> 28);
  }
  EXPECT_EQ(top_bits_seen, 0xffffu);
}

TEST(SynCookiesTest, RandomForgedAcksAlmostNeverPass) {
  SynCookies cookies(key);
  std::mt19937 random(6528);
  int accepted = 0;
  constexpr int tries = 100'000;
  for (int i = 0; i < tries; ++i) {
    uint32_t isn = static_cast<uint32_t>(random());
    uint32_t guess = static_cast<uint32_t>(random());
    if (cookies.check(tuple, isn, guess, true, static_cast<uint32_t>(random()), now).ok()) ++accepted;
  }
  // Each guess passes with probability 2/4 * 2^-28 = 2^-29: 0.0002 expected in 100k.
  EXPECT_EQ(accepted, 0);
}

}  // namespace
}  // namespace cairn::protocols::tcp
