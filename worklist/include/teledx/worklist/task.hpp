#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "teledx/core/consortium.hpp"

namespace teledx::worklist {

enum class TaskKind { Imaging, Ecg };
/// Ordered: a lower value is more urgent (stored as 0, 1, 2 so the index sorts by it).
enum class Priority { Stat, Urgent, Routine };
enum class TaskState { Waiting, Claimed, InReport, PendingReview, Signed, Delivered, Acknowledged, Returned, Amended };
enum class TaskAction {
  Claim, Release, StartReport, SubmitForReview, Approve, ReturnForRevision, Sign, MarkDelivered, Acknowledge,
  ReturnToClinic, Resume, Amend, Assign, ExpireLease
};
/// Free-claim fairness: TopOfQueue = only the first waiting task the reader may read; PriorityBand = any task
/// of the most urgent waiting priority; Off = anything.
enum class FairnessMode { TopOfQueue, PriorityBand, Off };

std::string_view to_string(TaskKind v);
std::string_view to_string(Priority v);
std::string_view to_string(TaskState v);
std::string_view to_string(TaskAction v);
std::string_view to_string(FairnessMode v);
/// Parsers for the names above ("imaging", "stat", "in_report", "return_to_clinic", "priority_band"...).
std::optional<TaskKind> task_kind_from(std::string_view s);
std::optional<Priority> priority_from(std::string_view s);
std::optional<TaskState> task_state_from(std::string_view s);
std::optional<TaskAction> task_action_from(std::string_view s);
std::optional<FairnessMode> fairness_from(std::string_view s);
/// Waiting, Claimed, InReport, PendingReview: the SLA clock is running.
bool is_open(TaskState s);

/// Who acts on a task. `system` is the server itself (lease expiry, rota dispatch, delivery).
struct Actor {
  std::int64_t user_id = 0;
  Role role = Role::ClinicTech;
  std::int64_t institution_id = 0;
  std::string name;
  bool system = false;
  std::string username{};  // login name for the audit log (empty: `name` is used)
  std::string remote{};    // client address for the audit log

  static Actor from(const Principal& p, std::string remote = {}) {
    return {p.user.id, p.user.role, p.institution.id, p.user.display_name, false, p.user.username, std::move(remote)};
  }
  static Actor server() { return {0, Role::Admin, 0, "system", true, "system", "local"}; }
  /// Who the audit log names: "system" for the server, else the login name.
  std::string audit_name() const { return system ? "system" : username.empty() ? name : username; }
};

/// What the clinic asked for.
struct ExamRequest {
  std::string reason;
  std::string history;
  Priority priority = Priority::Routine;
};

struct PatientSummary {
  std::string name, id, sex, birth_date, age, national_id;
};

/// A completed study as the ingest side hands it over (the dicom module owns the instances).
struct StudyForReading {
  std::string study_uid;
  std::int64_t clinic_id = 0;
  std::int64_t center_id = 0;  // the reading center the study is routed to
  TaskKind kind = TaskKind::Imaging;
  ExamRequest request;
  PatientSummary patient;
  std::string modality, body_part, description, accession;
  std::int64_t received_ms = 0;  // first instance received; 0 = now
  /// Who performed the exam at the clinic, for quality feedback: the uploading clinic user (id and name), or for
  /// C-STORE the file's Operators' Name / Performing Physician's Name (no id), or "unknown".
  std::optional<std::int64_t> technician_id;
  std::string technician_name;
};

/// The critical-value (危急值) loop of one task.
struct CriticalValue {
  std::string category;
  std::string note;
  std::int64_t marked_ms = 0;
  std::int64_t marked_by = 0;
  std::optional<std::int64_t> acknowledged_by;
  std::string acknowledged_name;  // the read-back name typed by the clinic user
  std::int64_t acknowledged_ms = 0;
};

/// The reader's grade of the exam's technical quality.
struct QualityGrade {
  std::string grade;                 // "A" good, "B" acceptable, "C" poor
  std::vector<std::string> reasons;  // positioning, exposure, motion, artefact, missing_leads, noise, wrong_patient_data, other
  std::string comment;
  std::int64_t graded_by = 0;
  std::int64_t graded_ms = 0;
};

/// One reading task: one per (study, reading center).
struct Task {
  std::int64_t id = 0;
  std::string study_uid;
  std::int64_t clinic_id = 0, center_id = 0;
  TaskKind kind = TaskKind::Imaging;
  Priority priority = Priority::Routine;
  TaskState state = TaskState::Waiting;
  ExamRequest request;
  PatientSummary patient;
  std::string modality, body_part, description, accession;
  std::optional<std::int64_t> assignee_id;
  std::string assignee_name;
  std::int64_t lease_expires_ms = 0;  // 0 when not leased
  std::int64_t deadline_ms = 0;
  std::int64_t warn_ms = 0;           // "nearing the deadline" from here on
  std::int64_t sla_paused_ms = 0;     // time spent returned to the clinic: the SLA clock stops meanwhile
  std::string machine_flags = "{}";   // JSON object text, set by the ECG analysis
  bool updated = false;               // instances arrived after the study was completed
  std::optional<std::int64_t> submitted_by;  // junior who submitted for review
  std::string return_reason;
  std::optional<CriticalValue> critical;
  std::optional<QualityGrade> quality;
  std::optional<std::int64_t> technician_id;  // see StudyForReading
  std::string technician_name;
  // Stage timestamps (ms since epoch, 0 = not reached); first occurrence of each stage.
  std::int64_t received_ms = 0, created_ms = 0, claimed_ms = 0, signed_ms = 0, delivered_ms = 0, acknowledged_ms = 0;
  std::int64_t updated_ms = 0;
  std::int64_t row_version = 0;  // increases with every change

  bool overdue(std::int64_t now_ms) const { return is_open(state) && deadline_ms < now_ms; }
};

/// One recorded transition.
struct TaskEvent {
  std::int64_t seq = 0;
  std::int64_t task_id = 0;
  TaskAction action = TaskAction::Claim;
  TaskState from = TaskState::Waiting, to = TaskState::Waiting;
  std::int64_t actor_id = 0;  // 0 = system
  std::string actor_name;
  std::int64_t at_ms = 0;
  std::string note;
};

/// Per-center settings. SLA minutes are indexed [kind][priority].
struct CenterSettings {
  std::array<std::array<int, 3>, 2> sla_minutes{{{30, 60, 240}, {10, 15, 30}}};
  int lease_minutes = 15;
  FairnessMode fairness = FairnessMode::PriorityBand;
  bool two_level_signing = false;
  int warn_percent = 80;  // "nearing deadline" once this share of the SLA has elapsed
  std::array<int, 2> critical_escalation_minutes{10, 20};  // unacknowledged critical value -> lead, twice
  int utc_offset_minutes = 480;  // local time of the rota and of per-day statistics (China Standard Time)

  int sla_for(TaskKind k, Priority p) const {
    return sla_minutes[static_cast<int>(k)][static_cast<int>(p)];
  }
};

}  // namespace teledx::worklist
