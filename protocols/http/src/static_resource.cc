// Static-resource decisions (static_resource.h): methods, conditional requests, content coding
// and byte ranges, then the head that says so.
#include "cairn/protocols/http/static_resource.h"

#include "cairn/protocols/http/response.h"
#include "cairn/protocols/http/text.h"

namespace cairn::protocols::http {

namespace {

// What the gzip variant's entity tag has in place of the closing quote.
ByteView gzip_suffix_text() {
  return text("-gzip\"");
}

// etagc of RFC 9110 8.8.3: what an entity tag holds between its quotes.
constexpr bool is_etag_byte(uint8_t byte) {
  return byte == 0x21 || (byte >= 0x23 && byte != 0x7f);
}

// The opaque tag (quotes included) of an entity tag, without a weakness prefix.
ByteView opaque_tag(ByteView etag) {
  if (etag.size() >= 2 && etag[0] == 'W' && etag[1] == '/') return etag.subspan(2);
  return etag;
}

// True when `candidate` (an opaque tag) equals the resource's, or its gzip variant's.
bool same_opaque_tag(ByteView candidate, ByteView etag, bool gzip_suffix) {
  ByteView own = opaque_tag(etag);
  if (!gzip_suffix) return equals(candidate, own);
  if (own.empty() || candidate.size() != own.size() - 1 + gzip_suffix_text().size()) return false;
  return equals(candidate.first(own.size() - 1), own.first(own.size() - 1)) &&
         equals(candidate.subspan(own.size() - 1), gzip_suffix_text());
}

// A qvalue (RFC 9110 12.4.2): "0", "0.5", "1.000". Sets `zero` when it is 0; false when malformed.
bool parse_qvalue(ByteView value, bool& zero) {
  if (value.empty() || (value[0] != '0' && value[0] != '1')) return false;
  if (value.size() > 1 && (value[1] != '.' || value.size() > 5)) return false;
  bool all_zero = value[0] == '0';
  for (size_t i = 2; i < value.size(); ++i) {
    if (value[i] < '0' || value[i] > '9') return false;
    if (value[0] == '1' && value[i] != '0') return false;
    if (value[i] != '0') all_zero = false;
  }
  zero = all_zero;
  return true;
}

// Parses digits into `value`, saturating at UINT64_MAX; false when empty or not digits.
bool parse_position(ByteView digits, uint64_t& value) {
  if (digits.empty()) return false;
  uint64_t result = 0;
  for (uint8_t byte : digits) {
    if (byte < '0' || byte > '9') return false;
    uint64_t digit = byte - '0';
    result = result > (UINT64_MAX - digit) / 10 ? UINT64_MAX : result * 10 + digit;
  }
  value = result;
  return true;
}

size_t find_byte(ByteView bytes, uint8_t wanted) {
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] == wanted) return i;
  }
  return bytes.size();
}

// If-Range (RFC 9110 13.1.5): an entity tag compared strongly, or a date equal to Last-Modified.
bool if_range_holds(ByteView if_range, const StaticResource& resource, bool gzip) {
  if (if_range.empty()) return false;
  if (if_range[0] == '"')
    return !resource.etag.empty() && resource.etag[0] == '"' && same_opaque_tag(if_range, resource.etag, gzip);
  if (if_range.size() >= 2 && if_range[0] == 'W' && if_range[1] == '/') return false;  // weak: never
  if (!resource.has_last_modified) return false;
  char formatted[imf_fixdate_size];
  format_imf_fixdate(resource.last_modified, formatted);
  return equals(if_range, ByteView(reinterpret_cast<const uint8_t*>(formatted), sizeof formatted));
}

}  // namespace

bool if_none_match_matches(ByteView if_none_match, ByteView etag, bool gzip_suffix) {
  ByteView list = trim_whitespace(if_none_match);
  if (list.size() == 1 && list[0] == '*') return true;
  size_t at = 0;
  bool matched = false;
  while (at < list.size()) {
    while (at < list.size() && (list[at] == ' ' || list[at] == '\t' || list[at] == ',')) ++at;
    if (at == list.size()) break;
    if (list.size() - at >= 2 && list[at] == 'W' && list[at + 1] == '/') at += 2;
    if (at == list.size() || list[at] != '"') return false;
    size_t begin = at++;
    while (at < list.size() && is_etag_byte(list[at])) ++at;
    if (at == list.size() || list[at] != '"') return false;
    ++at;
    if (same_opaque_tag(list.subspan(begin, at - begin), etag, gzip_suffix)) matched = true;
    while (at < list.size() && (list[at] == ' ' || list[at] == '\t')) ++at;
    if (at < list.size() && list[at] != ',') return false;
  }
  return matched;
}

EncodingAcceptance accepted_encodings(ByteView accept_encoding, bool has_field) {
  EncodingAcceptance acceptance;
  if (!has_field) return acceptance;  // no preference: identity only (gzip is never assumed)
  bool gzip_named = false, identity_named = false, star_named = false;
  bool gzip_zero = false, identity_zero = false, star_zero = false;
  ListReader list(accept_encoding);
  ByteView element;
  while (list.next(element)) {
    size_t semicolon = find_byte(element, ';');
    ByteView coding = trim_whitespace(element.first(semicolon));
    bool zero = false;
    bool valid = true;
    ByteView parameters = semicolon < element.size() ? element.subspan(semicolon + 1) : ByteView();
    while (!parameters.empty()) {
      size_t next = find_byte(parameters, ';');
      ByteView parameter = trim_whitespace(parameters.first(next));
      if (parameter.size() >= 2 && to_lower(parameter[0]) == 'q' && parameter[1] == '=') {
        valid = parse_qvalue(parameter.subspan(2), zero);
      }
      parameters = next < parameters.size() ? parameters.subspan(next + 1) : ByteView();
    }
    if (!valid) continue;
    if (equals_ignoring_case(coding, "gzip") || equals_ignoring_case(coding, "x-gzip")) {
      gzip_named = true;
      gzip_zero = zero;
    } else if (equals_ignoring_case(coding, "identity")) {
      identity_named = true;
      identity_zero = zero;
    } else if (equals_ignoring_case(coding, "*")) {
      star_named = true;
      star_zero = zero;
    }
  }
  acceptance.gzip = gzip_named ? !gzip_zero : star_named && !star_zero;
  acceptance.identity = identity_named ? !identity_zero : !(star_named && star_zero);
  return acceptance;
}

RangeRequest parse_range(ByteView range, uint64_t length) {
  RangeRequest result;
  ByteView value = trim_whitespace(range);
  if (value.size() < 6 || !equals_ignoring_case(value.first(6), "bytes=")) return result;
  ListReader list(value.subspan(6));
  ByteView element;
  if (!list.next(element)) return result;
  ByteView another;
  if (list.next(another)) return result;  // several ranges: the whole representation
  size_t dash = find_byte(element, '-');
  if (dash == element.size()) return result;
  ByteView first_text = trim_whitespace(element.first(dash));
  ByteView last_text = trim_whitespace(element.subspan(dash + 1));
  if (first_text.empty()) {
    uint64_t suffix = 0;
    if (!parse_position(last_text, suffix)) return result;
    if (suffix == 0 || length == 0) {
      result.kind = RangeRequest::Kind::unsatisfiable;
      return result;
    }
    result.kind = RangeRequest::Kind::single;
    result.first = length - (suffix < length ? suffix : length);
    result.last = length - 1;
    return result;
  }
  uint64_t first = 0;
  if (!parse_position(first_text, first)) return result;
  uint64_t last = UINT64_MAX;
  if (!last_text.empty() && !parse_position(last_text, last)) return result;
  if (last < first) return result;  // invalid: ignored
  if (first >= length) {
    result.kind = RangeRequest::Kind::unsatisfiable;
    return result;
  }
  result.kind = RangeRequest::Kind::single;
  result.first = first;
  result.last = last < length - 1 ? last : length - 1;
  return result;
}

StaticDecision decide(const Request& request, const StaticResource& resource) {
  StaticDecision decision;
  if (request.method != Method::get && request.method != Method::head) {
    decision.status = 405;
    return decision;
  }
  bool has_variant = !resource.gzip.empty();
  decision.vary = has_variant;
  const Field* accept_encoding = request.find("accept-encoding");
  EncodingAcceptance acceptance =
      accepted_encodings(accept_encoding ? accept_encoding->value : ByteView(), accept_encoding != nullptr);
  decision.gzip =
      has_variant && acceptance.gzip && (resource.gzip.size() < resource.identity.size() || !acceptance.identity);
  ByteView selected = decision.gzip ? resource.gzip : resource.identity;
  decision.length = selected.size();

  // If-None-Match, every field of it (a list may be split over several).
  for (size_t i = 0; i < request.field_count; ++i) {
    const Field& field = request.fields[i];
    if (equals_ignoring_case(field.name, "if-none-match") &&
        if_none_match_matches(field.value, resource.etag, decision.gzip)) {
      decision.status = 304;
      return decision;
    }
  }

  // Range: GET only, one Range field, and If-Range (when sent) must hold.
  if (request.method != Method::get) return decision;
  size_t range_fields = 0;
  for (size_t i = 0; i < request.field_count; ++i) {
    if (equals_ignoring_case(request.fields[i].name, "range")) ++range_fields;
  }
  if (range_fields != 1) return decision;
  if (request.find("if-range") != nullptr && !if_range_holds(request.if_range, resource, decision.gzip)) {
    return decision;
  }
  RangeRequest range = parse_range(request.range, selected.size());
  if (range.kind == RangeRequest::Kind::unsatisfiable) {
    decision.status = 416;
  } else if (range.kind == RangeRequest::Kind::single) {
    decision.status = 206;
    decision.range_first = range.first;
    decision.range_last = range.last;
  }
  return decision;
}

Result<StaticResponse> write_static_response(const Request& request, const StaticResource& resource,
                                             const StaticDecision& decision, const ResponseContext& context,
                                             MutableByteView out) {
  StaticResponse response;
  response.status = decision.status;
  response.close = !request.keep_alive;
  ResponseWriter writer(out);
  writer.status_line(decision.status);
  writer.date(context.now);
  if (context.server_name != nullptr) writer.field("Server", context.server_name);
  auto write_etag = [&] {
    if (resource.etag.empty()) return;
    writer.append("ETag: ");
    if (decision.gzip) {
      writer.append(resource.etag.first(resource.etag.size() - 1));
      writer.append(gzip_suffix_text());
    } else {
      writer.append(resource.etag);
    }
    writer.append("\r\n");
  };

  ByteView selected = decision.gzip ? resource.gzip : resource.identity;
  switch (decision.status) {
    case 405:
      writer.field("Allow", "GET, HEAD");
      writer.field_number("Content-Length", 0);
      break;
    case 304:
      write_etag();
      if (decision.vary) writer.field("Vary", "Accept-Encoding");
      break;
    case 416:
      writer.content_range(0, 0, decision.length, true);
      writer.field_number("Content-Length", 0);
      writer.field("Accept-Ranges", "bytes");
      write_etag();
      if (decision.vary) writer.field("Vary", "Accept-Encoding");
      break;
    default: {
      ByteView body = selected;
      if (decision.status == 206) {
        body = selected.subspan(static_cast<size_t>(decision.range_first),
                                static_cast<size_t>(decision.range_last - decision.range_first + 1));
        writer.content_range(decision.range_first, decision.range_last, decision.length);
      }
      if (!resource.content_type.empty()) writer.field("Content-Type", resource.content_type);
      writer.field_number("Content-Length", body.size());
      write_etag();
      if (decision.gzip) writer.field("Content-Encoding", "gzip");
      if (decision.vary) writer.field("Vary", "Accept-Encoding");
      writer.field("Accept-Ranges", "bytes");
      if (resource.has_last_modified) {
        char formatted[imf_fixdate_size];
        format_imf_fixdate(resource.last_modified, formatted);
        writer.field("Last-Modified", ByteView(reinterpret_cast<const uint8_t*>(formatted), sizeof formatted));
      }
      if (request.method != Method::head) response.body = body;
      break;
    }
  }
  if (response.close) {
    writer.field("Connection", "close");
  } else if (request.version_minor == 0) {
    writer.field("Connection", "keep-alive");
  }
  Result<size_t> size = writer.finish();
  if (!size) return size.error();
  response.head_size = size.value();
  return response;
}

Result<StaticResponse> respond_static(const Request& request, const StaticResource& resource,
                                      const ResponseContext& context, MutableByteView out) {
  return write_static_response(request, resource, decide(request, resource), context, out);
}

}  // namespace cairn::protocols::http
