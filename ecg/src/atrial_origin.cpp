// Where the atrial rhythm starts, from the P wave's frontal axis: the sinus node lies high in the right atrium and
// activates the atria downward and to the left, so its P wave is upright in II, III and aVF (诊断学: 窦性 P 波 I、II、
// aVF 直立). A P wave inverted in those leads at a steady PR starts low in the atria (房性心律, ectopic atrial rhythm)
// or, with a PR under 120 ms, is conducted backward from the AV junction (交界性心律, retrograde P waves).
#include <algorithm>
#include <string>

#include "analysis_internal.hpp"

namespace teledx::ecg::detail {
namespace {

/// The P wave of the median beat in `lead` is inverted: its largest deviation from the isoelectric level (the PR
/// level, or the level before the P where it runs into the QRS) is below it by 20 µV
/// or more (a flat P, or a noise hump, is not), and its area is below too.
bool p_inverted(const Analysis& a, Lead lead) {
  const LeadSignal* l = a.median.find(lead);
  const Fiducials& f = a.median_fiducials;
  if (!l || !f.p_on || !f.p_off || !f.qrs_on || *f.p_off >= std::int64_t(l->uv.size())) return false;
  const double base = isoelectric_uv(*l, f, a.median.sample_rate_hz);
  double extreme = 0, area = 0;
  for (std::int64_t k = *f.p_on; k <= *f.p_off; ++k) {
    const double x = double(l->uv[std::size_t(k)]) - base;
    if (std::abs(x) > std::abs(extreme)) extreme = x;
    area += x;
  }
  return extreme <= -20 && area < 0;
}

}  // namespace

void atrial_origin_statements(Analysis& a) {
  const auto& m = a.measurements;
  // From -30° the P wave turns negative in II (at 60°); beyond -90° it is negative in I as well, which swapped right
  // arm and left leg electrodes make of a sinus P wave: the quality statements ask for a check there.
  if (!m.p_axis || *m.p_axis >= -30 || *m.p_axis < -90 || !m.pr || !m.heart_rate) return;
  const auto sinus = std::find_if(a.rhythm.begin(), a.rhythm.end(), [](const Statement& s) {
    return s.code == "sinus_rhythm" || s.code == "sinus_bradycardia" || s.code == "sinus_tachycardia";
  });
  if (sinus == a.rhythm.end()) return;
  // The sinus statement beside an AV block gives the atrial waves' rate, which the block's own check measured; an
  // atrial origin of those waves is not asked about there.
  for (const auto& s : a.rhythm)
    if (s.code.find("av_block") != std::string::npos && s.code != "first_degree_av_block") return;
  if (tracing_unreliable(a) || has_statement(a.quality, "limb_lead_reversal_suspected")) return;
  // Swapped right arm and left leg electrodes turn a sinus P wave of 0-30° (a horizontal heart) to -60..-90°, which
  // the P axis alone cannot tell from a low atrial origin, and the electrode check (P axis beyond -90°) misses; they
  // turn the T wave upward as well, which an atrial origin leaves alone. LUDB's 51 dev records with those electrodes
  // swapped in software: 7 were stated ectopic or junctional before this condition, their T axes -51° to -159°.
  if (!m.t_axis || *m.t_axis < -30) return;
  for (Lead lead : {Lead::I, Lead::II, Lead::III, Lead::aVF})
    if (lead_off_or_noisy(a, lead)) return;
  for (Lead lead : {Lead::II, Lead::III, Lead::aVF})
    if (!p_inverted(a, lead)) return;
  const double rate = *m.heart_rate, pr = *m.pr;
  const std::string axis = fmt(*m.p_axis) + "°", details_en = "P axis " + axis + ", inverted in II, III and aVF; PR " +
                                                                 fmt(pr) + " ms), " + fmt(rate) + "/min",
                    details_zh = "P 波电轴 " + axis + "，II、III、aVF 导联 P 波倒置，PR " + fmt(pr) + " ms，" +
                                 fmt(rate) + " 次/分";
  const Severity fast = rate > 100 ? Severity::Warning : Severity::Info;
  Statement said;
  if (pr >= 120) {
    said = rate > 100 ? Statement{"ectopic_atrial_rhythm", "Ectopic atrial tachycardia suspected (" + details_en, fast,
                                  std::nullopt, "房性心动过速（疑似）：" + details_zh}
                      : Statement{"ectopic_atrial_rhythm", "Ectopic atrial rhythm suspected (" + details_en, fast,
                                  std::nullopt, "房性心律（疑似）：" + details_zh};
  } else {
    // Named by its rate as the textbook names it: an escape rhythm below 60/min, accelerated to 100, then a
    // tachycardia.
    const auto [en, zh] = rate < 60    ? std::pair{"Junctional escape rhythm", "交界性逸搏心律"}
                          : rate <= 100 ? std::pair{"Accelerated junctional rhythm", "加速性交界性心律"}
                                        : std::pair{"Junctional tachycardia", "交界性心动过速"};
    said = {"junctional_rhythm", std::string(en) + " suspected (retrograde P waves: " + details_en, fast, std::nullopt,
            std::string(zh) + "（疑似）：逆行 P 波，" + details_zh};
  }
  *sinus = said;
  // Breathing's swing of the sinus rate is the sinus node's; the statement would name a node not leading. A
  // retrograde P wave's short PR is the junction's own timing, not a fast forward conduction.
  std::erase_if(a.rhythm, [](const Statement& s) { return s.code == "sinus_arrhythmia" || s.code == "short_pr"; });
}

}  // namespace teledx::ecg::detail
