// `cairn registry serve`: the registry's HTTP server (libmicrohttpd: epoll, a thread pool, blobs
// sent from their files by the kernel).
//
// The OCI distribution API v1.1 (https://github.com/opencontainers/distribution-spec):
//   GET  /v2/                                          {} (the version check)
//   GET|HEAD /v2/<name>/blobs/<digest>                 the blob; Range: bytes=a-b gives 206/416
//   POST /v2/<name>/blobs/uploads/                     a session (202); ?digest= with a body: the
//                                                      whole blob (201); ?mount=&from=: a mount
//   GET|PATCH|PUT|DELETE /v2/<name>/blobs/uploads/<id> its status; a chunk (Content-Range
//                                                      optional); the end (?digest=); cancel
//   GET|HEAD|PUT|DELETE /v2/<name>/manifests/<ref>     by tag or digest; a PUT of a manifest with
//                                                      a subject answers OCI-Subject
//   GET  /v2/<name>/tags/list?n=&last=                 tags in lexical order, Link: rel="next"
//   GET  /v2/<name>/referrers/<digest>?artifactType=   an image index of the manifests whose
//                                                      subject is <digest>
// Error bodies and status codes as the spec gives them. Pull is anonymous unless
// require_pull_token; anything that writes needs a token whose prefix covers the repository
// (`cairn registry token add`), as `Authorization: Bearer <token>` or as the password of HTTP
// Basic (any user name), so skopeo --dest-creds and oras --password work.
//
// The transparency log:
//   POST /log/entries                                  publish: appends one entry (below), answers
//                                                      {"index", "checkpoint", "inclusion_proof"}
//   GET  /log/checkpoint                               the latest signed checkpoint
//   GET  /log/vkey                                     the log's verifier key
//   GET  /log/tile/<L>/<N>[.p/<W>]                     hash tiles (full ones immutable)
//   GET  /log/tile/entries/<N>[.p/<W>]                 entry bundles
//   GET  /log/proof/inclusion?leaf=<b64>&size=<n>      {"index": i, "proof": [b64...]}
//   GET  /log/proof/consistency?first=<m>&second=<n>   {"proof": [b64...]}
//   GET  /log/lookup?manifest=<digest>                 {"entries": [{"index", "entry" (the leaf's
//                                                      bytes), "checkpoint", "inclusion_proof"}]}:
//                                                      every entry naming that manifest
// A log entry is the canonical JSON object {"envelope", "manifest", "repository", "signers",
// "tag"}: the digest of a DSSE envelope blob in the repository, the digest of the manifest the tag
// names now, and the sorted key ids of the envelope's signatures. The server checks each of those
// against its storage before the entry goes in; an entry already in the log is not added again
// (200 with its index). Entries that arrive together are appended as one batch with one
// checkpoint, written after its tiles are durable.
//
// A manifest repository (manifest/) is served read-only under /manifest/<path> when configured.
#pragma once

#include "cairn/core/file_lock.h"
#include "cairn/core/result.h"
#include "cairn/registry/log.h"
#include "cairn/registry/store.h"

#include <filesystem>
#include <memory>
#include <string>

namespace cairn::registry {

struct ServerOptions {
  std::filesystem::path root;             // the registry's folder: storage, and the log in <root>/log
  std::string listen = "127.0.0.1:5000";  // IPv4 address and port; port 0 picks a free one
  std::string origin;                     // the log's name in its checkpoints
  std::filesystem::path log_key;          // the log's Ed25519 private key file
  unsigned threads = 4;
  bool require_pull_token = false;          // pulls need a token too
  std::filesystem::path manifest_repository;  // served under /manifest/ when set
  std::filesystem::path tls_certificate;      // PEM; with tls_key, serve HTTPS
  std::filesystem::path tls_key;
  StoreLimits limits;
};

class RegistryServer {
 public:
  // Takes the root's serve lock (one server per root), opens storage and the log, and starts
  // serving in threads of its own.
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

// The lock a server holds on its root; `cairn registry gc` takes it too, so that it never runs
// beside a server. Fails at once (limit_exceeded) when another holds it.
Result<FileLock> lock_registry_root(const std::filesystem::path& root, std::string_view activity);

}  // namespace cairn::registry
