// Validators of OCI names, tags and digests (see oci.h).
#include "cairn/registry/oci.h"

namespace cairn::registry {

namespace {

bool lower_alphanumeric(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// One path component: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*
bool valid_component(std::string_view component) {
  std::size_t i = 0;
  const std::size_t n = component.size();
  for (;;) {
    std::size_t run_start = i;
    while (i < n && lower_alphanumeric(component[i])) ++i;
    if (i == run_start) return false;  // empty, or a separator at the start or after a separator
    if (i == n) return true;
    if (component[i] == '.') {
      ++i;
    } else if (component[i] == '_') {
      ++i;
      if (i < n && component[i] == '_') ++i;
    } else if (component[i] == '-') {
      while (i < n && component[i] == '-') ++i;
    } else {
      return false;
    }
  }
}

bool tag_character(char c, bool first) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') return true;
  return !first && (c == '.' || c == '-');
}

}  // namespace

bool valid_repository_name(std::string_view name) {
  if (name.empty() || name.size() > max_repository_name_length) return false;
  for (;;) {
    std::size_t slash = name.find('/');
    if (!valid_component(name.substr(0, slash))) return false;
    if (slash == std::string_view::npos) return true;
    name.remove_prefix(slash + 1);
  }
}

bool valid_tag(std::string_view tag) {
  if (tag.empty() || tag.size() > max_tag_length) return false;
  for (std::size_t i = 0; i < tag.size(); ++i) {
    if (!tag_character(tag[i], i == 0)) return false;
  }
  return true;
}

Result<Digest> parse_digest(std::string_view text) {
  std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    return make_error(ErrorCode::malformed, "digest '{}' is not <algorithm>:<hex>", text.substr(0, 80));
  }
  if (text.substr(0, colon) != "sha256") {
    return make_error(ErrorCode::unsupported, "digest '{}': only sha256 digests are accepted", text.substr(0, 80));
  }
  Result<Digest> digest = Digest::parse(text);
  if (!digest.ok()) {
    return make_error(ErrorCode::malformed, "digest '{}' is not sha256:<64 lower-case hex>", text.substr(0, 80));
  }
  return digest;
}

std::string attachment_tag(const Digest& subject) {
  return fmt::format("{}-{}.att", to_string(subject.algorithm()), subject.hex());
}

}  // namespace cairn::registry
