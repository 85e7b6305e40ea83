// `cairn registry serve`: runs the registry's HTTP server (registry/server.h) until SIGINT or
// SIGTERM, then stops accepting and lets the requests in flight finish.
#include "command.h"

#include "cairn/registry/server.h"

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
};

Result<void> run_serve(const Invocation& invocation, const ServeOptions& options) {
  // Block the stop signals before the server's threads start, so that only sigwait takes them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  registry::ServerOptions server_options{options.root, options.listen, options.origin, options.log_key,
                                         options.threads};
  auto server = CAIRN_TRY(registry::RegistryServer::start(server_options));
  if (invocation.json) {
    print_json({{"listening", server->address()}});
  } else {
    std::printf("cairn registry: listening on http://%s\n", server->address().c_str());
  }
  std::fflush(stdout);
  int received = 0;
  sigwait(&stop_signals, &received);
  server->stop();
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
  on_run(serve, invocation, options, run_serve);
}

}  // namespace cairn::cli
