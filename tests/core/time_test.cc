// UTC text for Unix times: the epoch, a leap day, the last second of a year, and 2038.
#include "cairn/core/time.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

TEST(Time, FormatsRfc3339InUtc) {
  EXPECT_EQ(format_rfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339(951782400), "2000-02-29T00:00:00Z");
  EXPECT_EQ(format_rfc3339(1798761599), "2026-12-31T23:59:59Z");
  EXPECT_EQ(format_rfc3339(2147483648), "2038-01-19T03:14:08Z");  // past 32-bit time_t
}

TEST(Time, FormatsTheUtcDay) {
  EXPECT_EQ(format_utc_date(1798761599), "2026-12-31");
  EXPECT_EQ(format_utc_date(1798761600), "2027-01-01");
}

}  // namespace
}  // namespace cairn
