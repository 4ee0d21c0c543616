// Worklist queries: the reader's, the lead's and the clinic's views, and the outbox feed.
#include <algorithm>
#include <map>

#include "task_rows.hpp"
#include "teledx/worklist/task_store.hpp"

namespace teledx::worklist {

namespace {

struct Where {
  std::string sql;
  db::Params params;
  void add(const std::string& cond, db::Params p = {}) {
    sql += (sql.empty() ? " WHERE " : " AND ") + cond;
    params.insert(params.end(), p.begin(), p.end());
  }
};

std::string state_list(const std::vector<TaskState>& states) {
  std::string out;
  for (auto s : states) out += (out.empty() ? "'" : ", '") + std::string(to_string(s)) + "'";
  return "(" + out + ")";
}

void add_filters(Where& w, const TaskFilter& f, std::int64_t now_ms) {
  if (!f.states.empty()) w.add("t.state IN " + state_list(f.states));
  if (f.clinic_id) w.add("t.clinic_id = ?", {*f.clinic_id});
  if (f.assignee_id) w.add("t.assignee_id = ?", {*f.assignee_id});
  if (f.modality) {
    std::string m = *f.modality;
    for (auto& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    w.add("t.modality = ?", {m});
  }
  if (f.kind) w.add("t.kind = ?", {std::string(to_string(*f.kind))});
  if (f.priority) w.add("t.priority = ?", {static_cast<std::int64_t>(*f.priority)});
  if (f.from_ms) w.add("t.received_ms >= ?", {*f.from_ms});
  if (f.to_ms) w.add("t.received_ms < ?", {*f.to_ms});
  if (f.overdue_only) w.add(std::string("t.state IN ") + detail::kOpenStates + " AND t.deadline_ms < ?", {now_ms});
}

Result<TaskPage> run(db::Database& db, Where w, const TaskFilter& f) {
  if (f.limit < 1 || f.limit > 500) return make_error(ErrorCode::BadRequest, "'limit' must be from 1 to 500.");
  if (f.offset < 0) return make_error(ErrorCode::BadRequest, "'offset' must not be negative.");
  // Open work is a small backlog among years of history. For it, "t.priority + 0" keeps the planner from
  // walking the urgency index through history and makes it seek (center, state) and sort the backlog instead
  // (12 ms -> 0.3 ms at 100,000 tasks). Other views get the urgency index's order with no sort at all.
  const bool open_only = f.overdue_only || (!f.states.empty() && std::all_of(f.states.begin(), f.states.end(), is_open));
  const char* urgency = open_only ? " ORDER BY t.priority + 0, t.deadline_ms, t.id" : " ORDER BY t.priority, t.deadline_ms, t.id";
  std::string sql = std::string("SELECT ") + detail::kTaskColumns + " FROM reading_tasks t" + w.sql +
                    (f.sort == TaskSort::Urgency ? urgency : " ORDER BY t.received_ms DESC, t.id DESC") +
                    " LIMIT ? OFFSET ?";
  w.params.insert(w.params.end(), {f.limit + 1, f.offset});  // one extra row tells whether a next page exists
  auto rows = db.query(sql, w.params);
  TELEDX_TRY(rows);
  TaskPage page;
  page.has_more = static_cast<std::int64_t>(rows->size()) > f.limit;
  if (page.has_more) rows->pop_back();
  page.tasks.reserve(rows->size());
  for (const auto& r : *rows) page.tasks.push_back(detail::task_from_row(r));
  return page;
}

}  // namespace

bool TaskStore::may_view(const Actor& a, const Task& t) {
  if (a.system) return true;
  if (is_reader_role(a.role)) return a.institution_id == t.center_id;
  if (is_clinic_role(a.role)) return a.institution_id == t.clinic_id;
  return false;
}

Result<TaskPage> TaskStore::worklist(const Actor& a, const TaskFilter& f) const {
  const std::int64_t now = clock_.now_ms();
  Where w;
  if (is_clinic_role(a.role) && !a.system) {
    w.add("t.clinic_id = ?", {a.institution_id});
  } else if (is_reader_role(a.role) && !a.system) {
    w.add("t.center_id = ?", {a.institution_id});
    TaskFilter scoped = f;
    if (a.role != Role::CenterLead) {
      // A reader's queue: what is waiting, and what is theirs; seniors also see reports awaiting review.
      if (scoped.states.empty())
        scoped.states = {TaskState::Waiting, TaskState::Claimed, TaskState::InReport, TaskState::PendingReview};
      w.add(a.role == Role::SeniorReader ? "(t.state IN ('waiting', 'pending_review') OR t.assignee_id = ?)"
                                         : "(t.state = 'waiting' OR t.assignee_id = ?)",
            {a.user_id});
    }
    add_filters(w, scoped, now);
    return run(db_, std::move(w), scoped);
  } else {
    return make_error(ErrorCode::Forbidden, "Administrators see statistics, not worklists.");
  }
  add_filters(w, f, now);
  return run(db_, std::move(w), f);
}

Result<TaskPage> TaskStore::center_tasks(std::int64_t center_id, const TaskFilter& f) const {
  Where w;
  w.add("t.center_id = ?", {center_id});
  add_filters(w, f, clock_.now_ms());
  return run(db_, std::move(w), f);
}

Result<std::vector<ReaderLoad>> TaskStore::reader_loads(std::int64_t center_id) const {
  auto users = consortium_.users(center_id);
  TELEDX_TRY(users);
  auto rows = db_.query(
      "SELECT assignee_id, COUNT(*), SUM(CASE WHEN deadline_ms < ? THEN 1 ELSE 0 END) FROM reading_tasks "
      "WHERE center_id = ? AND state IN ('claimed', 'in_report', 'pending_review') AND assignee_id IS NOT NULL "
      "GROUP BY assignee_id",
      {clock_.now_ms(), center_id});
  TELEDX_TRY(rows);
  std::map<std::int64_t, std::pair<std::int64_t, std::int64_t>> counts;
  for (const auto& r : *rows) counts[r.integer(0)] = {r.integer(1), r.integer(2)};
  std::vector<ReaderLoad> out;
  for (const auto& u : *users) {
    if (!is_reader_role(u.role)) continue;
    auto c = counts.count(u.id) ? counts[u.id] : std::pair<std::int64_t, std::int64_t>{0, 0};
    out.push_back({u.id, u.display_name, c.first, c.second});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.open > b.open || (a.open == b.open && a.user_id < b.user_id); });
  return out;
}

Result<std::vector<OutboxEvent>> TaskStore::outbox_after(std::int64_t seq, std::int64_t limit) const {
  limit = std::clamp<std::int64_t>(limit, 1, 1000);
  auto rows = db_.query(
      "SELECT seq, stream, center_id, clinic_id, task_id, type, payload, at_ms FROM outbox WHERE seq > ? "
      "ORDER BY seq LIMIT ?",
      {seq, limit});
  TELEDX_TRY(rows);
  std::vector<OutboxEvent> out;
  for (const auto& r : *rows)
    out.push_back({r.integer(0), r.text(1), r.integer(2), r.integer(3), r.integer(4), r.text(5), r.text(6),
                   r.integer(7)});
  return out;
}

}  // namespace teledx::worklist
