// udp-echo: a network unikernel. It takes an address by DHCP, or the one given with
// `--ipv4 A.B.C.D/N [--gateway A.B.C.D]`, prints it ("udp-echo: 10.0.0.2/24 via DHCP"), answers
// ping (the interface does that) and sends every UDP datagram on port 7 back to its sender.
#include <cairn/devices.h>
#include <cairn/net/setup.h>
#include <cairn/net/stack.h>
#include <cairn/runtime/app.h>
#include <cairn/runtime/print.h>
#include <cairn/sched/scheduler.h>

namespace {

using cairn::runtime::print;
namespace net = cairn::net;
namespace sched = cairn::sched;

constexpr uint16_t echo_port = 7;

sched::Task<int> echo(cairn::Arguments arguments) {
  net::netstack::Config config;
  if (!net::configure_from_arguments(arguments, config, "udp-echo")) co_return 2;
  net::Stack* stack = net::Stack::open(cairn::devices::service0, config);
  if (stack == nullptr) {
    print("udp-echo: no network device 'service0' (run with --net:service0=TAP)\n");
    co_return 1;
  }
  sched::spawn(net::report_addresses(*stack, config.use_dhcp, "udp-echo"));
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

int cairn::app_main(cairn::Arguments arguments) {
  return sched::run(echo(arguments));
}
