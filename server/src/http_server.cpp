// The only translation unit that instantiates Beast (it is slow to compile): listeners, HTTP and HTTPS
// sessions, and the hand-off of every request to the worker pool. Route code never sees Beast types.
#include "teledx/server/http_server.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <deque>

#include <chrono>
#include <future>
#include <limits>
#include <optional>
#include <thread>

#include "teledx/core/ids.hpp"
#include "teledx/core/log.hpp"
#include "teledx/server/multipart_stream.hpp"
#include "multipart.hpp"

namespace teledx::server {
namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

namespace {
constexpr std::size_t kHeaderLimit = 16 * 1024;
constexpr auto kShutdownGrace = std::chrono::seconds(20);
constexpr std::size_t kWsMessageLimit = 64 * 1024;   // largest message a client may send
constexpr std::size_t kStreamPiece = 1 << 20;        // a generated body goes out 1 MiB at a time

constexpr std::size_t kMaxSpooledParts = 20000;    // instances in one STOW-RS request

// A Beast body that hands the bytes to a MultipartSpooler as they arrive (routes with RouteSpec::part_file).
struct MultipartSpoolBody {
  using value_type = std::unique_ptr<MultipartSpooler>;
  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(http::header<isRequest, Fields>&, value_type& body) : body_(body) {}
    void init(const boost::optional<std::uint64_t>&, beast::error_code& ec) { ec = {}; }
    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, beast::error_code& ec) {
      std::size_t n = 0;
      for (const auto b : beast::buffers_range_ref(buffers)) {
        if (!body_->feed({static_cast<const char*>(b.data()), b.size()})) {
          ec = beast::errc::make_error_code(beast::errc::invalid_argument);
          return n;
        }
        n += b.size();
      }
      ec = {};
      return n;
    }
    void finish(beast::error_code& ec) {
      ec = body_->finish() ? beast::error_code{} : beast::errc::make_error_code(beast::errc::invalid_argument);
    }

   private:
    value_type& body_;
  };
};

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

class TlsSession;

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
    // No limit at this stage (Beast's default is 1 MiB): the route's own limit is applied in on_header.
    // Not boost::none: Beast 1.74 compares the content length against the empty optional and refuses it.
    header_parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
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
    req_.tls = std::is_same_v<Derived, TlsSession>;
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
    // curl and many HTTP libraries announce large bodies with "Expect: 100-continue" and wait up to a second
    // for the go-ahead; the size check above has passed, so give it at once.
    if (beast::iequals(h[http::field::expect], "100-continue")) {
      static constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
      return net::async_write(derived().stream(), net::buffer(kContinue, sizeof kContinue - 1),
                              [self = derived().shared_from_this()](beast::error_code wec, std::size_t) {
                                if (wec) return;  // the client went away; nothing to answer
                                self->read_body();
                              });
    }
    read_body();
  }

  void read_body() {
    beast::error_code ec;
    const auto& spec = match_.route->spec;
    const std::string content_type(header_parser_->get()[http::field::content_type]);
    const auto boundary = spec.part_file && content_type.rfind("multipart/", 0) == 0
                              ? content_type_param(content_type, "boundary")
                              : std::nullopt;
    if (boundary) {
      buffer_.reserve(64 * 1024);
      parts_parser_.emplace(std::move(*header_parser_));
      parts_parser_->body_limit(spec.body_limit);
      parts_parser_->get().body() = std::make_unique<MultipartSpooler>(
          *boundary, [this, &spec] { return spec.part_file(srv_.services); }, kMaxSpooledParts);
      http::async_read(derived().stream(), buffer_, *parts_parser_,
                       beast::bind_front_handler(&HttpSession::on_body, derived().shared_from_this()));
    } else if (spec.stream_body_to_file) {
      // Beast reads as much as the buffer's free capacity (up to 64 KiB): left at the few KiB the header
      // needed, a 150 MB upload would take tens of thousands of reads and crawl at ~70 MB/s.
      buffer_.reserve(64 * 1024);
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
    if (ec && parts_parser_ && !parts_parser_->get().body()->error().empty())
      return reply_early(make_error(ErrorCode::BadRequest, parts_parser_->get().body()->error()));
    if (ec) {
      discard_body_file();
      if (!quiet_error(ec)) log::warn("http", req_.request_id + " body read failed: " + ec.message());
      return;
    }
    if (match_.route->websocket) return upgrade();
    if (string_parser_) {
      req_.body = std::move(string_parser_->get().body());
      string_parser_.reset();
    } else if (file_parser_) {
      file_parser_->get().body().close();
      file_parser_.reset();
    } else if (parts_parser_) {
      req_.parts.emplace();
      for (auto& p : parts_parser_->get().body()->parts())
        req_.parts->push_back({std::move(p.content_type), p.size, p.write_failed, std::move(p.file)});
      parts_parser_.reset();
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

  // Authenticates on the worker pool (a database read), then hands the stream to a websocket session.
  void upgrade() {
    if (!websocket::is_upgrade(string_parser_->get()))
      return reply_early(make_error(ErrorCode::BadRequest, "This endpoint is a websocket: connect with an Upgrade request."));
    ++srv_.in_flight;
    net::post(srv_.workers, [self = derived().shared_from_this()] {
      auto auth = self->srv_.router.authorize(self->match_, self->req_, self->srv_.services);
      net::post(self->derived().stream().get_executor(), [self, auth = std::move(auth)]() mutable {
        if (auto* res = std::get_if<HttpResponse>(&auth)) return self->send(std::move(*res), true, true);
        --self->srv_.in_flight;
        auto& principal = std::get<std::optional<Principal>>(auth);
        log::info("http", self->req_.request_id + " websocket " + self->req_.path + " opened" +
                              (principal ? " user=" + principal->user.username : std::string()));
        using S = std::decay_t<decltype(self->derived().stream())>;
        auto ws = std::make_shared<WsSession<S>>(self->srv_, std::move(self->derived().stream()),
                                                 principal.value_or(Principal{}), self->match_.route->websocket,
                                                 self->req_.target, self->remote_);
        ws->run(self->string_parser_->release());
      });
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
    if (r.stream) {
      auto msg = std::make_shared<http::response<http::empty_body>>(http::status(r.status), 11);
      fill(*msg);
      msg->content_length(r.stream->length);
      auto sr = std::make_shared<http::response_serializer<http::empty_body>>(*msg);
      const bool close = msg->need_eof();
      return http::async_write_header(
          derived().stream(), *sr,
          [self = derived().shared_from_this(), msg, sr, body = std::move(r.stream), close](beast::error_code ec,
                                                                                           std::size_t) mutable {
            if (ec) return self->on_write(close, ec);
            self->pump(std::move(body), std::make_shared<std::vector<char>>(kStreamPiece), 0, close);
          });
    }
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

  // One piece of a generated body: made on the worker pool, written from this connection's strand, then the
  // next. The timeout restarts per piece, so a long download is not cut while a slow one still is.
  void pump(std::shared_ptr<BodyStream> body, std::shared_ptr<std::vector<char>> buf, std::uint64_t sent, bool close) {
    net::post(srv_.workers, [self = derived().shared_from_this(), body = std::move(body), buf = std::move(buf), sent,
                             close]() mutable {
      auto n = body->next(buf->data(), buf->size());
      net::post(self->derived().stream().get_executor(), [self, body = std::move(body), buf = std::move(buf), sent,
                                                          close, n = std::move(n)]() mutable {
        if (!n.ok() || (*n == 0 && sent != body->length) || sent + (n.ok() ? *n : 0) > body->length) {
          log::warn("http", self->req_.request_id + " generated body failed after " + std::to_string(sent) + " of " +
                                std::to_string(body->length) + " bytes" +
                                (n.ok() ? std::string(": wrong length")
                                      : ": " + n.error().message + " (" + n.error().detail + ")"));
          return self->on_write(true, net::error::operation_aborted);  // closes: the client sees a truncated body
        }
        if (*n == 0) return self->on_write(close, {});
        beast::get_lowest_layer(self->derived().stream()).expires_after(self->srv_.timeout());
        auto piece = net::buffer(buf->data(), *n);
        net::async_write(self->derived().stream(), piece,
                         [self, body = std::move(body), buf, sent = sent + *n, close](beast::error_code ec,
                                                                                       std::size_t) mutable {
                           if (ec) return self->on_write(true, ec);
                           self->pump(std::move(body), std::move(buf), sent, close);
                         });
      });
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
    if (parts_parser_) {
      // Read failed or refused early: every part written so far goes.
      if (auto& spooler = parts_parser_->get().body()) spooler->discard();
      parts_parser_.reset();
    }
    if (req_.parts) {
      // Parts the handler did not take (refused, or never reached the handler).
      for (const auto& p : *req_.parts) {
        std::error_code rm;
        if (!p.file.empty()) std::filesystem::remove(p.file, rm);
      }
      req_.parts.reset();
    }
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
  std::optional<http::request_parser<MultipartSpoolBody>> parts_parser_;
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
