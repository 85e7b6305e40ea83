// Parsing of registry references (see reference.h).
#include "cairn/registry/reference.h"

#include "cairn/registry/oci.h"

#include <charconv>

namespace cairn::registry {

namespace {

bool host_character(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

// A DNS label: letters, digits and inner hyphens.
bool valid_label(std::string_view label) {
  if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
  for (char c : label) {
    if (!host_character(c) || c == '.') return false;
  }
  return true;
}

Result<void> check_port(std::string_view port, std::string_view text) {
  unsigned value = 0;
  auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || error != std::errc() || end != port.data() + port.size() || port.front() == '0' ||
      value == 0 || value > 65535) {
    return make_error(ErrorCode::malformed, "'{}': port '{}' is not a number from 1 to 65535", text, port);
  }
  return {};
}

// HOST[:PORT] with HOST a DNS name, an IPv4 address or [IPv6].
Result<void> check_host(std::string_view host, std::string_view text) {
  if (host.empty()) return make_error(ErrorCode::malformed, "'{}': no registry host before the name", text);
  if (host.front() == '[') {
    std::size_t close = host.find(']');
    if (close == std::string_view::npos || close == 1) {
      return make_error(ErrorCode::malformed, "'{}': unterminated IPv6 address", text);
    }
    for (char c : host.substr(1, close - 1)) {
      bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
      if (!hex && c != ':' && c != '.') {
        return make_error(ErrorCode::malformed, "'{}': '{}' is not an IPv6 address", text, host.substr(0, close + 1));
      }
    }
    std::string_view rest = host.substr(close + 1);
    if (rest.empty()) return {};
    if (rest.front() != ':') return make_error(ErrorCode::malformed, "'{}': junk after the IPv6 address", text);
    return check_port(rest.substr(1), text);
  }
  std::size_t colon = host.find(':');
  std::string_view name = host.substr(0, colon);
  if (name.size() > 253) return make_error(ErrorCode::malformed, "'{}': host name too long", text);
  for (std::size_t start = 0;;) {
    std::size_t dot = name.find('.', start);
    if (!valid_label(name.substr(start, dot == std::string_view::npos ? dot : dot - start))) {
      return make_error(ErrorCode::malformed, "'{}': '{}' is not a host name", text, name);
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (colon == std::string_view::npos) return {};
  return check_port(host.substr(colon + 1), text);
}

}  // namespace

std::string Reference::base_url() const { return fmt::format("{}://{}", plain_http ? "http" : "https", host); }

std::string Reference::to_string() const {
  std::string text = fmt::format("{}{}/{}", plain_http ? "http://" : "", host, repository);
  if (digest) return text + "@" + digest->to_string();
  if (tag) return text + ":" + *tag;
  return text;
}

std::string Reference::with_digest(const Digest& pinned) const {
  return fmt::format("{}{}/{}@{}", plain_http ? "http://" : "", host, repository, pinned.to_string());
}

Result<Reference> parse_reference(std::string_view text) {
  Reference reference;
  std::string_view rest = text;
  if (rest.starts_with("http://")) {
    reference.plain_http = true;
    rest.remove_prefix(7);
  } else if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
  } else if (rest.find("://") != std::string_view::npos) {
    return make_error(ErrorCode::malformed, "'{}': only http:// and https:// registries are supported", text);
  }
  std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos) {
    return make_error(ErrorCode::malformed, "'{}' is not HOST[:PORT]/NAME[:TAG|@DIGEST]", text);
  }
  CAIRN_TRY(check_host(rest.substr(0, slash), text));
  reference.host = std::string(rest.substr(0, slash));
  rest.remove_prefix(slash + 1);

  std::string_view name = rest;
  if (std::size_t at = rest.find('@'); at != std::string_view::npos) {
    name = rest.substr(0, at);
    if (name.find(':') != std::string_view::npos) {
      return make_error(ErrorCode::malformed, "'{}': give a tag or a digest, not both", text);
    }
    Result<Digest> digest = parse_digest(rest.substr(at + 1));
    if (!digest.ok()) return std::move(digest).error().with_context(fmt::format("'{}'", text));
    reference.digest = *digest;
  } else if (std::size_t colon = rest.find(':'); colon != std::string_view::npos) {
    name = rest.substr(0, colon);
    std::string_view tag = rest.substr(colon + 1);
    if (!valid_tag(tag)) {
      return make_error(ErrorCode::malformed, "'{}': '{}' is not a tag ([a-zA-Z0-9_][a-zA-Z0-9._-]{{0,127}})", text,
                        tag);
    }
    reference.tag = std::string(tag);
  }
  if (!valid_repository_name(name)) {
    return make_error(ErrorCode::malformed,
                      "'{}': '{}' is not a repository name (lower-case letters and digits, separated by '.', '_', "
                      "'__', '-' or '/')",
                      text, name);
  }
  reference.repository = std::string(name);
  return reference;
}

}  // namespace cairn::registry
