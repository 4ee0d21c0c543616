#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "teledx/core/audit.hpp"
#include "teledx/core/clock.hpp"
#include "teledx/core/consortium.hpp"
#include "teledx/core/database.hpp"
#include "teledx/core/result.hpp"
#include "teledx/worklist/task.hpp"

namespace teledx::worklist {

enum class StudyOutcome { Created, Updated };

/// Center settings in the API's JSON format: {"sla_minutes": {"ecg": {"stat": 10, ...}, "imaging": {...}},
/// "lease_minutes", "fairness", "two_level_signing", "warn_percent", "critical_escalation_minutes": [10, 20],
/// "utc_offset_minutes"}. Parsing starts from `base` and overrides what the text has; BadRequest with a
/// sentence for a wrong type or a value out of range.
std::string settings_to_json_text(const CenterSettings& s);
Result<CenterSettings> settings_from_json_text(std::string_view text, const CenterSettings& base = {});

/// A reader's on-duty window: ISO weekday 1 (Monday) .. 7, minutes of local day; end < start spans midnight.
struct Shift {
  std::int64_t user_id = 0;
  int weekday = 1;
  int start_minute = 0, end_minute = 0;
};

/// What a reader reads; empty lists mean "everything of the center". Modalities/body parts are upper case.
struct ReaderProfile {
  std::int64_t user_id = 0;
  std::vector<std::string> modalities, body_parts;
};

enum class TaskSort { Urgency, NewestFirst };

/// Filters of the worklist queries; unset fields do not filter.
struct TaskFilter {
  std::vector<TaskState> states;
  std::optional<std::int64_t> clinic_id, assignee_id;
  std::optional<std::string> modality;
  std::optional<TaskKind> kind;
  std::optional<Priority> priority;
  std::optional<std::int64_t> from_ms, to_ms;  // received time, [from, to)
  bool overdue_only = false;
  TaskSort sort = TaskSort::Urgency;
  std::int64_t limit = 50, offset = 0;  // limit 1..500
};

struct TaskPage {
  std::vector<Task> tasks;
  bool has_more = false;
};

/// Open work of one reader of a center (the lead's "by reader" view).
struct ReaderLoad {
  std::int64_t user_id = 0;
  std::string name;
  std::int64_t open = 0, overdue = 0;
};

/// A task that came near its deadline, passed it, or whose critical value went unacknowledged.
struct DeadlineEvent {
  std::int64_t task_id = 0, center_id = 0, clinic_id = 0;
  std::string type;  // "sla.warning", "sla.overdue", "critical.escalation1", "critical.escalation2"
  std::int64_t deadline_ms = 0;
};

/// A durable event for the real-time streams, written in the same transaction as the change.
struct OutboxEvent {
  std::int64_t seq = 0;
  std::string stream;  // "worklist"
  std::int64_t center_id = 0, clinic_id = 0, task_id = 0;
  std::string type;     // "task.created", "task.claim", "critical.marked", "sla.overdue", ...
  std::string payload;  // JSON object text
  std::int64_t at_ms = 0;
};

/// Reading tasks: creation from completed studies, the state machine, claiming, dispatch, SLA and queries.
/// Thread-safe (all state in the database). Readers, clinics and leads are scoped by their institution.
class TaskStore {
 public:
  TaskStore(db::Database& db, const Clock& clock, const Consortium& consortium);
  /// Schema of the "worklist" module (tasks, events, outbox, settings, rota, reports, seeded templates).
  static std::vector<db::Migration> migrations();

  /// Idempotent: creates the study's task for its center, or marks the existing one updated (and resumes it
  /// when it had been returned to the clinic). BadRequest for a missing UID or ids.
  Result<StudyOutcome> create_or_update_for_study(const StudyForReading& study);
  /// NotFound when unknown.
  Result<Task> get(std::int64_t task_id) const;
  std::optional<Task> find_by_study(std::string_view study_uid, std::int64_t center_id) const;
  /// Oldest first.
  Result<std::vector<TaskEvent>> events(std::int64_t task_id) const;

  /// Moves without content: release, start_report, mark_delivered, acknowledge, return_to_clinic (note = reason,
  /// required), resume. Claim, assign and the signing moves have their own functions. Errors as decide().
  Result<Task> transition(std::int64_t task_id, TaskAction action, const Actor& actor, std::string note = {});
  /// Atomic free claim of a waiting task, subject to the center's fairness mode; starts the lease.
  /// Conflict when another reader won, or when a more urgent task must be taken first.
  Result<Task> claim(std::int64_t task_id, const Actor& reader);
  /// Renews the lease of the reader's task (any activity of theirs). Conflict when they no longer hold it.
  Result<Task> touch(std::int64_t task_id, const Actor& reader);
  /// Returns every task whose lease lapsed before now to waiting; returns them.
  Result<std::vector<Task>> expire_leases(std::int64_t now_ms);

  /// Lead dispatch: gives (or moves) the task to a reader of its center. NotFound for an unknown reader.
  Result<Task> assign(std::int64_t task_id, std::int64_t reader_id, const Actor& lead);
  /// Dispatch by rota (readers on duty now), subspecialty (preferred) and load (fewest open tasks).
  /// Conflict when nobody of the center is on duty.
  Result<Task> auto_assign(std::int64_t task_id, const Actor& lead_or_server);
  /// Sets the priority (reader or lead of the center, or the server) and recomputes the deadline.
  Result<Task> set_priority(std::int64_t task_id, Priority p, const Actor& actor, std::string reason = {});
  /// Stores machine analysis flags (a JSON object) and optionally raises the priority (server only).
  Result<Task> set_machine_flags(std::int64_t task_id, const std::string& flags_json,
                                 std::optional<Priority> raise_to = std::nullopt);

  Result<CenterSettings> settings(std::int64_t center_id) const;
  /// BadRequest for values out of range (SLA 1..10080 min, lease 1..1440 min, warn 10..99 %). A changed SLA
  /// table (or warning share) moves the deadline of every task of the center not yet signed, in the same
  /// transaction, each with a "task.deadline_changed" outbox event; returns how many moved. Audited as `by`.
  Result<int> set_settings(std::int64_t center_id, const CenterSettings& s, const Actor& by = Actor::server());
  Result<std::vector<Shift>> shifts(std::int64_t center_id) const;
  /// Replaces the center's rota. BadRequest when a user is not a reader of the center or a time is invalid.
  Result<void> set_shifts(std::int64_t center_id, const std::vector<Shift>& shifts);
  Result<ReaderProfile> profile(std::int64_t user_id) const;
  Result<void> set_profile(std::int64_t center_id, const ReaderProfile& p);
  /// Readers on duty at `now_ms` (local time per the center's utc offset).
  Result<std::vector<std::int64_t>> on_duty(std::int64_t center_id, std::int64_t now_ms) const;

  /// The caller's view: readers see waiting tasks of their center and their own; a lead sees the whole
  /// center; clinic users see their clinic's exams. Forbidden for admins (statistics only).
  Result<TaskPage> worklist(const Actor& actor, const TaskFilter& filter) const;
  /// Unscoped query of one center (lead view and benchmarks).
  Result<TaskPage> center_tasks(std::int64_t center_id, const TaskFilter& filter) const;
  Result<std::vector<ReaderLoad>> reader_loads(std::int64_t center_id) const;
  /// May the actor see the task at all? (Others' tasks answer NotFound at the API.)
  static bool may_view(const Actor& actor, const Task& t);

  /// Tasks newly past warn_percent of their SLA or past their deadline, and unacknowledged critical values
  /// past each escalation threshold. Each event is emitted once (and written to the outbox).
  Result<std::vector<DeadlineEvent>> deadline_events(std::int64_t now_ms);
  /// Outbox rows after `seq`, oldest first (limit 1..1000).
  Result<std::vector<OutboxEvent>> outbox_after(std::int64_t seq, std::int64_t limit) const;

  db::Database& database() const { return db_; }
  const Clock& clock() const { return clock_; }
  /// Every change of a task is audited in the transaction that makes it (the index needs the "audit" schema).
  AuditLog& audit_log() const { return audit_; }

 private:
  db::Database& db_;
  const Clock& clock_;
  const Consortium& consortium_;
  mutable AuditLog audit_;
};

}  // namespace teledx::worklist
