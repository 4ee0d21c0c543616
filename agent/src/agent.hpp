#pragma once
// The running agent: one worker thread processes the server's messages in order (write results exactly once,
// raise and clear critical-value alerts, acknowledge), the websocket link runs on its lws thread, the uploader
// on its own. State that must survive a restart lives in AgentState.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "http_client.hpp"
#include "local_scp.hpp"
#include "teledx/agent/config.hpp"
#include "teledx/agent/state.hpp"
#include "uploader.hpp"
#include "ws_link.hpp"

namespace teledx::agent {

class Agent {
 public:
  explicit Agent(AgentConfig cfg);
  ~Agent();
  /// Opens the state, creates the folders, signs in if needed and starts the threads.
  Result<void> start();
  void stop();

 private:
  struct Item {
    enum class Kind { Up, Message, Down } kind = Kind::Message;
    std::uint64_t generation = 0;
    std::string text;
    int http_status = 0;
  };

  void push(Item item);
  void work();
  void handle(const Item& item);
  void on_message(const nlohmann::json& m);
  void on_event(const nlohmann::json& m);
  void on_ack_ok(const nlohmann::json& m);
  void on_error(const nlohmann::json& m);
  void deliver_result(const nlohmann::json& m);
  void raise_alert(const nlohmann::json& m);
  void clear_alert(std::int64_t task_id, const std::string& by, bool confirmed_here);
  void alert_round(std::int64_t now_ms);
  void send_ack_result(std::int64_t task_id, std::int64_t version);
  void processed(std::int64_t seq);
  void send(const nlohmann::json& m);
  void run_hooks_left_over();
  bool run_hook(const std::string& command, const std::vector<std::pair<std::string, std::string>>& env);
  Result<void> sign_in();
  std::string token() const;
  void set_status(const std::string& key, const std::string& value);

  AgentConfig cfg_;
  ServerAddress server_;
  std::unique_ptr<AgentState> state_;
  std::unique_ptr<HttpClient> http_;
  std::unique_ptr<WsLink> link_;
  std::unique_ptr<Uploader> uploader_;
  std::unique_ptr<LocalScp> scp_;

  mutable std::mutex token_mutex_;
  std::string token_;
  std::int64_t last_sign_in_ms_ = 0;

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Item> inbox_;
  bool stopping_ = false;
  std::thread worker_;

  // Worker thread only:
  std::uint64_t generation_ = 0;  // the connection whose messages count
  bool subscribed_ = false;
  std::set<std::int64_t> confirmations_sent_;  // critical values confirmed on this connection
  std::int64_t last_heartbeat_ms_ = 0;
};

}  // namespace teledx::agent
