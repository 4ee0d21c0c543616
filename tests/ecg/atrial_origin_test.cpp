// The atrial rhythm's origin from the P wave's axis: inverted in II, III and aVF at a steady PR, it is an ectopic
// atrial rhythm (PR >= 120 ms) or a junctional one with retrograde P waves (PR < 120 ms), not sinus rhythm.
#include <catch2/catch.hpp>

#include <string>

#include "electrode_swaps.hpp"
#include "synthetic_ecg.hpp"
#include "teledx/ecg/analysis.hpp"

using namespace teledx::ecg;
using teledx::ecg::test::Synth;
using teledx::ecg::test::synth_ecg;

namespace {

/// The rhythm's statement (sinus, ectopic atrial or junctional) of an analysis, and whether sinus arrhythmia is said.
struct Origin {
  std::string code, text, text_zh;
  Severity severity = Severity::Info;
  bool sinus_arrhythmia = false;
  bool reversal_advised = false;
};

Origin origin_of(const Synth& s) {
  const Analysis a = analyze(synth_ecg(s));
  Origin o;
  for (const auto& st : a.rhythm) {
    if (st.code.rfind("sinus_", 0) == 0 && st.code != "sinus_arrhythmia") o.code = st.code;
    if (st.code == "ectopic_atrial_rhythm" || st.code == "junctional_rhythm")
      o.code = st.code, o.text = st.text, o.text_zh = st.text_zh, o.severity = st.severity;
    o.sinus_arrhythmia = o.sinus_arrhythmia || st.code == "sinus_arrhythmia";
  }
  for (const auto& q : a.quality) o.reversal_advised = o.reversal_advised || q.code == "limb_lead_reversal_suspected";
  return o;
}

/// A P wave pointing up and left (inverted in II, III and aVF) at that PR and rate; a short P so that a short PR
/// still leaves a PR segment (the QRS onset and the PR level are found there).
Synth low_p(double p_axis, double pr_ms, double hr) {
  Synth s;
  s.p_axis = p_axis, s.pr_ms = pr_ms, s.hr = hr, s.p_ms = 60;
  if (hr > 100) s.qt_ms = 300;  // the T wave ends before the next P wave
  return s;
}

}  // namespace

TEST_CASE("a P wave inverted in II, III and aVF with a PR of 160 ms is an ectopic atrial rhythm, not sinus") {
  const Origin o = origin_of(low_p(-60, 160, 75));
  CHECK(o.code == "ectopic_atrial_rhythm");
  CHECK(o.text_zh.rfind("房性心律（疑似）：P 波电轴 -", 0) == 0);
  CHECK(o.text_zh.find("II、III、aVF 导联 P 波倒置") != std::string::npos);
  CHECK(o.text.rfind("Ectopic atrial rhythm suspected (P axis -", 0) == 0);
  CHECK(o.severity == Severity::Info);
  // At 120/min it is an atrial tachycardia, a warning.
  const Origin fast = origin_of(low_p(-60, 160, 120));
  CHECK(fast.code == "ectopic_atrial_rhythm");
  CHECK(fast.text_zh.rfind("房性心动过速（疑似）", 0) == 0);
  CHECK(fast.severity == Severity::Warning);
}

TEST_CASE("inverted P waves with a PR under 120 ms are a junctional rhythm named by its rate") {
  const Origin escape = origin_of(low_p(-60, 100, 45));
  CHECK(escape.code == "junctional_rhythm");
  CHECK(escape.text_zh.rfind("交界性逸搏心律（疑似）：逆行 P 波", 0) == 0);
  CHECK(escape.text.rfind("Junctional escape rhythm suspected (retrograde P waves", 0) == 0);
  CHECK(origin_of(low_p(-60, 100, 75)).text_zh.rfind("加速性交界性心律（疑似）", 0) == 0);
  const Origin fast = origin_of(low_p(-60, 100, 120));
  CHECK(fast.text_zh.rfind("交界性心动过速（疑似）", 0) == 0);
  CHECK(fast.severity == Severity::Warning);
}

TEST_CASE("a P axis of -20 degrees is still sinus, and one beyond -90 is left to the electrode check") {
  CHECK(origin_of(low_p(-20, 160, 75)).code == "sinus_rhythm");
  // Negative in I as well: swapped right arm and left leg electrodes make that of a sinus P; the check is asked for.
  const Origin up = origin_of(low_p(-110, 160, 75));
  CHECK(up.code == "sinus_rhythm");
  CHECK(up.reversal_advised);
}

TEST_CASE("with an inferior lead off the P wave's origin is not judged") {
  Synth s = low_p(-60, 160, 75);
  s.flat = {Lead::aVF};
  CHECK(origin_of(s).code == "sinus_rhythm");
}

TEST_CASE("an ectopic atrial rhythm with varying intervals is no sinus arrhythmia") {
  Synth s = low_p(-60, 160, 75);
  for (double t = 0.5; t < 9.2; t += s.r_times.size() % 2 ? 0.7 : 0.9) s.r_times.push_back(t);
  const Origin o = origin_of(s);
  CHECK(o.code == "ectopic_atrial_rhythm");
  CHECK_FALSE(o.sinus_arrhythmia);
  // The same intervals with a sinus P wave are sinus arrhythmia (the check above is not vacuous).
  Synth sinus = s;
  sinus.p_axis = 60;
  CHECK(origin_of(sinus).sinus_arrhythmia);
}

TEST_CASE("swapped right arm and left leg electrodes on a horizontal heart are no ectopic atrial rhythm") {
  // P, QRS and T at +20°: swapped, every wave reads -80° (the P axis alone looks like a low atrial origin, and the
  // electrode check, which asks for a P axis beyond -90°, stays silent), but so does the T wave.
  Synth s;
  s.p_axis = 20, s.qrs_axis = 20, s.t_axis = 20;
  const Waveform w = teledx::ecg::test::right_arm_left_leg_swapped(synth_ecg(s));
  const Analysis a = analyze(w);
  REQUIRE(a.measurements.p_axis);
  CHECK(*a.measurements.p_axis < -60);
  for (const auto& st : a.rhythm) {
    INFO(st.code);
    CHECK(st.code != "ectopic_atrial_rhythm");
    CHECK(st.code != "junctional_rhythm");
  }
  // Without the T wave's turn, the same P wave is read as low atrial (the check above is not vacuous).
  Synth low = s;
  low.p_axis = -80;
  CHECK(origin_of(low).code == "ectopic_atrial_rhythm");
}

TEST_CASE("an upright P wave 100 ms before the QRS is sinus rhythm with a short PR, a retrograde one is not") {
  auto codes = [](const Synth& s) {
    std::string out;
    for (const auto& st : analyze(synth_ecg(s)).rhythm)
      if (st.code.rfind("sinus_", 0) == 0 || st.code == "short_pr" || st.code == "junctional_rhythm") out += st.code + " ";
    return out;
  };
  const Synth sinus_short = low_p(60, 100, 75);
  CHECK(codes(sinus_short) == "sinus_rhythm short_pr ");
  for (const auto& st : analyze(synth_ecg(sinus_short)).rhythm)
    if (st.code == "short_pr") CHECK(st.text_zh.rfind("短 PR 间期（PR 1", 0) == 0);
  CHECK(codes(low_p(60, 160, 75)) == "sinus_rhythm ");
  CHECK(codes(low_p(-60, 100, 75)) == "junctional_rhythm ");
}
