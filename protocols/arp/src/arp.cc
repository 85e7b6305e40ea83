// ARP packets (arp.h).
#include "cairn/protocols/arp/arp.h"

namespace cairn::protocols::arp {

namespace {

constexpr uint16_t hardware_ethernet = 1;
constexpr uint16_t protocol_ipv4 = 0x0800;

}  // namespace

Result<Packet> parse(ByteView bytes) {
  if (bytes.size() < packet_size) return Error::truncated;
  const uint8_t* p = bytes.data();
  if (load_be16(p) != hardware_ethernet || load_be16(p + 2) != protocol_ipv4 || p[4] != 6 || p[5] != 4) {
    return Error::bad_format;
  }
  uint16_t operation = load_be16(p + 6);
  if (operation != static_cast<uint16_t>(Operation::request) && operation != static_cast<uint16_t>(Operation::reply)) {
    return Error::bad_format;
  }
  Packet packet;
  packet.operation = static_cast<Operation>(operation);
  packet.sender_mac = MacAddress::load(p + 8);
  packet.sender_address = Ipv4Address::load(p + 14);
  packet.target_mac = MacAddress::load(p + 18);
  packet.target_address = Ipv4Address::load(p + 24);
  return packet;
}

void write(uint8_t* out, const Packet& packet) {
  store_be16(out, hardware_ethernet);
  store_be16(out + 2, protocol_ipv4);
  out[4] = 6;
  out[5] = 4;
  store_be16(out + 6, static_cast<uint16_t>(packet.operation));
  packet.sender_mac.store(out + 8);
  packet.sender_address.store(out + 14);
  packet.target_mac.store(out + 18);
  packet.target_address.store(out + 24);
}

Packet request(const MacAddress& own_mac, Ipv4Address own_address, Ipv4Address target) {
  return {Operation::request, own_mac, own_address, MacAddress(), target};
}

Packet reply_to(const Packet& request, const MacAddress& own_mac) {
  return {Operation::reply, own_mac, request.target_address, request.sender_mac, request.sender_address};
}

Packet announcement(const MacAddress& own_mac, Ipv4Address own_address) {
  return {Operation::request, own_mac, own_address, MacAddress(), own_address};
}

}  // namespace cairn::protocols::arp
