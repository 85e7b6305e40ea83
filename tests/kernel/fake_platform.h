// A scripted stand-in for the platform (cairn/solo5.h) so that the kernel's runtime and scheduler
// run as ordinary host code in tests: a simulated monotonic clock that yield advances, devices
// that become ready at scripted times, net devices with scripted incoming frames and captured
// outgoing ones, and a console captured into a string.
#pragma once

#include <cairn/solo5.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace cairn::testing {

// A solo5 net device. It keeps Solo5's contract (solo5.h): acquired once, by name; a read needs
// room for mtu + SOLO5_NET_HLEN bytes, a write may not be longer. Breaking it aborts the test
// with a message, as a wrong frame size is a bug of the code under test, not a dropped packet.
struct FakeNetDevice {
  std::string name;
  solo5_handle_t handle = 0;
  std::uint8_t mac[SOLO5_NET_ALEN] = {};
  std::size_t mtu = 1500;
  bool acquired = false;

  struct Arrival {
    std::uint64_t at;  // monotonic nanoseconds: solo5_net_read returns it from then on
    std::vector<std::uint8_t> frame;
  };
  std::deque<Arrival> arriving;  // by time; while the first is due, yield reports the device ready
  struct Write {
    std::uint64_t at;
    std::vector<std::uint8_t> frame;
  };
  std::vector<Write> written;  // every frame solo5_net_write took, in order

  // Schedules `frame` to arrive at `at`, after the frames that arrive no later.
  void arrive(std::vector<std::uint8_t> frame, std::uint64_t at);
};

struct FakePlatform {
  std::uint64_t now = 1'000'000'000;  // monotonic nanoseconds
  std::string console;
  struct DeviceEvent {
    std::uint64_t at;
    solo5_handle_t device;
  };
  std::vector<DeviceEvent> device_events;  // sorted by time
  std::vector<std::uint64_t> yield_deadlines;
  std::vector<FakeNetDevice> net_devices;

  // A pause: when nothing can happen until after `pause_at` (no task runnable, and no deadline,
  // device event or frame due by then), yield stops the clock at `pause_at` and reports
  // `pause_device` ready, once. A test's main task waits for that device to end a run at a quiet
  // moment, every other task waiting for something.
  std::uint64_t pause_at = UINT64_MAX;
  solo5_handle_t pause_device = SOLO5_HANDLE_SET_SIZE - 1;

  void reset() { *this = FakePlatform(); }
};

FakePlatform& fake_platform();

}  // namespace cairn::testing
