// SipHash-2-4 and RFC 6528 initial sequence numbers (sequence.h).
#include "cairn/protocols/tcp/sequence.h"

namespace cairn::protocols::tcp {

namespace {

constexpr uint64_t rotate_left(uint64_t value, int bits) {
  return value << bits | value >> (64 - bits);
}

constexpr uint64_t load_le64(const uint8_t* bytes) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = value << 8 | bytes[i];
  return value;
}

// The four 64-bit words of SipHash's state and its ARX round.
struct SipState {
  uint64_t v0, v1, v2, v3;

  explicit SipState(const SecretKey& key)
      // "somepseudorandomlygeneratedbytes", the paper's initialisation constants.
      : v0(key.k0 ^ 0x736f6d6570736575),
        v1(key.k1 ^ 0x646f72616e646f6d),
        v2(key.k0 ^ 0x6c7967656e657261),
        v3(key.k1 ^ 0x7465646279746573) {}

  void round() {
    v0 += v1;
    v1 = rotate_left(v1, 13);
    v1 ^= v0;
    v0 = rotate_left(v0, 32);
    v2 += v3;
    v3 = rotate_left(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = rotate_left(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = rotate_left(v1, 17);
    v1 ^= v2;
    v2 = rotate_left(v2, 32);
  }

  // Two compression rounds per 8-byte word: the "2" of SipHash-2-4.
  void absorb(uint64_t word) {
    v3 ^= word;
    round();
    round();
    v0 ^= word;
  }

  // Four finalisation rounds: the "4".
  uint64_t finish() {
    v2 ^= 0xff;
    round();
    round();
    round();
    round();
    return v0 ^ v1 ^ v2 ^ v3;
  }
};

}  // namespace

SecretKey SecretKey::from_bytes(const uint8_t* bytes) {
  return {load_le64(bytes), load_le64(bytes + 8)};
}

uint64_t siphash24(const SecretKey& key, ByteView message) {
  SipState state(key);
  const uint8_t* data = message.data();
  size_t size = message.size();
  size_t whole = size - size % 8;
  for (size_t at = 0; at < whole; at += 8) state.absorb(load_le64(data + at));
  // The last word: the remaining 0-7 bytes, little-endian, with the length's low byte on top.
  uint64_t last = static_cast<uint64_t>(size & 0xff) << 56;
  for (size_t i = 0; i < size % 8; ++i) last |= static_cast<uint64_t>(data[whole + i]) << (8 * i);
  state.absorb(last);
  return state.finish();
}

void store_four_tuple(uint8_t* out, const FourTuple& tuple) {
  tuple.local_address.store(out);
  tuple.remote_address.store(out + 4);
  store_be16(out + 8, tuple.local_port);
  store_be16(out + 10, tuple.remote_port);
}

uint32_t SequenceGenerator::offset(const FourTuple& tuple) const {
  uint8_t message[four_tuple_size];
  store_four_tuple(message, tuple);
  return static_cast<uint32_t>(siphash24(key_, ByteView(message, sizeof message)));
}

uint32_t SequenceGenerator::initial_sequence(const FourTuple& tuple, Time now) const {
  // M wraps modulo 2^32 like the sequence space it is added to.
  auto clock = static_cast<uint32_t>(now / tick);
  return clock + offset(tuple);
}

}  // namespace cairn::protocols::tcp
