#pragma once
// HttpSession, the request cycle the plain and TLS sessions share; only plain_session.cpp and tls_session.cpp
// include it.
#include <cctype>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <type_traits>
#include <variant>
#include <vector>

#include "beast_util.hpp"
#include "http_server_impl.hpp"
#include "multipart.hpp"
#include "multipart_spool_body.hpp"
#include "teledx/core/error.hpp"
#include "teledx/core/ids.hpp"
#include "teledx/core/log.hpp"
#include "teledx/server/http.hpp"
#include "teledx/server/multipart_stream.hpp"
#include "teledx/server/router.hpp"
#include "ws_session.hpp"

namespace teledx::server {

inline constexpr std::size_t kHeaderLimit = 16 * 1024;
inline constexpr std::size_t kStreamPiece = 1 << 20;  // a generated body goes out 1 MiB at a time
inline constexpr std::size_t kMaxSpooledParts = 20000;  // instances in one STOW-RS request

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

}  // namespace teledx::server
