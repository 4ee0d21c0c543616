#include "event_stream.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <limits>
#include <utility>

#include "teledx/core/log.hpp"
#include "teledx/worklist/delivery.hpp"
#include "teledx/worklist/reports.hpp"
#include "worklist_http.hpp"

namespace teledx::server {

using nlohmann::json;

namespace {

constexpr std::int64_t kPollPage = 1000;       // outbox rows read per query when following the head
constexpr std::int64_t kCheckpointGap = 500;   // filtered-out progress after which a live client gets "synced"

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// Clinic-side view: what happened to the exam, not who at the center did it or how it is managed inside.
bool clinic_sees(const worklist::OutboxEvent& e, const json& payload) {
  if (e.type == "task.created" || e.type == "task.study_updated" || e.type == "report.signed" ||
      e.type == "critical.marked" || e.type == "critical.acknowledged")
    return true;
  if (!starts_with(e.type, "task.")) return false;  // sla.*, critical.escalation*: the center's business
  // Other task moves only when the exam's state changed (claim, release, sign, return, delivery...).
  return payload.is_object() && payload.contains("from") && payload.contains("to") && payload["from"] != payload["to"];
}

json exam_json(const worklist::Task& t) {
  return {{"study_uid", t.study_uid},
          {"accession", t.accession},
          {"kind", to_string(t.kind)},
          {"modality", t.modality},
          {"body_part", t.body_part},
          {"description", t.description},
          {"priority", to_string(t.priority)},
          {"reason", t.request.reason},
          {"patient",
           {{"name", t.patient.name}, {"id", t.patient.id}, {"sex", t.patient.sex}, {"birth_date", t.patient.birth_date}}}};
}

}  // namespace

Audience audience_of(Role role, std::int64_t institution_id, const worklist::OutboxEvent& e) {
  if (is_reader_role(role) && institution_id == e.center_id) return Audience::Staff;
  if (is_clinic_role(role) && institution_id == e.clinic_id) return Audience::Clinic;
  return Audience::None;
}

struct EventHub::Entry {
  worklist::OutboxEvent ev;
  // Rendered lazily on the registry thread, once per audience.
  std::optional<json> data;
  bool clinic_visible = false;
  std::string staff_text, clinic_text;
};

struct EventHub::Subscriber {
  std::weak_ptr<WsConnection> conn;
  std::int64_t user_id = 0, institution_id = 0;
  Role role = Role::ClinicTech;
  std::string username;
  std::atomic<std::int64_t> served{0};  // read by acknowledgement checks on worker threads
  // Registry thread only:
  bool live = false;
  std::int64_t last_told = 0;  // last seq the client was sent (event or "synced")
  std::int64_t checkpoint_gap = kCheckpointGap;
};

EventHub::EventHub(Services& s, StreamOptions o) : s_(s), opt_(o) {
  // Replay must never trip the send-queue limit: at most watermark + page messages are queued at once.
  const auto limit = static_cast<std::size_t>(std::max(8, s.config.ws_queue_limit));
  opt_.replay_watermark = std::max<std::size_t>(1, std::min(opt_.replay_watermark, limit / 4));
  opt_.replay_page = std::max<std::int64_t>(1, std::min<std::int64_t>(opt_.replay_page, static_cast<std::int64_t>(limit / 2)));
}

EventHub::~EventHub() { stop(); }

Result<std::int64_t> EventHub::read_head() const { return worklist::outbox_head(*s_.db); }

Result<void> EventHub::start() {
  auto head = read_head();
  if (!head.ok()) return head.error();
  head_ = *head;
  ring_floor_ = *head;
  // Every commit in this process that writes an event wakes the registry at once (most events are written here);
  // the timed poll catches commits made elsewhere. Polling for commits instead (a stat of the write-ahead log every
  // millisecond) cost an idle server 4% of a core; waking on every commit, ingest's index rows included, cost a
  // C-STORE burst 3% of the server's CPU in reading an outbox that had not changed.
  s_.db->set_commit_listener(
      [this] {
        {
          std::lock_guard lock(mutex_);
          committed_ = true;
        }
        cv_.notify_all();
      },
      {worklist::kOutboxTable});
  thread_ = std::thread([this] { run(); });
  return {};
}

void EventHub::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  s_.db->set_commit_listener({});  // not under mutex_: a commit in progress holds the listener and wants mutex_
  if (thread_.joinable()) thread_.join();
  std::unordered_map<const WsConnection*, std::shared_ptr<Subscriber>> subs;
  {
    std::lock_guard lock(mutex_);
    subs.swap(subs_);
  }
  for (auto& [key, sub] : subs)
    if (auto c = sub->conn.lock()) c->close("server_stopping");
}

void EventHub::subscribe(const std::shared_ptr<WsConnection>& c, std::int64_t since) {
  auto sub = std::make_shared<Subscriber>();
  const auto& p = c->principal();
  sub->conn = c;
  sub->user_id = p.user.id;
  sub->institution_id = p.institution.id;
  sub->role = p.user.role;
  sub->username = p.user.username;
  sub->served = since;
  sub->last_told = since;
  // Spread over [gap, 2 gap): connections that subscribed together (every agent after a server restart) would
  // otherwise all get their "synced" on the same event, thousands of messages in one burst delaying real events.
  sub->checkpoint_gap = kCheckpointGap + static_cast<std::int64_t>(std::hash<const void*>{}(c.get()) >> 4) % kCheckpointGap;
  {
    std::lock_guard lock(mutex_);
    subs_[c.get()] = std::move(sub);
    wake_ = true;
  }
  cv_.notify_all();
}

void EventHub::unsubscribe(const WsConnection* c) {
  std::lock_guard lock(mutex_);
  subs_.erase(c);
}

std::optional<std::int64_t> EventHub::served(const WsConnection* c) const {
  std::lock_guard lock(mutex_);
  auto it = subs_.find(c);
  if (it == subs_.end()) return std::nullopt;
  return it->second->served.load();
}

void EventHub::run() {
  using Clock = std::chrono::steady_clock;
  auto last_auth = Clock::now();
  auto last_poll = Clock::time_point{};
  bool catching_up = false;  // some subscriber is still replaying (registry thread only)
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    const bool woken = std::exchange(wake_, false);  // a new subscriber
    const bool committed = std::exchange(committed_, false);
    lock.unlock();
    const auto now = Clock::now();
    bool advanced = false;
    const std::int64_t prev_head = head_.load();
    // A new subscriber read the head from the index just before: the registry must have seen at least that much
    // before it tells the subscriber it is live ("synced").
    if (woken || committed || now - last_poll >= std::chrono::milliseconds(opt_.poll_ms)) {
      advanced = poll_outbox();
      last_poll = now;
    }
    if (now - last_auth >= std::chrono::milliseconds(opt_.auth_refresh_ms)) {
      refresh_accounts();
      last_auth = Clock::now();
    }
    bool more = false;
    // Idle live subscribers cost nothing: with thousands of connections, walking all of them on every tick (and not
    // only when the head moved) was the registry's main cost.
    if (advanced || woken || catching_up) {
      std::vector<std::shared_ptr<Subscriber>> subs;
      {
        std::lock_guard snapshot(mutex_);
        subs.reserve(subs_.size());
        for (const auto& [key, sub] : subs_) subs.push_back(sub);
      }
      catching_up = false;
      // Most subscribers belong to institutions the new events do not concern (thousands of clinics, one event):
      // they only move their cursor, without touching their connection or copying events.
      const auto touched = advanced ? touched_since(prev_head) : std::nullopt;
      for (auto& sub : subs) {
        if (!advanced && !woken && sub->live) continue;
        if (touched && skip_unconcerned(*sub, prev_head, *touched)) continue;
        more |= serve(*sub);
        catching_up |= !sub->live;
      }
    }
    lock.lock();
    // A connection still catching up is served again soon; its pace is set by its send queue draining.
    const auto idle = more ? std::chrono::milliseconds(1) : std::chrono::milliseconds(opt_.poll_ms);
    cv_.wait_for(lock, idle, [this] { return stopping_ || wake_ || committed_; });
  }
}

bool EventHub::poll_outbox() {
  const std::int64_t before = head_.load();
  for (;;) {
    auto rows = s_.tasks->outbox_after(head_.load(), kPollPage);
    if (!rows.ok()) {
      log::error("events", "reading the outbox failed: " + rows.error().message + " " + rows.error().detail);
      return head_.load() != before;
    }
    for (auto& ev : *rows) {
      auto e = std::make_shared<Entry>();
      e->ev = std::move(ev);
      head_ = e->ev.seq;
      ring_.push_back(std::move(e));
      while (ring_.size() > opt_.ring_capacity) {
        ring_floor_ = ring_.front()->ev.seq;
        ring_.pop_front();
      }
    }
    if (static_cast<std::int64_t>(rows->size()) < kPollPage) return head_.load() != before;
  }
}

std::vector<std::shared_ptr<EventHub::Entry>> EventHub::from_ring(std::int64_t after, std::int64_t limit) const {
  std::vector<std::shared_ptr<Entry>> out;
  auto it = std::upper_bound(ring_.begin(), ring_.end(), after,
                             [](std::int64_t seq, const std::shared_ptr<Entry>& e) { return seq < e->ev.seq; });
  for (; it != ring_.end() && static_cast<std::int64_t>(out.size()) < limit; ++it) out.push_back(*it);
  return out;
}

std::optional<std::vector<std::int64_t>> EventHub::touched_since(std::int64_t after) const {
  if (after < ring_floor_) return std::nullopt;
  std::vector<std::int64_t> ids;
  for (const auto& e : from_ring(after, std::numeric_limits<std::int64_t>::max())) {
    ids.push_back(e->ev.center_id);
    ids.push_back(e->ev.clinic_id);
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

bool EventHub::skip_unconcerned(Subscriber& sub, std::int64_t prev_head, const std::vector<std::int64_t>& touched) {
  // Only a live subscriber that was exactly at the previous head: anyone else has older events to look at.
  if (!sub.live || sub.served.load() != prev_head) return false;
  if (std::binary_search(touched.begin(), touched.end(), sub.institution_id)) return false;
  const std::int64_t head = head_.load();
  sub.served = head;
  if (head - sub.last_told >= sub.checkpoint_gap) {
    auto conn = sub.conn.lock();
    if (!conn) return false;  // gone: serve() unsubscribes it
    sub.last_told = head;
    conn->send(json{{"type", "synced"}, {"seq", head}}.dump());
  }
  return true;
}

bool EventHub::serve(Subscriber& sub) {
  auto conn = sub.conn.lock();
  if (!conn) {
    unsubscribe_expired(sub);
    return false;
  }
  const std::int64_t head = head_.load();
  std::int64_t served = sub.served.load();
  const bool catching_up = !sub.live;
  if (served < head) {
    // Replay is paced: the next page goes out only once the client has drained most of the previous one, so
    // a long replay never trips the send-queue limit meant for clients that stall while live.
    if (catching_up && conn->queued() >= opt_.replay_watermark) return false;
    const std::int64_t limit = catching_up ? opt_.replay_page : std::numeric_limits<std::int64_t>::max();
    std::vector<std::shared_ptr<Entry>> events;
    if (served >= ring_floor_) {
      events = from_ring(served, limit);
    } else {
      // Older than the in-memory ring: read a page from the index.
      auto rows = s_.tasks->outbox_after(served, std::min<std::int64_t>(limit, 1000));
      if (!rows.ok()) {
        log::error("events", "replay for " + sub.username + " failed: " + rows.error().detail);
        return false;
      }
      for (auto& ev : *rows) {
        auto e = std::make_shared<Entry>();
        e->ev = std::move(ev);
        events.push_back(std::move(e));
      }
    }
    if (events.empty()) return false;
    send_events(sub, *conn, events);
    served = sub.served.load();
  }
  if (served >= head && !sub.live) {
    sub.live = true;
    sub.last_told = served;
    conn->send(json{{"type", "synced"}, {"seq", served}}.dump());
  } else if (sub.live && served - sub.last_told >= sub.checkpoint_gap) {
    // Progress made only of other institutions' events: let the client move its cursor anyway.
    sub.last_told = served;
    conn->send(json{{"type", "synced"}, {"seq", served}}.dump());
  }
  return !sub.live && served < head_.load();
}

void EventHub::send_events(Subscriber& sub, WsConnection& conn, const std::vector<std::shared_ptr<Entry>>& events) {
  for (const auto& e : events) {
    const Audience a = audience_of(sub.role, sub.institution_id, e->ev);
    // Served means "sent or not for this user": the cursor passes filtered events too. Stored before the send,
    // so an acknowledgement of this event (checked against it on a worker thread) can never arrive first.
    sub.served = e->ev.seq;
    if (a != Audience::None) {
      const std::string& text = text_for(*e, a);
      if (!text.empty()) {
        conn.send(text);
        sub.last_told = e->ev.seq;
      }
    }
  }
}

const std::string& EventHub::text_for(Entry& e, Audience a) {
  if (!e.data) {
    auto payload = json::parse(e.ev.payload, nullptr, false);
    if (payload.is_discarded() || !payload.is_object()) payload = json::object();
    e.clinic_visible = clinic_sees(e.ev, payload);
    // Signed reports and critical values travel complete, so a client can file them without another request.
    if (e.ev.type == "report.signed" || e.ev.type == "critical.marked") {
      if (auto t = s_.tasks->get(e.ev.task_id); t.ok()) payload["exam"] = exam_json(*t);
      if (e.ev.type == "report.signed") {
        auto versions = worklist::Reports(*s_.tasks).versions(e.ev.task_id);
        const auto wanted = payload.value("version", std::int64_t{0});
        if (versions.ok())
          for (const auto& v : *versions)
            if (v.version == wanted) payload["report"] = wl::to_json(v);
      }
    }
    e.data = std::move(payload);
  }
  auto render = [&](const json& data) {
    return json{{"type", "event"},
                {"seq", e.ev.seq},
                {"event", e.ev.type},
                {"at", format_iso8601(e.ev.at_ms)},
                {"task_id", e.ev.task_id},
                {"center_id", e.ev.center_id},
                {"clinic_id", e.ev.clinic_id},
                {"data", data}}
        .dump(-1, ' ', false, json::error_handler_t::replace);
  };
  if (a == Audience::Staff) {
    if (e.staff_text.empty()) e.staff_text = render(*e.data);
    return e.staff_text;
  }
  static const std::string none;
  if (!e.clinic_visible) return none;
  if (e.clinic_text.empty()) {
    json data = *e.data;
    for (const char* k : {"actor_id", "actor", "assignee_id"}) data.erase(k);
    if (e.ev.type != "task.return_to_clinic" && e.ev.type != "critical.marked") data.erase("note");
    e.clinic_text = render(data);
  }
  return e.clinic_text;
}

void EventHub::unsubscribe_expired(const Subscriber& sub) {
  std::lock_guard lock(mutex_);
  for (auto it = subs_.begin(); it != subs_.end(); ++it)
    if (it->second.get() == &sub) {
      subs_.erase(it);
      return;
    }
}

void EventHub::refresh_accounts() {
  auto users = s_.consortium->users();
  if (!users.ok()) return;
  std::unordered_map<std::int64_t, User> by_id;
  for (auto& u : *users) by_id.emplace(u.id, std::move(u));
  std::vector<std::shared_ptr<WsConnection>> to_close;
  {
    std::lock_guard lock(mutex_);
    for (auto it = subs_.begin(); it != subs_.end();) {
      auto u = by_id.find(it->second->user_id);
      // A deactivated account, or one moved to another institution or role, no longer sees this stream.
      if (u == by_id.end() || !u->second.active || u->second.institution_id != it->second->institution_id ||
          u->second.role != it->second->role) {
        if (auto c = it->second->conn.lock()) to_close.push_back(std::move(c));
        log::info("events", "closing the stream of " + it->second->username + ": the account changed");
        it = subs_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& c : to_close) c->close("reauthenticate");
}

}  // namespace teledx::server
