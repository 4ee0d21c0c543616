// The QRS frontal axis in words, as a Chinese ECG report gives it: 电轴左偏, 电轴右偏, 不确定电轴.
#include <optional>
#include <string>

#include "analysis_internal.hpp"

namespace teledx::ecg::detail {

void axis_statements(Analysis& a, std::optional<int> age) {
  const auto& axis = a.measurements.qrs_axis;
  if (!axis || has_statement(a.rhythm, "paced_rhythm") || tracing_unreliable(a)) return;
  // Swapped or missing limb electrodes move the measured axis, not the heart's: the quality statements have said
  // so and asked for a repeat.
  for (const auto& q : a.quality)
    if (q.code == "limb_lead_reversal_suspected" ||
        (q.code == "lead_off" && q.lead && *q.lead >= Lead::I && *q.lead <= Lead::aVF))
      return;
  // The textbook's ranges (诊断学): normal -30° to +90°; left deviation to -90°, right deviation to +180°, and the
  // quadrant between -90° and -180° indeterminate ("no man's land": extreme right or left, the leads cannot tell).
  // A child's axis lies further right: Park's Pediatric Cardiology gives +10° to +110° from 3 months to 3 years and
  // +20° to +120° after, and up to +180° in the first weeks (ages here are whole years: under one, no right
  // deviation is stated). The left limit stays the adult's, which no normal child reaches.
  const double right_limit = !age || *age >= 16 ? 90 : *age < 1 ? 180 : *age < 3 ? 110 : 120;
  const double d = *axis;
  const std::string deg = fmt(d) + "°";
  if (d < -90)
    a.rhythm.push_back({"indeterminate_axis", "Indeterminate axis (QRS axis " + deg + ", between -90° and 180°)",
                        Severity::Info, std::nullopt, "不确定电轴（QRS 电轴 " + deg + "，位于 -90° 至 180° 之间）"});
  else if (d < -30)
    a.rhythm.push_back({"left_axis_deviation", "Left axis deviation (QRS axis " + deg + ")", Severity::Info,
                        std::nullopt, "电轴左偏（QRS 电轴 " + deg + "）"});
  else if (d > right_limit)
    a.rhythm.push_back({"right_axis_deviation", "Right axis deviation (QRS axis " + deg + ")", Severity::Info,
                        std::nullopt, "电轴右偏（QRS 电轴 " + deg + "）"});
}

}  // namespace teledx::ecg::detail
