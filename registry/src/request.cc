// Readers of request parts (see request.h).
#include "cairn/registry/request.h"

#include "cairn/registry/oci.h"

#include <algorithm>
#include <charconv>

namespace cairn::registry {

namespace {


constexpr std::string_view kind_suffix(Route::Kind kind) {
  switch (kind) {
    case Route::blob:
      return "/blobs/";
    case Route::uploads:
    case Route::upload:
      return "/blobs/uploads/";
    case Route::manifest:
      return "/manifests/";
    case Route::referrers:
      return "/referrers/";
    default:
      return "";
  }
}

}  // namespace

std::optional<std::uint64_t> parse_count(std::string_view text) {
  if (text.empty() || text.size() > 19 || (text[0] == '0' && text.size() > 1)) return std::nullopt;
  std::uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

Route parse_route(std::string_view path) {
  if (path == "/v2/") return {Route::base, "", ""};
  if (path.starts_with("/log/")) return {Route::log, "", std::string(path.substr(5))};
  if (path.starts_with("/manifest/")) return {Route::manifest_repository, "", std::string(path.substr(10))};
  if (!path.starts_with("/v2/")) return {};
  std::string_view rest = path.substr(4);
  if (rest.ends_with("/tags/list")) {
    if (rest.size() == 10) return {};
    return {Route::tags, std::string(rest.substr(0, rest.size() - 10)), ""};
  }
  std::size_t slash = rest.rfind('/');
  if (slash == std::string_view::npos || slash == 0) return {};
  std::string_view head = rest.substr(0, slash), argument = rest.substr(slash + 1);
  for (Route::Kind kind : {Route::upload, Route::blob, Route::manifest, Route::referrers}) {
    std::string_view suffix = kind_suffix(kind);
    suffix.remove_suffix(1);  // without its trailing '/', which `slash` was
    if (!head.ends_with(suffix) || head.size() == suffix.size()) continue;
    Route route{kind, std::string(head.substr(0, head.size() - suffix.size())), std::string(argument)};
    if (kind == Route::upload && route.argument.empty()) route.kind = Route::uploads;
    if (kind != Route::upload && route.argument.empty()) return {};
    return route;
  }
  return {};
}

std::string route_path(const Route& route) {
  switch (route.kind) {
    case Route::base:
      return "/v2/";
    case Route::log:
      return "/log/" + route.argument;
    case Route::manifest_repository:
      return "/manifest/" + route.argument;
    case Route::tags:
      return "/v2/" + route.repository + "/tags/list";
    case Route::none:
      return "";
    default:
      return "/v2/" + route.repository + std::string(kind_suffix(route.kind)) + route.argument;
  }
}

std::optional<ByteRange> parse_byte_range(std::string_view header, std::uint64_t size) {
  if (!header.starts_with("bytes=") || size == 0) return std::nullopt;
  std::string_view spec = header.substr(6);
  std::size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  std::string_view a = spec.substr(0, dash), b = spec.substr(dash + 1);
  if (a.empty()) {  // the last n bytes
    auto count = parse_count(b);
    if (!count || *count == 0) return std::nullopt;
    return ByteRange{*count >= size ? 0 : size - *count, size - 1};
  }
  auto first = parse_count(a);
  if (!first || *first >= size) return std::nullopt;
  if (b.empty()) return ByteRange{*first, size - 1};
  auto last = parse_count(b);
  if (!last || *last < *first) return std::nullopt;
  return ByteRange{*first, std::min(*last, size - 1)};
}

std::optional<std::uint64_t> parse_content_range_start(std::string_view header) {
  if (header.starts_with("bytes ")) header.remove_prefix(6);
  std::size_t dash = header.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto first = parse_count(header.substr(0, dash)), last = parse_count(header.substr(dash + 1));
  if (!first || !last || *last < *first) return std::nullopt;
  return first;
}

Result<LogEntry> parse_log_entry(std::string_view body) {
  Json json = CAIRN_TRY(parse_canonical_json(body));
  if (!json.is_object() || json.size() != 5) {
    return make_error(ErrorCode::malformed, "an entry is an object of envelope, manifest, repository, signers, tag");
  }
  for (const char* field : {"envelope", "manifest", "repository", "tag"}) {
    if (!json.contains(field) || !json[field].is_string()) {
      return make_error(ErrorCode::malformed, "{}: missing or not a string", field);
    }
  }
  if (!json.contains("signers") || !json["signers"].is_array() || json["signers"].empty()) {
    return make_error(ErrorCode::malformed, "signers: missing or not a list of key ids");
  }
  LogEntry entry;
  entry.repository = json["repository"];
  entry.tag = json["tag"];
  if (!valid_repository_name(entry.repository)) {
    return make_error(ErrorCode::malformed, "'{}' is not a repository name", entry.repository);
  }
  if (!valid_tag(entry.tag)) return make_error(ErrorCode::malformed, "'{}' is not a tag", entry.tag);
  entry.manifest = CAIRN_TRY(parse_digest(json["manifest"].get<std::string>()).with_context("manifest"));
  entry.envelope = CAIRN_TRY(parse_digest(json["envelope"].get<std::string>()).with_context("envelope"));
  for (const auto& signer : json["signers"]) {
    if (!signer.is_string() || signer.get<std::string>().empty()) {
      return make_error(ErrorCode::malformed, "signers: not a list of key ids");
    }
    entry.signers.push_back(signer);
  }
  if (!std::is_sorted(entry.signers.begin(), entry.signers.end()) ||
      std::adjacent_find(entry.signers.begin(), entry.signers.end()) != entry.signers.end()) {
    return make_error(ErrorCode::malformed, "signers must be sorted, each once");
  }
  return entry;
}

std::string log_entry_bytes(const LogEntry& entry) {
  Json json = {{"envelope", entry.envelope.to_string()},
               {"manifest", entry.manifest.to_string()},
               {"repository", entry.repository},
               {"signers", entry.signers},
               {"tag", entry.tag}};
  auto text = canonical_json(json);
  return text.ok() ? *text : std::string();  // names and digests are ASCII: cannot fail
}

}  // namespace cairn::registry
