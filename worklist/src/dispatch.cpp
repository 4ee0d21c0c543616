// Dispatch (派单): the lead's assignment, and automatic assignment by rota, subspecialty and load.
#include <algorithm>
#include <map>
#include <set>

#include "task_rows.hpp"
#include "teledx/worklist/task_store.hpp"

namespace teledx::worklist {

namespace {

constexpr std::int64_t kDay = 24 * 60 * detail::kMinute;

Error bad_request(std::string m) { return make_error(ErrorCode::BadRequest, std::move(m)); }

std::string to_csv(const std::vector<std::string>& v) {
  std::string out;
  for (auto s : v) {
    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (s.empty() || s.find(',') != std::string::npos) continue;
    out += (out.empty() ? "" : ",") + s;
  }
  return out;
}

std::vector<std::string> from_csv(const std::string& s) {
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

bool matches(const ReaderProfile& p, const Task& t) {
  const auto in = [](const std::vector<std::string>& list, const std::string& v) {
    return list.empty() || std::find(list.begin(), list.end(), v) != list.end();
  };
  return in(p.modalities, t.modality) && in(p.body_parts, t.body_part);
}

/// Readers of the center who may be given work (active, reader role), by id.
Result<std::map<std::int64_t, User>> center_readers(const Consortium& c, std::int64_t center_id) {
  auto users = c.users(center_id);
  TELEDX_TRY(users);
  std::map<std::int64_t, User> out;
  for (auto& u : *users)
    if (u.active && is_reader_role(u.role)) out.emplace(u.id, std::move(u));
  return out;
}

Result<std::vector<std::int64_t>> on_duty_in(db::Txn& txn, std::int64_t center_id, std::int64_t now_ms,
                                             const CenterSettings& s) {
  const std::int64_t local = now_ms + static_cast<std::int64_t>(s.utc_offset_minutes) * detail::kMinute;
  const std::int64_t day = local >= 0 ? local / kDay : (local - kDay + 1) / kDay;
  const int weekday = static_cast<int>(((day % 7) + 7 + 3) % 7) + 1;  // 1970-01-01 was a Thursday (ISO 4)
  const int minute = static_cast<int>((local - day * kDay) / detail::kMinute);
  const int yesterday = weekday == 1 ? 7 : weekday - 1;
  auto rows = txn.query(
      "SELECT DISTINCT user_id FROM reader_shifts WHERE center_id = ? AND ("
      "(weekday = ? AND start_minute <= ? AND (end_minute > ? OR end_minute < start_minute)) OR "
      "(weekday = ? AND end_minute < start_minute AND end_minute > ?)) ORDER BY user_id",
      {center_id, std::int64_t{weekday}, std::int64_t{minute}, std::int64_t{minute}, std::int64_t{yesterday},
       std::int64_t{minute}});
  TELEDX_TRY(rows);
  std::vector<std::int64_t> out;
  for (const auto& r : *rows) out.push_back(r.integer(0));
  return out;
}

}  // namespace

Result<Task> TaskStore::assign(std::int64_t task_id, std::int64_t reader_id, const Actor& lead) {
  auto target = consortium_.user(reader_id);
  if (!target.ok()) return make_error(ErrorCode::NotFound, "There is no reader " + std::to_string(reader_id) + ".");
  const std::int64_t now = clock_.now_ms();
  return detail::write_value<Task>(db_, [&](db::Txn& txn) -> Result<Task> {
    auto t = detail::require_task(txn, task_id);
    TELEDX_TRY(t);
    auto settings = detail::load_settings(txn, t->center_id);
    TELEDX_TRY(settings);
    TELEDX_TRY(decide(facts_of(*t, settings->two_level_signing), TaskAction::Assign, lead));
    if (!target->active || !is_reader_role(target->role) || target->institution_id != t->center_id)
      return bad_request(target->display_name + " is not an active reader of this task's reading center.");
    return detail::apply(audit_, txn, *t, TaskAction::Assign, lead, *settings, "assigned to " + target->display_name, now,
                         [&](Task& after) {
                           after.assignee_id = target->id;
                           after.assignee_name = target->display_name;
                         });
  });
}

Result<Task> TaskStore::auto_assign(std::int64_t task_id, const Actor& actor) {
  auto task = get(task_id);
  TELEDX_TRY(task);
  auto readers = center_readers(consortium_, task->center_id);
  TELEDX_TRY(readers);
  const std::int64_t now = clock_.now_ms();
  return detail::write_value<Task>(db_, [&](db::Txn& txn) -> Result<Task> {
    auto t = detail::require_task(txn, task_id);
    TELEDX_TRY(t);
    auto settings = detail::load_settings(txn, t->center_id);
    TELEDX_TRY(settings);
    TELEDX_TRY(decide(facts_of(*t, settings->two_level_signing), TaskAction::Assign, actor));
    auto duty = on_duty_in(txn, t->center_id, now, *settings);
    TELEDX_TRY(duty);
    std::vector<std::int64_t> candidates;
    for (auto id : *duty)
      if (readers->count(id)) candidates.push_back(id);
    if (candidates.empty())
      return make_error(ErrorCode::Conflict, "No reader of the center is on duty now; assign the task by hand.");

    // Subspecialty is a preference: when nobody on duty reads this modality/body part, anyone on duty will.
    std::vector<std::int64_t> specialists;
    for (auto id : candidates) {
      auto rows = txn.query("SELECT modalities, body_parts FROM reader_profiles WHERE user_id = ?", {id});
      TELEDX_TRY(rows);
      ReaderProfile p{id, {}, {}};
      if (!rows->empty()) p = {id, from_csv(rows->front().text(0)), from_csv(rows->front().text(1))};
      if (matches(p, *t)) specialists.push_back(id);
    }
    if (!specialists.empty()) candidates = specialists;

    auto load_rows = txn.query(
        "SELECT assignee_id, COUNT(*) FROM reading_tasks WHERE center_id = ? AND state IN ('claimed', 'in_report') "
        "AND assignee_id IS NOT NULL GROUP BY assignee_id",
        {t->center_id});
    TELEDX_TRY(load_rows);
    std::map<std::int64_t, std::int64_t> load;
    for (const auto& r : *load_rows) load[r.integer(0)] = r.integer(1);
    // Fewest open tasks wins; ties go to the lowest user id so the choice is reproducible.
    const auto chosen = *std::min_element(candidates.begin(), candidates.end(), [&](auto a, auto b) {
      return std::pair(load[a], a) < std::pair(load[b], b);
    });
    const User& u = readers->at(chosen);
    return detail::apply(audit_, txn, *t, TaskAction::Assign, actor, *settings,
                         "auto-assigned to " + u.display_name + " (on duty, " + std::to_string(load[chosen]) +
                             " open task(s))",
                         now, [&](Task& after) {
                           after.assignee_id = u.id;
                           after.assignee_name = u.display_name;
                         });
  });
}

Result<std::vector<Shift>> TaskStore::shifts(std::int64_t center_id) const {
  auto rows = db_.query(
      "SELECT user_id, weekday, start_minute, end_minute FROM reader_shifts WHERE center_id = ? "
      "ORDER BY weekday, start_minute, user_id",
      {center_id});
  TELEDX_TRY(rows);
  std::vector<Shift> out;
  for (const auto& r : *rows)
    out.push_back({r.integer(0), static_cast<int>(r.integer(1)), static_cast<int>(r.integer(2)),
                   static_cast<int>(r.integer(3))});
  return out;
}

Result<void> TaskStore::set_shifts(std::int64_t center_id, const std::vector<Shift>& shifts) {
  auto readers = center_readers(consortium_, center_id);
  TELEDX_TRY(readers);
  for (const auto& s : shifts) {
    if (!readers->count(s.user_id))
      return bad_request("User " + std::to_string(s.user_id) + " is not an active reader of this center.");
    if (s.weekday < 1 || s.weekday > 7) return bad_request("A shift's weekday is 1 (Monday) to 7 (Sunday).");
    if (s.start_minute < 0 || s.start_minute > 1439 || s.end_minute < 1 || s.end_minute > 1440 ||
        s.start_minute == s.end_minute)
      return bad_request("A shift runs from a start minute (0-1439) to a different end minute (1-1440).");
  }
  return db_.write([&](db::Txn& txn) -> Result<void> {
    TELEDX_TRY(txn.exec("DELETE FROM reader_shifts WHERE center_id = ?", {center_id}));
    for (const auto& s : shifts)
      TELEDX_TRY(txn.exec(
          "INSERT INTO reader_shifts (center_id, user_id, weekday, start_minute, end_minute) VALUES (?, ?, ?, ?, ?)",
          {center_id, s.user_id, std::int64_t{s.weekday}, std::int64_t{s.start_minute}, std::int64_t{s.end_minute}}));
    return ok();
  });
}

Result<ReaderProfile> TaskStore::profile(std::int64_t user_id) const {
  auto rows = db_.query("SELECT modalities, body_parts FROM reader_profiles WHERE user_id = ?", {user_id});
  TELEDX_TRY(rows);
  if (rows->empty()) return ReaderProfile{user_id, {}, {}};
  return ReaderProfile{user_id, from_csv(rows->front().text(0)), from_csv(rows->front().text(1))};
}

Result<void> TaskStore::set_profile(std::int64_t center_id, const ReaderProfile& p) {
  auto readers = center_readers(consortium_, center_id);
  TELEDX_TRY(readers);
  if (!readers->count(p.user_id))
    return bad_request("User " + std::to_string(p.user_id) + " is not an active reader of this center.");
  auto r = db_.exec(
      "INSERT INTO reader_profiles (user_id, center_id, modalities, body_parts) VALUES (?, ?, ?, ?) "
      "ON CONFLICT (user_id) DO UPDATE SET center_id = excluded.center_id, modalities = excluded.modalities, "
      "body_parts = excluded.body_parts",
      {p.user_id, center_id, to_csv(p.modalities), to_csv(p.body_parts)});
  TELEDX_TRY(r);
  return ok();
}

Result<std::vector<std::int64_t>> TaskStore::on_duty(std::int64_t center_id, std::int64_t now_ms) const {
  return detail::read_value<std::vector<std::int64_t>>(db_, [&](db::Txn& txn) -> Result<std::vector<std::int64_t>> {
    auto s = detail::load_settings(txn, center_id);
    TELEDX_TRY(s);
    return on_duty_in(txn, center_id, now_ms, *s);
  });
}

}  // namespace teledx::worklist
