// The scripted platform of fake_platform.h.
#include "fake_platform.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace cairn::testing {

FakePlatform& fake_platform() {
  static FakePlatform platform;
  return platform;
}

void FakeNetDevice::arrive(std::vector<std::uint8_t> frame, std::uint64_t at) {
  auto later = std::upper_bound(arriving.begin(), arriving.end(), at,
                                [](std::uint64_t time, const Arrival& arrival) { return time < arrival.at; });
  arriving.insert(later, Arrival{at, std::move(frame)});
}

}  // namespace cairn::testing

using cairn::testing::fake_platform;
using cairn::testing::FakeNetDevice;

namespace {

[[noreturn]] void contract_broken(const char* what, const FakeNetDevice& device, std::size_t size) {
  std::fprintf(stderr, "fake platform: %s of %zu bytes on net device '%s' (mtu %zu + %d header bytes)\n", what, size,
               device.name.c_str(), device.mtu, SOLO5_NET_HLEN);
  std::abort();
}

FakeNetDevice* acquired_net_device(solo5_handle_t handle) {
  for (FakeNetDevice& device : fake_platform().net_devices) {
    if (device.acquired && device.handle == handle) return &device;
  }
  return nullptr;
}

}  // namespace

extern "C" {

void solo5_console_write(const char* buffer, size_t size) { fake_platform().console.append(buffer, size); }

solo5_time_t solo5_clock_monotonic(void) { return fake_platform().now; }

solo5_time_t solo5_clock_wall(void) { return 1'700'000'000ull * 1'000'000'000ull + fake_platform().now; }

// Jumps the clock to the deadline, the next scripted device event or the next frame, whichever
// comes first (or to the pause, when that comes before all of them).
void solo5_yield(solo5_time_t deadline, solo5_handle_set_t* ready_set) {
  auto& platform = fake_platform();
  platform.yield_deadlines.push_back(deadline);
  auto& events = platform.device_events;
  std::uint64_t wake = deadline;
  if (!events.empty() && events.front().at < wake) wake = events.front().at;
  for (const FakeNetDevice& device : platform.net_devices) {
    if (device.acquired && !device.arriving.empty()) wake = std::min(wake, device.arriving.front().at);
  }
  if (platform.pause_at != UINT64_MAX && wake > platform.pause_at) {
    platform.now = std::max(platform.now, platform.pause_at);
    platform.pause_at = UINT64_MAX;
    if (ready_set != nullptr) *ready_set = solo5_handle_set_t{1} << platform.pause_device;
    return;
  }
  if (wake == UINT64_MAX) {
    std::fprintf(stderr, "fake platform: yield would block forever\n");
    std::abort();
  }
  platform.now = std::max(platform.now, wake);
  solo5_handle_set_t ready = 0;
  while (!events.empty() && events.front().at <= platform.now) {
    ready |= solo5_handle_set_t{1} << events.front().device;
    events.erase(events.begin());
  }
  for (const FakeNetDevice& device : platform.net_devices) {
    if (device.acquired && !device.arriving.empty() && device.arriving.front().at <= platform.now) {
      ready |= solo5_handle_set_t{1} << device.handle;
    }
  }
  if (ready_set != nullptr) *ready_set = ready;
}

void solo5_exit(int status) { std::exit(status); }

void solo5_abort(void) {
  // Death tests match what reaches stderr: pass the captured console on.
  std::fprintf(stderr, "%s", fake_platform().console.c_str());
  std::abort();
}

solo5_result_t solo5_net_acquire(const char* name, solo5_handle_t* handle, solo5_net_info* info) {
  for (FakeNetDevice& device : fake_platform().net_devices) {
    if (device.name != name) continue;
    if (device.acquired) return SOLO5_R_EINVAL;  // once per device
    device.acquired = true;
    *handle = device.handle;
    std::copy(device.mac, device.mac + SOLO5_NET_ALEN, info->mac_address);
    info->mtu = device.mtu;
    return SOLO5_R_OK;
  }
  return SOLO5_R_EINVAL;
}

solo5_result_t solo5_net_read(solo5_handle_t handle, uint8_t* buffer, size_t size, size_t* read_size) {
  FakeNetDevice* device = acquired_net_device(handle);
  if (device == nullptr) return SOLO5_R_EINVAL;
  if (size < device->mtu + SOLO5_NET_HLEN) contract_broken("a read into a buffer", *device, size);
  if (device->arriving.empty() || device->arriving.front().at > fake_platform().now) return SOLO5_R_AGAIN;
  const std::vector<std::uint8_t>& frame = device->arriving.front().frame;
  if (frame.size() > device->mtu + SOLO5_NET_HLEN) contract_broken("a scripted frame", *device, frame.size());
  std::copy(frame.begin(), frame.end(), buffer);
  *read_size = frame.size();
  device->arriving.pop_front();
  return SOLO5_R_OK;
}

solo5_result_t solo5_net_write(solo5_handle_t handle, const uint8_t* buffer, size_t size) {
  FakeNetDevice* device = acquired_net_device(handle);
  if (device == nullptr) return SOLO5_R_EINVAL;
  if (size > device->mtu + SOLO5_NET_HLEN) contract_broken("a write", *device, size);
  device->written.push_back({fake_platform().now, std::vector<std::uint8_t>(buffer, buffer + size)});
  return SOLO5_R_OK;
}

}  // extern "C"
