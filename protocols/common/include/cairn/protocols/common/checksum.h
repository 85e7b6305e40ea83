// The Internet checksum (RFC 1071): the 16-bit one's complement of the one's complement sum of
// the data taken as big-endian 16-bit words, used by IPv4, ICMP and UDP.
//
//   Checksum sum;  sum.add(pseudo_header);  sum.add(segment);  store_be16(at, sum.finish());
//   verifying: sum over a header that includes its checksum field finishes to 0.
//
// Data may arrive in pieces of any length; an odd-length piece continues in the next one.
#pragma once

#include <stdint.h>

#include "cairn/protocols/common/bytes.h"

namespace cairn::protocols {

class Checksum {
 public:
  void add(ByteView bytes);
  void add16(uint16_t word) { add_word(word); }
  void add32(uint32_t word) {
    add_word(static_cast<uint16_t>(word >> 16));
    add_word(static_cast<uint16_t>(word));
  }

  // The checksum to write into a header (host order; store with store_be16).
  uint16_t finish() const;

 private:
  // Adds a 16-bit word at the current (even or odd) byte position.
  void add_word(uint16_t word) { sum_ += odd_ ? static_cast<uint16_t>(word << 8 | word >> 8) : word; }

  uint64_t sum_ = 0;
  bool odd_ = false;  // an odd number of bytes so far: the next byte is a word's low byte
};

// The checksum of one piece of data.
uint16_t internet_checksum(ByteView bytes);

}  // namespace cairn::protocols
