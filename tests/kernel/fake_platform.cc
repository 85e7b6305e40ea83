// The scripted platform of fake_platform.h.
#include "fake_platform.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace cairn::testing {

FakePlatform& fake_platform() {
  static FakePlatform platform;
  return platform;
}

}  // namespace cairn::testing

using cairn::testing::fake_platform;

extern "C" {

void solo5_console_write(const char* buffer, size_t size) { fake_platform().console.append(buffer, size); }

solo5_time_t solo5_clock_monotonic(void) { return fake_platform().now; }

solo5_time_t solo5_clock_wall(void) { return 1'700'000'000ull * 1'000'000'000ull + fake_platform().now; }

// Jumps the clock to the deadline or to the next scripted device event, whichever comes first.
void solo5_yield(solo5_time_t deadline, solo5_handle_set_t* ready_set) {
  auto& platform = fake_platform();
  platform.yield_deadlines.push_back(deadline);
  auto& events = platform.device_events;
  std::uint64_t wake = deadline;
  if (!events.empty() && events.front().at < wake) wake = events.front().at;
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
  if (ready_set != nullptr) *ready_set = ready;
}

void solo5_exit(int status) { std::exit(status); }

void solo5_abort(void) {
  // Death tests match what reaches stderr: pass the captured console on.
  std::fprintf(stderr, "%s", fake_platform().console.c_str());
  std::abort();
}

}  // extern "C"
