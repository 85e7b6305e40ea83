// A tiny HTTP server on 127.0.0.1 for tests: a thread that accepts one connection at a time,
// reads the request and hands the connection to a handler. It stops when destroyed or when its
// lifetime has passed, so a test can never leave it running.
#pragma once

#include "cairn/core/file.h"
#include "cairn/core/result.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <thread>

namespace cairn::testing {

class LoopbackHttpServer {
 public:
  // Serves one connection: `request` is what the client sent first; the handler writes the
  // response to `connection` and may go on until `should_stop()` (the server is shutting down).
  using Handler = std::function<void(int connection, std::string_view request,
                                     const std::function<bool()>& should_stop)>;

  LoopbackHttpServer(Handler handler, std::chrono::seconds lifetime) : handler_(std::move(handler)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), length) != 0 || ::listen(listener_, 8) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      fatal("test server: cannot listen on 127.0.0.1");
    }
    port_ = ntohs(address.sin_port);
    deadline_ = std::chrono::steady_clock::now() + lifetime;
    thread_ = std::thread([this] { serve(); });
  }
  ~LoopbackHttpServer() {
    stop_ = true;
    thread_.join();
    ::close(listener_);
  }
  LoopbackHttpServer(const LoopbackHttpServer&) = delete;
  LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;

  // "http://127.0.0.1:<port>/<path>".
  std::string url(std::string_view path = "") const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/" + std::string(path);
  }
  int requests() const { return requests_; }

  // Sends all of `bytes`, ignoring a client that went away.
  static void send_all(int connection, std::string_view bytes) {
    (void)::send(connection, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  }

 private:
  void serve() {
    std::function<bool()> should_stop = [this] { return stop_ || std::chrono::steady_clock::now() >= deadline_; };
    pollfd poll_fd{listener_, POLLIN, 0};
    while (!should_stop()) {
      if (::poll(&poll_fd, 1, 100) <= 0) continue;
      UniqueFd connection(::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC));
      if (!connection.valid()) continue;
      std::string request(4096, '\0');
      ssize_t got = ::recv(connection.get(), request.data(), request.size(), 0);
      if (got <= 0) continue;
      request.resize(static_cast<std::size_t>(got));
      ++requests_;
      handler_(connection.get(), request, should_stop);
    }
  }

  Handler handler_;
  int listener_ = -1;
  int port_ = 0;
  std::chrono::steady_clock::time_point deadline_;
  std::atomic<int> requests_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace cairn::testing
