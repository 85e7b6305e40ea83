// The network inside an image: one solo5 net device driven through a sans-IO
// protocols::netstack::Interface by a scheduler task, and the UDP sockets other tasks await.
//
//   net::Stack* stack = net::Stack::open("service0", config);   // nullptr: no such device
//   sched::spawn(stack->run());
//   net::UdpSocket socket(*stack);
//   socket.bind(7);
//   for (;;) {
//     net::Datagram datagram = co_await socket.receive();
//     socket.send_to(datagram.from, datagram.payload);
//   }
//
// Nothing on the receive -> reply path allocates memory: frames are read into the stack's buffer,
// datagrams stay in the socket's queue until the next receive(), replies are written straight
// from the interface's output ring.
#pragma once

#include <cairn/solo5.h>
#include <cairn/protocols/netstack/interface.h>
#include <cairn/sched/scheduler.h>
#include <stddef.h>
#include <stdint.h>

namespace cairn::net {

namespace netstack = protocols::netstack;
using protocols::ByteView;
using protocols::Ipv4Address;
using protocols::Status;
using protocols::udp::Endpoint;

// A datagram received: who sent it, to which of our addresses, and its payload (valid until the
// next receive() on the same socket).
using Datagram = protocols::udp::Received;

class UdpSocket;

class Stack {
 public:
  // Acquires the net device `device_name` and builds its interface from `config`, whose MAC and
  // MTU are replaced by the device's. nullptr when the image has no such net device.
  static Stack* open(const char* device_name, netstack::Config config);
  ~Stack() { delete[] frame_; }

  // The interface's task (spawn it once): reads frames, runs timers, writes replies, wakes the
  // tasks awaiting sockets and events. It never finishes.
  sched::Task<void> run();

  // co_await stack.next_event(): the next address acquired or lost (the oldest first; when more
  // than `event_slots` pile up unread, the oldest are dropped).
  class EventAwaiter {
   public:
    explicit EventAwaiter(Stack& stack) : stack_(stack) {}
    bool await_ready() const { return stack_.event_count_ > 0; }
    void await_suspend(std::coroutine_handle<> coroutine) {
      waiter_.coroutine = coroutine;
      stack_.event_waiter_ = &waiter_;
    }
    netstack::Event await_resume() { return stack_.take_event(); }

   private:
    Stack& stack_;
    sched::Waiter waiter_{};
  };
  EventAwaiter next_event() { return EventAwaiter(*this); }

  netstack::Interface& interface() { return interface_; }
  const netstack::Interface& interface() const { return interface_; }
  solo5_handle_t device() const { return device_; }

  // Writes every frame the interface has queued to the device, and makes the interface task
  // look at its timers again if they moved earlier. Sockets call it after each send.
  void flush();

  static constexpr size_t event_slots = 4;
  // Frames taken from the device before the tasks woken by them get to run.
  static constexpr size_t frames_per_round = 16;

 private:
  friend class UdpSocket;

  Stack(solo5_handle_t device, const netstack::Config& config, size_t frame_capacity)
      : device_(device), interface_(config), frame_(new uint8_t[frame_capacity]), frame_capacity_(frame_capacity) {}
  void write_outputs();
  void collect_events();
  netstack::Event take_event();
  // Makes ready the tasks awaiting a socket that now has a datagram; true if any.
  bool wake_receivers();

  solo5_handle_t device_;
  netstack::Interface interface_;
  UdpSocket* sockets_ = nullptr;  // every UdpSocket of this stack, linked through UdpSocket::next_
  sched::DeviceOrDeadlineAwaiter* idle_wait_ = nullptr;  // the interface task's wait, while it waits

  netstack::Event events_[event_slots];
  size_t event_head_ = 0;
  size_t event_count_ = 0;
  sched::Waiter* event_waiter_ = nullptr;

  // One received frame. Solo5 reads into no less than the device's MTU plus the Ethernet header,
  // and a jumbo-frame tap's MTU is above the 1500 bytes the interface sends.
  uint8_t* frame_;
  size_t frame_capacity_;
};

// A UDP socket of a Stack; closed when destroyed. One task at a time may await receive().
class UdpSocket {
 public:
  explicit UdpSocket(Stack& stack);
  ~UdpSocket();
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  // Binds `port` (0: an ephemeral one). Errors as netstack::Interface::bind.
  Status bind(uint16_t port, protocols::udp::Sockets::Options options);
  Status bind(uint16_t port) { return bind(port, protocols::udp::Sockets::Options{}); }
  uint16_t local_port() const { return bound_ ? stack_.interface_.local_port(id_) : 0; }

  // co_await socket.receive(): the oldest datagram, once there is one.
  class ReceiveAwaiter {
   public:
    explicit ReceiveAwaiter(UdpSocket& socket) : socket_(socket) {}
    bool await_ready() const { return socket_.bound_ && socket_.stack_.interface_.readable(socket_.id_); }
    void await_suspend(std::coroutine_handle<> coroutine) {
      waiter_.coroutine = coroutine;
      socket_.receiver_ = &waiter_;
    }
    Datagram await_resume() { return socket_.take_datagram(); }

   private:
    UdpSocket& socket_;
    sched::Waiter waiter_{};
  };
  ReceiveAwaiter receive() { return ReceiveAwaiter(*this); }

  // Queues `payload` for `destination` and writes it out at once (or once ARP has resolved the
  // next hop). Errors as netstack::Interface::send_to.
  Status send_to(const Endpoint& destination, ByteView payload);

 private:
  friend class Stack;
  Datagram take_datagram();

  Stack& stack_;
  protocols::udp::SocketId id_{};
  bool bound_ = false;
  sched::Waiter* receiver_ = nullptr;
  UdpSocket* next_ = nullptr;
};

}  // namespace cairn::net
