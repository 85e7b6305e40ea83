// UDP sockets and their receive queues (sockets.h).
#include "cairn/protocols/udp/sockets.h"

#include "cairn/protocols/common/allocation.h"

namespace cairn::protocols::udp {

Sockets::~Sockets() {
  for (Socket& socket : sockets_) release(socket);
}

void Sockets::release(Socket& socket) {
  delete[] socket.slots;
  delete[] socket.payloads;
  socket = Socket();
}

Sockets::Socket* Sockets::find(SocketId socket) {
  if (socket.index >= max_sockets || !sockets_[socket.index].open) return nullptr;
  return &sockets_[socket.index];
}

const Sockets::Socket* Sockets::find(SocketId socket) const {
  if (socket.index >= max_sockets || !sockets_[socket.index].open) return nullptr;
  return &sockets_[socket.index];
}

bool Sockets::is_bound(uint16_t port) const {
  for (const Socket& socket : sockets_) {
    if (socket.open && socket.port == port) return true;
  }
  return false;
}

Result<SocketId> Sockets::bind(uint16_t port, Options options) {
  if (options.queue_length == 0 || options.max_payload == 0) return Error::bad_argument;
  if (port == 0) {
    constexpr uint32_t range = 65536 - first_ephemeral_port;
    uint32_t start = random_.below(range);
    for (uint32_t i = 0; i < range && port == 0; ++i) {
      auto candidate = static_cast<uint16_t>(first_ephemeral_port + (start + i) % range);
      if (!is_bound(candidate)) port = candidate;
    }
    if (port == 0) return Error::in_use;
  } else if (is_bound(port)) {
    return Error::in_use;
  }
  for (uint16_t index = 0; index < max_sockets; ++index) {
    Socket& socket = sockets_[index];
    if (socket.open) continue;
    socket.slots = allocate_array<Slot>(options.queue_length);
    socket.payloads = allocate_array<uint8_t>(static_cast<size_t>(options.queue_length) * options.max_payload);
    if (socket.slots == nullptr || socket.payloads == nullptr) {
      release(socket);
      return Error::queue_full;
    }
    socket.open = true;
    socket.port = port;
    socket.options = options;
    return SocketId{index};
  }
  return Error::queue_full;
}

void Sockets::close(SocketId socket) {
  if (Socket* open = find(socket)) release(*open);
}

bool Sockets::is_open(SocketId socket) const {
  return find(socket) != nullptr;
}

uint16_t Sockets::port(SocketId socket) const {
  const Socket* open = find(socket);
  return open != nullptr ? open->port : 0;
}

Status Sockets::deliver(uint16_t port, const Endpoint& from, Ipv4Address destination, ByteView payload) {
  Socket* target = nullptr;
  for (Socket& socket : sockets_) {
    if (socket.open && socket.port == port) target = &socket;
  }
  Error refusal = Error::count_;
  if (target == nullptr) {
    refusal = Error::no_port;
  } else if (payload.size() > target->options.max_payload) {
    refusal = Error::too_large;
  } else if (target->count == target->options.queue_length) {
    refusal = Error::queue_full;
  }
  if (refusal != Error::count_) {
    counters_.drop(refusal);
    return refusal;
  }
  uint16_t index = static_cast<uint16_t>((target->head + target->count) % target->options.queue_length);
  Slot& slot = target->slots[index];
  slot.from = from;
  slot.destination = destination;
  slot.size = static_cast<uint16_t>(payload.size());
  copy_bytes(target->payloads + static_cast<size_t>(index) * target->options.max_payload, payload.data(),
             payload.size());
  ++target->count;
  ++counters_.delivered;
  return {};
}

bool Sockets::receive(SocketId socket, Received& datagram) {
  Socket* open = find(socket);
  if (open == nullptr) return false;
  if (open->lent) {  // the previous datagram's slot is free now
    open->head = static_cast<uint16_t>((open->head + 1) % open->options.queue_length);
    --open->count;
    open->lent = false;
  }
  if (open->count == 0) return false;
  const Slot& slot = open->slots[open->head];
  datagram.from = slot.from;
  datagram.destination = slot.destination;
  datagram.payload = ByteView(open->payloads + static_cast<size_t>(open->head) * open->options.max_payload, slot.size);
  open->lent = true;
  return true;
}

bool Sockets::readable(SocketId socket) const {
  const Socket* open = find(socket);
  return open != nullptr && open->count > (open->lent ? 1 : 0);
}

}  // namespace cairn::protocols::udp
