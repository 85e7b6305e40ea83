// Key material from RDSEED, RDRAND or clock jitter (see entropy.h).
//
// The jitter mixer is a small SipHash-shaped sponge of its own: protocols/tcp has SipHash, but
// the kernel library depends on no protocol library (kernel/library.json), so the runtime cannot
// include it.
#include "cairn/runtime/entropy.h"

#include <cairn/solo5.h>

namespace cairn::runtime {

namespace {

constexpr int attempts = 10;

struct CpuidResult {
  uint32_t eax, ebx, ecx, edx;
};

CpuidResult cpuid(uint32_t leaf, uint32_t subleaf) {
  CpuidResult result;
  asm volatile("cpuid"
               : "=a"(result.eax), "=b"(result.ebx), "=c"(result.ecx), "=d"(result.edx)
               : "a"(leaf), "c"(subleaf));
  return result;
}

bool cpu_has_rdrand() {
  return cpuid(0, 0).eax >= 1 && (cpuid(1, 0).ecx >> 30 & 1) != 0;
}

bool cpu_has_rdseed() {
  return cpuid(0, 0).eax >= 7 && (cpuid(7, 0).ebx >> 18 & 1) != 0;
}

// One 64-bit word from RDSEED or RDRAND: false when the CPU said it had none (CF=0) or gave the
// all-ones word a failed generator returns with CF=1.
// The carry flag comes out through a flag-output operand ("=@ccc"): a "setc" into a "=qm"
// operand crashed under clang with AddressSanitizer, which picked a memory operand for it.
bool read_rdseed(uint64_t& value) {
  uint64_t word;
  bool ok;
  asm volatile("rdseed %0" : "=r"(word), "=@ccc"(ok));
  value = word;
  return ok && word != ~uint64_t{0};
}

bool read_rdrand(uint64_t& value) {
  uint64_t word;
  bool ok;
  asm volatile("rdrand %0" : "=r"(word), "=@ccc"(ok));
  value = word;
  return ok && word != ~uint64_t{0};
}

void store_word(uint8_t* out, size_t size, uint64_t word) {
  for (size_t i = 0; i < size && i < 8; ++i) out[i] = static_cast<uint8_t>(word >> (8 * i));
}

// Fills `out` from one instruction; false as soon as a word fails `attempts` times in a row.
template <bool (*read)(uint64_t&)>
bool fill_from_instruction(uint8_t* out, size_t size) {
  for (size_t at = 0; at < size; at += 8) {
    uint64_t word = 0;
    int tries = 0;
    while (!read(word)) {
      if (++tries == attempts) return false;
      asm volatile("pause");  // let the noise source catch up (RDSEED runs dry under load)
    }
    store_word(out + at, size - at, word);
  }
  return true;
}

uint64_t time_stamp_counter() {
  uint32_t low, high;
  asm volatile("rdtsc" : "=a"(low), "=d"(high));
  return static_cast<uint64_t>(high) << 32 | low;
}

constexpr uint64_t rotate_left(uint64_t value, int bits) {
  return value << bits | value >> (64 - bits);
}

// Absorbs 64-bit samples and squeezes output words with SipHash's round function and constants
// (the key is zero: the samples are the secret).
class Mixer {
 public:
  void absorb(uint64_t word) {
    v3_ ^= word;
    round();
    round();
    v0_ ^= word;
  }

  // The index-th output word: the state so far, then the index, finished as SipHash-2-4 does.
  uint64_t squeeze(uint64_t index) const {
    Mixer copy = *this;
    copy.absorb(index);
    copy.v2_ ^= 0xff;
    for (int i = 0; i < 4; ++i) copy.round();
    return copy.v0_ ^ copy.v1_ ^ copy.v2_ ^ copy.v3_;
  }

 private:
  void round() {
    v0_ += v1_;
    v1_ = rotate_left(v1_, 13) ^ v0_;
    v0_ = rotate_left(v0_, 32);
    v2_ += v3_;
    v3_ = rotate_left(v3_, 16) ^ v2_;
    v0_ += v3_;
    v3_ = rotate_left(v3_, 21) ^ v0_;
    v2_ += v1_;
    v1_ = rotate_left(v1_, 17) ^ v2_;
    v2_ = rotate_left(v2_, 32);
  }

  uint64_t v0_ = 0x736f6d6570736575;
  uint64_t v1_ = 0x646f72616e646f6d;
  uint64_t v2_ = 0x6c7967656e657261;
  uint64_t v3_ = 0x7465646279746573;
};

// Timed busy loops: 64 per output byte (at least 512, at most 16384), each as long as the low
// bits of the previous measurement say, so that timing noise also shapes what is measured next.
void fill_from_clock_jitter(uint8_t* out, size_t size) {
  size_t samples = size * 64;
  if (samples < 512) samples = 512;
  if (samples > 16384) samples = 16384;
  Mixer mixer;
  uint64_t previous = time_stamp_counter();
  mixer.absorb(previous);
  mixer.absorb(solo5_clock_monotonic());
  for (size_t i = 0; i < samples; ++i) {
    uint64_t clock_before = solo5_clock_monotonic();
    uint64_t counter_before = time_stamp_counter();
    uint64_t spin = 16 + (previous & 63);
    uint64_t sink = counter_before;
    for (uint64_t j = 0; j < spin; ++j) {
      sink = sink * 6364136223846793005u + j;
      asm volatile("" : "+r"(sink));  // keeps the loop: the optimiser may not fold it away
    }
    uint64_t counter_after = time_stamp_counter();
    uint64_t clock_after = solo5_clock_monotonic();
    previous = counter_after - counter_before;
    mixer.absorb(previous ^ ((clock_after - clock_before) << 32));
  }
  for (size_t at = 0; at < size; at += 8) store_word(out + at, size - at, mixer.squeeze(at / 8));
}

}  // namespace

bool entropy_source_available(EntropySource source) {
  switch (source) {
    case EntropySource::rdseed: return cpu_has_rdseed();
    case EntropySource::rdrand: return cpu_has_rdrand();
    case EntropySource::clock_jitter: return true;
  }
  return false;
}

EntropySource fill_entropy_from(EntropySource strongest, uint8_t* out, size_t size) {
  if (strongest == EntropySource::rdseed && cpu_has_rdseed() && fill_from_instruction<read_rdseed>(out, size)) {
    return EntropySource::rdseed;
  }
  if (strongest != EntropySource::clock_jitter && cpu_has_rdrand() && fill_from_instruction<read_rdrand>(out, size)) {
    return EntropySource::rdrand;
  }
  fill_from_clock_jitter(out, size);
  return EntropySource::clock_jitter;
}

EntropySource fill_entropy(uint8_t* out, size_t size) {
  return fill_entropy_from(EntropySource::rdseed, out, size);
}

const char* describe(EntropySource source) {
  switch (source) {
    case EntropySource::rdseed: return "rdseed";
    case EntropySource::rdrand: return "rdrand";
    case EntropySource::clock_jitter: return "clock jitter";
  }
  return "unknown";
}

}  // namespace cairn::runtime
