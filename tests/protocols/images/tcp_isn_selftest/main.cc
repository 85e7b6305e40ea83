// tcp_isn_selftest: the key behind TCP's sequence numbers made the way an image makes it, inside
// an image. The runtime's fill_entropy (RDSEED, RDRAND) and its clock-jitter fallback run under
// the tender's seccomp filter with the real clock; protocols/tcp links freestanding with nothing
// but the kernel and its SipHash gives the published value. Prints "tcp isn selftest: ok" and
// exits 0.
#include <cairn/protocols/tcp/sequence.h>
#include <cairn/protocols/tcp/syn_cookies.h>
#include <cairn/runtime/app.h>
#include <cairn/runtime/entropy.h>
#include <cairn/runtime/print.h>
#include <cairn/solo5.h>

using namespace cairn::protocols;  // NOLINT: a test of one library

namespace {

using cairn::runtime::print;

int failures = 0;

void check(bool condition, const char* what) {
  if (!condition) {
    print("tcp isn selftest: FAILED: {}\n", what);
    ++failures;
  }
}

bool all_zero(const uint8_t* bytes, size_t size) {
  for (size_t i = 0; i < size; ++i) {
    if (bytes[i] != 0) return false;
  }
  return true;
}

// Two fills from `source` (or what it falls back to): not all zero and not equal.
void check_source(cairn::runtime::EntropySource source) {
  uint8_t first[16] = {};
  uint8_t second[16] = {};
  auto used = cairn::runtime::fill_entropy_from(source, first, sizeof first);
  cairn::runtime::fill_entropy_from(source, second, sizeof second);
  print("tcp isn selftest: asked for {}, got {}\n", cairn::runtime::describe(source), cairn::runtime::describe(used));
  check(!all_zero(first, sizeof first), "entropy is all zero");
  check(!equal_bytes(first, second, sizeof first), "two fills gave the same bytes");
}

}  // namespace

int cairn::app_main(cairn::Arguments) {
  check_source(runtime::EntropySource::rdseed);
  check_source(runtime::EntropySource::rdrand);
  check_source(runtime::EntropySource::clock_jitter);

  // SipHash-2-4 of 00 01 .. 0e under key 00 01 .. 0f: the paper's Appendix A example.
  uint8_t bytes[16];
  for (uint8_t i = 0; i < 16; ++i) bytes[i] = i;
  check(tcp::siphash24(tcp::SecretKey::from_bytes(bytes), ByteView(bytes, 15)) == 0xa129ca6149be45e5,
        "SipHash-2-4 of the paper's example");

  uint8_t key_bytes[16];
  auto source = runtime::fill_entropy(key_bytes, sizeof key_bytes);
  tcp::SecretKey key = tcp::SecretKey::from_bytes(key_bytes);
  tcp::FourTuple tuple = {Ipv4Address::of(10, 0, 0, 1), 80, Ipv4Address::of(10, 0, 0, 2), 40000};
  Time now = solo5_clock_monotonic();
  tcp::SequenceGenerator generator(key);
  uint32_t isn = generator.initial_sequence(tuple, now);
  check(generator.initial_sequence(tuple, now + seconds(1)) == isn + 250000, "the ISN clock runs at 250k/s");

  tcp::SynCookies cookies(key);
  tcp::CookieOptions offered = {
      .mss = 1460, .sack_permitted = true, .window_scale = 7, .window_scaling = true, .timestamps = true};
  uint32_t cookie = cookies.make(tuple, 0x12345678, offered, now);
  uint32_t echo = tcp::SynCookies::timestamp_value(static_cast<uint32_t>(now / 1000000), offered);
  Result<tcp::CookieOptions> back = cookies.check(tuple, 0x12345678, cookie, true, echo, now + seconds(3));
  check(back.ok() && back.value() == offered, "a SYN cookie round trip");
  check(!cookies.check(tuple, 0x12345679, cookie, true, echo, now).ok(), "a cookie for another peer ISN");

  if (failures != 0) return 1;
  print("tcp isn selftest: ok (key from {})\n", runtime::describe(source));
  return 0;
}
