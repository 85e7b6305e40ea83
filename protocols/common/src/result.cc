// Names of the protocols' errors (result.h).
#include "cairn/protocols/common/result.h"

namespace cairn::protocols {

const char* describe(Error error) {
  switch (error) {
    case Error::truncated: return "truncated";
    case Error::bad_length: return "bad_length";
    case Error::bad_checksum: return "bad_checksum";
    case Error::bad_version: return "bad_version";
    case Error::bad_header_length: return "bad_header_length";
    case Error::bad_format: return "bad_format";
    case Error::bad_address: return "bad_address";
    case Error::too_many_options: return "too_many_options";
    case Error::unsupported: return "unsupported";
    case Error::not_for_us: return "not_for_us";
    case Error::other_subnet: return "other_subnet";
    case Error::address_conflict: return "address_conflict";
    case Error::unexpected: return "unexpected";
    case Error::no_port: return "no_port";
    case Error::queue_full: return "queue_full";
    case Error::too_large: return "too_large";
    case Error::fragment_overlap: return "fragment_overlap";
    case Error::fragment_timeout: return "fragment_timeout";
    case Error::unresolved: return "unresolved";
    case Error::rate_limited: return "rate_limited";
    case Error::broadcast: return "broadcast";
    case Error::no_route: return "no_route";
    case Error::not_configured: return "not_configured";
    case Error::in_use: return "in_use";
    case Error::bad_argument: return "bad_argument";
    case Error::count_: break;
  }
  return "unknown";
}

}  // namespace cairn::protocols
