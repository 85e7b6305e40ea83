// udp-echo: a network unikernel. It takes an address by DHCP, or the one given with
// `--ipv4 A.B.C.D/N [--gateway A.B.C.D]`, prints it ("udp-echo: 10.0.0.2/24 via DHCP"), answers
// ping (the interface does that) and sends every UDP datagram on port 7 back to its sender.
#include <cairn/devices.h>
#include <cairn/net/stack.h>
#include <cairn/runtime/app.h>
#include <cairn/runtime/print.h>
#include <cairn/sched/scheduler.h>

namespace {

using cairn::runtime::print;
namespace net = cairn::net;
namespace sched = cairn::sched;
using cairn::protocols::Ipv4Address;

constexpr uint16_t echo_port = 7;

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
  while (*text >= '0' && *text <= '9') bits = bits * 10 + (*text++ - '0');
  if (*text != '\0' || bits < 1 || bits > 32) return false;
  *prefix = bits;
  return true;
}

int prefix_length(Ipv4Address netmask) {
  int bits = 0;
  for (uint32_t mask = netmask.value; mask & 0x80000000u; mask <<= 1) ++bits;
  return bits;
}

void print_address(const char* before, const cairn::protocols::ipv4::Config& config, const char* after) {
  uint32_t a = config.address.value;
  print("{}{}.{}.{}.{}/{}{}", before, a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255, prefix_length(config.netmask),
        after);
}

// Reads the command line into `config`; false (after saying why) when it makes no sense.
bool configure(cairn::Arguments arguments, net::netstack::Config& config) {
  config.hostname = "udp-echo";
  for (size_t i = 0; i < arguments.size(); ++i) {
    const char* flag = arguments[i];
    const char* value = arguments[i + 1];
    auto is = [flag](const char* name) {
      size_t j = 0;
      for (; name[j] != '\0'; ++j) {
        if (flag[j] != name[j]) return false;
      }
      return flag[j] == '\0';
    };
    if (is("--ipv4")) {
      int prefix = 0;
      if (value == nullptr || !parse_ipv4(value, config.static_address.address, &prefix)) {
        print("udp-echo: --ipv4 wants A.B.C.D/N, got '{}'\n", value != nullptr ? value : "");
        return false;
      }
      config.static_address.netmask = Ipv4Address{prefix == 32 ? 0xffffffffu : ~(0xffffffffu >> prefix)};
      config.use_dhcp = false;
      ++i;
    } else if (is("--gateway")) {
      if (value == nullptr || !parse_ipv4(value, config.static_address.gateway, nullptr)) {
        print("udp-echo: --gateway wants A.B.C.D, got '{}'\n", value != nullptr ? value : "");
        return false;
      }
      ++i;
    } else {
      print("udp-echo: unknown argument '{}' (usage: [--ipv4 A.B.C.D/N [--gateway A.B.C.D]])\n", flag);
      return false;
    }
  }
  return true;
}

sched::Task<void> report_addresses(net::Stack& stack, bool dhcp) {
  for (;;) {
    net::netstack::Event event = co_await stack.next_event();
    switch (event.kind) {
      case net::netstack::Event::Kind::address_acquired:
        print_address("udp-echo: ", event.address, dhcp ? " via DHCP\n" : " static\n");
        break;
      case net::netstack::Event::Kind::address_lost: print_address("udp-echo: lost ", event.address, "\n"); break;
      case net::netstack::Event::Kind::address_conflict: {
        uint32_t a = event.address.address.value;
        char mac[3 * cairn::protocols::MacAddress::size] = {};
        for (size_t i = 0; i < cairn::protocols::MacAddress::size; ++i) {
          uint8_t byte = event.conflicting_mac.bytes[i];
          mac[3 * i] = "0123456789abcdef"[byte >> 4];
          mac[3 * i + 1] = "0123456789abcdef"[byte & 15];
          mac[3 * i + 2] = i + 1 < cairn::protocols::MacAddress::size ? ':' : '\0';
        }
        print("udp-echo: {}.{}.{}.{} is in use by {}; {} it\n", a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255,
              static_cast<const char*>(mac), event.defended ? "defended" : "declined");
        break;
      }
    }
  }
}

sched::Task<int> echo(cairn::Arguments arguments) {
  net::netstack::Config config;
  if (!configure(arguments, config)) co_return 2;
  net::Stack* stack = net::Stack::open(cairn::devices::service0, config);
  if (stack == nullptr) {
    print("udp-echo: no network device 'service0' (run with --net:service0=TAP)\n");
    co_return 1;
  }
  sched::spawn(report_addresses(*stack, config.use_dhcp));
  sched::spawn(stack->run());

  net::UdpSocket socket(*stack);
  if (!socket.bind(echo_port, {32, 1472}).ok()) {
    print("udp-echo: cannot bind UDP port {}\n", echo_port);
    co_return 1;
  }
  for (;;) {
    net::Datagram datagram = co_await socket.receive();
    // A full queue or an unresolved sender loses this echo, as UDP may.
    (void)socket.send_to(datagram.from, datagram.payload);
  }
}

}  // namespace

int cairn::app_main(cairn::Arguments arguments) { return sched::run(echo(arguments)); }
