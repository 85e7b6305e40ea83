// A client of the OCI distribution API (spec v1.1) over core's HTTP client, and of the
// transparency log's submission endpoint. What `cairn publish` and `cairn pull` talk through.
//
// Every request is retried with exponential backoff (bounded) when the connection drops or the
// server answers 5xx or 429; uploads are chunked PATCHes that resume from the offset the server
// reports after a failure. Credentials: a token sent as "Authorization: Bearer <token>", or, when
// the server asks for Basic (401 with "WWW-Authenticate: Basic"), as the password of user
// "cairn". Plain http only when the reference says so; TLS is always verified.
#pragma once

#include "cairn/core/digest.h"
#include "cairn/core/http.h"
#include "cairn/core/result.h"
#include "cairn/registry/descriptor.h"
#include "cairn/registry/reference.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace cairn::registry {

// The token for pushes: the first line of `token_file` when given, else $CAIRN_REGISTRY_TOKEN,
// else empty (anonymous).
Result<std::string> load_registry_token(const std::filesystem::path& token_file);

struct ClientOptions {
  std::string token;  // empty: anonymous
  std::filesystem::path ca_file;  // PEM certificates to trust instead of the system's (a private CA)
  unsigned max_attempts = 5;
  std::chrono::milliseconds first_backoff{250};  // doubled after every failed attempt
  std::uint64_t chunk_size = std::uint64_t{8} << 20;
  std::chrono::seconds connect_timeout{30};
  TransferLimits limits{std::chrono::seconds(3600), 1024, std::chrono::seconds(60)};
  // Told about retries ("retrying PATCH ... in 1 s: 503").
  std::function<void(std::string_view)> on_notice;
  // Progress of a blob: (what, bytes done, bytes in all). Set it only when stderr is a terminal.
  std::function<void(std::string_view, std::uint64_t, std::uint64_t)> on_progress;
};

struct FetchedManifest {
  std::string media_type;
  std::string bytes;
  Digest digest = Digest::sha256_of("");
};

class RegistryClient {
 public:
  // A client of the registry at `reference.base_url()`, for the repository `reference.repository`.
  RegistryClient(const Reference& reference, ClientOptions options);

  // GET /v2/: that the server speaks the API (and accepts the credentials, if any).
  Result<void> check_api();
  // HEAD of a blob: whether the repository has it.
  Result<bool> has_blob(const Digest& digest);
  // Uploads a blob (bytes, or a file when `file` is not empty) unless the repository has it;
  // true when it was uploaded.
  Result<bool> push_blob(const Descriptor& descriptor, std::string_view bytes, const std::filesystem::path& file = {});
  // PUT of a manifest under `tag_or_digest`; checks the digest the server reports, if any.
  Result<void> push_manifest(std::string_view tag_or_digest, std::string_view media_type, std::string_view bytes);
  // HEAD of a manifest by tag or digest: the digest the registry names it by (Docker-Content-Digest),
  // or nullopt when it has none by that name.
  Result<std::optional<Digest>> head_manifest(std::string_view tag_or_digest);
  // GET of a manifest by tag or digest (Accept: OCI manifest and index); nullopt on 404. A digest
  // reference is checked against the bytes.
  Result<std::optional<FetchedManifest>> fetch_manifest(std::string_view tag_or_digest);
  // GET /v2/<name>/referrers/<digest>: the index's bytes, or nullopt when the registry has no
  // referrers API (404).
  Result<std::optional<std::string>> fetch_referrers(const Digest& subject);
  // Streams a blob into `destination` (created atomically, and only when every byte matched
  // the descriptor's size and digest).
  Result<void> download_blob(const Descriptor& descriptor, const std::filesystem::path& destination);
  // A blob into memory (at most `max_size` bytes), checked against its descriptor.
  Result<std::string> fetch_blob(const Descriptor& descriptor, std::uint64_t max_size);

  // GET of a path outside /v2/ (the log's /log/vkey): the body, or nullopt on 404.
  Result<std::optional<std::string>> get_text(std::string_view path, std::uint64_t max_size);
  // POST of a JSON body to a path outside /v2/: the answer (any status), after retries.
  Result<HttpResponse> post_json(std::string_view path, std::string_view body, std::uint64_t max_size);

 private:
  // Sends `request` (a URL relative to the registry is made absolute), with credentials, retrying
  // on dropped connections, 5xx and 429. `rewind` is called before a retry that resends a body.
  Result<HttpResponse> send(HttpRequest request, const std::function<void()>& rewind = {});
  Result<HttpResponse> send_once(HttpRequest& request);
  Result<std::string> upload_session(const Descriptor& descriptor);
  Result<std::uint64_t> upload_offset(const std::string& location);
  std::string absolute(std::string_view url) const;
  std::string api(std::string_view path) const;  // base/v2/<name>/<path>

  Reference reference_;
  ClientOptions options_;
  bool use_basic_ = false;  // the server asked for Basic credentials
};

}  // namespace cairn::registry
