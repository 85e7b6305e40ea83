// The DHCP client state machine (client.h).
#include "cairn/protocols/dhcp/client.h"

namespace cairn::protocols::dhcp {

const char* describe(State state) {
  switch (state) {
    case State::init: return "init";
    case State::selecting: return "selecting";
    case State::requesting: return "requesting";
    case State::checking: return "checking";
    case State::bound: return "bound";
    case State::renewing: return "renewing";
    case State::rebinding: return "rebinding";
  }
  return "unknown";
}

namespace {

// The classful mask, for a server that names no subnet mask.
Ipv4Address default_netmask(Ipv4Address address) {
  uint32_t top = address.value >> 24;
  if (top < 128) return Ipv4Address::of(255, 0, 0, 0);
  if (top < 192) return Ipv4Address::of(255, 255, 0, 0);
  return Ipv4Address::of(255, 255, 255, 0);
}

// A mask is a run of ones followed by zeros.
bool contiguous(Ipv4Address mask) {
  uint32_t inverted = ~mask.value;
  return (inverted & (inverted + 1)) == 0;
}

}  // namespace

Client::Client(const MacAddress& mac, uint32_t random_seed, Counters& counters, const Settings& settings)
    : mac_(mac), random_(random_seed), counters_(counters), settings_(settings) {}

void Client::start(Time now) {
  begin_selecting(now);
}

void Client::begin_selecting(Time now) {
  state_ = State::selecting;
  transaction_id_ = random_.next();
  exchange_started_ = now;
  attempts_ = 0;
  offered_address_ = offering_server_ = Ipv4Address();
  send(MessageType::discover, now);
  arm_backoff(now);
}

void Client::send(MessageType type, Time now) {
  Request request;
  request.type = type;
  request.transaction_id = transaction_id_;
  uint64_t elapsed = (now - exchange_started_) / seconds(1);
  request.seconds = static_cast<uint16_t>(elapsed > 0xffff ? 0xffff : elapsed);
  request.client_mac = mac_;
  request.hostname = settings_.hostname;
  transmission_.source = Ipv4Address::any();
  transmission_.destination = Ipv4Address::broadcast();
  if (type == MessageType::decline) {
    // RFC 2131 table 5: the declined address and the server, nothing else; no reply comes.
    request.seconds = 0;
    request.hostname = nullptr;
    request.requested_address = candidate_.address;
    request.server_identifier = candidate_.server;
  } else if (state_ == State::selecting || state_ == State::requesting) {
    request.broadcast_flag = true;  // no address yet to receive a unicast reply on
    if (state_ == State::requesting) {
      request.requested_address = offered_address_;
      request.server_identifier = offering_server_;
    }
  } else {
    request.client_address = lease_.address;
    transmission_.source = lease_.address;
    if (state_ == State::renewing) transmission_.destination = lease_.server;
  }
  transmission_.message = ByteView(buffer_, write(buffer_, request));
  transmission_ready_ = true;
  ++attempts_;
  ++counters_.sent;
}

void Client::arm_backoff(Time now) {
  // 4 s before the first retransmission, doubling up to 64 s, each randomised by -1..+1 s.
  Duration delay = settings_.first_retransmission;
  for (uint8_t i = 1; i < attempts_ && delay < settings_.max_retransmission; ++i) delay *= 2;
  if (delay > settings_.max_retransmission) delay = settings_.max_retransmission;
  Duration jitter = static_cast<Duration>(random_.below(2001)) * milliseconds(1);  // 0..2 s
  delay = delay + jitter > seconds(1) ? delay + jitter - seconds(1) : delay;
  retransmit_at_ = later(now, delay);
}

// RENEWING or REBINDING: a new transaction and its first REQUEST, resent until `limit`.
void Client::begin_lease_request(State state, Time now, Time limit) {
  state_ = state;
  transaction_id_ = random_.next();
  exchange_started_ = now;
  attempts_ = 0;
  send(MessageType::request, now);
  arm_lease_retransmission(now, limit);
}

void Client::arm_lease_retransmission(Time now, Time limit) {
  Duration wait = limit > now ? (limit - now) / 2 : 0;
  if (wait < settings_.min_lease_retransmission) wait = settings_.min_lease_retransmission;
  retransmit_at_ = later(now, wait);
}

void Client::post(Event event) {
  if (event_count_ < sizeof events_ / sizeof events_[0]) events_[event_count_++] = event;
}

Event Client::take_event() {
  if (event_count_ == 0) return Event::none;
  Event first = events_[0];
  for (uint8_t i = 1; i < event_count_; ++i) events_[i - 1] = events_[i];
  --event_count_;
  return first;
}

bool Client::take_transmission(Transmission& transmission) {
  if (!transmission_ready_) return false;
  transmission = transmission_;
  transmission_ready_ = false;
  return true;
}

void Client::lose_lease(Time now) {
  post(Event::lost);
  lease_ = Lease();
  begin_selecting(now);
}

bool Client::make_lease(const Message& ack, Time now, Lease& lease) const {
  const Ipv4Address address = ack.your_address;
  if (!address.is_unicast() || !ack.has_lease_time || ack.lease_time == 0) return false;
  lease.address = address;
  lease.netmask = ack.has_subnet_mask && contiguous(ack.subnet_mask) && ack.subnet_mask.value != 0
                      ? ack.subnet_mask
                      : default_netmask(address);
  if (ack.has_router && ack.router.is_unicast()) lease.router = ack.router;
  lease.server = ack.has_server_identifier ? ack.server_identifier : lease_.server;
  if (lease.server.is_any()) lease.server = offering_server_;
  for (uint8_t i = 0; i < ack.dns_server_count; ++i) lease.dns_servers[i] = ack.dns_servers[i];
  lease.dns_server_count = ack.dns_server_count;
  lease.acquired = now;
  if (ack.lease_time == infinite_lease) {
    lease.renew_at = lease.rebind_at = lease.expires = never;
  } else {
    // T1 < T2 < lease, else the defaults: 0.5 and 0.875 of the lease (RFC 2131 4.4.5).
    uint64_t total = ack.lease_time;
    uint64_t t1 = total / 2;
    uint64_t t2 = total * 7 / 8;
    if (ack.has_renewal_time && ack.has_rebinding_time && ack.renewal_time < ack.rebinding_time &&
        ack.rebinding_time < total) {
      t1 = ack.renewal_time;
      t2 = ack.rebinding_time;
    } else if (ack.has_rebinding_time && !ack.has_renewal_time && t1 < ack.rebinding_time &&
               ack.rebinding_time < total) {
      t2 = ack.rebinding_time;
    } else if (ack.has_renewal_time && !ack.has_rebinding_time && ack.renewal_time < t2) {
      t1 = ack.renewal_time;
    }
    lease.renew_at = later(now, seconds(t1));
    lease.rebind_at = later(now, seconds(t2));
    lease.expires = later(now, seconds(total));
  }
  return true;
}

// Takes `lease` (its times still count from the ACK, however long the probing took).
void Client::bind(const Lease& lease) {
  bool address_changed = has_lease() && lease_.address != lease.address;
  bool renewal = has_lease() && !address_changed;
  if (address_changed) post(Event::lost);
  lease_ = lease;
  state_ = State::bound;
  retransmit_at_ = never;
  post(renewal ? Event::renewed : Event::acquired);
}

void Client::send_probe(Time now) {
  probe_ready_ = true;
  ++probes_sent_;
  retransmit_at_ = later(now, settings_.probe_interval);
}

bool Client::take_probe(Ipv4Address& address) {
  if (!probe_ready_) return false;
  probe_ready_ = false;
  address = candidate_.address;
  return true;
}

void Client::conflict(Ipv4Address address, Time now) {
  if (state_ != State::checking || address != candidate_.address) return;
  send(MessageType::decline, now);
  declined_ = candidate_.address;
  candidate_ = Lease();
  probe_ready_ = false;
  state_ = State::init;
  retransmit_at_ = later(now, settings_.decline_backoff);  // then DISCOVER again (on_timer)
  post(Event::declined);
}

void Client::input(ByteView bytes, Time now) {
  ++counters_.received;
  Result<Message> parsed = parse(bytes);
  if (!parsed) {
    counters_.drop(parsed.error());
    return;
  }
  const Message& message = parsed.value();
  if (message.operation != operation::boot_reply || message.transaction_id != transaction_id_ ||
      message.client_mac != mac_) {
    counters_.drop(Error::not_for_us);
    return;
  }
  // In SELECTING and REQUESTING the server is the one we chose; later, any server that answers
  // our address (RENEWING talks to the one server, REBINDING to all).
  const bool from_chosen_server =
      !message.has_server_identifier || state_ != State::requesting || message.server_identifier == offering_server_;
  // A REQUEST is out (REQUESTING, RENEWING, REBINDING): an ACK or a NAK may answer it.
  const bool request_outstanding =
      state_ == State::requesting || state_ == State::renewing || state_ == State::rebinding;
  bool taken = false;
  switch (message.type) {
    case MessageType::offer:
      if (state_ == State::selecting && message.your_address.is_unicast() && message.has_server_identifier) {
        offered_address_ = message.your_address;
        offering_server_ = message.server_identifier;
        state_ = State::requesting;
        attempts_ = 0;
        send(MessageType::request, now);
        arm_backoff(now);
        taken = true;
      }
      break;
    case MessageType::ack:
      if (request_outstanding && from_chosen_server) {
        Lease lease;
        if (!make_lease(message, now, lease)) {
          counters_.drop(Error::bad_format);
          return;
        }
        if (state_ == State::requesting && settings_.conflict_probes > 0) {
          candidate_ = lease;
          state_ = State::checking;
          probes_sent_ = 0;
          send_probe(now);
        } else {
          bind(lease);
        }
        taken = true;
      }
      break;
    case MessageType::nak:
      if (request_outstanding && from_chosen_server) {
        if (has_lease()) {
          lose_lease(now);
        } else {
          begin_selecting(now);
        }
        taken = true;
      }
      break;
    default: break;
  }
  if (taken) {
    ++counters_.delivered;
  } else {
    counters_.drop(Error::unexpected);
  }
}

void Client::on_timer(Time now) {
  if (has_lease() && now >= lease_.expires) {
    lose_lease(now);
    return;
  }
  if ((state_ == State::bound || state_ == State::renewing) && now >= lease_.rebind_at) {
    begin_lease_request(State::rebinding, now, lease_.expires);
    return;
  }
  if (state_ == State::bound && now >= lease_.renew_at) {
    begin_lease_request(State::renewing, now, lease_.rebind_at);
    return;
  }
  if (now < retransmit_at_) return;
  switch (state_) {
    case State::init:  // a declined address's back-off is over
      if (retransmit_at_ != never) begin_selecting(now);
      break;
    case State::checking:
      if (probes_sent_ < settings_.conflict_probes) {
        send_probe(now);
      } else {
        bind(candidate_);  // nobody answered
        candidate_ = Lease();
      }
      break;
    case State::selecting:
      send(MessageType::discover, now);
      arm_backoff(now);
      break;
    case State::requesting:
      if (attempts_ >= settings_.request_attempts) {
        begin_selecting(now);
      } else {
        send(MessageType::request, now);
        arm_backoff(now);
      }
      break;
    case State::renewing:
      send(MessageType::request, now);
      arm_lease_retransmission(now, lease_.rebind_at);
      break;
    case State::rebinding:
      send(MessageType::request, now);
      arm_lease_retransmission(now, lease_.expires);
      break;
    case State::bound: break;
  }
}

Time Client::next_deadline() const {
  switch (state_) {
    case State::init:
    case State::selecting:
    case State::requesting:
    case State::checking: return retransmit_at_;
    case State::bound: return earliest(lease_.renew_at, earliest(lease_.rebind_at, lease_.expires));
    case State::renewing: return earliest(retransmit_at_, earliest(lease_.rebind_at, lease_.expires));
    case State::rebinding: return earliest(retransmit_at_, lease_.expires);
  }
  return never;
}

}  // namespace cairn::protocols::dhcp
