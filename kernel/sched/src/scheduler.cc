// The run loop, the ready queue, the timer heap and device waiting lists (see scheduler.h).
#include "cairn/sched/scheduler.h"

#include "cairn/runtime/print.h"

namespace cairn::sched {

namespace {

// A spawned task's owner: a coroutine that awaits the task and frees itself when done
// (final_suspend never suspends), holding the ready-queue node it is first scheduled with.
struct Detached {
  struct promise_type {
    Waiter start;
    Detached get_return_object() { return {std::coroutine_handle<promise_type>::from_promise(*this)}; }
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() {}
    void unhandled_exception() noexcept { runtime::panic("exception escaped a task (exceptions are off)"); }
  };
  std::coroutine_handle<promise_type> handle;
};

Detached run_detached(Task<void> task) { co_await task; }

bool earlier(const Timer* a, const Timer* b) {
  return a->deadline < b->deadline || (a->deadline == b->deadline && a->sequence < b->sequence);
}

}  // namespace

Time now() { return solo5_clock_monotonic(); }

Scheduler& scheduler() {
  static Scheduler instance;
  return instance;
}

void Scheduler::make_ready(Waiter& waiter) {
  waiter.next = nullptr;
  if (ready_tail_ != nullptr) {
    ready_tail_->next = &waiter;
  } else {
    ready_head_ = &waiter;
  }
  ready_tail_ = &waiter;
}

void Scheduler::spawn(Task<void> task) {
  Detached detached = run_detached(static_cast<Task<void>&&>(task));
  detached.handle.promise().start.coroutine = detached.handle;
  make_ready(detached.handle.promise().start);
}

void Scheduler::add_timer(Timer& timer) {
  if (timer_count_ == timer_capacity_) {
    size_t capacity = timer_capacity_ == 0 ? 16 : timer_capacity_ * 2;
    auto** grown = new Timer*[capacity];
    for (size_t i = 0; i < timer_count_; ++i) grown[i] = timers_[i];
    delete[] timers_;
    timers_ = grown;
    timer_capacity_ = capacity;
  }
  timer.sequence = timer_sequence_++;
  // Sift up.
  size_t index = timer_count_++;
  while (index > 0) {
    size_t parent = (index - 1) / 2;
    if (!earlier(&timer, timers_[parent])) break;
    timers_[index] = timers_[parent];
    index = parent;
  }
  timers_[index] = &timer;
}

Timer* Scheduler::pop_timer() {
  Timer* top = timers_[0];
  remove_timer_at(0);
  return top;
}

void Scheduler::remove_timer_at(size_t index) {
  Timer* last = timers_[--timer_count_];
  if (index == timer_count_) return;
  // `last` fills the hole: sift it up if it is earlier than the hole's parent, else down.
  while (index > 0) {
    size_t parent = (index - 1) / 2;
    if (!earlier(last, timers_[parent])) break;
    timers_[index] = timers_[parent];
    index = parent;
  }
  for (;;) {
    size_t child = 2 * index + 1;
    if (child >= timer_count_) break;
    if (child + 1 < timer_count_ && earlier(timers_[child + 1], timers_[child])) ++child;
    if (!earlier(timers_[child], last)) break;
    timers_[index] = timers_[child];
    index = child;
  }
  timers_[index] = last;
}

bool Scheduler::cancel_timer(Timer& timer) {
  // A linear search: an image arms a handful of timers, and the one cancelled most (the network
  // loop's deadline) is usually at the root.
  for (size_t index = 0; index < timer_count_; ++index) {
    if (timers_[index] == &timer) {
      remove_timer_at(index);
      return true;
    }
  }
  return false;
}

void Scheduler::wait_for_device(solo5_handle_t device, Waiter& waiter) {
  if (device >= SOLO5_HANDLE_SET_SIZE) runtime::panic("wait_readable: no device has handle {}", device);
  waiter.next = device_waiters_[device];
  device_waiters_[device] = &waiter;
}

void Scheduler::wait_for_device_until(solo5_handle_t device, std::coroutine_handle<> coroutine, Waiter& waiter,
                                      Timer& timer) {
  waiter.coroutine = coroutine;
  waiter.timeout = &timer;
  timer.waiter.coroutine = coroutine;
  timer.device_waiter = &waiter;
  timer.device = device;
  wait_for_device(device, waiter);
  add_timer(timer);
}

bool Scheduler::withdraw_device_waiter(solo5_handle_t device, Waiter& waiter) {
  for (Waiter** link = &device_waiters_[device]; *link != nullptr; link = &(*link)->next) {
    if (*link == &waiter) {
      *link = waiter.next;
      return true;
    }
  }
  return false;
}

bool Scheduler::wake_early(solo5_handle_t device, Waiter& waiter) {
  Timer* timer = waiter.timeout;
  if (timer != nullptr) {  // a wait with a deadline, not woken by its device
    if (timer->device_waiter == nullptr) return false;  // its deadline fired already
    cancel_timer(*timer);
    withdraw_device_waiter(device, waiter);
    timer->device_waiter = nullptr;
    make_ready(timer->waiter);
    return true;
  }
  if (!withdraw_device_waiter(device, waiter)) return false;  // its device woke it already
  make_ready(waiter);
  return true;
}

bool Scheduler::has_device_waiters() const {
  for (const Waiter* list : device_waiters_) {
    if (list != nullptr) return true;
  }
  return false;
}

void Scheduler::run_ready_tasks() {
  // Only the tasks ready now: tasks made ready meanwhile wait for the next round, so that a task
  // that keeps yielding cannot starve timers and devices.
  Waiter* batch = ready_head_;
  ready_head_ = ready_tail_ = nullptr;
  while (batch != nullptr) {
    Waiter* waiter = batch;
    batch = batch->next;
    waiter->coroutine.resume();  // may free *waiter (it lives in the coroutine's frame)
  }
}

void Scheduler::fire_expired_timers(Time current) {
  while (timer_count_ > 0 && timers_[0]->deadline <= current) {
    Timer* timer = pop_timer();
    if (timer->device_waiter != nullptr) {
      withdraw_device_waiter(timer->device, *timer->device_waiter);
      timer->device_waiter = nullptr;
    }
    make_ready(timer->waiter);
  }
}

void Scheduler::wake_devices(solo5_handle_set_t ready) {
  for (solo5_handle_t device = 0; ready != 0 && device < SOLO5_HANDLE_SET_SIZE; ++device, ready >>= 1) {
    if ((ready & 1) == 0) continue;
    Waiter* list = device_waiters_[device];
    device_waiters_[device] = nullptr;
    while (list != nullptr) {
      Waiter* waiter = list;
      list = list->next;
      if (waiter->timeout != nullptr) {
        cancel_timer(*waiter->timeout);
        waiter->timeout = nullptr;
      }
      make_ready(*waiter);
    }
  }
}

int Scheduler::run(Task<int> main) {
  Waiter start{main.handle(), nullptr};
  make_ready(start);
  while (!main.done()) {
    run_ready_tasks();
    if (main.done()) break;

    Time deadline;
    if (ready_head_ != nullptr) {
      deadline = 0;  // others are runnable: only poll the devices
    } else if (timer_count_ > 0) {
      deadline = timers_[0]->deadline;
    } else if (has_device_waiters()) {
      deadline = UINT64_MAX;
    } else {
      runtime::panic("deadlock: every task is waiting and no timer or device can wake one");
    }
    // The clock is a system call on spt: read it only where a timer makes the answer matter.
    solo5_handle_set_t ready = 0;
    if (deadline == 0 || deadline == UINT64_MAX || deadline > now()) {
      solo5_yield(deadline, &ready);
      ++yields_;
    }
    wake_devices(ready);
    if (timer_count_ > 0) fire_expired_timers(now());
  }
  return main.take_result();
}

}  // namespace cairn::sched
