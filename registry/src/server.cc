// The registry's HTTP server (see server.h).
#include "cairn/registry/server.h"

#include "cairn/core/base64.h"
#include "cairn/core/canonical_json.h"
#include "cairn/registry/oci.h"
#include "cairn/registry/request.h"
#include "cairn/signing/dsse.h"
#include "cairn/signing/ed25519.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <shared_mutex>
#include <thread>

namespace cairn::registry {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t max_log_entry_body = std::size_t{64} * 1024;
constexpr std::uint64_t max_envelope_size = 1 << 20;

// One entry waiting for the log's appender thread.
struct PendingEntry {
  std::string entry;
  std::string key;  // the manifest digest, for /log/lookup
  bool done = false;
  Result<std::uint64_t> index = make_error(ErrorCode::internal, "not appended");
  bool added = false;
};

}  // namespace

struct RegistryServer::State {
  ServerOptions options;
  std::optional<FileLock> root_lock;
  std::unique_ptr<RegistryStore> store;
  std::unique_ptr<TransparencyLog> log;
  std::shared_mutex log_mutex;  // readers share it; the appender takes it alone
  std::string vkey;
  MHD_Daemon* daemon = nullptr;
  std::string tls_certificate, tls_key;

  // Publishes wait here while the appender thread writes their entries as one batch.
  std::mutex queue_mutex;
  std::condition_variable queue_changed;
  std::deque<std::shared_ptr<PendingEntry>> queue;
  bool stopping = false;
  std::thread appender;

  void append_batches();
};

namespace {

// ---- replies ----

struct Reply {
  Reply() = default;
  Reply(unsigned status_code, std::string body_bytes, std::string type)
      : status(status_code), body(std::move(body_bytes)), content_type(std::move(type)) {}

  unsigned status = MHD_HTTP_OK;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  int fd = -1;  // when >= 0: the body is `length` bytes of this file from `offset` (owned by the reply)
  std::uint64_t offset = 0, length = 0;

  Reply& header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

// An error body in the OCI distribution spec's form.
Reply error_reply(unsigned status, std::string_view code, std::string_view message) {
  Json body = {{"errors", Json::array({{{"code", code}, {"message", message}, {"detail", nullptr}}})}};
  return {status, body.dump(), "application/json"};
}

Reply json_reply(unsigned status, const Json& body) {
  return {status, body.dump(), "application/json"};
}

Reply empty_reply(unsigned status) {
  return {status, "", ""};
}

// The OCI error for a store error, given what the request was about.
Reply store_error(const Error& error, std::string_view not_found_code) {
  switch (error.code()) {
    case ErrorCode::not_found:
      return error_reply(MHD_HTTP_NOT_FOUND, not_found_code, error.message());
    case ErrorCode::limit_exceeded:
      return error.message().find("upload sessions") != std::string::npos
                 ? error_reply(MHD_HTTP_TOO_MANY_REQUESTS, "TOOMANYREQUESTS", error.message())
                 : error_reply(MHD_HTTP_CONTENT_TOO_LARGE, "SIZE_INVALID", error.message());
    case ErrorCode::unsupported:
      return error_reply(MHD_HTTP_BAD_REQUEST, "UNSUPPORTED", error.message());
    case ErrorCode::io:
    case ErrorCode::internal:
      return error_reply(MHD_HTTP_INTERNAL_SERVER_ERROR, "UNKNOWN", error.message());
    default:
      return error_reply(MHD_HTTP_BAD_REQUEST, "UNKNOWN", error.message());
  }
}

Reply file_reply(unsigned status, const BlobFile& file, std::uint64_t offset, std::uint64_t length,
                 std::string content_type) {
  int fd = ::open(file.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return error_reply(MHD_HTTP_INTERNAL_SERVER_ERROR, "UNKNOWN", "cannot open stored bytes");
  Reply reply{status, "", std::move(content_type)};
  reply.fd = fd;
  reply.offset = offset;
  reply.length = length;
  return reply;
}


Json proof_json(const std::vector<Hash>& proof) {
  Json list = Json::array();
  for (const auto& hash : proof) list.push_back(to_base64(hash));
  return list;
}

// ---- requests ----

// Everything about one request, kept between libmicrohttpd's calls for it.
struct Request {
  std::string method;
  Route route;
  std::optional<Reply> early;  // an answer decided from the headers alone
  // The body: to memory (up to memory_limit), to an upload session, or nowhere.
  bool body_to_memory = false;
  std::size_t memory_limit = 0;
  std::string body;
  std::optional<UploadWriter> writer;
  std::optional<Error> body_error;
  std::string upload_id;  // the session a monolithic POST opened
};

std::string header(MHD_Connection* connection, const char* name) {
  const char* value = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, name);
  return value != nullptr ? value : "";
}

const char* argument(MHD_Connection* connection, const char* name) {
  return MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND, name);
}

// The token a request carries: "Bearer <token>", or the password of "Basic base64(user:token)".
std::string request_token(MHD_Connection* connection) {
  std::string authorization = header(connection, MHD_HTTP_HEADER_AUTHORIZATION);
  if (authorization.starts_with("Bearer ")) return authorization.substr(7);
  if (authorization.starts_with("Basic ")) {
    auto decoded = base64_decode(std::string_view(authorization).substr(6));
    if (!decoded.ok()) return "";
    std::size_t colon = decoded->find(':');
    return colon == std::string::npos ? "" : decoded->substr(colon + 1);
  }
  return "";
}

Reply unauthorized(std::string_view message) {
  Reply reply = error_reply(MHD_HTTP_UNAUTHORIZED, "UNAUTHORIZED", message);
  reply.header(MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Basic realm=\"cairn registry\"");
  return reply;
}

// Checks that the request may pull from (push = false) or push to `repository`.
std::optional<Reply> authorize(RegistryServer::State& state, MHD_Connection* connection, std::string_view repository,
                               bool push) {
  if (!push && !state.options.require_pull_token) return std::nullopt;
  std::string token = request_token(connection);
  if (token.empty()) return unauthorized(push ? "pushing needs a token" : "pulling needs a token");
  auto scopes = state.store->token_scopes(token);
  if (!scopes.ok()) return error_reply(MHD_HTTP_INTERNAL_SERVER_ERROR, "UNKNOWN", scopes.error().message());
  if (scopes->empty()) return unauthorized("unknown token");
  for (const auto& scope : *scopes) {
    if ((scope.scope == "push" || !push) && prefix_covers(scope.prefix, repository)) return std::nullopt;
  }
  return error_reply(MHD_HTTP_FORBIDDEN, "DENIED",
                     fmt::format("the token may not {} {}", push ? "push to" : "pull from", repository));
}

// A query argument that must be a count; nullopt when it is missing or is not one.
std::optional<std::uint64_t> count_argument(MHD_Connection* connection, const char* name) {
  const char* text = argument(connection, name);
  return text != nullptr ? parse_count(text) : std::nullopt;
}

std::string upload_location(const Route& route, std::string_view id) {
  return fmt::format("/v2/{}/blobs/uploads/{}", route.repository, id);
}

std::string range_header(std::uint64_t size) {
  return fmt::format("0-{}", size == 0 ? 0 : size - 1);
}

Reply blob_created(const Route& route, const Digest& digest) {
  Reply reply = empty_reply(MHD_HTTP_CREATED);
  reply.header(MHD_HTTP_HEADER_LOCATION, fmt::format("/v2/{}/blobs/{}", route.repository, digest.to_string()));
  reply.header("Docker-Content-Digest", digest.to_string());
  return reply;
}

// ---- GET and HEAD of stored bytes ----

Reply get_blob(RegistryServer::State& state, MHD_Connection* connection, const Route& route) {
  auto digest = parse_digest(route.argument);
  if (!digest.ok()) return error_reply(MHD_HTTP_BAD_REQUEST, "DIGEST_INVALID", digest.error().message());
  auto file = state.store->blob(route.repository, *digest);
  if (!file.ok()) return store_error(file.error(), "BLOB_UNKNOWN");
  std::uint64_t size = file->size, first = 0, last = size == 0 ? 0 : size - 1;
  std::string range = header(connection, MHD_HTTP_HEADER_RANGE);
  bool partial = !range.empty();
  if (partial) {
    std::optional<ByteRange> wanted = parse_byte_range(range, size);
    if (!wanted) {
      Reply reply = error_reply(MHD_HTTP_RANGE_NOT_SATISFIABLE, "BLOB_UNKNOWN",
                                fmt::format("range '{}' not satisfiable for {} bytes", range, size));
      reply.header(MHD_HTTP_HEADER_CONTENT_RANGE, fmt::format("bytes */{}", size));
      return reply;
    }
    first = wanted->first;
    last = wanted->last;
  }
  std::uint64_t length = size == 0 ? 0 : last - first + 1;
  Reply reply = file_reply(partial ? MHD_HTTP_PARTIAL_CONTENT : MHD_HTTP_OK, *file, first, length,
                           "application/octet-stream");
  if (partial) reply.header(MHD_HTTP_HEADER_CONTENT_RANGE, fmt::format("bytes {}-{}/{}", first, last, size));
  reply.header("Docker-Content-Digest", digest->to_string());
  reply.header(MHD_HTTP_HEADER_ETAG, fmt::format("\"{}\"", digest->to_string()));
  reply.header(MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
  reply.header(MHD_HTTP_HEADER_CACHE_CONTROL, "max-age=31536000");
  return reply;
}

Reply get_manifest(RegistryServer::State& state, const Route& route) {
  if (route.argument.find(':') != std::string::npos) {
    auto digest = parse_digest(route.argument);
    if (!digest.ok()) return error_reply(MHD_HTTP_BAD_REQUEST, "DIGEST_INVALID", digest.error().message());
  } else if (!valid_tag(route.argument)) {
    return error_reply(MHD_HTTP_BAD_REQUEST, "MANIFEST_INVALID", fmt::format("'{}' is not a tag", route.argument));
  }
  auto found = state.store->manifest(route.repository, route.argument);
  if (!found.ok()) return store_error(found.error(), "MANIFEST_UNKNOWN");
  auto& [info, file] = *found;
  Reply reply = file_reply(MHD_HTTP_OK, file, 0, file.size, info.media_type);
  reply.header("Docker-Content-Digest", info.digest.to_string());
  reply.header(MHD_HTTP_HEADER_ETAG, fmt::format("\"{}\"", info.digest.to_string()));
  return reply;
}

Reply list_tags(RegistryServer::State& state, MHD_Connection* connection, const Route& route) {
  std::size_t limit = SIZE_MAX;
  if (const char* n = argument(connection, "n")) {
    auto parsed = parse_count(n);
    if (!parsed) return error_reply(MHD_HTTP_BAD_REQUEST, "PAGINATION_NUMBER_INVALID", "n must be a count");
    limit = static_cast<std::size_t>(std::min<std::uint64_t>(*parsed, SIZE_MAX));
  }
  const char* last = argument(connection, "last");
  bool more = false;
  auto names = state.store->tags(route.repository, limit, last != nullptr ? last : "", &more);
  if (!names.ok()) return store_error(names.error(), "NAME_UNKNOWN");
  Reply reply = json_reply(MHD_HTTP_OK, {{"name", route.repository}, {"tags", *names}});
  if (more && !names->empty()) {
    reply.header(MHD_HTTP_HEADER_LINK,
                 fmt::format("</v2/{}/tags/list?n={}&last={}>; rel=\"next\"", route.repository, limit, names->back()));
  }
  return reply;
}

Reply list_referrers(RegistryServer::State& state, MHD_Connection* connection, const Route& route) {
  auto digest = parse_digest(route.argument);
  if (!digest.ok()) return error_reply(MHD_HTTP_BAD_REQUEST, "DIGEST_INVALID", digest.error().message());
  const char* artifact_type = argument(connection, "artifactType");
  Json manifests = Json::array();
  for (const auto& info : state.store->referrers(route.repository, *digest, artifact_type ? artifact_type : "")) {
    Json descriptor = {{"mediaType", info.media_type}, {"digest", info.digest.to_string()}, {"size", info.size}};
    if (!info.artifact_type.empty()) descriptor["artifactType"] = info.artifact_type;
    if (info.annotations.is_object()) descriptor["annotations"] = info.annotations;
    manifests.push_back(std::move(descriptor));
  }
  Reply reply = json_reply(MHD_HTTP_OK, {{"schemaVersion", 2}, {"mediaType", oci_index_media_type}, {"manifests", manifests}});
  reply.content_type = std::string(oci_index_media_type);
  if (artifact_type != nullptr) reply.header("OCI-Filters-Applied", "artifactType");
  return reply;
}

// Files of the manifest repository: plain names below the folder, no dot files, no "..".
Reply get_manifest_file(RegistryServer::State& state, std::string_view path) {
  if (state.options.manifest_repository.empty()) {
    return error_reply(MHD_HTTP_NOT_FOUND, "NAME_UNKNOWN", "this registry serves no manifest repository");
  }
  std::string_view rest = path;
  while (!rest.empty()) {
    std::size_t slash = rest.find('/');
    std::string_view part = rest.substr(0, slash);
    bool plain = !part.empty() && part.front() != '.' && std::all_of(part.begin(), part.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' || c == '+';
    });
    if (!plain) return error_reply(MHD_HTTP_NOT_FOUND, "NAME_UNKNOWN", "no such file");
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  }
  fs::path file = state.options.manifest_repository / std::string(path);
  std::error_code error;
  if (path.empty() || !fs::is_regular_file(fs::symlink_status(file, error))) {
    return error_reply(MHD_HTTP_NOT_FOUND, "NAME_UNKNOWN", "no such file");
  }
  std::uint64_t size = fs::file_size(file, error);
  Reply reply = file_reply(MHD_HTTP_OK, {file, size}, 0, size,
                           path.ends_with(".json") ? "application/json" : "application/octet-stream");
  reply.header(MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
  return reply;
}

// ---- the log ----

Reply get_log(RegistryServer::State& state, MHD_Connection* connection, std::string_view path) {
  std::shared_lock lock(state.log_mutex);
  if (path == "checkpoint") {
    return Reply{MHD_HTTP_OK, state.log->checkpoint(), "text/plain; charset=utf-8"}.header(
        MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
  }
  if (path == "vkey") {
    return Reply{MHD_HTTP_OK, state.vkey + "\n", "text/plain; charset=utf-8"}.header(MHD_HTTP_HEADER_CACHE_CONTROL,
                                                                                    "public, max-age=86400");
  }
  if (path.starts_with("tile/")) {
    auto tile = parse_tile_path(path);
    if (!tile.ok()) return error_reply(MHD_HTTP_BAD_REQUEST, "TILE_INVALID", tile.error().message());
    auto data = state.log->read_tile(*tile);
    if (!data.ok()) return store_error(data.error(), "TILE_UNKNOWN");
    // A full tile never changes; a partial one is replaced by a wider one as the log grows.
    return Reply{MHD_HTTP_OK, std::move(*data), "application/octet-stream"}.header(
        MHD_HTTP_HEADER_CACHE_CONTROL, tile->width == tile_width ? "public, max-age=31536000, immutable" : "no-cache");
  }
  if (path == "proof/inclusion") {
    const char* leaf_text = argument(connection, "leaf");
    auto size = count_argument(connection, "size");
    if (leaf_text == nullptr || !size) {
      return error_reply(MHD_HTTP_BAD_REQUEST, "PROOF_INVALID", "want ?leaf=<base64 leaf hash>&size=<tree size>");
    }
    auto leaf = hash_from_base64(leaf_text);
    if (!leaf.ok()) return error_reply(MHD_HTTP_BAD_REQUEST, "PROOF_INVALID", "leaf: " + leaf.error().message());
    if (*size > state.log->size()) {
      return error_reply(MHD_HTTP_NOT_FOUND, "PROOF_UNKNOWN", fmt::format("the log has {} leaves", state.log->size()));
    }
    auto index = state.log->find(*leaf);
    if (!index.ok()) return store_error(index.error(), "PROOF_UNKNOWN");
    if (!*index || **index >= *size) {
      return error_reply(MHD_HTTP_NOT_FOUND, "PROOF_UNKNOWN", "no such leaf in a tree of that size");
    }
    auto proof = state.log->inclusion_proof(**index, *size);
    if (!proof.ok()) return store_error(proof.error(), "PROOF_UNKNOWN");
    return json_reply(MHD_HTTP_OK, {{"index", **index}, {"proof", proof_json(*proof)}});
  }
  if (path == "lookup") {
    // The entries about a manifest, each with an inclusion proof in the current checkpoint.
    auto manifest = parse_digest(argument(connection, "manifest") ? argument(connection, "manifest") : "");
    if (!manifest.ok()) return error_reply(MHD_HTTP_BAD_REQUEST, "DIGEST_INVALID", manifest.error().message());
    auto indexes = state.log->lookup(manifest->to_string());
    if (!indexes.ok()) return store_error(indexes.error(), "LOG_ENTRY_UNKNOWN");
    if (indexes->empty()) {
      return error_reply(MHD_HTTP_NOT_FOUND, "LOG_ENTRY_UNKNOWN", "no log entry names that manifest");
    }
    Json entries = Json::array();
    for (std::uint64_t index : *indexes) {
      auto entry = state.log->entry(index);
      if (!entry.ok()) return store_error(entry.error(), "LOG_ENTRY_UNKNOWN");
      auto proof = state.log->inclusion_proof(index, state.log->size());
      if (!proof.ok()) return store_error(proof.error(), "LOG_ENTRY_UNKNOWN");
      entries.push_back({{"index", index},
                         {"entry", *entry},
                         {"checkpoint", state.log->checkpoint()},
                         {"inclusion_proof", proof_json(*proof)}});
    }
    return json_reply(MHD_HTTP_OK, {{"entries", entries}});
  }
  if (path == "proof/consistency") {
    auto first = count_argument(connection, "first");
    auto second = count_argument(connection, "second");
    if (!first || !second || *first == 0 || *first > *second) {
      return error_reply(MHD_HTTP_BAD_REQUEST, "PROOF_INVALID", "want ?first=<m>&second=<n> with 0 < m <= n");
    }
    if (*second > state.log->size()) {
      return error_reply(MHD_HTTP_NOT_FOUND, "PROOF_UNKNOWN", fmt::format("the log has {} leaves", state.log->size()));
    }
    auto proof = state.log->consistency_proof(*first, *second);
    if (!proof.ok()) return store_error(proof.error(), "PROOF_UNKNOWN");
    return json_reply(MHD_HTTP_OK, {{"proof", proof_json(*proof)}});
  }
  return error_reply(MHD_HTTP_NOT_FOUND, "NAME_UNKNOWN", fmt::format("nothing at /log/{}", path));
}

// Checks a log entry against storage: the tag naming the manifest now, the envelope a DSSE
// envelope in the repository signed by exactly the entry's signers.
Result<LogEntry> check_log_entry(RegistryServer::State& state, std::string_view body) {
  LogEntry entry = CAIRN_TRY(parse_log_entry(body));
  std::optional<Digest> tagged = state.store->tagged(entry.repository, entry.tag);
  if (!tagged || *tagged != entry.manifest) {
    return make_error(ErrorCode::refused, "{}:{} does not name {}", entry.repository, entry.tag,
                      entry.manifest.to_string());
  }
  BlobFile file = CAIRN_TRY(state.store->blob(entry.repository, entry.envelope).with_context("envelope"));
  if (file.size > max_envelope_size) return make_error(ErrorCode::malformed, "the envelope is over 1 MiB");
  std::string text = CAIRN_TRY(read_file(file.path, max_envelope_size));
  signing::dsse::Envelope envelope = CAIRN_TRY(signing::dsse::parse_envelope(text).with_context("envelope"));
  std::vector<std::string> keyids;
  for (const auto& signature : envelope.signatures) keyids.push_back(signature.keyid);
  std::sort(keyids.begin(), keyids.end());
  if (entry.signers != keyids) {
    return make_error(ErrorCode::refused, "signers must be the envelope's signature key ids, sorted, each once");
  }
  return entry;
}

Reply submit_log_entry(RegistryServer::State& state, MHD_Connection* connection, std::string_view body) {
  // The repository is only known from the body: authorize before storage is looked at.
  if (auto parsed = parse_log_entry(body); parsed.ok()) {
    if (auto denied = authorize(state, connection, parsed->repository, true)) return *denied;
  }
  auto checked = check_log_entry(state, body);
  if (!checked.ok()) {
    const Error& error = checked.error();
    if (error.code() == ErrorCode::io || error.code() == ErrorCode::internal) {
      return error_reply(MHD_HTTP_INTERNAL_SERVER_ERROR, "UNKNOWN", error.message());
    }
    return error_reply(error.code() == ErrorCode::not_found ? MHD_HTTP_NOT_FOUND : MHD_HTTP_BAD_REQUEST,
                       "ENTRY_INVALID", error.message());
  }
  auto pending = std::make_shared<PendingEntry>();
  pending->entry = std::string(body);  // canonical, so equal to log_entry_bytes(*checked)
  pending->key = checked->manifest.to_string();
  {
    std::unique_lock lock(state.queue_mutex);
    if (state.stopping) return error_reply(MHD_HTTP_SERVICE_UNAVAILABLE, "UNAVAILABLE", "the server is stopping");
    state.queue.push_back(pending);
    state.queue_changed.notify_all();
    state.queue_changed.wait(lock, [&] { return pending->done; });
  }
  if (!pending->index.ok()) {
    return error_reply(MHD_HTTP_INTERNAL_SERVER_ERROR, "UNKNOWN", pending->index.error().message());
  }
  std::shared_lock lock(state.log_mutex);
  std::uint64_t size = state.log->size();
  auto proof = state.log->inclusion_proof(*pending->index, size);
  if (!proof.ok()) return error_reply(MHD_HTTP_INTERNAL_SERVER_ERROR, "UNKNOWN", proof.error().message());
  return json_reply(pending->added ? MHD_HTTP_CREATED : MHD_HTTP_OK,
                    {{"index", *pending->index}, {"checkpoint", state.log->checkpoint()},
                     {"inclusion_proof", proof_json(*proof)}});
}

// ---- routing ----

bool valid_route_name(const Route& route) {
  return route.kind == Route::base || route.kind == Route::log || route.kind == Route::manifest_repository ||
         valid_repository_name(route.repository);
}

// Decides, from the method, URL and headers, what to do with the body, or answers at once.
void begin_request(RegistryServer::State& state, MHD_Connection* connection, Request& request) {
  const Route& route = request.route;
  std::string_view method = request.method;
  auto answer = [&](Reply reply) { request.early = std::move(reply); };
  if (route.kind == Route::none) {
    return answer(error_reply(MHD_HTTP_NOT_FOUND, "NAME_UNKNOWN", "no such endpoint"));
  }
  if (!valid_route_name(route)) {
    return answer(error_reply(MHD_HTTP_BAD_REQUEST, "NAME_INVALID",
                              fmt::format("'{}' is not a repository name", route.repository)));
  }
  bool reads = method == "GET" || method == "HEAD";
  bool writes = method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
  if (!reads && !writes) return answer(error_reply(MHD_HTTP_METHOD_NOT_ALLOWED, "UNSUPPORTED", "no such method"));
  std::optional<std::uint64_t> declared;
  if (const char* length = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH)) {
    declared = parse_count(length);
  }
  switch (route.kind) {
    case Route::base:
    case Route::tags:
    case Route::referrers:
    case Route::blob:
    case Route::manifest_repository:
      if (!reads) {
        return answer(error_reply(MHD_HTTP_METHOD_NOT_ALLOWED, "UNSUPPORTED",
                                  route.kind == Route::blob ? "blobs are removed by `cairn registry gc`" : "read-only"));
      }
      break;
    case Route::log:
      if (method == "POST" && route.argument == "entries") {
        if (declared && *declared > max_log_entry_body) {
          return answer(error_reply(MHD_HTTP_CONTENT_TOO_LARGE, "SIZE_INVALID", "a log entry is at most 64 KiB"));
        }
        request.body_to_memory = true;
        request.memory_limit = max_log_entry_body;
        return;
      }
      if (!reads) return answer(error_reply(MHD_HTTP_METHOD_NOT_ALLOWED, "UNSUPPORTED", "read-only"));
      break;
    case Route::manifest:
      if (method == "PUT") {
        if (declared && *declared > state.store->limits().max_manifest_size) {
          return answer(error_reply(MHD_HTTP_CONTENT_TOO_LARGE, "SIZE_INVALID",
                                    fmt::format("a manifest is at most {} bytes", state.store->limits().max_manifest_size)));
        }
        request.body_to_memory = true;
        request.memory_limit = state.store->limits().max_manifest_size;
      } else if (!reads && method != "DELETE") {
        return answer(error_reply(MHD_HTTP_METHOD_NOT_ALLOWED, "UNSUPPORTED", "manifests take GET, HEAD, PUT, DELETE"));
      }
      break;
    case Route::uploads:
    case Route::upload:
      break;
    case Route::none:
      break;
  }
  if (!route.repository.empty()) {
    if (auto denied = authorize(state, connection, route.repository, writes)) return answer(std::move(*denied));
  }
  if (declared && *declared > state.store->limits().max_blob_size) {
    return answer(error_reply(MHD_HTTP_CONTENT_TOO_LARGE, "SIZE_INVALID",
                              fmt::format("a blob is at most {} bytes", state.store->limits().max_blob_size)));
  }
  // Bodies that go into an upload session.
  if (route.kind == Route::uploads && method == "POST") {
    if (const char* mount = argument(connection, "mount")) {
      const char* from = argument(connection, "from");
      auto digest = parse_digest(mount);
      if (digest.ok() && from != nullptr && valid_repository_name(from) &&
          !authorize(state, connection, from, false) && state.store->mount_blob(route.repository, *digest, from).ok()) {
        return answer(blob_created(route, *digest));
      }
      // Otherwise a new session, as the spec says.
    }
    if (argument(connection, "digest") != nullptr) {
      auto id = state.store->start_upload(route.repository);
      if (!id.ok()) return answer(store_error(id.error(), "BLOB_UPLOAD_UNKNOWN"));
      request.upload_id = *id;
      auto writer = state.store->append_upload(route.repository, *id);
      if (!writer.ok()) return answer(store_error(writer.error(), "BLOB_UPLOAD_UNKNOWN"));
      request.writer.emplace(std::move(*writer));
    }
    return;
  }
  if (route.kind == Route::upload && (method == "PATCH" || method == "PUT")) {
    std::optional<std::uint64_t> start;
    std::string content_range = header(connection, MHD_HTTP_HEADER_CONTENT_RANGE);
    if (!content_range.empty() && method == "PATCH") {
      start = parse_content_range_start(content_range);
      if (!start) {
        return answer(error_reply(MHD_HTTP_BAD_REQUEST, "BLOB_UPLOAD_INVALID",
                                  fmt::format("Content-Range '{}' is not a-b", content_range)));
      }
    }
    if (method == "PUT" && (!declared || *declared == 0)) return;  // no final chunk
    auto writer = state.store->append_upload(route.repository, route.argument, start);
    if (!writer.ok()) {
      if (writer.error().code() == ErrorCode::refused && start) {
        auto status = state.store->upload_status(route.repository, route.argument);
        Reply reply = error_reply(MHD_HTTP_RANGE_NOT_SATISFIABLE, "BLOB_UPLOAD_INVALID", writer.error().message());
        reply.header(MHD_HTTP_HEADER_LOCATION, upload_location(route, route.argument));
        if (status.ok()) reply.header(MHD_HTTP_HEADER_RANGE, range_header(status->size));
        return answer(std::move(reply));
      }
      return answer(store_error(writer.error(), "BLOB_UPLOAD_UNKNOWN"));
    }
    request.writer.emplace(std::move(*writer));
  }
}

// Answers a request whose body (if any) has arrived.
Reply finish_request(RegistryServer::State& state, MHD_Connection* connection, Request& request) {
  const Route& route = request.route;
  std::string_view method = request.method;
  std::optional<std::uint64_t> written;
  if (request.writer) {
    auto finished = request.writer->finish();
    request.writer.reset();
    if (!finished.ok()) return store_error(finished.error(), "BLOB_UPLOAD_UNKNOWN");
    written = *finished;
  }
  if (request.body_error) return store_error(*request.body_error, "UNKNOWN");
  switch (route.kind) {
    case Route::base: {
      // The version check doubles as the auth probe (as in CNCF distribution): without a valid
      // token it answers 401 with the Basic challenge, so that clients holding credentials
      // (skopeo --dest-creds) learn to send them. Pulls still work without any.
      std::string token = request_token(connection);
      auto scopes = state.store->token_scopes(token);
      if (!scopes.ok()) return store_error(scopes.error(), "UNKNOWN");
      if (scopes->empty()) return unauthorized(token.empty() ? "no token (pulls need none)" : "unknown token");
      return json_reply(MHD_HTTP_OK, Json::object());
    }
    case Route::log:
      if (method == "POST") return submit_log_entry(state, connection, request.body);
      return get_log(state, connection, route.argument);
    case Route::manifest_repository:
      return get_manifest_file(state, route.argument);
    case Route::blob:
      return get_blob(state, connection, route);
    case Route::tags:
      return list_tags(state, connection, route);
    case Route::referrers:
      return list_referrers(state, connection, route);
    case Route::uploads: {
      if (method != "POST") return error_reply(MHD_HTTP_METHOD_NOT_ALLOWED, "UNSUPPORTED", "uploads start with POST");
      if (!request.upload_id.empty()) {  // monolithic: the whole blob came in the POST
        auto digest = parse_digest(argument(connection, "digest"));
        Result<void> finished = digest.ok() ? state.store->finish_upload(route.repository, request.upload_id, *digest)
                                            : Result<void>(digest.error());
        if (!finished.ok()) {
          (void)state.store->cancel_upload(route.repository, request.upload_id);
          return error_reply(MHD_HTTP_BAD_REQUEST, "DIGEST_INVALID", finished.error().message());
        }
        return blob_created(route, *digest);
      }
      auto id = state.store->start_upload(route.repository);
      if (!id.ok()) return store_error(id.error(), "BLOB_UPLOAD_UNKNOWN");
      Reply reply = empty_reply(MHD_HTTP_ACCEPTED);
      reply.header(MHD_HTTP_HEADER_LOCATION, upload_location(route, *id));
      reply.header(MHD_HTTP_HEADER_RANGE, "0-0");
      reply.header("Docker-Upload-UUID", *id);
      return reply;
    }
    case Route::upload: {
      if (method == "DELETE") {
        auto cancelled = state.store->cancel_upload(route.repository, route.argument);
        return cancelled.ok() ? empty_reply(MHD_HTTP_NO_CONTENT) : store_error(cancelled.error(), "BLOB_UPLOAD_UNKNOWN");
      }
      if (method == "PUT") {
        auto digest = parse_digest(argument(connection, "digest") ? argument(connection, "digest") : "");
        if (!digest.ok()) return error_reply(MHD_HTTP_BAD_REQUEST, "DIGEST_INVALID", digest.error().message());
        auto finished = state.store->finish_upload(route.repository, route.argument, *digest);
        if (!finished.ok()) {
          return finished.error().code() == ErrorCode::malformed
                     ? error_reply(MHD_HTTP_BAD_REQUEST, "DIGEST_INVALID", finished.error().message())
                     : store_error(finished.error(), "BLOB_UPLOAD_UNKNOWN");
        }
        return blob_created(route, *digest);
      }
      if (method == "PATCH" || method == "GET") {
        std::uint64_t size = 0;
        if (written) {
          size = *written;
        } else {
          auto status = state.store->upload_status(route.repository, route.argument);
          if (!status.ok()) return store_error(status.error(), "BLOB_UPLOAD_UNKNOWN");
          size = status->size;
        }
        Reply reply = empty_reply(method == "PATCH" ? MHD_HTTP_ACCEPTED : MHD_HTTP_NO_CONTENT);
        reply.header(MHD_HTTP_HEADER_LOCATION, upload_location(route, route.argument));
        reply.header(MHD_HTTP_HEADER_RANGE, range_header(size));
        reply.header("Docker-Upload-UUID", route.argument);
        return reply;
      }
      return error_reply(MHD_HTTP_METHOD_NOT_ALLOWED, "UNSUPPORTED", "uploads take GET, PATCH, PUT, DELETE");
    }
    case Route::manifest: {
      if (method == "GET" || method == "HEAD") return get_manifest(state, route);
      bool by_digest = route.argument.find(':') != std::string::npos;
      if (by_digest ? !parse_digest(route.argument).ok() : !valid_tag(route.argument)) {
        return error_reply(MHD_HTTP_BAD_REQUEST, by_digest ? "DIGEST_INVALID" : "TAG_INVALID",
                           fmt::format("'{}' is neither a tag nor a digest", route.argument));
      }
      if (method == "DELETE") {
        auto deleted = state.store->delete_manifest(route.repository, route.argument);
        return deleted.ok() ? empty_reply(MHD_HTTP_ACCEPTED) : store_error(deleted.error(), "MANIFEST_UNKNOWN");
      }
      std::string content_type = header(connection, MHD_HTTP_HEADER_CONTENT_TYPE);
      if (std::size_t semicolon = content_type.find(';'); semicolon != std::string::npos) {
        content_type.resize(semicolon);
      }
      auto put = state.store->put_manifest(route.repository, route.argument, content_type, request.body);
      if (!put.ok()) {
        const Error& error = put.error();
        if (error.code() == ErrorCode::refused) {
          return error_reply(MHD_HTTP_BAD_REQUEST, "MANIFEST_BLOB_UNKNOWN", error.message());
        }
        if (error.code() == ErrorCode::malformed) {
          return error_reply(MHD_HTTP_BAD_REQUEST,
                             error.message().starts_with("the manifest's digest") ? "DIGEST_INVALID" : "MANIFEST_INVALID",
                             error.message());
        }
        return store_error(error, "MANIFEST_UNKNOWN");
      }
      Reply reply = empty_reply(MHD_HTTP_CREATED);
      reply.header(MHD_HTTP_HEADER_LOCATION, fmt::format("/v2/{}/manifests/{}", route.repository, put->digest.to_string()));
      reply.header("Docker-Content-Digest", put->digest.to_string());
      if (put->subject) reply.header("OCI-Subject", put->subject->to_string());
      return reply;
    }
    case Route::none:
      break;
  }
  return error_reply(MHD_HTTP_NOT_FOUND, "NAME_UNKNOWN", "no such endpoint");
}

MHD_Result send(MHD_Connection* connection, Reply& reply) {
  MHD_Response* response =
      reply.fd >= 0
          ? MHD_create_response_from_fd_at_offset64(reply.length, reply.fd, reply.offset)
          : MHD_create_response_from_buffer(reply.body.size(), reply.body.data(), MHD_RESPMEM_MUST_COPY);
  if (response == nullptr) {
    if (reply.fd >= 0) ::close(reply.fd);
    return MHD_NO;
  }
  reply.fd = -1;  // the response owns it now
  if (!reply.content_type.empty()) {
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, reply.content_type.c_str());
  }
  for (const auto& [name, value] : reply.headers) MHD_add_response_header(response, name.c_str(), value.c_str());
  if (std::none_of(reply.headers.begin(), reply.headers.end(),
                   [](const auto& h) { return h.first == MHD_HTTP_HEADER_CACHE_CONTROL; })) {
    MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
  }
  MHD_add_response_header(response, "Docker-Distribution-API-Version", "registry/2.0");
  MHD_Result queued = MHD_queue_response(connection, reply.status, response);
  MHD_destroy_response(response);
  return queued;
}

MHD_Result handle(void* context, MHD_Connection* connection, const char* url, const char* method, const char*,
                  const char* upload_data, std::size_t* upload_size, void** request_slot) {
  auto& state = *static_cast<RegistryServer::State*>(context);
  auto* request = static_cast<Request*>(*request_slot);
  if (request == nullptr) {
    // The first call: the headers are in. Decide, and answer at once if the body is not wanted.
    request = new Request();
    *request_slot = request;
    request->method = method;
    request->route = parse_route(url);
    begin_request(state, connection, *request);
    if (request->early) return send(connection, *request->early);
    return MHD_YES;
  }
  if (*upload_size != 0) {
    std::string_view data(upload_data, *upload_size);
    *upload_size = 0;
    if (request->body_error) return MHD_YES;
    if (request->writer) {
      auto written = request->writer->write(data);
      if (!written.ok()) {
        request->body_error = std::move(written).error();
        return MHD_NO;  // a blob over the limit, or a full disk: stop reading it
      }
    } else if (request->body_to_memory) {
      if (request->body.size() + data.size() > request->memory_limit) {
        request->body_error = make_error(ErrorCode::limit_exceeded, "a body over {} bytes", request->memory_limit);
        return MHD_NO;
      }
      request->body.append(data);
    }  // any other body is read and dropped
    return MHD_YES;
  }
  Reply reply = finish_request(state, connection, *request);
  return send(connection, reply);
}

void request_completed(void*, MHD_Connection*, void** request_slot, MHD_RequestTerminationCode) {
  delete static_cast<Request*>(*request_slot);
  *request_slot = nullptr;
}

Result<sockaddr_in> parse_listen(std::string_view listen) {
  std::size_t colon = listen.rfind(':');
  if (colon == std::string_view::npos) return make_error(ErrorCode::invalid_argument, "--listen wants ADDRESS:PORT");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  std::string host(listen.substr(0, colon));
  if (::inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) {
    return make_error(ErrorCode::invalid_argument, "--listen: '{}' is not an IPv4 address", host);
  }
  std::string port_text(listen.substr(colon + 1));
  auto port = parse_count(port_text);
  if (!port || *port > 65535) return make_error(ErrorCode::invalid_argument, "--listen: '{}' is not a port", port_text);
  address.sin_port = htons(static_cast<std::uint16_t>(*port));
  return address;
}

}  // namespace

void RegistryServer::State::append_batches() {
  for (;;) {
    std::vector<std::shared_ptr<PendingEntry>> batch;
    {
      std::unique_lock lock(queue_mutex);
      queue_changed.wait(lock, [&] { return stopping || !queue.empty(); });
      if (queue.empty()) return;
      batch.assign(queue.begin(), queue.end());
      queue.clear();
    }
    // Entries already in the log, or twice in this batch, are not added again.
    std::vector<std::string> entries, keys;
    std::map<std::string, std::uint64_t> positions;  // entry -> index in the log
    Result<void> outcome;
    {
      std::unique_lock lock(log_mutex);
      for (const auto& pending : batch) {
        if (positions.contains(pending->entry)) continue;
        auto found = log->find(leaf_hash(pending->entry));
        if (!found.ok()) {
          outcome = std::move(found).error();
          break;
        }
        if (*found) {
          positions[pending->entry] = **found;
        } else {
          positions[pending->entry] = log->size() + entries.size();
          entries.push_back(pending->entry);
          keys.push_back(pending->key);
        }
      }
      if (outcome.ok() && !entries.empty()) {
        auto appended = log->append(entries, keys);
        if (!appended.ok()) outcome = std::move(appended).error();
      }
    }
    std::set<std::string> added(entries.begin(), entries.end());
    std::lock_guard lock(queue_mutex);
    for (const auto& pending : batch) {
      if (outcome.ok()) {
        pending->index = positions.at(pending->entry);
        pending->added = added.erase(pending->entry) == 1;  // the first of equal entries adds it
      } else {
        pending->index = outcome.error();
      }
      pending->done = true;
    }
    queue_changed.notify_all();
  }
}

Result<FileLock> lock_registry_root(const fs::path& root, std::string_view activity) {
  std::error_code error;
  fs::create_directories(root, error);
  if (error) return make_error(ErrorCode::io, "create {}: {}", root.string(), error.message());
  FileLockOptions options;
  options.wait = std::chrono::milliseconds(0);
  return FileLock::acquire(root / "serve.lock", activity, options);
}

Result<std::unique_ptr<RegistryServer>> RegistryServer::start(const ServerOptions& options) {
  if (options.origin.empty()) return make_error(ErrorCode::invalid_argument, "the log needs an origin (--origin)");
  if (options.tls_certificate.empty() != options.tls_key.empty()) {
    return make_error(ErrorCode::invalid_argument, "HTTPS needs both --tls-cert and --tls-key");
  }
  signing::Ed25519PrivateKey key = CAIRN_TRY(signing::Ed25519PrivateKey::load(options.log_key));
  std::unique_ptr<RegistryServer> server(new RegistryServer());
  server->state_ = std::make_unique<State>();
  State& state = *server->state_;
  state.options = options;
  state.root_lock = CAIRN_TRY(lock_registry_root(options.root, fmt::format("serving {}", options.root.string())));
  state.store = CAIRN_TRY(RegistryStore::open(options.root, options.limits));
  state.log = CAIRN_TRY(TransparencyLog::open(options.root / "log", options.origin, std::move(key)));
  state.vkey = state.log->verifier_key();
  sockaddr_in address = CAIRN_TRY(parse_listen(options.listen));
  unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
  if (!options.tls_certificate.empty()) {
    state.tls_certificate = CAIRN_TRY(read_file(options.tls_certificate, 1 << 20));
    state.tls_key = CAIRN_TRY(read_file(options.tls_key, 1 << 20));
    flags |= MHD_USE_TLS;
  }
  state.appender = std::thread([&state] { state.append_batches(); });
  std::vector<MHD_OptionItem> extra;
  if (!state.tls_certificate.empty()) {
    extra.push_back({MHD_OPTION_HTTPS_MEM_CERT, 0, state.tls_certificate.data()});
    extra.push_back({MHD_OPTION_HTTPS_MEM_KEY, 0, state.tls_key.data()});
  }
  extra.push_back({MHD_OPTION_END, 0, nullptr});
  state.daemon = MHD_start_daemon(
      flags, ntohs(address.sin_port), nullptr, nullptr, &handle, &state, MHD_OPTION_SOCK_ADDR, &address,
      MHD_OPTION_THREAD_POOL_SIZE, static_cast<unsigned>(std::max(1u, options.threads)), MHD_OPTION_CONNECTION_TIMEOUT,
      30u, MHD_OPTION_CONNECTION_LIMIT, 1024u, MHD_OPTION_CONNECTION_MEMORY_LIMIT, static_cast<std::size_t>(64 * 1024),
      MHD_OPTION_NOTIFY_COMPLETED, &request_completed, nullptr, MHD_OPTION_ARRAY, extra.data(), MHD_OPTION_END);
  if (state.daemon == nullptr) {
    server->stop();
    return make_error(ErrorCode::io, "cannot listen on {} (in use, not an address of this machine, or a bad TLS key?)",
                      options.listen);
  }
  const MHD_DaemonInfo* info = MHD_get_daemon_info(state.daemon, MHD_DAEMON_INFO_BIND_PORT);
  char host[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &address.sin_addr, host, sizeof host);
  server->address_ = fmt::format("{}:{}", host, info != nullptr ? info->port : ntohs(address.sin_port));
  return server;
}

void RegistryServer::stop() {
  if (!state_) return;
  if (state_->daemon != nullptr) {
    MHD_stop_daemon(state_->daemon);
    state_->daemon = nullptr;
  }
  {
    std::lock_guard lock(state_->queue_mutex);
    state_->stopping = true;
    state_->queue_changed.notify_all();
  }
  if (state_->appender.joinable()) state_->appender.join();
}

RegistryServer::~RegistryServer() {
  stop();
}

}  // namespace cairn::registry
