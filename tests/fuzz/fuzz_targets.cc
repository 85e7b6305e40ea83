// The fuzz targets (fuzz_targets.h). Each parses hostile bytes and hands whatever parses to the
// state that would consume it, so that the fuzzer reaches the code behind the parser too. Inputs
// that hold several packets are read as records: a control byte (time step, flags) and a 16-bit
// length, then that many bytes. Every view a parser returns is read in full (`touch`) so that
// AddressSanitizer sees a view that points outside its input.
#include "fuzz_targets.h"

#include <cairn/protocols/arp/arp.h>
#include <cairn/protocols/arp/resolver.h>
#include <cairn/protocols/common/checksum.h>
#include <cairn/protocols/dhcp/client.h>
#include <cairn/protocols/dhcp/message.h>
#include <cairn/protocols/ethernet/ethernet.h>
#include <cairn/protocols/http/request.h>
#include <cairn/protocols/http/response.h>
#include <cairn/protocols/http/static_resource.h>
#include <cairn/protocols/icmp/icmp.h>
#include <cairn/protocols/ipv4/ipv4.h>
#include <cairn/protocols/ipv4/reassembly.h>
#include <cairn/protocols/netstack/interface.h>
#include <cairn/protocols/tcp/endpoints.h>
#include <cairn/protocols/tcp/segment.h>
#include <cairn/protocols/udp/sockets.h>
#include <cairn/protocols/udp/udp.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <vector>

namespace cairn::fuzz {

namespace {

using namespace cairn::protocols;  // NOLINT: the fuzz targets touch every layer

const MacAddress own_mac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
const Ipv4Address own = Ipv4Address::of(10, 0, 0, 1);
const Ipv4Address netmask = Ipv4Address::of(255, 255, 255, 0);
const Ipv4Address gateway = Ipv4Address::of(10, 0, 0, 254);

volatile std::uint8_t sink;

void touch(ByteView bytes) {
  std::uint8_t sum = 0;
  for (std::uint8_t byte : bytes) sum = static_cast<std::uint8_t>(sum + byte);
  sink = sum;
}

class Reader {
 public:
  Reader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

  bool empty() const { return at_ >= size_; }
  std::uint8_t byte() { return at_ < size_ ? data_[at_++] : 0; }
  std::uint16_t u16() { return static_cast<std::uint16_t>(byte() << 8 | byte()); }
  // The next record as its own heap copy, exactly sized, so that reads past it are caught.
  std::vector<std::uint8_t> record() {
    std::size_t size = u16();
    if (size > size_ - at_) size = size_ - at_;
    std::vector<std::uint8_t> bytes(data_ + at_, data_ + at_ + size);
    at_ += size;
    return bytes;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t at_ = 0;
};

ByteView view(const std::vector<std::uint8_t>& bytes) {
  return ByteView(bytes.data(), bytes.size());
}

}  // namespace

int fuzz_ethernet(const std::uint8_t* data, std::size_t size) {
  Result<ethernet::Frame> frame = ethernet::parse(ByteView(data, size));
  if (frame) {
    touch(frame->payload);
    sink = ethernet::accepts(frame->destination, own_mac) ? 1 : 0;
  }
  return 0;
}

int fuzz_arp(const std::uint8_t* data, std::size_t size) {
  Counters counters;
  arp::Resolver resolver(counters);
  resolver.configure(own_mac, own, netmask, gateway);
  Reader reader(data, size);
  Time now = seconds(1);
  while (!reader.empty()) {
    std::uint8_t control = reader.byte();
    now += static_cast<Time>(control >> 2) * milliseconds(500);
    std::vector<std::uint8_t> bytes = reader.record();
    if ((control & 1) != 0) {
      // Hold the record as a packet for a next hop the record's first byte picks.
      Ipv4Address next_hop = Ipv4Address::of(10, 0, 0, bytes.empty() ? 2 : bytes[0]);
      (void)resolver.hold(next_hop, view(bytes), now);
    } else {
      Result<arp::Packet> packet = arp::parse(view(bytes));
      arp::Packet reply;
      if (packet && resolver.input(packet.value(), now, reply)) {
        std::uint8_t out[arp::packet_size];
        arp::write(out, reply);
        touch(ByteView(out, sizeof out));
      }
    }
    MacAddress mac;
    ByteView released;
    while (resolver.take_resolved(mac, released)) touch(released);
    Ipv4Address due;
    while (resolver.take_due_request(now, due)) sink = static_cast<std::uint8_t>(due.value);
    if ((control & 2) != 0) sink = resolver.lookup(Ipv4Address::of(10, 0, 0, control), now, mac) ? 1 : 0;
  }
  return 0;
}

int fuzz_ipv4(const std::uint8_t* data, std::size_t size) {
  Counters counters;
  ipv4::Reassembler reassembler(counters);
  Reader reader(data, size);
  Time now = seconds(1);
  while (!reader.empty()) {
    now += static_cast<Time>(reader.byte()) * milliseconds(250);
    reassembler.on_timer(now);
    std::vector<std::uint8_t> bytes = reader.record();
    Result<ipv4::Packet> packet = ipv4::parse(view(bytes));
    if (!packet) continue;
    touch(packet->header_bytes);
    touch(packet->payload);
    if (packet->header.is_fragment()) {
      ByteView whole;
      Result<bool> added = reassembler.add(packet.value(), now, whole);
      if (added && added.value()) touch(whole);
    }
  }
  return 0;
}

int fuzz_icmp(const std::uint8_t* data, std::size_t size) {
  Result<icmp::Message> message = icmp::parse(ByteView(data, size));
  if (!message) return 0;
  touch(message->body);
  std::uint8_t header[icmp::header_size];
  if (message->type == icmp::type::echo_request) icmp::write_echo_reply_header(header, message.value());
  ByteView quoted = message->body.first(icmp::quoted_size(message->body.size()));
  icmp::write_unreachable_header(header, icmp::unreachable::port, quoted);
  touch(ByteView(header, sizeof header));
  return 0;
}

int fuzz_udp(const std::uint8_t* data, std::size_t size) {
  Reader reader(data, size);
  Ipv4Address source{static_cast<std::uint32_t>(reader.u16()) << 16 | reader.u16()};
  Ipv4Address destination{static_cast<std::uint32_t>(reader.u16()) << 16 | reader.u16()};
  std::vector<std::uint8_t> bytes(data + (size > 8 ? 8 : size), data + size);  // after the two addresses
  Result<udp::Datagram> datagram = udp::parse(view(bytes), source, destination);
  if (!datagram) return 0;
  touch(datagram->payload);
  Counters counters;
  udp::Sockets sockets(counters, 1);
  Result<udp::SocketId> socket = sockets.bind(datagram->destination_port, udp::Sockets::Options{2, 512});
  if (!socket) return 0;
  for (int i = 0; i < 3; ++i) {
    (void)sockets.deliver(datagram->destination_port, {source, datagram->source_port}, destination, datagram->payload);
  }
  udp::Received received;
  while (sockets.receive(socket.value(), received)) touch(received.payload);
  return 0;
}

int fuzz_dhcp(const std::uint8_t* data, std::size_t size) {
  Counters counters;
  dhcp::Client client(own_mac, 1, counters);
  Time now = seconds(1);
  client.start(now);
  std::uint8_t transaction[4] = {};
  auto drain = [&] {
    dhcp::Transmission transmission;
    while (client.take_transmission(transmission)) {
      touch(transmission.message);
      for (int i = 0; i < 4; ++i) transaction[i] = transmission.message[4 + static_cast<std::size_t>(i)];
    }
    while (client.take_event() != dhcp::Event::none) {
    }
  };
  drain();
  Reader reader(data, size);
  while (!reader.empty()) {
    std::uint8_t control = reader.byte();
    std::vector<std::uint8_t> bytes = reader.record();
    // The fuzzer cannot guess the transaction id or the MAC: patch them in when asked to.
    if ((control & 1) != 0 && bytes.size() >= 8) std::copy(transaction, transaction + 4, bytes.begin() + 4);
    if ((control & 2) != 0 && bytes.size() >= 34) std::copy(own_mac.bytes, own_mac.bytes + 6, bytes.begin() + 28);
    Result<dhcp::Message> message = dhcp::parse(view(bytes));
    if (message) sink = static_cast<std::uint8_t>(message->option_count);
    client.input(view(bytes), now);
    drain();
    if ((control & 4) != 0) {
      Time deadline = client.next_deadline();
      if (deadline != never) now = deadline > now ? deadline : now;
    } else {
      now += static_cast<Time>(control >> 3) * seconds(1);
    }
    client.on_timer(now);
    drain();
  }
  return 0;
}

int fuzz_netstack(const std::uint8_t* data, std::size_t size) {
  Reader reader(data, size);
  std::uint8_t setup = reader.byte();
  netstack::Config config;
  config.mac = own_mac;
  config.use_dhcp = (setup & 1) != 0;
  config.static_address = {own, netmask, gateway};
  config.random_seed = setup;
  auto net = std::make_unique<netstack::Interface>(config);
  Time now = seconds(1);
  net->start(now);
  Result<udp::SocketId> socket = net->bind(7, udp::Sockets::Options{4, 2048});
  auto drain = [&] {
    for (ByteView frame; net->next_output(frame);) touch(frame);
    for (netstack::Event event; net->next_event(event);) sink = static_cast<std::uint8_t>(event.kind);
    udp::Received received;
    while (socket && net->receive(socket.value(), received)) touch(received.payload);
  };
  drain();
  while (!reader.empty()) {
    std::uint8_t control = reader.byte();
    std::vector<std::uint8_t> frame = reader.record();
    now += static_cast<Time>(control >> 3) * milliseconds(300);
    if ((control & 1) != 0 && socket) {
      Ipv4Address destination = Ipv4Address::of(10, 0, (control & 2) != 0 ? 1 : 0, frame.empty() ? 2 : frame[0]);
      (void)net->send_to(socket.value(), {destination, 9}, view(frame), now);
    } else {
      net->input(view(frame), now);
    }
    if ((control & 4) != 0 || now >= net->next_deadline()) {
      Time deadline = net->next_deadline();
      if ((control & 4) != 0 && deadline != never && deadline > now) now = deadline;
      net->on_timer(now);
    }
    drain();
  }
  return 0;
}

// The HTTP server side: a first byte picks the limits (small ones reach every refusal), then
// records are pieces of the byte stream, appended to one bounded receive buffer as a server
// would; after each piece the parser runs until it needs more. Every head is answered through
// the static-resource decision, every refusal with an error response. The parser's promises are
// checked: consumed bytes and views stay within the buffer, a refusal names a status.
// TCP's input path: segments into a host's table with a listener (and one connection of its own
// open), between which the application reads, writes, closes or aborts and time moves. A
// record's control byte: bit 0 fixes the checksum and bit 1 sets the acknowledgment number to
// the end of what the host last sent, so that the fuzzer gets past both into the state machines;
// bits 2-3 the application's action on an accepted connection (1 read, 2 write, 3 close, or
// abort for an odd-sized record); bits 4-7 the time step. Every segment sent must parse back.
int fuzz_tcp(const std::uint8_t* data, std::size_t size) {
  Counters counters;
  tcp::EndpointsSettings settings;
  settings.max_connections = 4;
  settings.connection.send_buffer = 4096;
  settings.connection.receive_buffer = 2048;
  settings.connection.mss = 536;
  tcp::Endpoints endpoints(settings, tcp::SecretKey{7, 9}, counters);
  const Ipv4Address peer = Ipv4Address::of(10, 0, 0, 2);
  tcp::ListenerId listener = endpoints.listen(80, 2).value();
  Time now = seconds(1);
  (void)endpoints.connect(own, peer, 8080, now);
  std::vector<tcp::ConnectionId> accepted;
  std::uint8_t scratch[3000] = {};
  std::uint32_t sent_end = 0;  // SEQ + LEN of the last segment the host sent
  Reader reader(data, size);
  while (!reader.empty()) {
    std::uint8_t control = reader.byte();
    now += static_cast<Time>(control >> 4) * milliseconds(control >> 7 ? 900 : 5);
    std::vector<std::uint8_t> bytes = reader.record();
    if ((control & 2) != 0 && bytes.size() >= tcp::header_size) store_be32(bytes.data() + 8, sent_end);
    if ((control & 1) != 0 && bytes.size() >= tcp::header_size) {
      bytes[16] = bytes[17] = 0;
      Checksum sum;
      sum.add32(peer.value);
      sum.add32(own.value);
      sum.add16(tcp::protocol_number);
      sum.add16(static_cast<std::uint16_t>(bytes.size()));
      sum.add(view(bytes));
      store_be16(bytes.data() + 16, sum.finish());
    }
    Result<tcp::Segment> segment = tcp::parse(view(bytes), peer, own);
    if (segment) {
      touch(segment->payload);
      endpoints.input(segment.value(), peer, own, now);
    }
    if (now >= endpoints.next_deadline()) endpoints.on_timer(now);
    for (tcp::ConnectionId id; endpoints.accept(listener, id);) accepted.push_back(id);
    int action = control >> 2 & 3;
    if (action != 0 && !accepted.empty()) {
      tcp::ConnectionId id = accepted[bytes.size() % accepted.size()];
      if (tcp::Connection* connection = endpoints.connection(id)) {
        if (action == 1) {
          sink = static_cast<std::uint8_t>(connection->read(MutableByteView(scratch, 100 + bytes.size() % 2000)));
        } else if (action == 2) {
          sink = static_cast<std::uint8_t>(connection->write(ByteView(scratch, bytes.size() * 7 % sizeof scratch)));
        } else if (bytes.size() % 2 == 0) {
          connection->close(now);
        } else {
          connection->abort();
          endpoints.release(id);
        }
      }
    }
    tcp::Transmit out;
    for (int count = 0; count < 200 && endpoints.next_output(out, now); ++count) {
      std::uint8_t header[tcp::max_header_size];
      std::size_t header_size = tcp::write_header(header, out.segment, out.source, out.destination);
      std::vector<std::uint8_t> wire(header, header + header_size);
      wire.insert(wire.end(), out.segment.payload.begin(), out.segment.payload.end());
      if (!tcp::parse(view(wire), out.source, out.destination)) __builtin_trap();  // we wrote garbage
      sent_end = out.segment.sequence + out.segment.length();
    }
  }
  return 0;
}

int fuzz_http(const std::uint8_t* data, std::size_t size) {
  Reader reader(data, size);
  std::uint8_t setup = reader.byte();
  http::RequestParser::Settings settings;
  if ((setup & 1) != 0) {
    settings.max_request_line = 64;
    settings.max_header_bytes = 128;
    settings.max_header_count = 4;
    settings.max_empty_lines = 1;
    settings.max_body_size = 64;
    settings.max_chunk_line = 16;
    settings.max_trailer_bytes = 32;
  }
  http::RequestParser parser(settings);
  const std::size_t capacity = parser.buffer_size_needed();
  std::vector<std::uint8_t> buffer;  // the connection's receive buffer, never over `capacity`
  static const std::uint8_t identity[] = "<html>identity bytes of the resource, longer than its gzip</html>";
  static const std::uint8_t gzip[] = "gzip bytes";
  http::StaticResource resource;
  resource.content_type = http::text("text/html");
  resource.etag = http::text("\"v1\"");
  resource.identity = ByteView(identity, sizeof identity - 1);
  if ((setup & 2) != 0) resource.gzip = ByteView(gzip, sizeof gzip - 1);
  resource.has_last_modified = (setup & 4) != 0;
  resource.last_modified = 784111777;
  std::uint8_t head[1024];
  while (!reader.empty()) {
    reader.byte();  // control: reserved
    std::vector<std::uint8_t> piece = reader.record();
    std::size_t room = capacity - buffer.size();
    buffer.insert(buffer.end(), piece.begin(), piece.begin() + static_cast<long>(std::min(room, piece.size())));
    for (;;) {
      ByteView buffered = view(buffer);
      Result<http::ParseStep> step = parser.parse(buffered);
      if (!step) {
        const http::Failure& failure = parser.failure();
        if (failure.status < 400 || failure.status > 505) std::abort();
        Result<std::size_t> written = http::write_error_response(head, failure.status, setup, "cairn");
        if (!written) std::abort();
        touch(ByteView(head, written.value()));
        return 0;
      }
      if (step->consumed > buffered.size()) std::abort();
      if (step->kind == http::ParseStep::Kind::head) {
        const http::Request& request = step->request;
        touch(request.target);
        for (std::size_t i = 0; i < request.field_count; ++i) {
          touch(request.fields[i].name);
          touch(request.fields[i].value);
        }
        Result<http::StaticResponse> response = http::respond_static(request, resource, {setup, "cairn"}, head);
        if (!response) std::abort();  // every head fits 1 KiB
        touch(ByteView(head, response->head_size));
        touch(response->body);
      } else if (step->kind == http::ParseStep::Kind::body) {
        if (step->body.empty() || step->body.data() < buffered.data() ||
            step->body.data() + step->body.size() > buffered.data() + step->consumed) {
          std::abort();
        }
        touch(step->body);
      }
      buffer.erase(buffer.begin(), buffer.begin() + static_cast<long>(step->consumed));
      if (step->kind == http::ParseStep::Kind::need_more) {
        // Limits trip before the buffer fills: a full buffer that needs more is a parser bug.
        if (buffer.size() == capacity) std::abort();
        break;
      }
    }
  }
  return 0;
}

}  // namespace cairn::fuzz
