// The fuzz target of the registry server's request readers (host_fuzz_targets.h): the same bytes
// as a URL path, a Range header (against blobs of several sizes), a chunk's Content-Range, a
// repository name, a tag, a digest, a log entry and a manifest. What is accepted must hold up: a
// route is written back as the same path, a name routes to itself, a tag can be mistaken for
// neither a path nor a digest, a digest is written back the same, a range lies inside the blob, a
// log entry is written back as the same canonical bytes, a manifest's digest and size are those of
// its bytes.
#include "cairn/registry/oci.h"
#include "cairn/registry/request.h"
#include "cairn/registry/store.h"
#include "host_fuzz_support.h"
#include "host_fuzz_targets.h"

#include <string>

namespace cairn::fuzz {

namespace {

bool check_requests(std::string_view input) {
  bool accepted = false;
  registry::Route route = registry::parse_route(input);
  if (route.kind != registry::Route::none) {
    accepted = true;
    require(registry::route_path(route) == input, "a route is written back as another path");
  }
  for (std::uint64_t size : {1ull, 4096ull, 1ull << 40}) {
    if (auto range = registry::parse_byte_range(input, size)) {
      accepted = true;
      require(range->first <= range->last && range->last < size, "a range outside the blob");
    }
  }
  if (auto start = registry::parse_content_range_start(input)) {
    accepted = true;
    require(input.find(std::to_string(*start)) != std::string_view::npos, "a chunk start not in the header");
  }
  if (registry::valid_repository_name(input)) {
    accepted = true;
    registry::Route tags = registry::parse_route("/v2/" + std::string(input) + "/tags/list");
    require(tags.kind == registry::Route::tags && tags.repository == input, "a valid name routes elsewhere");
  }
  if (registry::valid_tag(input)) {
    accepted = true;
    require(input.find('/') == std::string_view::npos && input.find(':') == std::string_view::npos,
            "a tag that could be read as a path or a digest");
  }
  if (auto digest = registry::parse_digest(input); digest.ok()) {
    accepted = true;
    require(digest->to_string() == input, "a digest is written back otherwise");
  }
  if (auto entry = registry::parse_log_entry(input); entry.ok()) {
    accepted = true;
    require(registry::log_entry_bytes(*entry) == input, "a log entry is written back otherwise");
    require(registry::valid_repository_name(entry->repository) && registry::valid_tag(entry->tag),
            "a log entry with an invalid name or tag");
  }
  if (auto manifest = registry::describe_manifest(input, ""); manifest.ok()) {
    accepted = true;
    require(manifest->digest == Digest::sha256_of(input) && manifest->size == input.size(),
            "a manifest's digest or size is not its bytes'");
    require(!manifest->media_type.empty(), "a manifest without a media type");
  }
  return accepted;
}

}  // namespace

int fuzz_registry_requests(const std::uint8_t* data, std::size_t size) {
  return record_outcome(check_requests(as_text(data, size)));
}

}  // namespace cairn::fuzz
