// Critical values (危急值) and exam quality grades: flags on the task, each change in one transaction with its
// outbox event and its audit entry.
#include <algorithm>

#include "task_rows.hpp"
#include "teledx/worklist/reports.hpp"

namespace teledx::worklist {

namespace {

Error bad_request(std::string m) { return make_error(ErrorCode::BadRequest, std::move(m)); }

bool blank(const std::string& s) { return s.find_first_not_of(" \t\r\n") == std::string::npos; }

bool reader_of(const Actor& a, const Task& t) {
  return !a.system && is_reader_role(a.role) && a.institution_id == t.center_id;
}

/// Loads the task, lets `change` check and modify it (and set the audit detail), saves it and writes the outbox
/// event `type` and the audit entry `action` of `actor`.
template <class F>
Result<Task> update_task(TaskStore& tasks, std::int64_t task_id, const std::string& type, const Actor& actor,
                         const std::string& action, F&& change) {
  const std::int64_t now = tasks.clock().now_ms();
  return detail::write_value<Task>(tasks.database(), [&](db::Txn& txn) -> Result<Task> {
    auto t = detail::require_task(txn, task_id);
    TELEDX_TRY(t);
    Task after = *t;
    nlohmann::json payload = nlohmann::json::object();
    std::string audit_detail;
    TELEDX_TRY(change(after, now, payload, audit_detail));
    after.updated_ms = now;
    TELEDX_TRY(detail::save_task(txn, *t, after));
    TELEDX_TRY(detail::append_outbox(txn, after, type, payload, now));
    TELEDX_TRY(detail::audit_task(txn, tasks.audit_log(), actor, action, after.id, audit_detail));
    return after;
  });
}

}  // namespace

Result<Task> Reports::mark_critical(std::int64_t task_id, const std::string& category, const std::string& note,
                                    const Actor& reader) {
  const auto& cats = critical_categories();
  if (std::find(cats.begin(), cats.end(), category) == cats.end())
    return bad_request("Unknown critical-value category '" + category + "'.");
  if (category == "other" && blank(note)) return bad_request("Describe the critical value when the category is 'other'.");
  if (note.size() > 2000) return bad_request("The note is limited to 2000 characters.");
  return update_task(tasks_, task_id, "critical.marked", reader, "critical_mark",
                     [&](Task& t, std::int64_t now, nlohmann::json& payload, std::string& detail) -> Result<void> {
    if (!reader_of(reader, t))
      return make_error(ErrorCode::Forbidden, "Only readers of the task's center flag critical values.");
    if (t.state == TaskState::Waiting || t.state == TaskState::Returned)
      return make_error(ErrorCode::Conflict, "Claim the task before flagging a critical value.");
    if (t.critical) return make_error(ErrorCode::Conflict, "This exam is already flagged critical (" + t.critical->category + ").");
    t.critical = CriticalValue{category, note, now, reader.user_id, std::nullopt, {}, 0};
    payload = {{"category", category}, {"note", note}, {"actor", reader.name}};
    detail = category;
    return ok();
  });
}

Result<Task> Reports::acknowledge_critical(std::int64_t task_id, const std::string& readback_name,
                                           const Actor& clinic_user) {
  if (blank(readback_name) || readback_name.size() > 100)
    return bad_request("Give the name of the person who received the critical value (1-100 characters).");
  return update_task(tasks_, task_id, "critical.acknowledged", clinic_user, "critical_acknowledge",
                     [&](Task& t, std::int64_t now, nlohmann::json& payload, std::string& detail) -> Result<void> {
                       if (clinic_user.system || !is_clinic_role(clinic_user.role) ||
                           clinic_user.institution_id != t.clinic_id)
                         return make_error(ErrorCode::Forbidden,
                                           "Only the clinic that sent the exam acknowledges its critical value.");
                       if (!t.critical) return make_error(ErrorCode::Conflict, "This exam has no critical value.");
                       if (t.critical->acknowledged_by)
                         return make_error(ErrorCode::Conflict, "The critical value was already acknowledged by " +
                                                                    t.critical->acknowledged_name + ".");
                       t.critical->acknowledged_by = clinic_user.user_id;
                       t.critical->acknowledged_name = readback_name;
                       t.critical->acknowledged_ms = now;
                       payload = {{"category", t.critical->category},
                                  {"readback_name", readback_name},
                                  {"actor", clinic_user.name},
                                  {"after_ms", now - t.critical->marked_ms}};
                       detail = "read-back by " + readback_name;
                       return ok();
                     });
}

Result<Task> Reports::grade_quality(std::int64_t task_id, const QualityGrade& g, const Actor& reader) {
  if (g.grade != "A" && g.grade != "B" && g.grade != "C")
    return bad_request("The quality grade is A (good), B (acceptable) or C (poor).");
  const auto& known = quality_reasons();
  for (const auto& r : g.reasons)
    if (std::find(known.begin(), known.end(), r) == known.end()) return bad_request("Unknown quality reason '" + r + "'.");
  if (g.grade == "C" && g.reasons.empty()) return bad_request("A poor (C) grade needs at least one reason.");
  if (g.comment.size() > 2000) return bad_request("The comment is limited to 2000 characters.");
  return update_task(tasks_, task_id, "task.quality", reader, "quality_grade",
                     [&](Task& t, std::int64_t now, nlohmann::json& payload, std::string& detail) -> Result<void> {
    if (!reader_of(reader, t)) return make_error(ErrorCode::Forbidden, "Only readers of the task's center grade its quality.");
    if (t.state == TaskState::Waiting) return make_error(ErrorCode::Conflict, "Claim the task before grading it.");
    t.quality = QualityGrade{g.grade, g.reasons, g.comment, reader.user_id, now};
    payload = {{"grade", g.grade}, {"reasons", g.reasons}};
    detail = g.grade;
    for (const auto& r : g.reasons) detail += (detail.size() == 1 ? ": " : ", ") + r;
    return ok();
  });
}

}  // namespace teledx::worklist
