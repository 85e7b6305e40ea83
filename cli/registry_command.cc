// `cairn registry serve|token add|gc`: runs the registry's HTTP server (registry/server.h) until
// SIGINT or SIGTERM, then stops accepting and lets the requests in flight finish; adds push and
// pull tokens; removes what no manifest references.
#include "command.h"

#include "cairn/registry/oci.h"
#include "cairn/registry/server.h"
#include "cairn/registry/store.h"

#include <signal.h>

#include <memory>

namespace cairn::cli {

namespace {

struct ServeOptions {
  std::string root;
  std::string listen = "127.0.0.1:5000";
  std::string origin;
  std::string log_key;
  unsigned threads = 4;
  bool require_pull_token = false;
  std::string manifest_repository;
  std::string tls_certificate;
  std::string tls_key;
  std::uint64_t max_blob_size = 4ull << 30;
};

struct TokenOptions {
  std::string root;
  std::string push_prefix;
  std::string pull_prefix;
};

struct GcOptions {
  std::string root;
  bool dry_run = false;
};

Result<void> run_serve(const Invocation& invocation, const ServeOptions& options) {
  // Block the stop signals before the server's threads start, so that only sigwait takes them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  registry::ServerOptions server_options;
  server_options.root = options.root;
  server_options.listen = options.listen;
  server_options.origin = options.origin;
  server_options.log_key = options.log_key;
  server_options.threads = options.threads;
  server_options.require_pull_token = options.require_pull_token;
  server_options.manifest_repository = options.manifest_repository;
  server_options.tls_certificate = options.tls_certificate;
  server_options.tls_key = options.tls_key;
  server_options.limits.max_blob_size = options.max_blob_size;
  auto server = CAIRN_TRY(registry::RegistryServer::start(server_options));
  if (invocation.json) {
    print_json({{"listening", server->address()}});
  } else {
    std::printf("cairn registry: listening on %s://%s\n", options.tls_certificate.empty() ? "http" : "https",
                server->address().c_str());
  }
  std::fflush(stdout);
  int received = 0;
  sigwait(&stop_signals, &received);
  server->stop();
  return {};
}

// Prints a new token once; only its hash is kept.
Result<void> run_token_add(const Invocation& invocation, const TokenOptions& options) {
  if (options.push_prefix.empty() == options.pull_prefix.empty()) {
    return make_error(ErrorCode::invalid_argument, "give one of --push PREFIX or --pull PREFIX");
  }
  bool push = !options.push_prefix.empty();
  const std::string& prefix = push ? options.push_prefix : options.pull_prefix;
  if (!registry::valid_repository_name(prefix)) {
    return make_error(ErrorCode::invalid_argument, "'{}' is not a repository name (or name prefix)", prefix);
  }
  auto store = CAIRN_TRY(registry::RegistryStore::open(options.root));
  std::string token = CAIRN_TRY(store->add_token(push ? "push" : "pull", prefix));
  if (invocation.json) {
    print_json({{"token", token}, {"scope", push ? "push" : "pull"}, {"prefix", prefix}});
  } else {
    std::printf("%s\n", token.c_str());
    std::fprintf(stderr, "a %s token for %s and every repository under %s/ (shown once; keep it secret)\n",
                 push ? "push" : "pull", prefix.c_str(), prefix.c_str());
  }
  return {};
}

Result<void> run_gc(const Invocation& invocation, const GcOptions& options) {
  FileLock lock = CAIRN_TRY(registry::lock_registry_root(options.root, "collecting garbage")
                                .with_context("a registry serves this root; stop it first"));
  auto store = CAIRN_TRY(registry::RegistryStore::open(options.root));
  registry::GcReport report = CAIRN_TRY(store->collect_garbage(options.dry_run));
  if (invocation.json) {
    print_json({{"blobs_removed", report.blobs_removed},
                {"bytes_removed", report.bytes_removed},
                {"links_removed", report.links_removed},
                {"uploads_removed", report.uploads_removed},
                {"dry_run", options.dry_run}});
  } else {
    std::printf("%s %llu blobs (%llu bytes), %llu repository links, %llu idle uploads\n",
                options.dry_run ? "would remove" : "removed", static_cast<unsigned long long>(report.blobs_removed),
                static_cast<unsigned long long>(report.bytes_removed),
                static_cast<unsigned long long>(report.links_removed),
                static_cast<unsigned long long>(report.uploads_removed));
  }
  return {};
}

}  // namespace

void add_registry_commands(CLI::App& app, Invocation& invocation) {
  CLI::App* registry = app.add_subcommand("registry", "Run Cairn's registry and transparency log");
  registry->require_subcommand(1);
  auto options = std::make_shared<ServeOptions>();
  CLI::App* serve = registry->add_subcommand("serve", "Serve the registry over HTTP until SIGINT or SIGTERM");
  serve->add_option("--root", options->root, "The registry's folder (the log is in ROOT/log)")->required();
  serve->add_option("--listen", options->listen, "IPv4 ADDRESS:PORT to listen on (port 0: any free one)")
      ->capture_default_str();
  serve->add_option("--origin", options->origin, "The log's name in its checkpoints, e.g. registry.example.org/log")
      ->required();
  serve->add_option("--log-key", options->log_key, "The log's Ed25519 private key file")->required();
  serve->add_option("--threads", options->threads, "Request threads")->capture_default_str();
  serve->add_flag("--require-pull-token", options->require_pull_token, "Pulls need a token too");
  serve->add_option("--manifest-repo", options->manifest_repository,
                    "A manifest repository folder to serve read-only under /manifest/");
  serve->add_option("--tls-cert", options->tls_certificate, "PEM certificate (chain): serve HTTPS");
  serve->add_option("--tls-key", options->tls_key, "PEM private key of --tls-cert");
  serve->add_option("--max-blob-size", options->max_blob_size, "Largest blob accepted, in bytes")
      ->capture_default_str();
  on_run(serve, invocation, options, run_serve);

  CLI::App* token = registry->add_subcommand("token", "Manage the tokens that may push (or pull)");
  token->require_subcommand(1);
  auto token_options = std::make_shared<TokenOptions>();
  CLI::App* add = token->add_subcommand("add", "Create a token and print it once");
  add->add_option("--root", token_options->root, "The registry's folder")->required();
  add->add_option("--push", token_options->push_prefix, "May push to (and pull from) PREFIX and PREFIX/...");
  add->add_option("--pull", token_options->pull_prefix, "May pull from PREFIX and PREFIX/...");
  on_run(add, invocation, token_options, run_token_add);

  auto gc_options = std::make_shared<GcOptions>();
  CLI::App* gc = registry->add_subcommand("gc", "Remove blobs no manifest references (the server must be stopped)");
  gc->add_option("--root", gc_options->root, "The registry's folder")->required();
  gc->add_flag("--dry-run", gc_options->dry_run, "Only say what would be removed");
  on_run(gc, invocation, gc_options, run_gc);
}

}  // namespace cairn::cli
