// The only translation unit that instantiates Beast (it is slow to compile): listeners, HTTP and HTTPS
// sessions, and the hand-off of every request to the worker pool. Route code never sees Beast types.
#include "teledx/server/http_server.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <chrono>
#include <future>
#include <optional>
#include <thread>

#include "teledx/core/ids.hpp"
#include "teledx/core/log.hpp"

namespace teledx::server {
namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;

namespace {
constexpr std::size_t kHeaderLimit = 16 * 1024;
constexpr auto kShutdownGrace = std::chrono::seconds(20);

bool quiet_error(const beast::error_code& ec) {
  return ec == net::error::operation_aborted || ec == beast::error::timeout || ec == net::error::eof ||
         ec == net::error::connection_reset || ec == http::error::end_of_stream || ec == ssl::error::stream_truncated;
}
}  // namespace

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

// Shared by the plain and TLS sessions (CRTP, as in Beast's advanced_server_flex example).
template <class Derived>
class HttpSession {
 public:
  HttpSession(HttpServer::Impl& srv, std::string remote) : srv_(srv), remote_(std::move(remote)) {
    srv_.services.metrics.connection_opened();
  }
  ~HttpSession() { srv_.services.metrics.connection_closed(); }

 protected:
  Derived& derived() { return static_cast<Derived&>(*this); }

  void do_read() {
    if (srv_.stopping) return derived().do_eof();
    header_parser_.emplace();
    header_parser_->header_limit(kHeaderLimit);
    beast::get_lowest_layer(derived().stream()).expires_after(srv_.timeout());
    http::async_read_header(derived().stream(), buffer_, *header_parser_,
                            beast::bind_front_handler(&HttpSession::on_header, derived().shared_from_this()));
  }

  void on_header(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream) return derived().do_eof();
    if (ec) {
      if (ec == http::error::header_limit)
        return reply_early(make_error(ErrorCode::PayloadTooLarge, "The request headers are too large."));
      if (!quiet_error(ec) && ec.category() == http::make_error_code(http::error::bad_target).category())
        return reply_early(make_error(ErrorCode::BadRequest, "The request is not valid HTTP."));
      return;
    }
    const auto& h = header_parser_->get();
    started_ = std::chrono::steady_clock::now();
    req_ = HttpRequest{};
    req_.method = std::string(h.method_string());
    req_.target = std::string(h.target());
    req_.remote = remote_;
    req_.request_id = random_hex(8);
    for (const auto& f : h) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req_.headers.emplace_back(std::move(name), std::string(f.value()));
    }
    keep_alive_ = h.keep_alive();
    if (!parse_target(req_.target, req_.path, req_.query))
      return reply_early(make_error(ErrorCode::BadRequest, "The request URL is malformed."));
    match_ = srv_.router.match(req_.method, req_.path);
    if (!match_.route) {
      if (match_.method_mismatch)
        return reply_early(make_error(ErrorCode::MethodNotAllowed, "This method is not allowed on " + req_.path + "."));
      return reply_early(make_error(ErrorCode::NotFound, "There is no such resource: " + req_.path + "."));
    }
    const auto& spec = match_.route->spec;
    if (auto len = header_parser_->content_length(); len && *len > spec.body_limit)
      return reply_early(make_error(ErrorCode::PayloadTooLarge, "The request body is larger than the " +
                                                                    std::to_string(spec.body_limit) +
                                                                    " bytes this endpoint accepts."));
    beast::get_lowest_layer(derived().stream()).expires_after(spec.stream_body_to_file ? srv_.timeout() * 20
                                                                                        : srv_.timeout());
    if (spec.stream_body_to_file) {
      file_parser_.emplace(std::move(*header_parser_));
      file_parser_->body_limit(spec.body_limit);
      req_.body_file = srv_.services.files->new_temp_path();
      file_parser_->get().body().open(req_.body_file.c_str(), beast::file_mode::write, ec);
      if (ec) {
        req_.body_file.clear();
        return reply_early(make_error(ErrorCode::StorageFailure,
                                      "The server could not accept the upload: its storage is not writable.",
                                      ec.message()));
      }
      http::async_read(derived().stream(), buffer_, *file_parser_,
                       beast::bind_front_handler(&HttpSession::on_body, derived().shared_from_this()));
    } else {
      string_parser_.emplace(std::move(*header_parser_));
      string_parser_->body_limit(spec.body_limit);
      http::async_read(derived().stream(), buffer_, *string_parser_,
                       beast::bind_front_handler(&HttpSession::on_body, derived().shared_from_this()));
    }
  }

  void on_body(beast::error_code ec, std::size_t) {
    if (ec == http::error::body_limit)
      return reply_early(make_error(ErrorCode::PayloadTooLarge, "The request body is larger than this endpoint accepts."));
    if (ec) {
      discard_body_file();
      if (!quiet_error(ec)) log::warn("http", req_.request_id + " body read failed: " + ec.message());
      return;
    }
    if (string_parser_) {
      req_.body = std::move(string_parser_->get().body());
      string_parser_.reset();
    } else if (file_parser_) {
      file_parser_->get().body().close();
      file_parser_.reset();
    }
    // Handlers touch the database, the disk and DCMTK: never on an I/O thread.
    ++srv_.in_flight;
    net::post(srv_.workers, [self = derived().shared_from_this()] {
      HttpResponse res;
      try {
        res = self->srv_.router.dispatch(self->match_, self->req_, self->srv_.services);
      } catch (const std::exception& e) {
        log::error("http", self->req_.request_id + " unhandled: " + e.what());
        res = HttpResponse::error(make_error(ErrorCode::Internal, "Internal error; the request was not completed."));
      }
      self->discard_body_file();
      // Back to this connection's strand: the stream is only touched there.
      net::post(self->derived().stream().get_executor(),
                [self, res = std::move(res)]() mutable { self->send(std::move(res), false, true); });
    });
  }

  // Answers before (or instead of) reading the body; the connection closes since the body is unread.
  void reply_early(const Error& e) {
    discard_body_file();
    if (req_.request_id.empty()) req_.request_id = random_hex(8);
    if (started_ == std::chrono::steady_clock::time_point{}) started_ = std::chrono::steady_clock::now();
    log::info("http", req_.request_id + " " + req_.method + " " + req_.path + " -> " +
                          std::to_string(http_status(e.code)) + " " + std::string(error_code_name(e.code)));
    ++srv_.in_flight;
    send(HttpResponse::error(e), true, false);
  }

  void send(HttpResponse r, bool force_close, bool counted_dispatch) {
    (void)counted_dispatch;
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    srv_.services.metrics.observe(match_.route ? match_.route->spec.pattern : std::string("unmatched"),
                                  req_.method, r.status, secs);
    bool keep = keep_alive_ && !force_close && !srv_.stopping;
    auto fill = [&](auto& msg) {
      msg.set(http::field::server, "teledx");
      msg.set(http::field::content_type, r.content_type);
      msg.set("X-Request-Id", req_.request_id);
      if (req_.path.rfind("/api/", 0) == 0) msg.set(http::field::cache_control, "no-store");
      for (const auto& [k, v] : r.headers) msg.set(k, v);
      msg.keep_alive(keep);
    };
    beast::get_lowest_layer(derived().stream()).expires_after(srv_.timeout() * 10);
    if (!r.file.empty()) {
      beast::error_code ec;
      http::file_body::value_type body;
      body.open(r.file.c_str(), beast::file_mode::scan, ec);
      if (!ec) {
        auto msg = std::make_shared<http::response<http::file_body>>(
            std::piecewise_construct, std::make_tuple(std::move(body)), std::make_tuple(http::status(r.status), 11));
        fill(*msg);
        msg->prepare_payload();
        if (r.delete_file_after) remove_after_ = r.file;
        return write(msg);
      }
      r = HttpResponse::error(make_error(ErrorCode::NotFound, "The stored file could not be opened.", ec.message()));
    }
    auto msg = std::make_shared<http::response<http::string_body>>(http::status(r.status), 11);
    fill(*msg);
    msg->body() = std::move(r.body);
    msg->prepare_payload();
    write(msg);
  }

  template <class Msg>
  void write(std::shared_ptr<Msg> msg) {
    bool close = msg->need_eof();
    http::async_write(derived().stream(), *msg,
                      [self = derived().shared_from_this(), msg, close](beast::error_code ec, std::size_t) {
                        self->on_write(close, ec);
                      });
  }

  void on_write(bool close, beast::error_code ec) {
    --srv_.in_flight;
    if (!remove_after_.empty()) {
      std::error_code rm;
      std::filesystem::remove(remove_after_, rm);
      remove_after_.clear();
    }
    if (ec) {
      if (!quiet_error(ec)) log::warn("http", req_.request_id + " write failed: " + ec.message());
      return;
    }
    if (close) return derived().do_eof();
    do_read();
  }

  void discard_body_file() {
    if (req_.body_file.empty()) return;
    if (file_parser_) {
      beast::error_code ec;
      file_parser_->get().body().close();
      file_parser_.reset();
    }
    std::error_code rm;
    std::filesystem::remove(req_.body_file, rm);
    req_.body_file.clear();
  }

  HttpServer::Impl& srv_;
  std::string remote_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> header_parser_;
  std::optional<http::request_parser<http::string_body>> string_parser_;
  std::optional<http::request_parser<http::file_body>> file_parser_;
  HttpRequest req_;
  RouteMatch match_;
  bool keep_alive_ = false;
  std::filesystem::path remove_after_;
  std::chrono::steady_clock::time_point started_{};
};

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
      std::make_shared<TlsSession>(*this, std::move(socket), *tls, remote)->run();
    else
      std::make_shared<PlainSession>(*this, std::move(socket), remote)->run();
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
