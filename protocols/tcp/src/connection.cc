// One TCP connection (connection.h).
#include "cairn/protocols/tcp/connection.h"

#include "cairn/protocols/common/allocation.h"

namespace cairn::protocols::tcp {

namespace {

constexpr uint32_t min_u32(uint32_t a, uint32_t b) {
  return a < b ? a : b;
}
constexpr uint32_t max_u32(uint32_t a, uint32_t b) {
  return a > b ? a : b;
}
constexpr uint32_t timestamp_option_size = 12;
constexpr uint16_t default_mss = 536;     // RFC 9293 3.7.1: when the peer sends no MSS option
constexpr uint8_t max_window_scale = 14;  // RFC 7323 2.3
constexpr Duration clock_granularity = milliseconds(1);

}  // namespace

uint8_t window_scale_for(uint32_t buffer) {
  uint8_t shift = 0;
  while (shift < max_window_scale && (buffer >> shift) > 0xffff) ++shift;
  return shift;
}

const char* describe(State state) {
  switch (state) {
    case State::closed: return "CLOSED";
    case State::syn_sent: return "SYN-SENT";
    case State::syn_received: return "SYN-RECEIVED";
    case State::established: return "ESTABLISHED";
    case State::fin_wait_1: return "FIN-WAIT-1";
    case State::fin_wait_2: return "FIN-WAIT-2";
    case State::close_wait: return "CLOSE-WAIT";
    case State::closing: return "CLOSING";
    case State::last_ack: return "LAST-ACK";
    case State::time_wait: return "TIME-WAIT";
  }
  return "?";
}

const char* describe(Ending ending) {
  switch (ending) {
    case Ending::none: return "none";
    case Ending::reset: return "reset by peer";
    case Ending::refused: return "refused";
    case Ending::timed_out: return "timed out";
    case Ending::aborted: return "aborted";
    case Ending::no_memory: return "no memory";
  }
  return "?";
}

Connection::Connection(const Settings& settings) : settings_(settings), rto_(settings.initial_rto) {}

Connection::~Connection() {
  delete[] send_buffer_;
  delete[] receive_buffer_;
}

Status Connection::allocate_buffers() {
  if (settings_.send_buffer == 0 || settings_.receive_buffer == 0 || settings_.mss < 64) return Error::bad_argument;
  if (send_buffer_ == nullptr) send_buffer_ = allocate_array<uint8_t>(settings_.send_buffer);
  if (receive_buffer_ == nullptr) receive_buffer_ = allocate_array<uint8_t>(settings_.receive_buffer);
  if (send_buffer_ == nullptr || receive_buffer_ == nullptr) {
    end(Ending::no_memory);
    return Error::queue_full;
  }
  return {};
}

Status Connection::open(const FourTuple& tuple, uint32_t iss, uint32_t timestamp_offset, Time now) {
  if (state_ != State::closed || ending_ != Ending::none) return Error::bad_argument;
  if (Status buffers = allocate_buffers(); !buffers) return buffers;
  tuple_ = tuple;
  iss_ = snd_una_ = snd_nxt_ = snd_max_ = iss;
  timestamp_offset_ = timestamp_offset;
  rcv_wscale_ = settings_.window_scaling ? window_scale_for(settings_.receive_buffer) : 0;
  set_state(State::syn_sent);
  syn_pending_ = true;
  (void)now;
  return {};
}

Status Connection::accept(const FourTuple& tuple, const Segment& syn, uint32_t iss, uint32_t timestamp_offset,
                          Time now) {
  if (state_ != State::closed || ending_ != Ending::none) return Error::bad_argument;
  if (Status buffers = allocate_buffers(); !buffers) return buffers;
  tuple_ = tuple;
  iss_ = snd_una_ = snd_nxt_ = snd_max_ = iss;
  timestamp_offset_ = timestamp_offset;
  irs_ = syn.sequence;
  rcv_nxt_ = irs_ + 1;
  rcv_adv_ = rcv_nxt_;
  negotiate(syn.options, true);
  snd_wnd_ = syn.window;  // never scaled in a SYN (RFC 7323 2.2)
  max_snd_wnd_ = snd_wnd_;
  snd_wl1_ = syn.sequence;
  if (timestamps_ok_) ts_recent_ = syn.options.timestamp_value;
  set_state(State::syn_received);
  syn_pending_ = true;
  (void)now;
  return {};
}

Status Connection::accept_cookie(const FourTuple& tuple, const Segment& ack, uint32_t iss, const CookieOptions& options,
                                 uint32_t timestamp_offset, Time now) {
  if (state_ != State::closed || ending_ != Ending::none) return Error::bad_argument;
  if (Status buffers = allocate_buffers(); !buffers) return buffers;
  tuple_ = tuple;
  iss_ = iss;
  snd_una_ = snd_nxt_ = snd_max_ = iss + 1;
  syn_acked_ = true;
  timestamp_offset_ = timestamp_offset;
  irs_ = ack.sequence - 1;
  rcv_nxt_ = ack.sequence;
  rcv_adv_ = rcv_nxt_;
  Options peer;
  peer.has_mss = true;
  peer.mss = options.mss;
  peer.has_window_scale = options.window_scaling;
  peer.window_scale = options.window_scale;
  peer.sack_permitted = options.sack_permitted;
  peer.has_timestamps = options.timestamps && ack.options.has_timestamps;
  negotiate(peer, true);
  if (timestamps_ok_) ts_recent_ = ack.options.timestamp_value;
  enter_established(ack, now);
  input(ack, now);  // its data, FIN or window
  return {};
}

void Connection::negotiate(const Options& peer, bool peer_syn) {
  (void)peer_syn;
  uint16_t peer_mss = peer.has_mss && peer.mss != 0 ? peer.mss : default_mss;
  send_mss_ = peer_mss < settings_.mss ? peer_mss : settings_.mss;
  if (send_mss_ < 64) send_mss_ = 64;  // a hostile MSS of 1 must not turn a write into a flood
  if (settings_.window_scaling && peer.has_window_scale) {
    snd_wscale_ = peer.window_scale < max_window_scale ? peer.window_scale : max_window_scale;
    rcv_wscale_ = window_scale_for(settings_.receive_buffer);
  } else {
    snd_wscale_ = rcv_wscale_ = 0;
  }
  sack_ok_ = settings_.sack && peer.sack_permitted;
  timestamps_ok_ = settings_.timestamps && peer.has_timestamps;
}

void Connection::enter_established(const Segment& segment, Time now) {
  set_state(State::established);
  uint32_t smss = send_mss_;
  // RFC 6928's initial window; one segment when the SYN had to be retransmitted (RFC 6298 5.7).
  cwnd_ = retries_ > 0 ? smss : min_u32(10 * smss, max_u32(2 * smss, 14600));
  retries_ = 0;
  snd_wl1_ = segment.sequence;
  snd_wl2_ = segment.acknowledgment;
  restart_keep_alive(now);
}

void Connection::end(Ending ending) {
  set_state(State::closed);
  ending_ = ending;
  retransmit_at_ = ack_at_ = probe_at_ = keep_alive_at_ = time_wait_until_ = fin_wait_2_until_ = never;
  syn_pending_ = ack_now_ = probe_pending_ = keep_alive_pending_ = window_update_ = retransmit_pending_ = false;
}

// --- input -----------------------------------------------------------------------------------

void Connection::input(const Segment& segment, Time now) {
  ++stats_.segments_received;
  if (state_ == State::closed) return;
  if (state_ == State::syn_sent) {
    input_syn_sent(segment, now);
    return;
  }
  if (state_ == State::syn_received && segment.has(Flag::syn) && segment.sequence == irs_) {
    if (!segment.has(Flag::ack)) {
      syn_pending_ = true;  // our SYN-ACK was lost: the peer sent its SYN again
      return;
    }
    // Simultaneous open: the peer's SYN-ACK acknowledges our SYN (RFC 9293 figure 8, line 6).
    if (seq_gt(segment.acknowledgment, snd_una_) && seq_leq(segment.acknowledgment, snd_max_)) {
      snd_una_ = segment.acknowledgment;
      syn_acked_ = true;
      retransmit_at_ = never;
      enter_established(segment, now);
      snd_wnd_ = segment.window;
      max_snd_wnd_ = snd_wnd_;
      ack_now_ = true;
      if (fin_queued_) set_state(State::fin_wait_1);
    }
    return;
  }

  uint32_t window = settings_.receive_buffer - received_count_;

  // RFC 5961 3.2: a RST counts only exactly at RCV.NXT; elsewhere in the window it is challenged.
  if (segment.has(Flag::rst)) {
    uint32_t span = window > 0 ? window : 1;
    if (seq_lt(segment.sequence, rcv_nxt_) || seq_geq(segment.sequence, rcv_nxt_ + span)) {
      ++stats_.dropped_segments;
      return;
    }
    if (segment.sequence != rcv_nxt_) {
      send_challenge_ack(now);
      return;
    }
    end(Ending::reset);
    return;
  }

  // RFC 7323 5.3: PAWS.
  if (timestamps_ok_ && segment.options.has_timestamps && seq_lt(segment.options.timestamp_value, ts_recent_)) {
    ++stats_.dropped_segments;
    ack_now_ = true;
    return;
  }

  if (!acceptable(segment)) {
    ++stats_.dropped_segments;
    // RFC 9293 3.10.7.4: in TIME-WAIT, a retransmitted FIN is acknowledged and restarts 2 MSL.
    if (state_ == State::time_wait && segment.has(Flag::fin) && segment.sequence + segment.length() == rcv_nxt_)
      time_wait_until_ = later(now, settings_.time_wait);
    if (state_ == State::syn_received && segment.has(Flag::ack) &&
        !(seq_gt(segment.acknowledgment, snd_una_) && seq_leq(segment.acknowledgment, snd_max_))) {
      rst_pending_ = true;
      rst_sequence_ = segment.acknowledgment;
      return;
    }
    ack_now_ = true;
    return;
  }

  // RFC 5961 4.2: a SYN in a synchronized state is answered with a challenge ACK, never a reset.
  if (segment.has(Flag::syn)) {
    send_challenge_ack(now);
    return;
  }
  if (!segment.has(Flag::ack)) {
    ++stats_.dropped_segments;
    return;
  }

  // RFC 7323 4.3: TS.Recent follows the segment that covers the edge we last acknowledged.
  if (timestamps_ok_ && segment.options.has_timestamps && seq_leq(segment.sequence, last_ack_sent_))
    ts_recent_ = segment.options.timestamp_value;
  restart_keep_alive(now);

  if (state_ == State::syn_received) {
    if (!(seq_gt(segment.acknowledgment, snd_una_) && seq_leq(segment.acknowledgment, snd_max_))) {
      rst_pending_ = true;
      rst_sequence_ = segment.acknowledgment;
      return;
    }
    enter_established(segment, now);
    snd_wnd_ = static_cast<uint32_t>(segment.window) << snd_wscale_;
    max_snd_wnd_ = max_u32(max_snd_wnd_, snd_wnd_);
    if (fin_queued_) set_state(State::fin_wait_1);
  }
  if (!process_ack(segment, now)) return;

  switch (state_) {
    case State::fin_wait_1:
      if (fin_acked_) {
        set_state(State::fin_wait_2);
        fin_wait_2_until_ = later(now, settings_.fin_wait_2_timeout);
      }
      break;
    case State::closing:
      if (fin_acked_) {
        set_state(State::time_wait);
        time_wait_until_ = later(now, settings_.time_wait);
        retransmit_at_ = never;
      }
      return;
    case State::last_ack:
      if (fin_acked_) end(Ending::none);
      return;
    case State::time_wait:
      if (segment.has(Flag::fin)) {
        ack_now_ = true;
        time_wait_until_ = later(now, settings_.time_wait);
      }
      return;
    default: break;
  }
  if (state_ == State::fin_wait_2) fin_wait_2_until_ = later(now, settings_.fin_wait_2_timeout);

  if (state_ == State::established || state_ == State::fin_wait_1 || state_ == State::fin_wait_2) {
    process_data(segment, now);
  }
}

void Connection::input_syn_sent(const Segment& segment, Time now) {
  bool ack_ok = false;
  if (segment.has(Flag::ack)) {
    if (seq_leq(segment.acknowledgment, iss_) || seq_gt(segment.acknowledgment, snd_max_)) {
      if (!segment.has(Flag::rst)) {
        rst_pending_ = true;
        rst_sequence_ = segment.acknowledgment;
      }
      ++stats_.dropped_segments;
      return;
    }
    ack_ok = true;
  }
  if (segment.has(Flag::rst)) {
    if (ack_ok)
      end(Ending::refused);
    else
      ++stats_.dropped_segments;
    return;
  }
  if (!segment.has(Flag::syn)) {
    ++stats_.dropped_segments;
    return;
  }
  irs_ = segment.sequence;
  rcv_nxt_ = irs_ + 1;
  rcv_adv_ = rcv_nxt_;
  negotiate(segment.options, true);
  if (timestamps_ok_) ts_recent_ = segment.options.timestamp_value;
  if (ack_ok) {
    if (timestamps_ok_ && segment.options.timestamp_echo != 0) {
      update_rtt(static_cast<Duration>(timestamp_clock(now) - segment.options.timestamp_echo) * milliseconds(1));
    } else if (retries_ == 0 && timing_) {
      update_rtt(now - timed_at_);
    }
    timing_ = false;
    snd_una_ = segment.acknowledgment;
    syn_acked_ = true;
    if (seq_lt(snd_nxt_, snd_una_)) snd_nxt_ = snd_una_;
    retransmit_at_ = never;
    enter_established(segment, now);
    snd_wnd_ = segment.window;  // unscaled in a SYN
    max_snd_wnd_ = snd_wnd_;
    ack_now_ = true;
    if (fin_queued_) set_state(State::fin_wait_1);
    if (!segment.payload.empty()) process_data(segment, now);
  } else {
    // Simultaneous open (RFC 9293 3.5, figure 8): answer with SYN-ACK from the same ISS.
    set_state(State::syn_received);
    snd_wnd_ = segment.window;
    max_snd_wnd_ = snd_wnd_;
    snd_wl1_ = segment.sequence;
    snd_nxt_ = iss_;
    syn_pending_ = true;
  }
}

bool Connection::acceptable(const Segment& segment) const {
  uint32_t window = settings_.receive_buffer - received_count_;
  uint32_t length = segment.length();
  if (length == 0) {
    if (window == 0) return segment.sequence == rcv_nxt_;
    return seq_geq(segment.sequence, rcv_nxt_ - 1) && seq_lt(segment.sequence, rcv_nxt_ + window);
  }
  if (window == 0) return segment.sequence == rcv_nxt_;  // its ACK counts; its data does not fit
  uint32_t last = segment.sequence + length - 1;
  return (seq_geq(segment.sequence, rcv_nxt_) && seq_lt(segment.sequence, rcv_nxt_ + window)) ||
         (seq_geq(last, rcv_nxt_) && seq_lt(last, rcv_nxt_ + window));
}

void Connection::send_challenge_ack(Time now) {
  if (now - challenge_window_start_ >= seconds(1) || now < challenge_window_start_) {
    challenge_window_start_ = now;
    challenge_acks_ = 0;
  }
  if (challenge_acks_ >= settings_.challenge_acks_per_second) return;
  ++challenge_acks_;
  ++stats_.challenge_acks;
  ack_now_ = true;
}

bool Connection::process_ack(const Segment& segment, Time now) {
  uint32_t ack = segment.acknowledgment;
  if (seq_gt(ack, snd_max_)) {  // acknowledges what was never sent
    ++stats_.dropped_segments;
    ack_now_ = true;
    return false;
  }
  if (seq_lt(ack, snd_una_ - max_snd_wnd_)) {  // RFC 5961 5.2: too old to be from this connection
    ++stats_.dropped_segments;
    send_challenge_ack(now);
    return false;
  }
  if (sack_ok_ && segment.options.sack_count > 0) process_sack(segment.options);

  uint32_t window = static_cast<uint32_t>(segment.window) << snd_wscale_;
  bool window_changed = window != snd_wnd_;
  if (seq_gt(ack, snd_una_)) {
    uint32_t acked = ack - snd_una_;
    uint32_t remaining = acked;
    if (!syn_acked_) {
      syn_acked_ = true;
      --remaining;
    }
    uint32_t data = min_u32(remaining, send_count_);
    send_head_ = (send_head_ + data) % settings_.send_buffer;
    send_count_ -= data;
    remaining -= data;
    if (remaining > 0 && fin_sent_) fin_acked_ = true;
    snd_una_ = ack;
    if (seq_lt(snd_nxt_, snd_una_)) snd_nxt_ = snd_una_;
    if (seq_lt(retransmit_next_, snd_una_)) retransmit_next_ = snd_una_;
    stats_.bytes_acknowledged += data;
    // Forget SACKed ranges now below the left edge.
    for (uint8_t i = 0; i < sacked_count_;) {
      if (seq_leq(sacked_[i].right, snd_una_)) {
        sacked_[i] = sacked_[--sacked_count_];
      } else {
        if (seq_lt(sacked_[i].left, snd_una_)) sacked_[i].left = snd_una_;
        ++i;
      }
    }
    // RTT: from the echoed timestamp (RFC 7323 4.1), or the one timed segment (Karn's rule).
    if (timestamps_ok_ && segment.options.has_timestamps && segment.options.timestamp_echo != 0) {
      uint32_t elapsed = timestamp_clock(now) - segment.options.timestamp_echo;
      if (elapsed < 0x7fffffff) update_rtt(static_cast<Duration>(elapsed) * milliseconds(1));
    } else if (timing_ && seq_gt(ack, timed_sequence_)) {
      update_rtt(now - timed_at_);
      timing_ = false;
    }
    retries_ = 0;
    on_new_ack(data, now);
    retransmit_at_ = snd_una_ != snd_max_ ? later(now, rto_) : never;
  } else if (ack == snd_una_ && segment.payload.empty() && !segment.has(Flag::fin) && snd_max_ != snd_una_ &&
             (!window_changed || (sack_ok_ && segment.options.sack_count > 0))) {
    // RFC 5681's duplicate ACK; with SACK (RFC 6675), any ACK that reports SACKed data counts,
    // whatever its window (a receiver that autotunes its buffer changes the window all the time).
    on_duplicate_ack(now);
  }

  // RFC 9293 3.10.7.4: take the window from the newest segment.
  if (seq_lt(snd_wl1_, segment.sequence) || (snd_wl1_ == segment.sequence && seq_leq(snd_wl2_, ack))) {
    snd_wnd_ = window;
    max_snd_wnd_ = max_u32(max_snd_wnd_, snd_wnd_);
    snd_wl1_ = segment.sequence;
    snd_wl2_ = ack;
    if (snd_wnd_ > 0) {
      probe_at_ = never;
      probes_ = 0;
      probe_pending_ = false;
    }
  }
  return true;
}

void Connection::process_sack(const Options& options) {
  for (uint8_t b = 0; b < options.sack_count; ++b) {
    Range block{options.sack[b].left, options.sack[b].right};
    if (!seq_lt(block.left, block.right) || seq_leq(block.right, snd_una_) || seq_gt(block.right, snd_max_)) continue;
    if (seq_lt(block.left, snd_una_)) block.left = snd_una_;
    // Merge with every range it touches.
    for (uint8_t i = 0; i < sacked_count_;) {
      if (seq_leq(sacked_[i].left, block.right) && seq_geq(sacked_[i].right, block.left)) {
        if (seq_lt(sacked_[i].left, block.left)) block.left = sacked_[i].left;
        if (seq_gt(sacked_[i].right, block.right)) block.right = sacked_[i].right;
        sacked_[i] = sacked_[--sacked_count_];
      } else {
        ++i;
      }
    }
    if (sacked_count_ < max_ranges) sacked_[sacked_count_++] = block;
  }
}

bool Connection::sacked(uint32_t sequence) const {
  for (uint8_t i = 0; i < sacked_count_; ++i) {
    if (seq_geq(sequence, sacked_[i].left) && seq_lt(sequence, sacked_[i].right)) return true;
  }
  return false;
}

void Connection::update_rtt(Duration sample) {
  if (sample == 0) sample = clock_granularity;
  if (!rtt_measured_) {
    srtt_ = sample;
    rttvar_ = sample / 2;
    rtt_measured_ = true;
  } else {
    Duration difference = srtt_ > sample ? srtt_ - sample : sample - srtt_;
    rttvar_ = (3 * rttvar_ + difference) / 4;
    srtt_ = (7 * srtt_ + sample) / 8;
  }
  Duration variance = 4 * rttvar_ > clock_granularity ? 4 * rttvar_ : clock_granularity;
  rto_ = srtt_ + variance;
  if (rto_ < settings_.min_rto) rto_ = settings_.min_rto;
  if (rto_ > settings_.max_rto) rto_ = settings_.max_rto;
}

void Connection::on_new_ack(uint32_t acked, Time now) {
  uint32_t smss = send_mss_;
  if (in_recovery_) {
    if (seq_geq(snd_una_, recover_)) {  // full acknowledgment (RFC 6582 3.2 step 3)
      cwnd_ = min_u32(ssthresh_, max_u32(bytes_in_flight(), smss) + smss);
      in_recovery_ = false;
      duplicate_acks_ = 0;
      retransmit_pending_ = false;
    } else {  // partial: resend the next hole, deflate by what was acknowledged
      cwnd_ = cwnd_ > acked ? cwnd_ - acked : 0;
      cwnd_ += smss;
      retransmit_pending_ = true;
    }
    (void)now;
    return;
  }
  duplicate_acks_ = 0;
  if (cwnd_ < ssthresh_) {
    cwnd_ += min_u32(acked, smss);  // slow start, byte counting with L = 1 SMSS (RFC 3465)
  } else {
    bytes_acked_ += acked;
    if (bytes_acked_ >= cwnd_) {
      bytes_acked_ -= cwnd_;
      cwnd_ += smss;
    }
  }
}

void Connection::on_duplicate_ack(Time now) {
  ++duplicate_acks_;
  if (in_recovery_) {
    cwnd_ += send_mss_;  // each duplicate means a segment left the network (RFC 6582 3.2 step 4)
    if (sack_ok_) retransmit_pending_ = true;
    return;
  }
  bool sack_says_lost = sack_ok_ && sacked_count_ > 0;
  if (duplicate_acks_ == 3 || (sack_says_lost && duplicate_acks_ >= 3)) enter_recovery(now);
}

void Connection::enter_recovery(Time now) {
  // RFC 6582 3.2 step 1: not again for losses from the window already recovered, whose duplicate
  // ACKs may come from segments sent twice. With SACK, the blocks say what is really missing.
  if (!sack_ok_ && recover_ != 0 && seq_lt(snd_una_, recover_)) return;
  ++stats_.fast_retransmits;
  uint32_t smss = send_mss_;
  ssthresh_ = max_u32(bytes_in_flight() / 2, 2 * smss);
  cwnd_ = ssthresh_ + 3 * smss;
  recover_ = snd_max_;
  in_recovery_ = true;
  retransmit_next_ = snd_una_;
  retransmit_pending_ = true;
  retransmit_at_ = later(now, rto_);
}

void Connection::process_data(const Segment& segment, Time now) {
  uint32_t sequence = segment.sequence;
  ByteView payload = segment.payload;
  bool fin = segment.has(Flag::fin);
  if (fin_received_) {  // nothing counts after the peer's FIN; a retransmitted FIN gets an ACK
    if (fin || !payload.empty()) ack_now_ = true;
    return;
  }
  // Trim what we have already.
  if (seq_lt(sequence, rcv_nxt_)) {
    uint32_t old = rcv_nxt_ - sequence;
    if (old >= payload.size()) {
      payload = {};
      if (old > payload.size() && !fin) {
        if (!segment.payload.empty()) ack_now_ = true;  // a duplicate: tell the peer where we are
        return;
      }
    } else {
      payload = payload.subspan(old);
    }
    sequence = rcv_nxt_;
  }
  uint32_t window = settings_.receive_buffer - received_count_;
  uint32_t offset = sequence - rcv_nxt_;
  if (offset >= window && !payload.empty()) {
    ack_now_ = true;
    return;
  }
  if (payload.size() > window - offset) {
    payload = payload.first(window - offset);
    fin = false;  // the FIN lies beyond the window
  }
  uint32_t capacity = settings_.receive_buffer;
  uint32_t write_at = (receive_head_ + received_count_ + offset) % capacity;
  size_t first = payload.size() < capacity - write_at ? payload.size() : capacity - write_at;
  copy_bytes(receive_buffer_ + write_at, payload.data(), first);
  copy_bytes(receive_buffer_, payload.data() + first, payload.size() - first);

  if (offset == 0) {
    uint32_t length = static_cast<uint32_t>(payload.size());
    rcv_nxt_ += length;
    received_count_ += length;
    stats_.bytes_received += length;
    bool filled_hole = false;
    for (bool merged = true; merged;) {
      merged = false;
      for (uint8_t i = 0; i < out_of_order_count_; ++i) {
        if (seq_leq(out_of_order_[i].left, rcv_nxt_)) {
          if (seq_gt(out_of_order_[i].right, rcv_nxt_)) {
            uint32_t gained = out_of_order_[i].right - rcv_nxt_;
            rcv_nxt_ += gained;
            received_count_ += gained;
            stats_.bytes_received += gained;
          }
          for (uint8_t j = i; j + 1 < out_of_order_count_; ++j) out_of_order_[j] = out_of_order_[j + 1];
          --out_of_order_count_;
          filled_hole = merged = true;
          break;
        }
      }
    }
    if (fin && seq_leq(sequence + length, rcv_nxt_) && out_of_order_count_ == 0 && sequence + length == rcv_nxt_) {
      fin_received_ = true;
      fin_sequence_ = rcv_nxt_;
      rcv_nxt_ += 1;
    }
    if (fin_received_ || filled_hole) {
      ack_now_ = true;
    } else if (length > 0) {
      // RFC 9293 3.8.6.3 / RFC 5681 4.2: at least every second full segment, else within the delay.
      uint32_t full = min_u32(send_mss_, settings_.mss) - (timestamps_ok_ ? timestamp_option_size : 0);
      if (length >= full) ++unacked_segments_;
      if (unacked_segments_ >= 2)
        ack_now_ = true;
      else if (ack_at_ == never)
        ack_at_ = later(now, settings_.delayed_ack);
    }
    if (fin_received_) process_fin(now);
  } else if (!payload.empty()) {
    ++stats_.out_of_order_segments;
    Range range{sequence, sequence + static_cast<uint32_t>(payload.size())};
    for (uint8_t i = 0; i < out_of_order_count_;) {
      if (seq_leq(out_of_order_[i].left, range.right) && seq_geq(out_of_order_[i].right, range.left)) {
        if (seq_lt(out_of_order_[i].left, range.left)) range.left = out_of_order_[i].left;
        if (seq_gt(out_of_order_[i].right, range.right)) range.right = out_of_order_[i].right;
        for (uint8_t j = i; j + 1 < out_of_order_count_; ++j) out_of_order_[j] = out_of_order_[j + 1];
        --out_of_order_count_;
      } else {
        ++i;
      }
    }
    if (out_of_order_count_ == max_ranges) --out_of_order_count_;  // forget the oldest; the peer resends it
    for (uint8_t j = out_of_order_count_; j > 0; --j) out_of_order_[j] = out_of_order_[j - 1];
    out_of_order_[0] = range;
    ++out_of_order_count_;
    ack_now_ = true;  // a duplicate ACK at once, with SACK blocks (RFC 5681 4.2)
  }
}

void Connection::process_fin(Time now) {
  switch (state_) {
    case State::syn_received:
    case State::established: set_state(State::close_wait); break;
    case State::fin_wait_1:
      if (fin_acked_) {
        set_state(State::time_wait);
        time_wait_until_ = later(now, settings_.time_wait);
      } else {
        set_state(State::closing);
      }
      break;
    case State::fin_wait_2:
      set_state(State::time_wait);
      time_wait_until_ = later(now, settings_.time_wait);
      fin_wait_2_until_ = never;
      break;
    default: break;
  }
  if (state_ == State::time_wait) {
    retransmit_at_ = probe_at_ = keep_alive_at_ = never;
  }
  ack_now_ = true;
  ack_at_ = never;
}

// --- the application -------------------------------------------------------------------------

bool Connection::can_write() const {
  return (state_ == State::established || state_ == State::close_wait || state_ == State::syn_sent ||
          state_ == State::syn_received) &&
         !fin_queued_;
}

size_t Connection::writable_space() const {
  return can_write() ? settings_.send_buffer - send_count_ : 0;
}

size_t Connection::write(ByteView data) {
  size_t room = writable_space();
  size_t count = data.size() < room ? data.size() : room;
  uint32_t capacity = settings_.send_buffer;
  uint32_t at = (send_head_ + send_count_) % capacity;
  size_t first = count < capacity - at ? count : capacity - at;
  copy_bytes(send_buffer_ + at, data.data(), first);
  copy_bytes(send_buffer_, data.data() + first, count - first);
  send_count_ += static_cast<uint32_t>(count);
  return count;
}

size_t Connection::read(MutableByteView out) {
  size_t count = out.size() < received_count_ ? out.size() : received_count_;
  if (count == 0) return 0;
  uint32_t capacity = settings_.receive_buffer;
  size_t first = count < capacity - receive_head_ ? count : capacity - receive_head_;
  copy_bytes(out.data(), receive_buffer_ + receive_head_, first);
  copy_bytes(out.data() + first, receive_buffer_, count - first);
  receive_head_ = static_cast<uint32_t>((receive_head_ + count) % capacity);
  received_count_ -= static_cast<uint32_t>(count);
  // Tell the peer when the window opened by enough to matter (RFC 9293 3.8.6.2.2).
  uint32_t right_edge = rcv_nxt_ + (capacity - received_count_);
  uint32_t threshold = min_u32(capacity / 2, 2u * settings_.mss);
  if (state_ != State::closed && state_ != State::syn_sent && seq_geq(right_edge, rcv_adv_ + threshold))
    window_update_ = true;
  return count;
}

void Connection::close(Time now) {
  (void)now;
  switch (state_) {
    case State::closed: return;
    case State::syn_sent: end(Ending::none); return;
    case State::syn_received:
    case State::established:
      fin_queued_ = true;
      if (state_ == State::established) set_state(State::fin_wait_1);
      return;
    case State::close_wait:
      fin_queued_ = true;
      set_state(State::last_ack);
      return;
    default: return;
  }
}

void Connection::abort() {
  if (state_ == State::closed) return;
  bool synchronized = state_ != State::syn_sent;
  end(Ending::aborted);
  if (synchronized) {
    rst_pending_ = true;
    rst_sequence_ = snd_nxt_;
  }
}

bool Connection::may_reuse_time_wait(const Segment& syn) const {
  if (state_ != State::time_wait) return false;
  if (timestamps_ok_ && syn.options.has_timestamps) return seq_gt(syn.options.timestamp_value, ts_recent_);
  return seq_gt(syn.sequence, rcv_nxt_);
}

// --- output ----------------------------------------------------------------------------------

uint32_t Connection::timestamp_clock(Time now) const {
  return static_cast<uint32_t>(now / milliseconds(1)) + timestamp_offset_;
}

uint16_t Connection::advertised_window() {
  uint32_t space = settings_.receive_buffer - received_count_;
  uint32_t right_edge = rcv_nxt_ + space;
  // Receiver silly-window avoidance: move the right edge only by a useful amount, never back.
  uint32_t threshold = min_u32(settings_.receive_buffer / 2, settings_.mss);
  if (seq_geq(right_edge, rcv_adv_ + threshold) || seq_lt(rcv_adv_, rcv_nxt_) || space == settings_.receive_buffer) {
    rcv_adv_ = right_edge;
  }
  uint32_t window = seq_gt(rcv_adv_, rcv_nxt_) ? rcv_adv_ - rcv_nxt_ : 0;
  window >>= rcv_wscale_;
  return static_cast<uint16_t>(window > 0xffff ? 0xffff : window);
}

void Connection::fill_header(Outgoing& out, uint8_t flags, uint32_t sequence, Time now) {
  out = Outgoing{};
  out.source_port = tuple_.local_port;
  out.destination_port = tuple_.remote_port;
  out.sequence = sequence;
  out.flags = flags;
  bool syn = (flags & Flag::syn) != 0;
  if (syn) {
    uint32_t space = settings_.receive_buffer - received_count_;
    out.window = static_cast<uint16_t>(space > 0xffff ? 0xffff : space);
    Options& options = out.options;
    options.has_mss = true;
    options.mss = settings_.mss;
    bool offering = state_ == State::syn_sent;  // a SYN-ACK answers only what the peer offered
    if (settings_.window_scaling && (offering || snd_wscale_ != 0 || rcv_wscale_ != 0)) {
      options.has_window_scale = true;
      options.window_scale = rcv_wscale_;
    }
    options.sack_permitted = offering ? settings_.sack : sack_ok_;
    if (offering ? settings_.timestamps : timestamps_ok_) {
      options.has_timestamps = true;
      options.timestamp_value = timestamp_clock(now);
      options.timestamp_echo = offering ? 0 : ts_recent_;
    }
  } else {
    out.window = advertised_window();
    if (timestamps_ok_) {
      out.options.has_timestamps = true;
      out.options.timestamp_value = timestamp_clock(now);
      out.options.timestamp_echo = ts_recent_;
    }
    if (sack_ok_ && out_of_order_count_ > 0 && (flags & Flag::rst) == 0) {
      for (uint8_t i = 0; i < out_of_order_count_ && i < max_sack_blocks; ++i) {
        out.options.sack[i] = {out_of_order_[i].left, out_of_order_[i].right};
        ++out.options.sack_count;
      }
    }
  }
  if ((flags & Flag::ack) != 0) {
    out.acknowledgment = rcv_nxt_;
    last_ack_sent_ = rcv_nxt_;
    ack_now_ = false;
    ack_at_ = never;
    unacked_segments_ = 0;
    window_update_ = false;
  }
  ++stats_.segments_sent;
}

uint32_t Connection::unsent_bytes() const {
  uint32_t sent = snd_nxt_ - snd_una_;
  if (!syn_acked_) sent = sent > 0 ? sent - 1 : 0;
  return sent >= send_count_ ? 0 : send_count_ - sent;
}

ByteView Connection::send_bytes_at(uint32_t sequence, uint32_t limit) const {
  uint32_t offset = sequence - snd_una_;
  if (offset >= send_count_) return {};
  uint32_t capacity = settings_.send_buffer;
  uint32_t at = (send_head_ + offset) % capacity;
  uint32_t count = min_u32(limit, send_count_ - offset);
  count = min_u32(count, capacity - at);
  return ByteView(send_buffer_ + at, count);
}

void Connection::arm_retransmission(Time now) {
  if (retransmit_at_ == never) retransmit_at_ = later(now, rto_);
}

void Connection::restart_keep_alive(Time now) {
  keep_alive_at_ = settings_.keep_alive ? later(now, settings_.keep_alive_idle) : never;
  keep_alive_probes_ = 0;
}

bool Connection::next_segment(Outgoing& out, Time now) {
  if (rst_pending_) {
    rst_pending_ = false;
    bool acknowledge = state_ != State::closed || ending_ == Ending::aborted;
    fill_header(out, acknowledge ? Flag::rst | Flag::ack : Flag::rst, rst_sequence_, now);
    out.window = 0;
    return true;
  }
  if (state_ == State::closed) return false;

  if (syn_pending_) {
    syn_pending_ = false;
    bool syn_ack = state_ == State::syn_received;
    fill_header(out, syn_ack ? Flag::syn | Flag::ack : Flag::syn, iss_, now);
    if (seq_gt(iss_ + 1, snd_max_) || snd_max_ == iss_) snd_max_ = iss_ + 1;
    snd_nxt_ = iss_ + 1;
    if (retries_ == 0 && !timing_) {
      timing_ = true;
      timed_sequence_ = iss_;
      timed_at_ = now;
    } else {
      ++stats_.retransmitted_segments;
    }
    arm_retransmission(now);
    return true;
  }
  if (state_ == State::syn_sent || state_ == State::syn_received) return false;
  if (state_ == State::time_wait) {
    if (!ack_now_) return false;
    fill_header(out, Flag::ack, snd_nxt_, now);
    return true;
  }

  if (retransmit_pending_ && next_retransmission(out, now)) return true;
  if (next_new_data(out, now)) return true;

  if (probe_pending_) {
    probe_pending_ = false;
    ++stats_.zero_window_probes;
    fill_header(out, Flag::ack, snd_nxt_, now);
    out.payload = send_bytes_at(snd_nxt_, 1);  // one byte beyond the window: the reply says how it stands
    return true;
  }
  if (keep_alive_pending_) {
    keep_alive_pending_ = false;
    fill_header(out, Flag::ack, snd_una_ - 1, now);  // an old sequence number: the peer must answer
    return true;
  }
  if (ack_now_ || window_update_ || (ack_at_ != never && now >= ack_at_)) {
    fill_header(out, Flag::ack, snd_nxt_, now);
    return true;
  }
  return false;
}

bool Connection::next_retransmission(Outgoing& out, Time now) {
  retransmit_pending_ = false;
  uint32_t sequence = seq_lt(retransmit_next_, snd_una_) ? snd_una_ : retransmit_next_;
  // Skip what the peer holds; without SACK only the first unacknowledged segment is resent.
  for (bool moved = true; moved;) {
    moved = false;
    for (uint8_t i = 0; i < sacked_count_; ++i) {
      if (seq_geq(sequence, sacked_[i].left) && seq_lt(sequence, sacked_[i].right)) {
        sequence = sacked_[i].right;
        moved = true;
      }
    }
  }
  if (!seq_lt(sequence, snd_max_)) return false;
  if (sack_ok_ && sacked_count_ > 0) {
    // Only holes below the highest SACKed byte count as lost (RFC 6675's IsLost, simplified).
    uint32_t highest = sacked_[0].right;
    for (uint8_t i = 1; i < sacked_count_; ++i)
      highest = seq_gt(sacked_[i].right, highest) ? sacked_[i].right : highest;
    if (!seq_lt(sequence, highest) && sequence != snd_una_) return false;
  }
  fill_header(out, Flag::ack, sequence, now);
  uint32_t limit = send_mss_ - static_cast<uint32_t>(header_size_for(out.options) - header_size);
  for (uint8_t i = 0; i < sacked_count_; ++i) {
    if (seq_gt(sacked_[i].left, sequence)) limit = min_u32(limit, sacked_[i].left - sequence);
  }
  out.payload = send_bytes_at(sequence, limit);
  uint32_t end = sequence + static_cast<uint32_t>(out.payload.size());
  if (fin_sent_ && out.payload.size() < limit && end == snd_una_ + send_count_) {
    out.flags |= Flag::fin;
    end += 1;
  }
  if (out.payload.empty() && (out.flags & Flag::fin) == 0) return false;
  retransmit_next_ = end;
  ++stats_.retransmitted_segments;
  timing_ = false;
  arm_retransmission(now);
  return true;
}

bool Connection::next_new_data(Outgoing& out, Time now) {
  if (!syn_acked_) return false;
  // Skip ranges the peer SACKed (after a timeout sent SND.NXT back to SND.UNA).
  for (bool moved = true; moved && seq_lt(snd_nxt_, snd_max_);) {
    moved = false;
    for (uint8_t i = 0; i < sacked_count_; ++i) {
      if (seq_geq(snd_nxt_, sacked_[i].left) && seq_lt(snd_nxt_, sacked_[i].right)) {
        snd_nxt_ = sacked_[i].right;
        moved = true;
      }
    }
  }
  uint32_t unsent = unsent_bytes();
  uint32_t data_end = snd_una_ + send_count_;
  bool fin_due = fin_queued_ && snd_nxt_ == data_end && (!fin_sent_ || seq_lt(snd_nxt_, snd_max_));
  if (unsent == 0 && !fin_due) return false;

  uint32_t in_flight = snd_nxt_ - snd_una_;
  uint32_t window = min_u32(cwnd_, snd_wnd_);
  uint32_t usable = window > in_flight ? window - in_flight : 0;
  if (unsent > 0 && snd_wnd_ == 0) {
    if (in_flight == 0 && probe_at_ == never) probe_at_ = later(now, rto_);
    if (!fin_due) return false;
  }
  Options sized;  // the options every data segment carries: timestamps, and SACK blocks
  sized.has_timestamps = timestamps_ok_;
  if (sack_ok_) sized.sack_count = out_of_order_count_ < max_sack_blocks ? out_of_order_count_ : max_sack_blocks;
  uint32_t segment_size = send_mss_ - static_cast<uint32_t>(header_size_for(sized) - header_size);
  uint32_t length = min_u32(unsent, segment_size);
  if (length > 0) {
    if (usable == 0) return false;
    if (length > usable) {
      // Sender silly-window avoidance: wait for room for a full segment unless nothing is in flight.
      if (in_flight > 0) return false;
      length = usable;
    }
    // Nagle (RFC 9293 3.7.4): a small segment waits while data is unacknowledged, unless it is the
    // last one before our FIN.
    bool small = length < segment_size;
    if (small && settings_.nagle && in_flight > 0 && !fin_queued_ && seq_geq(snd_nxt_, snd_max_)) return false;
  }
  fill_header(out, Flag::ack, snd_nxt_, now);
  out.payload = send_bytes_at(snd_nxt_, length);
  uint32_t sent = static_cast<uint32_t>(out.payload.size());
  bool retransmission = seq_lt(snd_nxt_, snd_max_);
  if (out.payload.size() > 0 && !retransmission) out.flags |= Flag::psh * (sent == unsent ? 1 : 0);
  uint32_t end = snd_nxt_ + sent;
  if (fin_queued_ && end == data_end && (!fin_sent_ || seq_lt(end, snd_max_))) {
    out.flags |= Flag::fin;
    fin_sent_ = true;
    end += 1;
  }
  if (retransmission) {
    ++stats_.retransmitted_segments;
    timing_ = false;
  } else if (!timing_ && !timestamps_ok_ && sent > 0) {
    timing_ = true;
    timed_sequence_ = snd_nxt_;
    timed_at_ = now;
  }
  snd_nxt_ = end;
  if (seq_gt(snd_nxt_, snd_max_)) snd_max_ = snd_nxt_;
  arm_retransmission(now);
  return true;
}

// --- timers ----------------------------------------------------------------------------------

Time Connection::next_deadline() const {
  Time deadline = retransmit_at_;
  deadline = earliest(deadline, ack_at_);
  deadline = earliest(deadline, probe_at_);
  deadline = earliest(deadline, keep_alive_at_);
  deadline = earliest(deadline, time_wait_until_);
  deadline = earliest(deadline, fin_wait_2_until_);
  return deadline;
}

void Connection::on_timer(Time now) {
  if (now >= time_wait_until_) {
    end(Ending::none);
    return;
  }
  if (now >= fin_wait_2_until_ && state_ == State::fin_wait_2) {
    end(Ending::none);
    return;
  }
  if (now >= ack_at_) {
    ack_at_ = never;
    ack_now_ = true;
  }
  if (now >= retransmit_at_) {
    retransmit_at_ = never;
    bool handshake = state_ == State::syn_sent || state_ == State::syn_received;
    uint8_t limit = handshake ? settings_.syn_retries : settings_.data_retries;
    if (retries_ >= limit) {
      bool synchronized = state_ != State::syn_sent;
      end(Ending::timed_out);
      if (synchronized) {
        rst_pending_ = true;
        rst_sequence_ = snd_nxt_;
      }
      return;
    }
    ++retries_;
    ++stats_.timeouts;
    timing_ = false;
    rto_ = rto_ * 2 < settings_.max_rto ? rto_ * 2 : settings_.max_rto;  // RFC 6298 5.5
    if (handshake) {
      syn_pending_ = true;
    } else if (snd_max_ != snd_una_) {
      // RFC 5681 (4): the loss window; everything unacknowledged goes again (skipping SACKed ranges).
      ssthresh_ = max_u32(bytes_in_flight() / 2, 2u * send_mss_);
      cwnd_ = send_mss_;
      bytes_acked_ = 0;
      in_recovery_ = false;
      recover_ = snd_max_;
      duplicate_acks_ = 0;
      retransmit_pending_ = false;
      snd_nxt_ = snd_una_;
    }
  }
  if (now >= probe_at_) {
    probe_at_ = never;
    if (snd_wnd_ == 0 && unsent_bytes() > 0) {
      probe_pending_ = true;
      ++probes_;
      Duration backoff = rto_ << (probes_ < 6 ? probes_ : 6);
      probe_at_ = later(now, backoff < settings_.max_rto ? backoff : settings_.max_rto);
    }
  }
  if (now >= keep_alive_at_) {
    if (keep_alive_probes_ >= settings_.keep_alive_probes) {
      end(Ending::timed_out);
      rst_pending_ = true;
      rst_sequence_ = snd_nxt_;
      return;
    }
    ++keep_alive_probes_;
    keep_alive_pending_ = true;
    keep_alive_at_ = later(now, settings_.keep_alive_interval);
  }
}

}  // namespace cairn::protocols::tcp
