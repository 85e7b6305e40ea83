// One TCP connection, sans-IO: RFC 9293's state machine with its reliability and congestion
// control. Segments and time go in; segments, a deadline and state changes come out. It never
// calls the platform and allocates only its two buffers, once, when it opens.
//
// The owner (the connection table, tcp/endpoints.h, or a test) drives it:
//
//   Connection connection(settings);
//   connection.open(tuple, iss, now);                 // active open: a SYN is ready to send
//   connection.input(segment, now);                   // every segment for its four-tuple
//   while (connection.next_segment(out, now)) send(out);   // SYN, data, ACKs, FIN, RST...
//   if (now >= connection.next_deadline()) connection.on_timer(now);
//   connection.write(bytes); connection.read(buffer); connection.close();   // the application
//
// What it implements, and where from:
//   - states, segment acceptability, reset and close handling: RFC 9293 3.10; simultaneous open
//     and close; TIME-WAIT for 2 MSL;
//   - RFC 5961: a RST or SYN inside the window but not exactly at RCV.NXT gets a challenge ACK
//     (rate-limited), an ACK outside [SND.UNA - MAX.SND.WND, SND.NXT] is dropped;
//   - RFC 7323: window scaling, timestamps (RTT measurement and PAWS);
//   - RFC 6298: the retransmission timer (SRTT, RTTVAR, backoff, Karn's rule without timestamps);
//   - RFC 5681/6582: slow start, congestion avoidance, fast retransmit and NewReno recovery;
//   - RFC 2018: SACK blocks for out-of-order data received, and SACK information used to skip
//     what the peer holds when retransmitting;
//   - RFC 9293 3.8.6: delayed ACKs (every second full segment at once), Nagle's algorithm (per
//     connection switch), receiver silly-window avoidance, zero-window probes;
//   - RFC 1122 4.2.3.6: keep-alive, off by default.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "cairn/protocols/common/bytes.h"
#include "cairn/protocols/common/result.h"
#include "cairn/protocols/common/time.h"
#include "cairn/protocols/tcp/segment.h"
#include "cairn/protocols/tcp/sequence.h"
#include "cairn/protocols/tcp/syn_cookies.h"

namespace cairn::protocols::tcp {

enum class State : uint8_t {
  closed,
  syn_sent,
  syn_received,
  established,
  fin_wait_1,
  fin_wait_2,
  close_wait,
  closing,
  last_ack,
  time_wait,
};

const char* describe(State state);

// Why a connection ended other than by both sides closing.
enum class Ending : uint8_t {
  none,       // still open, or closed in order
  reset,      // the peer sent an acceptable RST
  refused,    // a RST answered our SYN
  timed_out,  // retransmissions (or keep-alive probes) were never answered
  aborted,    // the application aborted it
  no_memory,  // its buffers could not be allocated
};

const char* describe(Ending ending);

// The window scale (RFC 7323) a receive buffer of `buffer` bytes asks for: the smallest shift that
// lets a 16-bit window offer all of it, at most 14.
uint8_t window_scale_for(uint32_t buffer);

struct Settings {
  uint32_t send_buffer = 64 * 1024;     // bytes written and not yet acknowledged
  uint32_t receive_buffer = 64 * 1024;  // bytes received and not yet read (the largest window offered)
  uint16_t mss = 1460;                  // the largest segment this host takes: MTU - 40
  bool nagle = true;
  bool window_scaling = true;
  bool timestamps = true;
  bool sack = true;
  Duration delayed_ack = milliseconds(40);
  Duration initial_rto = seconds(1);     // RFC 6298 2.1
  Duration min_rto = milliseconds(200);  // Linux's floor; RFC 6298's 1 s is too slow on a LAN
  Duration max_rto = seconds(60);
  uint8_t syn_retries = 6;                    // SYN or SYN-ACK retransmissions before timing out
  uint8_t data_retries = 15;                  // retransmissions of the same data before timing out (Linux's R2)
  Duration time_wait = seconds(60);           // 2 MSL
  Duration fin_wait_2_timeout = seconds(60);  // after close(), when the peer never sends its FIN
  bool keep_alive = false;
  Duration keep_alive_idle = seconds(7200);
  Duration keep_alive_interval = seconds(75);
  uint8_t keep_alive_probes = 9;
  uint32_t challenge_acks_per_second = 10;  // RFC 5961 7
};

// A segment to send: its header fields (ports from the connection's tuple) and payload, a view
// into the send buffer valid until the next call on the connection.
using Outgoing = Segment;

// What congestion control and the timers did, for tests, benchmarks and the console.
struct ConnectionStats {
  uint64_t segments_received = 0;
  uint64_t segments_sent = 0;
  uint64_t bytes_received = 0;  // in-order payload bytes taken into the receive buffer
  uint64_t bytes_acknowledged = 0;
  uint64_t retransmitted_segments = 0;
  uint64_t timeouts = 0;          // retransmission timer expiries
  uint64_t fast_retransmits = 0;  // recoveries entered on duplicate ACKs or SACK
  uint64_t out_of_order_segments = 0;
  uint64_t challenge_acks = 0;
  uint64_t dropped_segments = 0;  // not acceptable, PAWS, bad ACK
  uint64_t zero_window_probes = 0;
};

class Connection {
 public:
  explicit Connection(const Settings& settings = Settings{});
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Active open: SYN-SENT, with a SYN ready to send. `iss` from the SequenceGenerator,
  // `timestamp_offset` a per-connection secret added to the timestamp clock (RFC 7323 5.4).
  // Errors: no_memory for the buffers (as queue_full), bad_argument when not closed.
  Status open(const FourTuple& tuple, uint32_t iss, uint32_t timestamp_offset, Time now);
  // Passive open from a listener: `syn` arrived on `tuple`; SYN-RECEIVED, a SYN-ACK ready.
  Status accept(const FourTuple& tuple, const Segment& syn, uint32_t iss, uint32_t timestamp_offset, Time now);
  // Passive open from a SYN cookie (tcp/syn_cookies.h): `ack` completed the handshake that the
  // cookie `iss` began, with the options the cookie kept; ESTABLISHED.
  Status accept_cookie(const FourTuple& tuple, const Segment& ack, uint32_t iss, const CookieOptions& options,
                       uint32_t timestamp_offset, Time now);

  // A segment for this connection's tuple (parsed and checksummed by the caller).
  void input(const Segment& segment, Time now);
  // The next segment to send, if any: true with `out` filled.
  bool next_segment(Outgoing& out, Time now);
  // When on_timer() has work (retransmission, delayed ACK, probes, TIME-WAIT...), `never` if none.
  Time next_deadline() const;
  void on_timer(Time now);

  // The application's side.
  // Copies up to `data.size()` bytes into the send buffer and returns how many it took (0 when
  // the buffer is full, or the connection cannot send: see can_write()).
  size_t write(ByteView data);
  // Copies received bytes, in order, into `out`; returns how many (0: none yet, or end of stream:
  // see at_end_of_stream()).
  size_t read(MutableByteView out);
  // Bytes that read() would return now.
  size_t readable_bytes() const { return received_count_; }
  // The peer sent FIN and every byte before it was read.
  bool at_end_of_stream() const { return fin_received_ && received_count_ == 0; }
  // Room in the send buffer, and whether writing makes sense (ESTABLISHED or CLOSE-WAIT, not
  // closed by us).
  size_t writable_space() const;
  bool can_write() const;
  // Sends FIN after the data already written (half close); the connection ends when the peer's
  // FIN came too, after TIME-WAIT if we closed first.
  void close(Time now);
  // Sends RST and ends the connection now (Ending::aborted).
  void abort();
  void set_nagle(bool on) { settings_.nagle = on; }

  State state() const { return state_; }
  Ending ending() const { return ending_; }
  // CLOSED with nothing left to send: the owner may reuse or free it.
  bool finished() const { return state_ == State::closed && !rst_pending_; }
  const FourTuple& tuple() const { return tuple_; }
  const ConnectionStats& stats() const { return stats_; }
  // Congestion and timer state, for tests and the console.
  uint32_t congestion_window() const { return cwnd_; }
  uint32_t slow_start_threshold() const { return ssthresh_; }
  Duration retransmission_timeout() const { return rto_; }
  Duration smoothed_rtt() const { return srtt_; }
  uint16_t send_mss() const { return send_mss_; }
  uint32_t send_window() const { return snd_wnd_; }
  uint32_t bytes_in_flight() const { return snd_max_ - snd_una_; }
  // Whether a new SYN from the same peer may reopen this TIME-WAIT connection (RFC 6191: its
  // timestamp, or without timestamps its sequence number, is beyond this incarnation's).
  bool may_reuse_time_wait(const Segment& syn) const;

 private:
  struct Range {
    uint32_t left = 0;
    uint32_t right = 0;
  };
  static constexpr size_t max_ranges = 8;

  Status allocate_buffers();
  void set_state(State state) { state_ = state; }
  void end(Ending ending);
  void negotiate(const Options& peer, bool peer_syn);
  void enter_established(const Segment& segment, Time now);

  // Input steps, RFC 9293 3.10.7.
  void input_syn_sent(const Segment& segment, Time now);
  bool acceptable(const Segment& segment) const;
  bool process_ack(const Segment& segment, Time now);
  void process_sack(const Options& options);
  void process_data(const Segment& segment, Time now);
  void process_fin(Time now);
  void send_challenge_ack(Time now);
  void update_rtt(Duration sample);
  void on_new_ack(uint32_t acked, Time now);
  void on_duplicate_ack(Time now);
  void enter_recovery(Time now);
  void schedule_ack(bool immediately, Time now);

  // Output.
  uint32_t timestamp_clock(Time now) const;
  void fill_header(Outgoing& out, uint8_t flags, uint32_t sequence, Time now);
  uint16_t advertised_window();
  bool next_retransmission(Outgoing& out, Time now);
  bool next_new_data(Outgoing& out, Time now);
  uint32_t unsent_bytes() const;
  ByteView send_bytes_at(uint32_t sequence, uint32_t limit) const;
  bool sacked(uint32_t sequence) const;
  void arm_retransmission(Time now);
  void restart_keep_alive(Time now);

  Settings settings_;
  State state_ = State::closed;
  Ending ending_ = Ending::none;
  FourTuple tuple_;
  ConnectionStats stats_;

  // Send sequence space (RFC 9293 3.3.1). Bytes [snd_una_, snd_una_ + send_count_) are in the
  // send buffer, from send_head_; SND.NXT is the next to send, snd_max_ the highest ever sent.
  uint32_t iss_ = 0;
  uint32_t snd_una_ = 0;
  uint32_t snd_nxt_ = 0;
  uint32_t snd_max_ = 0;
  uint32_t snd_wnd_ = 0;  // scaled
  uint32_t max_snd_wnd_ = 0;
  uint32_t snd_wl1_ = 0;
  uint32_t snd_wl2_ = 0;
  uint8_t snd_wscale_ = 0;  // the peer's shift
  uint16_t send_mss_ = 536;
  uint8_t* send_buffer_ = nullptr;
  uint32_t send_head_ = 0;
  uint32_t send_count_ = 0;
  bool fin_queued_ = false;  // close() called: FIN follows the data
  bool fin_sent_ = false;
  bool fin_acked_ = false;
  bool syn_acked_ = false;

  // Receive sequence space. Bytes [rcv_nxt_ - received_count_, rcv_nxt_) wait in the receive
  // buffer from receive_head_; out-of-order ranges beyond rcv_nxt_ sit at their offsets.
  uint32_t irs_ = 0;
  uint32_t rcv_nxt_ = 0;
  uint8_t rcv_wscale_ = 0;  // our shift
  uint32_t rcv_adv_ = 0;    // the right edge last advertised (RCV.NXT + RCV.WND)
  uint8_t* receive_buffer_ = nullptr;
  uint32_t receive_head_ = 0;
  uint32_t received_count_ = 0;
  Range out_of_order_[max_ranges];  // most recently changed first (RFC 2018 4)
  uint8_t out_of_order_count_ = 0;
  bool fin_received_ = false;
  uint32_t fin_sequence_ = 0;

  // Negotiated options.
  bool sack_ok_ = false;
  bool timestamps_ok_ = false;
  uint32_t timestamp_offset_ = 0;
  uint32_t ts_recent_ = 0;
  uint32_t last_ack_sent_ = 0;

  // What the peer SACKed beyond snd_una_ (merged, unordered).
  Range sacked_[max_ranges];
  uint8_t sacked_count_ = 0;

  // Congestion control.
  uint32_t cwnd_ = 0;
  uint32_t ssthresh_ = 0xffffffff;
  uint32_t bytes_acked_ = 0;  // toward the next congestion-avoidance increase
  uint8_t duplicate_acks_ = 0;
  bool in_recovery_ = false;
  uint32_t recover_ = 0;          // snd_max_ when recovery began (RFC 6582)
  uint32_t retransmit_next_ = 0;  // in recovery: the next hole to resend
  bool retransmit_pending_ = false;

  // Timers.
  Duration srtt_ = 0;
  Duration rttvar_ = 0;
  Duration rto_ = 0;
  bool rtt_measured_ = false;
  bool timing_ = false;  // without timestamps: one segment timed (Karn)
  uint32_t timed_sequence_ = 0;
  Time timed_at_ = 0;
  Time retransmit_at_ = never;
  uint8_t retries_ = 0;
  Time ack_at_ = never;           // a delayed ACK is due
  bool ack_now_ = false;          // an ACK must go out with the next segment, or alone
  uint8_t unacked_segments_ = 0;  // full segments received since our last ACK
  bool window_update_ = false;
  Time probe_at_ = never;  // zero-window probe
  uint8_t probes_ = 0;
  Time keep_alive_at_ = never;
  Time time_wait_until_ = never;
  Time fin_wait_2_until_ = never;
  bool rst_pending_ = false;
  uint32_t rst_sequence_ = 0;
  bool syn_pending_ = false;  // SYN or SYN-ACK to (re)send
  bool keep_alive_pending_ = false;
  uint8_t keep_alive_probes_ = 0;  // sent since the peer was last heard
  bool probe_pending_ = false;
  Time challenge_window_start_ = 0;
  uint32_t challenge_acks_ = 0;
};

}  // namespace cairn::protocols::tcp
