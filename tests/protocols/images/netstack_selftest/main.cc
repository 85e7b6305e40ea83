// netstack_selftest: the protocol libraries linked freestanding into an image, driven through
// their main paths without a network device: two interfaces wired back to back in memory (ARP,
// a UDP exchange, a datagram fragmented and reassembled, a ping answered), and a DHCP client
// retransmitting its DISCOVER. That it links proves the protocols need nothing but the kernel
// runtime; run under cairn-spt it prints "netstack selftest: ok" and exits 0.
#include <cairn/protocols/common/checksum.h>
#include <cairn/protocols/netstack/interface.h>
#include <cairn/runtime/app.h>
#include <cairn/runtime/print.h>

namespace {

using cairn::runtime::print;
using namespace cairn::protocols;  // NOLINT: a test drives every layer

int failures = 0;

void check(bool condition, const char* what) {
  if (!condition) {
    print("netstack selftest: FAILED: {}\n", what);
    ++failures;
  }
}

// Carries frames between the two interfaces until both are quiet; returns how many moved.
int exchange(netstack::Interface& a, netstack::Interface& b, Time now) {
  static uint8_t copy[ethernet::max_frame_size];
  int moved = 0;
  for (bool again = true; again;) {
    again = false;
    for (ByteView frame; a.next_output(frame); ++moved, again = true) {
      copy_bytes(copy, frame.data(), frame.size());
      b.input(ByteView(copy, frame.size()), now);
    }
    for (ByteView frame; b.next_output(frame); ++moved, again = true) {
      copy_bytes(copy, frame.data(), frame.size());
      a.input(ByteView(copy, frame.size()), now);
    }
  }
  return moved;
}

netstack::Config static_config(uint8_t last_byte) {
  netstack::Config config;
  config.mac = MacAddress{{0x02, 0, 0, 0, 0, last_byte}};
  config.use_dhcp = false;
  config.static_address = {Ipv4Address::of(10, 0, 0, last_byte), Ipv4Address::of(255, 255, 255, 0),
                           Ipv4Address::of(10, 0, 0, 254)};
  config.random_seed = last_byte;
  return config;
}

// An echo request from b's addresses to a, built with the libraries' writers.
size_t build_ping(uint8_t* frame, const netstack::Interface& from, const netstack::Interface& to) {
  const uint8_t body[] = {'c', 'a', 'i', 'r', 'n', 0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  uint8_t* icmp_at = frame + ethernet::header_size + ipv4::header_size;
  icmp_at[0] = icmp::type::echo_request;
  icmp_at[1] = 0;
  store_be16(icmp_at + 2, 0);
  store_be32(icmp_at + 4, 0x12340001);
  copy_bytes(icmp_at + icmp::header_size, body, sizeof body);
  size_t icmp_size = icmp::header_size + sizeof body;
  store_be16(icmp_at + 2, internet_checksum(ByteView(icmp_at, icmp_size)));
  ipv4::Header header;
  header.total_length = static_cast<uint16_t>(ipv4::header_size + icmp_size);
  header.protocol = ipv4::protocol::icmp;
  header.source = from.address().address;
  header.destination = to.address().address;
  ipv4::write_header(frame + ethernet::header_size, header);
  ethernet::write_header(frame, to.mac(), from.mac(), ethernet::ether_type::ipv4);
  return ethernet::header_size + header.total_length;
}

void run_back_to_back() {
  auto* a = new netstack::Interface(static_config(1));
  auto* b = new netstack::Interface(static_config(2));
  Time now = seconds(1);
  a->start(now);
  b->start(now);
  exchange(*a, *b, now);
  Result<udp::SocketId> client = a->bind(0);
  Result<udp::SocketId> server = b->bind(7, udp::Sockets::Options{4, 6000});
  check(client.ok() && server.ok(), "bind");

  const uint8_t hello[] = {'h', 'e', 'l', 'l', 'o'};
  check(a->send_to(client.value(), {b->address().address, 7}, ByteView(hello, sizeof hello), now).ok(), "send_to");
  exchange(*a, *b, now);
  udp::Received received;
  check(b->receive(server.value(), received) && received.payload.size() == sizeof hello, "udp received");
  check(b->send_to(server.value(), received.from, received.payload, now).ok(), "udp reply");
  exchange(*a, *b, now);
  check(a->receive(client.value(), received) && received.payload.size() == sizeof hello, "udp reply received");

  static uint8_t big[5000];
  for (size_t i = 0; i < sizeof big; ++i) big[i] = static_cast<uint8_t>(i * 13);
  check(a->send_to(client.value(), {b->address().address, 7}, ByteView(big, sizeof big), now).ok(), "big send_to");
  check(exchange(*a, *b, now) == 4, "four fragments");
  check(b->receive(server.value(), received) && received.payload.size() == sizeof big &&
            equal_bytes(received.payload.data(), big, sizeof big),
        "reassembled datagram");

  static uint8_t ping[ethernet::max_frame_size];
  size_t size = build_ping(ping, *b, *a);
  a->input(ByteView(ping, size), now);
  ByteView reply;
  check(a->next_output(reply) && reply.size() == size && reply[ethernet::header_size + ipv4::header_size] == 0,
        "echo reply");
  check(a->stats().icmp.sent == 1, "one ICMP message sent");
  check(a->stats().ipv4.dropped_total() == 0 && b->stats().ipv4.dropped_total() == 0, "nothing dropped");
  delete a;
  delete b;
}

void run_dhcp() {
  netstack::Config config;
  config.mac = MacAddress{{0x02, 0, 0, 0, 0, 3}};
  config.hostname = "selftest";
  auto* net = new netstack::Interface(config);
  Time now = seconds(1);
  net->start(now);
  int discovers = 0;
  for (int round = 0; round < 4; ++round) {
    for (ByteView frame; net->next_output(frame);) ++discovers;
    now = net->next_deadline();
    net->on_timer(now);
  }
  check(discovers == 4, "DHCP DISCOVER retransmitted");
  check(net->dhcp_state() == dhcp::State::selecting && !net->configured(), "still selecting");
  delete net;
}

}  // namespace

int cairn::app_main(cairn::Arguments) {
  run_back_to_back();
  run_dhcp();
  if (failures != 0) return 1;
  print("netstack selftest: ok\n");
  return 0;
}
