// The interface task, the event queue and the UDP sockets of a Stack (see stack.h).
#include "cairn/net/stack.h"

#include <cairn/net/tcp.h>
#include <cairn/runtime/entropy.h>
#include <cairn/runtime/print.h>

namespace cairn::net {

namespace {

// DHCP transaction ids and IPv4 ids should differ between boots and between images: mix the wall
// clock and the MAC into the configured seed.
uint32_t boot_seed(uint32_t configured, const uint8_t* mac) {
  uint64_t wall = solo5_clock_wall();
  uint32_t seed = configured ^ static_cast<uint32_t>(wall) ^ static_cast<uint32_t>(wall >> 32);
  for (size_t i = 0; i < SOLO5_NET_ALEN; ++i) seed = seed * 16777619u ^ mac[i];
  return seed == 0 ? 1 : seed;
}

}  // namespace

Stack* Stack::open(const NetDevice& net_device, netstack::Config config) {
  solo5_handle_t device;
  solo5_net_info info{};
  if (solo5_net_acquire(net_device.name(), &device, &info) != SOLO5_R_OK) return nullptr;
  config.mac = protocols::MacAddress::load(info.mac_address);
  config.mtu = static_cast<uint16_t>(info.mtu < 1500 ? info.mtu : 1500);
  config.random_seed = boot_seed(config.random_seed, info.mac_address);
  size_t frame_capacity = SOLO5_NET_HLEN + (info.mtu > 1500 ? info.mtu : 1500) + 32;
  uint8_t key[16];
  runtime::EntropySource source = runtime::fill_entropy(key, sizeof key);
  config.tcp_key = protocols::tcp::SecretKey::from_bytes(key);
  return new Stack(device, config, frame_capacity, source);
}

sched::Task<void> Stack::run() {
  interface_.start(sched::now());
  write_outputs();
  for (;;) {
    sched::Time now = sched::now();
    size_t frames = 0;
    size_t size = 0;
    // One frame at a time through the interface, its replies written before the next is read:
    // the output ring never fills on the echo path.
    while (frames < frames_per_round && solo5_net_read(device_, frame_, frame_capacity_, &size) == SOLO5_R_OK) {
      interface_.input(ByteView(frame_, size), now);
      write_outputs();
      ++frames;
    }
    if (interface_.next_deadline() <= now) {
      interface_.on_timer(now);
      write_outputs();
    }
    collect_events();
    bool woke = wake_receivers();
    woke = wake_tcp(sched::now()) || woke;
    if (woke || frames == frames_per_round) {
      // Let the woken tasks answer (their sends write at once), then read on.
      co_await sched::yield_now();
      continue;
    }
    sched::Time deadline = interface_.next_deadline();
    sched::Time streams = tcp_deadline();
    sched::DeviceOrDeadlineAwaiter wait(device_, streams < deadline ? streams : deadline);
    idle_wait_ = &wait;
    co_await wait;
    idle_wait_ = nullptr;
  }
}

void Stack::write_outputs() {
  for (ByteView frame; interface_.next_output(frame, sched::now());) {
    // A full tap queue drops the frame, as a wire would; the protocols retransmit what matters.
    solo5_net_write(device_, frame.data(), frame.size());
  }
}

void Stack::flush() {
  write_outputs();
  // A send may arm an earlier timer (ARP retries for a new next hop): the idle task must wake
  // for it, not sleep to the deadline it computed before.
  if (idle_wait_ != nullptr &&
      (interface_.next_deadline() < idle_wait_->deadline() || tcp_deadline() < idle_wait_->deadline()))
    idle_wait_->wake_early();
}

protocols::Result<protocols::tcp::ConnectionId> Stack::connect(Ipv4Address remote, uint16_t port) {
  protocols::Result<protocols::tcp::ConnectionId> id = interface_.connect(remote, port, sched::now());
  flush();
  return id;
}

void Stack::collect_events() {
  for (netstack::Event event; interface_.next_event(event);) {
    if (event_count_ == event_slots) {  // nobody is reading them: keep the newest
      event_head_ = (event_head_ + 1) % event_slots;
      --event_count_;
    }
    events_[(event_head_ + event_count_) % event_slots] = event;
    ++event_count_;
  }
  if (event_count_ > 0 && event_waiter_ != nullptr) {
    sched::scheduler().make_ready(*event_waiter_);
    event_waiter_ = nullptr;
  }
}

netstack::Event Stack::take_event() {
  if (event_count_ == 0) runtime::panic("net: an event awaiter resumed with no event queued");
  netstack::Event event = events_[event_head_];
  event_head_ = (event_head_ + 1) % event_slots;
  --event_count_;
  return event;
}

bool Stack::wake_receivers() {
  bool woke = false;
  for (UdpSocket* socket = sockets_; socket != nullptr; socket = socket->next_) {
    if (socket->receiver_ != nullptr && interface_.readable(socket->id_)) {
      sched::scheduler().make_ready(*socket->receiver_);
      socket->receiver_ = nullptr;
      woke = true;
    }
  }
  return woke;
}

UdpSocket::UdpSocket(Stack& stack) : stack_(stack), next_(stack.sockets_) {
  stack.sockets_ = this;
}

UdpSocket::~UdpSocket() {
  if (bound_) stack_.interface_.close(id_);
  for (UdpSocket** link = &stack_.sockets_; *link != nullptr; link = &(*link)->next_) {
    if (*link == this) {
      *link = next_;
      break;
    }
  }
}

Status UdpSocket::bind(uint16_t port, protocols::udp::Sockets::Options options) {
  if (bound_) return protocols::Error::bad_argument;
  protocols::Result<protocols::udp::SocketId> socket = stack_.interface_.bind(port, options);
  if (!socket.ok()) return socket.error();
  id_ = socket.value();
  bound_ = true;
  return {};
}

Status UdpSocket::send_to(const Endpoint& destination, ByteView payload) {
  if (!bound_) return protocols::Error::bad_argument;
  Status status = stack_.interface_.send_to(id_, destination, payload, sched::now());
  stack_.flush();
  return status;
}

Datagram UdpSocket::take_datagram() {
  Datagram datagram;
  // Only the interface task wakes a receiver, and only for a readable socket; one task awaits
  // a socket at a time, so the datagram is still there.
  if (!bound_ || !stack_.interface_.receive(id_, datagram))
    runtime::panic("net: a socket woke with nothing to receive");
  return datagram;
}

}  // namespace cairn::net
