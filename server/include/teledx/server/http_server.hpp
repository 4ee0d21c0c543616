#pragma once
#include <functional>
#include <memory>

#include "teledx/core/result.hpp"
#include "teledx/server/router.hpp"
#include "teledx/server/services.hpp"

namespace teledx::server {

/// The Beast HTTP(S)/websocket front: fixed I/O threads, a worker pool for handlers, graceful stop.
class HttpServer {
 public:
  HttpServer(Services& services, const Router& router);
  ~HttpServer();
  /// Binds the ports (HTTP, and HTTPS when a certificate is configured) and starts the threads.
  Result<void> start();
  /// Stops accepting, lets in-flight requests finish (bounded wait), then joins all threads.
  void stop();
  /// Blocks until SIGINT/SIGTERM, then stop().
  void run_until_signal(const std::function<void()>& on_signal = {});
  std::uint16_t http_port() const;

  struct Impl;  // public only so the sessions (internal headers of http_server.cpp) can name it

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace teledx::server
