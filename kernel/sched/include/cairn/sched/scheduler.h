// The cooperative single-core scheduler: tasks run until they await something (a timer, a
// device, another task), never preempted. When nothing is runnable, the run loop sleeps in the
// platform's yield until the nearest timer deadline or until a device has input.
//
//   int app_main(Arguments) { return sched::run(main_task()); }
//   Task<int> main_task() { sched::spawn(blink()); co_await sched::sleep_for(seconds(1)); co_return 0; }
#pragma once

#include <cairn/solo5.h>
#include <stddef.h>
#include <stdint.h>

#include <coroutine>

#include "cairn/sched/task.h"

namespace cairn::sched {

using Time = uint64_t;      // monotonic nanoseconds (solo5_clock_monotonic)
using Duration = uint64_t;  // nanoseconds

constexpr Duration microseconds(uint64_t n) { return n * 1000; }
constexpr Duration milliseconds(uint64_t n) { return n * 1000 * 1000; }
constexpr Duration seconds(uint64_t n) { return n * 1000 * 1000 * 1000; }

// The current monotonic time.
Time now();

struct Timer;

// A coroutine waiting for something, linked into the ready queue or a device's waiting list.
struct Waiter {
  std::coroutine_handle<> coroutine;
  Waiter* next = nullptr;
  // wait_readable_until: the deadline armed alongside this device waiter. The device cancels it
  // when it wakes the waiter first, and sets this to nullptr.
  Timer* timeout = nullptr;
};

// A coroutine waiting for a deadline, kept in the scheduler's timer heap.
struct Timer {
  Time deadline;
  uint64_t sequence;  // order of arming: equal deadlines fire first-armed first
  Waiter waiter;
  // wait_readable_until: the device waiter armed alongside this timer. Firing withdraws it from
  // the device's list, and sets this to nullptr.
  Waiter* device_waiter = nullptr;
  solo5_handle_t device = 0;
};

class Scheduler {
 public:
  // Runs `main` and everything it spawns until `main` finishes; returns its result.
  int run(Task<int> main);
  // Starts `task` alongside the others; it is destroyed when it finishes.
  void spawn(Task<void> task);

  void make_ready(Waiter& waiter);
  void add_timer(Timer& timer);
  // Takes an armed timer out of the heap without firing it; false if it is not armed.
  bool cancel_timer(Timer& timer);
  void wait_for_device(solo5_handle_t device, Waiter& waiter);
  // Resumes `coroutine` once, through whichever comes first: input on `device`, or `timer`'s
  // deadline. The other is withdrawn (see Waiter::timeout and Timer::device_waiter).
  void wait_for_device_until(solo5_handle_t device, std::coroutine_handle<> coroutine, Waiter& waiter, Timer& timer);
  // Resumes a device wait now (a wait_readable_until as if its deadline had come); false when
  // it was resumed already.
  bool wake_early(solo5_handle_t device, Waiter& waiter);

  // Counters, for tests and diagnostics.
  size_t pending_timers() const { return timer_count_; }
  uint64_t yields() const { return yields_; }

 private:
  void run_ready_tasks();
  void fire_expired_timers(Time now);
  void wake_devices(solo5_handle_set_t ready);
  bool has_device_waiters() const;
  Timer* pop_timer();
  void remove_timer_at(size_t index);
  bool withdraw_device_waiter(solo5_handle_t device, Waiter& waiter);

  Waiter* ready_head_ = nullptr;
  Waiter* ready_tail_ = nullptr;

  Timer** timers_ = nullptr;  // binary min-heap on (deadline, sequence)
  size_t timer_count_ = 0;
  size_t timer_capacity_ = 0;
  uint64_t timer_sequence_ = 0;

  Waiter* device_waiters_[SOLO5_HANDLE_SET_SIZE] = {};
  uint64_t yields_ = 0;
};

// The one scheduler of the unikernel.
Scheduler& scheduler();

inline int run(Task<int> main) { return scheduler().run(static_cast<Task<int>&&>(main)); }
inline void spawn(Task<void> task) { scheduler().spawn(static_cast<Task<void>&&>(task)); }

// co_await sleep_until(t): resumes at or after monotonic time t.
class SleepAwaiter {
 public:
  explicit SleepAwaiter(Time deadline) { timer_.deadline = deadline; }
  bool await_ready() const { return timer_.deadline <= now(); }
  void await_suspend(std::coroutine_handle<> coroutine) {
    timer_.waiter.coroutine = coroutine;
    scheduler().add_timer(timer_);
  }
  void await_resume() {}

 private:
  Timer timer_{};
};

inline SleepAwaiter sleep_until(Time deadline) { return SleepAwaiter(deadline); }
inline SleepAwaiter sleep_for(Duration duration) { return SleepAwaiter(now() + duration); }

// co_await wait_readable(handle): resumes once the platform reports input on the device.
class DeviceAwaiter {
 public:
  explicit DeviceAwaiter(solo5_handle_t device) : device_(device) {}
  bool await_ready() const { return false; }
  void await_suspend(std::coroutine_handle<> coroutine) {
    waiter_.coroutine = coroutine;
    scheduler().wait_for_device(device_, waiter_);
  }
  void await_resume() {}

 private:
  solo5_handle_t device_;
  Waiter waiter_{};
};

inline DeviceAwaiter wait_readable(solo5_handle_t device) { return DeviceAwaiter(device); }

// bool readable = co_await wait_readable_until(handle, deadline): resumes once the platform
// reports input on the device (true) or at the deadline (false), whichever comes first. A
// deadline of UINT64_MAX means none; one already past resumes at once with false.
class DeviceOrDeadlineAwaiter {
 public:
  DeviceOrDeadlineAwaiter(solo5_handle_t device, Time deadline) : device_(device) { timer_.deadline = deadline; }
  bool await_ready() const { return timer_.deadline != UINT64_MAX && timer_.deadline <= now(); }
  void await_suspend(std::coroutine_handle<> coroutine) {
    if (timer_.deadline == UINT64_MAX) {
      waiter_.coroutine = coroutine;
      scheduler().wait_for_device(device_, waiter_);
    } else {
      scheduler().wait_for_device_until(device_, coroutine, waiter_, timer_);
    }
  }
  // Woken by the device: it cleared the timeout (never set without a deadline). Not suspended
  // at all (deadline past): no coroutine was recorded.
  bool await_resume() const { return waiter_.coroutine && waiter_.timeout == nullptr; }

  // While suspended: resumes the awaiting coroutine now, with false (true when there is no
  // deadline; callers poll the device either way). For a task that must look again sooner than
  // it planned, e.g. a network loop whose next deadline moved earlier. False if not waiting.
  bool wake_early() { return waiter_.coroutine && scheduler().wake_early(device_, waiter_); }
  Time deadline() const { return timer_.deadline; }

 private:
  solo5_handle_t device_;
  Waiter waiter_{};
  Timer timer_{};
};

inline DeviceOrDeadlineAwaiter wait_readable_until(solo5_handle_t device, Time deadline) {
  return DeviceOrDeadlineAwaiter(device, deadline);
}

// co_await yield_now(): lets every other runnable task run once first.
class YieldAwaiter {
 public:
  bool await_ready() const { return false; }
  void await_suspend(std::coroutine_handle<> coroutine) {
    waiter_.coroutine = coroutine;
    scheduler().make_ready(waiter_);
  }
  void await_resume() {}

 private:
  Waiter waiter_{};
};

inline YieldAwaiter yield_now() { return YieldAwaiter(); }

}  // namespace cairn::sched
