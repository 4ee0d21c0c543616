// SLA clocks: "nearing" and "overdue" events, and escalation of unacknowledged critical values. Each event is
// recorded on the task (sla_alert / critical_alert levels) in the same transaction that emits it, so it fires once.
#include <algorithm>
#include <map>

#include "task_rows.hpp"
#include "teledx/worklist/task_store.hpp"

namespace teledx::worklist {

namespace {

Result<void> emit(db::Txn& txn, const Task& t, const std::string& type, std::int64_t now_ms,
                  std::vector<DeadlineEvent>& out, nlohmann::json extra = nlohmann::json::object()) {
  extra["overdue_ms"] = now_ms - t.deadline_ms;
  TELEDX_TRY(detail::append_outbox(txn, t, type, std::move(extra), now_ms));
  out.push_back({t.id, t.center_id, t.clinic_id, type, t.deadline_ms});
  return ok();
}

}  // namespace

Result<std::vector<DeadlineEvent>> TaskStore::deadline_events(std::int64_t now_ms) {
  using Out = std::vector<DeadlineEvent>;
  return detail::write_value<Out>(db_, [&](db::Txn& txn) -> Result<Out> {
    Out out;
    // Overdue first: a task that went straight past its deadline gets the overdue event only.
    auto overdue = txn.query(std::string("SELECT ") + detail::kTaskColumns + " FROM reading_tasks t WHERE t.state IN " +
                                 detail::kOpenStates + " AND t.sla_alert < 2 AND t.deadline_ms <= ? ORDER BY t.id",
                             {now_ms});
    TELEDX_TRY(overdue);
    for (const auto& r : *overdue) {
      Task t = detail::task_from_row(r);
      TELEDX_TRY(txn.exec("UPDATE reading_tasks SET sla_alert = 2 WHERE id = ?", {t.id}));
      TELEDX_TRY(emit(txn, t, "sla.overdue", now_ms, out));
    }
    auto nearing = txn.query(std::string("SELECT ") + detail::kTaskColumns + " FROM reading_tasks t WHERE t.state IN " +
                                 detail::kOpenStates + " AND t.sla_alert = 0 AND t.warn_ms <= ? ORDER BY t.id",
                             {now_ms});
    TELEDX_TRY(nearing);
    for (const auto& r : *nearing) {
      Task t = detail::task_from_row(r);
      TELEDX_TRY(txn.exec("UPDATE reading_tasks SET sla_alert = 1 WHERE id = ?", {t.id}));
      TELEDX_TRY(emit(txn, t, "sla.warning", now_ms, out));
    }

    // Critical values nobody at the clinic has confirmed: escalate to the lead at each threshold.
    auto critical = txn.query(std::string("SELECT ") + detail::kTaskColumns +
                                  ", t.critical_alert FROM reading_tasks t WHERE t.critical_alert < 2 AND "
                                  "t.critical_ack_ms IS NULL AND t.critical_marked_ms IS NOT NULL ORDER BY t.id");
    TELEDX_TRY(critical);
    std::map<std::int64_t, CenterSettings> settings;
    for (const auto& r : *critical) {
      Task t = detail::task_from_row(r);
      const std::int64_t level = r.integer(detail::kTaskColumnCount);
      if (!settings.count(t.center_id)) {
        auto s = detail::load_settings(txn, t.center_id);
        TELEDX_TRY(s);
        settings.emplace(t.center_id, *s);
      }
      const auto& thresholds = settings.at(t.center_id).critical_escalation_minutes;
      std::int64_t reached = 0;
      for (int i = 0; i < 2; ++i)
        if (now_ms >= t.critical->marked_ms + thresholds[i] * detail::kMinute) reached = i + 1;
      if (reached <= level) continue;
      TELEDX_TRY(txn.exec("UPDATE reading_tasks SET critical_alert = ? WHERE id = ?", {reached, t.id}));
      for (std::int64_t lvl = level + 1; lvl <= reached; ++lvl)
        TELEDX_TRY(emit(txn, t, "critical.escalation" + std::to_string(lvl), now_ms, out,
                        {{"category", t.critical->category},
                         {"unacknowledged_ms", now_ms - t.critical->marked_ms}}));
    }
    return out;
  });
}

namespace detail {

Result<int> recompute_deadlines(db::Txn& txn, std::int64_t center_id, const CenterSettings& s, std::int64_t now_ms) {
  auto rows = txn.query(std::string("SELECT ") + kTaskColumns +
                            ", t.sla_alert FROM reading_tasks t WHERE t.center_id = ? AND t.state IN "
                            "('waiting','claimed','in_report','pending_review','returned') ORDER BY t.id",
                        {center_id});
  TELEDX_TRY(rows);
  int moved = 0;
  for (const auto& r : *rows) {
    const Task before = task_from_row(r);
    Task after = before;
    set_deadline(after, s);
    if (after.deadline_ms == before.deadline_ms && after.warn_ms == before.warn_ms) continue;
    after.updated_ms = now_ms;
    TELEDX_TRY(save_task(txn, before, after));
    // Keep an alert level only while it is still true, so a later deadline re-arms its events and an alert
    // already sent for a deadline still passed is not sent twice.
    const std::int64_t holds = now_ms >= after.deadline_ms ? 2 : now_ms >= after.warn_ms ? 1 : 0;
    const std::int64_t level = std::min(r.integer(kTaskColumnCount), holds);
    TELEDX_TRY(txn.exec("UPDATE reading_tasks SET sla_alert = ? WHERE id = ?", {level, after.id}));
    TELEDX_TRY(append_outbox(txn, after, "task.deadline_changed",
                             {{"from_deadline_ms", before.deadline_ms}, {"warn_ms", after.warn_ms},
                              {"reason", "sla_table"}},
                             now_ms));
    ++moved;
  }
  return moved;
}

}  // namespace detail

}  // namespace teledx::worklist
