// Cairn's one HTTP client: libcurl (opened on the first transfer, see src/curl_library.h), with a
// size limit and time limits on every transfer against endless data and slow retrieval.
//
// A transfer that passes its size limit, or stays below the low-speed limit for the low-speed
// window, or exceeds the total timeout, stops with ErrorCode::limit_exceeded; a 404 or a missing
// file:// path is not_found; anything else the network or server refuses is io.
#pragma once

#include "cairn/core/result.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cairn {

struct TransferLimits {
  std::chrono::seconds total_timeout{300};
  std::uint64_t low_speed_bytes_per_second = 1024;  // below this for low_speed_window: stop
  std::chrono::seconds low_speed_window{30};
};

// Fetches `url` (http, https or file) into memory, at most `max_size` bytes.
Result<std::string> fetch_url(std::string_view url, std::uint64_t max_size, const TransferLimits& limits = {});
// Downloads `url` into the file `destination` (created atomically), at most `max_size` bytes.
Result<void> download_url(std::string_view url, const std::filesystem::path& destination, std::uint64_t max_size,
                          const TransferLimits& limits = {});

// One request to an HTTP API (the registry client's), for callers that must see every status:
// unlike fetch_url, an answer of any status is a value, and only a transfer that did not complete
// (no connection, a dropped connection, a limit) is an error.
struct HttpRequest {
  std::string method = "GET";  // GET, HEAD, POST, PUT, PATCH, DELETE
  std::string url;             // http or https only
  std::vector<std::string> headers;  // "Name: value"
  // The body, from memory or (when body_fd >= 0) `body_length` bytes of a file from `body_offset`.
  // POST, PUT and PATCH always send one, empty by default (Content-Length: 0).
  std::string_view body;
  int body_fd = -1;
  std::uint64_t body_offset = 0;
  std::uint64_t body_length = 0;
  // Where the answer's body goes: when set, each piece is passed on as it arrives (an error stops
  // the transfer and is returned); otherwise it is kept in HttpResponse::body, at most
  // max_response_size bytes.
  std::function<Result<void>(std::string_view)> on_body;
  std::uint64_t max_response_size = std::uint64_t{4} << 20;
  // Redirects to other hosts never carry the Authorization header (curl's default).
  bool follow_redirects = true;
  // Called with (bytes done, bytes expected or 0) of the body sent or received, whichever is bigger.
  std::function<void(std::uint64_t, std::uint64_t)> on_progress;
  TransferLimits limits;
  std::chrono::seconds connect_timeout{30};
  // Certificates of the authorities to trust instead of the system's (a PEM file); empty: the system's.
  std::filesystem::path ca_file;
};

struct HttpResponse {
  long status = 0;
  // The headers of the final answer (after redirects), names in lower case, in order.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // empty when on_body took it
  std::string url;   // where the final answer came from (after redirects)

  // The first header called `name` (lower case), if any.
  std::optional<std::string> header(std::string_view name) const;
};

// Sends `request`; errors are io (the transfer failed: connection refused or reset), refused (the
// server's certificate does not verify), limit_exceeded (size or time limits), and whatever
// on_body returned.
Result<HttpResponse> http_request(const HttpRequest& request);

}  // namespace cairn
