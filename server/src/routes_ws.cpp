// The websocket every signed-in browser and agent keeps open. It greets with who the server thinks the
// caller is and answers application-level pings (for clients that cannot see protocol pings, e.g. browsers).
// The real-time event stream is layered on this connection.
#include "routes.hpp"
#include "teledx/core/log.hpp"

namespace teledx::server {
namespace {

class SessionSocket final : public WsEndpoint {
 public:
  void on_open(const std::shared_ptr<WsConnection>& c) override {
    const auto& p = c->principal();
    c->send(nlohmann::json{{"type", "hello"},
                           {"user", p.user.username},
                           {"role", to_string(p.user.role)},
                           {"institution_id", p.institution.id}}
                .dump());
  }
  void on_message(const std::shared_ptr<WsConnection>& c, const std::string& text) override {
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("type") || !j["type"].is_string()) {
      c->send(nlohmann::json{{"type", "error"},
                             {"error", {{"code", "invalid_json"}, {"message", "Send JSON objects with a \"type\"."}}}}
                  .dump());
      return;
    }
    if (j["type"] == "ping") {
      c->send(nlohmann::json{{"type", "pong"}, {"id", j.value("id", nlohmann::json())}}.dump());
      return;
    }
    c->send(nlohmann::json{{"type", "error"},
                           {"error", {{"code", "bad_request"}, {"message", "Unknown message type."}}}}
                .dump());
  }
  void on_close(const std::shared_ptr<WsConnection>&) override {}
};

}  // namespace

void add_websocket_routes(Router& router) {
  router.add_websocket({.method = "GET", .pattern = "/ws", .body_limit = 0}, std::make_shared<SessionSocket>());
}

}  // namespace teledx::server
