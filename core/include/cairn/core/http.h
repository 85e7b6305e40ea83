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
#include <string>
#include <string_view>

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

}  // namespace cairn
