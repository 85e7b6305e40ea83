// The runtime's entropy: CPUID read right, RDSEED and RDRAND used when present, and the clock
// jitter fallback, run on the host (against the scripted platform's frozen clock, so the jitter
// there comes from the time-stamp counter alone).
#include "cairn/runtime/entropy.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fake_platform.h"

namespace cairn::runtime {
namespace {

// The flags the host kernel found in CPUID, from /proc/cpuinfo ("" when it cannot be read).
std::string cpu_flags() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("flags", 0) == 0) return line.substr(line.find(':') + 1) + " ";
  }
  return "";
}

bool has_flag(const std::string& flags, const std::string& flag) {
  return flags.find(" " + flag + " ") != std::string::npos;
}

// Fills `size` bytes between two guard regions and checks the guards are untouched.
std::vector<uint8_t> filled(EntropySource strongest, size_t size, EntropySource& used) {
  std::vector<uint8_t> buffer(size + 32, 0xa5);
  used = fill_entropy_from(strongest, buffer.data() + 16, size);
  for (size_t i = 0; i < 16; ++i) {
    EXPECT_EQ(buffer[i], 0xa5) << "wrote before the buffer";
    EXPECT_EQ(buffer[16 + size + i], 0xa5) << "wrote past the buffer";
  }
  return std::vector<uint8_t>(buffer.begin() + 16, buffer.begin() + 16 + static_cast<long>(size));
}

// Ones among all bits: about half for random bytes (4 standard deviations allowed).
void expect_balanced(const std::vector<uint8_t>& bytes) {
  size_t ones = 0;
  for (uint8_t byte : bytes) ones += static_cast<size_t>(std::popcount(byte));
  double bits = 8.0 * static_cast<double>(bytes.size());
  EXPECT_NEAR(static_cast<double>(ones), bits / 2, 4 * std::sqrt(bits / 4));
}

TEST(Entropy, CpuidAgreesWithTheHostKernel) {
  std::string flags = cpu_flags();
  if (flags.empty()) GTEST_SKIP() << "no /proc/cpuinfo";
  EXPECT_EQ(entropy_source_available(EntropySource::rdrand), has_flag(flags, "rdrand"));
  EXPECT_EQ(entropy_source_available(EntropySource::rdseed), has_flag(flags, "rdseed"));
  EXPECT_TRUE(entropy_source_available(EntropySource::clock_jitter));
}

TEST(Entropy, UsesTheStrongestSourceTheCpuHas) {
  uint8_t key[16];
  EntropySource used = fill_entropy(key, sizeof key);
  if (entropy_source_available(EntropySource::rdseed)) {
    // RDSEED may run dry under load; then RDRAND takes over, never jitter.
    EXPECT_TRUE(used == EntropySource::rdseed || used == EntropySource::rdrand) << describe(used);
  } else if (entropy_source_available(EntropySource::rdrand)) {
    EXPECT_EQ(used, EntropySource::rdrand);
  } else {
    EXPECT_EQ(used, EntropySource::clock_jitter);
  }
}

TEST(Entropy, RdseedFillsWholeAndOddSizes) {
  if (!entropy_source_available(EntropySource::rdseed)) GTEST_SKIP() << "this CPU has no RDSEED";
  // Ten tries per word can still run dry on a busy machine: one good fill out of five is enough.
  bool used_rdseed = false;
  for (int i = 0; i < 5 && !used_rdseed; ++i) {
    EntropySource used;
    std::vector<uint8_t> first = filled(EntropySource::rdseed, 13, used);
    used_rdseed = used == EntropySource::rdseed;
  }
  EXPECT_TRUE(used_rdseed);
  EntropySource used;
  std::vector<uint8_t> a = filled(EntropySource::rdseed, 64, used);
  std::vector<uint8_t> b = filled(EntropySource::rdseed, 64, used);
  EXPECT_NE(a, b);
}

TEST(Entropy, RdrandFillsDistinctBalancedBytes) {
  if (!entropy_source_available(EntropySource::rdrand)) GTEST_SKIP() << "this CPU has no RDRAND";
  EntropySource used;
  std::vector<uint8_t> a = filled(EntropySource::rdrand, 1024, used);
  EXPECT_EQ(used, EntropySource::rdrand);
  std::vector<uint8_t> b = filled(EntropySource::rdrand, 1024, used);
  EXPECT_NE(a, b);
  expect_balanced(a);
  std::vector<uint8_t> odd = filled(EntropySource::rdrand, 7, used);
  EXPECT_EQ(used, EntropySource::rdrand);
}

TEST(Entropy, ClockJitterFallbackFillsDistinctBalancedBytes) {
  testing::fake_platform().reset();  // a clock that never moves: only the TSC jitters
  EntropySource used;
  std::vector<uint8_t> a = filled(EntropySource::clock_jitter, 32, used);
  EXPECT_EQ(used, EntropySource::clock_jitter);
  std::vector<uint8_t> b = filled(EntropySource::clock_jitter, 32, used);
  EXPECT_NE(a, b);
  std::vector<uint8_t> large = filled(EntropySource::clock_jitter, 1024, used);
  expect_balanced(large);
  std::vector<uint8_t> odd = filled(EntropySource::clock_jitter, 13, used);
  EXPECT_EQ(used, EntropySource::clock_jitter);
  // Different output words, not one word repeated.
  EXPECT_NE(std::memcmp(large.data(), large.data() + 8, 8), 0);
}

TEST(Entropy, FillsNothingForAnEmptyBuffer) {
  uint8_t guard = 0x5a;
  fill_entropy(&guard, 0);
  fill_entropy_from(EntropySource::clock_jitter, &guard, 0);
  EXPECT_EQ(guard, 0x5a);
}

TEST(Entropy, DescribesEachSource) {
  EXPECT_STREQ(describe(EntropySource::rdseed), "rdseed");
  EXPECT_STREQ(describe(EntropySource::rdrand), "rdrand");
  EXPECT_STREQ(describe(EntropySource::clock_jitter), "clock jitter");
}

}  // namespace
}  // namespace cairn::runtime
