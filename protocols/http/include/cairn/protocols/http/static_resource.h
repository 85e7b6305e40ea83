// What a static file server answers to a parsed request, as a pure function of the request and
// the resource (RFC 9110 sections 9, 12.5.3, 13 and 14).
//
// decide() picks the status and the representation: GET and HEAD are served, other methods get
// 405 with "Allow: GET, HEAD"; If-None-Match (weak comparison, a list or "*") gives 304;
// Accept-Encoding picks the gzip variant when it exists, is accepted (q > 0) and is smaller, or
// when identity is refused; a single byte range of GET gives 206, an unsatisfiable one 416,
// several ranges or invalid syntax the whole representation (200). Ranges and ETags apply to the
// selected representation: the gzip variant's ETag is the resource's with "-gzip" inside the
// quotes. write_static_response() writes the head for that decision and names the body to send.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "cairn/protocols/common/bytes.h"
#include "cairn/protocols/common/result.h"
#include "cairn/protocols/http/request.h"

namespace cairn::protocols::http {

struct StaticResource {
  ByteView content_type;  // "text/html; charset=utf-8"
  ByteView etag;          // a strong entity tag with its quotes: "\"5f3a\""
  ByteView identity;      // the bytes themselves
  ByteView gzip;          // the gzip-encoded bytes; empty when there is no variant
  bool has_last_modified = false;
  uint64_t last_modified = 0;  // seconds since the epoch, written as an IMF-fixdate
};

struct StaticDecision {
  uint16_t status = 200;     // 200, 206, 304, 405 or 416
  bool gzip = false;         // the gzip variant is the selected representation
  bool vary = false;         // a gzip variant exists: Vary: Accept-Encoding
  uint64_t range_first = 0;  // for 206: the first and last byte of the selected representation
  uint64_t range_last = 0;
  uint64_t length = 0;  // size of the selected representation
};

// Decides the response to `request` for `resource`; see the file comment for the rules.
StaticDecision decide(const Request& request, const StaticResource& resource);

// What the server needs to know beyond the request and the resource.
struct ResponseContext {
  uint64_t now = 0;                   // wall-clock seconds since the epoch, for Date
  const char* server_name = "cairn";  // Server; nullptr leaves it out
};

struct StaticResponse {
  uint16_t status = 200;
  size_t head_size = 0;  // bytes of the head written into `out`
  ByteView body;         // what to send after the head (empty for HEAD, 304, 405, 416)
  bool close = false;    // close the connection after sending
};

// Writes the head of the response `decision` stands for into `out` and names the body; too_large
// when the head does not fit.
Result<StaticResponse> write_static_response(const Request& request, const StaticResource& resource,
                                             const StaticDecision& decision, const ResponseContext& context,
                                             MutableByteView out);

// decide() then write_static_response().
Result<StaticResponse> respond_static(const Request& request, const StaticResource& resource,
                                      const ResponseContext& context, MutableByteView out);

// Parts of decide(), public for tests and for servers with other resources.
// True when `if_none_match` ("*" or a list of entity tags) matches `etag` by weak comparison;
// false for malformed lists. `gzip_suffix` compares against the gzip variant's tag.
bool if_none_match_matches(ByteView if_none_match, ByteView etag, bool gzip_suffix);
// Whether Accept-Encoding `accept_encoding` (has_field false when absent) accepts gzip, identity.
struct EncodingAcceptance {
  bool gzip = false;
  bool identity = true;
};
EncodingAcceptance accepted_encodings(ByteView accept_encoding, bool has_field);

// A parsed Range field against a representation of `length` bytes.
struct RangeRequest {
  enum class Kind : uint8_t { none, single, unsatisfiable };  // none: absent, invalid or several
  Kind kind = Kind::none;
  uint64_t first = 0;
  uint64_t last = 0;
};
RangeRequest parse_range(ByteView range, uint64_t length);

}  // namespace cairn::protocols::http
