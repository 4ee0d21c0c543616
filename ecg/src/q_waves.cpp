// Pathological Q waves on the median beat (异常 Q 波), the ECG's mark of a myocardial infarction of any age, by the
// Fourth Universal Definition of Myocardial Infarction (ESC/ACC/AHA/WHF 2018), "ECG changes associated with prior
// myocardial infarction": a Q wave over 20 ms or a QS complex in V2 and V3; a Q wave of 30 ms or more and 0.1 mV or
// deeper, or a QS complex, in two contiguous leads of I, aVL, V4-V6 or II, aVF. Lead III is not one of the definition's
// leads (a Q in III is often normal): it is listed beside II and aVF when it has one too, and counts for nothing alone.
// With III and aVF enough, LUDB's 51 records with their left arm and leg electrodes swapped in software (III
// inverted, aVL's QRS in aVF; a swap the electrode check rarely sees) gave inferior Q waves on 4.
#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "analysis_internal.hpp"

namespace teledx::ecg::detail {
namespace {

/// A deflection smaller than this is no wave of its own (the Minnesota code's and CSE's 20-30 µV).
constexpr double kMinWaveUv = 30;
/// A Q wave starts where the lead leaves the PR level by more than this: the median beat's noise is a few µV.
constexpr double kLeaveUv = 8;

struct InitialWave {
  bool qs = false;      ///< no positive wave of kMinWaveUv in the whole QRS
  double q_ms = 0;      ///< the initial negative wave's duration, from leaving the PR level to crossing back
  double q_uv = 0;      ///< its depth below the PR level
  double r_uv = 0;      ///< the highest point after it (the R of a QR complex)
};

/// The lead's first wave when it is negative (a Q wave or a QS complex); nullopt when the QRS starts upward.
std::optional<InitialWave> initial_negative_wave(const Analysis& a, Lead lead) {
  const auto m = median_lead(a, lead);
  if (!m) return std::nullopt;
  const std::int64_t on = m->on, off = m->off;
  auto x = [&](std::int64_t k) { return m->x(k); };
  // The global onset is the earliest over the leads: this lead may stay on the PR level for a while after it, so
  // its first clear wave decides the direction and the Q starts where the lead left the PR level before that wave.
  std::int64_t first = -1;
  for (std::int64_t k = on; k <= off && first < 0; ++k)
    if (std::abs(x(k)) >= kMinWaveUv) first = k;
  if (first < 0 || x(first) > 0) return std::nullopt;
  std::int64_t start = first;
  while (start > on && x(start - 1) < -kLeaveUv) --start;
  InitialWave w;
  std::int64_t end = first;
  while (end <= off && x(end) < 0) w.q_uv = std::max(w.q_uv, -x(end)), ++end;
  for (std::int64_t k = end; k <= off; ++k) w.r_uv = std::max(w.r_uv, x(k));
  w.qs = w.r_uv < kMinWaveUv;
  w.q_ms = double(end - start) * 1000.0 / m->fs;
  return w;
}

/// Whether the lead meets the definition's Q wave criteria for its place: V2 and V3 any Q over 20 ms, the others
/// 30 ms and 0.1 mV, and a quarter of the R after it (诊断学's ratio: a septal q widened by a few ms beside a tall R,
/// LUDB 181's V4-V6 at 30 ms and an eighth of R, is no infarct's); in every lead a QS complex. Its description for
/// the statement ("Q 36 ms, 0.21 mV" or "QS").
std::optional<std::pair<std::string, std::string>> pathological_q(const Analysis& a, Lead lead) {
  if (lead_off_or_noisy(a, lead)) return std::nullopt;
  const auto w = initial_negative_wave(a, lead);
  if (!w) return std::nullopt;
  const bool v2v3 = lead == Lead::V2 || lead == Lead::V3;
  if (w->qs) {
    // A QS of a lead that barely moves is the lead at right angles to the QRS, not a dead wall.
    if (w->q_uv < 100) return std::nullopt;
    return std::pair{std::string("QS"), std::string("QS 型")};
  }
  if (v2v3 ? w->q_ms <= 20 : (w->q_ms < 30 || w->q_uv < 100 || w->q_uv < w->r_uv / 4)) return std::nullopt;
  const std::string ms = "Q " + fmt(w->q_ms) + " ms", mv = fmt(w->q_uv / 1000.0, 2) + " mV";
  return std::pair{ms + ", " + mv, ms + "，" + mv};
}

struct QTerritory {
  const char* name;
  const char* name_zh;
  std::vector<std::pair<Lead, Lead>> contiguous;
  std::vector<Lead> also;  ///< listed when the wall qualifies and they have a Q wave too
};

const std::vector<QTerritory>& q_territories() {
  static const std::vector<QTerritory> t{
      {"anteroseptal", "前间壁", {{Lead::V2, Lead::V3}}, {}},
      {"anterior", "前壁", {{Lead::V3, Lead::V4}, {Lead::V4, Lead::V5}}, {}},
      {"lateral", "侧壁", {{Lead::I, Lead::aVL}, {Lead::V5, Lead::V6}}, {}},
      {"inferior", "下壁", {{Lead::II, Lead::aVF}}, {Lead::III}},
  };
  return t;
}

}  // namespace

void q_wave_statements(Analysis& a) {
  const Fiducials& f = a.median_fiducials;
  if (!f.qrs_on || !f.qrs_off || *f.qrs_off <= *f.qrs_on || tracing_unreliable(a)) return;
  // The definition holds "in the absence of left ventricular hypertrophy and left bundle branch block"; a paced or
  // otherwise wide QRS (not a right bundle branch block, which leaves the first 40 ms alone) starts its own way, and
  // a short PR may be a delta wave's pre-excitation, whose negative delta wave mimics a Q.
  const auto& m = a.measurements;
  for (const char* c : {"paced_rhythm", "complete_lbbb", "left_ventricular_high_voltage", "short_pr"})
    if (has_statement(a.rhythm, c)) return;
  if (m.qrs && *m.qrs >= 120 && !has_statement(a.rhythm, "complete_rbbb")) return;
  const bool limbs_swapped = has_statement(a.quality, "limb_lead_reversal_suspected");
  std::vector<std::string> parts, parts_zh, walls, walls_zh;
  std::vector<Lead> listed;  // a lead of two walls (V4, V5) is described once
  auto list = [&](Lead l, const std::pair<std::string, std::string>& q) {
    if (std::find(listed.begin(), listed.end(), l) != listed.end()) return;
    listed.push_back(l);
    const std::string n(lead_name(l));
    parts.push_back(n + " (" + q.first + ")"), parts_zh.push_back(n + "（" + q.second + "）");
  };
  for (const auto& t : q_territories()) {
    bool wall = false;
    for (auto [x, y] : t.contiguous) {
      if (x <= Lead::aVF && limbs_swapped) continue;
      const auto qx = pathological_q(a, x), qy = pathological_q(a, y);
      if (!qx || !qy) continue;
      wall = true;
      list(x, *qx), list(y, *qy);
    }
    if (!wall) continue;
    walls.push_back(t.name), walls_zh.push_back(t.name_zh);
    for (Lead l : t.also)
      if (const auto q = pathological_q(a, l)) list(l, *q);
  }
  if (parts.empty()) return;
  auto join = [](const std::vector<std::string>& v, const char* sep) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
    return s;
  };
  a.rhythm.push_back({"pathological_q_waves",
                      "Pathological Q waves, " + join(walls, ", ") + ": " + join(parts, ", ") +
                          "; myocardial infarction of undetermined age possible, correlate clinically",
                      Severity::Info, std::nullopt,
                      "异常 Q 波（" + join(walls_zh, "、") + "）：" + join(parts_zh, "、") +
                          "；心肌梗死可能（时期不定），请结合临床"});
}

}  // namespace teledx::ecg::detail
