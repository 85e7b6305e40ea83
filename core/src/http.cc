// Downloads through libcurl with size and time limits (see http.h).
#include "cairn/core/http.h"

#include "cairn/core/file.h"
#include "cairn/core/unique_handle.h"

#include "curl_library.h"

namespace cairn {

namespace fs = std::filesystem;

namespace {

// Releases an easy handle through the loaded library (see curl_library.h).
void release_easy_handle(CURL* handle) {
  (*curl_library())->easy_cleanup(handle);
}
using CurlHandle = UniqueHandle<CURL, release_easy_handle>;

// Where the bytes go: a string or a file descriptor; counts them and stops past the limit.
struct Sink {
  std::string* buffer = nullptr;
  int fd = -1;
  std::uint64_t received = 0;
  std::uint64_t max_size = 0;
  bool over_limit = false;
  bool write_failed = false;
};

std::size_t write_callback(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  std::size_t length = size * count;
  if (sink->received + length > sink->max_size) {
    sink->over_limit = true;
    return 0;  // makes curl stop with CURLE_WRITE_ERROR
  }
  sink->received += length;
  if (sink->buffer != nullptr) {
    sink->buffer->append(data, length);
  } else if (!write_all(sink->fd, std::string_view(data, length)).ok()) {
    sink->write_failed = true;
    return 0;
  }
  return length;
}

Result<void> transfer(std::string_view url, Sink& sink, const TransferLimits& limits) {
  const CurlLibrary& library = *CAIRN_TRY(curl_library());
  CurlHandle curl(library.easy_init());
  if (!curl) return make_error(ErrorCode::internal, "curl_easy_init failed");
  std::string url_text(url);
  char error_buffer[CURL_ERROR_SIZE] = {};
  CURL* handle = curl.get();
  library.easy_setopt(handle, CURLOPT_URL, url_text.c_str());
  library.easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https,file");
  library.easy_setopt(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  library.easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 1L);
  library.easy_setopt(handle, CURLOPT_MAXREDIRS, 5L);
  library.easy_setopt(handle, CURLOPT_FAILONERROR, 1L);
  library.easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  library.easy_setopt(handle, CURLOPT_ERRORBUFFER, error_buffer);
  library.easy_setopt(handle, CURLOPT_WRITEFUNCTION, write_callback);
  library.easy_setopt(handle, CURLOPT_WRITEDATA, &sink);
  library.easy_setopt(handle, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(sink.max_size));
  library.easy_setopt(handle, CURLOPT_TIMEOUT, static_cast<long>(limits.total_timeout.count()));
  library.easy_setopt(handle, CURLOPT_CONNECTTIMEOUT, 30L);
  library.easy_setopt(handle, CURLOPT_LOW_SPEED_LIMIT, static_cast<long>(limits.low_speed_bytes_per_second));
  library.easy_setopt(handle, CURLOPT_LOW_SPEED_TIME, static_cast<long>(limits.low_speed_window.count()));
  library.easy_setopt(handle, CURLOPT_USERAGENT, "cairn");
  CURLcode code = library.easy_perform(handle);
  if (code == CURLE_OK) return {};
  if (sink.over_limit || code == CURLE_FILESIZE_EXCEEDED) {
    return make_error(ErrorCode::limit_exceeded, "{}: larger than its limit of {} bytes (endless data?)", url,
                      sink.max_size);
  }
  if (code == CURLE_OPERATION_TIMEDOUT) {
    return make_error(ErrorCode::limit_exceeded,
                      "{}: too slow: under {} bytes/s for {} s or over {} s in total (slow retrieval?); got {} bytes",
                      url, limits.low_speed_bytes_per_second, limits.low_speed_window.count(),
                      limits.total_timeout.count(), sink.received);
  }
  if (sink.write_failed) return make_error(ErrorCode::io, "{}: writing the download failed", url);
  long status = 0;
  library.easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
  if (status == 404 || code == CURLE_FILE_COULDNT_READ_FILE)
    return make_error(ErrorCode::not_found, "{}: not found", url);
  return make_error(ErrorCode::io, "{}: {}", url, error_buffer[0] != '\0' ? error_buffer : library.easy_strerror(code));
}

}  // namespace

Result<std::string> fetch_url(std::string_view url, std::uint64_t max_size, const TransferLimits& limits) {
  std::string buffer;
  Sink sink;
  sink.buffer = &buffer;
  sink.max_size = max_size;
  CAIRN_TRY(transfer(url, sink, limits));
  return buffer;
}

Result<void> download_url(std::string_view url, const fs::path& destination, std::uint64_t max_size,
                          const TransferLimits& limits) {
  AtomicFile file = CAIRN_TRY(AtomicFile::create(destination, 0644));
  Sink sink;
  sink.fd = file.fd();
  sink.max_size = max_size;
  CAIRN_TRY(transfer(url, sink, limits));
  return file.commit();
}

}  // namespace cairn
