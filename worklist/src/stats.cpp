// Turnaround statistics for performance assessment (绩效考核), and the quality feedback history.
#include "teledx/worklist/stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>

#include "teledx/worklist/task.hpp"

namespace teledx::worklist {

namespace {

constexpr std::int64_t kDay = 86'400'000;

struct Acc {
  TurnaroundRow row;
  std::vector<std::int64_t> stages[6];
};

/// Local civil date of a timestamp (Howard Hinnant's days -> y/m/d).
std::string local_date(std::int64_t ms, int offset_minutes) {
  std::int64_t local = ms + static_cast<std::int64_t>(offset_minutes) * 60'000;
  std::int64_t z = (local >= 0 ? local / kDay : (local - kDay + 1) / kDay) + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = yoe + era * 400 + (m <= 2);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lld", static_cast<long long>(y), static_cast<long long>(m),
                static_cast<long long>(d));
  return buf;
}

Percentiles summarise(const std::vector<std::int64_t>& v) {
  return {static_cast<std::int64_t>(v.size()), percentile(v, 50), percentile(v, 90)};
}

}  // namespace

std::optional<StatsGroup> stats_group_from(std::string_view s) {
  static const std::pair<StatsGroup, std::string_view> names[] = {
      {StatsGroup::None, "none"},         {StatsGroup::Center, "center"}, {StatsGroup::Clinic, "clinic"},
      {StatsGroup::Modality, "modality"}, {StatsGroup::Reader, "reader"}, {StatsGroup::Priority, "priority"},
      {StatsGroup::Day, "day"},           {StatsGroup::Technician, "technician"}};
  for (const auto& [g, n] : names)
    if (n == s) return g;
  return std::nullopt;
}

std::string technician_key(std::optional<std::int64_t> id, const std::string& name) {
  if (id) return "user:" + std::to_string(*id);
  if (name.empty() || name == "unknown") return "unknown";
  return "name:" + name;
}

/// The SQL condition for one technician_key() (the stats and the feedback history filter alike).
static void technician_where(const std::string& key, const char* alias, std::string& where, db::Params& p) {
  const std::string a = alias;
  if (key.rfind("user:", 0) == 0) {
    where += " AND " + a + "technician_id = ?";
    p.emplace_back(static_cast<std::int64_t>(std::strtoll(key.c_str() + 5, nullptr, 10)));
  } else if (key.rfind("name:", 0) == 0) {
    where += " AND " + a + "technician_id IS NULL AND " + a + "technician_name = ?";
    p.emplace_back(key.substr(5));
  } else {
    where += " AND " + a + "technician_id IS NULL AND " + a + "technician_name IN ('', 'unknown')";
  }
}

std::int64_t percentile(std::vector<std::int64_t> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
}

Result<std::vector<TurnaroundRow>> turnaround(db::Database& db, const StatsFilter& f, std::int64_t now_ms) {
  std::string where = " WHERE 1 = 1";
  db::Params p;
  if (f.center_id) where += " AND center_id = ?", p.emplace_back(*f.center_id);
  if (f.clinic_id) where += " AND clinic_id = ?", p.emplace_back(*f.clinic_id);
  if (f.technician) technician_where(*f.technician, "", where, p);
  if (f.from_ms) where += " AND received_ms >= ?", p.emplace_back(*f.from_ms);
  if (f.to_ms) where += " AND received_ms < ?", p.emplace_back(*f.to_ms);
  std::vector<db::Row> rows;
  std::set<std::int64_t> returned;
  TELEDX_TRY(db.read([&](db::Txn& txn) -> Result<void> {
    auto r = txn.query(
        "SELECT id, center_id, clinic_id, modality, assignee_id, assignee_name, priority, state, received_ms, "
        "claimed_ms, signed_ms, delivered_ms, acknowledged_ms, deadline_ms, critical_marked_ms, critical_ack_ms, "
        "quality_grade, technician_id, technician_name FROM reading_tasks" + where,
        p);
    TELEDX_TRY(r);
    rows = std::move(*r);
    auto ret = txn.query("SELECT DISTINCT task_id FROM task_events WHERE action = 'return_to_clinic'");
    TELEDX_TRY(ret);
    for (const auto& x : *ret) returned.insert(x.integer(0));
    return ok();
  }));

  std::map<std::string, Acc> groups;
  for (const auto& r : rows) {
    std::string key = "all", label = "all";
    switch (f.group) {
      case StatsGroup::None: break;
      case StatsGroup::Center: key = label = r.text(1); break;
      case StatsGroup::Clinic: key = label = r.text(2); break;
      case StatsGroup::Modality: key = label = r.text(3); break;
      case StatsGroup::Reader:
        key = r.is_null(4) ? "unassigned" : r.text(4);
        label = r.is_null(4) ? "unassigned" : r.text(5);
        break;
      case StatsGroup::Priority:
        key = label = std::string(to_string(static_cast<Priority>(std::clamp<std::int64_t>(r.integer(6), 0, 2))));
        break;
      case StatsGroup::Day: key = label = local_date(r.integer(8), f.utc_offset_minutes); break;
      case StatsGroup::Technician: {
        const std::optional<std::int64_t> tid = r.is_null(17) ? std::nullopt : std::optional(r.integer(17));
        key = technician_key(tid, r.text(18));
        label = r.text(18).empty() ? "unknown" : r.text(18);
        break;
      }
    }
    auto& a = groups[key];
    a.row.key = key;
    a.row.label = label;
    const auto state = task_state_from(r.text(7)).value_or(TaskState::Waiting);
    const std::int64_t received = r.integer(8), claimed = r.integer(9), signed_ms = r.integer(10),
                       delivered = r.integer(11), acked = r.integer(12), deadline = r.integer(13);
    ++a.row.tasks;
    if (signed_ms) {
      ++a.row.signed_count;
      if (signed_ms <= deadline) ++a.row.within_sla;
    } else if (is_open(state) && deadline < now_ms) {
      ++a.row.open_overdue;
    }
    if (returned.count(r.integer(0))) ++a.row.returned;
    if (!r.is_null(16)) {
      ++a.row.quality_graded;
      const std::string grade = r.text(16);
      if (grade == "A") ++a.row.quality_good;
      else if (grade == "B") ++a.row.quality_acceptable;
      else if (grade == "C") ++a.row.quality_poor;
    }
    if (claimed) a.stages[0].push_back(claimed - received);
    if (claimed && signed_ms) a.stages[1].push_back(signed_ms - claimed);
    if (signed_ms && delivered) a.stages[2].push_back(delivered - signed_ms);
    if (delivered && acked) a.stages[3].push_back(acked - delivered);
    if (signed_ms) a.stages[4].push_back(signed_ms - received);
    if (!r.is_null(14)) {
      ++a.row.critical;
      if (!r.is_null(15)) a.stages[5].push_back(r.integer(15) - r.integer(14));
    }
  }
  std::vector<TurnaroundRow> out;
  for (auto& [key, a] : groups) {
    auto& row = a.row;
    const auto due = row.signed_count + row.open_overdue;
    row.sla_compliance = due ? static_cast<double>(row.within_sla) / static_cast<double>(due) : 1.0;
    row.received_to_claimed = summarise(a.stages[0]);
    row.claimed_to_signed = summarise(a.stages[1]);
    row.signed_to_delivered = summarise(a.stages[2]);
    row.delivered_to_acknowledged = summarise(a.stages[3]);
    row.received_to_signed = summarise(a.stages[4]);
    row.critical_acknowledgement = summarise(a.stages[5]);
    out.push_back(std::move(row));
  }
  if (f.group == StatsGroup::None && out.empty()) {
    TurnaroundRow empty;
    empty.key = empty.label = "all";
    out.push_back(std::move(empty));
  }
  return out;
}

std::string turnaround_csv(const std::vector<TurnaroundRow>& rows) {
  std::ostringstream o;
  const auto quote = [](const std::string& s) {
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  };
  o << "key,label,tasks,signed,open_overdue,within_sla,sla_compliance,returned,critical,quality_poor,"
       "quality_graded,quality_good,quality_acceptable";
  for (const char* s : {"received_to_claimed", "claimed_to_signed", "signed_to_delivered", "delivered_to_acknowledged",
                        "received_to_signed", "critical_acknowledgement"})
    o << "," << s << "_p50_s," << s << "_p90_s";
  o << "\n";
  for (const auto& r : rows) {
    o << quote(r.key) << "," << quote(r.label) << "," << r.tasks << "," << r.signed_count << "," << r.open_overdue << ","
      << r.within_sla << "," << r.sla_compliance << "," << r.returned << "," << r.critical << "," << r.quality_poor
      << "," << r.quality_graded << "," << r.quality_good << "," << r.quality_acceptable;
    for (const auto* s : {&r.received_to_claimed, &r.claimed_to_signed, &r.signed_to_delivered,
                          &r.delivered_to_acknowledged, &r.received_to_signed, &r.critical_acknowledgement})
      o << "," << s->p50_ms / 1000.0 << "," << s->p90_ms / 1000.0;
    o << "\n";
  }
  return o.str();
}

Result<QualityPage> quality_feedback(db::Database& db, const QualityQuery& q) {
  if (q.limit < 1 || q.limit > 500) return make_error(ErrorCode::BadRequest, "'limit' must be from 1 to 500.");
  if (q.offset < 0) return make_error(ErrorCode::BadRequest, "'offset' must not be negative.");
  if (q.grade && *q.grade != "A" && *q.grade != "B" && *q.grade != "C")
    return make_error(ErrorCode::BadRequest, "'grade' must be A, B or C.");
  std::string where = " WHERE t.quality_grade IS NOT NULL";
  db::Params p;
  if (q.center_id) where += " AND t.center_id = ?", p.emplace_back(*q.center_id);
  if (q.clinic_id) where += " AND t.clinic_id = ?", p.emplace_back(*q.clinic_id);
  if (q.technician) technician_where(*q.technician, "t.", where, p);
  if (q.grade) where += " AND t.quality_grade = ?", p.emplace_back(*q.grade);
  if (q.from_ms) where += " AND t.quality_ms >= ?", p.emplace_back(*q.from_ms);
  if (q.to_ms) where += " AND t.quality_ms < ?", p.emplace_back(*q.to_ms);
  p.emplace_back(q.limit + 1);
  p.emplace_back(q.offset);
  auto rows = db.query(
      "SELECT t.id, t.clinic_id, t.center_id, t.study_uid, t.modality, t.body_part, t.description, t.accession, "
      "t.patient_name, t.patient_id, t.technician_id, t.technician_name, t.quality_grade, t.quality_reasons, "
      "t.quality_comment, t.quality_by, t.quality_ms, t.received_ms FROM reading_tasks t" +
          where + " ORDER BY t.quality_ms DESC, t.id DESC LIMIT ? OFFSET ?",
      p);
  TELEDX_TRY(rows);
  QualityPage page;
  for (const auto& r : *rows) {
    if (static_cast<std::int64_t>(page.items.size()) == q.limit) {
      page.has_more = true;
      break;
    }
    QualityFeedback f;
    f.task_id = r.integer(0);
    f.clinic_id = r.integer(1);
    f.center_id = r.integer(2);
    f.study_uid = r.text(3);
    f.modality = r.text(4);
    f.body_part = r.text(5);
    f.description = r.text(6);
    f.accession = r.text(7);
    f.patient_name = r.text(8);
    f.patient_id = r.text(9);
    const std::optional<std::int64_t> tid = r.is_null(10) ? std::nullopt : std::optional(r.integer(10));
    f.technician_key = technician_key(tid, r.text(11));
    f.technician_name = r.text(11).empty() ? "unknown" : r.text(11);
    f.grade = r.text(12);
    const std::string reasons = r.text(13);
    for (std::size_t i = 0; i < reasons.size();) {
      auto j = reasons.find(',', i);
      if (j == std::string::npos) j = reasons.size();
      if (j > i) f.reasons.push_back(reasons.substr(i, j - i));
      i = j + 1;
    }
    f.comment = r.text(14);
    f.graded_by = r.integer(15);
    f.graded_ms = r.integer(16);
    f.received_ms = r.integer(17);
    page.items.push_back(std::move(f));
  }
  return page;
}

}  // namespace teledx::worklist
