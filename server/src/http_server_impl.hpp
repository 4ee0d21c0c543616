#pragma once
// HttpServer::Impl, the I/O and worker state every session shares; http_server.cpp and the sessions include it.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "beast_util.hpp"
#include "teledx/core/result.hpp"
#include "teledx/server/http_server.hpp"

namespace teledx::server {

struct HttpServer::Impl {
  Impl(Services& s, const Router& r)
      : services(s), router(r), workers(static_cast<std::size_t>(std::max(1, s.config.worker_threads))) {}

  Services& services;
  const Router& router;
  net::io_context ioc;
  net::thread_pool workers;
  std::optional<ssl::context> tls;
  std::vector<std::shared_ptr<tcp::acceptor>> acceptors;
  std::vector<std::thread> io_threads;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> guard;
  std::atomic<int> in_flight{0};
  std::atomic<bool> stopping{false};
  bool stopped = false;
  std::uint16_t bound_http_port = 0;

  std::chrono::seconds timeout() const { return std::chrono::seconds(services.config.request_timeout_seconds); }
  Result<void> listen(const std::string& address, std::uint16_t port, bool use_tls, std::uint16_t* bound);
  void accept(std::shared_ptr<tcp::acceptor> acceptor, bool use_tls);
};

/// Serves an accepted connection until it closes (plain_session.cpp, tls_session.cpp).
void start_plain_session(HttpServer::Impl& srv, tcp::socket&& socket, std::string remote);
void start_tls_session(HttpServer::Impl& srv, tcp::socket&& socket, ssl::context& ctx, std::string remote);

}  // namespace teledx::server
