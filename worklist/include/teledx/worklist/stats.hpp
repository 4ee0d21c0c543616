#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "teledx/core/database.hpp"
#include "teledx/core/result.hpp"

namespace teledx::worklist {

enum class StatsGroup { None, Center, Clinic, Modality, Reader, Priority, Day };
std::optional<StatsGroup> stats_group_from(std::string_view s);  // "none", "center", "clinic", "modality", ...

/// Which tasks count: received in [from_ms, to_ms), optionally of one center or clinic.
struct StatsFilter {
  std::optional<std::int64_t> center_id, clinic_id;
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

}  // namespace teledx::worklist
