// The UDP endpoints of one host, sans-IO: which ports are bound, and a bounded receive queue per
// socket. The netstack delivers parsed datagrams here and the application takes them out;
// nothing is allocated per datagram (each socket's queue is allocated once, at bind).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "cairn/protocols/common/bytes.h"
#include "cairn/protocols/common/random.h"
#include "cairn/protocols/common/result.h"
#include "cairn/protocols/udp/udp.h"

namespace cairn::protocols::udp {

// A bound socket's handle; index into the socket table.
struct SocketId {
  uint16_t index = 0xffff;
  friend bool operator==(SocketId, SocketId) = default;
};

// A datagram taken from a socket's queue.
struct Received {
  Endpoint from;
  Ipv4Address destination;  // this host's address, or a broadcast address
  ByteView payload;
};

class Sockets {
 public:
  static constexpr size_t max_sockets = 8;
  static constexpr uint16_t first_ephemeral_port = 49152;  // RFC 6335's dynamic range

  struct Options {
    uint16_t queue_length = 8;    // datagrams waiting to be received
    uint16_t max_payload = 1472;  // bytes; a bigger datagram is dropped (too_large)
  };

  Sockets(Counters& counters, uint32_t random_seed) : counters_(counters), random_(random_seed) {}
  ~Sockets();
  Sockets(const Sockets&) = delete;
  Sockets& operator=(const Sockets&) = delete;

  // Binds `port`, or an unused ephemeral port when `port` is 0. Errors: in_use, queue_full (all
  // max_sockets in use, or no memory for the queue), bad_argument (a zero queue or payload size).
  Result<SocketId> bind(uint16_t port, Options options);
  Result<SocketId> bind(uint16_t port) { return bind(port, Options{}); }
  // Closes the socket; its queued datagrams are dropped. Unknown handles are ignored.
  void close(SocketId socket);

  bool is_open(SocketId socket) const;
  bool is_bound(uint16_t port) const;
  uint16_t port(SocketId socket) const;  // 0 for a handle that is not open

  // Queues a datagram for the socket bound to `port`. Errors (counted as drops): no_port,
  // queue_full, too_large.
  Status deliver(uint16_t port, const Endpoint& from, Ipv4Address destination, ByteView payload);

  // Takes the oldest queued datagram of `socket`: true with `datagram`, whose payload stays valid
  // until the next receive() on this socket or its close().
  bool receive(SocketId socket, Received& datagram);
  // Whether receive() would return a datagram.
  bool readable(SocketId socket) const;

 private:
  struct Slot {
    Endpoint from;
    Ipv4Address destination;
    uint16_t size = 0;
  };
  struct Socket {
    bool open = false;
    bool lent = false;  // the slot at `head` was handed out by the last receive()
    uint16_t port = 0;
    Options options;
    uint16_t head = 0;
    uint16_t count = 0;  // queued slots, the lent one included
    Slot* slots = nullptr;
    uint8_t* payloads = nullptr;  // queue_length * max_payload bytes
  };

  Socket* find(SocketId socket);
  const Socket* find(SocketId socket) const;
  void release(Socket& socket);

  Counters& counters_;
  Random random_;
  Socket sockets_[max_sockets];
};

}  // namespace cairn::protocols::udp
