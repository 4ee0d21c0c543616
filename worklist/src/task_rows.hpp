#pragma once
// Internal: how tasks live in the index, and the one path every transition takes (decide -> conditional
// UPDATE -> task_events row -> outbox row -> audit entry), all inside the caller's write transaction.
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "teledx/core/audit.hpp"
#include "teledx/core/database.hpp"
#include "teledx/worklist/state_machine.hpp"
#include "teledx/worklist/task.hpp"

namespace teledx::worklist::detail {

extern const char* const kTaskColumns;  // SELECT list matching task_from_row, table alias t
constexpr std::size_t kTaskColumnCount = 51;  // columns a query may add after kTaskColumns start here
constexpr const char* kOpenStates = "('waiting','claimed','in_report','pending_review')";
constexpr std::int64_t kMinute = 60'000;

Task task_from_row(const db::Row& row);
Result<std::optional<Task>> load_task(db::Txn& txn, std::int64_t id);
/// NotFound with a sentence when the task does not exist.
Result<Task> require_task(db::Txn& txn, std::int64_t id);
Result<CenterSettings> load_settings(db::Txn& txn, std::int64_t center_id);
nlohmann::json settings_to_json(const CenterSettings& s);
/// Defaults for anything missing; BadRequest for present values of the wrong type or out of range.
Result<CenterSettings> settings_from_json(const nlohmann::json& j, const CenterSettings& base = {});

/// MAX(col) + 1 of a table: portable id allocation (writers are serialised).
Result<std::int64_t> next_id(db::Txn& txn, const char* table, const char* column);

/// Writes every mutable column of `after`, only if the row still has `before`'s version and state
/// (Conflict otherwise: someone else changed the task first). Sets after.row_version.
Result<void> save_task(db::Txn& txn, const Task& before, Task& after);

Result<void> append_outbox(db::Txn& txn, const Task& t, const std::string& type, nlohmann::json payload,
                           std::int64_t now_ms);

/// Appends the audit entry of a change to task `task_id` inside `txn`, so it commits (or rolls back) with it.
Result<void> audit_task(db::Txn& txn, AuditLog& audit, const Actor& actor, const std::string& action,
                        std::int64_t task_id, const std::string& detail);

/// Decides the move, applies its standard effects (assignee, lease, stage times), lets `change` adjust the
/// record, then saves it and records the event, the outbox row and the audit entry.
Result<Task> apply(AuditLog& audit, db::Txn& txn, const Task& before, TaskAction action, const Actor& actor,
                   const CenterSettings& settings, const std::string& note, std::int64_t now_ms,
                   const std::function<void(Task&)>& change = {});

/// Runs fn(txn) -> Result<T> in a write (or read) transaction and returns its value.
template <class T, class F>
Result<T> write_value(db::Database& db, F&& fn) {
  std::optional<T> out;
  TELEDX_TRY(db.write([&](db::Txn& txn) -> Result<void> {
    auto v = fn(txn);
    TELEDX_TRY(v);
    out.emplace(std::move(*v));
    return ok();
  }));
  return std::move(*out);
}
template <class T, class F>
Result<T> read_value(db::Database& db, F&& fn) {
  std::optional<T> out;
  TELEDX_TRY(db.read([&](db::Txn& txn) -> Result<void> {
    auto v = fn(txn);
    TELEDX_TRY(v);
    out.emplace(std::move(*v));
    return ok();
  }));
  return std::move(*out);
}

/// SLA deadline and warning time for a task created at created_ms (plus the time it spent returned).
void set_deadline(Task& t, const CenterSettings& s);

/// After a center's SLA table changed: new deadlines for its tasks not yet signed (open or returned), each with
/// a "task.deadline_changed" outbox event. Nearing/overdue events already sent stay sent only while they still
/// hold. Returns how many tasks moved. (sla.cpp)
Result<int> recompute_deadlines(db::Txn& txn, std::int64_t center_id, const CenterSettings& s, std::int64_t now_ms);

}  // namespace teledx::worklist::detail
