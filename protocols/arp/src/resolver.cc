// The ARP resolver (resolver.h). Every table is a small fixed array searched linearly: 32 cache
// entries and 8 held packets cost less to scan than any index would cost to keep.
#include "cairn/protocols/arp/resolver.h"

namespace cairn::protocols::arp {

Resolver::Resolver(Counters& counters, const Settings& settings) : counters_(counters), settings_(settings) {
  if (settings_.max_requests == 0) settings_.max_requests = 1;
  if (settings_.held_per_destination == 0) settings_.held_per_destination = 1;
}

void Resolver::configure(const MacAddress& mac, Ipv4Address address, Ipv4Address netmask, Ipv4Address gateway) {
  bool changed = !(address == own_address_ && netmask == netmask_ && gateway == gateway_);
  own_mac_ = mac;
  own_address_ = address;
  netmask_ = netmask;
  gateway_ = gateway;
  if (changed) forget_everything();
}

void Resolver::forget_everything() {
  for (Binding& binding : cache_) binding = Binding();
  for (size_t i = 0; i < max_held_packets; ++i) {
    if (held_[i].used) counters_.drop(Error::unresolved);
    held_[i].used = false;
    pending_[i] = Pending();
  }
}

bool Resolver::in_subnet(Ipv4Address address) const {
  return (address.value & netmask_.value) == (own_address_.value & netmask_.value) || address == gateway_;
}

bool Resolver::input(const Packet& packet, Time now, Packet& reply) {
  const Ipv4Address sender = packet.sender_address;
  if (own_address_.is_any() || packet.sender_mac == own_mac_) {
    counters_.drop(Error::not_for_us);  // not configured yet, or our own packet looped back
    return false;
  }
  if (sender == own_address_) {
    counters_.drop(Error::address_conflict);
    return false;
  }
  // A probe for our address (RFC 5227 2.1.1: sender 0.0.0.0, from a host about to take it): the
  // reply, to the prober, is what tells it the address is in use. Nothing is learned from it.
  if (sender.is_any() && packet.operation == Operation::request && packet.target_address == own_address_ &&
      !packet.sender_mac.is_multicast() && !packet.sender_mac.is_zero()) {
    ++counters_.delivered;
    reply = reply_to(packet, own_mac_);
    return true;
  }
  // Other probes, broadcast and group senders: nothing to learn or answer.
  Ipv4Address subnet_broadcast{own_address_.value | ~netmask_.value};
  if (!sender.is_unicast() || sender == subnet_broadcast || packet.sender_mac.is_multicast() ||
      packet.sender_mac.is_zero()) {
    counters_.drop(Error::bad_address);
    return false;
  }
  if (!in_subnet(sender)) {
    counters_.drop(Error::other_subnet);
    return false;
  }
  bool merged = refresh(sender, packet.sender_mac, now);
  bool for_us = packet.target_address == own_address_;
  if (!for_us && !merged) {
    counters_.drop(Error::not_for_us);
    return false;
  }
  if (!merged) insert(sender, packet.sender_mac, now);
  resolve_pending(sender, packet.sender_mac);
  ++counters_.delivered;
  if (for_us && packet.operation == Operation::request) {
    reply = reply_to(packet, own_mac_);
    return true;
  }
  return false;
}

bool Resolver::lookup(Ipv4Address address, Time now, MacAddress& mac) const {
  auto fresh = [&](const Binding& binding) { return binding.address == address && binding.expires > now; };
  if (fresh(cache_[last_hit_])) {
    mac = cache_[last_hit_].mac;
    return !address.is_any();
  }
  for (size_t i = 0; i < cache_size; ++i) {
    if (fresh(cache_[i]) && !address.is_any()) {
      last_hit_ = i;
      mac = cache_[i].mac;
      return true;
    }
  }
  return false;
}

bool Resolver::refresh(Ipv4Address address, const MacAddress& mac, Time now) {
  for (Binding& binding : cache_) {
    if (binding.address == address) {
      binding.mac = mac;
      binding.expires = later(now, settings_.entry_lifetime);
      return true;
    }
  }
  return false;
}

void Resolver::insert(Ipv4Address address, const MacAddress& mac, Time now) {
  // A free or expired entry, else the one closest to expiring.
  size_t victim = 0;
  for (size_t i = 0; i < cache_size; ++i) {
    if (cache_[i].address.is_any() || cache_[i].expires <= now) {
      victim = i;
      break;
    }
    if (cache_[i].expires < cache_[victim].expires) victim = i;
  }
  cache_[victim] = {address, mac, later(now, settings_.entry_lifetime)};
}

void Resolver::resolve_pending(Ipv4Address address, const MacAddress& mac) {
  for (Pending& pending : pending_) {
    if (pending.address == address) {
      pending.resolved = true;
      pending.mac = mac;
    }
  }
}

Result<bool> Resolver::hold(Ipv4Address address, ByteView packet, Time now) {
  if (packet.size() > max_held_packet_size) {
    counters_.drop(Error::too_large);
    return Error::too_large;
  }
  size_t pending_index = max_held_packets;
  size_t free_pending = max_held_packets;
  for (size_t i = 0; i < max_held_packets; ++i) {
    if (pending_[i].address == address && !address.is_any()) pending_index = i;
    if (pending_[i].address.is_any() && free_pending == max_held_packets) free_pending = i;
  }
  size_t free_held = 0;
  while (free_held < max_held_packets && held_[free_held].used) ++free_held;
  bool starts_resolution = pending_index == max_held_packets;
  if (free_held == max_held_packets || (starts_resolution && free_pending == max_held_packets) ||
      (!starts_resolution && pending_[pending_index].held >= settings_.held_per_destination)) {
    counters_.drop(Error::queue_full);
    return Error::queue_full;
  }
  if (starts_resolution) {
    pending_index = free_pending;
    pending_[pending_index] = Pending();
    pending_[pending_index].address = address;
    pending_[pending_index].requests_sent = 1;  // the caller sends the first one now
    pending_[pending_index].next_request = later(now, settings_.retry_interval);
  }
  Held& held = held_[free_held];
  held.used = true;
  held.pending = static_cast<uint8_t>(pending_index);
  held.size = static_cast<uint16_t>(packet.size());
  held.sequence = next_sequence_++;
  copy_bytes(held.bytes, packet.data(), packet.size());
  ++pending_[pending_index].held;
  return starts_resolution;
}

void Resolver::release_held(size_t held_index) {
  Held& held = held_[held_index];
  held.used = false;
  Pending& pending = pending_[held.pending];
  if (--pending.held == 0) pending = Pending();
}

bool Resolver::take_resolved(MacAddress& mac, ByteView& packet) {
  size_t oldest = max_held_packets;
  for (size_t i = 0; i < max_held_packets; ++i) {
    if (!held_[i].used || !pending_[held_[i].pending].resolved) continue;
    // Oldest by sequence, robust to wrap-around: compare differences.
    if (oldest == max_held_packets || static_cast<int32_t>(held_[i].sequence - held_[oldest].sequence) < 0) {
      oldest = i;
    }
  }
  if (oldest == max_held_packets) return false;
  mac = pending_[held_[oldest].pending].mac;
  packet = ByteView(held_[oldest].bytes, held_[oldest].size);
  release_held(oldest);
  return true;
}

bool Resolver::take_due_request(Time now, Ipv4Address& address) {
  for (size_t p = 0; p < max_held_packets; ++p) {
    Pending& pending = pending_[p];
    if (pending.address.is_any() || pending.resolved || pending.next_request > now) continue;
    if (pending.requests_sent >= settings_.max_requests) {
      for (size_t h = 0; h < max_held_packets; ++h) {
        if (held_[h].used && held_[h].pending == p) {
          counters_.drop(Error::unresolved);
          release_held(h);
        }
      }
      continue;
    }
    ++pending.requests_sent;
    pending.next_request = later(now, settings_.retry_interval);
    address = pending.address;
    return true;
  }
  return false;
}

Time Resolver::next_deadline() const {
  Time deadline = never;
  for (const Pending& pending : pending_) {
    if (!pending.address.is_any() && !pending.resolved) deadline = earliest(deadline, pending.next_request);
  }
  return deadline;
}

size_t Resolver::held_packets() const {
  size_t count = 0;
  for (const Held& held : held_) count += held.used ? 1 : 0;
  return count;
}

size_t Resolver::cached_bindings(Time now) const {
  size_t count = 0;
  for (const Binding& binding : cache_) count += !binding.address.is_any() && binding.expires > now ? 1 : 0;
  return count;
}

}  // namespace cairn::protocols::arp
