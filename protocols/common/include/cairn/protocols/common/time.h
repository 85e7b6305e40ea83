// Time as the protocols see it: a parameter, never a clock they read.
//
// Monotonic nanoseconds, the same unit as solo5_clock_monotonic and cairn::sched::Time, so the
// kernel glue passes its clock straight in. `never` is the deadline of a state machine that has
// no timer armed.
#pragma once

#include <stdint.h>

namespace cairn::protocols {

using Time = uint64_t;
using Duration = uint64_t;

constexpr Time never = UINT64_MAX;

constexpr Duration milliseconds(uint64_t n) {
  return n * 1000 * 1000;
}
constexpr Duration seconds(uint64_t n) {
  return n * 1000 * 1000 * 1000;
}

// t + d, saturating at `never` (leases of 0xffffffff seconds must not wrap).
constexpr Time later(Time t, Duration d) {
  return d > never - t ? never : t + d;
}
constexpr Time earliest(Time a, Time b) {
  return a < b ? a : b;
}

}  // namespace cairn::protocols
