// IPv4 fragment reassembly (RFC 791 section 3.2), with a memory bound and a timeout.
//
// The decision: fragments are reassembled, not dropped, so that pings and UDP datagrams larger
// than the MTU work. The bounds keep a flood of fragments from costing more than a fixed amount:
//   - at most `max_datagrams` (4) datagrams in progress; a fragment of a fifth is dropped
//     (queue_full) rather than evicting one that may be about to complete;
//   - a reassembled payload of at most `max_payload_size` (8 KiB); a fragment reaching beyond it
//     drops its datagram (too_large). Each of the 4 buffers is allocated on first use and kept,
//     so the whole cost is 32 KiB and nothing is allocated per packet afterwards;
//   - a datagram not complete `timeout` (30 s, like Linux's ipfrag_time) after its first fragment
//     is dropped (fragment_timeout); no ICMP time-exceeded is sent;
//   - overlapping fragments (and exact duplicates) drop the whole datagram (fragment_overlap), as
//     Linux does since FragmentSmack, so no overlap can rewrite bytes already checked.
// Received blocks are tracked in a bitmap of 8-byte units (RFC 815 keeps a hole list; a bitmap of
// 1024 bits does the same job in a fixed 128 bytes). Fragments without data, or whose data is not
// a multiple of 8 bytes while more follow, are dropped (bad_length).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "cairn/protocols/common/bytes.h"
#include "cairn/protocols/common/result.h"
#include "cairn/protocols/common/time.h"
#include "cairn/protocols/ipv4/ipv4.h"

namespace cairn::protocols::ipv4 {

class Reassembler {
 public:
  static constexpr size_t max_datagrams = 4;
  static constexpr size_t max_payload_size = 8192;
  static constexpr Duration timeout = seconds(30);

  explicit Reassembler(Counters& counters) : counters_(counters) {}
  ~Reassembler();
  Reassembler(const Reassembler&) = delete;
  Reassembler& operator=(const Reassembler&) = delete;

  // Adds a fragment (header.is_fragment()). Returns true with `payload` set to the reassembled
  // payload (valid until the next call) when this fragment completes its datagram, false while
  // it is incomplete. Errors (counted; the fragment, and for all but queue_full its whole
  // datagram, dropped): bad_length, too_large, fragment_overlap, queue_full.
  Result<bool> add(const Packet& fragment, Time now, ByteView& payload);

  // Drops the datagrams whose timeout has passed at `now`.
  void on_timer(Time now);
  Time next_deadline() const;

  size_t datagrams_in_progress() const;

 private:
  static constexpr size_t block_count = max_payload_size / 8;
  static constexpr size_t bitmap_words = block_count / 64;

  struct Datagram {
    bool used = false;
    Ipv4Address source;
    Ipv4Address destination;
    uint16_t identification = 0;
    uint8_t protocol = 0;
    uint16_t total = 0;        // payload length, once the last fragment is in (0 before)
    uint16_t received = 0;     // payload bytes in
    uint16_t highest_end = 0;  // the largest offset + length seen
    Time deadline = 0;
    uint64_t blocks[bitmap_words] = {};
    uint8_t* buffer = nullptr;  // max_payload_size bytes, allocated on first use, kept
  };

  Datagram* find(const Header& header);
  Datagram* start(const Header& header, Time now);
  Error discard(Datagram& datagram, Error reason);

  Counters& counters_;
  Datagram datagrams_[max_datagrams];
};

}  // namespace cairn::protocols::ipv4
