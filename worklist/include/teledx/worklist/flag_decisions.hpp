#pragma once
// The reader's verdict on each machine flag of an ECG task (confirmed or dismissed, by whom, when, why), and
// the agreement between machine and readers per flag type. The machine analysis is never a diagnosis: these
// decisions are what turns a flag into a finding, and their statistics show how far the machine can be trusted.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "teledx/core/database.hpp"
#include "teledx/core/result.hpp"
#include "teledx/worklist/stats.hpp"
#include "teledx/worklist/task.hpp"
#include "teledx/worklist/task_store.hpp"

namespace teledx::worklist {

/// One flag of the ECG machine analysis: a statement of its "critical" or "rhythm" list.
struct MachineFlag {
  std::string code;      // stable identifier, e.g. "critical_pause", "atrial_fibrillation"
  std::string category;  // "critical" or "rhythm"
  std::string text;      // the machine's sentence
  std::string severity;  // "info", "warning", "critical"
  std::string text_zh;   // the same sentence in Chinese; empty for flags stored before the analysis gave one
};

enum class FlagVerdict { Confirmed, Dismissed };
std::string_view to_string(FlagVerdict v);
/// "confirm"/"confirmed" and "dismiss"/"dismissed".
std::optional<FlagVerdict> flag_verdict_from(std::string_view s);

struct FlagDecision {
  std::int64_t task_id = 0;
  std::string code, category;
  FlagVerdict verdict = FlagVerdict::Confirmed;
  std::string comment;
  std::int64_t decided_by = 0;
  std::string decided_name;
  std::int64_t decided_ms = 0;
};

/// The flags a task's machine analysis raised (empty for imaging tasks or an ECG that was not analysed).
std::vector<MachineFlag> machine_flags_of(const Task& t);

/// Schema of the "ecg_flags" module (one table of decisions, one row per task and flag code).
std::vector<db::Migration> flag_decision_migrations();

/// Records (or changes) the reader's verdict on one flag of the task. Allowed to the reader holding the task
/// (claimed, in report or pending review) and to a lead of the task's center while it is open.
/// NotFound: unknown task, or a flag code the machine did not raise (the sentence lists the flags it did);
/// Forbidden: not the holder (a reader before claiming too) nor a lead of the center; Conflict: already signed;
/// BadRequest: a comment over 2000 bytes. The audit entry ("ecg_flag_confirmed"/"ecg_flag_dismissed", detail
/// "code: comment") and an outbox event "ecg_flag.decided" are written in the same transaction as the decision.
Result<FlagDecision> decide_flag(TaskStore& tasks, std::int64_t task_id, std::string_view code, FlagVerdict verdict,
                                 std::string comment, const Actor& actor);
/// Decisions of one task, by flag code.
Result<std::vector<FlagDecision>> flag_decisions(db::Database& db, std::int64_t task_id);

/// Agreement of one flag type over the ECG tasks the filter selects (received in range, center, clinic).
struct FlagAgreementRow {
  std::string code, category;
  std::int64_t raised = 0, confirmed = 0, dismissed = 0, pending = 0;
  /// confirmed / (confirmed + dismissed); nullopt while nothing was decided.
  std::optional<double> agreement;
};
/// One row per flag code (sorted by code) and a last row "all" over every flag. The filter's group is ignored.
Result<std::vector<FlagAgreementRow>> flag_agreement(db::Database& db, const StatsFilter& filter);

}  // namespace teledx::worklist
