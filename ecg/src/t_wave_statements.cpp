// T wave changes (T 波改变): flat or inverted T waves where the textbook expects them upright, on the median beat;
// a child's by the leads of its age.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "analysis_internal.hpp"

namespace teledx::ecg::detail {
namespace {

/// The leads whose T wave is upright in a healthy adult (诊断学: I, II, V4-V6); III, aVL, aVF and V1-V3 may carry a
/// flat or negative T normally, aVR a negative one.
constexpr Lead kUpright[] = {Lead::I, Lead::II, Lead::V4, Lead::V5, Lead::V6};

/// A child's right precordial T waves stay inverted from the first week of life until about 10-12 years (the
/// juvenile pattern), and in young children the inversion may reach V4; children's references list I, II, V5 and V6
/// as the leads of an upright T. Adolescents from 12 are read as adults: an inverted T in V4 at 14 is no longer
/// juvenile.
constexpr int kJuvenileV4Years = 12;
/// In the neonatal period (诊断学, 小儿心电图特点: 新生儿期肢导联及左胸前导联常出现 T 波低平、倒置) the limb and
/// left chest leads' T waves are often flat or inverted: no lead's T is held to the adult's rule in the first 28 days.
constexpr int kNeonatalDays = 28;

/// True when `age` is in the neonatal period, or under a year with its days not known (it may be).
bool neonatal(const std::optional<PatientAge>& age) {
  return age && age->years < 1 && (!age->days || *age->days < kNeonatalDays);
}

/// Below this R a lead has no R wave to speak of (1.5 mm on paper): its T is not held against it.
constexpr double kMinR = 150;
/// A T wave under a tenth of its lead's R is flat (the textbook: 以 R 波为主的导联中 T 波不应低于同导联 R 波的 1/10);
/// one below the baseline by a twentieth of R, and by 50 µV at least, is inverted rather than flat.
constexpr double kFlatOfR = 0.10, kInvertedOfR = 0.05, kInvertedUv = 50;

/// The T wave's size and side in one lead, µV from the PR baseline: its farthest point from the baseline between
/// J+60 ms (past the ST segment's start) and the T end.
double t_amplitude(const LeadSignal& l, const Fiducials& f, double fs) {
  const double base = pr_baseline_uv(l, *f.qrs_on, fs);
  const std::int64_t from = *f.qrs_off + std::int64_t(0.06 * fs);
  const std::int64_t to = std::min<std::int64_t>(*f.t_off, std::int64_t(l.uv.size()) - 1);
  double t = 0;
  for (std::int64_t k = from; k <= to; ++k) {
    const double x = double(l.uv[std::size_t(k)]) - base;
    if (std::abs(x) > std::abs(t)) t = x;
  }
  return t;
}

std::string joined(const std::vector<std::string>& names, const char* sep) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : sep) + n;
  return s;
}

}  // namespace

void t_wave_statements(Analysis& a, const std::optional<PatientAge>& age) {
  const Fiducials& f = a.median_fiducials;
  const auto& m = a.measurements;
  if (neonatal(age)) return;
  const bool juvenile = age && age->years < kJuvenileV4Years;
  // A wide QRS (bundle branch block, ventricular rhythm) and paced beats bring their own, secondary T changes: the
  // textbook reads T waves on conducted narrow beats only.
  if (!f.qrs_on || !f.qrs_off || !f.t_off || *f.t_off <= *f.qrs_off || !m.qrs || *m.qrs >= 120 ||
      has_statement(a.rhythm, "paced_rhythm") || tracing_unreliable(a))
    return;
  // A standard 12-lead ECG only: a Holter's modified chest leads (MIT-BIH's V5 beside MLII) carry T waves the
  // textbook's proportions were not written for (MIT-BIH 100's V5 T was "flat" in all its 180 windows).
  for (Lead lead : {Lead::I, Lead::II, Lead::V1, Lead::V2, Lead::V3, Lead::V4, Lead::V5, Lead::V6})
    if (!a.median.find(lead)) return;
  bool limb_swapped = false, chest_swapped = false;
  for (const auto& q : a.quality) {
    limb_swapped = limb_swapped || q.code == "limb_lead_reversal_suspected";
    chest_swapped = chest_swapped || q.code == "chest_lead_swap_suspected";
  }
  auto unusable = [&](Lead lead) {
    return (lead <= Lead::aVF && limb_swapped) || (lead >= Lead::V1 && lead <= Lead::V6 && chest_swapped) ||
           lead_off_or_noisy(a, lead);
  };
  const double fs = a.median.sample_rate_hz;
  std::vector<std::string> flat, inverted;
  for (Lead lead : kUpright) {
    if (juvenile && lead == Lead::V4) continue;
    const LeadSignal* l = a.median.find(lead);
    if (!l || unusable(lead) || *f.t_off >= std::int64_t(l->uv.size())) continue;
    const QrsAmplitude* amp = qrs_amplitude_of(a, lead);
    // Only where R dominates the QRS: in a lead whose QRS is mostly an S wave the T may follow the S down.
    if (!amp || amp->r_uv < amp->s_uv || amp->r_uv < kMinR) continue;
    const double t = t_amplitude(*l, f, fs);
    const std::string name(lead_name(lead));
    if (t <= -kInvertedOfR * amp->r_uv && t <= -kInvertedUv)
      inverted.push_back(name);
    else if (t < kFlatOfR * amp->r_uv)
      flat.push_back(name);
  }
  if (flat.empty() && inverted.empty()) return;
  std::string en, zh;
  if (!flat.empty()) {
    en = "flat (under a tenth of R) in " + joined(flat, ", ");
    zh = joined(flat, "、") + " 低平（低于 R 波的 1/10）";
  }
  if (!inverted.empty()) {
    en += (en.empty() ? "" : "; ") + std::string("inverted in ") + joined(inverted, ", ");
    zh += (zh.empty() ? "" : "，") + joined(inverted, "、") + " 倒置";
  }
  a.rhythm.push_back({"t_wave_changes", "T wave changes where R dominates the QRS: " + en, Severity::Info, std::nullopt,
                      "T 波改变（以 R 波为主的导联）：" + zh});
}

}  // namespace teledx::ecg::detail
