// The registry's readers of request parts (URLs, Range and Content-Range headers, log entries):
// pure functions, apart from the server so that tests and the `registry_requests` fuzzer reach
// them with any bytes. Anything they accept is written back the same (see the fuzzer).
#pragma once

#include "cairn/core/canonical_json.h"
#include "cairn/core/digest.h"
#include "cairn/core/result.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::registry {

// A count in plain decimal, as query arguments and headers give them: digits only, no leading
// zero, at most 19 digits (so it fits in 64 bits).
std::optional<std::uint64_t> parse_count(std::string_view text);

// Which part of the API a URL path names. Repository names are not validated here (the server
// does, with valid_repository_name); `argument` never holds a '/' except under /log/ and /manifest/.
struct Route {
  enum Kind { base, blob, uploads, upload, manifest, tags, referrers, log, manifest_repository, none };
  Kind kind = none;
  std::string repository;
  std::string argument;  // digest, upload id, tag or digest, or the path under /log/ or /manifest/
};
Route parse_route(std::string_view path);
// The path parse_route reads `route` from (for a route it returned, other than none).
std::string route_path(const Route& route);

// A Range header against a blob of `size` bytes: the one range it asks for, as [first, last];
// nullopt when it is not one satisfiable range (the server answers 416). Forms: bytes=a-b,
// bytes=a-, bytes=-n.
struct ByteRange {
  std::uint64_t first = 0, last = 0;
};
std::optional<ByteRange> parse_byte_range(std::string_view header, std::uint64_t size);

// The first byte of a chunk's Content-Range ("a-b" or "bytes a-b", b >= a); nullopt otherwise.
std::optional<std::uint64_t> parse_content_range_start(std::string_view header);

// A transparency log entry as a publish submits it: canonical JSON of exactly these fields.
struct LogEntry {
  Digest envelope = Digest::sha256_of("");  // the DSSE envelope blob
  Digest manifest = Digest::sha256_of("");  // the manifest the tag names
  std::string repository;
  std::vector<std::string> signers;  // the envelope's signature key ids, sorted, each once
  std::string tag;
};
// Parses (strictly: canonical bytes, the five fields and no others, valid names and digests).
Result<LogEntry> parse_log_entry(std::string_view body);
// The entry's canonical bytes (the log leaf).
std::string log_entry_bytes(const LogEntry& entry);

}  // namespace cairn::registry
