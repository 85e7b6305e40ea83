// The ARP resolver of one interface, sans-IO: a cache of IPv4-to-MAC bindings with expiry, the
// replies to requests for this interface's address, and a bounded queue of outgoing IPv4 packets
// held while their next hop is being resolved, with request retries.
//
// The caller (netstack::Interface) frames and sends what the resolver asks for:
//   input()            -> a reply to send;  then take_resolved() releases packets now deliverable
//   hold()             -> whether to send the first request for that next hop
//   take_due_request() -> the next hops whose request must be resent (call when next_deadline() passes)
// Bounds: `cache_size` bindings (the entry expiring soonest is replaced when full), at most
// `max_held_packets` held in all, `Settings::held_per_destination` per next hop. A next hop that
// does not answer `Settings::max_requests` requests has its packets dropped (Error::unresolved).
//
// Drops are counted in the Counters given at construction: packets from hosts outside the
// subnet (other_subnet), claiming our address (address_conflict), from broadcast or multicast
// senders or probes (bad_address), about other hosts we never asked for (not_for_us), and held
// packets beyond the bounds (queue_full).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "cairn/protocols/arp/arp.h"
#include "cairn/protocols/common/addresses.h"
#include "cairn/protocols/common/bytes.h"
#include "cairn/protocols/common/result.h"
#include "cairn/protocols/common/time.h"

namespace cairn::protocols::arp {

class Resolver {
 public:
  static constexpr size_t cache_size = 32;
  static constexpr size_t max_held_packets = 8;
  static constexpr size_t max_held_packet_size = 1500;

  struct Settings {
    Duration entry_lifetime = seconds(60);
    Duration retry_interval = seconds(1);
    uint8_t max_requests = 3;
    uint8_t held_per_destination = 4;
  };

  explicit Resolver(Counters& counters) : Resolver(counters, Settings{}) {}
  Resolver(Counters& counters, const Settings& settings);
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // Sets the interface's addresses (address any() = none yet: every ARP packet is ignored). A
  // change of address, netmask or gateway empties the cache and drops the held packets; the
  // caller then broadcasts announcement().
  void configure(const MacAddress& mac, Ipv4Address address, Ipv4Address netmask, Ipv4Address gateway);

  // Processes a received ARP packet (RFC 826's merge: refresh a known sender; learn the sender of
  // a packet addressed to us). Returns true with `reply` filled when a reply must be sent to
  // reply.target_mac: for a request for our address, including a probe for it (RFC 5227).
  bool input(const Packet& packet, Time now, Packet& reply);

  // The MAC of `address`, if the cache holds a binding that has not expired at `now`.
  bool lookup(Ipv4Address address, Time now, MacAddress& mac) const;

  // Holds an IPv4 packet for next hop `address` until it resolves. Returns true when the caller
  // must send a request for `address` now (the first packet for it), false when one is already
  // under way. Errors (the packet is dropped and counted): queue_full, too_large.
  Result<bool> hold(Ipv4Address address, ByteView packet, Time now);

  // Takes the oldest held packet whose next hop has resolved: true with its destination `mac` and
  // the `packet` bytes, valid until the next call to hold() or configure().
  bool take_resolved(MacAddress& mac, ByteView& packet);

  // Takes a next hop whose request must be resent at `now` and arms its next retry; destinations
  // that have had all their requests lose their packets (Error::unresolved) on the way.
  bool take_due_request(Time now, Ipv4Address& address);

  // When take_due_request() next has work: the earliest retry, or `never`.
  Time next_deadline() const;

  size_t held_packets() const;
  size_t cached_bindings(Time now) const;

 private:
  struct Binding {
    Ipv4Address address;  // any() = free
    MacAddress mac;
    Time expires = 0;
  };
  struct Pending {
    Ipv4Address address;  // any() = free
    MacAddress mac;
    bool resolved = false;
    uint8_t requests_sent = 0;
    uint8_t held = 0;
    Time next_request = 0;
  };
  struct Held {
    bool used = false;
    uint8_t pending = 0;  // index into pending_
    uint16_t size = 0;
    uint32_t sequence = 0;
    uint8_t bytes[max_held_packet_size];
  };

  bool in_subnet(Ipv4Address address) const;
  bool refresh(Ipv4Address address, const MacAddress& mac, Time now);
  void insert(Ipv4Address address, const MacAddress& mac, Time now);
  void resolve_pending(Ipv4Address address, const MacAddress& mac);
  void release_held(size_t held_index);
  void forget_everything();

  Counters& counters_;
  Settings settings_;
  MacAddress own_mac_;
  Ipv4Address own_address_;
  Ipv4Address netmask_;
  Ipv4Address gateway_;
  uint32_t next_sequence_ = 0;
  mutable size_t last_hit_ = 0;
  Binding cache_[cache_size];
  Pending pending_[max_held_packets];
  Held held_[max_held_packets];
};

}  // namespace cairn::protocols::arp
