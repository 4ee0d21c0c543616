#include "teledx/agent/state.hpp"

#include <algorithm>

namespace teledx::agent {
namespace {

constexpr const char* kSchema = R"SQL(
CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE results (
  task_id INTEGER NOT NULL, version INTEGER NOT NULL, seq INTEGER NOT NULL,
  json_path TEXT NOT NULL, text_path TEXT NOT NULL, written_ms INTEGER NOT NULL,
  hook_done INTEGER NOT NULL DEFAULT 0, acked_ms INTEGER NOT NULL DEFAULT 0, ack_note TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (task_id, version));
CREATE TABLE alerts (
  task_id INTEGER PRIMARY KEY, seq INTEGER NOT NULL, category TEXT NOT NULL, note TEXT NOT NULL,
  patient TEXT NOT NULL, raised_ms INTEGER NOT NULL, last_alert_ms INTEGER NOT NULL DEFAULT 0,
  confirm_name TEXT NOT NULL DEFAULT '', confirmed_ms INTEGER NOT NULL DEFAULT 0,
  cleared_ms INTEGER NOT NULL DEFAULT 0, cleared_by TEXT NOT NULL DEFAULT '');
CREATE TABLE uploads (
  path TEXT PRIMARY KEY, study_uid TEXT NOT NULL, sop_uid TEXT NOT NULL, size INTEGER NOT NULL,
  mtime_ms INTEGER NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
  next_try_ms INTEGER NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '');
CREATE INDEX uploads_study ON uploads (study_uid, state);
)SQL";

constexpr const char* kResultColumns =
    "task_id, version, seq, json_path, text_path, written_ms, hook_done, acked_ms, ack_note";
constexpr const char* kAlertColumns =
    "task_id, seq, category, note, patient, raised_ms, last_alert_ms, confirm_name, confirmed_ms, cleared_ms, cleared_by";
constexpr const char* kUploadColumns =
    "path, study_uid, sop_uid, size, mtime_ms, state, attempts, next_try_ms, last_error";

ResultRecord result_from(const db::Row& r) {
  return {r.integer(0), r.integer(1), r.integer(2), r.text(3), r.text(4), r.integer(5), r.integer(6) != 0,
          r.integer(7), r.text(8)};
}

AlertRecord alert_from(const db::Row& r) {
  return {r.integer(0), r.integer(1), r.text(2),    r.text(3),    r.text(4),   r.integer(5),
          r.integer(6), r.text(7),    r.integer(8), r.integer(9), r.text(10)};
}

UploadState upload_state_from(const std::string& s) {
  if (s == "sent") return UploadState::Sent;
  if (s == "rejected") return UploadState::Rejected;
  if (s == "done") return UploadState::Done;
  return UploadState::Pending;
}

UploadRecord upload_from(const db::Row& r) {
  return {r.text(0), r.text(1), r.text(2), r.integer(3), r.integer(4), upload_state_from(r.text(5)),
          static_cast<int>(r.integer(6)), r.integer(7), r.text(8)};
}

}  // namespace

std::string_view to_string(UploadState s) {
  switch (s) {
    case UploadState::Pending: return "pending";
    case UploadState::Sent: return "sent";
    case UploadState::Rejected: return "rejected";
    case UploadState::Done: return "done";
  }
  return "pending";
}

Result<std::unique_ptr<AgentState>> AgentState::open(const std::filesystem::path& state_dir) {
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  if (ec)
    return make_error(ErrorCode::StorageFailure,
                      "Cannot create the agent's state directory '" + state_dir.string() + "': " + ec.message());
  auto db = db::open_sqlite(state_dir / "agent.sqlite");
  if (!db.ok()) return db.error();
  auto applied = (*db)->migrate("agent", {{1, "agent state: cursor, results, alerts, uploads", kSchema}});
  if (!applied.ok()) return applied.error();
  return std::unique_ptr<AgentState>(new AgentState(std::move(*db)));
}

std::optional<std::string> AgentState::get(const std::string& key) const {
  auto rows = db_->query("SELECT value FROM kv WHERE key = ?", {key});
  if (!rows.ok() || rows->empty()) return std::nullopt;
  return rows->front().text(0);
}

Result<void> AgentState::set(const std::string& key, const std::string& value) {
  TELEDX_TRY(db_->exec("INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                       {key, value}));
  return ok();
}

std::int64_t AgentState::cursor() const {
  auto v = get("cursor");
  return v ? std::atoll(v->c_str()) : 0;
}

Result<void> AgentState::advance_cursor(std::int64_t seq) {
  TELEDX_TRY(db_->exec(
      "INSERT INTO kv (key, value) VALUES ('cursor', ?) ON CONFLICT (key) DO UPDATE SET value = "
      "CASE WHEN CAST(excluded.value AS INTEGER) > CAST(kv.value AS INTEGER) THEN excluded.value ELSE kv.value END",
      {std::to_string(seq)}));
  return ok();
}

std::optional<ResultRecord> AgentState::result(std::int64_t task_id, std::int64_t version) const {
  auto rows = db_->query(std::string("SELECT ") + kResultColumns + " FROM results WHERE task_id = ? AND version = ?",
                         {task_id, version});
  if (!rows.ok() || rows->empty()) return std::nullopt;
  return result_from(rows->front());
}

Result<void> AgentState::add_result(const ResultRecord& r) {
  TELEDX_TRY(db_->exec(std::string("INSERT INTO results (") + kResultColumns +
                           ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (task_id, version) DO NOTHING",
                       {r.task_id, r.version, r.seq, r.json_path, r.text_path, r.written_ms,
                        std::int64_t{r.hook_done ? 1 : 0}, r.acked_ms, r.ack_note}));
  return ok();
}

Result<void> AgentState::mark_hook_done(std::int64_t task_id, std::int64_t version) {
  TELEDX_TRY(db_->exec("UPDATE results SET hook_done = 1 WHERE task_id = ? AND version = ?", {task_id, version}));
  return ok();
}

Result<void> AgentState::mark_acked(std::int64_t task_id, std::int64_t version, std::int64_t now_ms,
                                    const std::string& note) {
  TELEDX_TRY(db_->exec("UPDATE results SET acked_ms = ?, ack_note = ? WHERE task_id = ? AND version = ? AND acked_ms = 0",
                       {now_ms, note, task_id, version}));
  return ok();
}

std::vector<ResultRecord> AgentState::results(bool unacked_only) const {
  auto rows = db_->query(std::string("SELECT ") + kResultColumns + " FROM results" +
                         (unacked_only ? " WHERE acked_ms = 0" : "") + " ORDER BY seq, task_id, version");
  std::vector<ResultRecord> out;
  if (rows.ok())
    for (const auto& r : *rows) out.push_back(result_from(r));
  return out;
}

Result<bool> AgentState::raise_alert(const AlertRecord& a) {
  auto n = db_->exec(std::string("INSERT INTO alerts (") + kAlertColumns +
                         ") VALUES (?, ?, ?, ?, ?, ?, 0, '', 0, 0, '') ON CONFLICT (task_id) DO NOTHING",
                     {a.task_id, a.seq, a.category, a.note, a.patient, a.raised_ms});
  TELEDX_TRY(n);
  return *n > 0;
}

std::optional<AlertRecord> AgentState::alert(std::int64_t task_id) const {
  auto rows = db_->query(std::string("SELECT ") + kAlertColumns + " FROM alerts WHERE task_id = ?", {task_id});
  if (!rows.ok() || rows->empty()) return std::nullopt;
  return alert_from(rows->front());
}

std::vector<AlertRecord> AgentState::open_alerts() const {
  auto rows = db_->query(std::string("SELECT ") + kAlertColumns + " FROM alerts WHERE cleared_ms = 0 ORDER BY raised_ms");
  std::vector<AlertRecord> out;
  if (rows.ok())
    for (const auto& r : *rows) out.push_back(alert_from(r));
  return out;
}

Result<void> AgentState::touch_alert(std::int64_t task_id, std::int64_t now_ms) {
  TELEDX_TRY(db_->exec("UPDATE alerts SET last_alert_ms = ? WHERE task_id = ?", {now_ms, task_id}));
  return ok();
}

Result<void> AgentState::request_confirmation(std::int64_t task_id, const std::string& name) {
  auto n = db_->exec("UPDATE alerts SET confirm_name = ? WHERE task_id = ? AND cleared_ms = 0", {name, task_id});
  TELEDX_TRY(n);
  if (*n == 0)
    return make_error(ErrorCode::NotFound, "There is no open critical-value alert for task " + std::to_string(task_id) + ".");
  return ok();
}

Result<void> AgentState::clear_alert(std::int64_t task_id, const std::string& by, std::int64_t now_ms,
                                     bool confirmed_here) {
  TELEDX_TRY(db_->exec(
      "UPDATE alerts SET cleared_ms = ?, cleared_by = ?, confirmed_ms = CASE WHEN ? = 1 THEN ? ELSE confirmed_ms END "
      "WHERE task_id = ? AND cleared_ms = 0",
      {now_ms, by, std::int64_t{confirmed_here ? 1 : 0}, now_ms, task_id}));
  return ok();
}

std::optional<UploadRecord> AgentState::upload(const std::string& path) const {
  auto rows = db_->query(std::string("SELECT ") + kUploadColumns + " FROM uploads WHERE path = ?", {path});
  if (!rows.ok() || rows->empty()) return std::nullopt;
  return upload_from(rows->front());
}

Result<void> AgentState::put_upload(const UploadRecord& u) {
  TELEDX_TRY(db_->exec(std::string("INSERT INTO uploads (") + kUploadColumns +
                           ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (path) DO UPDATE SET "
                           "study_uid = excluded.study_uid, sop_uid = excluded.sop_uid, size = excluded.size, "
                           "mtime_ms = excluded.mtime_ms, state = excluded.state, attempts = excluded.attempts, "
                           "next_try_ms = excluded.next_try_ms, last_error = excluded.last_error",
                       {u.path, u.study_uid, u.sop_uid, u.size, u.mtime_ms, std::string(to_string(u.state)),
                        std::int64_t{u.attempts}, u.next_try_ms, u.last_error}));
  return ok();
}

Result<void> AgentState::remove_upload(const std::string& path) {
  TELEDX_TRY(db_->exec("DELETE FROM uploads WHERE path = ?", {path}));
  return ok();
}

std::vector<UploadRecord> AgentState::uploads(std::optional<UploadState> state) const {
  auto rows = state ? db_->query(std::string("SELECT ") + kUploadColumns +
                                     " FROM uploads WHERE state = ? ORDER BY study_uid, path",
                                 {std::string(to_string(*state))})
                    : db_->query(std::string("SELECT ") + kUploadColumns + " FROM uploads ORDER BY study_uid, path");
  std::vector<UploadRecord> out;
  if (rows.ok())
    for (const auto& r : *rows) out.push_back(upload_from(r));
  return out;
}

}  // namespace teledx::agent
