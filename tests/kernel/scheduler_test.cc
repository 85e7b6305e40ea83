// The coroutine scheduler on a scripted platform: timers, devices, spawning, nesting, deadlock.
#include "cairn/sched/scheduler.h"

#include <gtest/gtest.h>

#include <algorithm>
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

struct ReadableUntilOutcome {
  int resumptions = 0;
  bool readable = false;
  Time woke = 0;
};

Task<void> wait_readable_until_into(solo5_handle_t device, Time deadline, ReadableUntilOutcome* outcome) {
  outcome->readable = co_await wait_readable_until(device, deadline);
  outcome->woke = now();
  ++outcome->resumptions;
}

// Runs the wait, then lets 100 ms more pass so that a second (wrong) resumption would show.
Task<int> readable_until_then_linger(solo5_handle_t device, Time deadline, ReadableUntilOutcome* outcome) {
  spawn(wait_readable_until_into(device, deadline, outcome));
  co_await sleep_until(deadline + milliseconds(100));
  co_return 0;
}

TEST_F(SchedulerTest, ReadableUntilResumesOnInputAndCancelsTheDeadline) {
  Time start = fake_platform().now;
  fake_platform().device_events = {{start + milliseconds(10), 4}};
  ReadableUntilOutcome outcome;
  run(readable_until_then_linger(4, start + milliseconds(50), &outcome));
  EXPECT_EQ(outcome.resumptions, 1);
  EXPECT_TRUE(outcome.readable);
  EXPECT_EQ(outcome.woke, start + milliseconds(10));
  // The deadline was cancelled when the input came (TearDown checks that no timer is left).
}

TEST_F(SchedulerTest, ReadableUntilResumesAtTheDeadlineAndLeavesTheDevice) {
  Time start = fake_platform().now;
  fake_platform().device_events = {{start + milliseconds(30), 4}};
  ReadableUntilOutcome outcome;
  run(readable_until_then_linger(4, start + milliseconds(10), &outcome));
  EXPECT_EQ(outcome.resumptions, 1);  // the input at 30 ms found nobody waiting
  EXPECT_FALSE(outcome.readable);
  EXPECT_EQ(outcome.woke, start + milliseconds(10));
}

Task<int> readable_until_past_deadline(bool* readable) {
  *readable = co_await wait_readable_until(2, now() - 1);
  co_return 0;
}

TEST_F(SchedulerTest, ReadableUntilAPastDeadlineReturnsAtOnce) {
  bool readable = true;
  run(readable_until_past_deadline(&readable));
  EXPECT_FALSE(readable);
  EXPECT_TRUE(fake_platform().yield_deadlines.empty());
}

Task<int> readable_until_without_deadline(bool* readable) {
  *readable = co_await wait_readable_until(2, UINT64_MAX);
  co_return 0;
}

TEST_F(SchedulerTest, ReadableUntilWithoutADeadlineArmsNoTimer) {
  fake_platform().device_events = {{fake_platform().now + seconds(5), 2}};
  bool readable = false;
  run(readable_until_without_deadline(&readable));
  EXPECT_TRUE(readable);
  ASSERT_EQ(fake_platform().yield_deadlines.size(), 1u);
  EXPECT_EQ(fake_platform().yield_deadlines[0], UINT64_MAX);
}

Task<int> many_readable_untils(const std::vector<Time>& deadlines, std::vector<ReadableUntilOutcome>* outcomes) {
  for (size_t i = 0; i < deadlines.size(); ++i) {
    spawn(wait_readable_until_into(static_cast<solo5_handle_t>(i % SOLO5_HANDLE_SET_SIZE), deadlines[i], &(*outcomes)[i]));
  }
  co_await sleep_for(seconds(3));
  co_return 0;
}

TEST_F(SchedulerTest, ReadableUntilCancelsTimersFromAnywhereInTheHeap) {
  // 640 waits on 64 devices, with random deadlines and random input times: each resumes once,
  // readable exactly when its device's input came no later than its deadline, and the timers
  // left in the heap (cancelled from every position) still fire in order.
  std::mt19937 random(7);
  Time start = fake_platform().now;
  std::vector<Time> input_at(SOLO5_HANDLE_SET_SIZE);
  for (auto& at : input_at) at = start + microseconds(random() % 2'000'000);
  for (solo5_handle_t device = 0; device < SOLO5_HANDLE_SET_SIZE; ++device) {
    fake_platform().device_events.push_back({input_at[device], device});
  }
  std::sort(fake_platform().device_events.begin(), fake_platform().device_events.end(),
            [](const auto& a, const auto& b) { return a.at < b.at; });
  std::vector<Time> deadlines(640);
  for (auto& deadline : deadlines) deadline = start + microseconds(random() % 2'000'000);
  std::vector<ReadableUntilOutcome> outcomes(deadlines.size());
  run(many_readable_untils(deadlines, &outcomes));
  for (size_t i = 0; i < deadlines.size(); ++i) {
    Time input = input_at[i % SOLO5_HANDLE_SET_SIZE];
    ASSERT_EQ(outcomes[i].resumptions, 1) << i;
    EXPECT_EQ(outcomes[i].readable, input <= deadlines[i]) << i;
    EXPECT_EQ(outcomes[i].woke, std::min(input, deadlines[i])) << i;
  }
}

Task<void> wait_until_woken_early(DeviceOrDeadlineAwaiter* wait, ReadableUntilOutcome* outcome) {
  outcome->readable = co_await *wait;
  outcome->woke = now();
  ++outcome->resumptions;
}

Task<int> wake_a_wait_early(Time deadline, ReadableUntilOutcome* outcome, bool* second_wake) {
  DeviceOrDeadlineAwaiter wait(6, deadline);
  spawn(wait_until_woken_early(&wait, outcome));
  co_await sleep_for(milliseconds(5));
  bool woken = wait.wake_early();
  *second_wake = wait.wake_early();
  co_await sleep_for(milliseconds(100));
  co_return woken ? 0 : 1;
}

TEST_F(SchedulerTest, WakeEarlyResumesAWaitOnceAndWithdrawsItsDeadlineAndDevice) {
  for (Time deadline : {fake_platform().now + milliseconds(50), Time{UINT64_MAX}}) {
    fake_platform().reset();
    Time start = fake_platform().now;
    fake_platform().device_events = {{start + milliseconds(20), 6}};
    ReadableUntilOutcome outcome;
    bool second_wake = true;
    EXPECT_EQ(run(wake_a_wait_early(deadline, &outcome, &second_wake)), 0);
    EXPECT_FALSE(second_wake);
    EXPECT_EQ(outcome.resumptions, 1);  // neither the input at 20 ms nor the deadline resumed it again
    EXPECT_EQ(outcome.woke, start + milliseconds(5));
    EXPECT_EQ(scheduler().pending_timers(), 0u);
  }
}

TEST_F(SchedulerTest, CancelTimerReportsWhetherTheTimerWasArmed) {
  Timer timer{};
  timer.deadline = now() + seconds(1);
  timer.waiter.coroutine = std::noop_coroutine();
  scheduler().add_timer(timer);
  EXPECT_EQ(scheduler().pending_timers(), 1u);
  EXPECT_TRUE(scheduler().cancel_timer(timer));
  EXPECT_FALSE(scheduler().cancel_timer(timer));
  EXPECT_EQ(scheduler().pending_timers(), 0u);
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
