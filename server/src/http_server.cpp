// The listeners, start-up and shutdown. Beast's sessions are instantiated in plain_session.cpp and tls_session.cpp
// (each slow to compile, so they build side by side) from internal headers: http_server_impl.hpp (shared state),
// http_session.hpp (request cycle, the hand-off of every request to the worker pool), ws_session.hpp (websocket).
// Route code never sees Beast types.
#include "teledx/server/http_server.hpp"

#include <algorithm>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "beast_util.hpp"
#include "http_server_impl.hpp"
#include "teledx/core/log.hpp"

namespace teledx::server {

namespace {
constexpr auto kShutdownGrace = std::chrono::seconds(20);
}  // namespace

Result<void> HttpServer::Impl::listen(const std::string& address, std::uint16_t port, bool use_tls,
                                      std::uint16_t* bound) {
  beast::error_code ec;
  auto addr = net::ip::make_address(address, ec);
  if (ec) return make_error(ErrorCode::BadRequest, "The listen address '" + address + "' is not an IP address.");
  auto acceptor = std::make_shared<tcp::acceptor>(net::make_strand(ioc));
  tcp::endpoint ep{addr, port};
  acceptor->open(ep.protocol(), ec);
  if (!ec) acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(ep, ec);
  if (!ec) acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    return make_error(ErrorCode::Unavailable,
                      "Cannot listen on " + address + ":" + std::to_string(port) + " (" + ec.message() +
                          "); is another server using that port?");
  if (bound) *bound = acceptor->local_endpoint().port();
  acceptors.push_back(acceptor);
  accept(acceptor, use_tls);
  return {};
}

void HttpServer::Impl::accept(std::shared_ptr<tcp::acceptor> acceptor, bool use_tls) {
  acceptor->async_accept(net::make_strand(ioc), [this, acceptor, use_tls](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec != net::error::operation_aborted && acceptor->is_open()) {
        log::warn("http", "accept failed: " + ec.message());
        accept(acceptor, use_tls);
      }
      return;
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto ep = socket.remote_endpoint(ignored);
    std::string remote = ignored ? std::string("unknown") : ep.address().to_string();
    if (use_tls)
      start_tls_session(*this, std::move(socket), *tls, remote);
    else
      start_plain_session(*this, std::move(socket), remote);
    if (!stopping) accept(acceptor, use_tls);
  });
}

HttpServer::HttpServer(Services& services, const Router& router) : impl_(std::make_unique<Impl>(services, router)) {}

HttpServer::~HttpServer() { stop(); }

Result<void> HttpServer::start() {
  auto& cfg = impl_->services.config;
  TELEDX_TRY(impl_->listen(cfg.http_address, cfg.http_port, false, &impl_->bound_http_port));
  if (!cfg.tls_cert.empty() && !cfg.tls_key.empty()) {
    impl_->tls.emplace(ssl::context::tls_server);
    auto& ctx = *impl_->tls;
    // Modern protocol versions only: TLS 1.2 and 1.3.
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                    ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
    beast::error_code ec;
    ctx.use_certificate_chain_file(cfg.tls_cert.string(), ec);
    if (!ec) ctx.use_private_key_file(cfg.tls_key.string(), ssl::context::pem, ec);
    if (ec)
      return make_error(ErrorCode::BadRequest, "The TLS certificate or key could not be loaded: " + ec.message() +
                                                   " (check --tls-cert and --tls-key).");
    TELEDX_TRY(impl_->listen(cfg.http_address, cfg.https_port, true, nullptr));
  }
  impl_->guard.emplace(impl_->ioc.get_executor());
  for (int i = 0; i < std::max(1, cfg.io_threads); ++i) impl_->io_threads.emplace_back([this] { impl_->ioc.run(); });
  return {};
}

std::uint16_t HttpServer::http_port() const { return impl_->bound_http_port; }

void HttpServer::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  impl_->stopping = true;
  std::promise<void> closed;
  net::post(impl_->ioc, [this, &closed] {
    for (auto& a : impl_->acceptors) {
      beast::error_code ec;
      a->close(ec);
    }
    closed.set_value();
  });
  if (!impl_->io_threads.empty()) closed.get_future().wait();
  // Let requests already accepted finish and their answers go out: nothing acknowledged is lost.
  auto deadline = std::chrono::steady_clock::now() + kShutdownGrace;
  while (impl_->in_flight > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  impl_->workers.join();
  impl_->guard.reset();
  impl_->ioc.stop();
  for (auto& t : impl_->io_threads) t.join();
  impl_->io_threads.clear();
}

void HttpServer::run_until_signal(const std::function<void()>& on_signal) {
  std::promise<int> got;
  net::signal_set signals(impl_->ioc, SIGINT, SIGTERM);
  signals.async_wait([&got](beast::error_code ec, int sig) { got.set_value(ec ? 0 : sig); });
  int sig = got.get_future().get();
  log::info("server", "signal " + std::to_string(sig) + ": stopping (finishing in-flight requests)");
  if (on_signal) on_signal();
  stop();
}

}  // namespace teledx::server
