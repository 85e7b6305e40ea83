// A scripted stand-in for the platform (platform.h) so that the kernel's runtime and scheduler
// run as ordinary host code in tests: a simulated monotonic clock that yield advances, devices
// that become ready at scripted times, and a console captured into a string.
#pragma once

#include <cairn/solo5.h>

#include <cstdint>
#include <string>
#include <vector>

namespace cairn::testing {

struct FakePlatform {
  std::uint64_t now = 1'000'000'000;  // monotonic nanoseconds
  std::string console;
  struct DeviceEvent {
    std::uint64_t at;
    solo5_handle_t device;
  };
  std::vector<DeviceEvent> device_events;  // sorted by time
  std::vector<std::uint64_t> yield_deadlines;

  void reset() { *this = FakePlatform(); }
};

FakePlatform& fake_platform();

}  // namespace cairn::testing
