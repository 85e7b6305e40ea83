// HTTP/1.1 requests as a server reads them (RFC 9112, RFC 9110): an incremental, sans-IO parser.
//
// The caller owns one bounded receive buffer per connection and calls
// `RequestParser::parse(buffered)` with every byte received and not yet consumed, from the
// first one. Each call returns one step and how many bytes of `buffered` it consumed; the caller
// drops those bytes (when it no longer needs the views into them) and calls again. A message
// gives exactly one `head`, then `body` pieces (views into `buffered`, never copies), then `end`;
// pipelined requests follow one another in the same buffer. `need_more` consumes nothing: call
// again with the same bytes and more. Nothing is allocated: the Request lives in the step, with
// views into the caller's buffer, which stay valid until the caller drops the head's bytes.
//
// Refusals are values: parse() returns an Error and failure() says which HTTP status to answer
// (400, 413, 414, 431, 501, 505) and why; the connection must then close, and the parser keeps
// refusing. The syntax checks, limits and their statuses are listed in protocols/README.md
// ("HTTP"). Line ends in the head: CRLF, or a bare LF, which RFC 9112 2.2 allows and nginx
// accepts. Chunked framing (chunk lines, chunk ends, trailers) takes CRLF only: a bare LF there is
// refused (400), because parsers disagree about it (see request.cc). A CR not followed by LF is
// refused everywhere.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "cairn/protocols/common/bytes.h"
#include "cairn/protocols/common/result.h"
#include "cairn/protocols/http/text.h"

namespace cairn::protocols::http {

// The most header fields a Request holds (Settings::max_header_count may lower it).
constexpr size_t max_header_fields = 100;

enum class Method : uint8_t { other, get, head, post, put, delete_, options, patch, connect, trace };

// The method's name ("GET"), or "other".
const char* describe(Method method);

enum class TargetForm : uint8_t { origin, absolute, authority, asterisk };

struct Field {
  ByteView name;   // a token, as received (compare it with equals_ignoring_case)
  ByteView value;  // without the surrounding OWS
};

struct Request {
  Method method = Method::other;
  ByteView method_token;  // as received: "GET", or an extension method
  ByteView target;
  TargetForm target_form = TargetForm::origin;
  uint8_t version_minor = 1;  // 0 for HTTP/1.0; 1 for HTTP/1.1 and any later 1.x
  Field fields[max_header_fields];
  size_t field_count = 0;

  // Framing, from Content-Length and Transfer-Encoding.
  bool chunked = false;
  bool has_content_length = false;
  uint64_t content_length = 0;
  // Whether the connection may carry another request after this one (RFC 9112 9.3).
  bool keep_alive = true;

  // The fields a server acts on: the first of each name, empty when absent (has_* tells).
  ByteView host;
  bool has_host = false;
  ByteView if_none_match;
  ByteView if_range;
  ByteView range;
  ByteView accept_encoding;
  ByteView expect;

  // True when a body follows the head.
  bool has_body() const { return chunked || content_length != 0; }
  // The value of the first field called `name` (case-insensitive), or nullptr.
  const Field* find(const char* name) const;
};

// Why a request was refused, and the status the server should answer with.
enum class Problem : uint8_t {
  none,
  bad_request_line,                       // not method SP target SP version, or a method that is no token
  bad_target,                             // a byte no target may hold, or a form the method does not take
  bad_version,                            // not HTTP/<digit>.<digit>
  unsupported_version,                    // a major version other than 1 (505)
  request_line_too_long,                  // 414
  bad_line_end,                           // a CR not followed by LF
  too_many_empty_lines,                   // more empty lines before the request line than Settings allows
  bad_field,                              // a field name that is no token, space before the colon, no colon
  bad_field_value,                        // NUL or another control character than HTAB in a value
  obsolete_line_folding,                  // a field line starting with SP or HTAB (RFC 9112 5.2)
  header_too_large,                       // header section or field count over the limits (431)
  missing_host,                           // HTTP/1.1 without Host
  several_hosts,                          // more than one Host
  bad_content_length,                     // not digits, overflowing, or several that disagree
  content_length_with_transfer_encoding,  // RFC 9112 6.1: both, refused
  unsupported_transfer_encoding,          // a coding other than a final chunked (501)
  bad_transfer_encoding,                  // chunked applied twice or not last, or in HTTP/1.0
  body_too_large,                         // over Settings::max_body_size (413)
  bad_chunk,                              // chunk size line or chunk end malformed
  chunk_line_too_long,
  trailers_too_large,  // 431
};

// The snake_case name of a problem.
const char* describe(Problem problem);

struct Failure {
  Problem problem = Problem::none;
  uint16_t status = 0;  // the response status: 400, 413, 414, 431, 501 or 505
};

struct ParseStep {
  enum class Kind : uint8_t {
    need_more,  // nothing consumed: call again with the same bytes and more
    head,       // `request` holds the request line and header fields
    body,       // `body` is the next piece of the body (de-chunked)
    end,        // the message is complete; the next step starts the next request
  };
  Kind kind = Kind::need_more;
  size_t consumed = 0;  // bytes of `buffered` the caller may drop once done with the views
  Request request;      // for head
  ByteView body;        // for body
};

class RequestParser {
 public:
  // Bounds on what one request may hold; the defaults follow nginx's.
  struct Settings {
    size_t max_request_line = 8 * 1024;           // request line, line end excluded (414)
    size_t max_header_bytes = 16 * 1024;          // field lines and the empty line after them (431)
    size_t max_header_count = max_header_fields;  // at most max_header_fields (431)
    size_t max_empty_lines = 4;                   // CRLFs ignored before a request line (RFC 9112 2.2)
    uint64_t max_body_size = 1024 * 1024;         // declared or de-chunked body bytes (413)
    size_t max_chunk_line = 1024;                 // chunk size with extensions (400)
    size_t max_trailer_bytes = 4 * 1024;          // the trailer section after the last chunk (431)
  };

  RequestParser() : RequestParser(Settings{}) {}
  explicit RequestParser(const Settings& settings);

  // Reads the next step from `buffered`: every byte received and not consumed yet. Returns the
  // step, or an Error when the request is refused (then failure() says the status to answer).
  Result<ParseStep> parse(ByteView buffered);

  // Why the last parse() failed; Problem::none while nothing failed.
  const Failure& failure() const { return failure_; }

  // The smallest receive buffer that lets every request within the Settings reach the parser.
  size_t buffer_size_needed() const;

 private:
  enum class State : uint8_t { head, fixed_body, chunk_size, chunk_data, chunk_data_end, trailers, end, failed };

  Result<ParseStep> parse_head(ByteView buffered);
  Result<ParseStep> parse_body(ByteView buffered);
  Error fail(Problem problem);

  Settings settings_;
  State state_ = State::head;
  Failure failure_;
  // Head scanning, kept across need_more: positions in `buffered`, which the caller passes again.
  size_t scanned_ = 0;     // bytes looked at so far
  size_t line_start_ = 0;  // where the line being scanned begins
  size_t request_line_start_ = 0;
  size_t fields_start_ = 0;      // where the field lines begin, once the request line ended
  bool in_request_line_ = true;  // no request line ended yet
  size_t empty_lines_ = 0;
  size_t field_lines_ = 0;
  // Body.
  uint64_t remaining_ = 0;  // of the Content-Length body or of the current chunk
  uint64_t body_seen_ = 0;  // de-chunked bytes so far, for max_body_size
  size_t trailer_bytes_ = 0;
};

}  // namespace cairn::protocols::http
