// The response writer, IMF-fixdate and chunk framing (response.h).
#include "cairn/protocols/http/response.h"

#include "cairn/protocols/http/text.h"

namespace cairn::protocols::http {

namespace {

constexpr char weekday_names[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr char month_names[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr uint64_t seconds_per_day = 86400;
// 9999-12-31T23:59:59Z, the last instant a four-digit year can name.
constexpr uint64_t last_writable_second = 253402300799;

void write_two_digits(char* out, unsigned value) {
  out[0] = static_cast<char>('0' + value / 10);
  out[1] = static_cast<char>('0' + value % 10);
}

}  // namespace

const char* reason_phrase(uint16_t status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "";
  }
}

CivilTime civil_from_seconds(uint64_t seconds_since_epoch) {
  CivilTime time;
  uint64_t days = seconds_since_epoch / seconds_per_day;
  uint64_t rest = seconds_since_epoch % seconds_per_day;
  time.hour = static_cast<uint8_t>(rest / 3600);
  time.minute = static_cast<uint8_t>(rest / 60 % 60);
  time.second = static_cast<uint8_t>(rest % 60);
  time.weekday = static_cast<uint8_t>((days + 4) % 7);  // 1970-01-01 was a Thursday

  // Count from 0000-03-01, so that the leap day is the last day of a "year" (March to February)
  // and the Gregorian cycle of 400 years (146097 days) repeats exactly. 1970-01-01 is day 719468.
  uint64_t shifted = days + 719468;
  uint64_t era = shifted / 146097;
  uint64_t day_of_era = shifted % 146097;
  // Years within the era: 365 days each, plus a leap day every 4 years, minus one every 100,
  // plus one at 400 (the era's last day, 146096, is the leap day of its 400th year).
  uint64_t year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  uint64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  // Months from March: 31 30 31 30 31 31 30 31 30 31 31 29/28, which (153 m + 2) / 5 spells out.
  uint64_t month_from_march = (5 * day_of_year + 2) / 153;
  time.day = static_cast<uint8_t>(day_of_year - (153 * month_from_march + 2) / 5 + 1);
  time.month = static_cast<uint8_t>(month_from_march < 10 ? month_from_march + 3 : month_from_march - 9);
  time.year = static_cast<int64_t>(era * 400 + year_of_era) + (time.month <= 2 ? 1 : 0);
  return time;
}

void format_imf_fixdate(uint64_t seconds_since_epoch, char (&out)[imf_fixdate_size]) {
  if (seconds_since_epoch > last_writable_second) seconds_since_epoch = last_writable_second;
  CivilTime time = civil_from_seconds(seconds_since_epoch);
  // "Sun, 06 Nov 1994 08:49:37 GMT"
  copy_bytes(out, weekday_names[time.weekday], 3);
  out[3] = ',';
  out[4] = ' ';
  write_two_digits(out + 5, time.day);
  out[7] = ' ';
  copy_bytes(out + 8, month_names[time.month - 1], 3);
  out[11] = ' ';
  auto year = static_cast<unsigned>(time.year);
  write_two_digits(out + 12, year / 100);
  write_two_digits(out + 14, year % 100);
  out[16] = ' ';
  write_two_digits(out + 17, time.hour);
  out[19] = ':';
  write_two_digits(out + 20, time.minute);
  out[22] = ':';
  write_two_digits(out + 23, time.second);
  copy_bytes(out + 25, " GMT", 4);
}

void ResponseWriter::append(ByteView bytes) {
  if (overflowed_ || bytes.size() > out_.size() - size_) {
    overflowed_ = true;
    return;
  }
  copy_bytes(out_.data() + size_, bytes.data(), bytes.size());
  size_ += bytes.size();
}

void ResponseWriter::append(const char* literal) {
  append(text(literal));
}

void ResponseWriter::append_decimal(uint64_t value) {
  uint8_t digits[20];
  size_t count = 0;
  do {
    digits[sizeof digits - 1 - count++] = static_cast<uint8_t>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  append(ByteView(digits + sizeof digits - count, count));
}

void ResponseWriter::status_line(uint16_t status) {
  append("HTTP/1.1 ");
  append_decimal(status);
  append(" ");
  append(reason_phrase(status));
  append("\r\n");
}

void ResponseWriter::field(const char* name, ByteView value) {
  append(name);
  append(": ");
  append(value);
  append("\r\n");
}

void ResponseWriter::field(const char* name, const char* value) {
  field(name, text(value));
}

void ResponseWriter::field_number(const char* name, uint64_t value) {
  append(name);
  append(": ");
  append_decimal(value);
  append("\r\n");
}

void ResponseWriter::date(uint64_t seconds_since_epoch) {
  char formatted[imf_fixdate_size];
  format_imf_fixdate(seconds_since_epoch, formatted);
  field("Date", ByteView(reinterpret_cast<const uint8_t*>(formatted), sizeof formatted));
}

void ResponseWriter::content_range(uint64_t first, uint64_t last, uint64_t length, bool unsatisfied) {
  append("Content-Range: bytes ");
  if (unsatisfied) {
    append("*");
  } else {
    append_decimal(first);
    append("-");
    append_decimal(last);
  }
  append("/");
  append_decimal(length);
  append("\r\n");
}

Result<size_t> ResponseWriter::finish() {
  append("\r\n");
  if (overflowed_) return Error::too_large;
  return size_;
}

Result<size_t> write_chunk_header(MutableByteView out, uint64_t size) {
  constexpr char hex[] = "0123456789abcdef";
  uint8_t line[18];
  size_t count = 0;
  uint8_t digits[16];
  do {
    digits[count++] = static_cast<uint8_t>(hex[size & 0xf]);
    size >>= 4;
  } while (size != 0);
  for (size_t i = 0; i < count; ++i) line[i] = digits[count - 1 - i];
  line[count] = '\r';
  line[count + 1] = '\n';
  if (count + 2 > out.size()) return Error::too_large;
  copy_bytes(out.data(), line, count + 2);
  return count + 2;
}

Result<size_t> write_chunk_end(MutableByteView out) {
  if (out.size() < 2) return Error::too_large;
  copy_bytes(out.data(), "\r\n", 2);
  return size_t{2};
}

Result<size_t> write_last_chunk(MutableByteView out) {
  if (out.size() < 5) return Error::too_large;
  copy_bytes(out.data(), "0\r\n\r\n", 5);
  return size_t{5};
}

Result<size_t> write_error_response(MutableByteView out, uint16_t status, uint64_t seconds_since_epoch,
                                    const char* server_name) {
  ResponseWriter writer(out);
  writer.status_line(status);
  writer.date(seconds_since_epoch);
  if (server_name != nullptr) writer.field("Server", server_name);
  writer.field_number("Content-Length", 0);
  writer.field("Connection", "close");
  return writer.finish();
}

}  // namespace cairn::protocols::http
