// Hand-built packets for the protocol tests, assembled field by field from the RFC layouts with a
// naive checksum of their own, so that a test never checks the code under test against itself.
#pragma once

#include <cairn/protocols/common/addresses.h>
#include <cairn/protocols/common/bytes.h>
#include <cairn/protocols/common/result.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::protocols {

// gtest prints errors and addresses by name.
inline void PrintTo(Error error, std::ostream* out) {
  *out << describe(error);
}
inline void PrintTo(const Ipv4Address& address, std::ostream* out) {
  *out << (address.value >> 24) << '.' << (address.value >> 16 & 0xff) << '.' << (address.value >> 8 & 0xff) << '.'
       << (address.value & 0xff);
}

}  // namespace cairn::protocols

namespace cairn::protocols::testing {

using Bytes = std::vector<std::uint8_t>;

inline ByteView view(const Bytes& bytes) {
  return ByteView(bytes.data(), bytes.size());
}
inline Bytes bytes_of(ByteView view) {
  return Bytes(view.begin(), view.end());
}
inline Bytes bytes_of(std::string_view text) {
  return Bytes(text.begin(), text.end());
}

// "45 00 00 54" or "45000054" -> bytes. Spaces and newlines are ignored.
inline Bytes hex(std::string_view text) {
  Bytes out;
  int high = -1;
  for (char c : text) {
    int value;
    if (c >= '0' && c <= '9') {
      value = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      value = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      value = c - 'A' + 10;
    } else {
      continue;
    }
    if (high < 0) {
      high = value;
    } else {
      out.push_back(static_cast<std::uint8_t>(high << 4 | value));
      high = -1;
    }
  }
  return out;
}

// RFC 1071's definition, word by word, with the end-around carry after every addition.
inline std::uint16_t naive_checksum(const Bytes& data) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < data.size(); i += 2) {
    std::uint32_t word = static_cast<std::uint32_t>(data[i]) << 8;
    if (i + 1 < data.size()) word |= data[i + 1];
    sum += word;
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

inline void put16(Bytes& out, std::uint16_t value) {
  out.push_back(static_cast<std::uint8_t>(value >> 8));
  out.push_back(static_cast<std::uint8_t>(value));
}
inline void put32(Bytes& out, std::uint32_t value) {
  put16(out, static_cast<std::uint16_t>(value >> 16));
  put16(out, static_cast<std::uint16_t>(value));
}
inline void put(Bytes& out, const MacAddress& mac) {
  out.insert(out.end(), mac.bytes, mac.bytes + 6);
}
inline void put(Bytes& out, Ipv4Address address) {
  put32(out, address.value);
}
inline void append(Bytes& out, const Bytes& more) {
  out.insert(out.end(), more.begin(), more.end());
}
inline std::uint16_t get16(const Bytes& bytes, std::size_t at) {
  return static_cast<std::uint16_t>(bytes.at(at) << 8 | bytes.at(at + 1));
}

inline Bytes ethernet_frame(const MacAddress& destination, const MacAddress& source, std::uint16_t type,
                            const Bytes& payload) {
  Bytes frame;
  put(frame, destination);
  put(frame, source);
  put16(frame, type);
  append(frame, payload);
  return frame;
}

inline Bytes arp_packet(std::uint16_t operation, const MacAddress& sender_mac, Ipv4Address sender,
                        const MacAddress& target_mac, Ipv4Address target) {
  Bytes packet;
  put16(packet, 1);       // Ethernet
  put16(packet, 0x0800);  // IPv4
  packet.push_back(6);
  packet.push_back(4);
  put16(packet, operation);
  put(packet, sender_mac);
  put(packet, sender);
  put(packet, target_mac);
  put(packet, target);
  return packet;
}

struct Ipv4Fields {
  std::uint8_t ttl = 64;
  std::uint16_t identification = 0x1234;
  std::uint16_t flags_and_offset = 0;  // as on the wire: 0x2000 = MF, offset in 8-byte units
  Bytes options;                       // appended after the 20 bytes; a multiple of 4
};

inline Bytes ipv4_packet(Ipv4Address source, Ipv4Address destination, std::uint8_t protocol, const Bytes& payload,
                         const Ipv4Fields& fields = {}) {
  Bytes packet;
  std::size_t header_length = 20 + fields.options.size();
  packet.push_back(static_cast<std::uint8_t>(0x40 | header_length / 4));
  packet.push_back(0);
  put16(packet, static_cast<std::uint16_t>(header_length + payload.size()));
  put16(packet, fields.identification);
  put16(packet, fields.flags_and_offset);
  packet.push_back(fields.ttl);
  packet.push_back(protocol);
  put16(packet, 0);
  put(packet, source);
  put(packet, destination);
  append(packet, fields.options);
  std::uint16_t sum = naive_checksum(packet);
  packet[10] = static_cast<std::uint8_t>(sum >> 8);
  packet[11] = static_cast<std::uint8_t>(sum);
  append(packet, payload);
  return packet;
}

// Recomputes the IPv4 header checksum after a test changed header bytes.
inline void fix_ipv4_checksum(Bytes& packet, std::size_t at = 0) {
  std::size_t header_length = static_cast<std::size_t>(packet[at] & 0x0f) * 4;
  packet[at + 10] = packet[at + 11] = 0;
  std::uint16_t sum = naive_checksum(
      Bytes(packet.begin() + static_cast<long>(at), packet.begin() + static_cast<long>(at + header_length)));
  packet[at + 10] = static_cast<std::uint8_t>(sum >> 8);
  packet[at + 11] = static_cast<std::uint8_t>(sum);
}

inline Bytes udp_datagram(Ipv4Address source, std::uint16_t source_port, Ipv4Address destination,
                          std::uint16_t destination_port, const Bytes& payload, bool with_checksum = true) {
  Bytes datagram;
  put16(datagram, source_port);
  put16(datagram, destination_port);
  put16(datagram, static_cast<std::uint16_t>(8 + payload.size()));
  put16(datagram, 0);
  append(datagram, payload);
  if (with_checksum) {
    Bytes pseudo;
    put(pseudo, source);
    put(pseudo, destination);
    put16(pseudo, 17);
    put16(pseudo, static_cast<std::uint16_t>(datagram.size()));
    append(pseudo, datagram);
    std::uint16_t sum = naive_checksum(pseudo);
    if (sum == 0) sum = 0xffff;
    datagram[6] = static_cast<std::uint8_t>(sum >> 8);
    datagram[7] = static_cast<std::uint8_t>(sum);
  }
  return datagram;
}

inline Bytes icmp_message(std::uint8_t type, std::uint8_t code, std::uint32_t rest, const Bytes& body) {
  Bytes message{type, code, 0, 0};
  put32(message, rest);
  append(message, body);
  std::uint16_t sum = naive_checksum(message);
  message[2] = static_cast<std::uint8_t>(sum >> 8);
  message[3] = static_cast<std::uint8_t>(sum);
  return message;
}

inline Bytes echo_request(std::uint16_t identifier, std::uint16_t sequence, const Bytes& body) {
  return icmp_message(8, 0, static_cast<std::uint32_t>(identifier) << 16 | sequence, body);
}

// A DHCP message from a server, laid out as RFC 2131 figure 1 draws it.
struct DhcpReply {
  std::uint8_t type = 2;  // OFFER
  std::uint32_t transaction_id = 0;
  MacAddress client_mac;
  Ipv4Address your_address;
  Ipv4Address server_address;
  Ipv4Address server_identifier;  // option 54 when not any()
  Ipv4Address subnet_mask;        // option 1 when not any()
  Ipv4Address router;             // option 3 when not any()
  std::vector<Ipv4Address> dns_servers;
  std::uint32_t lease_time = 0;  // option 51 when not 0
  std::uint32_t renewal_time = 0;
  std::uint32_t rebinding_time = 0;
  Bytes extra_options;  // raw, before `end`
};

inline Bytes dhcp_reply(const DhcpReply& reply) {
  Bytes message;
  message.push_back(2);  // BOOTREPLY
  message.push_back(1);  // htype Ethernet
  message.push_back(6);  // hlen
  message.push_back(0);  // hops
  put32(message, reply.transaction_id);
  put16(message, 0);       // secs
  put16(message, 0x8000);  // flags: broadcast
  put32(message, 0);       // ciaddr
  put(message, reply.your_address);
  put(message, reply.server_address);
  put32(message, 0);  // giaddr
  put(message, reply.client_mac);
  message.resize(message.size() + 10 + 64 + 128);  // rest of chaddr, sname, file
  put32(message, 0x63825363);
  auto option = [&](std::uint8_t code, const Bytes& value) {
    message.push_back(code);
    message.push_back(static_cast<std::uint8_t>(value.size()));
    append(message, value);
  };
  auto address = [](Ipv4Address a) {
    Bytes b;
    put(b, a);
    return b;
  };
  auto number = [](std::uint32_t n) {
    Bytes b;
    put32(b, n);
    return b;
  };
  option(53, {reply.type});
  if (!reply.server_identifier.is_any()) option(54, address(reply.server_identifier));
  if (reply.lease_time != 0) option(51, number(reply.lease_time));
  if (reply.renewal_time != 0) option(58, number(reply.renewal_time));
  if (reply.rebinding_time != 0) option(59, number(reply.rebinding_time));
  if (!reply.subnet_mask.is_any()) option(1, address(reply.subnet_mask));
  if (!reply.router.is_any()) option(3, address(reply.router));
  if (!reply.dns_servers.empty()) {
    Bytes list;
    for (Ipv4Address server : reply.dns_servers) put(list, server);
    option(6, list);
  }
  append(message, reply.extra_options);
  message.push_back(255);
  return message;
}

}  // namespace cairn::protocols::testing
