// TlsSession, the HttpSession over TLS, and start_tls_session(); its own translation unit, as plain_session.cpp.
#include <chrono>
#include <memory>
#include <string>

#include <boost/beast/ssl.hpp>

#include "beast_util.hpp"
#include "http_server_impl.hpp"
#include "http_session.hpp"
#include "teledx/core/log.hpp"

namespace teledx::server {

class TlsSession : public HttpSession<TlsSession>, public std::enable_shared_from_this<TlsSession> {
 public:
  TlsSession(HttpServer::Impl& srv, tcp::socket&& socket, ssl::context& ctx, std::string remote)
      : HttpSession(srv, std::move(remote)), stream_(std::move(socket), ctx) {}
  beast::ssl_stream<beast::tcp_stream>& stream() { return stream_; }
  void run() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      beast::get_lowest_layer(self->stream_).expires_after(std::chrono::seconds(30));
      self->stream_.async_handshake(ssl::stream_base::server,
                                    beast::bind_front_handler(&TlsSession::on_handshake, self));
    });
  }
  void on_handshake(beast::error_code ec) {
    if (ec) {
      if (!quiet_error(ec)) log::info("http", "TLS handshake from " + remote_ + " failed: " + ec.message());
      return;
    }
    do_read();
  }
  void do_eof() {
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(10));
    stream_.async_shutdown([self = shared_from_this()](beast::error_code) {});
  }

 private:
  friend class HttpSession<TlsSession>;
  beast::ssl_stream<beast::tcp_stream> stream_;
};

void start_tls_session(HttpServer::Impl& srv, tcp::socket&& socket, ssl::context& ctx, std::string remote) {
  std::make_shared<TlsSession>(srv, std::move(socket), ctx, std::move(remote))->run();
}

}  // namespace teledx::server
