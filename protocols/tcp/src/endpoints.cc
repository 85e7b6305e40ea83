// The TCP side of one host (endpoints.h).
#include "cairn/protocols/tcp/endpoints.h"

#include "cairn/protocols/common/allocation.h"

namespace cairn::protocols::tcp {

namespace {

constexpr uint16_t first_ephemeral_port = 49152;  // RFC 6335
constexpr uint32_t ephemeral_ports = 65536 - first_ephemeral_port;
constexpr uint8_t no_listener = 0xff;

bool handshake_done(State state) {
  return state != State::syn_sent && state != State::syn_received && state != State::closed;
}

}  // namespace

Endpoints::Endpoints(const EndpointsSettings& settings, const SecretKey& key, Counters& counters)
    : settings_(settings),
      timestamp_key_{key.k0 ^ 0x74696d657374616dULL, key.k1 ^ 0x702d6f6666736574ULL},
      sequences_(key),
      cookies_(SecretKey{key.k0 ^ 0x636f6f6b69657321ULL, key.k1 ^ 0x73796e2d636f6f6bULL}),
      counters_(counters) {
  slot_count_ = settings.max_connections < max_connections_limit ? settings.max_connections : max_connections_limit;
  slots_ = allocate_array<Slot>(slot_count_);
  if (slots_ == nullptr) slot_count_ = 0;
  port_cursor_ = static_cast<uint32_t>(key.k0 % ephemeral_ports);
}

Endpoints::~Endpoints() {
  for (size_t i = 0; i < slot_count_; ++i) delete slots_[i].connection;
  delete[] slots_;
  for (Listener& listener : listeners_) delete[] listener.queue;
}

uint32_t Endpoints::timestamp_offset(const FourTuple& tuple) const {
  uint8_t bytes[four_tuple_size];
  store_four_tuple(bytes, tuple);
  return static_cast<uint32_t>(siphash24(timestamp_key_, ByteView(bytes, sizeof bytes)));
}

uint32_t Endpoints::timestamp_clock(Time now, const FourTuple& tuple) const {
  return static_cast<uint32_t>(now / milliseconds(1)) + timestamp_offset(tuple);
}

// --- listeners -------------------------------------------------------------------------------

Result<ListenerId> Endpoints::listen(uint16_t port, uint16_t backlog) {
  if (port == 0 || backlog == 0) return Error::bad_argument;
  if (find_listener(port) != nullptr) return Error::in_use;
  for (size_t i = 0; i < max_listeners; ++i) {
    Listener& listener = listeners_[i];
    if (listener.open) continue;
    // Room for a full backlog of cookie connections plus the half-open ones completing after them.
    uint32_t capacity = 2u * backlog;
    ConnectionId* queue = allocate_array<ConnectionId>(capacity);
    if (queue == nullptr) return Error::queue_full;
    delete[] listener.queue;
    listener = Listener{true, port, backlog, static_cast<uint16_t>(capacity), 0, 0, 0, queue};
    return ListenerId{static_cast<uint16_t>(i)};
  }
  return Error::queue_full;
}

void Endpoints::close_listener(ListenerId id) {
  if (id.index >= max_listeners || !listeners_[id.index].open) return;
  for (size_t i = 0; i < slot_count_; ++i) {
    Slot& slot = slots_[i];
    if (slot.connection != nullptr && slot.listener == id.index && !slot.owned) {
      slot.connection->abort();
      slot.listener = no_listener;
      slot.queued = false;
    }
  }
  listeners_[id.index].open = false;
  listeners_[id.index].pending = listeners_[id.index].queue_count = 0;
}

Endpoints::Listener* Endpoints::find_listener(uint16_t port) {
  for (Listener& listener : listeners_) {
    if (listener.open && listener.port == port) return &listener;
  }
  return nullptr;
}

size_t Endpoints::listener_backlog(ListenerId id) const {
  return id.index < max_listeners && listeners_[id.index].open ? listeners_[id.index].pending : 0;
}

bool Endpoints::acceptable(ListenerId id) const {
  return id.index < max_listeners && listeners_[id.index].open && listeners_[id.index].queue_count > 0;
}

bool Endpoints::accept(ListenerId id, ConnectionId& connection) {
  if (!acceptable(id)) return false;
  Listener& listener = listeners_[id.index];
  connection = listener.queue[listener.queue_head];
  listener.queue_head = static_cast<uint16_t>((listener.queue_head + 1) % listener.capacity);
  --listener.queue_count;
  --listener.pending;
  Slot& slot = slots_[connection.index];
  slot.queued = false;
  slot.listener = no_listener;
  slot.owned = true;
  return true;
}

// --- connections -----------------------------------------------------------------------------

int Endpoints::find_slot(const FourTuple& tuple) const {
  for (size_t i = 0; i < slot_count_; ++i) {
    const Connection* connection = slots_[i].connection;
    if (connection != nullptr && !connection->finished() && connection->tuple() == tuple) return static_cast<int>(i);
  }
  return -1;
}

int Endpoints::free_slot() const {
  for (size_t i = 0; i < slot_count_; ++i) {
    if (slots_[i].connection == nullptr) return static_cast<int>(i);
  }
  return -1;
}

Connection* Endpoints::make_connection(int index) {
  Slot& slot = slots_[index];
  slot.connection = new (std::nothrow_t{}) Connection(settings_.connection);
  if (slot.connection == nullptr) return nullptr;
  ++slot.generation;
  slot.listener = no_listener;
  slot.queued = slot.owned = false;
  ++connection_count_;
  return slot.connection;
}

void Endpoints::free_connection(int index) {
  Slot& slot = slots_[index];
  if (slot.connection == nullptr) return;
  if (slot.listener != no_listener && listeners_[slot.listener].open && listeners_[slot.listener].pending > 0 &&
      !slot.queued)
    --listeners_[slot.listener].pending;
  delete slot.connection;
  slot.connection = nullptr;
  slot.listener = no_listener;
  slot.queued = slot.owned = false;
  --connection_count_;
}

Connection* Endpoints::connection(ConnectionId id) {
  if (id.index >= slot_count_ || slots_[id.index].generation != id.generation) return nullptr;
  return slots_[id.index].connection;
}

const Connection* Endpoints::connection(ConnectionId id) const {
  if (id.index >= slot_count_ || slots_[id.index].generation != id.generation) return nullptr;
  return slots_[id.index].connection;
}

void Endpoints::release(ConnectionId id) {
  Connection* connection = this->connection(id);
  if (connection == nullptr) return;
  Slot& slot = slots_[id.index];
  slot.owned = false;
  State state = connection->state();
  if (state == State::established || state == State::close_wait || state == State::syn_sent ||
      state == State::syn_received)
    connection->abort();  // released without close(): nobody will read or write it again
  reap(id.index);
}

void Endpoints::reap(int index) {
  Slot& slot = slots_[index];
  if (slot.connection == nullptr || !slot.connection->finished()) return;
  if (slot.owned || slot.queued) return;  // the application, or accept(), still holds it
  free_connection(index);
}

Result<ConnectionId> Endpoints::connect(Ipv4Address local, Ipv4Address remote, uint16_t port, Time now) {
  if (port == 0 || remote.is_any() || remote.is_broadcast() || remote.is_multicast()) return Error::bad_argument;
  int index = free_slot();
  if (index < 0) return Error::queue_full;
  FourTuple tuple{local, 0, remote, port};
  for (uint32_t tries = 0; tries < ephemeral_ports; ++tries) {
    port_cursor_ = (port_cursor_ + 1) % ephemeral_ports;
    tuple.local_port = static_cast<uint16_t>(first_ephemeral_port + port_cursor_);
    if (find_slot(tuple) < 0 && find_listener(tuple.local_port) == nullptr) break;
    tuple.local_port = 0;
  }
  if (tuple.local_port == 0) return Error::in_use;
  Connection* connection = make_connection(index);
  if (connection == nullptr) return Error::queue_full;
  if (Status opened = connection->open(tuple, sequences_.initial_sequence(tuple, now), timestamp_offset(tuple), now);
      !opened) {
    free_connection(index);
    return opened.error();
  }
  slots_[index].owned = true;
  return ConnectionId{static_cast<uint16_t>(index), slots_[index].generation};
}

// --- input -----------------------------------------------------------------------------------

void Endpoints::input(const Segment& segment, Ipv4Address source, Ipv4Address destination, Time now) {
  ++counters_.received;
  FourTuple tuple{destination, segment.destination_port, source, segment.source_port};
  int index = find_slot(tuple);
  Listener* listener = find_listener(segment.destination_port);
  if (index >= 0) {
    Slot& slot = slots_[index];
    // RFC 6191: a newer SYN may take over a connection in TIME-WAIT.
    bool fresh_syn = segment.has(Flag::syn) && !segment.has(Flag::ack);
    if (fresh_syn && listener != nullptr && slot.connection->state() == State::time_wait && !slot.owned &&
        slot.connection->may_reuse_time_wait(segment)) {
      free_connection(index);
      index = -1;
    } else {
      ++counters_.delivered;
      slot.connection->input(segment, now);
      after_input(index);
      return;
    }
  }
  if (listener == nullptr) {
    counters_.drop(Error::no_port);
    if (!segment.has(Flag::rst)) send_reset(segment, destination, source);
    return;
  }
  if (segment.has(Flag::rst)) {
    counters_.drop(Error::not_for_us);
    return;
  }
  if (segment.has(Flag::syn) && !segment.has(Flag::ack)) {
    handle_syn(*listener, segment, tuple, now);
  } else if (segment.has(Flag::ack) && !segment.has(Flag::syn)) {
    handle_cookie_ack(*listener, segment, tuple, now);
  } else {
    counters_.drop(Error::unexpected);
  }
}

void Endpoints::handle_syn(Listener& listener, const Segment& segment, const FourTuple& tuple, Time now) {
  int index = listener.pending < listener.backlog && !settings_.always_cookies ? free_slot() : -1;
  if (index >= 0) {
    Connection* connection = make_connection(index);
    if (connection != nullptr &&
        connection->accept(tuple, segment, sequences_.initial_sequence(tuple, now), timestamp_offset(tuple), now)) {
      ++counters_.delivered;
      slots_[index].listener = static_cast<uint8_t>(&listener - listeners_);
      ++listener.pending;
      return;
    }
    free_connection(index);
  }

  // No room to remember it: a SYN cookie.
  const Settings& ours = settings_.connection;
  CookieOptions offered;
  offered.mss = segment.options.has_mss ? segment.options.mss : 536;
  offered.timestamps = ours.timestamps && segment.options.has_timestamps;
  offered.sack_permitted = offered.timestamps && ours.sack && segment.options.sack_permitted;
  offered.window_scaling = offered.timestamps && ours.window_scaling && segment.options.has_window_scale;
  offered.window_scale = offered.window_scaling ? segment.options.window_scale : 0;
  if (offered.window_scale > 14) offered.window_scale = 14;

  Transmit reply;
  reply.source = tuple.local_address;
  reply.destination = tuple.remote_address;
  Outgoing& out = reply.segment;
  out.source_port = tuple.local_port;
  out.destination_port = tuple.remote_port;
  out.sequence = cookies_.make(tuple, segment.sequence, offered, now);
  out.acknowledgment = segment.sequence + 1;
  out.flags = Flag::syn | Flag::ack;
  out.window = static_cast<uint16_t>(ours.receive_buffer > 0xffff ? 0xffff : ours.receive_buffer);
  out.options.has_mss = true;
  out.options.mss = ours.mss;
  if (offered.timestamps) {
    out.options.has_timestamps = true;
    out.options.timestamp_value = SynCookies::timestamp_value(timestamp_clock(now, tuple), offered);
    out.options.timestamp_echo = segment.options.timestamp_value;
  }
  out.options.sack_permitted = offered.sack_permitted;
  if (offered.window_scaling) {
    out.options.has_window_scale = true;
    out.options.window_scale = window_scale_for(ours.receive_buffer);
  }
  ++cookies_sent_;
  queue_control(reply);
}

void Endpoints::handle_cookie_ack(Listener& listener, const Segment& segment, const FourTuple& tuple, Time now) {
  Result<CookieOptions> options = cookies_.check(tuple, segment.sequence - 1, segment.acknowledgment - 1,
                                                 segment.options.has_timestamps, segment.options.timestamp_echo, now);
  if (!options.ok()) {
    counters_.drop(options.error());
    send_reset(segment, tuple.local_address, tuple.remote_address);
    return;
  }
  // Half-open connections do not count here: a flood of SYNs must not lock real clients out.
  int index = listener.queue_count < listener.backlog ? free_slot() : -1;
  if (index < 0) {
    counters_.drop(Error::queue_full);  // the peer's next segment tries again
    return;
  }
  Connection* connection = make_connection(index);
  if (connection == nullptr || !connection->accept_cookie(tuple, segment, segment.acknowledgment - 1, options.value(),
                                                          timestamp_offset(tuple), now)) {
    free_connection(index);
    counters_.drop(Error::queue_full);
    return;
  }
  ++cookies_accepted_;
  ++counters_.delivered;
  slots_[index].listener = static_cast<uint8_t>(&listener - listeners_);
  ++listener.pending;
  after_input(index);
}

void Endpoints::after_input(int index) {
  Slot& slot = slots_[index];
  if (slot.listener != no_listener && !slot.queued && handshake_done(slot.connection->state())) {
    Listener& listener = listeners_[slot.listener];
    if (listener.open && listener.queue_count < listener.capacity) {
      listener.queue[(listener.queue_head + listener.queue_count) % listener.capacity] =
          ConnectionId{static_cast<uint16_t>(index), slot.generation};
      ++listener.queue_count;
      slot.queued = true;
    }
  }
  reap(index);
}

void Endpoints::send_reset(const Segment& segment, Ipv4Address source, Ipv4Address destination) {
  Transmit reply;
  reply.source = source;
  reply.destination = destination;
  Outgoing& out = reply.segment;
  out.source_port = segment.destination_port;
  out.destination_port = segment.source_port;
  if (segment.has(Flag::ack)) {
    out.sequence = segment.acknowledgment;
    out.flags = Flag::rst;
  } else {
    out.sequence = 0;
    out.acknowledgment = segment.sequence + segment.length();
    out.flags = Flag::rst | Flag::ack;
  }
  queue_control(reply);
}

void Endpoints::queue_control(const Transmit& transmit) {
  if (control_count_ == control_slots) {
    counters_.drop(Error::queue_full);
    return;
  }
  controls_[(control_head_ + control_count_) % control_slots].transmit = transmit;
  ++control_count_;
}

// --- output and timers -----------------------------------------------------------------------

bool Endpoints::next_output(Transmit& out, Time now) {
  if (control_count_ > 0) {
    lent_control_ = controls_[control_head_];
    control_head_ = static_cast<uint8_t>((control_head_ + 1) % control_slots);
    --control_count_;
    out = lent_control_.transmit;
    ++counters_.sent;
    return true;
  }
  for (size_t step = 0; step < slot_count_; ++step) {
    size_t index = (next_output_slot_ + step) % slot_count_;
    Connection* connection = slots_[index].connection;
    if (connection == nullptr || !connection->next_segment(out.segment, now)) continue;
    out.source = connection->tuple().local_address;
    out.destination = connection->tuple().remote_address;
    next_output_slot_ = index;  // it may have more: scanning the other slots for each segment costs
    ++counters_.sent;
    if (out.segment.payload.empty()) reap(static_cast<int>(index));  // a final RST: nothing points into it
    return true;
  }
  return false;
}

Time Endpoints::next_deadline() const {
  Time deadline = never;
  for (size_t i = 0; i < slot_count_; ++i) {
    if (slots_[i].connection != nullptr) deadline = earliest(deadline, slots_[i].connection->next_deadline());
  }
  return deadline;
}

void Endpoints::on_timer(Time now) {
  for (size_t i = 0; i < slot_count_; ++i) {
    Connection* connection = slots_[i].connection;
    if (connection == nullptr || now < connection->next_deadline()) continue;
    connection->on_timer(now);
    after_input(static_cast<int>(i));
  }
}

}  // namespace cairn::protocols::tcp
