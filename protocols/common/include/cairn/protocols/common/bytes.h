// Byte views and network-order loads and stores: how every protocol reads and writes packets.
//
// A ByteView is a std::span over bytes someone else owns (a received frame, an output slot); the
// header <span> is header-only and links freestanding. Loads and stores take raw pointers whose
// bounds the caller has already checked against the view's size. Copies go through the compiler's
// builtins, which become the kernel runtime's memcpy/memset/memcmp in images and the C library's
// on the host, so no protocol includes a C library header.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <span>

namespace cairn::protocols {

using ByteView = std::span<const uint8_t>;
using MutableByteView = std::span<uint8_t>;

constexpr uint16_t load_be16(const uint8_t* bytes) {
  return static_cast<uint16_t>(bytes[0] << 8 | bytes[1]);
}

constexpr uint32_t load_be32(const uint8_t* bytes) {
  return static_cast<uint32_t>(bytes[0]) << 24 | static_cast<uint32_t>(bytes[1]) << 16 |
         static_cast<uint32_t>(bytes[2]) << 8 | static_cast<uint32_t>(bytes[3]);
}

constexpr void store_be16(uint8_t* bytes, uint16_t value) {
  bytes[0] = static_cast<uint8_t>(value >> 8);
  bytes[1] = static_cast<uint8_t>(value);
}

constexpr void store_be32(uint8_t* bytes, uint32_t value) {
  bytes[0] = static_cast<uint8_t>(value >> 24);
  bytes[1] = static_cast<uint8_t>(value >> 16);
  bytes[2] = static_cast<uint8_t>(value >> 8);
  bytes[3] = static_cast<uint8_t>(value);
}

inline void copy_bytes(void* destination, const void* source, size_t size) {
  if (size != 0) __builtin_memcpy(destination, source, size);
}

inline void fill_bytes(void* destination, uint8_t value, size_t size) {
  if (size != 0) __builtin_memset(destination, value, size);
}

inline bool equal_bytes(const void* a, const void* b, size_t size) {
  return size == 0 || __builtin_memcmp(a, b, size) == 0;
}

}  // namespace cairn::protocols
