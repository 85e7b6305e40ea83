// Ethernet II framing (ethernet.h).
#include "cairn/protocols/ethernet/ethernet.h"

namespace cairn::protocols::ethernet {

namespace {

constexpr bool is_tag(uint16_t type) {
  return type == ether_type::vlan || type == ether_type::qinq || type == ether_type::qinq_legacy;
}

}  // namespace

Result<Frame> parse(ByteView bytes) {
  if (bytes.size() < header_size) return Error::truncated;
  Frame frame;
  frame.destination = MacAddress::load(bytes.data());
  frame.source = MacAddress::load(bytes.data() + 6);
  uint16_t type = load_be16(bytes.data() + 12);
  size_t offset = header_size;
  if (type == ether_type::vlan) {
    if (bytes.size() < header_size + vlan_tag_size) return Error::truncated;
    type = load_be16(bytes.data() + 16);  // after the tag control information
    offset += vlan_tag_size;
    frame.vlan_tagged = true;
  }
  // A (second) tag, or a length field (values up to 1500; 1501..1535 are undefined).
  if (is_tag(type) || type < 0x0600) return Error::unsupported;
  frame.ether_type = type;
  frame.payload = bytes.subspan(offset);
  return frame;
}

void write_header(uint8_t* out, const MacAddress& destination, const MacAddress& source, uint16_t ether_type) {
  destination.store(out);
  source.store(out + 6);
  store_be16(out + 12, ether_type);
}

}  // namespace cairn::protocols::ethernet
