// A DHCP client (RFC 2131 section 4.4), sans-IO: the state machine that acquires, renews and
// loses an IPv4 lease for one interface.
//
//   INIT -> SELECTING   start(): DISCOVER (broadcast), retransmitted after 4, 8, 16, 32, 64, 64...
//                       seconds, each +-1 s at random (4.1), with the same transaction id
//   SELECTING -> REQUESTING   the first acceptable OFFER: REQUEST (broadcast) naming that server
//                       and address, retransmitted likewise; `request_attempts` unanswered
//                       REQUESTs go back to INIT
//   REQUESTING -> BOUND  ACK: event `acquired` with the lease
//   BOUND -> RENEWING    at T1 (option 58, default 0.5 of the lease): REQUEST unicast to the
//                       server, retransmitted after half the time left to T2, at least 60 s
//   RENEWING -> REBINDING at T2 (option 59, default 0.875): REQUEST broadcast, retransmitted after
//                       half the time left to expiry, at least 60 s
//   RENEWING/REBINDING -> BOUND  ACK: event `renewed` (or `lost` then `acquired` if the server
//                       hands out a different address)
//   any lease state -> INIT  NAK, or the lease expiring: event `lost`, then DISCOVER again
//   REQUESTING -> INIT   NAK: DISCOVER again
// What it does not do: probe the offered address with ARP before using it (and so never sends
// DECLINE), wait 1-10 s before the first DISCOVER (a unikernel boots once), INIT-REBOOT, RELEASE.
//
// The caller drives it: feed every UDP payload from port 67 to port 68 into input(), call
// on_timer() when next_deadline() passes, and after each call send what take_transmission()
// gives (from port 68 to port 67) and act on take_event().
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

enum class State : uint8_t { init, selecting, requesting, bound, renewing, rebinding };

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

enum class Event : uint8_t { none, acquired, renewed, lost };

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
  // Retransmissions, T1, T2, expiry.
  void on_timer(Time now);
  Time next_deadline() const;

  // The message to send, if any (view valid until the next call on the client).
  bool take_transmission(Transmission& transmission);
  // The oldest event not taken yet, or Event::none.
  Event take_event();

  State state() const { return state_; }
  bool has_lease() const { return state_ == State::bound || state_ == State::renewing || state_ == State::rebinding; }
  const Lease& lease() const { return lease_; }

 private:
  void begin_selecting(Time now);
  void send(MessageType type, Time now);
  void arm_backoff(Time now);
  void arm_lease_retransmission(Time now, Time limit);
  bool accept_lease(const Message& ack, Time now);
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
  bool transmission_ready_ = false;
  Transmission transmission_;
  Event events_[4] = {};
  uint8_t event_count_ = 0;
  uint8_t buffer_[max_written_size];
};

}  // namespace cairn::protocols::dhcp
