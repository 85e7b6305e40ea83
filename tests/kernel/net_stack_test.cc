// net::Stack on the scripted platform: its task drives a protocols/netstack interface on a fake
// solo5 net device, app tasks await its UDP sockets and address events. The peer's frames are
// built by hand (tests/protocols/packet_builder.h); what the stack writes is checked against
// hand-built frames, or taken apart with the protocols' parsers where a field is the stack's
// choice (IPv4 ids, DHCP transaction ids).
#include "cairn/devices.h"
#include "cairn/net/stack.h"
#include "cairn/net/tcp.h"

#include <gtest/gtest.h>

#include <coroutine>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fake_platform.h"
#include "packet_builder.h"

namespace cairn::net {
namespace {

namespace packets = protocols::testing;
namespace arp = protocols::arp;
namespace dhcp = protocols::dhcp;
namespace ethernet = protocols::ethernet;
namespace ipv4 = protocols::ipv4;
using cairn::testing::fake_platform;
using cairn::testing::FakeNetDevice;
using packets::Bytes;
using protocols::MacAddress;
using protocols::Result;
using sched::milliseconds;
using sched::seconds;

constexpr MacAddress device_mac{{0x02, 0xca, 0x19, 0x00, 0x00, 0x01}};
constexpr MacAddress peer_mac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};
constexpr Ipv4Address own = Ipv4Address::of(10, 0, 0, 2);
constexpr Ipv4Address peer = Ipv4Address::of(10, 0, 0, 1);  // also the gateway and DHCP server
constexpr Ipv4Address offered = Ipv4Address::of(10, 0, 0, 50);
constexpr Ipv4Address netmask = Ipv4Address::of(255, 255, 255, 0);
constexpr solo5_handle_t service_handle = 3;
constexpr solo5_handle_t pause_handle = 63;  // the fake reports it ready to end a run

netstack::Config static_config() {
  netstack::Config config;
  config.use_dhcp = false;
  config.static_address = {own, netmask, peer};
  return config;
}

// ---- The peer's frames ----------------------------------------------------------------------

Bytes arp_request_from_peer(Ipv4Address target) {
  return packets::ethernet_frame(MacAddress::broadcast(), peer_mac, ethernet::ether_type::arp,
                                 packets::arp_packet(1, peer_mac, peer, MacAddress(), target));
}

Bytes arp_reply_from_peer() {
  return packets::ethernet_frame(device_mac, peer_mac, ethernet::ether_type::arp,
                                 packets::arp_packet(2, peer_mac, peer, device_mac, own));
}

Bytes ipv4_from_peer(const Bytes& udp_datagram) {
  return packets::ethernet_frame(device_mac, peer_mac, ethernet::ether_type::ipv4,
                                 packets::ipv4_packet(peer, own, ipv4::protocol::udp, udp_datagram));
}

Bytes udp_from_peer(uint16_t source_port, uint16_t port, const Bytes& payload) {
  return ipv4_from_peer(packets::udp_datagram(peer, source_port, own, port, payload));
}

// The DHCP server's answer (`type` 2 OFFER, 5 ACK) to `request`, broadcast.
Bytes dhcp_from_server(const dhcp::Message& request, uint8_t type) {
  packets::DhcpReply reply;
  reply.type = type;
  reply.transaction_id = request.transaction_id;
  reply.client_mac = request.client_mac;
  reply.your_address = offered;
  reply.server_identifier = peer;
  reply.subnet_mask = netmask;
  reply.router = peer;
  reply.lease_time = 3600;
  Bytes payload = packets::dhcp_reply(reply);
  Ipv4Address everyone = Ipv4Address::broadcast();
  return packets::ethernet_frame(MacAddress::broadcast(), peer_mac, ethernet::ether_type::ipv4,
                                 packets::ipv4_packet(peer, everyone, ipv4::protocol::udp,
                                                      packets::udp_datagram(peer, 67, everyone, 68, payload)));
}

// ---- What the stack wrote, taken apart ------------------------------------------------------

std::optional<arp::Packet> arp_in(const Bytes& frame) {
  Result<ethernet::Frame> parsed = ethernet::parse(packets::view(frame));
  if (!parsed.ok() || parsed.value().ether_type != ethernet::ether_type::arp) return std::nullopt;
  Result<arp::Packet> packet = arp::parse(parsed.value().payload);
  if (!packet.ok()) return std::nullopt;
  return packet.value();
}

// The IPv4 packet in `frame`; its views point into `frame`.
std::optional<ipv4::Packet> ipv4_in(const Bytes& frame) {
  Result<ethernet::Frame> parsed = ethernet::parse(packets::view(frame));
  if (!parsed.ok() || parsed.value().ether_type != ethernet::ether_type::ipv4) return std::nullopt;
  Result<ipv4::Packet> packet = ipv4::parse(parsed.value().payload);
  if (!packet.ok()) return std::nullopt;
  return packet.value();
}

std::optional<dhcp::Message> dhcp_in(const Bytes& frame) {
  std::optional<ipv4::Packet> packet = ipv4_in(frame);
  if (!packet) return std::nullopt;
  Result<protocols::udp::Datagram> datagram =
      protocols::udp::parse(packet->payload, packet->header.source, packet->header.destination);
  if (!datagram.ok() || datagram.value().destination_port != 67) return std::nullopt;
  Result<dhcp::Message> message = dhcp::parse(datagram.value().payload);
  if (!message.ok()) return std::nullopt;
  return message.value();
}

// ---- Apps -----------------------------------------------------------------------------------

// A datagram as a receiving app got it, and when.
struct Delivered {
  Endpoint from;
  Ipv4Address destination;
  Bytes payload;
  sched::Time at;
};

// Binds `port` and awaits datagrams for ever.
sched::Task<void> receive_on(Stack& stack, uint16_t port, std::vector<Delivered>* delivered,
                             protocols::udp::Sockets::Options options = {}) {
  UdpSocket socket(stack);
  if (!socket.bind(port, options).ok()) ADD_FAILURE() << "cannot bind port " << port;
  for (;;) {
    Datagram datagram = co_await socket.receive();
    delivered->push_back({datagram.from, datagram.destination, packets::bytes_of(datagram.payload), sched::now()});
  }
}

// Sends every datagram on `port` back to its sender, as examples/udp-echo does.
sched::Task<void> echo_on(Stack& stack, uint16_t port, int* echoed) {
  UdpSocket socket(stack);
  if (!socket.bind(port, {32, 1472}).ok()) ADD_FAILURE() << "cannot bind port " << port;
  for (;;) {
    Datagram datagram = co_await socket.receive();
    if (socket.send_to(datagram.from, datagram.payload).ok()) ++*echoed;
  }
}

// Sends `payload` from `port` to `destination`, then awaits an answer with the socket open, as a
// client would.
sched::Task<void> send_from(Stack& stack, uint16_t port, Endpoint destination, Bytes payload, Status* status) {
  UdpSocket socket(stack);
  if (!socket.bind(port).ok()) ADD_FAILURE() << "cannot bind port " << port;
  *status = socket.send_to(destination, packets::view(payload));
  (void)co_await socket.receive();
}

struct SeenEvent {
  netstack::Event event;
  sched::Time at;
};

sched::Task<void> watch_events(Stack& stack, std::vector<SeenEvent>* events) {
  for (;;) {
    netstack::Event event = co_await stack.next_event();
    events->push_back({event, sched::now()});
  }
}

// ---- The harness ----------------------------------------------------------------------------

// co_await PauseIdleTask(device, task): takes `task`, waiting in a DeviceOrDeadlineAwaiter on
// `device`, out of the scheduler without resuming it, and resumes the awaiting task next round.
//
// Stack::run() never returns (an image's network runs until the image exits), and the scheduler
// cannot cancel a task. Yet a test must leave the scheduler holding nothing of the network task,
// to look at the wire between runs and to destroy the task at the end. At a pause every task
// waits, so the network task is in its idle wait: on its device, and on its next deadline if it
// has one. This does to that wait what a firing deadline does (cancel the timer, leave the
// device's list) without making it ready; the next run resumes the task itself.
class PauseIdleTask {
 public:
  PauseIdleTask(solo5_handle_t device, std::coroutine_handle<> task) : device_(device), task_(task) {}
  bool await_ready() const { return false; }
  void await_suspend(std::coroutine_handle<> awaiting) {
    probe_.coroutine = awaiting;
    // A device's waiters are a list pushed at the front: the probe's next is the task's wait.
    sched::scheduler().wait_for_device(device_, probe_);
    sched::Waiter* idle = probe_.next;
    if (idle == nullptr || idle->coroutine != task_) {
      std::fprintf(stderr, "net_stack_test: the network task is not waiting for its device\n");
      std::abort();
    }
    if (idle->timeout != nullptr) {
      sched::scheduler().cancel_timer(*idle->timeout);
      idle->timeout->device_waiter = nullptr;
    }
    probe_.next = idle->next;
    sched::scheduler().wake_early(device_, probe_);
  }
  void await_resume() {}

 private:
  solo5_handle_t device_;
  std::coroutine_handle<> task_;
  sched::Waiter probe_{};
};

class NetStackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_platform().reset();
    add_device("service0", service_handle, device_mac);
  }

  void TearDown() override {
    apps_.clear();  // their sockets close while the stack is still there
    network_.reset();
    delete stack_;
    EXPECT_EQ(sched::scheduler().pending_timers(), 0u);
  }

  void add_device(const char* name, solo5_handle_t handle, const MacAddress& mac) {
    FakeNetDevice device;
    device.name = name;
    device.handle = handle;
    mac.store(device.mac);
    fake_platform().net_devices.push_back(std::move(device));
  }
  FakeNetDevice& service_device() {
    for (FakeNetDevice& device : fake_platform().net_devices) {
      if (device.handle == service_handle) return device;
    }
    std::abort();
  }

  // Opens service0, as an app does; false when Stack::open refuses.
  bool open(const netstack::Config& config) {
    stack_ = Stack::open(devices::service0, config);
    return stack_ != nullptr;
  }
  Stack& stack() { return *stack_; }

  // The peer's frame reaches the device `after` from now.
  void peer_sends(Bytes frame, sched::Duration after = milliseconds(1)) {
    service_device().arrive(std::move(frame), fake_platform().now + after);
  }
  // The frames the stack wrote since the last call, with the times it wrote them.
  std::vector<FakeNetDevice::Write> take_writes() { return std::exchange(service_device().written, {}); }
  // The same, without the times.
  std::vector<Bytes> take_written() {
    std::vector<Bytes> frames;
    for (FakeNetDevice::Write& write : take_writes()) frames.push_back(std::move(write.frame));
    return frames;
  }

  // Starts `app` with the next run. Apps live until the test ends, and may wait only on the stack
  // (its sockets and events), never on a timer or device of their own.
  void start_app(sched::Task<void> app) { apps_.push_back(App{std::move(app), {}, false}); }

  // Runs the stack's task and the apps for `duration` of simulated time, then pauses them. The
  // network task plans its wait afresh when the next run resumes it: a test of when it wakes up
  // must look inside one run.
  void run_for(sched::Duration duration) {
    if (!network_) {
      network_.emplace(stack_->run());
      network_start_.coroutine = network_->handle();
    }
    fake_platform().pause_at = fake_platform().now + duration;
    fake_platform().pause_device = pause_handle;
    sched::run(until_paused());
  }

 private:
  struct App {
    sched::Task<void> task;
    sched::Waiter start;
    bool started;
  };

  sched::Task<int> until_paused() {
    // The network task first: an app's first send finds the interface started.
    sched::scheduler().make_ready(network_start_);
    for (App& app : apps_) {
      if (app.started) continue;
      app.start.coroutine = app.task.handle();
      sched::scheduler().make_ready(app.start);
      app.started = true;
    }
    co_await sched::wait_readable(pause_handle);
    co_await PauseIdleTask(stack_->device(), network_->handle());
    co_return 0;
  }

  Stack* stack_ = nullptr;
  std::optional<sched::Task<void>> network_;
  sched::Waiter network_start_{};
  std::deque<App> apps_;  // a deque: each start Waiter stays put until its task has started
};

// ---- Opening the device ---------------------------------------------------------------------

TEST_F(NetStackTest, AcquiresTheDeviceNamedAndTakesItsMacAndMtu) {
  add_device("admin0", 2, MacAddress{{0x02, 0, 0, 0, 0, 0x99}});
  service_device().mtu = 1000;
  netstack::Config config = static_config();
  config.mac = MacAddress{{0x02, 0, 0, 0, 0, 0x77}};  // replaced by the device's
  config.mtu = 1500;                                  // likewise
  ASSERT_TRUE(open(config));
  EXPECT_EQ(stack().device(), service_handle);
  EXPECT_TRUE(service_device().acquired);
  EXPECT_FALSE(fake_platform().net_devices[1].acquired);  // admin0
  EXPECT_EQ(stack().interface().mac(), device_mac);

  // The MTU shows in what it sends: 1400 bytes of UDP need two IPv4 fragments of at most 1000.
  Status sent = protocols::Error::bad_argument;
  start_app(send_from(stack(), 4000, {peer, 7}, Bytes(1400, 0xab), &sent));
  peer_sends(arp_reply_from_peer());
  run_for(milliseconds(10));
  EXPECT_TRUE(sent.ok());
  std::vector<Bytes> frames = take_written();
  ASSERT_EQ(frames.size(), 4u);  // announcement, ARP request, two fragments
  Bytes reassembled;
  for (size_t i = 2; i < frames.size(); ++i) {
    EXPECT_LE(frames[i].size(), 1000u + ethernet::header_size);
    std::optional<ipv4::Packet> fragment = ipv4_in(frames[i]);
    ASSERT_TRUE(fragment);
    EXPECT_EQ(fragment->header.fragment_offset, reassembled.size());
    EXPECT_EQ(fragment->header.more_fragments, i + 1 < frames.size());
    reassembled.insert(reassembled.end(), fragment->payload.begin(), fragment->payload.end());
  }
  EXPECT_EQ(reassembled, packets::udp_datagram(own, 4000, peer, 7, Bytes(1400, 0xab)));
}

TEST_F(NetStackTest, SendsAtMost1500BytePacketsOnADeviceWithALargerMtu) {
  service_device().mtu = 9000;  // a jumbo-frame tap: Ethernet II still carries 1500 at most
  ASSERT_TRUE(open(static_config()));
  Status first = protocols::Error::bad_argument;
  Status second = protocols::Error::bad_argument;
  start_app(send_from(stack(), 4000, {peer, 7}, Bytes(1472, 1), &first));  // 20 + 8 + 1472 = 1500
  start_app(send_from(stack(), 4001, {peer, 7}, Bytes(1473, 2), &second));
  peer_sends(arp_reply_from_peer());
  run_for(milliseconds(10));
  EXPECT_TRUE(first.ok());
  EXPECT_TRUE(second.ok());
  std::vector<Bytes> frames = take_written();
  ASSERT_EQ(frames.size(), 5u);  // announcement, ARP request, one packet, then two fragments
  EXPECT_EQ(frames[2].size(), ethernet::header_size + 1500);
  for (size_t i = 2; i < frames.size(); ++i) EXPECT_LE(frames[i].size(), ethernet::header_size + 1500);
}

TEST_F(NetStackTest, ReadsWholeFramesUpToTheMtuOfADeviceWithALargerOne) {
  service_device().mtu = 9000;
  ASSERT_TRUE(open(static_config()));
  std::vector<Delivered> delivered;
  start_app(receive_on(stack(), 7, &delivered, {1, 8000}));
  Bytes payload(8000, 0x5a);  // one 8028-byte IPv4 packet, unfragmented
  peer_sends(udp_from_peer(5000, 7, payload));
  run_for(milliseconds(10));
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_EQ(delivered[0].payload, payload);
}

TEST_F(NetStackTest, OpeningAMissingDeviceReturnsNull) {
  EXPECT_EQ(Stack::open(devices::service1, static_config()), nullptr);
  EXPECT_FALSE(service_device().acquired);
}

// ---- ARP ------------------------------------------------------------------------------------

TEST_F(NetStackTest, AnnouncesItsStaticAddressAndAnswersArpRequestsForIt) {
  ASSERT_TRUE(open(static_config()));
  peer_sends(arp_request_from_peer(own));
  peer_sends(arp_request_from_peer(Ipv4Address::of(10, 0, 0, 3)), milliseconds(2));  // someone else
  run_for(milliseconds(10));
  std::vector<Bytes> frames = take_written();
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0], packets::ethernet_frame(MacAddress::broadcast(), device_mac, ethernet::ether_type::arp,
                                               packets::arp_packet(1, device_mac, own, MacAddress(), own)));
  EXPECT_EQ(frames[1], packets::ethernet_frame(peer_mac, device_mac, ethernet::ether_type::arp,
                                               packets::arp_packet(2, device_mac, own, peer_mac, peer)));
}

// ---- UDP in ---------------------------------------------------------------------------------

TEST_F(NetStackTest, DeliversADatagramToTheTaskAwaitingItsPort) {
  ASSERT_TRUE(open(static_config()));
  std::vector<Delivered> on_port_7;
  std::vector<Delivered> on_port_9;
  start_app(receive_on(stack(), 7, &on_port_7));
  start_app(receive_on(stack(), 9, &on_port_9));
  sched::Time arrival = fake_platform().now + milliseconds(3);
  peer_sends(udp_from_peer(5000, 7, packets::bytes_of("hello, unikernel")), milliseconds(3));
  run_for(milliseconds(10));
  ASSERT_EQ(on_port_7.size(), 1u);
  EXPECT_EQ(on_port_7[0].from, (Endpoint{peer, 5000}));
  EXPECT_EQ(on_port_7[0].destination, own);
  EXPECT_EQ(on_port_7[0].payload, packets::bytes_of("hello, unikernel"));
  EXPECT_EQ(on_port_7[0].at, arrival);  // woken as the frame came in
  EXPECT_TRUE(on_port_9.empty());
}

TEST_F(NetStackTest, SleepsWithoutADeadlineUntilTheDeviceHasInput) {
  ASSERT_TRUE(open(static_config()));
  std::vector<Delivered> delivered;
  start_app(receive_on(stack(), 7, &delivered));
  sched::Time start = fake_platform().now;
  peer_sends(udp_from_peer(5000, 7, {1}), seconds(5));
  peer_sends(udp_from_peer(5001, 7, {2}), seconds(65));
  run_for(seconds(100));
  ASSERT_EQ(delivered.size(), 2u);
  EXPECT_EQ(delivered[0].at, start + seconds(5));
  EXPECT_EQ(delivered[1].at, start + seconds(65));
  EXPECT_EQ(delivered[1].from, (Endpoint{peer, 5001}));
  EXPECT_EQ(delivered[1].payload, (Bytes{2}));
  // Between the frames the stack had nothing to time, so it slept until input, not polling.
  for (uint64_t deadline : fake_platform().yield_deadlines) EXPECT_TRUE(deadline == 0 || deadline == UINT64_MAX);
}

TEST_F(NetStackTest, DropsADatagramForAPortNobodyBoundAndAnswersPortUnreachable) {
  ASSERT_TRUE(open(static_config()));
  std::vector<Delivered> delivered;
  start_app(receive_on(stack(), 7, &delivered));
  peer_sends(arp_request_from_peer(own));  // the stack learns the peer's MAC from it
  Bytes stray = udp_from_peer(5000, 9, {1, 2, 3});
  peer_sends(stray, milliseconds(2));
  run_for(milliseconds(10));
  EXPECT_TRUE(delivered.empty());
  std::vector<Bytes> frames = take_written();
  ASSERT_EQ(frames.size(), 3u);  // announcement, ARP reply, the ICMP error
  std::optional<ipv4::Packet> error = ipv4_in(frames[2]);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->header.source, own);
  EXPECT_EQ(error->header.destination, peer);
  EXPECT_EQ(error->header.protocol, ipv4::protocol::icmp);
  Bytes quoted(stray.begin() + ethernet::header_size, stray.end());  // the whole offending packet
  EXPECT_EQ(packets::bytes_of(error->payload), packets::icmp_message(3, 3, 0, quoted));
  EXPECT_EQ(stack().interface().stats().udp.dropped(protocols::Error::no_port), 1u);
}

TEST_F(NetStackTest, EchoesEveryDatagramOfABurstLongerThanOneRound) {
  ASSERT_TRUE(open(static_config()));
  int echoed = 0;
  start_app(echo_on(stack(), 7, &echoed));
  peer_sends(arp_request_from_peer(own));
  constexpr int burst = Stack::frames_per_round + 4;
  for (int i = 0; i < burst; ++i) peer_sends(udp_from_peer(5000, 7, {static_cast<uint8_t>(i)}), milliseconds(2));
  run_for(milliseconds(10));
  EXPECT_EQ(echoed, burst);
  std::vector<Bytes> frames = take_written();
  ASSERT_EQ(frames.size(), 2u + burst);  // announcement, ARP reply, the echoes in order
  for (int i = 0; i < burst; ++i) {
    std::optional<ipv4::Packet> echo = ipv4_in(frames[2 + i]);
    ASSERT_TRUE(echo);
    EXPECT_EQ(packets::bytes_of(echo->payload), packets::udp_datagram(own, 7, peer, 5000, {static_cast<uint8_t>(i)}));
  }
}

// ---- UDP out --------------------------------------------------------------------------------

TEST_F(NetStackTest, SendsADatagramAsAnIpv4UdpFrameOnceArpHasResolvedThePeer) {
  ASSERT_TRUE(open(static_config()));
  Status sent = protocols::Error::bad_argument;
  Bytes payload = packets::bytes_of("from the unikernel");
  start_app(send_from(stack(), 4000, {peer, 7}, payload, &sent));
  run_for(milliseconds(10));
  EXPECT_TRUE(sent.ok());  // waiting for ARP is no error
  std::vector<Bytes> frames = take_written();
  ASSERT_EQ(frames.size(), 2u);  // announcement, then the ARP request for the peer
  EXPECT_EQ(frames[1], packets::ethernet_frame(MacAddress::broadcast(), device_mac, ethernet::ether_type::arp,
                                               packets::arp_packet(1, device_mac, own, MacAddress(), peer)));

  peer_sends(arp_reply_from_peer());
  run_for(milliseconds(10));
  frames = take_written();
  ASSERT_EQ(frames.size(), 1u);
  const Bytes& frame = frames[0];
  // The IPv4 identification and flags are the stack's to choose: copy them, check everything else
  // (addresses, lengths, TTL, protocol, both checksums) against a frame built by hand.
  ASSERT_GE(frame.size(), ethernet::header_size + ipv4::header_size);
  packets::Ipv4Fields fields;
  fields.identification = packets::get16(frame, ethernet::header_size + 4);
  fields.flags_and_offset = packets::get16(frame, ethernet::header_size + 6);
  EXPECT_EQ(frame,
            packets::ethernet_frame(peer_mac, device_mac, ethernet::ether_type::ipv4,
                                    packets::ipv4_packet(own, peer, ipv4::protocol::udp,
                                                         packets::udp_datagram(own, 4000, peer, 7, payload), fields)));
}

TEST_F(NetStackTest, AsksASilentPeerThreeTimesOneSecondApart) {
  // The stack's task sleeps with no deadline when the app's send arms ARP's retry timer: the task
  // must wake early for it.
  ASSERT_TRUE(open(static_config()));
  Status sent = protocols::Error::bad_argument;
  sched::Time sent_at = fake_platform().now;
  start_app(send_from(stack(), 4000, {peer, 7}, {1, 2, 3}, &sent));
  run_for(seconds(10));
  EXPECT_TRUE(sent.ok());  // waiting for ARP is no error
  std::vector<FakeNetDevice::Write> writes = take_writes();
  ASSERT_EQ(writes.size(), 4u);  // the announcement, then three requests and no more
  for (size_t i = 1; i < writes.size(); ++i) {
    std::optional<arp::Packet> request = arp_in(writes[i].frame);
    ASSERT_TRUE(request);
    EXPECT_EQ(request->target_address, peer);
    EXPECT_EQ(writes[i].at, sent_at + seconds(i - 1));
  }
}

// ---- DHCP and events ------------------------------------------------------------------------

TEST_F(NetStackTest, TakesAnAddressByDhcpAndTellsTheTaskAwaitingEvents) {
  netstack::Config config;  // DHCP, the default
  ASSERT_TRUE(open(config));
  std::vector<SeenEvent> events;
  start_app(watch_events(stack(), &events));

  run_for(milliseconds(10));
  std::vector<Bytes> frames = take_written();
  ASSERT_EQ(frames.size(), 1u);
  std::optional<dhcp::Message> discover = dhcp_in(frames[0]);
  ASSERT_TRUE(discover);
  EXPECT_EQ(discover->type, dhcp::MessageType::discover);
  EXPECT_EQ(discover->client_mac, device_mac);

  peer_sends(dhcp_from_server(*discover, 2));
  run_for(milliseconds(10));
  frames = take_written();
  ASSERT_EQ(frames.size(), 1u);
  std::optional<dhcp::Message> request = dhcp_in(frames[0]);
  ASSERT_TRUE(request);
  EXPECT_EQ(request->type, dhcp::MessageType::request);
  EXPECT_EQ(request->requested_address, offered);
  EXPECT_TRUE(events.empty());

  sched::Time acked = fake_platform().now + milliseconds(1);
  peer_sends(dhcp_from_server(*request, 5));
  run_for(seconds(2));
  frames = take_written();
  ASSERT_EQ(frames.size(), 3u);  // two probes nobody answers, then the announcement
  for (size_t i = 0; i < frames.size(); ++i) {
    std::optional<arp::Packet> packet = arp_in(frames[i]);
    ASSERT_TRUE(packet);
    EXPECT_EQ(packet->target_address, offered);
    EXPECT_EQ(packet->sender_address, i < 2 ? Ipv4Address::any() : offered);
  }
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event.kind, netstack::Event::Kind::address_acquired);
  EXPECT_EQ(events[0].event.address.address, offered);
  EXPECT_EQ(events[0].event.address.gateway, peer);
  EXPECT_EQ(events[0].at, acked + seconds(1));  // probing takes one second, then the address is ours
  EXPECT_TRUE(stack().interface().configured());
}

TEST_F(NetStackTest, TellsTheTaskAwaitingEventsOfItsStaticAddress) {
  ASSERT_TRUE(open(static_config()));
  std::vector<SeenEvent> events;
  start_app(watch_events(stack(), &events));
  run_for(milliseconds(10));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event.kind, netstack::Event::Kind::address_acquired);
  EXPECT_EQ(events[0].event.address.address, own);
}

// ---- TCP ------------------------------------------------------------------------------------

namespace tcp = protocols::tcp;

// A TCP segment from the peer in a frame; the header written by the protocol library's writer
// (tested on its own in tests/protocols).
Bytes tcp_from_peer(uint16_t source_port, uint32_t sequence, uint32_t acknowledgment, uint8_t flags,
                    const Bytes& payload = {}) {
  tcp::Segment segment;
  segment.source_port = source_port;
  segment.destination_port = 80;
  segment.sequence = sequence;
  segment.acknowledgment = acknowledgment;
  segment.flags = flags;
  segment.window = 65535;
  segment.payload = packets::view(payload);
  uint8_t header[tcp::max_header_size];
  size_t size = tcp::write_header(header, segment, peer, own);
  Bytes bytes(header, header + size);
  bytes.insert(bytes.end(), payload.begin(), payload.end());
  return packets::ethernet_frame(device_mac, peer_mac, ethernet::ether_type::ipv4,
                                 packets::ipv4_packet(peer, own, ipv4::protocol::tcp, bytes));
}

// The TCP segments among `frames`, with their payloads copied.
struct SeenSegment {
  tcp::Segment header;
  Bytes payload;
};
std::vector<SeenSegment> tcp_in(const std::vector<Bytes>& frames) {
  std::vector<SeenSegment> segments;
  for (const Bytes& frame : frames) {
    std::optional<ipv4::Packet> packet = ipv4_in(frame);
    if (!packet || packet->header.protocol != ipv4::protocol::tcp) continue;
    Result<tcp::Segment> segment = tcp::parse(packet->payload, packet->header.source, packet->header.destination);
    if (!segment.ok()) continue;
    segments.push_back({segment.value(), packets::bytes_of(segment->payload)});
    segments.back().header.payload = {};
  }
  return segments;
}

// Accepts connections on port 80 and, for each, reads a line and answers "echo: <line>", then
// closes; a connection that sends nothing for 2 s is given up (`timeouts`).
sched::Task<void> line_echo(Stack& stack, tcp::ConnectionId id, int* answered, int* timeouts) {
  TcpStream stream(stack, id);
  Bytes line;
  uint8_t buffer[64];
  while (line.empty() || line.back() != '\n') {
    size_t n = co_await stream.read(protocols::MutableByteView(buffer, sizeof buffer), sched::now() + seconds(2));
    if (n == 0) {
      if (stream.timed_out()) ++*timeouts;
      co_return;
    }
    line.insert(line.end(), buffer, buffer + n);
  }
  std::string text = "echo: " + std::string(line.begin(), line.end());
  Bytes reply = packets::bytes_of(text);
  size_t written = co_await stream.write(packets::view(reply));
  if (written == reply.size()) ++*answered;
  stream.close();
}

sched::Task<void> line_echo_server(Stack& stack, int* answered, int* timeouts) {
  TcpListener listener(stack);
  if (!listener.listen(80, 4).ok()) ADD_FAILURE() << "cannot listen on port 80";
  for (;;) {
    tcp::ConnectionId id = co_await listener.accept();
    sched::spawn(line_echo(stack, id, answered, timeouts));
  }
}

TEST_F(NetStackTest, ServesATcpConnectionThroughAListenerAndAStream) {
  ASSERT_TRUE(open(static_config()));
  int answered = 0, timeouts = 0;
  start_app(line_echo_server(stack(), &answered, &timeouts));
  peer_sends(arp_request_from_peer(own));
  peer_sends(tcp_from_peer(40000, 1000, 0, tcp::Flag::syn), milliseconds(2));
  run_for(milliseconds(10));
  std::vector<SeenSegment> sent = tcp_in(take_written());
  ASSERT_EQ(sent.size(), 1u);
  ASSERT_EQ(sent[0].header.flags, tcp::Flag::syn | tcp::Flag::ack);
  EXPECT_EQ(sent[0].header.acknowledgment, 1001u);
  uint32_t iss = sent[0].header.sequence;

  peer_sends(tcp_from_peer(40000, 1001, iss + 1, tcp::Flag::ack));
  peer_sends(tcp_from_peer(40000, 1001, iss + 1, tcp::Flag::ack | tcp::Flag::psh, packets::bytes_of("hello\n")),
             milliseconds(2));
  run_for(milliseconds(10));
  EXPECT_EQ(answered, 1);
  sent = tcp_in(take_written());
  ASSERT_FALSE(sent.empty());
  Bytes echoed;
  bool fin = false;
  for (const SeenSegment& segment : sent) {
    echoed.insert(echoed.end(), segment.payload.begin(), segment.payload.end());
    fin = fin || segment.header.has(tcp::Flag::fin);
  }
  EXPECT_EQ(echoed, packets::bytes_of("echo: hello\n"));
  EXPECT_TRUE(fin);  // the app closed after answering

  // The peer acknowledges everything and closes too; the app closed first, so its side waits in
  // TIME-WAIT (2 MSL) before the slot is freed.
  uint32_t end = iss + 1 + static_cast<uint32_t>(echoed.size()) + 1;
  peer_sends(tcp_from_peer(40000, 1007, end, tcp::Flag::ack | tcp::Flag::fin));
  run_for(milliseconds(10));
  sent = tcp_in(take_written());
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].header.acknowledgment, 1008u);
  EXPECT_EQ(stack().interface().tcp().connection_count(), 1u);
  run_for(seconds(61));
  EXPECT_EQ(stack().interface().tcp().connection_count(), 0u);
}

TEST_F(NetStackTest, AStreamReadGivesUpAtItsDeadline) {
  ASSERT_TRUE(open(static_config()));
  int answered = 0, timeouts = 0;
  start_app(line_echo_server(stack(), &answered, &timeouts));
  peer_sends(arp_request_from_peer(own));
  peer_sends(tcp_from_peer(40001, 50, 0, tcp::Flag::syn), milliseconds(2));
  run_for(milliseconds(10));
  std::vector<SeenSegment> sent = tcp_in(take_written());
  ASSERT_EQ(sent.size(), 1u);
  peer_sends(tcp_from_peer(40001, 51, sent[0].header.sequence + 1, tcp::Flag::ack));
  run_for(milliseconds(1900));
  EXPECT_EQ(timeouts, 0);
  run_for(milliseconds(200));
  EXPECT_EQ(timeouts, 1);
  EXPECT_EQ(answered, 0);
  // The stream's end released the connection without a close(): it was reset.
  sent = tcp_in(take_written());
  ASSERT_FALSE(sent.empty());
  EXPECT_TRUE(sent.back().header.has(tcp::Flag::rst));
}

}  // namespace
}  // namespace cairn::net
