// Task creation from completed studies, the content-free moves, claiming with leases and fairness, priority.
#include "teledx/worklist/task_store.hpp"

#include "task_rows.hpp"

namespace teledx::worklist {

using detail::kMinute;
using nlohmann::json;

namespace {

Error bad_request(std::string m) { return make_error(ErrorCode::BadRequest, std::move(m)); }

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

bool is_reader_of(const Actor& a, std::int64_t center_id) {
  return !a.system && is_reader_role(a.role) && a.institution_id == center_id;
}

/// Fairness: the first waiting task of the center, within the reader's subspecialty, that the rule says must
/// be taken before `t`; nullopt when `t` may be claimed.
Result<std::optional<Task>> better_waiting_task(db::Txn& txn, const Task& t, const Actor& reader,
                                                FairnessMode mode) {
  if (mode == FairnessMode::Off) return std::optional<Task>{};
  std::string sql = std::string("SELECT ") + detail::kTaskColumns +
                    " FROM reading_tasks t WHERE t.center_id = ? AND t.state = 'waiting' AND t.id <> ? AND ";
  db::Params p{t.center_id, t.id};
  if (mode == FairnessMode::PriorityBand) {
    sql += "t.priority < ?";
    p.emplace_back(static_cast<std::int64_t>(t.priority));
  } else {
    sql += "(t.priority < ? OR (t.priority = ? AND (t.deadline_ms < ? OR (t.deadline_ms = ? AND t.id < ?))))";
    p.insert(p.end(), {static_cast<std::int64_t>(t.priority), static_cast<std::int64_t>(t.priority), t.deadline_ms,
                       t.deadline_ms, t.id});
  }
  auto prof = txn.query("SELECT modalities, body_parts FROM reader_profiles WHERE user_id = ?", {reader.user_id});
  TELEDX_TRY(prof);
  if (!prof->empty()) {
    const auto add_in = [&](const std::string& csv, const char* column) {
      std::string list;
      std::size_t i = 0;
      while (i < csv.size()) {
        auto j = csv.find(',', i);
        if (j == std::string::npos) j = csv.size();
        if (j > i) {
          list += list.empty() ? "?" : ", ?";
          p.emplace_back(csv.substr(i, j - i));
        }
        i = j + 1;
      }
      if (!list.empty()) sql += std::string(" AND ") + column + " IN (" + list + ")";
    };
    add_in(prof->front().text(0), "t.modality");
    add_in(prof->front().text(1), "t.body_part");
  }
  sql += " ORDER BY t.priority, t.deadline_ms, t.id LIMIT 1";
  auto rows = txn.query(sql, p);
  TELEDX_TRY(rows);
  if (rows->empty()) return std::optional<Task>{};
  return std::optional<Task>{detail::task_from_row(rows->front())};
}

}  // namespace

std::string settings_to_json_text(const CenterSettings& s) { return detail::settings_to_json(s).dump(); }

Result<CenterSettings> settings_from_json_text(std::string_view text, const CenterSettings& base) {
  auto j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad_request("Settings must be a JSON object.");
  return detail::settings_from_json(j, base);
}

TaskStore::TaskStore(db::Database& db, const Clock& clock, const Consortium& consortium)
    : db_(db), clock_(clock), consortium_(consortium), audit_(db, clock) {}

Result<StudyOutcome> TaskStore::create_or_update_for_study(const StudyForReading& s) {
  if (s.study_uid.empty() || s.study_uid.size() > 64)
    return bad_request("A study needs a Study Instance UID of 1 to 64 characters.");
  if (s.clinic_id <= 0 || s.center_id <= 0) return bad_request("A study needs its clinic and its reading center.");
  const std::int64_t now = clock_.now_ms();
  return detail::write_value<StudyOutcome>(db_, [&](db::Txn& txn) -> Result<StudyOutcome> {
    auto settings = detail::load_settings(txn, s.center_id);
    TELEDX_TRY(settings);
    auto existing = txn.query(
        std::string("SELECT ") + detail::kTaskColumns + " FROM reading_tasks t WHERE t.study_uid = ? AND t.center_id = ?",
        {s.study_uid, s.center_id});
    TELEDX_TRY(existing);
    if (!existing->empty()) {
      Task before = detail::task_from_row(existing->front());
      if (before.state == TaskState::Returned) {
        auto r = detail::apply(audit_, txn, before, TaskAction::Resume, Actor::server(), *settings,
                               "the clinic sent the exam again", now, [](Task& t) { t.updated = true; });
        TELEDX_TRY(r);
        return StudyOutcome::Updated;
      }
      Task after = before;
      after.updated = true;
      after.updated_ms = now;
      if (after.technician_name.empty() && !s.technician_name.empty()) {
        after.technician_id = s.technician_id;
        after.technician_name = s.technician_name;
      }
      TELEDX_TRY(detail::save_task(txn, before, after));
      TELEDX_TRY(detail::append_outbox(txn, after, "task.study_updated", json::object(), now));
      return StudyOutcome::Updated;
    }
    Task t;
    auto id = detail::next_id(txn, "reading_tasks", "id");
    TELEDX_TRY(id);
    t.id = *id;
    t.study_uid = s.study_uid;
    t.clinic_id = s.clinic_id;
    t.center_id = s.center_id;
    t.kind = s.kind;
    t.priority = s.request.priority;
    t.created_ms = now;
    t.received_ms = s.received_ms > 0 ? s.received_ms : now;
    detail::set_deadline(t, *settings);
    auto ins = txn.exec(
        "INSERT INTO reading_tasks (id, study_uid, clinic_id, center_id, kind, priority, state, reason, history, "
        "patient_name, patient_id, patient_sex, patient_birth_date, patient_age, patient_national_id, modality, "
        "body_part, description, accession, deadline_ms, warn_ms, received_ms, created_ms, updated_ms, "
        "technician_id, technician_name) "
        "VALUES (?, ?, ?, ?, ?, ?, 'waiting', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {t.id, t.study_uid, t.clinic_id, t.center_id, std::string(to_string(t.kind)),
         static_cast<std::int64_t>(t.priority), s.request.reason, s.request.history, s.patient.name, s.patient.id,
         s.patient.sex, s.patient.birth_date, s.patient.age, s.patient.national_id, upper(s.modality),
         upper(s.body_part), s.description, s.accession, t.deadline_ms, t.warn_ms, t.received_ms, t.created_ms, now,
         s.technician_id ? db::Value{*s.technician_id} : db::Value{nullptr},
         s.technician_name.empty() ? std::string("unknown") : s.technician_name.substr(0, 200)});
    TELEDX_TRY(ins);
    TELEDX_TRY(detail::append_outbox(txn, t, "task.created", {{"kind", to_string(t.kind)}}, now));
    return StudyOutcome::Created;
  });
}

Result<Task> TaskStore::get(std::int64_t task_id) const {
  return detail::read_value<Task>(db_, [&](db::Txn& txn) { return detail::require_task(txn, task_id); });
}

std::optional<Task> TaskStore::find_by_study(std::string_view study_uid, std::int64_t center_id) const {
  auto rows = db_.query(
      std::string("SELECT ") + detail::kTaskColumns + " FROM reading_tasks t WHERE t.study_uid = ? AND t.center_id = ?",
      {std::string(study_uid), center_id});
  if (!rows.ok() || rows->empty()) return std::nullopt;
  return detail::task_from_row(rows->front());
}

Result<std::vector<TaskEvent>> TaskStore::events(std::int64_t task_id) const {
  auto rows = db_.query(
      "SELECT seq, task_id, action, from_state, to_state, actor_id, actor_name, at_ms, note FROM task_events "
      "WHERE task_id = ? ORDER BY seq",
      {task_id});
  TELEDX_TRY(rows);
  std::vector<TaskEvent> out;
  for (const auto& r : *rows) {
    TaskEvent e;
    e.seq = r.integer(0);
    e.task_id = r.integer(1);
    e.action = task_action_from(r.text(2)).value_or(TaskAction::Claim);
    e.from = task_state_from(r.text(3)).value_or(TaskState::Waiting);
    e.to = task_state_from(r.text(4)).value_or(TaskState::Waiting);
    e.actor_id = r.integer(5);
    e.actor_name = r.text(6);
    e.at_ms = r.integer(7);
    e.note = r.text(8);
    out.push_back(std::move(e));
  }
  return out;
}

Result<Task> TaskStore::transition(std::int64_t task_id, TaskAction action, const Actor& actor, std::string note) {
  switch (action) {
    case TaskAction::Release:
    case TaskAction::StartReport:
    case TaskAction::MarkDelivered:
    case TaskAction::Acknowledge:
    case TaskAction::ReturnToClinic:
    case TaskAction::Resume: break;
    default:
      return bad_request("The move '" + std::string(to_string(action)) +
                         "' has its own operation (claim, assign, or the report's sign/review/addendum).");
  }
  if (action == TaskAction::ReturnToClinic && note.find_first_not_of(" \t\r\n") == std::string::npos)
    return bad_request("Returning an exam to the clinic needs a reason the clinic can act on.");
  if (note.size() > 2000) return bad_request("The note is longer than 2000 characters.");
  const std::int64_t now = clock_.now_ms();
  return detail::write_value<Task>(db_, [&](db::Txn& txn) -> Result<Task> {
    auto t = detail::require_task(txn, task_id);
    TELEDX_TRY(t);
    auto settings = detail::load_settings(txn, t->center_id);
    TELEDX_TRY(settings);
    return detail::apply(audit_, txn, *t, action, actor, *settings, note, now, [&](Task& after) {
      // A clinic acknowledging a critical result also closes the critical-value loop, by name.
      if (action == TaskAction::Acknowledge && after.critical && !after.critical->acknowledged_by) {
        after.critical->acknowledged_by = actor.user_id;
        after.critical->acknowledged_name = actor.name;
        after.critical->acknowledged_ms = now;
      }
    });
  });
}

Result<Task> TaskStore::claim(std::int64_t task_id, const Actor& reader) {
  const std::int64_t now = clock_.now_ms();
  return detail::write_value<Task>(db_, [&](db::Txn& txn) -> Result<Task> {
    auto t = detail::require_task(txn, task_id);
    TELEDX_TRY(t);
    auto settings = detail::load_settings(txn, t->center_id);
    TELEDX_TRY(settings);
    // Role, institution and state first, so a lost race reads "already claimed", not a fairness complaint.
    TELEDX_TRY(decide(facts_of(*t, settings->two_level_signing), TaskAction::Claim, reader));
    auto better = better_waiting_task(txn, *t, reader, settings->fairness);
    TELEDX_TRY(better);
    if (*better) {
      const Task& b = **better;
      return make_error(ErrorCode::Conflict,
                        "Take the more urgent work first: task " + std::to_string(b.id) + " (" +
                            std::string(to_string(b.priority)) + ", " + b.modality +
                            (b.body_part.empty() ? "" : " " + b.body_part) + ") is waiting ahead of this one.");
    }
    return detail::apply(audit_, txn, *t, TaskAction::Claim, reader, *settings, {}, now);
  });
}

Result<Task> TaskStore::touch(std::int64_t task_id, const Actor& reader) {
  const std::int64_t now = clock_.now_ms();
  return detail::write_value<Task>(db_, [&](db::Txn& txn) -> Result<Task> {
    auto t = detail::require_task(txn, task_id);
    TELEDX_TRY(t);
    if (!is_reader_of(reader, t->center_id))
      return make_error(ErrorCode::Forbidden, "Only readers of the task's center hold leases on it.");
    if ((t->state != TaskState::Claimed && t->state != TaskState::InReport) || t->assignee_id != reader.user_id)
      return make_error(ErrorCode::Conflict, "You no longer hold this task; claim it again if it is waiting.");
    auto settings = detail::load_settings(txn, t->center_id);
    TELEDX_TRY(settings);
    Task after = *t;
    after.lease_expires_ms = now + settings->lease_minutes * kMinute;
    TELEDX_TRY(detail::save_task(txn, *t, after));
    return after;
  });
}

Result<std::vector<Task>> TaskStore::expire_leases(std::int64_t now_ms) {
  return detail::write_value<std::vector<Task>>(db_, [&](db::Txn& txn) -> Result<std::vector<Task>> {
    auto rows = txn.query(std::string("SELECT ") + detail::kTaskColumns +
                              " FROM reading_tasks t WHERE t.state IN ('claimed', 'in_report') "
                              "AND t.lease_expires_ms > 0 AND t.lease_expires_ms < ? ORDER BY t.id",
                          {now_ms});
    TELEDX_TRY(rows);
    std::vector<Task> out;
    for (const auto& r : *rows) {
      Task t = detail::task_from_row(r);
      auto settings = detail::load_settings(txn, t.center_id);
      TELEDX_TRY(settings);
      auto after = detail::apply(audit_, txn, t, TaskAction::ExpireLease, Actor::server(), *settings,
                                 "lease lapsed: " + t.assignee_name + " idle for " +
                                     std::to_string(settings->lease_minutes) + " min",
                                 now_ms);
      TELEDX_TRY(after);
      out.push_back(std::move(*after));
    }
    return out;
  });
}

Result<Task> TaskStore::set_priority(std::int64_t task_id, Priority p, const Actor& actor, std::string reason) {
  const std::int64_t now = clock_.now_ms();
  return detail::write_value<Task>(db_, [&](db::Txn& txn) -> Result<Task> {
    auto t = detail::require_task(txn, task_id);
    TELEDX_TRY(t);
    if (!actor.system && !is_reader_of(actor, t->center_id))
      return make_error(ErrorCode::Forbidden, "Only readers of the task's center change its priority.");
    if (!is_open(t->state))
      return make_error(ErrorCode::Conflict, "The task is " + std::string(to_string(t->state)) +
                                                 "; only open tasks change priority.");
    auto settings = detail::load_settings(txn, t->center_id);
    TELEDX_TRY(settings);
    Task after = *t;
    after.priority = p;
    after.updated_ms = now;
    detail::set_deadline(after, *settings);
    TELEDX_TRY(detail::save_task(txn, *t, after));
    // A new deadline re-arms the nearing/overdue events.
    TELEDX_TRY(txn.exec("UPDATE reading_tasks SET sla_alert = 0 WHERE id = ?", {after.id}));
    TELEDX_TRY(detail::append_outbox(txn, after, "task.priority",
                                     {{"from", to_string(t->priority)}, {"actor", actor.name}, {"note", reason}}, now));
    TELEDX_TRY(detail::audit_task(txn, audit_, actor, "set_priority", after.id,
                                  std::string(to_string(t->priority)) + " -> " + std::string(to_string(p)) +
                                      (reason.empty() ? "" : ": " + reason)));
    return after;
  });
}

Result<Task> TaskStore::set_machine_flags(std::int64_t task_id, const std::string& flags_json,
                                          std::optional<Priority> raise_to) {
  auto flags = json::parse(flags_json, nullptr, false);
  if (flags.is_discarded() || !flags.is_object()) return bad_request("Machine flags must be a JSON object.");
  const std::int64_t now = clock_.now_ms();
  auto saved = detail::write_value<Task>(db_, [&](db::Txn& txn) -> Result<Task> {
    auto t = detail::require_task(txn, task_id);
    TELEDX_TRY(t);
    Task after = *t;
    after.machine_flags = flags.dump();
    after.updated_ms = now;
    TELEDX_TRY(detail::save_task(txn, *t, after));
    TELEDX_TRY(detail::append_outbox(txn, after, "task.machine_flags", {{"flags", flags}}, now));
    return after;
  });
  TELEDX_TRY(saved);
  if (raise_to && *raise_to < saved->priority && is_open(saved->state))
    return set_priority(task_id, *raise_to, Actor::server(), "machine analysis");
  return saved;
}

Result<CenterSettings> TaskStore::settings(std::int64_t center_id) const {
  return detail::read_value<CenterSettings>(db_, [&](db::Txn& txn) { return detail::load_settings(txn, center_id); });
}

Result<int> TaskStore::set_settings(std::int64_t center_id, const CenterSettings& s, const Actor& by) {
  auto inst = consortium_.institution(center_id);
  if (!inst.ok() || inst->kind != InstitutionKind::ReadingCenter)
    return make_error(ErrorCode::NotFound, "There is no reading center " + std::to_string(center_id) + ".");
  // Round-trip through the validator so the API and direct callers share the same limits.
  auto checked = detail::settings_from_json(detail::settings_to_json(s));
  TELEDX_TRY(checked);
  const std::int64_t now = clock_.now_ms();
  return detail::write_value<int>(db_, [&](db::Txn& txn) -> Result<int> {
    auto old = detail::load_settings(txn, center_id);
    TELEDX_TRY(old);
    const std::string body = detail::settings_to_json(*checked).dump();
    TELEDX_TRY(txn.exec(
        "INSERT INTO center_settings (center_id, body, updated_ms) VALUES (?, ?, ?) "
        "ON CONFLICT (center_id) DO UPDATE SET body = excluded.body, updated_ms = excluded.updated_ms",
        {center_id, body, now}));
    TELEDX_TRY(audit_.append(txn, {by.audit_name(), "center_settings", "institution:" + std::to_string(center_id),
                                   by.remote, body}));
    if (old->sla_minutes == checked->sla_minutes && old->warn_percent == checked->warn_percent) return 0;
    return detail::recompute_deadlines(txn, center_id, *checked, now);
  });
}

}  // namespace teledx::worklist
