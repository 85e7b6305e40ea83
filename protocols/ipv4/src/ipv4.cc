// IPv4 headers (ipv4.h).
#include "cairn/protocols/ipv4/ipv4.h"

#include "cairn/protocols/common/checksum.h"

namespace cairn::protocols::ipv4 {

namespace {

constexpr uint16_t flag_dont_fragment = 0x4000;
constexpr uint16_t flag_more_fragments = 0x2000;
constexpr uint16_t offset_mask = 0x1fff;

}  // namespace

Result<Packet> parse(ByteView bytes) {
  if (bytes.size() < header_size) return Error::truncated;
  const uint8_t* p = bytes.data();
  if ((p[0] >> 4) != 4) return Error::bad_version;
  size_t header_length = static_cast<size_t>(p[0] & 0x0f) * 4;
  if (header_length < header_size || header_length > bytes.size()) return Error::bad_header_length;
  uint16_t total_length = load_be16(p + 2);
  if (total_length < header_length || total_length > bytes.size()) return Error::bad_length;
  if (internet_checksum(bytes.first(header_length)) != 0) return Error::bad_checksum;

  Packet packet;
  Header& header = packet.header;
  header.header_length = static_cast<uint8_t>(header_length);
  header.type_of_service = p[1];
  header.total_length = total_length;
  header.identification = load_be16(p + 4);
  uint16_t flags_and_offset = load_be16(p + 6);
  header.dont_fragment = (flags_and_offset & flag_dont_fragment) != 0;
  header.more_fragments = (flags_and_offset & flag_more_fragments) != 0;
  header.fragment_offset = static_cast<uint16_t>((flags_and_offset & offset_mask) * 8);
  header.ttl = p[8];
  header.protocol = p[9];
  header.source = Ipv4Address::load(p + 12);
  header.destination = Ipv4Address::load(p + 16);
  packet.header_bytes = bytes.first(header_length);
  packet.payload = bytes.subspan(header_length, total_length - header_length);
  return packet;
}

void write_header(uint8_t* out, const Header& header) {
  out[0] = 0x45;
  out[1] = header.type_of_service;
  store_be16(out + 2, header.total_length);
  store_be16(out + 4, header.identification);
  uint16_t flags_and_offset = static_cast<uint16_t>((header.fragment_offset / 8) & offset_mask);
  if (header.dont_fragment) flags_and_offset |= flag_dont_fragment;
  if (header.more_fragments) flags_and_offset |= flag_more_fragments;
  store_be16(out + 6, flags_and_offset);
  out[8] = header.ttl != 0 ? header.ttl : default_ttl;  // never send TTL 0 (RFC 1122 3.2.1.7)
  out[9] = header.protocol;
  store_be16(out + 10, 0);
  header.source.store(out + 12);
  header.destination.store(out + 16);
  store_be16(out + 10, internet_checksum(ByteView(out, header_size)));
}

}  // namespace cairn::protocols::ipv4
