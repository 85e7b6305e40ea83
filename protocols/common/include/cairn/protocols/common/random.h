// A small deterministic pseudo-random generator (xorshift32) for values the protocols must not
// make predictable to a passive observer of one run but need not keep secret: DHCP transaction
// ids, retransmission jitter, IPv4 identifications, ephemeral ports. The seed is a parameter
// (the kernel glue passes the clock or a hardware random number); tests pass a fixed one.
#pragma once

#include <stdint.h>

namespace cairn::protocols {

class Random {
 public:
  explicit Random(uint32_t seed) : state_(seed != 0 ? seed : 0x9e3779b9) {}

  uint32_t next() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 17;
    state_ ^= state_ << 5;
    return state_;
  }
  // Uniform enough in [0, bound) for jitter and port picks; bound > 0.
  uint32_t below(uint32_t bound) { return next() % bound; }

 private:
  uint32_t state_;
};

}  // namespace cairn::protocols
