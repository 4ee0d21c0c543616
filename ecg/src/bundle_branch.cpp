// Bundle branch and fascicular blocks from the median beat's QRS: complete right and left bundle branch block and
// incomplete right bundle branch block from its width and, in V1, I and V6, the direction of its last and first
// deflections (完全性右束支传导阻滞, 完全性左束支传导阻滞, 不完全性右束支传导阻滞), a wide QRS of neither shape
// (非特异性室内传导阻滞); left anterior fascicular block from the frontal axis and the order of the waves in aVL and
// the inferior leads (左前分支阻滞).
#include <algorithm>
#include <optional>
#include <string>

#include "analysis_internal.hpp"

namespace teledx::ecg::detail {
namespace {

/// The shape of one lead's median QRS, each part as a fraction of the lead's QRS peak-to-peak, so that a small lead
/// and a big one read alike.
struct QrsShape {
  double terminal = 0;  ///< mean over the QRS's last 40 ms: its last deflection's side
  double initial = 0;   ///< the lowest point of its first 20 ms: a q wave when clearly negative
  double net = 0;       ///< mean over the whole QRS: the side it mostly lies on
  double before_terminal = 0;  ///< the lowest point before the last 40 ms: the S of an rSR'
  double before_peak = 0;      ///< the lowest point before the highest one: a q before the R (qR)
  double before_nadir = 0;     ///< the highest point before the lowest one: an r before the S (rS)
};

std::optional<QrsShape> shape_of(const Analysis& a, Lead lead) {
  const auto m = median_lead(a, lead);
  if (!m) return std::nullopt;
  const std::int64_t on = m->on, off = m->off;
  const double fs = m->fs;
  auto x = [&](std::int64_t k) { return m->x(k); };
  double hi = 0, lo = 0, sum = 0;
  std::int64_t k_hi = on, k_lo = on;
  for (std::int64_t k = on; k <= off; ++k) {
    if (x(k) > hi) hi = x(k), k_hi = k;
    if (x(k) < lo) lo = x(k), k_lo = k;
    sum += x(k);
  }
  if (hi - lo <= 0) return std::nullopt;
  const double pp = hi - lo;
  QrsShape s;
  const std::int64_t t0 = std::max(on, off - std::int64_t(0.04 * fs)), i1 = std::min(off, on + std::int64_t(0.02 * fs));
  for (std::int64_t k = t0; k <= off; ++k) s.terminal += x(k);
  s.terminal /= double(off - t0 + 1) * pp;
  for (std::int64_t k = on; k <= i1; ++k) s.initial = std::min(s.initial, x(k) / pp);
  for (std::int64_t k = on; k < t0; ++k) s.before_terminal = std::min(s.before_terminal, x(k) / pp);
  for (std::int64_t k = on; k < k_hi; ++k) s.before_peak = std::min(s.before_peak, x(k) / pp);
  for (std::int64_t k = on; k < k_lo; ++k) s.before_nadir = std::max(s.before_nadir, x(k) / pp);
  s.net = sum / double(off - on + 1) / pp;
  return s;
}

/// A deflection counts when it is 5% of the lead's QRS: past the noise of a median beat, short of any threshold a
/// record could be tuned on (the textbook's criteria are directions, not sizes).
constexpr double kClear = 0.05;

/// Left anterior fascicular block (AHA/ACC/HRS 2009; 诊断学): a frontal axis from -45° to -90°, qR in aVL, rS in II,
/// III and aVF with the deepest S in III, and a QRS under 120 ms unless a right bundle branch block widens it (the
/// two together are a bifascicular block). The wave order matters, not only the axis: the left anterior fascicle
/// blocked, the septum and the inferior wall still depolarise first (the small r below, the q in aVL); an inferior
/// infarct's QS in II, III and aVF moves the axis as far without it.
void left_anterior_fascicular_block(Analysis& a, bool rbbb) {
  const auto& m = a.measurements;
  if (!m.qrs_axis || *m.qrs_axis > -45 || *m.qrs_axis < -90 || !m.qrs || (*m.qrs >= 120 && !rbbb)) return;
  for (Lead lead : {Lead::aVL, Lead::II, Lead::III, Lead::aVF})
    if (lead_off_or_noisy(a, lead)) return;
  // Swapped limb electrodes move the axis and the leads' shapes, not the heart's (said already, with a repeat).
  if (has_statement(a.quality, "limb_lead_reversal_suspected")) return;
  const auto avl = shape_of(a, Lead::aVL), ii = shape_of(a, Lead::II), iii = shape_of(a, Lead::III),
             avf = shape_of(a, Lead::aVF);
  if (!avl || !ii || !iii || !avf) return;
  if (avl->before_peak > -kClear || avl->net <= 0) return;
  for (const auto& inferior : {*ii, *iii, *avf})
    if (inferior.before_nadir < kClear || inferior.net >= 0) return;
  const QrsAmplitude *s2 = qrs_amplitude_of(a, Lead::II), *s3 = qrs_amplitude_of(a, Lead::III);
  if (!s2 || !s3 || s3->s_uv <= s2->s_uv) return;
  // The axis is in the sentence; a separate "left axis deviation" beside it would say the same twice.
  std::erase_if(a.rhythm, [](const Statement& s) { return s.code == "left_axis_deviation"; });
  const std::string deg = fmt(*m.qrs_axis) + "°";
  a.rhythm.push_back({"left_anterior_fascicular_block",
                      "Left anterior fascicular block suspected (QRS axis " + deg + ", qR in aVL, rS in II, III and aVF)",
                      Severity::Info, std::nullopt,
                      "左前分支阻滞（疑似）：QRS 电轴 " + deg + "，aVL 呈 qR 型，II、III、aVF 呈 rS 型"});
}

/// The rhythms whose QRS is conducted from above the ventricles: only there is a wide QRS the conduction's own
/// delay. Without one (an undetermined wide rhythm, a ventricular escape under complete block) the QRS may start in
/// the ventricles, and a short PR may be pre-excitation's delta wave widening it.
bool conducted_from_above(const Analysis& a) {
  for (const char* other : {"third_degree_av_block_suspected", "high_grade_av_block", "short_pr"})
    if (has_statement(a.rhythm, other)) return false;
  for (const char* above : {"sinus_rhythm", "sinus_bradycardia", "sinus_tachycardia", "atrial_fibrillation",
                            "atrial_flutter", "ectopic_atrial_rhythm", "junctional_rhythm"})
    if (has_statement(a.rhythm, above)) return true;
  return false;
}

/// Nonspecific intraventricular conduction delay (非特异性室内传导阻滞; AHA/ACCF/HRS 2009, 诊断学): a QRS as wide as
/// a complete bundle branch block's at the patient's age, conducted from above the ventricles, with neither block's
/// shape in V1, I and V6. The adult width is the textbook's 120 ms, the complete blocks' own (AHA's "over 110 ms"
/// would call it on a QRS our blocks do not count as wide); a child's is its age's (bundle_branch_widths).
void nonspecific_conduction_delay(Analysis& a, const BundleBranchWidths& width) {
  if (!conducted_from_above(a)) return;
  const std::string qrs = fmt(*a.measurements.qrs) + " ms";
  const std::string at = width.age_en.empty() ? "" : ", over " + fmt(width.complete) + " ms at " + width.age_en;
  const std::string at_zh = width.age_zh.empty() ? "" : "（" + width.age_zh + "超过 " + fmt(width.complete) + " ms）";
  a.rhythm.push_back({"intraventricular_conduction_delay",
                      "Nonspecific intraventricular conduction delay suspected (QRS " + qrs + at +
                          ", without the shape of a right or left bundle branch block)",
                      Severity::Info, std::nullopt,
                      "非特异性室内传导阻滞（疑似）：QRS " + qrs + at_zh + "，不符合左、右束支传导阻滞图形"});
}

}  // namespace

void bundle_branch_statements(Analysis& a, const std::optional<PatientAge>& age) {
  const auto& m = a.measurements;
  const Fiducials& f = a.median_fiducials;
  if (!m.qrs || !f.qrs_on || !f.qrs_off || has_statement(a.rhythm, "paced_rhythm") || tracing_unreliable(a)) return;
  bool rbbb = false;
  // Bundle branch blocks: the three leads the criteria read; a lead off or noisy (said already) leaves the QRS's
  // shape unknown.
  const bool sound = !lead_off_or_noisy(a, Lead::V1) && !lead_off_or_noisy(a, Lead::I) && !lead_off_or_noisy(a, Lead::V6);
  const auto v1 = shape_of(a, Lead::V1), i = shape_of(a, Lead::I), v6 = shape_of(a, Lead::V6);
  // A child's conduction is faster and its QRS narrower: the widths that make a block are its age's (AHA/ACCF/HRS
  // 2009, bundle_branch_widths), and the statement names them.
  const BundleBranchWidths width = bundle_branch_widths(age);
  const bool complete = width.is_complete(*m.qrs);
  if (*m.qrs >= width.incomplete && sound && v1 && i && v6) {
    const std::string qrs = fmt(*m.qrs) + " ms";
    const std::string at = width.age_en.empty() ? "" : " (over " + fmt(width.complete) + " ms at " + width.age_en + ")";
    const std::string at_zh = width.age_zh.empty() ? "" : "（" + width.age_zh + "超过 " + fmt(width.complete) + " ms）";
    const std::string at_inc = width.age_en.empty() ? "" : " (" + fmt(width.incomplete) + "-" + fmt(width.complete) + " ms at " + width.age_en + ")";
    const std::string at_inc_zh =
        width.age_zh.empty() ? "" : "（" + width.age_zh + " " + fmt(width.incomplete) + "–" + fmt(width.complete) + " ms）";
    // Right: the right ventricle depolarises last, from left to right and toward V1 — a terminal R' in V1, and I and
    // V6 ending below the baseline (their terminal S; in V1 the clear deflection is the one asked for).
    const bool right = v1->terminal > kClear && i->terminal < 0 && v6->terminal < 0;
    if (right && complete) {
      rbbb = true;
      a.rhythm.push_back({"complete_rbbb",
                          "Complete right bundle branch block suspected (QRS " + qrs + at +
                              ", terminal R in V1, terminal S in I and V6)",
                          Severity::Info, std::nullopt,
                          "完全性右束支传导阻滞（疑似）：QRS " + qrs + at_zh + "，V1 终末 R 波，I、V6 终末 S 波"});
    } else if (right && v1->before_terminal < -kClear) {
      // Incomplete (AHA/ACC/HRS 2009, adults): the same directions with a QRS of 110-119 ms, and V1's terminal R'
      // after an S (rSR'): a QRS upright to its end in V1 with nothing below the baseline before is a tall R
      // (right ventricular hypertrophy, a posterior infarct), not a late right ventricle.
      a.rhythm.push_back({"incomplete_rbbb",
                          "Incomplete right bundle branch block suspected (QRS " + qrs + at_inc +
                              ", rSR' in V1, terminal S in I and V6)",
                          Severity::Info, std::nullopt,
                          "不完全性右束支传导阻滞（疑似）：QRS " + qrs + at_inc_zh + "，V1 呈 rSR' 型，I、V6 终末 S 波"});
    } else if (complete && v1->net < -kClear && i->terminal > kClear && v6->terminal > kClear &&
               i->initial > -kClear && v6->initial > -kClear) {
      // Left: the septum depolarises from right to left and the whole QRS turns away from V1 — V1 mostly negative
      // (QS or rS), I and V6 upright to the end without a septal q.
      a.rhythm.push_back({"complete_lbbb",
                          "Complete left bundle branch block suspected (QRS " + qrs + at +
                              ", V1 mostly negative, I and V6 upright without q)",
                          Severity::Info, std::nullopt,
                          "完全性左束支传导阻滞（疑似）：QRS " + qrs + at_zh + "，V1 以负向波为主，I、V6 直立且无 q 波"});
    }
  }
  // Neither block's shape is known to be missing unless V1, I and V6 were all read.
  if (complete && sound && v1 && i && v6 && !rbbb && !has_statement(a.rhythm, "complete_lbbb"))
    nonspecific_conduction_delay(a, width);
  left_anterior_fascicular_block(a, rbbb);
}

}  // namespace teledx::ecg::detail
