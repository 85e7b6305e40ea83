// The application's entry point, and what the runtime hands it.
//
// The bindings call solo5_app_main (cairn/solo5.h); the runtime's implementation of it sets up the
// heap, runs global constructors, splits the command line into arguments and calls app_main,
// which every Cairn unikernel defines. Its return value is the unikernel's exit status.
#pragma once

#include <stddef.h>

namespace cairn {

// The command line, split at spaces (the tender joins arguments with single spaces).
class Arguments {
 public:
  Arguments(size_t count, const char* const* values) : count_(count), values_(values) {}

  size_t size() const { return count_; }
  const char* operator[](size_t index) const { return index < count_ ? values_[index] : nullptr; }
  // Whether one of the arguments is exactly `flag`.
  bool contains(const char* flag) const;

  const char* const* begin() const { return values_; }
  const char* const* end() const { return values_ + count_; }

 private:
  size_t count_;
  const char* const* values_;
};

int app_main(Arguments arguments);

}  // namespace cairn
