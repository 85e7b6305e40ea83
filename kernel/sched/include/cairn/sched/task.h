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

}  // namespace detail

template <typename T>
class [[nodiscard]] Task {
 public:
  struct promise_type : detail::PromiseBase {
    detail::ResultSlot<T> result;
    Task get_return_object() { return Task(std::coroutine_handle<promise_type>::from_promise(*this)); }
    template <typename U>
    void return_value(U&& value) {
      result.emplace(std::forward<U>(value));
    }
  };
  using Handle = std::coroutine_handle<promise_type>;

  Task(Task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      if (handle_) handle_.destroy();
      handle_ = std::exchange(other.handle_, {});
    }
    return *this;
  }
  ~Task() {
    if (handle_) handle_.destroy();
  }

  // Awaiting a task starts it and resumes the awaiter when it finishes.
  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) noexcept {
    handle_.promise().continuation = awaiting;
    return handle_;
  }
  T await_resume() { return handle_.promise().result.take(); }

  // For the scheduler.
  Handle handle() const { return handle_; }
  bool done() const { return handle_.done(); }
  T take_result() { return handle_.promise().result.take(); }

 private:
  explicit Task(Handle handle) : handle_(handle) {}
  Handle handle_;
};

template <>
class [[nodiscard]] Task<void> {
 public:
  struct promise_type : detail::PromiseBase {
    Task get_return_object() { return Task(std::coroutine_handle<promise_type>::from_promise(*this)); }
    void return_void() {}
  };
  using Handle = std::coroutine_handle<promise_type>;

  Task(Task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      if (handle_) handle_.destroy();
      handle_ = std::exchange(other.handle_, {});
    }
    return *this;
  }
  ~Task() {
    if (handle_) handle_.destroy();
  }

  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) noexcept {
    handle_.promise().continuation = awaiting;
    return handle_;
  }
  void await_resume() {}

  Handle handle() const { return handle_; }
  bool done() const { return handle_.done(); }

 private:
  explicit Task(Handle handle) : handle_(handle) {}
  Handle handle_;
};

}  // namespace cairn::sched
