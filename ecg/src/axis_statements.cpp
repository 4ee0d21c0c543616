// The QRS frontal axis in words, as a Chinese ECG report gives it: 电轴左偏, 电轴右偏, 不确定电轴.
#include <optional>
#include <string>

#include "analysis_internal.hpp"

namespace teledx::ecg::detail {

void axis_statements(Analysis& a, const std::optional<PatientAge>& age) {
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
  // A child's axis lies further right, a newborn's up to +190° (qrs_axis_range): past +180° it is measured as -170°,
  // which is read on the child's side of the circle. The child's range is named in the statement.
  const AgeRange range = qrs_axis_range(age);
  double d = *axis;
  if (range.high > 180 && d + 360 <= range.high) d += 360;
  const std::string deg = fmt(*axis) + "°";
  auto signed_deg = [](double v) { return (v > 0 ? "+" : "") + fmt(v) + "°"; };
  const std::string norm =
      range.age_en.empty() ? "" : "; normal at " + range.age_en + ": " + signed_deg(range.low) + " to " + signed_deg(range.high);
  const std::string norm_zh =
      range.age_zh.empty() ? "" : "，" + range.age_zh + "正常范围 " + signed_deg(range.low) + " 至 " + signed_deg(range.high);
  if (d < -90)
    a.rhythm.push_back({"indeterminate_axis", "Indeterminate axis (QRS axis " + deg + ", between -90° and 180°)",
                        Severity::Info, std::nullopt, "不确定电轴（QRS 电轴 " + deg + "，位于 -90° 至 180° 之间）"});
  else if (d < range.low)
    a.rhythm.push_back({"left_axis_deviation", "Left axis deviation (QRS axis " + deg + norm + ")", Severity::Info,
                        std::nullopt, "电轴左偏（QRS 电轴 " + deg + norm_zh + "）"});
  else if (d > range.high)
    a.rhythm.push_back({"right_axis_deviation", "Right axis deviation (QRS axis " + deg + norm + ")", Severity::Info,
                        std::nullopt, "电轴右偏（QRS 电轴 " + deg + norm_zh + "）"});
}

}  // namespace teledx::ecg::detail
