// Critical values (Chinese ECG critical-value consensus): pause >= 3.0 s, rate < 35/min (60 under 5 years),
// suspected third-degree AV block, VT >= 150/min, VF, SVT >= 230/min, AF with ventricular rate >= 180/min, QTc >=
// 500 ms, suspected acute MI. Each is a machine flag for a reader to confirm or dismiss.
#include <algorithm>
#include <cmath>

#include "analysis_internal.hpp"
#include "teledx/ecg/processing.hpp"

namespace teledx::ecg::detail {
namespace {

void flag(Analysis& a, std::string code, std::string text, std::string text_zh) {
  a.critical.push_back({std::move(code), std::string(kMachineFlagPrefix) + text, Severity::Critical, std::nullopt,
                        std::string(kMachineFlagPrefixZh) + text_zh});
}

/// Ventricular fibrillation: no organised QRS complexes and a large oscillation concentrated in 3-9 Hz.
bool vf_like(const Analysis& a, const LeadSet& s) {
  const double fs = s.sample_rate_hz;
  int normal = 0;
  for (const auto& b : a.beats) normal += b.type == BeatType::Normal;
  const double secs = double(s.sample_count()) / fs;
  if (secs < 4 || (a.beats.size() >= 3 && double(normal) / double(a.beats.size()) > 0.5 && a.beats.size() / secs < 3.5)) return false;
  for (const auto& l : s.leads) {
    auto [mn, mx] = std::minmax_element(l.uv.begin(), l.uv.end());
    if (*mx - *mn < 200) continue;
    double band = 0, best = 0, total = 0;
    std::vector<double> freqs;
    for (double hz = 1.0; hz <= 30.0; hz += 0.25) freqs.push_back(hz);
    const std::vector<double> tone = tone_rms_many(l.uv, fs, freqs);
    for (std::size_t i = 0; i < freqs.size(); ++i) {
      const double hz = freqs[i], p = tone[i];
      total += p * p;
      if (hz >= 3 && hz <= 9) band += p * p, best = std::max(best, p * p);
    }
    if (total > 0 && band / total > 0.7 && best / band > 0.08) return true;
  }
  return false;
}

}  // namespace

void critical_flags(Analysis& a, const LeadSet& s, const std::vector<double>& hf_rms, const std::optional<PatientAge>& age) {
  const double fs = a.sample_rate_hz;
  const Measurements& m = a.measurements;
  const double longest = longest_pause_s(a.beats, fs);
  if (longest >= 3.0) flag(a, "critical_pause", "pause of " + fmt(longest, 1) + " s (>= 3.0 s)", "长间歇 " + fmt(longest, 1) + " 秒（≥3.0 秒）");
  if (vf_like(a, s)) {
    flag(a, "critical_vf", "ventricular fibrillation suspected (no organised QRS, 3-9 Hz oscillation)",
         "心室颤动（疑似）：无规则的 QRS 波群，3–9 Hz 颤动波");
    return;  // rate and interval flags are meaningless without organised beats
  }
  if (const AgeRange limit = critical_low_rate(age); m.heart_rate && *m.heart_rate < limit.low) {
    // The consensus names high-grade AV block with this rate (高度及三度房室阻滞，平均心室率≤35次/分): the flag says
    // which it is when the rhythm statements found one (third degree has its own flag below).
    const bool high_grade = has_statement(a.rhythm, "high_grade_av_block");
    const std::string at_en = limit.age_en.empty() ? "" : " at " + limit.age_en;
    const std::string at_zh = limit.age_zh.empty() ? "" : limit.age_zh + " ";
    flag(a, "critical_bradycardia",
         "ventricular rate " + fmt(*m.heart_rate) + "/min (< " + fmt(limit.low) + "/min" + at_en + ")" +
             (high_grade ? ", high-grade AV block suspected" : ""),
         "严重心动过缓：心室率 " + fmt(*m.heart_rate) + " 次/分（" + at_zh + "<" + fmt(limit.low) + " 次/分）" +
             (high_grade ? "，高度房室传导阻滞（疑似）" : ""));
  }
  if (has_statement(a.rhythm, "third_degree_av_block_suspected"))
    flag(a, "critical_complete_av_block", "third-degree AV block suspected", "三度房室传导阻滞（疑似）");
  // VT: a run of ventricular beats at >= 150/min, or a sustained wide-QRS tachycardia >= 150/min without P waves.
  int run = 0;
  double vt_rate = 0;
  for (std::size_t i = 0; i < a.beats.size(); ++i) {
    run = a.beats[i].type == BeatType::Ventricular ? run + 1 : 0;
    if (run >= 3)
      vt_rate = std::max(vt_rate, 60.0 * fs * double(run - 1) / double(a.beats[i].r - a.beats[i + 1 - std::size_t(run)].r));
  }
  // A recording that is noise throughout gives "beats" at 200/min and more, wide and without P waves; it is said as
  // a signal problem (quality_statements), not a VT: loud noise (over kBurstNoiseUv), or complexes that barely stand
  // out of it (indistinct_qrs: two leads of 30-150 µV white noise at 1000 Hz read as a VT at 190/min).
  const bool p = a.median_fiducials.p_on.has_value();
  if (m.heart_rate && *m.heart_rate >= 150 && m.qrs && *m.qrs >= 120 && !p && median_of(hf_rms) <= kBurstNoiseUv &&
      !has_statement(a.quality, "indistinct_qrs"))
    vt_rate = std::max(vt_rate, *m.heart_rate);
  if (vt_rate >= 150)
    flag(a, "critical_vt", "ventricular tachycardia suspected at " + fmt(vt_rate) + "/min (>= 150/min)",
         "室性心动过速（疑似），" + fmt(vt_rate) + " 次/分（≥150 次/分）");
  if (m.heart_rate && *m.heart_rate >= 230 && m.qrs && *m.qrs < 120)
    flag(a, "critical_svt", "supraventricular tachycardia at " + fmt(*m.heart_rate) + "/min (>= 230/min)",
         "室上性心动过速，" + fmt(*m.heart_rate) + " 次/分（≥230 次/分）");
  if ((has_statement(a.rhythm, "atrial_fibrillation") || has_statement(a.rhythm, "atrial_flutter")) && m.heart_rate && *m.heart_rate >= 180)
    flag(a, "critical_af_rapid", "atrial fibrillation/flutter with ventricular rate " + fmt(*m.heart_rate) + "/min (>= 180/min)",
         "心房颤动/扑动伴快速心室率，" + fmt(*m.heart_rate) + " 次/分（≥180 次/分）");
  // With QRS >= 120 ms (bundle branch block, pacing) QT and ST are dominated by abnormal depolarisation: those
  // findings stay warnings in the statements and do not raise critical flags.
  const bool narrow = m.qrs && *m.qrs < 120;
  // A QTc this long is flagged only when the QT is reproducible: the median beats of the first and the second half
  // of the recording end their T waves within 40 ms of each other, and each confirms the whole recording's QT.
  // Where the T wave is low and flat, or noise rides on it, its end can jump to a later bump or the next P wave
  // (MIT-BIH 100 under slight electrode-motion noise: QT 383 -> 506 ms; `teledx-ecg eval noise`), and a stat flag
  // on that would be noise at the top of the queue; the halves' beats, each averaged over fewer beats, can agree on
  // a QT the whole recording's median beat does not have (MIT-BIH 105 under electrode motion at 24 dB: 369 and
  // 372 ms in the halves, 439 over the whole). The reader is told instead that the QT needs measuring by hand.
  if (narrow && m.qtc_bazett && *m.qtc_bazett >= 500) {
    const auto [first, second] = qt_of_halves(s, a.beats);
    // A half confirms the whole recording's QT within 40 ms of it, or long enough for a QTc of 500 ms on its own.
    auto confirms = [&](double half) { return std::abs(half - *m.qt) <= 40 || half * *m.qtc_bazett / *m.qt >= 500; };
    const bool agree = first && second && std::abs(*first - *second) <= 40 && m.qt && *m.qt > 0 && confirms(*first) &&
                       confirms(*second);
    if (agree) {
      flag(a, "critical_long_qtc", "QTc " + fmt(*m.qtc_bazett) + " ms (>= 500 ms, Bazett)",
           "QTc 显著延长：" + fmt(*m.qtc_bazett) + " ms（≥500 ms，Bazett）");
    } else {
      const std::string halves = first && second ? "QT " + fmt(*first) + " ms in the first half of the recording, " +
                                                       fmt(*second) + " ms in the second"
                                                 : "no T-wave end in one half of the recording";
      const std::string halves_zh = first && second ? "前半段 QT " + fmt(*first) + " ms，后半段 " + fmt(*second) + " ms"
                                                    : "一半记录中未找到 T 波终点";
      a.rhythm.push_back({"qt_uncertain",
                          "QTc " + fmt(*m.qtc_bazett) + " ms measured, but the end of the T wave is not reproducible (" +
                              halves + "): measure the QT by hand",
                          Severity::Warning, std::nullopt,
                          "QT 测量不可靠：测得 QTc " + fmt(*m.qtc_bazett) + " ms，但 T 波终点前后不一致（" + halves_zh +
                              "），请人工测量 QT"});
    }
  }
  if (narrow && has_statement(a.rhythm, "stemi_pattern")) {
    for (const auto& st : a.rhythm)
      if (st.code == "stemi_pattern") flag(a, "critical_stemi", st.text, st.text_zh);
  }
}

}  // namespace teledx::ecg::detail
