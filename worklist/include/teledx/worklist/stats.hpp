#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "teledx/core/database.hpp"
#include "teledx/core/result.hpp"

namespace teledx::worklist {

enum class StatsGroup { None, Center, Clinic, Modality, Reader, Priority, Day, Technician };
/// "none", "center", "clinic", "modality", "reader", "priority", "day", "technician".
std::optional<StatsGroup> stats_group_from(std::string_view s);

/// A technician's key in statistics and filters: "user:<id>" for a clinic user who uploaded the exam,
/// "name:<text>" for the operator named in C-STORE files, "unknown" otherwise.
std::string technician_key(std::optional<std::int64_t> id, const std::string& name);

/// Which tasks count: received in [from_ms, to_ms), optionally of one center or clinic.
struct StatsFilter {
  std::optional<std::int64_t> center_id, clinic_id;
  std::optional<std::string> technician;  // a technician_key()
  std::optional<std::int64_t> from_ms, to_ms;
  StatsGroup group = StatsGroup::None;
  int utc_offset_minutes = 480;  // day boundaries for StatsGroup::Day
};

/// Durations in ms over the tasks that reached both ends of a stage; nearest-rank percentiles.
struct Percentiles {
  std::int64_t count = 0;
  std::int64_t p50_ms = 0, p90_ms = 0;
};

struct TurnaroundRow {
  std::string key;  // "all", a clinic/center/reader id, a modality, a priority or a local date "YYYY-MM-DD"
  std::string label;
  std::int64_t tasks = 0, signed_count = 0, open_overdue = 0, within_sla = 0, returned = 0, critical = 0,
               quality_poor = 0;
  /// Exams graded for technical quality, and how many were good (A) and acceptable (B); poor (C) above.
  std::int64_t quality_graded = 0, quality_good = 0, quality_acceptable = 0;
  /// within_sla / (signed + open tasks already past their deadline); 1 when nothing is due yet.
  double sla_compliance = 1.0;
  Percentiles received_to_claimed, claimed_to_signed, signed_to_delivered, delivered_to_acknowledged,
      received_to_signed, critical_acknowledgement;
};

/// Turnaround by stage (received -> claimed -> signed -> delivered -> acknowledged), SLA compliance and volumes.
Result<std::vector<TurnaroundRow>> turnaround(db::Database& db, const StatsFilter& filter, std::int64_t now_ms);
/// The same rows as CSV with a header line (durations in seconds).
std::string turnaround_csv(const std::vector<TurnaroundRow>& rows);
/// Nearest-rank percentile (p in 0..100) of unsorted values; 0 for none.
std::int64_t percentile(std::vector<std::int64_t> values, double p);

/// Which graded exams the quality feedback history lists: graded in [from_ms, to_ms), newest grade first.
struct QualityQuery {
  std::optional<std::int64_t> center_id, clinic_id;
  std::optional<std::string> technician;  // a technician_key()
  std::optional<std::string> grade;       // "A", "B" or "C"
  std::optional<std::int64_t> from_ms, to_ms;
  std::int64_t limit = 50, offset = 0;  // limit 1..500
};

struct QualityFeedback {
  std::int64_t task_id = 0, clinic_id = 0, center_id = 0;
  std::string study_uid, modality, body_part, description, accession, patient_name, patient_id;
  std::string technician_key, technician_name;
  std::string grade;
  std::vector<std::string> reasons;
  std::string comment;
  std::int64_t graded_by = 0, graded_ms = 0, received_ms = 0;
};

struct QualityPage {
  std::vector<QualityFeedback> items;
  bool has_more = false;
};

/// The reader's quality grades of exams, for feedback to the clinic (BadRequest for a bad limit or grade).
Result<QualityPage> quality_feedback(db::Database& db, const QualityQuery& q);

}  // namespace teledx::worklist
