// Unix times written as UTC text, the one place the project spells them.
#pragma once

#include <cstdint>
#include <string>

namespace cairn {

// "2027-01-01T00:00:00Z": RFC 3339 in UTC, whole seconds (TUF's and in-toto's spelling).
std::string format_rfc3339(std::int64_t unix_seconds);
// "2027-01-01": the UTC day.
std::string format_utc_date(std::int64_t unix_seconds);

}  // namespace cairn
