// Placeholder until the sequence-number branch lands: FourTuple and modular comparisons.
#pragma once

#include <stdint.h>

#include "cairn/protocols/common/addresses.h"

namespace cairn::protocols::tcp {

struct FourTuple {
  Ipv4Address local_address;
  uint16_t local_port = 0;
  Ipv4Address remote_address;
  uint16_t remote_port = 0;
  friend bool operator==(const FourTuple&, const FourTuple&) = default;
};

constexpr bool seq_lt(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) < 0; }
constexpr bool seq_leq(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) <= 0; }
constexpr bool seq_gt(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) > 0; }
constexpr bool seq_geq(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) >= 0; }

}  // namespace cairn::protocols::tcp
