// UDP datagrams (udp.h).
#include "cairn/protocols/udp/udp.h"

#include "cairn/protocols/common/checksum.h"

namespace cairn::protocols::udp {

namespace {

constexpr uint8_t protocol_udp = 17;

}  // namespace

uint16_t checksum(Ipv4Address source, Ipv4Address destination, const uint8_t* header, ByteView payload) {
  Checksum sum;
  sum.add32(source.value);
  sum.add32(destination.value);
  sum.add16(protocol_udp);
  sum.add16(static_cast<uint16_t>(header_size + payload.size()));
  sum.add(ByteView(header, header_size));
  sum.add(payload);
  return sum.finish();
}

Result<Datagram> parse(ByteView bytes, Ipv4Address source, Ipv4Address destination) {
  if (bytes.size() < header_size) return Error::truncated;
  const uint8_t* p = bytes.data();
  uint16_t length = load_be16(p + 4);
  if (length < header_size || length > bytes.size()) return Error::bad_length;
  Datagram datagram;
  datagram.source_port = load_be16(p);
  datagram.destination_port = load_be16(p + 2);
  datagram.payload = bytes.subspan(header_size, length - header_size);
  if (load_be16(p + 6) != 0) {
    // Summing the header with its checksum field in place verifies to 0.
    Checksum sum;
    sum.add32(source.value);
    sum.add32(destination.value);
    sum.add16(protocol_udp);
    sum.add16(length);
    sum.add(bytes.first(length));
    if (sum.finish() != 0) return Error::bad_checksum;
  }
  return datagram;
}

void write_header(uint8_t* out, const Endpoint& source, const Endpoint& destination, ByteView payload) {
  store_be16(out, source.port);
  store_be16(out + 2, destination.port);
  store_be16(out + 4, static_cast<uint16_t>(header_size + payload.size()));
  store_be16(out + 6, 0);
  uint16_t sum = checksum(source.address, destination.address, out, payload);
  store_be16(out + 6, sum != 0 ? sum : 0xffff);
}

}  // namespace cairn::protocols::udp
