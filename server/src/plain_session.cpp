// PlainSession, the HttpSession over TCP, and start_plain_session(). Its own translation unit: each stream's Beast
// session (HTTP and websocket) is the slowest code in the project to compile, and the plain and TLS ones build side
// by side this way.
#include <memory>
#include <string>

#include "beast_util.hpp"
#include "http_server_impl.hpp"
#include "http_session.hpp"

namespace teledx::server {

class PlainSession : public HttpSession<PlainSession>, public std::enable_shared_from_this<PlainSession> {
 public:
  PlainSession(HttpServer::Impl& srv, tcp::socket&& socket, std::string remote)
      : HttpSession(srv, std::move(remote)), stream_(std::move(socket)) {}
  beast::tcp_stream& stream() { return stream_; }
  void run() { net::dispatch(stream_.get_executor(), beast::bind_front_handler(&PlainSession::do_read, shared_from_this())); }
  void do_eof() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

 private:
  friend class HttpSession<PlainSession>;
  beast::tcp_stream stream_;
};

void start_plain_session(HttpServer::Impl& srv, tcp::socket&& socket, std::string remote) {
  std::make_shared<PlainSession>(srv, std::move(socket), std::move(remote))->run();
}

}  // namespace teledx::server
