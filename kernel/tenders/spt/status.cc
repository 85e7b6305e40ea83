// Status: formatted failure messages in a fixed buffer (see status.h).
#include "status.h"

#include <stdio.h>

namespace cairn::tender {

Status Status::failure(const char* format, ...) {
  Status status;
  va_list arguments;
  va_start(arguments, format);
  int length = vsnprintf(status.message_, kMessageSize, format, arguments);
  va_end(arguments);
  // An empty message would read as success: never let a failure be silent.
  if (length <= 0) snprintf(status.message_, kMessageSize, "unknown error");
  return status;
}

}  // namespace cairn::tender
