#include "task_rows.hpp"

#include <stdexcept>

namespace teledx::worklist::detail {

using nlohmann::json;

const char* const kTaskColumns =
    "t.id, t.study_uid, t.clinic_id, t.center_id, t.kind, t.priority, t.state, t.reason, t.history, "
    "t.patient_name, t.patient_id, t.patient_sex, t.patient_birth_date, t.patient_age, t.patient_national_id, "
    "t.modality, t.body_part, t.description, t.accession, t.assignee_id, t.assignee_name, t.lease_expires_ms, "
    "t.deadline_ms, t.warn_ms, t.machine_flags, t.updated, t.submitted_by, t.return_reason, "
    "t.critical_category, t.critical_note, t.critical_marked_ms, t.critical_marked_by, t.critical_ack_by, "
    "t.critical_ack_name, t.critical_ack_ms, t.quality_grade, t.quality_reasons, t.quality_comment, "
    "t.quality_by, t.quality_ms, t.received_ms, t.created_ms, t.claimed_ms, t.signed_ms, t.delivered_ms, "
    "t.acknowledged_ms, t.updated_ms, t.row_version, t.technician_id, t.technician_name, t.sla_paused_ms";

namespace {

template <class E>
E require(std::optional<E> v, const std::string& text) {
  if (!v) throw std::runtime_error("worklist index holds an invalid value '" + text + "'");
  return *v;
}

std::optional<std::int64_t> opt_int(const db::Row& r, std::size_t i) {
  if (r.is_null(i)) return std::nullopt;
  return r.integer(i);
}

db::Value opt_value(const std::optional<std::int64_t>& v) {
  return v ? db::Value{*v} : db::Value{nullptr};
}

std::vector<std::string> split_csv(const std::string& s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    auto j = s.find(',', i);
    if (j == std::string::npos) j = s.size();
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::string join_csv(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

}  // namespace

Task task_from_row(const db::Row& r) {
  Task t;
  t.id = r.integer(0);
  t.study_uid = r.text(1);
  t.clinic_id = r.integer(2);
  t.center_id = r.integer(3);
  t.kind = require(task_kind_from(r.text(4)), r.text(4));
  t.priority = static_cast<Priority>(std::clamp<std::int64_t>(r.integer(5), 0, 2));
  t.state = require(task_state_from(r.text(6)), r.text(6));
  t.request = {r.text(7), r.text(8), t.priority};
  t.patient = {r.text(9), r.text(10), r.text(11), r.text(12), r.text(13), r.text(14)};
  t.modality = r.text(15);
  t.body_part = r.text(16);
  t.description = r.text(17);
  t.accession = r.text(18);
  t.assignee_id = opt_int(r, 19);
  t.assignee_name = r.text(20);
  t.lease_expires_ms = r.integer(21);
  t.deadline_ms = r.integer(22);
  t.warn_ms = r.integer(23);
  t.machine_flags = r.text(24);
  t.updated = r.integer(25) != 0;
  t.submitted_by = opt_int(r, 26);
  t.return_reason = r.text(27);
  if (!r.is_null(30)) {
    CriticalValue c;
    c.category = r.text(28);
    c.note = r.text(29);
    c.marked_ms = r.integer(30);
    c.marked_by = r.integer(31);
    c.acknowledged_by = opt_int(r, 32);
    c.acknowledged_name = r.text(33);
    c.acknowledged_ms = r.integer(34);
    t.critical = std::move(c);
  }
  if (!r.is_null(35)) t.quality = QualityGrade{r.text(35), split_csv(r.text(36)), r.text(37), r.integer(38), r.integer(39)};
  t.received_ms = r.integer(40);
  t.created_ms = r.integer(41);
  t.claimed_ms = r.integer(42);
  t.signed_ms = r.integer(43);
  t.delivered_ms = r.integer(44);
  t.acknowledged_ms = r.integer(45);
  t.updated_ms = r.integer(46);
  t.row_version = r.integer(47);
  t.technician_id = opt_int(r, 48);
  t.technician_name = r.text(49);
  t.sla_paused_ms = r.integer(50);
  return t;
}

Result<std::optional<Task>> load_task(db::Txn& txn, std::int64_t id) {
  auto rows = txn.query(std::string("SELECT ") + kTaskColumns + " FROM reading_tasks t WHERE t.id = ?", {id});
  TELEDX_TRY(rows);
  if (rows->empty()) return std::optional<Task>{};
  return std::optional<Task>{task_from_row(rows->front())};
}

Result<Task> require_task(db::Txn& txn, std::int64_t id) {
  auto t = load_task(txn, id);
  TELEDX_TRY(t);
  if (!*t) return make_error(ErrorCode::NotFound, "There is no reading task " + std::to_string(id) + ".");
  return std::move(**t);
}

json settings_to_json(const CenterSettings& s) {
  json sla = json::object();
  for (auto k : {TaskKind::Imaging, TaskKind::Ecg}) {
    json row = json::object();
    for (auto p : {Priority::Stat, Priority::Urgent, Priority::Routine}) row[std::string(to_string(p))] = s.sla_for(k, p);
    sla[std::string(to_string(k))] = row;
  }
  return {{"sla_minutes", sla},
          {"lease_minutes", s.lease_minutes},
          {"fairness", to_string(s.fairness)},
          {"two_level_signing", s.two_level_signing},
          {"warn_percent", s.warn_percent},
          {"critical_escalation_minutes", s.critical_escalation_minutes},
          {"utc_offset_minutes", s.utc_offset_minutes}};
}

Result<CenterSettings> settings_from_json(const json& j, const CenterSettings& base) {
  CenterSettings s = base;
  const auto bad = [](std::string m) { return make_error(ErrorCode::BadRequest, std::move(m)); };
  const auto read_int = [&](const json& obj, const char* key, int lo, int hi, int& out) -> Result<void> {
    if (!obj.contains(key)) return ok();
    if (!obj[key].is_number_integer() || obj[key].get<std::int64_t>() < lo || obj[key].get<std::int64_t>() > hi)
      return bad(std::string("'") + key + "' must be a whole number from " + std::to_string(lo) + " to " +
                 std::to_string(hi) + ".");
    out = obj[key].get<int>();
    return ok();
  };
  if (!j.is_object()) return bad("Settings must be a JSON object.");
  if (j.contains("sla_minutes")) {
    const auto& sla = j["sla_minutes"];
    if (!sla.is_object()) return bad("'sla_minutes' must be an object such as {\"ecg\": {\"stat\": 10}}.");
    for (auto k : {TaskKind::Imaging, TaskKind::Ecg}) {
      auto kn = std::string(to_string(k));
      if (!sla.contains(kn)) continue;
      if (!sla[kn].is_object()) return bad("'sla_minutes." + kn + "' must be an object.");
      for (auto p : {Priority::Stat, Priority::Urgent, Priority::Routine}) {
        auto pn = std::string(to_string(p));
        TELEDX_TRY(read_int(sla[kn], pn.c_str(), 1, 10080, s.sla_minutes[static_cast<int>(k)][static_cast<int>(p)]));
      }
    }
  }
  TELEDX_TRY(read_int(j, "lease_minutes", 1, 1440, s.lease_minutes));
  TELEDX_TRY(read_int(j, "warn_percent", 10, 99, s.warn_percent));
  TELEDX_TRY(read_int(j, "utc_offset_minutes", -720, 840, s.utc_offset_minutes));
  if (j.contains("fairness")) {
    auto f = j["fairness"].is_string() ? fairness_from(j["fairness"].get<std::string>()) : std::nullopt;
    if (!f) return bad("'fairness' must be top_of_queue, priority_band or off.");
    s.fairness = *f;
  }
  if (j.contains("two_level_signing")) {
    if (!j["two_level_signing"].is_boolean()) return bad("'two_level_signing' must be true or false.");
    s.two_level_signing = j["two_level_signing"];
  }
  if (j.contains("critical_escalation_minutes")) {
    const auto& e = j["critical_escalation_minutes"];
    if (!e.is_array() || e.size() != 2 || !e[0].is_number_integer() || !e[1].is_number_integer() ||
        e[0].get<int>() < 1 || e[1].get<int>() <= e[0].get<int>() || e[1].get<int>() > 1440)
      return bad("'critical_escalation_minutes' must be two increasing minute counts, e.g. [10, 20].");
    s.critical_escalation_minutes = {e[0].get<int>(), e[1].get<int>()};
  }
  return s;
}

Result<CenterSettings> load_settings(db::Txn& txn, std::int64_t center_id) {
  auto rows = txn.query("SELECT body FROM center_settings WHERE center_id = ?", {center_id});
  TELEDX_TRY(rows);
  if (rows->empty()) return CenterSettings{};
  auto j = json::parse(rows->front().text(0), nullptr, false);
  auto s = settings_from_json(j);
  if (!s.ok()) throw std::runtime_error("worklist index holds invalid settings of center " + std::to_string(center_id));
  return s;
}

Result<std::int64_t> next_id(db::Txn& txn, const char* table, const char* column) {
  auto rows = txn.query(std::string("SELECT COALESCE(MAX(") + column + "), 0) + 1 FROM " + table);
  TELEDX_TRY(rows);
  return rows->front().integer(0);
}

Result<void> save_task(db::Txn& txn, const Task& before, Task& after) {
  db::Params p{static_cast<std::int64_t>(after.priority),
               std::string(to_string(after.state)),
               opt_value(after.assignee_id),
               after.assignee_name,
               after.lease_expires_ms,
               after.deadline_ms,
               after.warn_ms,
               after.machine_flags,
               std::int64_t{after.updated ? 1 : 0},
               opt_value(after.submitted_by),
               after.return_reason};
  if (after.critical) {
    const auto& c = *after.critical;
    p.insert(p.end(), {c.category, c.note, c.marked_ms, c.marked_by, opt_value(c.acknowledged_by),
                       c.acknowledged_name, c.acknowledged_by ? db::Value{c.acknowledged_ms} : db::Value{nullptr}});
  } else {
    p.insert(p.end(), {nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr});
  }
  if (after.quality) {
    const auto& q = *after.quality;
    p.insert(p.end(), {q.grade, join_csv(q.reasons), q.comment, q.graded_by, q.graded_ms});
  } else {
    p.insert(p.end(), {nullptr, nullptr, nullptr, nullptr, nullptr});
  }
  p.insert(p.end(), {after.claimed_ms, after.signed_ms, after.delivered_ms, after.acknowledged_ms, after.updated_ms,
                     opt_value(after.technician_id), after.technician_name, after.sla_paused_ms, before.id, before.row_version, std::string(to_string(before.state))});
  // Conditional on the version and state read: a concurrent change makes this a no-op and a Conflict.
  auto changed = txn.exec(
      "UPDATE reading_tasks SET priority = ?, state = ?, assignee_id = ?, assignee_name = ?, lease_expires_ms = ?, "
      "deadline_ms = ?, warn_ms = ?, machine_flags = ?, updated = ?, submitted_by = ?, return_reason = ?, "
      "critical_category = ?, critical_note = ?, critical_marked_ms = ?, critical_marked_by = ?, "
      "critical_ack_by = ?, critical_ack_name = ?, critical_ack_ms = ?, quality_grade = ?, quality_reasons = ?, "
      "quality_comment = ?, quality_by = ?, quality_ms = ?, claimed_ms = ?, signed_ms = ?, delivered_ms = ?, "
      "acknowledged_ms = ?, updated_ms = ?, technician_id = ?, technician_name = ?, sla_paused_ms = ?, "
      "row_version = row_version + 1 "
      "WHERE id = ? AND row_version = ? AND state = ?",
      p);
  TELEDX_TRY(changed);
  if (*changed == 0)
    return make_error(ErrorCode::Conflict, "The task was changed by someone else a moment ago; reload it and retry.");
  after.row_version = before.row_version + 1;
  return ok();
}

Result<void> append_outbox(db::Txn& txn, const Task& t, const std::string& type, json payload, std::int64_t now_ms) {
  auto seq = next_id(txn, "outbox", "seq");
  TELEDX_TRY(seq);
  payload["task_id"] = t.id;
  payload["study_uid"] = t.study_uid;
  payload["state"] = to_string(t.state);
  payload["priority"] = to_string(t.priority);
  payload["deadline_ms"] = t.deadline_ms;
  payload["assignee_id"] = t.assignee_id ? json(*t.assignee_id) : json(nullptr);
  auto r = txn.exec(
      "INSERT INTO outbox (seq, stream, center_id, clinic_id, task_id, type, payload, at_ms) "
      "VALUES (?, 'worklist', ?, ?, ?, ?, ?, ?)",
      {*seq, t.center_id, t.clinic_id, t.id, type, payload.dump(-1, ' ', false, json::error_handler_t::replace),
       now_ms});
  TELEDX_TRY(r);
  return ok();
}

void set_deadline(Task& t, const CenterSettings& s) {
  const std::int64_t sla_ms = static_cast<std::int64_t>(s.sla_for(t.kind, t.priority)) * kMinute;
  const std::int64_t start = t.created_ms + t.sla_paused_ms;
  t.deadline_ms = start + sla_ms;
  t.warn_ms = start + sla_ms * s.warn_percent / 100;
}

Result<void> audit_task(db::Txn& txn, AuditLog& audit, const Actor& actor, const std::string& action,
                        std::int64_t task_id, const std::string& detail) {
  auto e = audit.append(txn, {actor.audit_name(), action, "task:" + std::to_string(task_id), actor.remote, detail});
  TELEDX_TRY(e);
  return ok();
}

Result<Task> apply(AuditLog& audit, db::Txn& txn, const Task& before, TaskAction action, const Actor& actor,
                   const CenterSettings& settings, const std::string& note, std::int64_t now_ms,
                   const std::function<void(Task&)>& change) {
  auto to = decide(facts_of(before, settings.two_level_signing), action, actor);
  TELEDX_TRY(to);
  Task after = before;
  after.state = *to;
  after.updated_ms = now_ms;
  const std::int64_t lease = now_ms + settings.lease_minutes * kMinute;
  const auto first = [&](std::int64_t& stage) {
    if (stage == 0) stage = now_ms;
  };
  switch (action) {
    case TaskAction::Claim:
      after.assignee_id = actor.user_id;
      after.assignee_name = actor.name;
      after.lease_expires_ms = lease;
      first(after.claimed_ms);
      break;
    case TaskAction::Assign:
      after.lease_expires_ms = lease;
      first(after.claimed_ms);
      break;
    case TaskAction::StartReport:
    case TaskAction::ReturnForRevision:
      after.lease_expires_ms = lease;
      after.submitted_by.reset();
      break;
    case TaskAction::Release:
    case TaskAction::ExpireLease:
    case TaskAction::Resume:
      after.assignee_id.reset();
      after.assignee_name.clear();
      after.lease_expires_ms = 0;
      if (action == TaskAction::Resume) after.return_reason.clear();
      break;
    case TaskAction::ReturnToClinic:
      after.assignee_id.reset();
      after.assignee_name.clear();
      after.lease_expires_ms = 0;
      after.return_reason = note;
      break;
    case TaskAction::SubmitForReview:
      after.submitted_by = actor.user_id;
      after.lease_expires_ms = 0;
      break;
    case TaskAction::Sign:
    case TaskAction::Approve:
      after.lease_expires_ms = 0;
      first(after.signed_ms);
      break;
    case TaskAction::MarkDelivered: first(after.delivered_ms); break;
    case TaskAction::Acknowledge: first(after.acknowledged_ms); break;
    case TaskAction::Amend: break;
  }
  if (action == TaskAction::Resume) {
    // The SLA clock stood still while the exam was back at the clinic: the deadline moves by that time.
    auto returned = txn.query(
        "SELECT MAX(at_ms) FROM task_events WHERE task_id = ? AND action = 'return_to_clinic'", {before.id});
    TELEDX_TRY(returned);
    if (!returned->empty() && !returned->front().is_null(0) && returned->front().integer(0) < now_ms) {
      after.sla_paused_ms += now_ms - returned->front().integer(0);
      set_deadline(after, settings);
    }
  }
  if (change) change(after);
  TELEDX_TRY(save_task(txn, before, after));
  if (after.deadline_ms != before.deadline_ms) {
    // Alerts already sent stay sent only while they still hold, so the new deadline re-arms its events.
    const std::int64_t holds = now_ms >= after.deadline_ms ? 2 : now_ms >= after.warn_ms ? 1 : 0;
    TELEDX_TRY(txn.exec("UPDATE reading_tasks SET sla_alert = CASE WHEN sla_alert < ? THEN sla_alert ELSE ? END "
                        "WHERE id = ?",
                        {holds, holds, after.id}));
  }

  auto seq = next_id(txn, "task_events", "seq");
  TELEDX_TRY(seq);
  auto ev = txn.exec(
      "INSERT INTO task_events (seq, task_id, action, from_state, to_state, actor_id, actor_name, at_ms, note) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {*seq, before.id, std::string(to_string(action)), std::string(to_string(before.state)),
       std::string(to_string(after.state)), actor.user_id, actor.name, now_ms, note});
  TELEDX_TRY(ev);
  TELEDX_TRY(append_outbox(txn, after, "task." + std::string(to_string(action)),
                           {{"action", to_string(action)},
                            {"from", to_string(before.state)},
                            {"to", to_string(after.state)},
                            {"actor_id", actor.user_id},
                            {"actor", actor.name},
                            {"note", note}},
                           now_ms));
  std::string detail = std::string(to_string(before.state)) + " -> " + std::string(to_string(after.state));
  if (!note.empty()) detail += ": " + note;
  TELEDX_TRY(audit_task(txn, audit, actor, std::string(to_string(action)), before.id, detail));
  return after;
}

}  // namespace teledx::worklist::detail
