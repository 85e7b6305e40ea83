// The composed interface (interface.h): demultiplexing up the layers, and one send path down
// (send_ipv4) that frames, fragments, and either queues a frame or hands the packet to ARP.
#include "cairn/protocols/netstack/interface.h"

namespace cairn::protocols::netstack {

namespace {

dhcp::Client::Settings dhcp_settings(const Config& config) {
  dhcp::Client::Settings settings = config.dhcp;
  settings.hostname = config.hostname;
  return settings;
}

tcp::EndpointsSettings tcp_settings(const Config& config, size_t mtu) {
  tcp::EndpointsSettings settings = config.tcp;
  size_t largest = mtu - ipv4::header_size - tcp::header_size;
  if (settings.connection.mss > largest) settings.connection.mss = static_cast<uint16_t>(largest);
  return settings;
}

size_t clamp_mtu(size_t mtu) {
  if (mtu > ethernet::max_payload_size) return ethernet::max_payload_size;
  if (mtu < 576) return 576;  // every IPv4 link carries 576 (RFC 791)
  return mtu;
}

// Copies bytes [offset, offset + size) of the concatenation first ++ second to `out`.
void copy_range(uint8_t* out, ByteView first, ByteView second, size_t offset, size_t size) {
  if (offset < first.size()) {
    size_t from_first = first.size() - offset < size ? first.size() - offset : size;
    copy_bytes(out, first.data() + offset, from_first);
    out += from_first;
    size -= from_first;
    offset = 0;
  } else {
    offset -= first.size();
  }
  copy_bytes(out, second.data() + offset, size);
}

}  // namespace

Interface::Interface(const Config& config)
    : mac_(config.mac),
      mtu_(clamp_mtu(config.mtu)),
      use_dhcp_(config.use_dhcp),
      static_address_(config.static_address),
      next_identification_(static_cast<uint16_t>(config.random_seed * 2654435761u >> 16)),
      arp_(stats_.arp),
      reassembler_(stats_.ipv4),
      icmp_errors_(config.icmp_error_burst, config.icmp_errors_per_second),
      sockets_(stats_.udp, config.random_seed ^ 0x5bd1e995),
      dhcp_(config.mac, config.random_seed, stats_.dhcp, dhcp_settings(config)),
      tcp_(tcp_settings(config, mtu_), config.tcp_key, stats_.tcp) {}

void Interface::start(Time now) {
  now_ = now;
  if (use_dhcp_) {
    dhcp_.start(now);
    run_dhcp(now);
  } else {
    set_address(static_address_, nullptr);
  }
}

// ---- Output queue -------------------------------------------------------------------------------

uint8_t* Interface::reserve_output() {
  if (output_count_ == output_slots) return nullptr;
  return output_[(output_head_ + output_count_) % output_slots];
}

void Interface::commit_output(size_t size) {
  output_sizes_[(output_head_ + output_count_) % output_slots] = static_cast<uint16_t>(size);
  ++output_count_;
  ++stats_.ethernet.sent;
}

bool Interface::next_output(ByteView& frame) {
  if (output_count_ == 0) take_tcp_output();
  if (output_count_ == 0) return false;
  frame = ByteView(output_[output_head_], output_sizes_[output_head_]);
  output_head_ = static_cast<uint8_t>((output_head_ + 1) % output_slots);
  --output_count_;
  return true;
}

// ---- Input --------------------------------------------------------------------------------------

void Interface::input(ByteView bytes, Time now) {
  now_ = now;
  Counters& counters = stats_.ethernet;
  ++counters.received;
  Result<ethernet::Frame> frame = ethernet::parse(bytes);
  if (!frame) {
    counters.drop(frame.error());
    return;
  }
  if (!ethernet::accepts(frame->destination, mac_)) {
    counters.drop(Error::not_for_us);
    return;
  }
  switch (frame->ether_type) {
    case ethernet::ether_type::ipv4:
      ++counters.delivered;
      handle_ipv4(frame->payload, now);
      break;
    case ethernet::ether_type::arp:
      ++counters.delivered;
      handle_arp(frame->payload, now);
      break;
    default: counters.drop(Error::unsupported); break;
  }
}

// While DHCP probes an acknowledged address: another host answering for it, announcing it, or
// probing for it at the same time (RFC 5227 2.1.1).
bool Interface::claims_probed_address(const arp::Packet& packet) const {
  const Ipv4Address probed = dhcp_.probing();
  if (probed.is_any() || packet.sender_mac == mac_) return false;
  return packet.sender_address == probed ||
         (packet.sender_address.is_any() && packet.operation == arp::Operation::request &&
          packet.target_address == probed);
}

// Another host claims our address: tell the link it is ours with one announcement, at most once
// per defend_interval (so two hosts that both defend do not flood it), and say so.
void Interface::defend_address(const MacAddress& other_host, Time now) {
  if (last_defence_ != never && now - last_defence_ < defend_interval) return;
  last_defence_ = now;
  send_arp(arp::announcement(mac_, address_.address), MacAddress::broadcast());
  Event event;
  event.kind = Event::Kind::address_conflict;
  event.address = address_;
  event.conflicting_mac = other_host;
  event.defended = true;
  post(event);
}

void Interface::handle_arp(ByteView payload, Time now) {
  ++stats_.arp.received;
  Result<arp::Packet> packet = arp::parse(payload);
  if (!packet) {
    stats_.arp.drop(packet.error());
    return;
  }
  if (use_dhcp_ && claims_probed_address(packet.value())) {
    Event event;
    event.kind = Event::Kind::address_conflict;
    event.address.address = dhcp_.probing();
    event.conflicting_mac = packet->sender_mac;
    post(event);
    dhcp_.conflict(dhcp_.probing(), now);
    run_dhcp(now);
    return;
  }
  if (address_.configured() && packet->sender_address == address_.address && packet->sender_mac != mac_) {
    defend_address(packet->sender_mac, now);  // the resolver counts it as address_conflict
  }
  arp::Packet reply;
  if (arp_.input(packet.value(), now, reply)) send_arp(reply, reply.target_mac);
  send_resolved_packets();
}

void Interface::handle_ipv4(ByteView payload, Time now) {
  Counters& counters = stats_.ipv4;
  ++counters.received;
  Result<ipv4::Packet> parsed = ipv4::parse(payload);
  if (!parsed) {
    counters.drop(parsed.error());
    return;
  }
  const ipv4::Packet& packet = parsed.value();
  const ipv4::Header& header = packet.header;
  if (header.source.is_multicast() || header.source.is_broadcast() ||
      (address_.configured() && (address_.is_broadcast(header.source) || header.source == address_.address))) {
    counters.drop(Error::bad_address);
    return;
  }
  // To this host, to a broadcast address, or - before there is an address - to whatever the DHCP
  // server chose to send its reply to (handle_udp lets only the DHCP client's port through).
  const bool broadcast =
      header.destination.is_broadcast() || (address_.configured() && address_.is_broadcast(header.destination));
  const bool to_us = address_.configured() && header.destination == address_.address;
  const bool awaiting_dhcp = !address_.configured() && use_dhcp_ && header.protocol == ipv4::protocol::udp;
  if (!to_us && !broadcast && !awaiting_dhcp) {
    counters.drop(Error::not_for_us);
    return;
  }

  ByteView transport = packet.payload;
  const bool reassembled = header.is_fragment();
  if (reassembled) {
    Result<bool> complete = reassembler_.add(packet, now, transport);  // drops are counted inside
    if (!complete || !complete.value()) return;
  }
  switch (header.protocol) {
    case ipv4::protocol::icmp:
      ++counters.delivered;
      handle_icmp(packet, transport, broadcast, now);
      break;
    case ipv4::protocol::udp:
      ++counters.delivered;
      handle_udp(packet, transport, broadcast, reassembled, now);
      break;
    case tcp::protocol_number:
      if (broadcast) {  // TCP is unicast only (RFC 1122 4.2.3.10)
        stats_.tcp.drop(Error::broadcast);
        break;
      }
      ++counters.delivered;
      handle_tcp(packet, transport, now);
      break;
    default:
      counters.drop(Error::unsupported);
      if (to_us && !reassembled) send_unreachable(packet, icmp::unreachable::protocol, now);
      break;
  }
}

void Interface::handle_icmp(const ipv4::Packet& packet, ByteView bytes, bool broadcast, Time now) {
  Counters& counters = stats_.icmp;
  ++counters.received;
  Result<icmp::Message> parsed = icmp::parse(bytes);
  if (!parsed) {
    counters.drop(parsed.error());
    return;
  }
  const icmp::Message& message = parsed.value();
  if (message.type == icmp::type::echo_request) {
    if (broadcast) {  // no smurf amplifier
      counters.drop(Error::broadcast);
      return;
    }
    ++counters.delivered;
    uint8_t header[icmp::header_size];
    icmp::write_echo_reply_header(header, message);
    if (send_ipv4(address_.address, packet.header.source, ipv4::protocol::icmp, ByteView(header, sizeof header),
                  message.body, now)) {
      ++counters.sent;
    }
    return;
  }
  if (icmp::is_error(message.type) || message.type == icmp::type::echo_reply) {
    ++counters.delivered;  // noted; nothing here acts on them yet
    return;
  }
  counters.drop(Error::unsupported);
}

void Interface::handle_udp(const ipv4::Packet& packet, ByteView bytes, bool broadcast, bool reassembled, Time now) {
  Counters& counters = stats_.udp;
  ++counters.received;
  const ipv4::Header& header = packet.header;
  Result<udp::Datagram> parsed = udp::parse(bytes, header.source, header.destination);
  if (!parsed) {
    counters.drop(parsed.error());
    return;
  }
  const udp::Datagram& datagram = parsed.value();
  if (use_dhcp_ && datagram.destination_port == dhcp::client_port) {
    if (datagram.source_port != dhcp::server_port) {
      counters.drop(Error::not_for_us);
      return;
    }
    ++counters.delivered;
    dhcp_.input(datagram.payload, now);
    run_dhcp(now);
    return;
  }
  if (!address_.configured()) {
    counters.drop(Error::not_for_us);
    return;
  }
  Status delivered = sockets_.deliver(datagram.destination_port, Endpoint{header.source, datagram.source_port},
                                      header.destination, datagram.payload);  // counts its drops
  if (!delivered && delivered.error() == Error::no_port && !broadcast && !reassembled) {
    send_unreachable(packet, icmp::unreachable::port, now);
  }
}

void Interface::send_unreachable(const ipv4::Packet& offending, uint8_t code, Time now) {
  // RFC 1122 3.2.2: never about a packet from a source that is not one host.
  if (!offending.header.source.is_unicast()) return;
  if (!icmp_errors_.allow(now)) {
    stats_.icmp.drop(Error::rate_limited);
    return;
  }
  // The offending datagram's bytes are contiguous in the frame: header, then payload.
  ByteView quoted(offending.header_bytes.data(), icmp::quoted_size(offending.header.total_length));
  uint8_t header[icmp::header_size];
  icmp::write_unreachable_header(header, code, quoted);
  if (send_ipv4(address_.address, offending.header.source, ipv4::protocol::icmp, ByteView(header, sizeof header),
                quoted, now)) {
    ++stats_.icmp.sent;
  }
}

// ---- Output -------------------------------------------------------------------------------------

void Interface::send_arp(const arp::Packet& packet, const MacAddress& destination) {
  uint8_t* frame = reserve_output();
  if (frame == nullptr) {
    stats_.ethernet.drop(Error::queue_full);
    return;
  }
  ethernet::write_header(frame, destination, mac_, ethernet::ether_type::arp);
  arp::write(frame + ethernet::header_size, packet);
  commit_output(ethernet::header_size + arp::packet_size);
  ++stats_.arp.sent;
}

void Interface::send_resolved_packets() {
  MacAddress destination;
  ByteView packet;
  while (arp_.take_resolved(destination, packet)) {
    uint8_t* frame = reserve_output();
    if (frame == nullptr) {
      stats_.ethernet.drop(Error::queue_full);
      continue;
    }
    ethernet::write_header(frame, destination, mac_, ethernet::ether_type::ipv4);
    copy_bytes(frame + ethernet::header_size, packet.data(), packet.size());
    commit_output(ethernet::header_size + packet.size());
  }
}

Status Interface::send_udp(const Endpoint& source, const Endpoint& destination, ByteView payload, Time now) {
  uint8_t header[udp::header_size];
  udp::write_header(header, source, destination, payload);
  Status sent = send_ipv4(source.address, destination.address, ipv4::protocol::udp, ByteView(header, sizeof header),
                          payload, now);
  if (sent) ++stats_.udp.sent;
  return sent;
}

Status Interface::send_ipv4(Ipv4Address source, Ipv4Address destination, uint8_t protocol, ByteView header,
                            ByteView payload, Time now) {
  const size_t size = header.size() + payload.size();
  if (size > ipv4::Reassembler::max_payload_size) return Error::too_large;

  // The link destination: broadcast, the host itself on this subnet, or the gateway.
  MacAddress link_destination = MacAddress::broadcast();
  Ipv4Address next_hop;
  bool resolved = true;
  if (!destination.is_broadcast() && !(address_.configured() && address_.is_broadcast(destination))) {
    if (!address_.configured()) return Error::not_configured;
    next_hop = address_.in_subnet(destination) ? destination : address_.gateway;
    if (next_hop.is_any()) return Error::no_route;
    resolved = arp_.lookup(next_hop, now, link_destination);
  }

  const size_t most_per_fragment = (mtu_ - ipv4::header_size) & ~size_t{7};
  const size_t fragments = ipv4::header_size + size <= mtu_ ? 1 : (size + most_per_fragment - 1) / most_per_fragment;
  if (resolved && output_slots - output_count_ < fragments) {  // all of it or nothing
    stats_.ethernet.drop(Error::queue_full);
    return Error::queue_full;
  }
  if (!resolved && fragments > arp::Resolver::Settings{}.held_per_destination) {
    // More fragments than ARP holds for one next hop: rather than send part of the datagram,
    // refuse it, but ask for the next hop so that a retry finds it resolved.
    send_arp(arp::request(mac_, address_.address, next_hop), MacAddress::broadcast());
    stats_.arp.drop(Error::queue_full);
    return Error::queue_full;
  }

  ipv4::Header ip;
  ip.protocol = protocol;
  ip.source = source;
  ip.destination = destination;
  ip.identification = next_identification_++;
  size_t offset = 0;
  do {
    size_t chunk = size - offset;
    if (ipv4::header_size + chunk > mtu_) chunk = most_per_fragment;
    // A resolved packet is written straight into its output slot; one that must wait for ARP is
    // written into the scratch buffer, from which the resolver copies it.
    uint8_t* frame = resolved ? reserve_output() : scratch_;
    uint8_t* packet = frame + ethernet::header_size;
    ip.total_length = static_cast<uint16_t>(ipv4::header_size + chunk);
    ip.fragment_offset = static_cast<uint16_t>(offset);
    ip.more_fragments = offset + chunk < size;
    ipv4::write_header(packet, ip);
    copy_range(packet + ipv4::header_size, header, payload, offset, chunk);
    if (resolved) {
      ethernet::write_header(frame, link_destination, mac_, ethernet::ether_type::ipv4);
      commit_output(ethernet::header_size + ip.total_length);
    } else {
      Result<bool> held = arp_.hold(next_hop, ByteView(packet, ip.total_length), now);
      if (!held) return held.error();
      if (held.value()) send_arp(arp::request(mac_, address_.address, next_hop), MacAddress::broadcast());
    }
    offset += chunk;
  } while (offset < size);
  ++stats_.ipv4.sent;
  return {};
}

// ---- TCP ----------------------------------------------------------------------------------------

void Interface::handle_tcp(const ipv4::Packet& packet, ByteView bytes, Time now) {
  now_ = now;
  Result<tcp::Segment> segment = tcp::parse(bytes, packet.header.source, packet.header.destination);
  if (!segment) {
    ++stats_.tcp.received;
    stats_.tcp.drop(segment.error());
    return;
  }
  tcp_.input(segment.value(), packet.header.source, packet.header.destination, now);
}

void Interface::take_tcp_output() {
  // One frame per segment (TCP never sends more than the MSS, which fits the MTU); stop while a
  // slot is free for whatever else must go out.
  tcp::Transmit transmit;
  while (output_slots - output_count_ > 1 && tcp_.next_output(transmit, now_)) {
    uint8_t header[tcp::max_header_size];
    size_t size = tcp::write_header(header, transmit.segment, transmit.source, transmit.destination);
    // A segment lost here (ARP's queue for an unresolved peer full) is retransmitted by TCP.
    (void)send_ipv4(transmit.source, transmit.destination, tcp::protocol_number, ByteView(header, size),
                    transmit.segment.payload, now_);
  }
}

Result<tcp::ConnectionId> Interface::connect(Ipv4Address remote, uint16_t port, Time now) {
  now_ = now;
  if (!address_.configured()) return Error::not_configured;
  return tcp_.connect(address_.address, remote, port, now);
}

// ---- UDP sockets --------------------------------------------------------------------------------

Result<SocketId> Interface::bind(uint16_t port, udp::Sockets::Options options) {
  if (use_dhcp_ && port == dhcp::client_port) return Error::in_use;
  return sockets_.bind(port, options);
}

void Interface::close(SocketId socket) {
  sockets_.close(socket);
}

Status Interface::send_to(SocketId socket, const Endpoint& destination, ByteView payload, Time now) {
  if (!sockets_.is_open(socket) || destination.port == 0 || destination.address.is_any() ||
      destination.address.is_multicast()) {
    return Error::bad_argument;
  }
  if (!address_.configured()) return Error::not_configured;
  if (payload.size() > max_udp_payload) return Error::too_large;
  return send_udp(Endpoint{address_.address, sockets_.port(socket)}, destination, payload, now);
}

// ---- Timers, DHCP, events -----------------------------------------------------------------------

Time Interface::next_deadline() const {
  Time deadline = earliest(arp_.next_deadline(), reassembler_.next_deadline());
  deadline = earliest(deadline, tcp_.next_deadline());
  return use_dhcp_ ? earliest(deadline, dhcp_.next_deadline()) : deadline;
}

void Interface::on_timer(Time now) {
  now_ = now;
  reassembler_.on_timer(now);
  if (now >= tcp_.next_deadline()) tcp_.on_timer(now);
  Ipv4Address next_hop;
  while (arp_.take_due_request(now, next_hop)) {
    send_arp(arp::request(mac_, address_.address, next_hop), MacAddress::broadcast());
  }
  if (use_dhcp_) {
    dhcp_.on_timer(now);
    run_dhcp(now);
  }
}

void Interface::run_dhcp(Time now) {
  for (dhcp::Event event = dhcp_.take_event(); event != dhcp::Event::none; event = dhcp_.take_event()) {
    const dhcp::Lease& lease = dhcp_.lease();
    switch (event) {
      case dhcp::Event::acquired:
      case dhcp::Event::renewed: {
        ipv4::Config address{lease.address, lease.netmask, lease.router};
        if (address.address != address_.address || address.netmask != address_.netmask ||
            address.gateway != address_.gateway) {
          set_address(address, &lease);
        }
        break;
      }
      case dhcp::Event::lost: set_address(ipv4::Config(), nullptr); break;
      case dhcp::Event::declined:  // handle_arp() posted address_conflict
      case dhcp::Event::none: break;
    }
  }
  for (Ipv4Address probed; dhcp_.take_probe(probed);) {
    send_arp(arp::request(mac_, Ipv4Address::any(), probed), MacAddress::broadcast());
  }
  dhcp::Transmission transmission;
  while (dhcp_.take_transmission(transmission)) {
    (void)send_udp(Endpoint{transmission.source, dhcp::client_port},
                   Endpoint{transmission.destination, dhcp::server_port}, transmission.message, now);
  }
}

void Interface::set_address(const ipv4::Config& address, const dhcp::Lease* lease) {
  Event event;
  if (address.configured()) {
    event.kind = Event::Kind::address_acquired;
    event.address = address;
    if (lease != nullptr) {
      for (uint8_t i = 0; i < lease->dns_server_count; ++i) event.dns_servers[i] = lease->dns_servers[i];
      event.dns_server_count = lease->dns_server_count;
    }
  } else {
    event.kind = Event::Kind::address_lost;
    event.address = address_;
  }
  if (address_.configured() && address.configured()) {  // a change: the old one is lost first
    Event lost;
    lost.kind = Event::Kind::address_lost;
    lost.address = address_;
    post(lost);
  }
  address_ = address;
  last_defence_ = never;
  arp_.configure(mac_, address.address, address.netmask, address.gateway);
  if (address.configured()) send_arp(arp::announcement(mac_, address.address), MacAddress::broadcast());
  post(event);
}

void Interface::post(const Event& event) {
  if (event_count_ == sizeof events_ / sizeof events_[0]) {  // the oldest goes: the latest state matters
    for (uint8_t i = 1; i < event_count_; ++i) events_[i - 1] = events_[i];
    --event_count_;
  }
  events_[event_count_++] = event;
}

bool Interface::next_event(Event& event) {
  if (event_count_ == 0) return false;
  event = events_[0];
  for (uint8_t i = 1; i < event_count_; ++i) events_[i - 1] = events_[i];
  --event_count_;
  return true;
}

}  // namespace cairn::protocols::netstack
