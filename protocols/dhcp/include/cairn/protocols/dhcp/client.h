// A DHCP client (RFC 2131 section 4.4), sans-IO: the state machine that acquires, renews and
// loses an IPv4 lease for one interface.
//
//   INIT -> SELECTING   start(): DISCOVER (broadcast), retransmitted after 4, 8, 16, 32, 64, 64...
//                       seconds, each +-1 s at random (4.1), with the same transaction id
//   SELECTING -> REQUESTING   the first acceptable OFFER: REQUEST (broadcast) naming that server
//                       and address, retransmitted likewise; `request_attempts` unanswered
//                       REQUESTs go back to INIT
//   REQUESTING -> CHECKING  ACK: the address is probed with ARP before it is used (RFC 2131
//                       3.1.5, RFC 5227 2.1.1): `conflict_probes` probes (take_probe()),
//                       `probe_interval` apart, then as long again for an answer
//   CHECKING -> BOUND    no host answered: event `acquired` with the lease
//   CHECKING -> INIT     conflict(): DECLINE (broadcast), event `declined`, and after
//                       `decline_backoff` (10 s, RFC 2131 3.1.5) DISCOVER again with a new
//                       transaction
//   BOUND -> RENEWING    at T1 (option 58, default 0.5 of the lease): REQUEST unicast to the
//                       server, retransmitted after half the time left to T2, at least 60 s
//   RENEWING -> REBINDING at T2 (option 59, default 0.875): REQUEST broadcast, retransmitted after
//                       half the time left to expiry, at least 60 s
//   RENEWING/REBINDING -> BOUND  ACK: event `renewed` (or `lost` then `acquired` if the server
//                       hands out a different address)
//   any lease state -> INIT  NAK, or the lease expiring: event `lost`, then DISCOVER again
//   REQUESTING -> INIT   NAK: DISCOVER again
// Probing is shorter than RFC 5227's (three probes 1-2 s apart, then 2 s): by default two probes
// 500 ms apart and 500 ms more, so a unikernel that boots in a millisecond waits one second, not
// seven; answers on a LAN come within a millisecond. A new address offered while renewing or
// rebinding is taken without a probe, and a bound address is not defended (RFC 5227 2.4).
// What it does not do: wait 1-10 s before the first DISCOVER (a unikernel boots once),
// INIT-REBOOT (nothing remembers a lease across boots), RELEASE.
//
// The caller drives it: feed every UDP payload from port 67 to port 68 into input(), call
// on_timer() when next_deadline() passes, and after each call send what take_transmission()
// gives (from port 68 to port 67), broadcast the ARP probes take_probe() asks for, and act on
// take_event(). While state() is CHECKING, report any ARP packet from another host whose sender
// address is probing(), or that probes for it too, through conflict().
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "cairn/protocols/common/addresses.h"
#include "cairn/protocols/common/bytes.h"
#include "cairn/protocols/common/random.h"
#include "cairn/protocols/common/result.h"
#include "cairn/protocols/common/time.h"
#include "cairn/protocols/dhcp/message.h"

namespace cairn::protocols::dhcp {

enum class State : uint8_t { init, selecting, requesting, checking, bound, renewing, rebinding };

const char* describe(State state);

struct Lease {
  Ipv4Address address;
  Ipv4Address netmask;
  Ipv4Address router;  // any() when the server named none
  Ipv4Address server;  // the server identifier
  Ipv4Address dns_servers[max_dns_servers];
  uint8_t dns_server_count = 0;
  Time acquired = 0;   // when the ACK arrived
  Time renew_at = 0;   // T1
  Time rebind_at = 0;  // T2
  Time expires = 0;    // `never` for an infinite lease
};

enum class Event : uint8_t { none, acquired, renewed, lost, declined };

// A message to send from port 68 to port 67.
struct Transmission {
  ByteView message;
  Ipv4Address source;       // any() before a lease
  Ipv4Address destination;  // the server when renewing, else the limited broadcast
};

class Client {
 public:
  struct Settings {
    Duration first_retransmission = seconds(4);
    Duration max_retransmission = seconds(64);
    Duration min_lease_retransmission = seconds(60);  // RENEWING and REBINDING
    uint8_t request_attempts = 4;
    uint8_t conflict_probes = 2;  // 0: use the acknowledged address without probing it
    Duration probe_interval = milliseconds(500);
    Duration decline_backoff = seconds(10);
    const char* hostname = nullptr;  // sent as option 12 when set; must outlive the client
  };

  Client(const MacAddress& mac, uint32_t random_seed, Counters& counters)
      : Client(mac, random_seed, counters, Settings{}) {}
  Client(const MacAddress& mac, uint32_t random_seed, Counters& counters, const Settings& settings);

  // Leaves INIT: sends the first DISCOVER.
  void start(Time now);
  // A UDP payload from a server (port 67 to 68). Drops are counted: malformed messages, other
  // transactions (not_for_us), messages the current state does not expect (unexpected).
  void input(ByteView message, Time now);
  // Another host uses `address` or probes for it too (seen in ARP). While CHECKING that address,
  // declines it; otherwise ignored.
  void conflict(Ipv4Address address, Time now);
  // Retransmissions, probes, T1, T2, expiry.
  void on_timer(Time now);
  Time next_deadline() const;

  // The message to send, if any (view valid until the next call on the client).
  bool take_transmission(Transmission& transmission);
  // The address to send an ARP probe for now (sender address 0.0.0.0), if any.
  bool take_probe(Ipv4Address& address);
  // The oldest event not taken yet, or Event::none.
  Event take_event();
  // The acknowledged address being probed while CHECKING, else any().
  Ipv4Address probing() const { return state_ == State::checking ? candidate_.address : Ipv4Address::any(); }
  // The address declined last (event `declined`), or any().
  Ipv4Address declined() const { return declined_; }

  State state() const { return state_; }
  bool has_lease() const { return state_ == State::bound || state_ == State::renewing || state_ == State::rebinding; }
  const Lease& lease() const { return lease_; }

 private:
  void begin_selecting(Time now);
  void send(MessageType type, Time now);
  void arm_backoff(Time now);
  void begin_lease_request(State state, Time now, Time limit);
  void arm_lease_retransmission(Time now, Time limit);
  bool make_lease(const Message& ack, Time now, Lease& lease) const;
  void bind(const Lease& lease);
  void send_probe(Time now);
  void lose_lease(Time now);
  void post(Event event);

  MacAddress mac_;
  Random random_;
  Counters& counters_;
  Settings settings_;
  State state_ = State::init;
  uint32_t transaction_id_ = 0;
  Time exchange_started_ = 0;
  uint8_t attempts_ = 0;  // messages sent in the current exchange
  Time retransmit_at_ = never;
  Ipv4Address offered_address_;
  Ipv4Address offering_server_;
  Lease lease_;
  Lease candidate_;  // acknowledged, being probed (CHECKING)
  uint8_t probes_sent_ = 0;
  bool probe_ready_ = false;
  Ipv4Address declined_;
  bool transmission_ready_ = false;
  Transmission transmission_;
  Event events_[4] = {};
  uint8_t event_count_ = 0;
  uint8_t buffer_[max_written_size];
};

}  // namespace cairn::protocols::dhcp
