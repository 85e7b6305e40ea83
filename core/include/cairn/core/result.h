// Result<T>: the error type every host library returns instead of throwing.
//
// An Error carries a machine-readable ErrorCode (for scripts and tests) and a message written for
// a person ("tree.tar.gz: entry '../x': path leaves the destination"). Callers add context as the
// error travels up with with_context(), and propagate with CAIRN_TRY, which returns early on error.
#pragma once

#include <fmt/format.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace cairn {

// What kind of failure happened. Stable names (see to_string) are part of the `--json` output.
enum class ErrorCode {
  invalid_argument,  // the caller asked for something that makes no sense
  malformed,         // input that does not parse: JSON, digests, archives, signatures
  not_found,         // a file, key or entry that should exist does not
  io,                // the operating system refused a read or write
  refused,           // well-formed input that policy forbids (path escapes, special files)
  limit_exceeded,    // a size, count or time limit was reached (archive bombs, endless data)
  unsupported,       // a format version or feature this build does not know
  already_exists,    // the destination is there and will not be overwritten
  internal,          // a library we depend on failed in a way that should not happen
};

// The stable, snake_case name of an error code ("limit_exceeded").
std::string_view to_string(ErrorCode code);

class Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns this error with "context: " put before its message.
  Error with_context(std::string_view context) const& { return Error(code_, fmt::format("{}: {}", context, message_)); }
  Error with_context(std::string_view context) && {
    message_ = fmt::format("{}: {}", context, message_);
    return std::move(*this);
  }

 private:
  ErrorCode code_;
  std::string message_;
};

// Builds an Error with a fmt-formatted message.
template <typename... Args>
Error make_error(ErrorCode code, fmt::format_string<Args...> format, Args&&... args) {
  return Error(code, fmt::format(format, std::forward<Args>(args)...));
}

// Stops the program with a message: only for broken invariants, never for bad input.
[[noreturn]] void fatal(std::string_view message);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return checked_value(); }
  const T& value() const& { return checked_value(); }
  T&& value() && { return std::move(checked_value()); }
  T* operator->() { return &checked_value(); }
  const T* operator->() const { return &checked_value(); }
  T& operator*() & { return checked_value(); }
  const T& operator*() const& { return checked_value(); }

  const Error& error() const& { return checked_error(); }
  Error&& error() && { return std::move(checked_error()); }

  // On error, puts "context: " before the message; a value passes through unchanged.
  Result with_context(std::string_view context) && {
    if (ok()) return std::move(*this);
    return std::move(checked_error()).with_context(context);
  }

 private:
  T& checked_value() { return const_cast<T&>(std::as_const(*this).checked_value()); }
  const T& checked_value() const {
    if (!ok()) fatal("Result::value() called on an error: " + std::get<1>(state_).message());
    return std::get<0>(state_);
  }
  Error& checked_error() { return const_cast<Error&>(std::as_const(*this).checked_error()); }
  const Error& checked_error() const {
    if (ok()) fatal("Result::error() called on a value");
    return std::get<1>(state_);
  }

  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  void value() const {
    if (!ok()) fatal("Result::value() called on an error: " + error_->message());
  }
  const Error& error() const& { return checked_error(); }
  Error&& error() && { return std::move(const_cast<Error&>(checked_error())); }

  Result with_context(std::string_view context) && {
    if (ok()) return {};
    return std::move(*error_).with_context(context);
  }

 private:
  const Error& checked_error() const {
    if (ok()) fatal("Result::error() called on a value");
    return *error_;
  }

  std::optional<Error> error_;
};

}  // namespace cairn

// CAIRN_TRY(expr): evaluates a Result; on error returns the error from the enclosing function,
// otherwise yields the value. (A GNU statement expression: g++ and clang both have them.)
#define CAIRN_TRY(expression)                      \
  ({                                               \
    auto&& cairn_try_result_ = (expression);       \
    if (!cairn_try_result_.ok()) {                 \
      return std::move(cairn_try_result_).error(); \
    }                                              \
    std::move(cairn_try_result_).value();          \
  })
