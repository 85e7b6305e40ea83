// `cairn registry serve`: the registry's HTTP server (libmicrohttpd: epoll, a thread pool).
//
// So far it serves the transparency log, as C2SP tlog-tiles and with proofs on request, and the
// OCI base endpoint:
//   GET /v2/                                       {} (the OCI distribution API's version check)
//   GET /log/checkpoint                            the latest signed checkpoint
//   GET /log/vkey                                  the log's verifier key
//   GET /log/tile/<L>/<N>[.p/<W>]                  hash tiles (full ones immutable, cacheable forever)
//   GET /log/tile/entries/<N>[.p/<W>]              entry bundles
//   GET /log/proof/inclusion?leaf=<b64>&size=<n>   {"index": i, "proof": [b64...]}
//   GET /log/proof/consistency?first=<m>&second=<n>  {"proof": [b64...]}
// Anything else is a 404 with an OCI-style error body; a malformed request is a 400. The rest of
// the OCI distribution API comes next (registry/README.md).
#pragma once

#include "cairn/core/result.h"
#include "cairn/registry/log.h"

#include <filesystem>
#include <memory>
#include <string>

namespace cairn::registry {

struct ServerOptions {
  std::filesystem::path root;             // the registry's folder: the log lives in <root>/log
  std::string listen = "127.0.0.1:5000";  // IPv4 address and port; port 0 picks a free one
  std::string origin;                     // the log's name in its checkpoints
  std::filesystem::path log_key;          // the log's Ed25519 private key file
  unsigned threads = 4;
};

class RegistryServer {
 public:
  // Opens the log and starts serving in threads of its own.
  static Result<std::unique_ptr<RegistryServer>> start(const ServerOptions& options);
  ~RegistryServer();
  RegistryServer(const RegistryServer&) = delete;
  RegistryServer& operator=(const RegistryServer&) = delete;

  // The address and port it listens on ("127.0.0.1:40123").
  const std::string& address() const { return address_; }
  // Stops accepting and waits for the requests in flight.
  void stop();

  struct State;

 private:
  RegistryServer() = default;
  std::unique_ptr<State> state_;
  std::string address_;
};

}  // namespace cairn::registry
