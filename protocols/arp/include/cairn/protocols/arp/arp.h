// ARP packets for IPv4 over Ethernet (RFC 826): parse, write, and build the three kinds this
// stack sends — requests, replies, and announcements (gratuitous ARP, RFC 5227 section 2.3).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "cairn/protocols/common/addresses.h"
#include "cairn/protocols/common/bytes.h"
#include "cairn/protocols/common/result.h"

namespace cairn::protocols::arp {

constexpr size_t packet_size = 28;

enum class Operation : uint16_t { request = 1, reply = 2 };

struct Packet {
  Operation operation = Operation::request;
  MacAddress sender_mac;
  Ipv4Address sender_address;
  MacAddress target_mac;
  Ipv4Address target_address;
};

// Parses the ARP packet at the start of `bytes` (Ethernet padding after it is ignored).
// Errors: truncated; bad_format for any hardware or protocol type other than Ethernet/IPv4 or an
// operation other than request and reply.
Result<Packet> parse(ByteView bytes);

// Writes packet_size bytes at `out`.
void write(uint8_t* out, const Packet& packet);

// Who has `target`? Tell `own_address`.
Packet request(const MacAddress& own_mac, Ipv4Address own_address, Ipv4Address target);
// The answer to `request`, which asked for an address this interface owns.
Packet reply_to(const Packet& request, const MacAddress& own_mac);
// "`own_address` is at `own_mac`", broadcast when an address is taken or changes: a request whose
// sender and target address are both the new address and whose target MAC is zero.
Packet announcement(const MacAddress& own_mac, Ipv4Address own_address);

}  // namespace cairn::protocols::arp
