// Entropy for secret keys inside an image: TCP's sequence-number and SYN-cookie key, hash seeds.
//
// The CPU's own random number generators come first: RDSEED (the conditioned output of the
// hardware noise source, meant for seeding) where CPUID says the CPU has it, else RDRAND (a
// DRBG reseeded from that source). Each read is retried 10 times when the CPU reports no data
// (CF=0) or an all-ones word (the value some AMD parts return once broken), then the next source
// takes over from the start of the buffer. The last resort is clock jitter: many short busy loops
// timed by solo5_clock_monotonic() and the time-stamp counter, their deltas mixed through the
// SipHash permutation. Jitter is slow (about 64 timed loops per output byte) and its quality
// depends on the platform; callers that care print describe() of the source used at boot.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace cairn::runtime {

enum class EntropySource { rdseed, rdrand, clock_jitter };

// Fills out[0..size) with key material from the strongest source this CPU offers and that
// works now. Returns the source that filled all of it.
EntropySource fill_entropy(uint8_t* out, size_t size);

// Fills out[0..size) from `strongest` or, when the CPU lacks it or it keeps failing, from the
// next weaker one (rdseed, rdrand, clock jitter). Tests use it to reach the fallbacks.
EntropySource fill_entropy_from(EntropySource strongest, uint8_t* out, size_t size);

// Whether this CPU has the instruction behind `source`, as CPUID reports it.
// Clock jitter is always available.
bool entropy_source_available(EntropySource source);

// The source's name for logs: "rdseed", "rdrand" or "clock jitter".
// Never nullptr.
const char* describe(EntropySource source);

}  // namespace cairn::runtime
