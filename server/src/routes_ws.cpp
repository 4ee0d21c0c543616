// The websocket every signed-in browser and agent keeps open. It greets with who the server thinks the
// caller is, answers application-level pings (for clients that cannot see protocol pings, e.g. browsers),
// carries the real-time event stream and takes the clinic's acknowledgements. Protocol: docs/events.md.
#include <charconv>

#include "event_stream.hpp"
#include "routes.hpp"
#include "teledx/core/log.hpp"
#include "teledx/worklist/delivery.hpp"
#include "teledx/worklist/reports.hpp"

namespace teledx::server {
namespace {

using nlohmann::json;
using worklist::TaskAction;
using worklist::TaskState;

constexpr int kProtocolVersion = 1;

json error_reply(const json& req, std::string_view code, const std::string& message) {
  json j{{"type", "error"}, {"error", {{"code", code}, {"message", message}}}};
  if (req.is_object()) {
    if (req.contains("id")) j["id"] = req["id"];
    if (req.contains("type") && req["type"].is_string()) j["for"] = req["type"];
  }
  return j;
}

json error_reply(const json& req, const Error& e) { return error_reply(req, error_code_name(e.code), e.message); }

json ok_reply(const json& req, json fields) {
  fields["type"] = "ack_ok";
  fields["for"] = req["type"];
  if (req.contains("id")) fields["id"] = req["id"];
  return fields;
}

std::optional<std::int64_t> parse_int(std::string_view s) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

/// The value of one query parameter of the upgrade target ("/ws?since=42"), if present.
std::optional<std::string> query_value(const std::string& target, std::string_view name) {
  auto q = target.find('?');
  if (q == std::string::npos) return std::nullopt;
  std::string_view rest(target);
  rest.remove_prefix(q + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    auto item = rest.substr(0, amp);
    auto eq = item.find('=');
    if (item.substr(0, eq) == name) return std::string(eq == std::string_view::npos ? "" : item.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

/// An integer field of a client message, or nullopt when missing or not an integer.
std::optional<std::int64_t> int_field(const json& j, const char* name) {
  if (!j.contains(name) || !j[name].is_number_integer()) return std::nullopt;
  return j[name].get<std::int64_t>();
}

json task_state_json(const worklist::Task& t) {
  json j{{"task_id", t.id}, {"state", to_string(t.state)}};
  j["delivered_at"] = t.delivered_ms ? json(format_iso8601(t.delivered_ms)) : json(nullptr);
  j["acknowledged_at"] = t.acknowledged_ms ? json(format_iso8601(t.acknowledged_ms)) : json(nullptr);
  j["critical_pending"] = t.critical && !t.critical->acknowledged_by;
  return j;
}

class EventSocket final : public WsEndpoint {
 public:
  explicit EventSocket(EventHub& hub) : hub_(hub), s_(hub.services()) {}

  void on_open(const std::shared_ptr<WsConnection>& c) override {
    const auto& p = c->principal();
    c->send(json{{"type", "hello"},
                 {"user", p.user.username},
                 {"role", to_string(p.user.role)},
                 {"institution_id", p.institution.id},
                 {"protocol", kProtocolVersion},
                 {"head", hub_.head()}}
                .dump());
    if (auto since = query_value(c->target(), "since")) {
      auto n = parse_int(*since);
      if (!n || *n < 0) {
        c->send(error_reply(json{{"type", "subscribe"}}, "bad_request",
                            "'since' must be a sequence number (0 or more), not '" + *since + "'.")
                    .dump());
        return;
      }
      subscribe(c, json{{"type", "subscribe"}}, n);
    }
  }

  void on_message(const std::shared_ptr<WsConnection>& c, const std::string& text) override {
    auto j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("type") || !j["type"].is_string()) {
      c->send(error_reply(nullptr, "invalid_json", "Send JSON objects with a \"type\".").dump());
      return;
    }
    const std::string type = j["type"];
    try {
      if (type == "ping") {
        c->send(json{{"type", "pong"}, {"id", j.value("id", json())}}.dump());
      } else if (type == "subscribe") {
        std::optional<std::int64_t> since;
        if (j.contains("since") && !j["since"].is_null()) {
          since = int_field(j, "since");
          if (!since || *since < 0)
            return c->send(error_reply(j, "bad_request", "'since' must be a sequence number (0 or more).").dump());
        }
        subscribe(c, j, since);
      } else if (type == "ack") {
        on_ack(c, j);
      } else if (type == "ack_result") {
        on_ack_result(c, j);
      } else if (type == "ack_critical") {
        on_ack_critical(c, j);
      } else {
        c->send(error_reply(j, "bad_request", "Unknown message type '" + type + "'.").dump());
      }
    } catch (const std::exception& e) {
      log::error("ws", "message from " + c->principal().user.username + " failed: " + e.what());
      c->send(error_reply(j, "internal", "Internal error; the message was not processed.").dump());
    }
  }

  void on_close(const std::shared_ptr<WsConnection>& c) override { hub_.unsubscribe(c.get()); }

 private:
  // since: events after this; absent = after the user's acknowledged cursor, or from now on without one.
  void subscribe(const std::shared_ptr<WsConnection>& c, const json& req, std::optional<std::int64_t> since) {
    if (hub_.served(c.get())) {
      c->send(error_reply(req, "conflict", "This connection is already subscribed; reconnect to start over.").dump());
      return;
    }
    auto head = hub_.read_head();
    if (!head.ok()) {
      c->send(error_reply(req, head.error()).dump());
      return;
    }
    std::string from = "since";
    if (!since) {
      auto cursor = worklist::delivery_cursor(*s_.db, c->principal().user.id);
      if (cursor.ok() && *cursor) {
        since = (*cursor)->seq;
        from = "cursor";
      } else {
        since = *head;
        from = "now";
      }
    }
    if (*since > *head) {
      // A cursor from the future: forged, or from an index restored from backup. The client must reload its
      // state over the API and continue from the real head.
      c->send(json{{"type", "reset"},
                   {"seq", *head},
                   {"reason", "cursor_ahead"},
                   {"message", "The sequence number " + std::to_string(*since) +
                                   " is ahead of this server; reload your state and continue from " +
                                   std::to_string(*head) + "."}}
                  .dump());
      since = *head;
      from = "reset";
    }
    json reply{{"type", "subscribed"}, {"since", *since}, {"head", *head}, {"from", from}};
    if (req.contains("id")) reply["id"] = req["id"];
    c->send(reply.dump());
    hub_.subscribe(c, *since);
  }

  void on_ack(const std::shared_ptr<WsConnection>& c, const json& j) {
    auto seq = int_field(j, "seq");
    if (!seq || *seq < 0) return c->send(error_reply(j, "bad_request", "'seq' must be a sequence number.").dump());
    auto served = hub_.served(c.get());
    if (!served) return c->send(error_reply(j, "conflict", "Subscribe before acknowledging events.").dump());
    if (*seq > *served)
      return c->send(error_reply(j, "bad_request",
                                 "'seq' " + std::to_string(*seq) + " is beyond what this connection was sent (" +
                                     std::to_string(*served) + ").")
                         .dump());
    const auto& p = c->principal();
    auto stored = worklist::advance_delivery_cursor(*s_.db, p.user.id, p.institution.id, *seq, s_.clock.now_ms());
    if (!stored.ok()) return c->send(error_reply(j, stored.error()).dump());
    c->send(ok_reply(j, {{"seq", *stored}}).dump());
  }

  /// The task if the caller may see it; an error reply otherwise (another institution's task is "not found").
  std::optional<worklist::Task> visible(const std::shared_ptr<WsConnection>& c, const json& j) {
    const auto& p = c->principal();
    if (!is_clinic_role(p.user.role)) {
      c->send(error_reply(j, "forbidden", "Only the clinic's users acknowledge results.").dump());
      return std::nullopt;
    }
    auto id = int_field(j, "task_id");
    if (!id) {
      c->send(error_reply(j, "bad_request", "'task_id' is required (a number).").dump());
      return std::nullopt;
    }
    auto t = s_.tasks->get(*id);
    if (!t.ok() || !worklist::TaskStore::may_view(worklist::Actor::from(p), *t)) {
      c->send(error_reply(j, "not_found", "There is no reading task " + std::to_string(*id) + ".").dump());
      return std::nullopt;
    }
    return std::move(*t);
  }

  // Receipt (delivered) and, unless the client asks only for delivery, acknowledgement of the latest version.
  // Repeating it is harmless: a task already delivered or acknowledged answers ack_ok with its state.
  void on_ack_result(const std::shared_ptr<WsConnection>& c, const json& j) {
    auto t = visible(c, j);
    if (!t) return;
    auto version = int_field(j, "version");
    if (!version) return c->send(error_reply(j, "bad_request", "'version' is required (the report version).").dump());
    const std::string stage = j.value("stage", "acknowledged");
    if (stage != "delivered" && stage != "acknowledged")
      return c->send(error_reply(j, "bad_request", "'stage' is delivered or acknowledged.").dump());
    auto versions = worklist::Reports(*s_.tasks).versions(t->id);
    if (!versions.ok()) return c->send(error_reply(j, versions.error()).dump());
    const std::int64_t latest = versions->empty() ? 0 : versions->back().version;
    if (*version < 1 || *version > latest)
      return c->send(error_reply(j, "bad_request",
                                 "Task " + std::to_string(t->id) + " has no signed report version " +
                                     std::to_string(*version) + ".")
                         .dump());
    if (*version < latest) {
      // A newer version is on its way to the client; only that one moves the timeline.
      json r = task_state_json(*t);
      r["version"] = *version;
      r["stale"] = true;
      return c->send(ok_reply(j, r).dump());
    }
    const auto actor = worklist::Actor::from(c->principal(), c->remote());
    worklist::Task cur = *t;
    if (cur.state == TaskState::Signed || cur.state == TaskState::Amended) {
      auto moved = s_.tasks->transition(cur.id, TaskAction::MarkDelivered, actor, "websocket v" + std::to_string(*version));
      if (!moved.ok() && moved.error().code != ErrorCode::Conflict)
        return c->send(error_reply(j, moved.error()).dump());
      if (auto again = s_.tasks->get(cur.id); again.ok()) cur = *again;  // a concurrent move may have won
    }
    // A pending critical value needs a person's read-back (ack_critical); receipt alone does not close it.
    const bool critical_pending = cur.critical && !cur.critical->acknowledged_by;
    if (stage == "acknowledged" && cur.state == TaskState::Delivered && !critical_pending) {
      auto moved = s_.tasks->transition(cur.id, TaskAction::Acknowledge, actor);
      if (!moved.ok() && moved.error().code != ErrorCode::Conflict)
        return c->send(error_reply(j, moved.error()).dump());
      if (auto again = s_.tasks->get(cur.id); again.ok()) cur = *again;
    }
    json r = task_state_json(cur);
    r["version"] = *version;
    c->send(ok_reply(j, r).dump());
  }

  // A person at the clinic confirmed the critical value; "name" is who took it (read-back).
  void on_ack_critical(const std::shared_ptr<WsConnection>& c, const json& j) {
    auto t = visible(c, j);
    if (!t) return;
    std::string name = j.contains("name") && j["name"].is_string() ? j["name"].get<std::string>() : "";
    if (name.find_first_not_of(" \t\r\n") == std::string::npos)
      return c->send(
          error_reply(j, "bad_request", "'name' is required: the person who received the critical value.").dump());
    if (!t->critical) return c->send(error_reply(j, "conflict", "This exam has no critical value.").dump());
    const auto actor = worklist::Actor::from(c->principal(), c->remote());
    worklist::Task cur = *t;
    bool already = cur.critical->acknowledged_by.has_value();
    if (!already) {
      auto done = worklist::Reports(*s_.tasks).acknowledge_critical(cur.id, name, actor);
      if (!done.ok()) {
        auto again = s_.tasks->get(cur.id);
        // Lost a race with another acknowledgement (the browser): that one stands.
        if (done.error().code != ErrorCode::Conflict || !again.ok() || !again->critical ||
            !again->critical->acknowledged_by)
          return c->send(error_reply(j, done.error()).dump());
        already = true;
        cur = *again;
      } else {
        cur = *done;  // audited with the change (worklist module)
      }
    }
    if (cur.state == TaskState::Delivered) {
      auto moved = s_.tasks->transition(cur.id, TaskAction::Acknowledge, actor);
      if (moved.ok()) cur = *moved;
    }
    json r = task_state_json(cur);
    r["already"] = already;
    r["acknowledged_name"] = cur.critical ? cur.critical->acknowledged_name : "";
    c->send(ok_reply(j, r).dump());
  }

  EventHub& hub_;
  Services& s_;
};

}  // namespace

void add_websocket_routes(Router& router, EventHub& hub) {
  router.add_websocket({.method = "GET", .pattern = "/ws", .body_limit = 0}, std::make_shared<EventSocket>(hub));
}

}  // namespace teledx::server
