// The kernel's small formatter.
#include "cairn/runtime/print.h"

#include <gtest/gtest.h>

#include <climits>
#include <string>

#include "fake_platform.h"

namespace cairn::runtime {
namespace {

template <typename... Arguments>
std::string format(const char* text, const Arguments&... arguments) {
  char buffer[256];
  size_t length = format_to(buffer, sizeof buffer, text, arguments...);
  EXPECT_EQ(length, std::string(buffer).size());
  return buffer;
}

TEST(Print, FormatsIntegersStringsCharactersAndPointers) {
  EXPECT_EQ(format("{} {} {}", 0, -42, 42u), "0 -42 42");
  EXPECT_EQ(format("{}", LLONG_MIN), "-9223372036854775808");
  EXPECT_EQ(format("{}", ULLONG_MAX), "18446744073709551615");
  EXPECT_EQ(format("[{}] [{}]", "text", static_cast<const char*>(nullptr)), "[text] [(null)]");
  EXPECT_EQ(format("{}{}", 'o', 'k'), "ok");
  EXPECT_EQ(format("{}", true), "true");
  EXPECT_EQ(format("{}", reinterpret_cast<const void*>(0x1000)), "0x1000");
}

TEST(Print, FormatsHexAndLiteralBraces) {
  EXPECT_EQ(format("{:x}", 255), "ff");
  EXPECT_EQ(format("{:x}", 0xdeadbeefull), "deadbeef");
  EXPECT_EQ(format("{{}} {}", 1), "{} 1");
}

TEST(Print, MissingArgumentsPrintNothingAndExtraOnesAreIgnored) {
  EXPECT_EQ(format("a{}b{}c", 1), "a1bc");
  EXPECT_EQ(format("none", 1, 2), "none");
}

TEST(Print, CutsLongOutputAndReportsTheFullLength) {
  char buffer[8];
  size_t length = format_to(buffer, sizeof buffer, "{} and more", "0123456789");
  EXPECT_EQ(length, 19u);
  EXPECT_STREQ(buffer, "0123456");
}

TEST(Print, WritesToTheConsole) {
  testing::fake_platform().reset();
  print("tick {} at {} us\n", 1, 100123);
  EXPECT_EQ(testing::fake_platform().console, "tick 1 at 100123 us\n");
}

TEST(PrintDeathTest, PanicPrintsItsMessageAndAborts) {
  EXPECT_DEATH(panic("disk {} failed", 3), "cairn: abort: disk 3 failed");
}

}  // namespace
}  // namespace cairn::runtime
