// http-static: a static web site as a unikernel. `cairn build` bakes the folder `site/` into the
// image (<cairn/assets.h>: each file's bytes, content type, SHA-256 ETag and gzip form); this app
// serves it over HTTP/1.1 on port 80 with keep-alive and pipelining, conditional requests,
// ranges and gzip (protocols/http), on TCP (protocols/tcp) and an address from DHCP or
// `--ipv4 A.B.C.D/N [--gateway A.B.C.D]`. One console line per request:
//
//   http-static: 10.0.0.1 GET /index.html 200 1532
//
// "/" and paths ending in "/" serve the index.html below them; a query string is ignored.
// Bounds: 256 connections; a request head must arrive within 10 s of its first byte (slowloris),
// an idle keep-alive connection closes after 15 s, and a response that makes no progress for 30 s
// (a peer that keeps its window shut) is reset.
#include <cairn/assets.h>
#include <cairn/devices.h>
#include <cairn/net/setup.h>
#include <cairn/net/stack.h>
#include <cairn/net/tcp.h>
#include <cairn/protocols/http/request.h>
#include <cairn/protocols/http/response.h>
#include <cairn/protocols/http/static_resource.h>
#include <cairn/runtime/app.h>
#include <cairn/runtime/heap.h>
#include <cairn/runtime/print.h>
#include <cairn/sched/scheduler.h>
#include <cairn/solo5.h>

#include <new>

namespace {

using cairn::runtime::print;
namespace net = cairn::net;
namespace sched = cairn::sched;
namespace http = cairn::protocols::http;
namespace tcp = cairn::protocols::tcp;
using cairn::protocols::ByteView;
using cairn::protocols::MutableByteView;

constexpr const char* program = "http-static";
constexpr uint16_t http_port = 80;
constexpr uint16_t backlog = 64;
constexpr sched::Duration head_timeout = sched::seconds(10);
constexpr sched::Duration idle_timeout = sched::seconds(15);
constexpr sched::Duration send_timeout = sched::seconds(30);

ByteView text(const char* value) {
  size_t size = 0;
  while (value[size] != '\0') ++size;
  return ByteView(reinterpret_cast<const uint8_t*>(value), size);
}

uint64_t wall_seconds() {
  return solo5_clock_wall() / 1000000000u;
}

// Says on the console when the heap's peak grew by 256 KiB since it last said (benchmarks read it).
void report_heap_peak() {
  static size_t reported = 0;
  const cairn::runtime::Heap& heap = cairn::runtime::global_heap();
  if (heap.peak_bytes_in_use() < reported + 256 * 1024) return;
  reported = heap.peak_bytes_in_use();
  print("{}: heap peak {} bytes of {}\n", program, reported, heap.capacity());
}

// The asset a request target names: its path without the query, "index.html" after a final "/",
// %XX decoded. nullptr when there is none (or the target cannot be decoded).
const cairn::assets::File* find_asset(ByteView target) {
  char path[1024];
  size_t length = 0;
  for (size_t i = 0; i < target.size() && target[i] != '?' && target[i] != '#'; ++i) {
    uint8_t byte = target[i];
    if (byte == '%') {
      if (i + 2 >= target.size()) return nullptr;
      auto hex = [](uint8_t digit) -> int {
        if (digit >= '0' && digit <= '9') return digit - '0';
        if (digit >= 'a' && digit <= 'f') return digit - 'a' + 10;
        if (digit >= 'A' && digit <= 'F') return digit - 'A' + 10;
        return -1;
      };
      int high = hex(target[i + 1]), low = hex(target[i + 2]);
      if (high < 0 || low < 0) return nullptr;
      byte = static_cast<uint8_t>(high * 16 + low);
      i += 2;
    }
    if (byte == 0 || length + 1 >= sizeof path - 10) return nullptr;
    path[length++] = static_cast<char>(byte);
  }
  if (length == 0 || path[0] != '/') return nullptr;
  if (path[length - 1] == '/') {
    for (const char* index = "index.html"; *index != '\0'; ++index) path[length++] = *index;
  }
  return cairn::assets::find(path, length);
}

// `view` as a printable C string for the log (cut at 200 bytes).
struct Printable {
  explicit Printable(ByteView view) {
    size_t n = view.size() < sizeof text - 1 ? view.size() : sizeof text - 1;
    for (size_t i = 0; i < n; ++i) text[i] = view[i] >= 0x20 && view[i] < 0x7f ? static_cast<char>(view[i]) : '?';
    text[n] = '\0';
  }
  char text[201];
};

void log_request(const tcp::Connection* connection, const http::Request& request, uint16_t status, uint64_t bytes) {
  uint32_t a = connection != nullptr ? connection->tuple().remote_address.value : 0;
  print("{}: {}.{}.{}.{} {} {} {} {}\n", program, a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255,
        Printable(request.method_token).text, Printable(request.target).text, status, bytes);
}

// Answers `request` into `stream`; false when the connection must close after it.
sched::Task<bool> respond(net::TcpStream& stream, const http::Request& request) {
  uint8_t head[1024];
  const cairn::assets::File* file =
      request.target_form == http::TargetForm::origin ? find_asset(request.target) : nullptr;
  http::ResponseContext context{wall_seconds(), program};
  if (file == nullptr) {
    static const char not_found[] = "not found\n";
    bool is_head = request.method == http::Method::head;
    uint16_t status = request.method == http::Method::get || is_head ? 404 : 405;
    http::ResponseWriter writer(MutableByteView(head, sizeof head));
    writer.status_line(status);
    writer.date(context.now);
    writer.field("Server", program);
    if (status == 405) writer.field("Allow", "GET, HEAD");
    writer.field("Content-Type", "text/plain; charset=utf-8");
    writer.field_number("Content-Length", sizeof not_found - 1);
    if (!request.keep_alive) writer.field("Connection", "close");
    cairn::protocols::Result<size_t> size = writer.finish();
    if (!size.ok()) co_return false;
    co_await stream.write(ByteView(head, size.value()), sched::now() + send_timeout);
    if (!is_head) co_await stream.write(text(not_found), sched::now() + send_timeout);
    log_request(stream.connection(), request, status, is_head ? 0 : sizeof not_found - 1);
    co_return request.keep_alive && !stream.timed_out();
  }

  http::StaticResource resource;
  resource.content_type = text(file->content_type);
  resource.etag = text(file->etag);
  resource.identity = ByteView(file->data, file->size);
  if (file->gzip != nullptr) resource.gzip = ByteView(file->gzip, file->gzip_size);
  cairn::protocols::Result<http::StaticResponse> response =
      http::respond_static(request, resource, context, MutableByteView(head, sizeof head));
  if (!response.ok()) co_return false;
  size_t sent = co_await stream.write(ByteView(head, response->head_size), sched::now() + send_timeout);
  size_t body = 0;
  // The body in pieces, so that the send deadline means "no progress for 30 s", not "all of it".
  constexpr size_t piece = 64 * 1024;
  for (size_t at = 0; sent == response->head_size && at < response->body.size(); at += piece) {
    ByteView part = response->body.subspan(at, response->body.size() - at < piece ? response->body.size() - at : piece);
    size_t written = co_await stream.write(part, sched::now() + send_timeout);
    body += written;
    if (written < part.size()) break;
  }
  log_request(stream.connection(), request, response->status, body);
  if (body < response->body.size() || stream.timed_out()) {
    stream.abort();
    co_return false;
  }
  co_return request.keep_alive && !response->close;
}

sched::Task<void> serve(net::Stack& stack, tcp::ConnectionId id) {
  net::TcpStream stream(stack, id);
  stream.set_nagle(false);  // a response's head and body go out at once, not a delayed ACK apart
  http::RequestParser parser;
  size_t capacity = parser.buffer_size_needed();
  uint8_t* buffer = new (std::nothrow_t{}) uint8_t[capacity];
  if (buffer == nullptr) {
    stream.abort();
    co_return;
  }
  size_t buffered = 0;
  bool open = true;
  bool in_head = false;  // some bytes of the next request's head have arrived
  sched::Time deadline = sched::now() + idle_timeout;
  while (open) {
    cairn::protocols::Result<http::ParseStep> step = parser.parse(ByteView(buffer, buffered));
    if (!step.ok()) {
      uint8_t reply[256];
      cairn::protocols::Result<size_t> size = http::write_error_response(
          MutableByteView(reply, sizeof reply), parser.failure().status, wall_seconds(), program);
      if (size.ok()) co_await stream.write(ByteView(reply, size.value()), sched::now() + send_timeout);
      print("{}: refused a request: {} ({})\n", program, parser.failure().status,
            http::describe(parser.failure().problem));
      break;
    }
    size_t consumed = step->consumed;
    switch (step->kind) {
      case http::ParseStep::Kind::need_more: {
        if (!in_head && buffered > 0) {
          in_head = true;
          deadline = sched::now() + head_timeout;
        }
        size_t n = co_await stream.read(MutableByteView(buffer + buffered, capacity - buffered), deadline);
        if (n == 0) open = false;  // end of stream, reset, or a deadline
        buffered += n;
        if (!in_head && buffered > 0) {
          in_head = true;
          deadline = sched::now() + head_timeout;
        }
        break;
      }
      case http::ParseStep::Kind::head:
        // Answered at once; a body that follows is read and dropped (no resource takes one).
        open = co_await respond(stream, step->request);
        in_head = false;
        deadline = sched::now() + idle_timeout;
        break;
      case http::ParseStep::Kind::body:
      case http::ParseStep::Kind::end: break;
    }
    if (consumed > 0) {
      __builtin_memmove(buffer, buffer + consumed, buffered - consumed);
      buffered -= consumed;
    }
  }
  stream.close();
  delete[] buffer;
  // How TCP coped, for connections that had to retransmit (the loss tests read it).
  if (const tcp::Connection* connection = stream.connection(); connection != nullptr) {
    const tcp::ConnectionStats& stats = connection->stats();
    if (stats.retransmitted_segments > 0) {
      print("{}: tcp {}: {} segments sent, {} retransmitted, {} timeouts, {} fast recoveries\n", program,
            connection->tuple().remote_port, stats.segments_sent, stats.retransmitted_segments, stats.timeouts,
            stats.fast_retransmits);
    }
  }
  report_heap_peak();
}

sched::Task<int> serve_site(cairn::Arguments arguments) {
  net::netstack::Config config;
  if (!net::configure_from_arguments(arguments, config, program)) co_return 2;
  config.tcp.max_connections = 256;
  config.tcp.connection.send_buffer = 128 * 1024;
  config.tcp.connection.receive_buffer = 32 * 1024;
  net::Stack* stack = net::Stack::open(cairn::devices::service0, config);
  if (stack == nullptr) {
    print("{}: no network device 'service0' (run with --net:service0=TAP)\n", program);
    co_return 1;
  }
  uint64_t bytes = 0;
  for (unsigned long i = 0; i < cairn::assets::file_count; ++i) bytes += cairn::assets::files[i].size;
  print("{}: {} files, {} bytes; TCP keys from {}\n", program, cairn::assets::file_count, bytes,
        cairn::runtime::describe(stack->entropy_source()));
  sched::spawn(net::report_addresses(*stack, config.use_dhcp, program));
  sched::spawn(stack->run());

  net::TcpListener listener(*stack);
  if (!listener.listen(http_port, backlog).ok()) {
    print("{}: cannot listen on TCP port {}\n", program, http_port);
    co_return 1;
  }
  for (;;) {
    tcp::ConnectionId id = co_await listener.accept();
    sched::spawn(serve(*stack, id));
  }
}

}  // namespace

int cairn::app_main(cairn::Arguments arguments) {
  return sched::run(serve_site(arguments));
}
