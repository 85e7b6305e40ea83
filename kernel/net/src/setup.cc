// The boot-time network setup shared by the examples (setup.h).
#include "cairn/net/setup.h"

#include <cairn/runtime/print.h>

namespace cairn::net {

namespace {

using runtime::print;

// Parses "A.B.C.D" (with `prefix` null) or "A.B.C.D/N"; false on anything else.
bool parse_ipv4(const char* text, Ipv4Address& address, int* prefix) {
  uint32_t value = 0;
  for (int part = 0; part < 4; ++part) {
    if (*text < '0' || *text > '9') return false;
    uint32_t byte = 0;
    while (*text >= '0' && *text <= '9') {
      byte = byte * 10 + static_cast<uint32_t>(*text++ - '0');
      if (byte > 255) return false;
    }
    value = value << 8 | byte;
    if (part < 3 && *text++ != '.') return false;
  }
  address = Ipv4Address{value};
  if (prefix == nullptr) return *text == '\0';
  if (*text++ != '/' || *text == '\0') return false;
  int bits = 0;
  while (*text >= '0' && *text <= '9' && bits <= 32) bits = bits * 10 + (*text++ - '0');
  if (*text != '\0' || bits < 1 || bits > 32) return false;
  *prefix = bits;
  return true;
}

int prefix_length(Ipv4Address netmask) {
  int bits = 0;
  for (uint32_t mask = netmask.value; mask & 0x80000000u; mask <<= 1) ++bits;
  return bits;
}

bool same(const char* a, const char* b) {
  size_t i = 0;
  for (; a[i] != '\0'; ++i) {
    if (a[i] != b[i]) return false;
  }
  return b[i] == '\0';
}

}  // namespace

void print_address(const char* before, const protocols::ipv4::Config& config, const char* after) {
  uint32_t a = config.address.value;
  print("{}{}.{}.{}.{}/{}{}", before, a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255, prefix_length(config.netmask),
        after);
}

bool configure_from_arguments(Arguments arguments, netstack::Config& config, const char* program) {
  config.hostname = program;
  for (size_t i = 0; i < arguments.size(); ++i) {
    const char* flag = arguments[i];
    const char* value = arguments[i + 1];
    if (same(flag, "--ipv4")) {
      int prefix = 0;
      if (value == nullptr || !parse_ipv4(value, config.static_address.address, &prefix)) {
        print("{}: --ipv4 wants A.B.C.D/N, got '{}'\n", program, value != nullptr ? value : "");
        return false;
      }
      config.static_address.netmask = Ipv4Address{prefix == 32 ? 0xffffffffu : ~(0xffffffffu >> prefix)};
      config.use_dhcp = false;
      ++i;
    } else if (same(flag, "--gateway")) {
      if (value == nullptr || !parse_ipv4(value, config.static_address.gateway, nullptr)) {
        print("{}: --gateway wants A.B.C.D, got '{}'\n", program, value != nullptr ? value : "");
        return false;
      }
      ++i;
    } else {
      print("{}: unknown argument '{}' (usage: [--ipv4 A.B.C.D/N [--gateway A.B.C.D]])\n", program, flag);
      return false;
    }
  }
  return true;
}

sched::Task<void> report_addresses(Stack& stack, bool dhcp, const char* program) {
  for (;;) {
    netstack::Event event = co_await stack.next_event();
    switch (event.kind) {
      case netstack::Event::Kind::address_acquired:
        print("{}: ", program);
        print_address("", event.address, dhcp ? " via DHCP\n" : " static\n");
        break;
      case netstack::Event::Kind::address_lost:
        print("{}: ", program);
        print_address("lost ", event.address, "\n");
        break;
      case netstack::Event::Kind::address_conflict: {
        uint32_t a = event.address.address.value;
        char mac[3 * protocols::MacAddress::size] = {};
        for (size_t i = 0; i < protocols::MacAddress::size; ++i) {
          uint8_t byte = event.conflicting_mac.bytes[i];
          mac[3 * i] = "0123456789abcdef"[byte >> 4];
          mac[3 * i + 1] = "0123456789abcdef"[byte & 15];
          mac[3 * i + 2] = i + 1 < protocols::MacAddress::size ? ':' : '\0';
        }
        print("{}: {}.{}.{}.{} is in use by {}; {} it\n", program, a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255,
              static_cast<const char*>(mac), event.defended ? "defended" : "declined");
        break;
      }
    }
  }
}

}  // namespace cairn::net
