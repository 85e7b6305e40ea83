// Ethernet II framing: parse a received frame, write the header of one to send.
//
// One IEEE 802.1Q tag is skipped (its VLAN id and priority are ignored: the interface is one
// link, and replies go out untagged); a second tag (QinQ, 0x88a8 or 0x9100, or 0x8100 twice) and
// IEEE 802.3 frames (a length where the EtherType belongs) are refused as unsupported. The frame
// check sequence is not part of the bytes: devices (and Solo5's net_read) strip it.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "cairn/protocols/common/addresses.h"
#include "cairn/protocols/common/bytes.h"
#include "cairn/protocols/common/result.h"

namespace cairn::protocols::ethernet {

constexpr size_t header_size = 14;
constexpr size_t vlan_tag_size = 4;
constexpr size_t max_payload_size = 1500;  // the MTU the stack assumes at most
constexpr size_t max_frame_size = header_size + max_payload_size;

namespace ether_type {
constexpr uint16_t ipv4 = 0x0800;
constexpr uint16_t arp = 0x0806;
constexpr uint16_t vlan = 0x8100;  // IEEE 802.1Q
constexpr uint16_t qinq = 0x88a8;  // IEEE 802.1ad service tag
constexpr uint16_t qinq_legacy = 0x9100;
}  // namespace ether_type

struct Frame {
  MacAddress destination;
  MacAddress source;
  uint16_t ether_type = 0;  // of the payload, after any 802.1Q tag
  bool vlan_tagged = false;
  ByteView payload;  // everything after the header (and tag), padding included
};

// Splits a received frame into header fields and payload. Errors: truncated, unsupported.
Result<Frame> parse(ByteView frame);

// Writes a 14-byte untagged header at `out`.
void write_header(uint8_t* out, const MacAddress& destination, const MacAddress& source, uint16_t ether_type);

// Whether an interface whose address is `own` takes a frame sent to `destination`: its own
// address or broadcast. The stack joins no multicast group, so other group addresses are not.
constexpr bool accepts(const MacAddress& destination, const MacAddress& own) {
  return destination == own || destination.is_broadcast();
}

}  // namespace cairn::protocols::ethernet
