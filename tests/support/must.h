// must(result): the value of a Result a test expects to succeed, or the test program stops with
// the error's message (a failed precondition is not a test result).
#pragma once

#include "cairn/core/result.h"

#include <utility>

namespace cairn::test_support {

template <typename T>
T must(Result<T> result) {
  if (!result.ok()) fatal(result.error().message());
  return std::move(result).value();
}

inline void must(Result<void> result) {
  if (!result.ok()) fatal(result.error().message());
}

}  // namespace cairn::test_support
