#pragma once
// WsSession, the Beast websocket connection behind WsConnection; only plain_session.cpp and tls_session.cpp
// include it (through http_session.hpp).
#include <atomic>
#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <string>

#include <boost/beast/websocket/ssl.hpp>

#include "beast_util.hpp"
#include "http_server_impl.hpp"
#include "teledx/core/consortium.hpp"
#include "teledx/core/log.hpp"
#include "teledx/server/websocket.hpp"

namespace teledx::server {

inline constexpr std::size_t kWsMessageLimit = 64 * 1024;  // largest message a client may send

// A websocket connection (plain or TLS). Writes are queued on the connection's strand, one in flight;
// feature callbacks run on a strand of the worker pool so they never block I/O and stay ordered.
template <class Stream>
class WsSession final : public WsConnection, public std::enable_shared_from_this<WsSession<Stream>> {
 public:
  WsSession(HttpServer::Impl& srv, Stream&& stream, Principal principal, std::shared_ptr<WsEndpoint> endpoint,
            std::string target, std::string remote);
  ~WsSession() override;
  void run(http::request<http::string_body> req);
  void send(std::string text) override;
  void close(const std::string& reason) override;
  const Principal& principal() const override { return principal_; }
  const std::string& target() const override { return target_; }
  const std::string& remote() const override { return remote_; }
  // Counts messages still on their way to the strand too: the event hub paces a replay by this number, and
  // on a loaded machine the strand may not yet have taken the last page it sent (then the next page would
  // overflow the queue and close a client that is only catching up).
  std::size_t queued() const override { return queued_.load() + posted_.load(); }

 private:
  void on_accept(beast::error_code ec);
  void do_read();
  void on_read(beast::error_code ec, std::size_t);
  void do_write();
  void on_write(beast::error_code ec, std::size_t);
  void closed();

  HttpServer::Impl& srv_;
  websocket::stream<Stream> ws_;
  net::strand<net::thread_pool::executor_type> worker_strand_;
  beast::flat_buffer buffer_;
  std::deque<std::string> queue_;
  bool closing_ = false;
  bool opened_ = false;
  std::atomic<bool> closed_notified_{false};
  std::atomic<std::size_t> queued_{0};  // queue_.size() as other threads may read it
  std::atomic<std::size_t> posted_{0};  // send() calls not yet run on the strand
  Principal principal_;
  std::shared_ptr<WsEndpoint> endpoint_;
  std::string target_, remote_;
};

template <class Stream>
WsSession<Stream>::WsSession(HttpServer::Impl& srv, Stream&& stream, Principal principal,
                             std::shared_ptr<WsEndpoint> endpoint, std::string target, std::string remote)
    : srv_(srv),
      ws_(std::move(stream)),
      worker_strand_(net::make_strand(srv.workers)),
      principal_(std::move(principal)),
      endpoint_(std::move(endpoint)),
      target_(std::move(target)),
      remote_(std::move(remote)) {
  srv_.services.metrics.connection_opened();
}

template <class Stream>
WsSession<Stream>::~WsSession() {
  srv_.services.metrics.connection_closed();
}

template <class Stream>
void WsSession<Stream>::run(http::request<http::string_body> req) {
  // The HTTP timeout would kill an idle socket; websocket pings (suggested server timeouts) detect dead links.
  beast::get_lowest_layer(ws_).expires_never();
  // Heartbeat both ways: the server pings an idle client at half the idle time and drops it if no pong.
  websocket::stream_base::timeout heartbeat{std::chrono::seconds(30),
                                            std::chrono::seconds(srv_.services.config.ws_idle_seconds), true};
  ws_.set_option(heartbeat);
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(http::field::server, "teledx"); }));
  ws_.read_message_max(kWsMessageLimit);
  ws_.async_accept(req, beast::bind_front_handler(&WsSession::on_accept, this->shared_from_this()));
}

template <class Stream>
void WsSession<Stream>::on_accept(beast::error_code ec) {
  if (ec) {
    if (!quiet_error(ec)) log::info("ws", "accept from " + remote_ + " failed: " + ec.message());
    return;
  }
  opened_ = true;
  net::post(worker_strand_, [self = this->shared_from_this()] { self->endpoint_->on_open(self); });
  do_read();
}

template <class Stream>
void WsSession<Stream>::do_read() {
  ws_.async_read(buffer_, beast::bind_front_handler(&WsSession::on_read, this->shared_from_this()));
}

template <class Stream>
void WsSession<Stream>::on_read(beast::error_code ec, std::size_t) {
  if (ec) {
    if (!quiet_error(ec) && ec != websocket::error::closed)
      log::info("ws", "connection from " + remote_ + " ended: " + ec.message());
    return closed();
  }
  std::string text = beast::buffers_to_string(buffer_.data());
  buffer_.consume(buffer_.size());
  net::post(worker_strand_,
            [self = this->shared_from_this(), text = std::move(text)] { self->endpoint_->on_message(self, text); });
  do_read();
}

template <class Stream>
void WsSession<Stream>::closed() {
  if (!opened_ || closed_notified_.exchange(true)) return;
  net::post(worker_strand_, [self = this->shared_from_this()] { self->endpoint_->on_close(self); });
}

template <class Stream>
void WsSession<Stream>::send(std::string text) {
  ++posted_;
  net::post(ws_.get_executor(), [self = this->shared_from_this(), text = std::move(text)]() mutable {
    --self->posted_;
    if (self->closing_) return;
    if (self->queue_.size() >= static_cast<std::size_t>(self->srv_.services.config.ws_queue_limit)) {
      log::warn("ws", "client " + self->principal_.user.username + " at " + self->remote_ +
                          " is too slow; closing so it resyncs from its cursor");
      self->closing_ = true;
      self->ws_.async_close(websocket::close_reason(websocket::close_code::try_again_later, "resync"),
                            [self](beast::error_code) { self->closed(); });
      return;
    }
    self->queue_.push_back(std::move(text));
    self->queued_ = self->queue_.size();
    if (self->queue_.size() == 1) self->do_write();
  });
}

template <class Stream>
void WsSession<Stream>::do_write() {
  ws_.text(true);
  ws_.async_write(net::buffer(queue_.front()), beast::bind_front_handler(&WsSession::on_write, this->shared_from_this()));
}

template <class Stream>
void WsSession<Stream>::on_write(beast::error_code ec, std::size_t) {
  if (ec) {
    queue_.clear();
    queued_ = 0;
    return closed();
  }
  if (!queue_.empty()) queue_.pop_front();
  queued_ = queue_.size();
  if (!queue_.empty() && !closing_) do_write();
}

template <class Stream>
void WsSession<Stream>::close(const std::string& reason) {
  net::post(ws_.get_executor(), [self = this->shared_from_this(), reason] {
    if (self->closing_) return;
    self->closing_ = true;
    self->ws_.async_close(websocket::close_reason(websocket::close_code::normal, reason),
                          [self](beast::error_code) { self->closed(); });
  });
}

}  // namespace teledx::server
