// The incremental request parser (request.h): scanning for the end of the head, then checking it
// whole, then framing the body (Content-Length or chunked).
//
// Chunked framing (chunk-size lines, the CRLF after chunk data, trailer lines) takes CRLF only,
// though the head takes bare LFs too: parsers disagree about a bare LF inside a chunk extension
// (http-parser 2.9 reads it as part of the extension, so "5;x\nhello..." frames differently),
// which is the stuff of request smuggling; refusing it leaves no reading to disagree about.
#include "cairn/protocols/http/request.h"

namespace cairn::protocols::http {

namespace {

constexpr uint16_t status_for(Problem problem) {
  switch (problem) {
    case Problem::none: return 0;
    case Problem::request_line_too_long: return 414;
    case Problem::header_too_large:
    case Problem::trailers_too_large: return 431;
    case Problem::body_too_large: return 413;
    case Problem::unsupported_transfer_encoding: return 501;
    case Problem::unsupported_version: return 505;
    default: return 400;
  }
}

struct MethodName {
  const char* name;
  Method method;
};

constexpr MethodName method_names[] = {
    {"GET", Method::get},     {"HEAD", Method::head},       {"POST", Method::post},
    {"PUT", Method::put},     {"DELETE", Method::delete_},  {"OPTIONS", Method::options},
    {"PATCH", Method::patch}, {"CONNECT", Method::connect}, {"TRACE", Method::trace},
};

// Methods are case-sensitive (RFC 9110 9.1): "get" is an extension method.
Method method_of(ByteView token) {
  for (const MethodName& known : method_names) {
    if (equals(token, text(known.name))) return known.method;
  }
  return Method::other;
}

constexpr bool is_digit(uint8_t byte) {
  return byte >= '0' && byte <= '9';
}

constexpr bool is_alpha(uint8_t byte) {
  return (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z');
}

// A byte a field value may hold: HTAB, SP, VCHAR and obs-text (RFC 9110 5.5).
constexpr bool is_field_value_byte(uint8_t byte) {
  return byte == '\t' || (byte >= 0x20 && byte != 0x7f);
}

size_t find_byte(ByteView bytes, uint8_t wanted, size_t from = 0) {
  for (size_t i = from; i < bytes.size(); ++i) {
    if (bytes[i] == wanted) return i;
  }
  return bytes.size();
}

// Parses a decimal Content-Length element: digits only, at most 2^64 - 1.
bool parse_decimal(ByteView digits, uint64_t& value) {
  if (digits.empty()) return false;
  uint64_t result = 0;
  for (uint8_t byte : digits) {
    if (!is_digit(byte)) return false;
    uint64_t digit = byte - '0';
    if (result > (UINT64_MAX - digit) / 10) return false;
    result = result * 10 + digit;
  }
  value = result;
  return true;
}

int hex_value(uint8_t byte) {
  if (is_digit(byte)) return byte - '0';
  if (byte >= 'a' && byte <= 'f') return byte - 'a' + 10;
  if (byte >= 'A' && byte <= 'F') return byte - 'A' + 10;
  return -1;
}

// One field line (no line end) into `field`; Problem::none when it is well formed.
Problem parse_field_line(ByteView line, Field& field) {
  if (line[0] == ' ' || line[0] == '\t') return Problem::obsolete_line_folding;
  size_t colon = find_byte(line, ':');
  if (colon == line.size()) return Problem::bad_field;
  ByteView name = line.first(colon);
  if (!is_token(name)) return Problem::bad_field;  // whitespace before the colon included
  ByteView value = trim_whitespace(line.subspan(colon + 1));
  for (uint8_t byte : value) {
    if (!is_field_value_byte(byte)) return Problem::bad_field_value;
  }
  field = {name, value};
  return Problem::none;
}

// The lines of a head or trailer section: CRLF or bare LF ends each (the scan made sure every
// CR is followed by LF).
class LineReader {
 public:
  explicit LineReader(ByteView bytes) : bytes_(bytes) {}

  bool next(ByteView& line) {
    if (at_ >= bytes_.size()) return false;
    size_t end = find_byte(bytes_, '\n', at_);
    size_t content_end = end > at_ && bytes_[end - 1] == '\r' ? end - 1 : end;
    line = bytes_.subspan(at_, content_end - at_);
    at_ = end + 1;
    return true;
  }

 private:
  ByteView bytes_;
  size_t at_ = 0;
};

// scheme ":" of RFC 3986, the start of an absolute-form target.
bool starts_with_scheme(ByteView target) {
  if (target.empty() || !is_alpha(target[0])) return false;
  for (size_t i = 1; i < target.size(); ++i) {
    uint8_t byte = target[i];
    if (byte == ':') return true;
    if (!is_alpha(byte) && !is_digit(byte) && byte != '+' && byte != '-' && byte != '.') return false;
  }
  return false;
}

Problem parse_request_line(ByteView line, Request& request) {
  size_t first_space = find_byte(line, ' ');
  if (first_space == line.size()) return Problem::bad_request_line;
  size_t second_space = find_byte(line, ' ', first_space + 1);
  if (second_space == line.size()) return Problem::bad_request_line;
  ByteView method = line.first(first_space);
  ByteView target = line.subspan(first_space + 1, second_space - first_space - 1);
  ByteView version = line.subspan(second_space + 1);
  if (!is_token(method) || target.empty()) return Problem::bad_request_line;
  request.method_token = method;
  request.method = method_of(method);

  // HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive (RFC 9112 2.3).
  if (version.size() != 8 || !equals(version.first(5), text("HTTP/")) || !is_digit(version[5]) || version[6] != '.' ||
      !is_digit(version[7])) {
    return find_byte(version, ' ') != version.size() ? Problem::bad_request_line : Problem::bad_version;
  }
  if (version[5] != '1') return Problem::unsupported_version;
  request.version_minor = version[7] == '0' ? 0 : 1;

  for (uint8_t byte : target) {
    if (byte <= 0x20 || byte >= 0x7f) return Problem::bad_target;
  }
  request.target = target;
  if (request.method == Method::connect) {
    // authority-form only: host ":" port.
    if (target[0] == '/' || find_byte(target, ':') == target.size() || find_byte(target, '/') != target.size()) {
      return Problem::bad_target;
    }
    request.target_form = TargetForm::authority;
  } else if (target[0] == '/') {
    request.target_form = TargetForm::origin;
  } else if (target.size() == 1 && target[0] == '*') {
    if (request.method != Method::options) return Problem::bad_target;
    request.target_form = TargetForm::asterisk;
  } else if (starts_with_scheme(target)) {
    request.target_form = TargetForm::absolute;
  } else {
    return Problem::bad_target;
  }
  return Problem::none;
}

// The framing and connection facts derived from the fields (RFC 9112 6, 9.3).
Problem derive_facts(Request& request, uint64_t max_body_size) {
  size_t hosts = 0;
  bool has_transfer_encoding = false;
  bool other_coding = false;
  bool chunked_last = false;
  bool chunked_twice = false;
  bool connection_close = false;
  bool connection_keep_alive = false;
  auto first = [](ByteView& view, const Field& field, bool& seen) {
    if (!seen) view = field.value;
    seen = true;
  };
  bool seen_if_none_match = false, seen_if_range = false, seen_range = false, seen_accept_encoding = false,
       seen_expect = false;

  for (size_t i = 0; i < request.field_count; ++i) {
    const Field& field = request.fields[i];
    if (equals_ignoring_case(field.name, "host")) {
      ++hosts;
      request.host = field.value;
    } else if (equals_ignoring_case(field.name, "content-length")) {
      ListReader list(field.value);
      ByteView element;
      bool any = false;
      while (list.next(element)) {
        uint64_t value = 0;
        if (!parse_decimal(element, value)) return Problem::bad_content_length;
        if (request.has_content_length && value != request.content_length) return Problem::bad_content_length;
        request.has_content_length = true;
        request.content_length = value;
        any = true;
      }
      if (!any) return Problem::bad_content_length;
    } else if (equals_ignoring_case(field.name, "transfer-encoding")) {
      has_transfer_encoding = true;
      ListReader list(field.value);
      ByteView element;
      while (list.next(element)) {
        ByteView coding = trim_whitespace(element.first(find_byte(element, ';')));
        if (equals_ignoring_case(coding, "chunked")) {
          if (chunked_last) chunked_twice = true;
          chunked_last = true;
        } else {
          if (!is_token(coding)) return Problem::bad_transfer_encoding;
          other_coding = true;
          chunked_last = false;
        }
      }
    } else if (equals_ignoring_case(field.name, "connection")) {
      ListReader list(field.value);
      ByteView option;
      while (list.next(option)) {
        if (equals_ignoring_case(option, "close")) connection_close = true;
        if (equals_ignoring_case(option, "keep-alive")) connection_keep_alive = true;
      }
    } else if (equals_ignoring_case(field.name, "if-none-match")) {
      first(request.if_none_match, field, seen_if_none_match);
    } else if (equals_ignoring_case(field.name, "if-range")) {
      first(request.if_range, field, seen_if_range);
    } else if (equals_ignoring_case(field.name, "range")) {
      first(request.range, field, seen_range);
    } else if (equals_ignoring_case(field.name, "accept-encoding")) {
      first(request.accept_encoding, field, seen_accept_encoding);
    } else if (equals_ignoring_case(field.name, "expect")) {
      first(request.expect, field, seen_expect);
    }
  }

  if (hosts > 1) return Problem::several_hosts;
  if (hosts == 0 && request.version_minor >= 1) return Problem::missing_host;
  request.has_host = hosts == 1;
  if (has_transfer_encoding) {
    if (request.has_content_length) return Problem::content_length_with_transfer_encoding;
    if (request.version_minor == 0 || chunked_twice) return Problem::bad_transfer_encoding;
    if (other_coding) return Problem::unsupported_transfer_encoding;
    if (!chunked_last) return Problem::bad_transfer_encoding;  // an empty list
    request.chunked = true;
  }
  if (request.content_length > max_body_size) return Problem::body_too_large;
  request.keep_alive = request.version_minor >= 1 ? !connection_close : connection_keep_alive && !connection_close;
  return Problem::none;
}

}  // namespace

const char* describe(Method method) {
  for (const MethodName& known : method_names) {
    if (known.method == method) return known.name;
  }
  return "other";
}

const char* describe(Problem problem) {
  switch (problem) {
    case Problem::none: return "none";
    case Problem::bad_request_line: return "bad_request_line";
    case Problem::bad_target: return "bad_target";
    case Problem::bad_version: return "bad_version";
    case Problem::unsupported_version: return "unsupported_version";
    case Problem::request_line_too_long: return "request_line_too_long";
    case Problem::bad_line_end: return "bad_line_end";
    case Problem::too_many_empty_lines: return "too_many_empty_lines";
    case Problem::bad_field: return "bad_field";
    case Problem::bad_field_value: return "bad_field_value";
    case Problem::obsolete_line_folding: return "obsolete_line_folding";
    case Problem::header_too_large: return "header_too_large";
    case Problem::missing_host: return "missing_host";
    case Problem::several_hosts: return "several_hosts";
    case Problem::bad_content_length: return "bad_content_length";
    case Problem::content_length_with_transfer_encoding: return "content_length_with_transfer_encoding";
    case Problem::unsupported_transfer_encoding: return "unsupported_transfer_encoding";
    case Problem::bad_transfer_encoding: return "bad_transfer_encoding";
    case Problem::body_too_large: return "body_too_large";
    case Problem::bad_chunk: return "bad_chunk";
    case Problem::chunk_line_too_long: return "chunk_line_too_long";
    case Problem::trailers_too_large: return "trailers_too_large";
  }
  return "unknown";
}

const Field* Request::find(const char* name) const {
  for (size_t i = 0; i < field_count; ++i) {
    if (equals_ignoring_case(fields[i].name, name)) return &fields[i];
  }
  return nullptr;
}

RequestParser::RequestParser(const Settings& settings) : settings_(settings) {
  if (settings_.max_header_count > max_header_fields) settings_.max_header_count = max_header_fields;
}

size_t RequestParser::buffer_size_needed() const {
  // Leading empty lines, the request line and the header section, each line end a CRLF.
  return settings_.max_empty_lines * 2 + settings_.max_request_line + 2 + settings_.max_header_bytes;
}

Error RequestParser::fail(Problem problem) {
  failure_ = {problem, status_for(problem)};
  state_ = State::failed;
  switch (failure_.status) {
    case 413:
    case 414:
    case 431: return Error::too_large;
    case 501:
    case 505: return Error::unsupported;
    default: return Error::bad_format;
  }
}

Result<ParseStep> RequestParser::parse(ByteView buffered) {
  switch (state_) {
    case State::failed: return fail(failure_.problem);
    case State::head: return parse_head(buffered);
    default: return parse_body(buffered);
  }
}

Result<ParseStep> RequestParser::parse_head(ByteView buffered) {
  ParseStep step;
  size_t head_end = 0;
  for (size_t i = scanned_; i < buffered.size() && head_end == 0; ++i) {
    uint8_t byte = buffered[i];
    if (i > 0 && buffered[i - 1] == '\r' && byte != '\n') return fail(Problem::bad_line_end);
    if (byte == 0) return fail(in_request_line_ ? Problem::bad_request_line : Problem::bad_field_value);
    if (byte == '\n') {
      size_t content_end = i > line_start_ && buffered[i - 1] == '\r' ? i - 1 : i;
      bool empty = content_end == line_start_;
      if (in_request_line_) {
        if (empty) {
          if (++empty_lines_ > settings_.max_empty_lines) return fail(Problem::too_many_empty_lines);
          request_line_start_ = i + 1;
        } else {
          if (content_end - line_start_ > settings_.max_request_line) return fail(Problem::request_line_too_long);
          in_request_line_ = false;
          fields_start_ = i + 1;
        }
      } else if (empty) {
        head_end = i + 1;
      } else if (++field_lines_ > settings_.max_header_count) {
        return fail(Problem::header_too_large);
      }
      line_start_ = i + 1;
      continue;
    }
    if (in_request_line_) {
      // Over the limit with no line end yet: a long target (414) unless no method even ended.
      size_t length = i + 1 - request_line_start_;
      if (length > settings_.max_request_line + 1) {
        ByteView line = buffered.subspan(request_line_start_, length);
        size_t space = find_byte(line, ' ');
        bool method_ended = space != line.size() && is_token(line.first(space));
        return fail(method_ended ? Problem::request_line_too_long : Problem::bad_request_line);
      }
    }
  }
  if (head_end == 0) {
    scanned_ = buffered.size();
    if (!in_request_line_ && scanned_ - fields_start_ > settings_.max_header_bytes) {
      return fail(Problem::header_too_large);
    }
    return step;  // need_more, nothing consumed
  }
  if (head_end - fields_start_ > settings_.max_header_bytes) return fail(Problem::header_too_large);

  // The whole head is here: check it line by line.
  Request& request = step.request;
  LineReader lines(buffered.subspan(request_line_start_, head_end - request_line_start_));
  ByteView line;
  lines.next(line);
  Problem problem = parse_request_line(line, request);
  if (problem != Problem::none) return fail(problem);
  while (lines.next(line) && !line.empty()) {
    problem = parse_field_line(line, request.fields[request.field_count]);
    if (problem != Problem::none) return fail(problem);
    ++request.field_count;
  }
  problem = derive_facts(request, settings_.max_body_size);
  if (problem != Problem::none) return fail(problem);

  step.kind = ParseStep::Kind::head;
  step.consumed = head_end;
  scanned_ = line_start_ = request_line_start_ = fields_start_ = 0;
  in_request_line_ = true;
  empty_lines_ = field_lines_ = 0;
  body_seen_ = 0;
  trailer_bytes_ = 0;
  if (request.chunked) {
    state_ = State::chunk_size;
  } else if (request.content_length != 0) {
    state_ = State::fixed_body;
    remaining_ = request.content_length;
  } else {
    state_ = State::end;
  }
  return step;
}

Result<ParseStep> RequestParser::parse_body(ByteView buffered) {
  ParseStep step;
  size_t consumed = 0;
  // Hands out up to `remaining_` bytes from `rest` as a body piece.
  auto body_piece = [&](ByteView rest, State next) {
    size_t size = remaining_ < rest.size() ? static_cast<size_t>(remaining_) : rest.size();
    step.kind = ParseStep::Kind::body;
    step.body = rest.first(size);
    step.consumed = consumed + size;
    remaining_ -= size;
    if (remaining_ == 0) state_ = next;
    return step;
  };
  for (;;) {
    ByteView rest = buffered.subspan(consumed);
    switch (state_) {
      case State::fixed_body:
        if (rest.empty()) break;
        return body_piece(rest, State::end);
      case State::chunk_data:
        if (rest.empty()) break;
        return body_piece(rest, State::chunk_data_end);
      case State::end:
        step.kind = ParseStep::Kind::end;
        step.consumed = consumed;
        state_ = State::head;
        return step;
      case State::chunk_data_end:
        if (rest.empty()) break;
        if (rest[0] != '\r') {
          return fail(Problem::bad_chunk);  // a bare LF included: see the file comment
        } else if (rest.size() < 2) {
          break;
        } else if (rest[1] != '\n') {
          return fail(Problem::bad_chunk);
        } else {
          consumed += 2;
        }
        state_ = State::chunk_size;
        continue;
      case State::chunk_size: {
        size_t line_feed = find_byte(rest, '\n');
        if (line_feed == rest.size()) {
          if (rest.size() > settings_.max_chunk_line + 1) return fail(Problem::chunk_line_too_long);
          for (size_t i = 0; i + 1 < rest.size(); ++i) {
            if (rest[i] == '\r') return fail(Problem::bad_chunk);
          }
          break;
        }
        if (line_feed == 0 || rest[line_feed - 1] != '\r') return fail(Problem::bad_chunk);
        size_t content_end = line_feed - 1;
        if (content_end > settings_.max_chunk_line) return fail(Problem::chunk_line_too_long);
        ByteView line = rest.first(content_end);
        // chunk-size [ chunk-ext ]: hex digits, then nothing or BWS ";" and extensions, skipped.
        uint64_t size = 0;
        size_t at = 0;
        for (; at < line.size() && hex_value(line[at]) >= 0; ++at) {
          if (size > (UINT64_MAX >> 4)) return fail(Problem::bad_chunk);
          size = size << 4 | static_cast<uint64_t>(hex_value(line[at]));
        }
        if (at == 0) return fail(Problem::bad_chunk);
        ByteView extensions = trim_whitespace(line.subspan(at));
        if (!extensions.empty() && extensions[0] != ';') return fail(Problem::bad_chunk);
        for (uint8_t byte : extensions) {
          if (!is_field_value_byte(byte)) return fail(Problem::bad_chunk);
        }
        consumed += line_feed + 1;
        if (size == 0) {
          state_ = State::trailers;
          continue;
        }
        if (size > settings_.max_body_size - body_seen_) return fail(Problem::body_too_large);
        body_seen_ += size;
        remaining_ = size;
        state_ = State::chunk_data;
        continue;
      }
      case State::trailers: {
        size_t line_feed = find_byte(rest, '\n');
        size_t pending = line_feed == rest.size() ? rest.size() : line_feed + 1;
        if (trailer_bytes_ + pending > settings_.max_trailer_bytes) return fail(Problem::trailers_too_large);
        for (size_t i = 0; i + 1 < pending; ++i) {
          if (rest[i] == '\r' && rest[i + 1] != '\n') return fail(Problem::bad_line_end);
          if (rest[i] == 0) return fail(Problem::bad_field_value);
        }
        if (line_feed == rest.size()) break;
        if (line_feed == 0 || rest[line_feed - 1] != '\r') return fail(Problem::bad_chunk);
        ByteView line = rest.first(line_feed - 1);
        consumed += line_feed + 1;
        trailer_bytes_ += line_feed + 1;
        if (line.empty()) {
          state_ = State::end;
          continue;
        }
        Field field;
        Problem problem = parse_field_line(line, field);
        if (problem != Problem::none) return fail(problem);
        continue;
      }
      case State::head:
      case State::failed: return fail(Problem::bad_chunk);  // not reached: parse() dispatches these
    }
    // Out of bytes: the framing read so far is consumed, the rest needs more.
    step.kind = ParseStep::Kind::need_more;
    step.consumed = consumed;
    return step;
  }
}

}  // namespace cairn::protocols::http
