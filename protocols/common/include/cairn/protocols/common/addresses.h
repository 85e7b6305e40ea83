// Link-layer (MAC) and IPv4 addresses as small value types.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "cairn/protocols/common/bytes.h"

namespace cairn::protocols {

struct MacAddress {
  static constexpr size_t size = 6;
  uint8_t bytes[size] = {};

  static constexpr MacAddress broadcast() { return {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}; }
  static MacAddress load(const uint8_t* from) {
    MacAddress address;
    copy_bytes(address.bytes, from, size);
    return address;
  }
  void store(uint8_t* to) const { copy_bytes(to, bytes, size); }

  constexpr bool is_broadcast() const { return *this == broadcast(); }
  // Group addresses (broadcast included) have the least significant bit of the first byte set.
  constexpr bool is_multicast() const { return (bytes[0] & 1) != 0; }
  constexpr bool is_zero() const { return *this == MacAddress(); }

  friend constexpr bool operator==(const MacAddress&, const MacAddress&) = default;
};

// An IPv4 address held in host order: 192.0.2.1 is 0xc0000201.
struct Ipv4Address {
  uint32_t value = 0;

  static constexpr Ipv4Address of(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    return {static_cast<uint32_t>(a) << 24 | static_cast<uint32_t>(b) << 16 | static_cast<uint32_t>(c) << 8 | d};
  }
  static constexpr Ipv4Address any() { return {0}; }
  static constexpr Ipv4Address broadcast() { return {0xffffffff}; }  // the limited broadcast
  static constexpr Ipv4Address load(const uint8_t* from) { return {load_be32(from)}; }
  constexpr void store(uint8_t* to) const { store_be32(to, value); }

  constexpr bool is_any() const { return value == 0; }
  constexpr bool is_broadcast() const { return value == 0xffffffff; }
  constexpr bool is_multicast() const { return (value >> 28) == 0xe; }  // 224.0.0.0/4
  constexpr bool is_loopback() const { return (value >> 24) == 127; }   // 127.0.0.0/8
  constexpr bool is_reserved() const { return (value >> 28) == 0xf; }   // 240.0.0.0/4 (with broadcast)
  // An address a host may use as its own or talk to directly.
  constexpr bool is_unicast() const { return !is_any() && !is_multicast() && !is_loopback() && !is_reserved(); }

  friend constexpr bool operator==(Ipv4Address, Ipv4Address) = default;
};

}  // namespace cairn::protocols
