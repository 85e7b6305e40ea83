// The TCP side of one host, sans-IO: listeners, the table of connections, and what no connection
// owns (SYNs to listeners, segments for unknown connections).
//
//   Endpoints tcp(settings, key, counters);              // key from cairn/runtime/entropy.h
//   ListenerId web = tcp.listen(80, 64).value();
//   tcp.input(segment, source, destination, now);        // every parsed TCP segment for us
//   for (Transmit out; tcp.next_output(out, now);) send_ipv4(out.source, out.destination, out.segment);
//   tcp.on_timer(now) when now >= tcp.next_deadline();
//   for (ConnectionId id; tcp.accept(web, id);) serve(tcp.connection(id));   // then tcp.release(id)
//
// Bounds: at most `max_connections` connections of any state (half-open, TIME-WAIT included),
// each with its own send and receive buffers, allocated when it opens and freed when it is
// finished and released. A listener keeps at most `backlog` connections that are half-open or
// waiting for accept(); a SYN beyond that is answered with a SYN cookie (syn_cookies.h), so a SYN
// flood costs no memory. The cookie's ACK becomes a connection when fewer than `backlog` wait
// for accept() and a slot is free, however many half-open ones the flood left.
// Segments for no connection are answered with RST (RFC 9293 3.10.7.1) through a small queue of
// stateless replies; when that queue is full they are dropped and counted.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "cairn/protocols/common/result.h"
#include "cairn/protocols/common/time.h"
#include "cairn/protocols/tcp/connection.h"
#include "cairn/protocols/tcp/segment.h"
#include "cairn/protocols/tcp/sequence.h"
#include "cairn/protocols/tcp/syn_cookies.h"

namespace cairn::protocols::tcp {

struct ListenerId {
  uint16_t index = 0xffff;
  friend bool operator==(ListenerId, ListenerId) = default;
};

// A connection's handle: its slot and that slot's generation, so a stale handle finds nothing.
struct ConnectionId {
  uint16_t index = 0xffff;
  uint16_t generation = 0;
  friend bool operator==(ConnectionId, ConnectionId) = default;
};

struct EndpointsSettings {
  uint16_t max_connections = 64;
  Settings connection;  // buffers, MSS, timers of each connection
  // Always answer SYNs with cookies, even below the backlog (for tests of the cookie path).
  bool always_cookies = false;
};

// A segment leaving: its addresses and the segment (payload a view valid until the next call).
struct Transmit {
  Ipv4Address source;
  Ipv4Address destination;
  Outgoing segment;
};

class Endpoints {
 public:
  static constexpr size_t max_listeners = 8;
  static constexpr size_t max_connections_limit = 4096;
  static constexpr size_t control_slots = 16;  // RSTs and cookie SYN-ACKs waiting to leave

  Endpoints(const EndpointsSettings& settings, const SecretKey& key, Counters& counters);
  ~Endpoints();
  Endpoints(const Endpoints&) = delete;
  Endpoints& operator=(const Endpoints&) = delete;

  // Listens on `port` (any local address) with room for `backlog` connections not yet accepted.
  // Errors: in_use, queue_full (max_listeners), bad_argument (port 0 or backlog 0).
  Result<ListenerId> listen(uint16_t port, uint16_t backlog);
  // Stops listening; connections not yet accepted are reset.
  void close_listener(ListenerId listener);

  // Active open from `local` to `remote`:`port`, from an unused ephemeral port.
  // Errors: queue_full (no slot or no memory), in_use (no free port), bad_argument.
  Result<ConnectionId> connect(Ipv4Address local, Ipv4Address remote, uint16_t port, Time now);

  // A segment that arrived for this host (parsed, checksum verified) from `source` to `destination`.
  void input(const Segment& segment, Ipv4Address source, Ipv4Address destination, Time now);
  // The next segment to send; true with `out` filled.
  bool next_output(Transmit& out, Time now);
  Time next_deadline() const;
  void on_timer(Time now);

  // The oldest connection established on `listener` and not yet accepted.
  bool accept(ListenerId listener, ConnectionId& connection);
  bool acceptable(ListenerId listener) const;
  // The connection behind a handle; nullptr for a stale or unknown one.
  Connection* connection(ConnectionId id);
  const Connection* connection(ConnectionId id) const;
  // The application is done with the connection: its slot is freed once it is finished (after
  // close() that is after the FIN exchange and TIME-WAIT; after abort() at once).
  void release(ConnectionId id);

  size_t connection_count() const { return connection_count_; }
  size_t listener_backlog(ListenerId listener) const;
  uint64_t cookies_sent() const { return cookies_sent_; }
  uint64_t cookies_accepted() const { return cookies_accepted_; }

 private:
  struct Listener {
    bool open = false;
    uint16_t port = 0;
    uint16_t backlog = 0;
    uint16_t capacity = 0;  // of the accept queue: 2 × backlog
    uint16_t pending = 0;   // half-open or queued, not yet accepted
    uint16_t queue_head = 0;
    uint16_t queue_count = 0;
    ConnectionId* queue = nullptr;  // `capacity` entries: established, waiting for accept()
  };
  struct Slot {
    Connection* connection = nullptr;
    uint16_t generation = 0;
    uint8_t listener = 0xff;  // the listener it came from, until accepted
    bool queued = false;      // in its listener's accept queue
    bool owned = false;       // handed to the application (connect() or accept()), not released
  };
  struct Control {
    Transmit transmit;
  };

  Listener* find_listener(uint16_t port);
  int find_slot(const FourTuple& tuple) const;
  int free_slot() const;
  Connection* make_connection(int slot);
  void free_connection(int slot);
  void handle_syn(Listener& listener, const Segment& segment, const FourTuple& tuple, Time now);
  void handle_cookie_ack(Listener& listener, const Segment& segment, const FourTuple& tuple, Time now);
  void send_reset(const Segment& segment, Ipv4Address source, Ipv4Address destination);
  void queue_control(const Transmit& transmit);
  void after_input(int slot);
  void reap(int slot);
  uint32_t timestamp_offset(const FourTuple& tuple) const;
  uint32_t timestamp_clock(Time now, const FourTuple& tuple) const;

  EndpointsSettings settings_;
  SecretKey timestamp_key_;
  SequenceGenerator sequences_;
  SynCookies cookies_;
  Counters& counters_;
  Listener listeners_[max_listeners];
  Slot* slots_ = nullptr;
  size_t slot_count_ = 0;
  size_t connection_count_ = 0;
  size_t next_output_slot_ = 0;
  uint32_t port_cursor_ = 0;

  Control controls_[control_slots];
  uint8_t control_head_ = 0;
  uint8_t control_count_ = 0;
  Control lent_control_;  // the one next_output() returned last, so its views stay valid
  uint64_t cookies_sent_ = 0;
  uint64_t cookies_accepted_ = 0;
};

}  // namespace cairn::protocols::tcp
