// TCP listeners and streams of a Stack (tcp.h), and the Stack's side of waking them.
#include "cairn/net/tcp.h"

#include <cairn/runtime/print.h>

namespace cairn::net {

// --- the Stack's side ------------------------------------------------------------------------

bool Stack::wake_tcp(sched::Time now) {
  bool woke = false;
  for (TcpListener* listener = listeners_; listener != nullptr; listener = listener->next_) {
    if (listener->waiter_ != nullptr && interface_.tcp().acceptable(listener->id_)) {
      sched::scheduler().make_ready(*listener->waiter_);
      listener->waiter_ = nullptr;
      woke = true;
    }
  }
  for (TcpStream* stream = streams_; stream != nullptr; stream = stream->next_) {
    if (stream->reader_ != nullptr && (stream->readable() || now >= stream->read_deadline_)) {
      sched::scheduler().make_ready(*stream->reader_);
      stream->reader_ = nullptr;
      woke = true;
    }
    if (stream->writer_ != nullptr && (stream->writable() || now >= stream->write_deadline_)) {
      sched::scheduler().make_ready(*stream->writer_);
      stream->writer_ = nullptr;
      woke = true;
    }
  }
  return woke;
}

sched::Time Stack::tcp_deadline() const {
  sched::Time deadline = protocols::never;
  for (const TcpStream* stream = streams_; stream != nullptr; stream = stream->next_) {
    if (stream->reader_ != nullptr && stream->read_deadline_ < deadline) deadline = stream->read_deadline_;
    if (stream->writer_ != nullptr && stream->write_deadline_ < deadline) deadline = stream->write_deadline_;
  }
  return deadline;
}

// --- listeners -------------------------------------------------------------------------------

TcpListener::TcpListener(Stack& stack) : stack_(stack), next_(stack.listeners_) {
  stack.listeners_ = this;
}

TcpListener::~TcpListener() {
  if (listening_) stack_.interface_.tcp().close_listener(id_);
  for (TcpListener** link = &stack_.listeners_; *link != nullptr; link = &(*link)->next_) {
    if (*link == this) {
      *link = next_;
      break;
    }
  }
  stack_.flush();
}

Status TcpListener::listen(uint16_t port, uint16_t backlog) {
  if (listening_) return protocols::Error::bad_argument;
  protocols::Result<tcp::ListenerId> id = stack_.interface_.tcp().listen(port, backlog);
  if (!id.ok()) return id.error();
  id_ = id.value();
  listening_ = true;
  return {};
}

bool TcpListener::AcceptAwaiter::await_ready() const {
  return listener_.listening_ && listener_.stack_.interface_.tcp().acceptable(listener_.id_);
}

tcp::ConnectionId TcpListener::AcceptAwaiter::await_resume() {
  tcp::ConnectionId id;
  // Only the stack task wakes an acceptor, and only for a listener with a connection waiting.
  if (!listener_.stack_.interface_.tcp().accept(listener_.id_, id)) runtime::panic("net: accept woke with nothing");
  return id;
}

// --- streams ---------------------------------------------------------------------------------

TcpStream::TcpStream(Stack& stack, tcp::ConnectionId id) : stack_(stack), id_(id), next_(stack.streams_) {
  stack.streams_ = this;
}

TcpStream::~TcpStream() {
  stack_.interface_.tcp().release(id_);
  for (TcpStream** link = &stack_.streams_; *link != nullptr; link = &(*link)->next_) {
    if (*link == this) {
      *link = next_;
      break;
    }
  }
  stack_.flush();
}

tcp::Connection* TcpStream::live() {
  return stack_.interface_.tcp().connection(id_);
}

const tcp::Connection* TcpStream::connection() const {
  return stack_.interface_.tcp().connection(id_);
}

bool TcpStream::readable() const {
  const tcp::Connection* connection = this->connection();
  return connection == nullptr || connection->readable_bytes() > 0 || connection->at_end_of_stream() ||
         connection->state() == tcp::State::closed;
}

bool TcpStream::writable() const {
  const tcp::Connection* connection = this->connection();
  return connection == nullptr || !connection->can_write() || connection->writable_space() > 0;
}

bool TcpStream::ReadAwaiter::await_ready() const {
  return stream_.readable() || sched::now() >= deadline_;
}

void TcpStream::ReadAwaiter::await_suspend(std::coroutine_handle<> coroutine) {
  waiter_.coroutine = coroutine;
  stream_.reader_ = &waiter_;
  stream_.read_deadline_ = deadline_;
  stream_.stack_.flush();  // the stack task must wake for this deadline
}

size_t TcpStream::ReadAwaiter::await_resume() {
  stream_.reader_ = nullptr;
  tcp::Connection* connection = stream_.live();
  size_t count = connection != nullptr ? connection->read(buffer_) : 0;
  stream_.timed_out_ = count == 0 && connection != nullptr && connection->readable_bytes() == 0 &&
                       !connection->at_end_of_stream() && connection->state() != tcp::State::closed;
  if (count > 0) stream_.stack_.flush();  // a window update, when reading opened the window enough
  return count;
}

void TcpStream::WritableAwaiter::await_suspend(std::coroutine_handle<> coroutine) {
  waiter_.coroutine = coroutine;
  stream_.writer_ = &waiter_;
  stream_.write_deadline_ = deadline_;
  stream_.stack_.flush();
}

bool TcpStream::WritableAwaiter::await_resume() {
  stream_.writer_ = nullptr;
  return stream_.writable();
}

sched::Task<size_t> TcpStream::write(ByteView data, sched::Time deadline) {
  size_t total = 0;
  timed_out_ = false;
  while (total < data.size()) {
    tcp::Connection* connection = live();
    if (connection == nullptr || !connection->can_write()) break;
    size_t taken = connection->write(data.subspan(total));
    total += taken;
    if (taken > 0) stack_.flush();
    if (total == data.size()) break;
    if (sched::now() >= deadline || !co_await WritableAwaiter(*this, deadline)) {
      timed_out_ = true;
      break;
    }
  }
  co_return total;
}

void TcpStream::close() {
  tcp::Connection* connection = live();
  if (connection == nullptr || closed_) return;
  closed_ = true;
  connection->close(sched::now());
  stack_.flush();
}

void TcpStream::set_nagle(bool on) {
  if (tcp::Connection* connection = live()) connection->set_nagle(on);
}

void TcpStream::abort() {
  tcp::Connection* connection = live();
  if (connection == nullptr) return;
  closed_ = true;
  connection->abort();
  stack_.flush();
}

}  // namespace cairn::net
