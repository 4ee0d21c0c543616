#include "ws_link.hpp"

#include <libwebsockets.h>

#include <chrono>
#include <cstring>
#include <random>
#include <vector>

#include "teledx/core/log.hpp"

namespace teledx::agent {
namespace {

constexpr const char* kProtocol = "teledx-events";
constexpr std::int64_t kStableMs = 30'000;  // a link up this long resets the back-off

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int callback(lws* wsi, lws_callback_reasons reason, void* /*user*/, void* in, std::size_t len) {
  auto* self = static_cast<WsLink*>(lws_context_user(lws_get_context(wsi)));
  return self ? self->on_event(wsi, static_cast<int>(reason), in, len) : 0;
}

const lws_protocols kProtocols[] = {{kProtocol, callback, 0, 64 * 1024, 0, nullptr, 0},
                                    {nullptr, nullptr, 0, 0, 0, nullptr, 0}};

void lws_to_log(int level, const char* line) {
  std::string s(line);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  if (level & LLL_ERR) log::warn("lws", s);
  else log::debug("lws", s);
}

}  // namespace

// libwebsockets types kept out of the header.
struct WsLink::Timer {
  lws_sorted_usec_list_t sul{};  // first: the callback casts the sul back to the Timer; zeroed = unscheduled
  WsLink* self = nullptr;
  lws_retry_bo_t policy{};
  bool attempt_active = false;  // a connection attempt or connection exists (service thread)
};

WsLink::WsLink(const AgentConfig& cfg, ServerAddress server, Callbacks cb)
    : cfg_(cfg), server_(std::move(server)), cb_(std::move(cb)), timer_(new Timer()) {
  timer_->self = this;
  timer_->policy.secs_since_valid_ping = static_cast<std::uint16_t>(cfg_.ping_seconds);
  timer_->policy.secs_since_valid_hangup = static_cast<std::uint16_t>(cfg_.dead_seconds);
}

WsLink::~WsLink() {
  stop();
  delete timer_;
}

bool WsLink::start() {
  lws_set_log_level(LLL_ERR | LLL_WARN, lws_to_log);
  lws_context_creation_info info;
  std::memset(&info, 0, sizeof info);
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = kProtocols;
  info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
  info.user = this;
  if (!cfg_.ca_file.empty()) info.client_ssl_ca_filepath = cfg_.ca_file.c_str();
  ctx_ = lws_create_context(&info);
  if (!ctx_) return false;
  thread_ = std::thread([this] {
    schedule_connect(0);
    while (!stopping_) lws_service(ctx_, 0);
    // Destroying the context closes the connection; its callbacks see stopping_ and stay quiet.
    lws_context_destroy(ctx_);
    ctx_ = nullptr;
  });
  return true;
}

void WsLink::stop() {
  if (stopping_.exchange(true)) return;
  if (ctx_) lws_cancel_service(ctx_);
  if (thread_.joinable()) thread_.join();
}

bool WsLink::send(std::uint64_t generation, std::string text) {
  if (stopping_ || !connected_ || generation != generation_) return false;
  {
    std::lock_guard lock(mutex_);
    out_.push_back(std::move(text));
  }
  lws_cancel_service(ctx_);  // the service thread asks for a writeable callback
  return true;
}

void WsLink::drop() {
  if (stopping_) return;
  drop_requested_ = true;
  lws_cancel_service(ctx_);
}

void WsLink::schedule_connect(std::int64_t delay_ms) {
  lws_sul_schedule(ctx_, 0, &timer_->sul,
                   [](lws_sorted_usec_list_t* sul) { reinterpret_cast<Timer*>(sul)->self->connect_now(); },
                   delay_ms * LWS_US_PER_MS);
}

std::int64_t WsLink::next_backoff_ms() {
  // 1 s, 2 s, 4 s ... up to the ceiling, each drawn from [50 %, 100 %] so a restarted server is not hit by
  // every clinic at the same instant.
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const std::int64_t ceiling = std::int64_t{cfg_.reconnect_max_seconds} * 1000;
  const std::int64_t base = std::min<std::int64_t>(ceiling, std::int64_t{1000} << std::min(attempts_, 16));
  ++attempts_;
  return std::uniform_int_distribution<std::int64_t>(base / 2, base)(rng);
}

void WsLink::connect_now() {
  if (stopping_ || timer_->attempt_active) return;
  path_ = server_.prefix + cb_.path();
  token_ = cb_.token();
  const bool default_port = server_.port == (server_.tls ? 443 : 80);
  host_header_ = server_.host + (default_port ? "" : ":" + std::to_string(server_.port));
  close_reason_.clear();
  lws_client_connect_info i;
  std::memset(&i, 0, sizeof i);
  i.context = ctx_;
  i.address = server_.host.c_str();
  i.port = server_.port;
  i.path = path_.c_str();
  i.host = host_header_.c_str();
  i.origin = host_header_.c_str();
  if (server_.tls) {
    i.ssl_connection = LCCSCF_USE_SSL;
    if (cfg_.tls_insecure)
      i.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK | LCCSCF_ALLOW_EXPIRED;
  }
  // No subprotocol is requested (the server names none); the name only binds our callback.
  i.local_protocol_name = kProtocol;
  i.retry_and_idle_policy = &timer_->policy;
  i.pwsi = &wsi_;
  timer_->attempt_active = true;
  log::debug("link", "connecting to " + host_header_ + path_);
  if (!lws_client_connect_via_info(&i) && timer_->attempt_active) {
    timer_->attempt_active = false;
    wsi_ = nullptr;
    if (cb_.down) cb_.down(generation_, "the connection could not be started", 0);
    schedule_connect(next_backoff_ms());
  }
}

int WsLink::on_event(lws* wsi, int reason, void* in, std::size_t len) {
  auto link_down = [&](std::string why, int status) {
    if (!timer_->attempt_active) return;
    timer_->attempt_active = false;
    wsi_ = nullptr;
    const bool was_up = connected_.exchange(false);
    if (stopping_) return;
    if (was_up && now_ms() - up_since_ms_ >= kStableMs) attempts_ = 0;
    if (cb_.down) cb_.down(generation_, why, status);
    std::int64_t delay = next_backoff_ms();
    // Told to resync (we fell behind): come back at once, from our cursor.
    if (why == "resync") delay = 200 + delay % 500;
    schedule_connect(delay);
  };
  switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
      if (token_.empty()) break;
      auto** p = static_cast<unsigned char**>(in);
      unsigned char* end = *p + len;
      const std::string value = "Bearer " + token_;
      if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION,
                                       reinterpret_cast<const unsigned char*>(value.data()),
                                       static_cast<int>(value.size()), p, end))
        return -1;
      break;
    }
    case LWS_CALLBACK_CLIENT_ESTABLISHED: {
      wsi_ = wsi;
      rx_.clear();
      {
        std::lock_guard lock(mutex_);
        out_.clear();  // anything queued for an earlier connection is void
      }
      up_since_ms_ = now_ms();
      const auto gen = ++generation_;
      connected_ = true;
      log::info("link", "connected to " + host_header_);
      if (cb_.up) cb_.up(gen);
      break;
    }
    case LWS_CALLBACK_CLIENT_RECEIVE:
      rx_.append(static_cast<const char*>(in), len);
      if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0) {
        std::string msg;
        msg.swap(rx_);
        if (cb_.message) cb_.message(generation_, std::move(msg));
      }
      break;
    case LWS_CALLBACK_CLIENT_WRITEABLE: {
      if (drop_requested_.exchange(false)) {
        lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, reinterpret_cast<unsigned char*>(const_cast<char*>("bye")), 3);
        return -1;
      }
      std::string text;
      bool more = false;
      {
        std::lock_guard lock(mutex_);
        if (out_.empty()) break;
        text = std::move(out_.front());
        out_.pop_front();
        more = !out_.empty();
      }
      std::vector<unsigned char> buf(LWS_PRE + text.size());
      std::memcpy(buf.data() + LWS_PRE, text.data(), text.size());
      if (lws_write(wsi, buf.data() + LWS_PRE, text.size(), LWS_WRITE_TEXT) < static_cast<int>(text.size())) return -1;
      if (more) lws_callback_on_writable(wsi);
      break;
    }
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
      if (len > 2) close_reason_.assign(static_cast<const char*>(in) + 2, len - 2);
      break;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
      const int status = wsi ? static_cast<int>(lws_http_client_http_response(wsi)) : 0;
      link_down(in ? std::string(static_cast<const char*>(in)) : std::string("connection failed"), status);
      break;
    }
    case LWS_CALLBACK_CLIENT_CLOSED:
      link_down(close_reason_.empty() ? std::string("connection closed") : close_reason_, 0);
      break;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED: {
      if (stopping_ || !wsi_ || !connected_) break;
      bool pending = drop_requested_;
      {
        std::lock_guard lock(mutex_);
        pending |= !out_.empty();
      }
      if (pending) lws_callback_on_writable(wsi_);
      break;
    }
    default: break;
  }
  return 0;
}

}  // namespace teledx::agent
