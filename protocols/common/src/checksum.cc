// The Internet checksum (checksum.h). Words are summed 32 bits at a time into a 64-bit
// accumulator and folded at the end: the one's complement sum is the same modulo 0xffff however
// the data is grouped (RFC 1071, section 2).
#include "cairn/protocols/common/checksum.h"

namespace cairn::protocols {

void Checksum::add(ByteView bytes) {
  const uint8_t* next = bytes.data();
  size_t left = bytes.size();
  if (left == 0) return;
  uint64_t sum = sum_;
  if (odd_) {  // this byte completes the word the previous piece began
    sum += *next++;
    --left;
    odd_ = false;
  }
  for (; left >= 4; next += 4, left -= 4) sum += load_be32(next);
  if (left >= 2) {
    sum += load_be16(next);
    next += 2;
    left -= 2;
  }
  if (left == 1) {
    sum += static_cast<uint64_t>(*next) << 8;
    odd_ = true;
  }
  sum_ = sum;
}

uint16_t Checksum::finish() const {
  uint64_t sum = sum_;
  while ((sum >> 16) != 0) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

uint16_t internet_checksum(ByteView bytes) {
  Checksum sum;
  sum.add(bytes);
  return sum.finish();
}

}  // namespace cairn::protocols
