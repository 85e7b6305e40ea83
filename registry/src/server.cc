// The registry's HTTP server (see server.h).
#include "cairn/registry/server.h"

#include "cairn/core/canonical_json.h"
#include "cairn/signing/ed25519.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>
#include <shared_mutex>

namespace cairn::registry {

struct RegistryServer::State {
  std::unique_ptr<TransparencyLog> log;
  std::shared_mutex log_mutex;  // readers share it; an append (publish) takes it alone
  std::string vkey;
  MHD_Daemon* daemon = nullptr;
};

namespace {

struct Reply {
  unsigned status = MHD_HTTP_OK;
  std::string body;
  std::string content_type = "application/octet-stream";
  std::string cache_control = "no-cache";
};

// An error body in the OCI distribution spec's form.
Reply error_reply(unsigned status, std::string_view code, std::string_view message) {
  Json body = {{"errors", Json::array({{{"code", code}, {"message", message}}})}};
  return {status, body.dump(), "application/json", "no-cache"};
}

Reply json_reply(const Json& body) {
  return {MHD_HTTP_OK, body.dump(), "application/json", "no-cache"};
}

std::optional<std::uint64_t> parse_count(const char* text) {
  if (text == nullptr || *text == '\0' || std::strlen(text) > 19) return std::nullopt;
  std::uint64_t value = 0;
  auto [end, error] = std::from_chars(text, text + std::strlen(text), value);
  if (error != std::errc() || *end != '\0' || (text[0] == '0' && text[1] != '\0')) return std::nullopt;
  return value;
}

Json proof_json(const std::vector<Hash>& proof) {
  Json list = Json::array();
  for (const auto& hash : proof) list.push_back(to_base64(hash));
  return list;
}

Reply route(RegistryServer::State& state, MHD_Connection* connection, std::string_view method, std::string_view url) {
  if (method != "GET" && method != "HEAD") {
    return error_reply(MHD_HTTP_METHOD_NOT_ALLOWED, "UNSUPPORTED", "only GET and HEAD are served so far");
  }
  if (url == "/v2/" || url == "/v2") return json_reply(Json::object());
  std::shared_lock lock(state.log_mutex);
  if (url == "/log/checkpoint") return {MHD_HTTP_OK, state.log->checkpoint(), "text/plain; charset=utf-8", "no-cache"};
  if (url == "/log/vkey") return {MHD_HTTP_OK, state.vkey + "\n", "text/plain; charset=utf-8", "public, max-age=86400"};
  if (url.starts_with("/log/tile/")) {
    auto tile = parse_tile_path(url.substr(5));
    if (!tile.ok()) return error_reply(MHD_HTTP_BAD_REQUEST, "TILE_INVALID", tile.error().message());
    auto data = state.log->read_tile(*tile);
    if (!data.ok()) {
      return data.error().code() == ErrorCode::not_found
                 ? error_reply(MHD_HTTP_NOT_FOUND, "TILE_UNKNOWN", data.error().message())
                 : error_reply(MHD_HTTP_INTERNAL_SERVER_ERROR, "UNKNOWN", data.error().message());
    }
    // A full tile never changes; a partial one is replaced by a wider one as the log grows.
    return {MHD_HTTP_OK, std::move(*data), "application/octet-stream",
            tile->width == tile_width ? "public, max-age=31536000, immutable" : "no-cache"};
  }
  if (url == "/log/proof/inclusion") {
    const char* leaf_text = MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND, "leaf");
    auto size = parse_count(MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND, "size"));
    if (leaf_text == nullptr || !size) {
      return error_reply(MHD_HTTP_BAD_REQUEST, "PROOF_INVALID", "want ?leaf=<base64 leaf hash>&size=<tree size>");
    }
    auto leaf = hash_from_base64(leaf_text);
    if (!leaf.ok()) return error_reply(MHD_HTTP_BAD_REQUEST, "PROOF_INVALID", "leaf: " + leaf.error().message());
    if (*size > state.log->size()) {
      return error_reply(MHD_HTTP_NOT_FOUND, "PROOF_UNKNOWN", fmt::format("the log has {} leaves", state.log->size()));
    }
    auto index = state.log->find(*leaf);
    if (!index.ok()) return error_reply(MHD_HTTP_INTERNAL_SERVER_ERROR, "UNKNOWN", index.error().message());
    if (!*index || **index >= *size) {
      return error_reply(MHD_HTTP_NOT_FOUND, "PROOF_UNKNOWN", "no such leaf in a tree of that size");
    }
    auto proof = state.log->inclusion_proof(**index, *size);
    if (!proof.ok()) return error_reply(MHD_HTTP_INTERNAL_SERVER_ERROR, "UNKNOWN", proof.error().message());
    return json_reply({{"index", **index}, {"proof", proof_json(*proof)}});
  }
  if (url == "/log/proof/consistency") {
    auto first = parse_count(MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND, "first"));
    auto second = parse_count(MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND, "second"));
    if (!first || !second || *first == 0 || *first > *second) {
      return error_reply(MHD_HTTP_BAD_REQUEST, "PROOF_INVALID", "want ?first=<m>&second=<n> with 0 < m <= n");
    }
    if (*second > state.log->size()) {
      return error_reply(MHD_HTTP_NOT_FOUND, "PROOF_UNKNOWN", fmt::format("the log has {} leaves", state.log->size()));
    }
    auto proof = state.log->consistency_proof(*first, *second);
    if (!proof.ok()) return error_reply(MHD_HTTP_INTERNAL_SERVER_ERROR, "UNKNOWN", proof.error().message());
    return json_reply({{"proof", proof_json(*proof)}});
  }
  return error_reply(MHD_HTTP_NOT_FOUND, "NAME_UNKNOWN", fmt::format("nothing at {}", url));
}

MHD_Result handle(void* context, MHD_Connection* connection, const char* url, const char* method, const char*,
                  const char*, std::size_t* upload_size, void** request) {
  // The first call announces the request; a body (none is accepted yet) would follow.
  if (*request == nullptr) {
    static int marker;
    *request = &marker;
    return MHD_YES;
  }
  if (*upload_size != 0) {
    *upload_size = 0;  // discarded: nothing here takes a body yet
    return MHD_YES;
  }
  auto& state = *static_cast<RegistryServer::State*>(context);
  Reply reply = route(state, connection, method, url);
  MHD_Response* response = MHD_create_response_from_buffer(reply.body.size(), reply.body.data(), MHD_RESPMEM_MUST_COPY);
  if (response == nullptr) return MHD_NO;
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, reply.content_type.c_str());
  MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, reply.cache_control.c_str());
  MHD_add_response_header(response, "Docker-Distribution-API-Version", "registry/2.0");
  MHD_Result queued = MHD_queue_response(connection, reply.status, response);
  MHD_destroy_response(response);
  return queued;
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
  auto port = parse_count(port_text.c_str());
  if (!port || *port > 65535) return make_error(ErrorCode::invalid_argument, "--listen: '{}' is not a port", port_text);
  address.sin_port = htons(static_cast<std::uint16_t>(*port));
  return address;
}

}  // namespace

Result<std::unique_ptr<RegistryServer>> RegistryServer::start(const ServerOptions& options) {
  if (options.origin.empty()) return make_error(ErrorCode::invalid_argument, "the log needs an origin (--origin)");
  signing::Ed25519PrivateKey key = CAIRN_TRY(signing::Ed25519PrivateKey::load(options.log_key));
  std::unique_ptr<RegistryServer> server(new RegistryServer());
  server->state_ = std::make_unique<State>();
  State& state = *server->state_;
  state.log = CAIRN_TRY(TransparencyLog::open(options.root / "log", options.origin, std::move(key)));
  state.vkey = state.log->verifier_key();
  sockaddr_in address = CAIRN_TRY(parse_listen(options.listen));
  state.daemon = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG, ntohs(address.sin_port), nullptr,
                                  nullptr, &handle, &state, MHD_OPTION_SOCK_ADDR, &address, MHD_OPTION_THREAD_POOL_SIZE,
                                  static_cast<unsigned>(std::max(1u, options.threads)), MHD_OPTION_CONNECTION_TIMEOUT,
                                  30u, MHD_OPTION_CONNECTION_LIMIT, 1024u, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                                  static_cast<std::size_t>(64 * 1024), MHD_OPTION_END);
  if (state.daemon == nullptr) {
    return make_error(ErrorCode::io, "cannot listen on {} (in use, or not an address of this machine?)",
                      options.listen);
  }
  const MHD_DaemonInfo* info = MHD_get_daemon_info(state.daemon, MHD_DAEMON_INFO_BIND_PORT);
  char host[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &address.sin_addr, host, sizeof host);
  server->address_ = fmt::format("{}:{}", host, info != nullptr ? info->port : ntohs(address.sin_port));
  return server;
}

void RegistryServer::stop() {
  if (state_ && state_->daemon != nullptr) {
    MHD_stop_daemon(state_->daemon);
    state_->daemon = nullptr;
  }
}

RegistryServer::~RegistryServer() {
  stop();
}

}  // namespace cairn::registry
