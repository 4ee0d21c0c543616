// QRS wave amplitudes per lead on the median beat (RV5, SV1, ...) and the voltage statements a Chinese ECG report
// makes from them: low voltage (低电压) and left ventricular high voltage (左心室高电压).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "analysis_internal.hpp"

namespace teledx::ecg::detail {
namespace {

/// A deflection smaller than this is no wave of its own (the CSE and Minnesota code's 20-30 µV): a small notch
/// before a QS complex does not make its depth an S wave.
constexpr double kMinWaveUv = 30;

std::string mv(double uv) { return fmt(uv / 1000.0, 2) + " mV"; }

}  // namespace

void qrs_amplitudes(Analysis& a) {
  const Fiducials& f = a.median_fiducials;
  if (a.median.leads.empty() || !f.qrs_on || !f.qrs_off || *f.qrs_off <= *f.qrs_on) return;
  const double fs = a.median.sample_rate_hz;
  const std::int64_t on = *f.qrs_on, off = *f.qrs_off;
  for (const auto& l : a.median.leads) {
    if (off >= std::int64_t(l.uv.size())) continue;
    const double base = pr_baseline_uv(l, on, fs);
    QrsAmplitude q{l.lead, 0, 0};
    std::int64_t first_positive = -1;
    for (std::int64_t k = on; k <= off; ++k) {
      const double x = l.uv[std::size_t(k)] - base;
      q.r_uv = std::max(q.r_uv, x);
      if (first_positive < 0 && x >= kMinWaveUv) first_positive = k;
    }
    // S follows the first positive wave; in a QS complex (no positive wave) the whole QRS is the negative one.
    double deepest = 0;
    for (std::int64_t k = on; k <= off; ++k) {
      const double below = base - l.uv[std::size_t(k)];
      deepest = std::max(deepest, below);
      if (k >= first_positive) q.s_uv = std::max(q.s_uv, below);
    }
    q.pp_uv = std::round(q.r_uv + deepest);
    q.r_uv = std::round(q.r_uv), q.s_uv = std::round(q.s_uv);
    a.qrs_amplitudes.push_back(q);
  }
  for (const auto& q : a.qrs_amplitudes) {
    if (q.lead == Lead::V5) a.measurements.rv5 = q.r_uv;
    if (q.lead == Lead::V1) a.measurements.sv1 = q.s_uv;
  }
}

namespace {

/// "Low voltage" when every one of the six limb leads has a QRS under 0.5 mV (R+S or R+Q), or every one of the six
/// chest leads one under 0.8 mV (诊断学): all six of the group recorded, none said off or noisy, which would make a
/// lead small for want of signal.
void low_voltage(Analysis& a) {
  constexpr Lead kLimb[] = {Lead::I, Lead::II, Lead::III, Lead::aVR, Lead::aVL, Lead::aVF};
  constexpr Lead kChest[] = {Lead::V1, Lead::V2, Lead::V3, Lead::V4, Lead::V5, Lead::V6};
  // The largest QRS of the group when all six are there and sound, else nullopt.
  auto largest = [&](const Lead (&group)[6]) -> std::optional<double> {
    double top = 0;
    for (Lead l : group) {
      const QrsAmplitude* q = qrs_amplitude_of(a, l);
      if (!q || lead_off_or_noisy(a, l)) return std::nullopt;
      top = std::max(top, q->pp_uv);
    }
    return top;
  };
  const auto limb = largest(kLimb), chest = largest(kChest);
  const bool limb_low = limb && *limb < 500, chest_low = chest && *chest < 800;
  if (!limb_low && !chest_low) return;
  std::string text = "Low QRS voltage", text_zh = limb_low && chest_low ? "低电压" : limb_low ? "肢体导联低电压" : "胸导联低电压";
  text += limb_low && chest_low ? "" : limb_low ? " in the limb leads" : " in the chest leads";
  std::string en_detail, zh_detail;
  if (limb_low) en_detail += "limb leads at most " + mv(*limb) + " (< 0.50 mV)", zh_detail += "肢体导联最大 " + mv(*limb) + "（< 0.50 mV）";
  if (limb_low && chest_low) en_detail += ", ", zh_detail += "，";
  if (chest_low) en_detail += "chest leads at most " + mv(*chest) + " (< 0.80 mV)", zh_detail += "胸导联最大 " + mv(*chest) + "（< 0.80 mV）";
  a.rhythm.push_back({"low_qrs_voltage", text + ": " + en_detail, Severity::Info, std::nullopt, text_zh + "：" + zh_detail});
}

}  // namespace

void voltage_statements(Analysis& a, const PatientInfo& patient, const std::string& acquisition_time) {
  if (tracing_unreliable(a)) return;
  low_voltage(a);
  // The voltage criteria are an adult's, for a narrow QRS: a bundle branch block or a paced beat makes the QRS tall
  // without hypertrophy, and young people's voltages are high as a rule.
  const auto& m = a.measurements;
  if (a.qrs_amplitudes.empty() || !m.qrs || *m.qrs >= 120 || has_statement(a.rhythm, "paced_rhythm")) return;
  if (const auto age = patient_age(patient, acquisition_time); age && *age < 18) return;
  auto amp = [&](Lead l) { return qrs_amplitude_of(a, l); };
  // The criteria of the Chinese diagnostics textbook (诊断学, left ventricular hypertrophy: QRS voltage), with
  // Sokolow-Lyon's and Cornell's sums at the thresholds for the patient's sex; the men's, the higher ones, when the
  // sex is not known, so that an unknown sex never calls more.
  const bool female = patient.sex == "F";
  const std::string sex_en = female ? "women" : patient.sex == "M" ? "men" : "men; sex not known";
  const std::string sex_zh = female ? "女性" : patient.sex == "M" ? "男性" : "男性标准，性别未知";
  std::vector<std::string> en, zh;
  auto check = [&](bool met, const std::string& what, double uv, double limit_uv, bool by_sex) {
    if (!met) return;
    en.push_back(what + " " + mv(uv) + " (> " + mv(limit_uv) + (by_sex ? " for " + sex_en : "") + ")");
    zh.push_back(what + " " + mv(uv) + "（> " + mv(limit_uv) + (by_sex ? "，" + sex_zh : "") + "）");
  };
  const QrsAmplitude *v1 = amp(Lead::V1), *v3 = amp(Lead::V3), *v5 = amp(Lead::V5), *v6 = amp(Lead::V6);
  const QrsAmplitude *i = amp(Lead::I), *iii = amp(Lead::III), *avl = amp(Lead::aVL), *avf = amp(Lead::aVF);
  if (v5 && v6) {
    const bool v6_taller = v6->r_uv > v5->r_uv;
    check(std::max(v5->r_uv, v6->r_uv) > 2500, v6_taller ? "RV6" : "RV5", std::max(v5->r_uv, v6->r_uv), 2500, false);
  }
  if (v5 && v1) {
    const double limit = female ? 3500 : 4000;
    check(v5->r_uv + v1->s_uv > limit, "RV5+SV1", v5->r_uv + v1->s_uv, limit, true);
  }
  if (i) check(i->r_uv > 1500, "RI", i->r_uv, 1500, false);
  if (avl) check(avl->r_uv > 1200, "RaVL", avl->r_uv, 1200, false);
  if (avf) check(avf->r_uv > 2000, "RaVF", avf->r_uv, 2000, false);
  if (i && iii) check(i->r_uv + iii->s_uv > 2500, "RI+SIII", i->r_uv + iii->s_uv, 2500, false);
  if (avl && v3) {
    const double limit = female ? 2000 : 2800;
    check(avl->r_uv + v3->s_uv > limit, "RaVL+SV3", avl->r_uv + v3->s_uv, limit, true);
  }
  if (en.empty()) return;
  std::string text = "Left ventricular high voltage: ", text_zh = "左心室高电压：";
  for (std::size_t k = 0; k < en.size(); ++k) text += (k ? "; " : "") + en[k], text_zh += (k ? "；" : "") + zh[k];
  a.rhythm.push_back({"left_ventricular_high_voltage", text, Severity::Info, std::nullopt, text_zh});
}

const QrsAmplitude* qrs_amplitude_of(const Analysis& a, Lead lead) {
  for (const auto& q : a.qrs_amplitudes)
    if (q.lead == lead) return &q;
  return nullptr;
}

}  // namespace teledx::ecg::detail
