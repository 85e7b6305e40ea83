// The OCI distribution client (see client.h).
#include "cairn/registry/client.h"

#include "cairn/core/base64.h"
#include "cairn/core/file.h"
#include "cairn/registry/oci.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <thread>

namespace cairn::registry {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t max_token_file_size = std::size_t{64} * 1024;
constexpr std::uint64_t max_error_body_size = std::uint64_t{64} * 1024;

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

// Worth another attempt: the server is overloaded or failed, not the request.
bool transient_status(long status) { return status >= 500 || status == 429 || status == 408; }

// "<status> <first part of the body>" for error messages (registries explain errors in JSON).
std::string describe_answer(const HttpResponse& response) {
  std::string body = response.body.substr(0, 300);
  std::replace(body.begin(), body.end(), '\n', ' ');
  return body.empty() ? fmt::format("HTTP {}", response.status) : fmt::format("HTTP {}: {}", response.status, body);
}

// The end of the range "0-<last>" a registry reports for an upload session: the next offset.
std::optional<std::uint64_t> next_offset(const std::optional<std::string>& range) {
  if (!range) return std::nullopt;
  std::string_view text = *range;
  if (text.starts_with("bytes=")) text.remove_prefix(6);
  std::size_t dash = text.find('-');
  if (dash == std::string_view::npos || text.substr(0, dash) != "0") return std::nullopt;
  std::uint64_t last = 0;
  std::string_view end = text.substr(dash + 1);
  auto [stop, error] = std::from_chars(end.data(), end.data() + end.size(), last);
  if (error != std::errc() || stop != end.data() + end.size()) return std::nullopt;
  return last + 1;
}

}  // namespace

Result<std::string> load_registry_token(const fs::path& token_file) {
  if (!token_file.empty()) {
    std::string text = CAIRN_TRY(read_file(token_file, max_token_file_size));
    std::string token = text.substr(0, text.find('\n'));
    if (!token.empty() && token.back() == '\r') token.pop_back();
    if (token.empty()) return make_error(ErrorCode::invalid_argument, "{}: the token file is empty", token_file.string());
    return token;
  }
  const char* variable = std::getenv("CAIRN_REGISTRY_TOKEN");
  return std::string(variable != nullptr ? variable : "");
}

RegistryClient::RegistryClient(const Reference& reference, ClientOptions options)
    : reference_(reference), options_(std::move(options)) {}

std::string RegistryClient::absolute(std::string_view url) const {
  if (url.starts_with("http://") || url.starts_with("https://")) return std::string(url);
  if (url.starts_with("/")) return reference_.base_url() + std::string(url);
  return reference_.base_url() + "/" + std::string(url);
}

std::string RegistryClient::api(std::string_view path) const {
  return fmt::format("{}/v2/{}/{}", reference_.base_url(), reference_.repository, path);
}

Result<HttpResponse> RegistryClient::send_once(HttpRequest& request) {
  request.url = absolute(request.url);
  request.connect_timeout = options_.connect_timeout;
  request.limits = options_.limits;
  request.ca_file = options_.ca_file;
  std::vector<std::string> headers = request.headers;
  // Credentials go only to the registry itself, never to a host a Location names.
  if (!options_.token.empty() && request.url.starts_with(reference_.base_url() + "/")) {
    if (use_basic_) {
      request.headers.push_back("Authorization: Basic " + base64_encode("cairn:" + options_.token));
    } else {
      request.headers.push_back("Authorization: Bearer " + options_.token);
    }
  }
  Result<HttpResponse> response = http_request(request);
  request.headers = std::move(headers);
  return response;
}

Result<HttpResponse> RegistryClient::send(HttpRequest request, const std::function<void()>& rewind) {
  // An error of the sink (a digest that does not match, a full disk) is final, and so are an
  // untrusted certificate and the limits; a failed connection is not.
  bool sink_failed = false;
  if (request.on_body) {
    auto sink = request.on_body;
    request.on_body = [sink, &sink_failed](std::string_view data) -> Result<void> {
      Result<void> taken = sink(data);
      if (!taken.ok()) sink_failed = true;
      return taken;
    };
  }
  std::chrono::milliseconds backoff = options_.first_backoff;
  for (unsigned attempt = 1;; ++attempt) {
    if (attempt > 1 && rewind) rewind();
    Result<HttpResponse> response = send_once(request);
    if (response.ok() && response->status == 401 && !use_basic_ && !options_.token.empty()) {
      std::optional<std::string> challenge = response->header("www-authenticate");
      if (challenge && starts_with_ignoring_case(*challenge, "basic")) {
        use_basic_ = true;  // the server wants the token as a Basic password: ask again at once
        if (rewind) rewind();
        response = send_once(request);
      }
    }
    bool retry = response.ok() ? transient_status(response->status)
                               : !sink_failed && response.error().code() == ErrorCode::io;
    if (!retry || attempt >= options_.max_attempts) return response;
    std::string why = response.ok() ? describe_answer(*response) : response.error().message();
    if (options_.on_notice) {
      options_.on_notice(fmt::format("retrying {} {} in {} ms (attempt {} of {}): {}", request.method,
                                     absolute(request.url), backoff.count(), attempt + 1, options_.max_attempts, why));
    }
    std::this_thread::sleep_for(backoff);
    backoff *= 2;
  }
}

Result<void> RegistryClient::check_api() {
  HttpRequest request;
  request.url = reference_.base_url() + "/v2/";
  request.max_response_size = max_error_body_size;
  HttpResponse response = CAIRN_TRY(send(std::move(request)));
  if (response.status == 200) return {};
  if (response.status == 401) {
    return make_error(ErrorCode::refused, "{}: the registry refused the credentials ({}); give --token-file or set "
                      "CAIRN_REGISTRY_TOKEN", reference_.base_url(), describe_answer(response));
  }
  return make_error(ErrorCode::unsupported, "{}/v2/ does not answer as an OCI registry: {}", reference_.base_url(),
                    describe_answer(response));
}

Result<bool> RegistryClient::has_blob(const Digest& digest) {
  HttpRequest request;
  request.method = "HEAD";
  request.url = api("blobs/" + digest.to_string());
  HttpResponse response = CAIRN_TRY(send(std::move(request)));
  if (response.status == 200) return true;
  if (response.status == 404) return false;
  return make_error(ErrorCode::io, "HEAD blob {}: {}", digest.to_string(), describe_answer(response));
}

Result<std::string> RegistryClient::upload_session(const Descriptor& descriptor) {
  HttpRequest request;
  request.method = "POST";
  request.url = api("blobs/uploads/");
  request.max_response_size = max_error_body_size;
  HttpResponse response = CAIRN_TRY(send(std::move(request)));
  std::optional<std::string> location = response.header("location");
  if (response.status != 202 || !location) {
    return make_error(ErrorCode::io, "starting the upload of {}: {}", descriptor.digest.to_string(),
                      describe_answer(response));
  }
  return absolute(*location);
}

Result<std::uint64_t> RegistryClient::upload_offset(const std::string& location) {
  HttpRequest request;
  request.url = location;
  request.max_response_size = max_error_body_size;
  HttpResponse response = CAIRN_TRY(send(std::move(request)));
  if (response.status != 204 && response.status != 200) {
    return make_error(ErrorCode::io, "asking the upload session {} for its offset: {}", location,
                      describe_answer(response));
  }
  std::optional<std::string> range = response.header("range");
  if (!range) return std::uint64_t{0};  // nothing received yet
  std::optional<std::uint64_t> offset = next_offset(range);
  if (!offset) return make_error(ErrorCode::malformed, "upload session {}: bad Range '{}'", location, *range);
  return *offset;
}

Result<bool> RegistryClient::push_blob(const Descriptor& descriptor, std::string_view bytes, const fs::path& file) {
  if (CAIRN_TRY(has_blob(descriptor.digest))) return false;
  UniqueFd fd;
  if (!file.empty()) {
    fd = UniqueFd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return system_error("open " + file.string(), errno);
  } else if (bytes.size() != descriptor.size) {
    return make_error(ErrorCode::internal, "blob {}: {} bytes given for a size of {}", descriptor.digest.to_string(),
                      bytes.size(), descriptor.size);
  }
  std::string location = CAIRN_TRY(upload_session(descriptor));
  const std::string what = descriptor.annotations.contains(std::string(annotation_title))
                               ? descriptor.annotations.at(std::string(annotation_title))
                               : descriptor.digest.to_string().substr(0, 19);
  std::uint64_t offset = 0;
  unsigned failures = 0;
  std::chrono::milliseconds backoff = options_.first_backoff;
  while (offset < descriptor.size) {
    std::uint64_t length = std::min(options_.chunk_size, descriptor.size - offset);
    HttpRequest chunk;
    chunk.method = "PATCH";
    chunk.url = location;
    chunk.headers = {"Content-Type: application/octet-stream",
                     fmt::format("Content-Range: {}-{}", offset, offset + length - 1)};
    if (fd.valid()) {
      chunk.body_fd = fd.get();
      chunk.body_offset = offset;
      chunk.body_length = length;
    } else {
      chunk.body = bytes.substr(offset, length);
    }
    chunk.max_response_size = max_error_body_size;
    if (options_.on_progress) {
      const std::uint64_t base = offset;
      chunk.on_progress = [this, &what, base, &descriptor](std::uint64_t done, std::uint64_t) {
        options_.on_progress(what, base + done, descriptor.size);
      };
    }
    Result<HttpResponse> response = send_once(chunk);
    if (response.ok() && response->status == 202) {
      if (std::optional<std::string> next = response->header("location")) location = absolute(*next);
      std::optional<std::uint64_t> reported = next_offset(response->header("range"));
      offset = reported.value_or(offset + length);
      failures = 0;
      continue;
    }
    // A dropped connection, an overloaded server or a range it did not expect: ask the session
    // where it stands and go on from there, a bounded number of times.
    bool resumable = response.ok() ? transient_status(response->status) || response->status == 416
                                   : response.error().code() == ErrorCode::io;
    std::string why = response.ok() ? describe_answer(*response) : response.error().message();
    if (!resumable || ++failures >= options_.max_attempts) {
      return make_error(ErrorCode::io, "uploading {} ({}) at offset {}: {}", what, descriptor.digest.to_string(),
                        offset, why);
    }
    if (options_.on_notice) {
      options_.on_notice(fmt::format("resuming the upload of {} in {} ms: {}", what, backoff.count(), why));
    }
    std::this_thread::sleep_for(backoff);
    backoff *= 2;
    Result<std::uint64_t> resumed = upload_offset(location);
    if (resumed.ok() && *resumed <= descriptor.size) {
      offset = *resumed;
      continue;
    }
    // docker-registry cancels a session whose data and state no longer agree (a chunk cut off
    // midway): start a new one from the beginning.
    if (options_.on_notice) {
      options_.on_notice(fmt::format("the upload session of {} is gone ({}); starting again", what,
                                     resumed.ok() ? fmt::format("it claims {} bytes", *resumed)
                                                  : resumed.error().message()));
    }
    location = CAIRN_TRY(upload_session(descriptor));
    offset = 0;
  }
  HttpRequest finish;
  finish.method = "PUT";
  finish.url = location + (location.find('?') == std::string::npos ? "?" : "&") + "digest=" +
               descriptor.digest.to_string();
  // docker-registry answers 400 DIGEST_INVALID to a final PUT without this type.
  finish.headers = {"Content-Type: application/octet-stream"};
  finish.max_response_size = max_error_body_size;
  HttpResponse response = CAIRN_TRY(send(std::move(finish)));
  if (response.status != 201) {
    return make_error(ErrorCode::io, "finishing the upload of {} ({}): {}", what, descriptor.digest.to_string(),
                      describe_answer(response));
  }
  if (std::optional<std::string> reported = response.header("docker-content-digest");
      reported && *reported != descriptor.digest.to_string()) {
    return make_error(ErrorCode::refused, "the registry stored {} as {}", descriptor.digest.to_string(), *reported);
  }
  return true;
}

Result<void> RegistryClient::push_manifest(std::string_view tag_or_digest, std::string_view media_type,
                                           std::string_view bytes) {
  HttpRequest request;
  request.method = "PUT";
  request.url = api("manifests/" + std::string(tag_or_digest));
  request.headers = {fmt::format("Content-Type: {}", media_type)};
  request.body = bytes;
  request.max_response_size = max_error_body_size;
  HttpResponse response = CAIRN_TRY(send(std::move(request)));
  if (response.status != 201 && response.status != 200) {
    return make_error(ErrorCode::io, "PUT manifest {}:{}: {}", reference_.repository, tag_or_digest,
                      describe_answer(response));
  }
  Digest digest = Digest::sha256_of(bytes);
  if (std::optional<std::string> reported = response.header("docker-content-digest");
      reported && *reported != digest.to_string()) {
    return make_error(ErrorCode::refused, "the registry stored manifest {} as {}", digest.to_string(), *reported);
  }
  return {};
}

Result<std::optional<Digest>> RegistryClient::head_manifest(std::string_view tag_or_digest) {
  HttpRequest request;
  request.method = "HEAD";
  request.url = api("manifests/" + std::string(tag_or_digest));
  request.headers = {fmt::format("Accept: {}, {}", oci_manifest_media_type, oci_index_media_type)};
  HttpResponse response = CAIRN_TRY(send(std::move(request)));
  if (response.status == 404) return std::optional<Digest>();
  std::optional<std::string> reported = response.header("docker-content-digest");
  if (response.status != 200 || !reported) {
    return make_error(ErrorCode::io, "HEAD manifest {}:{}: HTTP {}{}", reference_.repository, tag_or_digest,
                      response.status, reported ? "" : " without Docker-Content-Digest");
  }
  Digest digest = CAIRN_TRY(parse_digest(*reported));
  return std::optional<Digest>(digest);
}

Result<std::optional<FetchedManifest>> RegistryClient::fetch_manifest(std::string_view tag_or_digest) {
  HttpRequest request;
  request.url = api("manifests/" + std::string(tag_or_digest));
  request.headers = {fmt::format("Accept: {}, {}", oci_manifest_media_type, oci_index_media_type)};
  request.max_response_size = max_manifest_size;
  HttpResponse response = CAIRN_TRY(send(std::move(request)));
  if (response.status == 404) return std::optional<FetchedManifest>();
  if (response.status != 200) {
    return make_error(ErrorCode::io, "GET manifest {}:{}: {}", reference_.repository, tag_or_digest,
                      describe_answer(response));
  }
  FetchedManifest manifest;
  manifest.media_type = response.header("content-type").value_or("");
  manifest.digest = Digest::sha256_of(response.body);
  manifest.bytes = std::move(response.body);
  if (std::string_view(tag_or_digest).starts_with("sha256:") && manifest.digest.to_string() != tag_or_digest) {
    return make_error(ErrorCode::refused, "the registry answered manifest {} with bytes of digest {}", tag_or_digest,
                      manifest.digest.to_string());
  }
  return std::optional<FetchedManifest>(std::move(manifest));
}

Result<std::optional<std::string>> RegistryClient::fetch_referrers(const Digest& subject) {
  HttpRequest request;
  request.url = api("referrers/" + subject.to_string());
  request.headers = {fmt::format("Accept: {}", oci_index_media_type)};
  request.max_response_size = max_manifest_size;
  HttpResponse response = CAIRN_TRY(send(std::move(request)));
  if (response.status == 404) return std::optional<std::string>();
  if (response.status != 200) {
    return make_error(ErrorCode::io, "GET referrers of {}: {}", subject.to_string(), describe_answer(response));
  }
  return std::optional<std::string>(std::move(response.body));
}

Result<void> RegistryClient::download_blob(const Descriptor& descriptor, const fs::path& destination) {
  AtomicFile file = CAIRN_TRY(AtomicFile::create(destination, 0644));
  Hasher hasher;
  std::uint64_t received = 0;
  HttpRequest request;
  request.url = api("blobs/" + descriptor.digest.to_string());
  request.on_body = [&](std::string_view data) -> Result<void> {
    received += data.size();
    if (received > descriptor.size) {
      return make_error(ErrorCode::limit_exceeded, "blob {}: more than its {} bytes", descriptor.digest.to_string(),
                        descriptor.size);
    }
    hasher.update(data);
    return write_all(file.fd(), data);
  };
  const std::string what = descriptor.annotations.contains(std::string(annotation_title))
                               ? descriptor.annotations.at(std::string(annotation_title))
                               : descriptor.digest.to_string().substr(0, 19);
  if (options_.on_progress) {
    request.on_progress = [this, &what, &descriptor](std::uint64_t done, std::uint64_t) {
      options_.on_progress(what, done, descriptor.size);
    };
  }
  // Before another attempt: forget every byte of the last one.
  std::optional<Error> rewind_failure;
  auto rewind = [&] {
    static_cast<void>(hasher.finish());
    received = 0;
    if (::ftruncate(file.fd(), 0) != 0 || ::lseek(file.fd(), 0, SEEK_SET) != 0) {
      rewind_failure = system_error("truncating " + destination.string() + " for another attempt", errno);
    }
  };
  HttpResponse response = CAIRN_TRY(send(std::move(request), rewind));
  if (rewind_failure) return std::move(*rewind_failure);
  if (response.status == 404) {
    return make_error(ErrorCode::not_found, "blob {} ({}) is not in {}", what, descriptor.digest.to_string(),
                      reference_.repository);
  }
  if (response.status != 200) {
    return make_error(ErrorCode::io, "GET blob {} ({}): HTTP {}", what, descriptor.digest.to_string(),
                      response.status);
  }
  Digest digest = hasher.finish();
  if (received != descriptor.size || digest != descriptor.digest) {
    return make_error(ErrorCode::refused, "blob {}: the registry sent {} bytes of digest {}, expected {} bytes of {}",
                      what, received, digest.to_string(), descriptor.size, descriptor.digest.to_string());
  }
  return file.commit();
}

Result<std::string> RegistryClient::fetch_blob(const Descriptor& descriptor, std::uint64_t max_size) {
  if (descriptor.size > max_size) {
    return make_error(ErrorCode::limit_exceeded, "blob {} of {} bytes is over the limit of {}",
                      descriptor.digest.to_string(), descriptor.size, max_size);
  }
  HttpRequest request;
  request.url = api("blobs/" + descriptor.digest.to_string());
  request.max_response_size = std::max<std::uint64_t>(descriptor.size, max_error_body_size);
  HttpResponse response = CAIRN_TRY(send(std::move(request)));
  if (response.status != 200) {
    return make_error(response.status == 404 ? ErrorCode::not_found : ErrorCode::io, "GET blob {}: {}",
                      descriptor.digest.to_string(), describe_answer(response));
  }
  if (response.body.size() != descriptor.size || Digest::sha256_of(response.body) != descriptor.digest) {
    return make_error(ErrorCode::refused, "blob {}: the registry sent other bytes ({} of digest {})",
                      descriptor.digest.to_string(), response.body.size(),
                      Digest::sha256_of(response.body).to_string());
  }
  return std::move(response.body);
}

Result<std::optional<std::string>> RegistryClient::get_text(std::string_view path, std::uint64_t max_size) {
  const std::string url = reference_.base_url() + std::string(path);
  HttpRequest request;
  request.url = url;
  request.max_response_size = max_size;
  HttpResponse response = CAIRN_TRY(send(std::move(request)));
  if (response.status == 404) return std::optional<std::string>();
  if (response.status != 200) {
    return make_error(ErrorCode::io, "GET {}: {}", url, describe_answer(response));
  }
  return std::optional<std::string>(std::move(response.body));
}

Result<HttpResponse> RegistryClient::post_json(std::string_view path, std::string_view body, std::uint64_t max_size) {
  HttpRequest request;
  request.method = "POST";
  request.url = reference_.base_url() + std::string(path);
  request.headers = {"Content-Type: application/json"};
  request.body = body;
  request.max_response_size = max_size;
  return send(std::move(request));
}

}  // namespace cairn::registry
