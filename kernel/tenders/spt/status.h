// Errors as values inside cairn-spt, without the heap.
//
// The tender links no C++ runtime (no exceptions, no std::string), so a Status carries either
// success or one formatted line of text in a fixed buffer. Functions that can fail return a Status;
// main() prints the line as "cairn-spt: <message>" and exits 1. TENDER_TRY returns early on failure.
#pragma once

#include <stdarg.h>
#include <stddef.h>

namespace cairn::tender {

class [[nodiscard]] Status {
 public:
  Status() { message_[0] = '\0'; }

  static Status success() { return Status(); }
  // A failure whose message is printf-formatted; it never allocates and truncates long text.
  static Status failure(const char* format, ...) __attribute__((format(printf, 1, 2)));

  bool ok() const { return message_[0] == '\0'; }
  const char* message() const { return message_; }

 private:
  static constexpr size_t kMessageSize = 512;
  char message_[kMessageSize];
};

}  // namespace cairn::tender

// TENDER_TRY(expression): evaluates a Status and returns it from the enclosing function on failure.
#define TENDER_TRY(expression)                                 \
  do {                                                         \
    ::cairn::tender::Status tender_try_status_ = (expression); \
    if (!tender_try_status_.ok()) return tender_try_status_;   \
  } while (0)
