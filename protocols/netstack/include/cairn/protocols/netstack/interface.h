// One network interface's IPv4 stack, sans-IO: Ethernet, ARP, IPv4 (with reassembly), ICMP,
// UDP sockets and the DHCP client (or a static address) composed into one state machine.
// Frames and time go in; frames, deadlines and events come out. It never calls the platform.
//
// The kernel glue, one task per interface (names from cairn/solo5.h and cairn/sched):
//
//   Interface net(config);                                   // MAC and MTU from solo5_net_acquire
//   net.start(now());                                        // DHCPDISCOVER, or the static address
//   for (;;) {
//     while (solo5_net_read(handle, buffer, sizeof buffer, &size) == SOLO5_R_OK)
//       net.input(ByteView(buffer, size), now());
//     if (now() >= net.next_deadline()) net.on_timer(now());
//     for (ByteView frame; net.next_output(frame);) solo5_net_write(handle, frame.data(), frame.size());
//     for (Event event; net.next_event(event);) tell_the_app(event);   // address acquired / lost
//     wake_tasks_whose_socket_is(net.readable(socket));
//     co_await (device readable || sleep_until(net.next_deadline()));
//   }
//
// send_to() from an application task queues frames too: drain next_output() after it (or wake
// the interface task). Views handed out (next_output, receive) stay valid as documented on each
// call; nothing on the receive -> reply path allocates memory.
//
// Every packet dropped is counted, per layer and per reason: stats().ipv4.dropped(Error::bad_checksum).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "cairn/protocols/arp/arp.h"
#include "cairn/protocols/arp/resolver.h"
#include "cairn/protocols/common/addresses.h"
#include "cairn/protocols/common/bytes.h"
#include "cairn/protocols/common/result.h"
#include "cairn/protocols/common/time.h"
#include "cairn/protocols/dhcp/client.h"
#include "cairn/protocols/ethernet/ethernet.h"
#include "cairn/protocols/icmp/icmp.h"
#include "cairn/protocols/ipv4/ipv4.h"
#include "cairn/protocols/ipv4/reassembly.h"
#include "cairn/protocols/tcp/endpoints.h"
#include "cairn/protocols/udp/sockets.h"
#include "cairn/protocols/udp/udp.h"

namespace cairn::protocols::netstack {

using udp::Endpoint;
using udp::Received;
using udp::SocketId;

struct Config {
  MacAddress mac;
  uint16_t mtu = 1500;  // largest IPv4 packet on the link; at most 1500, at least 576
  bool use_dhcp = true;
  ipv4::Config static_address;     // the address when use_dhcp is false
  uint32_t random_seed = 1;        // DHCP transaction ids and jitter, IPv4 ids, ephemeral ports
  const char* hostname = nullptr;  // DHCP option 12; must outlive the interface
  uint32_t icmp_error_burst = 10;
  uint32_t icmp_errors_per_second = 100;
  dhcp::Client::Settings dhcp;  // its hostname is taken from `hostname`
  // TCP: connection limit, buffers and timers (the MSS is capped at MTU - 40), and the secret
  // behind initial sequence numbers and SYN cookies (from the platform's entropy in images).
  tcp::EndpointsSettings tcp;
  tcp::SecretKey tcp_key;
};

// What each layer saw; drops per reason (see Error in cairn/protocols/common/result.h).
struct Stats {
  Counters ethernet;  // received frames, delivered up, sent; not_for_us, unsupported, queue_full (output)
  Counters arp;
  Counters ipv4;
  Counters icmp;
  Counters udp;
  Counters tcp;  // segments; per-connection figures are in tcp::Connection::stats()
  Counters dhcp;
};

struct Event {
  // address_conflict: another host uses an address of ours. Before DHCP binds it (the address is
  // then declined and configured() stays false); or after, when the interface defends its address
  // with an ARP announcement (RFC 5227 2.4 (c): at most once per `defend_interval`, never giving
  // the address up; one event per defence).
  enum class Kind : uint8_t { address_acquired, address_lost, address_conflict };
  Kind kind = Kind::address_acquired;
  ipv4::Config address;        // the new configuration; the old one for address_lost; the one in conflict
  MacAddress conflicting_mac;  // address_conflict: the other host
  bool defended = false;       // address_conflict: kept and defended (true) or declined (false)
  Ipv4Address dns_servers[dhcp::max_dns_servers];
  uint8_t dns_server_count = 0;
};

class Interface {
 public:
  static constexpr size_t output_slots = 16;
  static constexpr size_t max_udp_payload = ipv4::Reassembler::max_payload_size - udp::header_size;
  static constexpr Duration defend_interval = seconds(10);  // RFC 5227's DEFEND_INTERVAL

  explicit Interface(const Config& config);
  Interface(const Interface&) = delete;
  Interface& operator=(const Interface&) = delete;

  // Begins: the first DHCPDISCOVER, or the static address (with its ARP announcement).
  void start(Time now);
  // A frame as the device delivered it (no FCS).
  void input(ByteView frame, Time now);
  // The next frame to send, oldest first; valid until the next call on this interface.
  bool next_output(ByteView& frame);
  // The same, after TCP's data written by the application: `now` stamps the segments it takes.
  bool next_output(ByteView& frame, Time now) {
    now_ = now;
    return next_output(frame);
  }
  // When on_timer() has work: ARP retries, reassembly timeouts, DHCP retransmissions and lease
  // times. `never` when there is none.
  Time next_deadline() const;
  void on_timer(Time now);
  // Address acquired or lost, oldest first.
  bool next_event(Event& event);

  // UDP. bind(0) picks an ephemeral port; port 68 is the DHCP client's while it runs.
  Result<SocketId> bind(uint16_t port, udp::Sockets::Options options);
  Result<SocketId> bind(uint16_t port) { return bind(port, udp::Sockets::Options{}); }
  void close(SocketId socket);
  // Sends `payload` (at most max_udp_payload bytes; fragmented beyond the MTU) from the socket's
  // port. Errors: bad_argument, not_configured, too_large, no_route, queue_full (ARP or output).
  // A destination still being resolved by ARP is not an error: the datagram waits for it, unless
  // it needs more fragments than ARP holds for one next hop (4): then queue_full, and a retry
  // after the ARP reply goes through.
  Status send_to(SocketId socket, const Endpoint& destination, ByteView payload, Time now);
  // The oldest datagram queued on `socket`; its payload stays valid until the next receive() on
  // that socket or its close().
  bool receive(SocketId socket, Received& datagram) { return sockets_.receive(socket, datagram); }
  bool readable(SocketId socket) const { return sockets_.readable(socket); }
  uint16_t local_port(SocketId socket) const { return sockets_.port(socket); }

  // TCP: listeners, connections and their buffers (tcp/endpoints.h). Segments they queue leave
  // through next_output(), which takes them from TCP whenever its ring of frames runs empty.
  tcp::Endpoints& tcp() { return tcp_; }
  const tcp::Endpoints& tcp() const { return tcp_; }
  // Active open to `remote`:`port` from this interface's address. Errors: not_configured, and
  // those of tcp::Endpoints::connect.
  Result<tcp::ConnectionId> connect(Ipv4Address remote, uint16_t port, Time now);

  const MacAddress& mac() const { return mac_; }
  const ipv4::Config& address() const { return address_; }
  bool configured() const { return address_.configured(); }
  dhcp::State dhcp_state() const { return dhcp_.state(); }
  const Stats& stats() const { return stats_; }
  size_t queued_outputs() const { return output_count_; }
  const arp::Resolver& arp() const { return arp_; }

 private:
  static constexpr size_t slot_size = 1536;

  void handle_arp(ByteView payload, Time now);
  bool claims_probed_address(const arp::Packet& packet) const;
  void defend_address(const MacAddress& other_host, Time now);
  void handle_ipv4(ByteView payload, Time now);
  void handle_icmp(const ipv4::Packet& packet, ByteView message, bool broadcast, Time now);
  void handle_udp(const ipv4::Packet& packet, ByteView datagram, bool broadcast, bool reassembled, Time now);
  void send_unreachable(const ipv4::Packet& offending, uint8_t code, Time now);
  void handle_tcp(const ipv4::Packet& packet, ByteView bytes, Time now);
  // Moves segments TCP has ready into free output slots.
  void take_tcp_output();

  Status send_udp(const Endpoint& source, const Endpoint& destination, ByteView payload, Time now);
  // Sends header + payload as the payload of IPv4 packets (fragmented beyond the MTU).
  Status send_ipv4(Ipv4Address source, Ipv4Address destination, uint8_t protocol, ByteView header, ByteView payload,
                   Time now);
  void send_arp(const arp::Packet& packet, const MacAddress& destination);
  void send_resolved_packets();
  void run_dhcp(Time now);
  void set_address(const ipv4::Config& address, const dhcp::Lease* lease);
  void post(const Event& event);

  // The output queue: a ring of frame buffers. reserve() lends the next free slot (nullptr when
  // full) without taking it; commit() takes it.
  uint8_t* reserve_output();
  void commit_output(size_t size);

  MacAddress mac_;
  size_t mtu_;
  bool use_dhcp_;
  ipv4::Config static_address_;
  ipv4::Config address_;
  uint16_t next_identification_;
  Stats stats_;
  arp::Resolver arp_;
  ipv4::Reassembler reassembler_;
  icmp::RateLimiter icmp_errors_;
  udp::Sockets sockets_;
  dhcp::Client dhcp_;
  tcp::Endpoints tcp_;
  Time now_ = 0;               // the latest time given to any call, for TCP segments taken by next_output()
  Time last_defence_ = never;  // when the address was last defended, `never` if not yet

  Event events_[4];
  uint8_t event_count_ = 0;

  uint16_t output_sizes_[output_slots] = {};
  uint8_t output_head_ = 0;
  uint8_t output_count_ = 0;
  uint8_t output_[output_slots][slot_size];
  uint8_t scratch_[slot_size];  // a packet on its way to ARP's hold queue
};

}  // namespace cairn::protocols::netstack
