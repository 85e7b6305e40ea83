// UTC text for Unix times (see time.h).
#include "cairn/core/time.h"

#include <ctime>

namespace cairn {

namespace {

std::tm utc_time(std::int64_t unix_seconds) {
  std::time_t time = static_cast<std::time_t>(unix_seconds);
  std::tm utc{};
  gmtime_r(&time, &utc);
  return utc;
}

}  // namespace

std::string format_rfc3339(std::int64_t unix_seconds) {
  std::tm utc = utc_time(unix_seconds);
  char text[32];
  return std::string(text, std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc));
}

std::string format_utc_date(std::int64_t unix_seconds) {
  std::tm utc = utc_time(unix_seconds);
  char text[16];
  return std::string(text, std::strftime(text, sizeof text, "%Y-%m-%d", &utc));
}

}  // namespace cairn
