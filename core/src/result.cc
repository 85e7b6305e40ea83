// Names of error codes and the last-resort fatal() for broken invariants.
#include "cairn/core/result.h"

#include <cstdio>

namespace cairn {

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_argument: return "invalid_argument";
    case ErrorCode::malformed: return "malformed";
    case ErrorCode::not_found: return "not_found";
    case ErrorCode::io: return "io";
    case ErrorCode::refused: return "refused";
    case ErrorCode::limit_exceeded: return "limit_exceeded";
    case ErrorCode::unsupported: return "unsupported";
    case ErrorCode::already_exists: return "already_exists";
    case ErrorCode::internal: return "internal";
  }
  return "unknown";
}

void fatal(std::string_view message) {
  std::fprintf(stderr, "cairn: fatal: %.*s\n", static_cast<int>(message.size()), message.data());
  std::abort();
}

}  // namespace cairn
