#pragma once
// The agent's one outbound websocket, on libwebsockets: connects (ws or wss) with the agent's bearer token,
// reconnects with jittered exponential back-off, pings a silent server and drops a link that stays silent.
// lws runs on its own service thread; other threads only queue messages and wake it (lws_cancel_service).
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "teledx/agent/config.hpp"

struct lws;
struct lws_context;

namespace teledx::agent {

class WsLink {
 public:
  struct Callbacks {
    std::function<std::string()> path;                   // request target at each connect, e.g. "/ws?since=42"
    std::function<std::string()> token;                  // bearer token at each connect
    std::function<void(std::uint64_t generation)> up;    // connected (a new generation per connection)
    std::function<void(std::uint64_t generation, std::string text)> message;
    std::function<void(std::uint64_t generation, std::string reason, int http_status)> down;
  };

  WsLink(const AgentConfig& cfg, ServerAddress server, Callbacks cb);
  ~WsLink();
  WsLink(const WsLink&) = delete;
  WsLink& operator=(const WsLink&) = delete;

  /// Starts the service thread, which connects at once. False when libwebsockets cannot start.
  bool start();
  void stop();
  /// Queues a text message for the current connection; false (dropped) when not connected or when the
  /// connection is no longer `generation`.
  bool send(std::uint64_t generation, std::string text);
  bool connected() const { return connected_; }
  /// Closes the current connection (it reconnects after the back-off).
  void drop();

  // Called from the C callback on the service thread.
  int on_event(lws* wsi, int reason, void* in, std::size_t len);
  void connect_now();

 private:
  void schedule_connect(std::int64_t delay_ms);
  std::int64_t next_backoff_ms();

  AgentConfig cfg_;
  ServerAddress server_;
  Callbacks cb_;
  lws_context* ctx_ = nullptr;
  lws* wsi_ = nullptr;  // service thread only
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> connected_{false};
  std::atomic<bool> drop_requested_{false};
  std::atomic<std::uint64_t> generation_{0};
  std::mutex mutex_;
  std::deque<std::string> out_;  // guarded by mutex_
  std::string rx_;               // a message being reassembled from fragments (service thread)
  std::string path_, token_, host_header_;  // kept alive for lws during a connection attempt
  std::string close_reason_;
  int attempts_ = 0;
  std::int64_t up_since_ms_ = 0;
  struct Timer;
  Timer* timer_ = nullptr;
};

}  // namespace teledx::agent
