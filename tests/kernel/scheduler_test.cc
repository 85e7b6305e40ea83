// The coroutine scheduler on a scripted platform: timers, devices, spawning, nesting, deadlock.
#include "cairn/sched/scheduler.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "fake_platform.h"

namespace cairn::sched {
namespace {

using cairn::testing::fake_platform;

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override { fake_platform().reset(); }
  void TearDown() override { EXPECT_EQ(scheduler().pending_timers(), 0u); }
};

Task<int> forty_two() { co_return 42; }

TEST_F(SchedulerTest, RunReturnsTheMainTasksValue) { EXPECT_EQ(run(forty_two()), 42); }

Task<int> add_after_await() {
  int value = co_await forty_two();
  co_return value + 1;
}

TEST_F(SchedulerTest, AwaitingATaskYieldsItsResult) { EXPECT_EQ(run(add_after_await()), 43); }

Task<int> count_down(int n) {
  if (n == 0) co_return 0;
  co_return 1 + co_await count_down(n - 1);
}

TEST_F(SchedulerTest, DeeplyNestedTasksDoNotGrowTheStack) {
  // Symmetric transfer: 20,000 nested awaits would overflow the stack if each resumed the next
  // as a nested call.
  EXPECT_EQ(run(count_down(20000)), 20000);
}

Task<int> sleep_then_report(Time* woke) {
  co_await sleep_for(milliseconds(100));
  *woke = now();
  co_return 0;
}

TEST_F(SchedulerTest, SleepWakesAtTheDeadlineAndYieldsUntilThen) {
  Time start = fake_platform().now;
  Time woke = 0;
  run(sleep_then_report(&woke));
  EXPECT_EQ(woke, start + milliseconds(100));
  // One yield, told exactly the deadline.
  ASSERT_EQ(fake_platform().yield_deadlines.size(), 1u);
  EXPECT_EQ(fake_platform().yield_deadlines[0], start + milliseconds(100));
}

Task<void> sleeper(Duration duration, int id, std::vector<int>* order) {
  co_await sleep_for(duration);
  order->push_back(id);
}

Task<int> spawn_sleepers(std::vector<int>* order) {
  spawn(sleeper(milliseconds(30), 3, order));
  spawn(sleeper(milliseconds(10), 1, order));
  spawn(sleeper(milliseconds(20), 2, order));
  spawn(sleeper(milliseconds(10), 4, order));  // same deadline as 1, armed later: fires after it
  co_await sleep_for(milliseconds(40));
  co_return static_cast<int>(order->size());
}

TEST_F(SchedulerTest, TimersFireInDeadlineOrderAndTiesInArmingOrder) {
  std::vector<int> order;
  EXPECT_EQ(run(spawn_sleepers(&order)), 4);
  EXPECT_EQ(order, (std::vector<int>{1, 4, 2, 3}));
}

Task<void> chatter(char name, std::string* log) {
  for (int i = 0; i < 3; ++i) {
    log->push_back(name);
    co_await yield_now();
  }
}

Task<int> two_chatters(std::string* log) {
  spawn(chatter('a', log));
  spawn(chatter('b', log));
  co_await sleep_for(milliseconds(1));
  co_return 0;
}

TEST_F(SchedulerTest, SpawnedTasksInterleaveAtEachAwait) {
  std::string log;
  run(two_chatters(&log));
  EXPECT_EQ(log, "ababab");
}

Task<int> wait_for_device(solo5_handle_t device, Time* woke) {
  co_await wait_readable(device);
  *woke = now();
  co_return static_cast<int>(device);
}

TEST_F(SchedulerTest, DeviceWaitResumesWhenThePlatformReportsInput) {
  Time start = fake_platform().now;
  fake_platform().device_events = {{start + milliseconds(50), 3}};
  Time woke = 0;
  EXPECT_EQ(run(wait_for_device(3, &woke)), 3);
  EXPECT_EQ(woke, start + milliseconds(50));
}

Task<void> wait_for_other_device(solo5_handle_t device, bool* woke) {
  co_await wait_readable(device);
  *woke = true;
}

Task<int> device_and_timer(bool* device_woke) {
  spawn(wait_for_other_device(5, device_woke));
  co_await sleep_for(milliseconds(20));  // the device becomes ready at 10 ms
  co_return 0;
}

TEST_F(SchedulerTest, DevicesAndTimersWakeTheirOwnWaiters) {
  fake_platform().device_events = {{fake_platform().now + milliseconds(10), 5}};
  bool device_woke = false;
  run(device_and_timer(&device_woke));
  EXPECT_TRUE(device_woke);
}

Task<int> many_timers(int count, std::vector<Time>* fired) {
  std::mt19937 random(1);
  for (int i = 0; i < count; ++i) {
    Duration delay = microseconds(random() % 1'000'000);
    spawn([](Duration d, std::vector<Time>* out) -> Task<void> {
      co_await sleep_for(d);
      out->push_back(now());
    }(delay, fired));
  }
  co_await sleep_for(seconds(2));
  co_return 0;
}

TEST_F(SchedulerTest, TenThousandTimersFireInOrder) {
  std::vector<Time> fired;
  run(many_timers(10000, &fired));
  ASSERT_EQ(fired.size(), 10000u);
  EXPECT_TRUE(std::is_sorted(fired.begin(), fired.end()));
}

// An awaitable that suspends without registering anywhere: nothing can ever resume it.
struct Forgotten {
  bool await_ready() { return false; }
  void await_suspend(std::coroutine_handle<>) {}
  void await_resume() {}
};

Task<int> waits_forever() {
  co_await Forgotten{};
  co_return 0;
}

TEST_F(SchedulerTest, DeadlockIsReportedNotSlept) {
  EXPECT_DEATH(run(waits_forever()), "cairn: abort: deadlock");
}

}  // namespace
}  // namespace cairn::sched
