// Task<T>: a coroutine that produces a T, Lwt-style: nothing runs until someone awaits it (or the
// scheduler starts it), and awaiting a finished task's result resumes the awaiter directly.
//
//   Task<int> answer() { co_await sleep_for(milliseconds(10)); co_return 42; }
//   Task<void> caller() { int x = co_await answer(); ... }
//
// Exceptions are off in the kernel: errors are values (return a result type from the task).
#pragma once

#include <coroutine>
#include <new>
#include <type_traits>
#include <utility>

#include "cairn/runtime/print.h"

namespace cairn::sched {

template <typename T>
class Task;

namespace detail {

struct PromiseBase {
  // Who to resume when this task finishes: the task awaiting it, or nobody (noop) for the
  // scheduler's own tasks.
  std::coroutine_handle<> continuation = std::noop_coroutine();

  std::suspend_always initial_suspend() noexcept { return {}; }

  struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    template <typename Promise>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> finished) noexcept {
      return finished.promise().continuation;  // symmetric transfer: no stack growth
    }
    void await_resume() noexcept {}
  };
  FinalAwaiter final_suspend() noexcept { return {}; }

  void unhandled_exception() noexcept { runtime::panic("exception escaped a task (exceptions are off)"); }
};

// Storage for a task's result, without <optional> (not freestanding in C++20).
template <typename T>
class ResultSlot {
 public:
  ResultSlot() = default;
  ResultSlot(const ResultSlot&) = delete;
  ResultSlot& operator=(const ResultSlot&) = delete;
  ~ResultSlot() {
    if (has_value_) pointer()->~T();
  }
  template <typename U>
  void emplace(U&& value) {
    new (storage_) T(std::forward<U>(value));
    has_value_ = true;
  }
  T take() {
    if (!has_value_) runtime::panic("a task's result was read before the task finished");
    return std::move(*pointer());
  }

 private:
  T* pointer() { return std::launder(reinterpret_cast<T*>(storage_)); }
  alignas(T) unsigned char storage_[sizeof(T)];
  bool has_value_ = false;
};

// What every Task<T> shares: ownership of the coroutine frame, and starting it when awaited.
template <typename Promise>
class TaskHandle {
 public:
  using Handle = std::coroutine_handle<Promise>;

  TaskHandle(TaskHandle&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  TaskHandle& operator=(TaskHandle&& other) noexcept {
    if (this != &other) {
      if (handle_) handle_.destroy();
      handle_ = std::exchange(other.handle_, {});
    }
    return *this;
  }
  ~TaskHandle() {
    if (handle_) handle_.destroy();
  }

  // Awaiting a task starts it and resumes the awaiter when it finishes.
  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) noexcept {
    handle_.promise().continuation = awaiting;
    return handle_;
  }

  // For the scheduler.
  Handle handle() const { return handle_; }
  bool done() const { return handle_.done(); }

 protected:
  explicit TaskHandle(Handle handle) : handle_(handle) {}
  Handle handle_;
};

template <typename T>
struct ValuePromise : PromiseBase {
  ResultSlot<T> result;
  Task<T> get_return_object();
  template <typename U>
  void return_value(U&& value) {
    result.emplace(std::forward<U>(value));
  }
};

struct VoidPromise : PromiseBase {
  Task<void> get_return_object();
  void return_void() {}
};

}  // namespace detail

template <typename T>
class [[nodiscard]] Task : public detail::TaskHandle<detail::ValuePromise<T>> {
 public:
  using promise_type = detail::ValuePromise<T>;

  T await_resume() { return take_result(); }
  T take_result() { return this->handle_.promise().result.take(); }

 private:
  friend promise_type;
  using detail::TaskHandle<promise_type>::TaskHandle;
};

template <>
class [[nodiscard]] Task<void> : public detail::TaskHandle<detail::VoidPromise> {
 public:
  using promise_type = detail::VoidPromise;

  void await_resume() {}

 private:
  friend promise_type;
  using detail::TaskHandle<promise_type>::TaskHandle;
};

template <typename T>
Task<T> detail::ValuePromise<T>::get_return_object() {
  return Task<T>(std::coroutine_handle<ValuePromise>::from_promise(*this));
}

inline Task<void> detail::VoidPromise::get_return_object() {
  return Task<void>(std::coroutine_handle<VoidPromise>::from_promise(*this));
}

}  // namespace cairn::sched
