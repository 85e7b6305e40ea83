// Downloads through libcurl with size and time limits (see http.h).
#include "cairn/core/http.h"

#include "cairn/core/file.h"
#include "cairn/core/unique_handle.h"

#include "curl_library.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>

namespace cairn {

namespace fs = std::filesystem;

namespace {

// Releases an easy handle through the loaded library (see curl_library.h).
void release_easy_handle(CURL* handle) {
  (*curl_library())->easy_cleanup(handle);
}
using CurlHandle = UniqueHandle<CURL, release_easy_handle>;

void release_header_list(curl_slist* list) {
  (*curl_library())->slist_free_all(list);
}
using HeaderList = UniqueHandle<curl_slist, release_header_list>;

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

// The state of one http_request: the body going out, the answer coming in.
struct Exchange {
  const HttpRequest* request = nullptr;
  HttpResponse* response = nullptr;
  std::uint64_t sent = 0;
  std::uint64_t received = 0;
  bool over_limit = false;
  std::optional<Error> failure;  // from on_body or a failed read of the body file
};

std::size_t read_request_body(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* exchange = static_cast<Exchange*>(user);
  const HttpRequest& request = *exchange->request;
  std::uint64_t total = request.body_fd >= 0 ? request.body_length : request.body.size();
  std::size_t wanted = static_cast<std::size_t>(std::min<std::uint64_t>(size * count, total - exchange->sent));
  if (wanted == 0) return 0;
  if (request.body_fd < 0) {
    std::copy_n(request.body.data() + exchange->sent, wanted, buffer);
  } else {
    ssize_t got = ::pread(request.body_fd, buffer, wanted, static_cast<off_t>(request.body_offset + exchange->sent));
    if (got <= 0) {
      exchange->failure = got < 0 ? system_error("reading the body to send", errno)
                                  : make_error(ErrorCode::io, "the body to send ended early");
      return CURL_READFUNC_ABORT;
    }
    wanted = static_cast<std::size_t>(got);
  }
  exchange->sent += wanted;
  return wanted;
}

std::size_t write_response_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* exchange = static_cast<Exchange*>(user);
  std::size_t length = size * count;
  exchange->received += length;
  if (exchange->request->on_body) {
    if (Result<void> taken = exchange->request->on_body(std::string_view(data, length)); !taken.ok()) {
      exchange->failure = std::move(taken).error();
      return 0;
    }
    return length;
  }
  if (exchange->response->body.size() + length > exchange->request->max_response_size) {
    exchange->over_limit = true;
    return 0;
  }
  exchange->response->body.append(data, length);
  return length;
}

// One header line of the answer; a status line starts a new answer (after a redirect or a
// "100 Continue"), whose headers replace those before.
std::size_t write_response_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* exchange = static_cast<Exchange*>(user);
  std::size_t length = size * count;
  std::string_view line(data, length);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    exchange->response->headers.clear();
    return length;
  }
  std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return length;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  exchange->response->headers.emplace_back(std::move(name), std::string(value));
  return length;
}

int report_progress(void* user, curl_off_t download_total, curl_off_t downloaded, curl_off_t upload_total,
                    curl_off_t uploaded) {
  auto* exchange = static_cast<Exchange*>(user);
  if (upload_total > download_total || uploaded > downloaded) {
    exchange->request->on_progress(static_cast<std::uint64_t>(uploaded), static_cast<std::uint64_t>(upload_total));
  } else {
    exchange->request->on_progress(static_cast<std::uint64_t>(downloaded),
                                   static_cast<std::uint64_t>(download_total));
  }
  return 0;
}

bool sends_body(const HttpRequest& request) {
  return request.method == "POST" || request.method == "PUT" || request.method == "PATCH" || request.body_fd >= 0 ||
         !request.body.empty();
}

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return std::nullopt;
}

Result<HttpResponse> http_request(const HttpRequest& request) {
  const CurlLibrary& library = *CAIRN_TRY(curl_library());
  CurlHandle curl(library.easy_init());
  if (!curl) return make_error(ErrorCode::internal, "curl_easy_init failed");
  HeaderList headers;
  for (const std::string& header : request.headers) {
    curl_slist* appended = library.slist_append(headers.get(), header.c_str());
    if (appended == nullptr) return make_error(ErrorCode::internal, "curl_slist_append failed");
    static_cast<void>(headers.release());
    headers.reset(appended);
  }
  // No "Expect: 100-continue" round trip before a body: registries answer at once.
  curl_slist* appended = library.slist_append(headers.get(), "Expect:");
  if (appended == nullptr) return make_error(ErrorCode::internal, "curl_slist_append failed");
  static_cast<void>(headers.release());
  headers.reset(appended);

  HttpResponse response;
  Exchange exchange;
  exchange.request = &request;
  exchange.response = &response;
  char error_buffer[CURL_ERROR_SIZE] = {};
  CURL* handle = curl.get();
  library.easy_setopt(handle, CURLOPT_URL, request.url.c_str());
  library.easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
  library.easy_setopt(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  library.easy_setopt(handle, CURLOPT_FOLLOWLOCATION, request.follow_redirects ? 1L : 0L);
  library.easy_setopt(handle, CURLOPT_MAXREDIRS, 5L);
  library.easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  library.easy_setopt(handle, CURLOPT_ERRORBUFFER, error_buffer);
  library.easy_setopt(handle, CURLOPT_HTTPHEADER, headers.get());
  library.easy_setopt(handle, CURLOPT_WRITEFUNCTION, write_response_body);
  library.easy_setopt(handle, CURLOPT_WRITEDATA, &exchange);
  library.easy_setopt(handle, CURLOPT_HEADERFUNCTION, write_response_header);
  library.easy_setopt(handle, CURLOPT_HEADERDATA, &exchange);
  library.easy_setopt(handle, CURLOPT_TIMEOUT, static_cast<long>(request.limits.total_timeout.count()));
  library.easy_setopt(handle, CURLOPT_CONNECTTIMEOUT, static_cast<long>(request.connect_timeout.count()));
  library.easy_setopt(handle, CURLOPT_LOW_SPEED_LIMIT, static_cast<long>(request.limits.low_speed_bytes_per_second));
  library.easy_setopt(handle, CURLOPT_LOW_SPEED_TIME, static_cast<long>(request.limits.low_speed_window.count()));
  library.easy_setopt(handle, CURLOPT_USERAGENT, "cairn");
  // curl's defaults, written out: an API's answers are trusted only from the certified host.
  library.easy_setopt(handle, CURLOPT_SSL_VERIFYPEER, 1L);
  library.easy_setopt(handle, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!request.ca_file.empty()) library.easy_setopt(handle, CURLOPT_CAINFO, request.ca_file.c_str());
  if (request.method == "HEAD") {
    library.easy_setopt(handle, CURLOPT_NOBODY, 1L);
  } else if (sends_body(request)) {
    std::uint64_t length = request.body_fd >= 0 ? request.body_length : request.body.size();
    library.easy_setopt(handle, CURLOPT_UPLOAD, 1L);
    library.easy_setopt(handle, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(length));
    library.easy_setopt(handle, CURLOPT_READFUNCTION, read_request_body);
    library.easy_setopt(handle, CURLOPT_READDATA, &exchange);
    library.easy_setopt(handle, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  } else if (request.method != "GET") {
    library.easy_setopt(handle, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  if (request.on_progress) {
    library.easy_setopt(handle, CURLOPT_NOPROGRESS, 0L);
    library.easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, report_progress);
    library.easy_setopt(handle, CURLOPT_XFERINFODATA, &exchange);
  }
  CURLcode code = library.easy_perform(handle);
  if (exchange.failure) return std::move(*exchange.failure);
  if (exchange.over_limit) {
    return make_error(ErrorCode::limit_exceeded, "{} {}: the answer is larger than its limit of {} bytes",
                      request.method, request.url, request.max_response_size);
  }
  if (code == CURLE_OPERATION_TIMEDOUT) {
    return make_error(ErrorCode::limit_exceeded, "{} {}: timed out (connect {} s, under {} bytes/s for {} s, or over {} s)",
                      request.method, request.url, request.connect_timeout.count(),
                      request.limits.low_speed_bytes_per_second, request.limits.low_speed_window.count(),
                      request.limits.total_timeout.count());
  }
  if (code != CURLE_OK) {
    // A certificate that does not verify is a refusal, not a network failure: trying again would
    // not change it.
    bool untrusted = code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CERTPROBLEM ||
                     code == CURLE_SSL_CACERT_BADFILE || code == CURLE_SSL_PINNEDPUBKEYNOTMATCH;
    return make_error(untrusted ? ErrorCode::refused : ErrorCode::io, "{} {}: {}", request.method, request.url,
                      error_buffer[0] != '\0' ? error_buffer : library.easy_strerror(code));
  }
  library.easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &response.status);
  char* effective_url = nullptr;
  library.easy_getinfo(handle, CURLINFO_EFFECTIVE_URL, &effective_url);
  response.url = effective_url != nullptr ? effective_url : request.url;
  return response;
}

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
