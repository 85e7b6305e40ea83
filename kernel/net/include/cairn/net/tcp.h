// TCP inside an image: listeners and connections of a Stack as coroutines.
//
//   net::TcpListener listener(*stack);
//   listener.listen(80, 64);
//   for (;;) {
//     protocols::tcp::ConnectionId id = co_await listener.accept();
//     sched::spawn(serve(*stack, id));
//   }
//
//   sched::Task<void> serve(net::Stack& stack, protocols::tcp::ConnectionId id) {
//     net::TcpStream stream(stack, id);
//     uint8_t buffer[2048];
//     size_t n = co_await stream.read(MutableByteView(buffer, sizeof buffer), sched::now() + seconds(10));
//     if (n == 0) co_return;                 // end of stream, reset, or the deadline (timed_out())
//     co_await stream.write(reply);          // all of it, unless the connection ends first
//     stream.close();                        // FIN after the data; the stream's end releases it
//   }
//
// The Stack's task wakes awaiting listeners and streams after every round of frames and timers,
// and at their deadlines; one task at a time may await a given listener or stream.
#pragma once

#include <cairn/net/stack.h>
#include <cairn/protocols/tcp/endpoints.h>

namespace cairn::net {

namespace tcp = protocols::tcp;
using protocols::MutableByteView;

class TcpListener {
 public:
  explicit TcpListener(Stack& stack);
  // Stops listening (connections not yet accepted are reset).
  ~TcpListener();
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  // Listens on `port` with room for `backlog` connections not yet accepted (beyond that, SYN
  // cookies). Errors as tcp::Endpoints::listen.
  Status listen(uint16_t port, uint16_t backlog);

  // co_await listener.accept(): the oldest established connection not yet accepted.
  class AcceptAwaiter {
   public:
    explicit AcceptAwaiter(TcpListener& listener) : listener_(listener) {}
    bool await_ready() const;
    void await_suspend(std::coroutine_handle<> coroutine) {
      waiter_.coroutine = coroutine;
      listener_.waiter_ = &waiter_;
    }
    tcp::ConnectionId await_resume();

   private:
    TcpListener& listener_;
    sched::Waiter waiter_{};
  };
  AcceptAwaiter accept() { return AcceptAwaiter(*this); }

 private:
  friend class Stack;
  Stack& stack_;
  tcp::ListenerId id_{};
  bool listening_ = false;
  sched::Waiter* waiter_ = nullptr;
  TcpListener* next_ = nullptr;
};

class TcpStream {
 public:
  // Takes the connection `id` (from accept(), or Stack::connect()) for this stream's lifetime.
  TcpStream(Stack& stack, tcp::ConnectionId id);
  // Releases the connection: if neither close() nor abort() was called, it is aborted (RST).
  ~TcpStream();
  TcpStream(const TcpStream&) = delete;
  TcpStream& operator=(const TcpStream&) = delete;

  // co_await stream.read(buffer, deadline): the bytes read into `buffer` (at least one), or 0 at
  // the end of the stream, when the connection ended, or at `deadline` (then timed_out()).
  class ReadAwaiter {
   public:
    ReadAwaiter(TcpStream& stream, MutableByteView buffer, sched::Time deadline)
        : stream_(stream), buffer_(buffer), deadline_(deadline) {}
    bool await_ready() const;
    void await_suspend(std::coroutine_handle<> coroutine);
    size_t await_resume();

   private:
    TcpStream& stream_;
    MutableByteView buffer_;
    sched::Time deadline_;
    sched::Waiter waiter_{};
  };
  ReadAwaiter read(MutableByteView buffer, sched::Time deadline = protocols::never) {
    return ReadAwaiter(*this, buffer, deadline);
  }

  // co_await stream.write(data, deadline): how much of `data` went into the send buffer: all of
  // it, unless the connection ended or `deadline` passed (then timed_out()) first.
  sched::Task<size_t> write(ByteView data, sched::Time deadline = protocols::never);

  // Sends FIN after the data written (the peer may still send until its own FIN).
  void close();
  // Resets the connection at once.
  void abort();
  // Nagle's algorithm (on by default): off sends small writes at once, as a request-response
  // server wants (nginx's tcp_nodelay).
  void set_nagle(bool on);

  bool timed_out() const { return timed_out_; }
  // The connection's state and figures; nullptr once it is gone.
  const tcp::Connection* connection() const;
  tcp::ConnectionId id() const { return id_; }

 private:
  friend class Stack;
  tcp::Connection* live();
  // Whether a waiting reader (or writer) has something to resume for.
  bool readable() const;
  bool writable() const;
  // co_await: until writable() or `deadline`.
  class WritableAwaiter {
   public:
    WritableAwaiter(TcpStream& stream, sched::Time deadline) : stream_(stream), deadline_(deadline) {}
    bool await_ready() const { return stream_.writable(); }
    void await_suspend(std::coroutine_handle<> coroutine);
    bool await_resume();

   private:
    TcpStream& stream_;
    sched::Time deadline_;
    sched::Waiter waiter_{};
  };

  Stack& stack_;
  tcp::ConnectionId id_;
  bool closed_ = false;
  bool timed_out_ = false;
  sched::Waiter* reader_ = nullptr;
  sched::Time read_deadline_ = protocols::never;
  sched::Waiter* writer_ = nullptr;
  sched::Time write_deadline_ = protocols::never;
  TcpStream* next_ = nullptr;
};

}  // namespace cairn::net
