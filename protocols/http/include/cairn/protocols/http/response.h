// HTTP/1.1 responses as a server writes them: the status line and header fields into the
// caller's fixed buffer, the Date field's IMF-fixdate, and the framing of chunked bodies.
//
// Nothing reads a clock: the date is wall-clock seconds since the Unix epoch that the caller
// passes. Writers never write past the buffer; once something does not fit, finish() returns
// too_large and the bytes written so far must not be sent.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "cairn/protocols/common/bytes.h"
#include "cairn/protocols/common/result.h"

namespace cairn::protocols::http {

// The reason phrase of a status this library answers with ("Not Found"), or "" for others.
const char* reason_phrase(uint16_t status);

// Length of an IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 5.6.7).
constexpr size_t imf_fixdate_size = 29;

// Writes `seconds_since_epoch` (UTC, proleptic Gregorian) as an IMF-fixdate into `out`; years
// after 9999 are written as 9999-12-31 23:59:59, which HTTP dates cannot exceed.
void format_imf_fixdate(uint64_t seconds_since_epoch, char (&out)[imf_fixdate_size]);

// A civil date; `weekday` 0 is Sunday.
struct CivilTime {
  int64_t year = 1970;
  uint8_t month = 1;  // 1..12
  uint8_t day = 1;    // 1..31
  uint8_t hour = 0, minute = 0, second = 0;
  uint8_t weekday = 4;
};

// The civil (UTC) time `seconds_since_epoch` names, leap years included (no leap seconds).
CivilTime civil_from_seconds(uint64_t seconds_since_epoch);

class ResponseWriter {
 public:
  explicit ResponseWriter(MutableByteView out) : out_(out) {}

  // Writes "HTTP/1.1 <status> <reason>": call first, once.
  void status_line(uint16_t status);
  // Writes one field line "name: value"; the caller keeps CR, LF and NUL out of both.
  void field(const char* name, ByteView value);
  void field(const char* name, const char* value);
  // Writes "name: <decimal value>".
  void field_number(const char* name, uint64_t value);
  // Writes "Date: <IMF-fixdate>" for `seconds_since_epoch`.
  void date(uint64_t seconds_since_epoch);
  // Writes "Content-Range: bytes first-last/length", or "bytes */length" when `unsatisfied`.
  void content_range(uint64_t first, uint64_t last, uint64_t length, bool unsatisfied = false);
  // Ends the head with the empty line; returns its size, or too_large when it did not fit.
  Result<size_t> finish();

  // Raw bytes and numbers, for the helpers above and for callers with unusual fields.
  void append(ByteView bytes);
  void append(const char* text);
  void append_decimal(uint64_t value);

 private:
  MutableByteView out_;
  size_t size_ = 0;
  bool overflowed_ = false;
};

// The size line of a chunk of `size` bytes ("1a2b\r\n"), into `out`; too_large when it does not
// fit (19 bytes always do). A chunk of size 0 is the last one: use write_last_chunk instead.
Result<size_t> write_chunk_header(MutableByteView out, uint64_t size);
// The CRLF that ends a chunk's data.
Result<size_t> write_chunk_end(MutableByteView out);
// The last chunk and an empty trailer section, "0\r\n\r\n".
Result<size_t> write_last_chunk(MutableByteView out);

// A complete response to a refused request: `status`, Date, Content-Length: 0 and
// Connection: close (every parse failure closes the connection).
Result<size_t> write_error_response(MutableByteView out, uint16_t status, uint64_t seconds_since_epoch,
                                    const char* server_name);

}  // namespace cairn::protocols::http
