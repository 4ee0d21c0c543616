// The QRS frontal axis in words (电轴左偏, 电轴右偏, 不确定电轴) at the textbook's boundaries, and not where the
// electrodes, not the heart, set the axis.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>

#include "synthetic_ecg.hpp"
#include "teledx/ecg/analysis.hpp"
#include "teledx/ecg/evaluation.hpp"
#include "teledx/ecg/processing.hpp"

using namespace teledx::ecg;
using teledx::ecg::test::Synth;
using teledx::ecg::test::synth_ecg;

namespace {

/// The axis statements of a synthetic sinus ECG with that QRS axis: their codes, and the first one's texts.
struct Said {
  std::string codes, text, text_zh;
  double axis = NAN;
};

Said axis_said(const Synth& s, std::optional<int> age = std::nullopt) {
  Waveform w = synth_ecg(s);
  w.patient.age_years = age;
  const Analysis a = analyze(w);
  Said out;
  out.axis = a.measurements.qrs_axis.value_or(NAN);
  for (const auto& st : a.rhythm)
    if (st.code.find("axis") != std::string::npos) {
      if (out.codes.empty()) out.text = st.text, out.text_zh = st.text_zh;
      out.codes += st.code + " ";
    }
  return out;
}

Said with_axis(double qrs_axis) {
  Synth s;
  s.qrs_axis = qrs_axis;
  return axis_said(s);
}

}  // namespace

TEST_CASE("a QRS axis between -30 and +90 degrees is not stated") {
  for (double axis : {-20.0, 0.0, 60.0, 85.0}) {
    INFO(axis);
    const Said s = with_axis(axis);
    CHECK(s.axis == Approx(axis).margin(8));
    CHECK(s.codes.empty());
  }
}

TEST_CASE("a QRS axis of -40 degrees is left axis deviation with the measured axis in both languages") {
  // Beyond -45 degrees with a q in aVL and an r inferiorly (as this synthetic QRS would have) it is said as a left
  // anterior fascicular block instead (left_anterior_fascicular_block_test.cpp).
  const Said s = with_axis(-40);
  CHECK(s.codes == "left_axis_deviation ");
  CHECK(s.text.rfind("Left axis deviation (QRS axis -", 0) == 0);
  CHECK(s.text_zh.rfind("电轴左偏（QRS 电轴 -", 0) == 0);
  CHECK(std::abs(std::atof(s.text.c_str() + s.text.find('-'))) == Approx(40).margin(8));
}

TEST_CASE("a QRS axis of +120 degrees is right axis deviation and -150 an indeterminate axis") {
  const Said right = with_axis(120);
  CHECK(right.codes == "right_axis_deviation ");
  CHECK(right.text_zh.rfind("电轴右偏", 0) == 0);
  const Said northwest = with_axis(-150);
  CHECK(northwest.codes == "indeterminate_axis ");
  CHECK(northwest.text_zh.rfind("不确定电轴", 0) == 0);
}

TEST_CASE("a child's QRS axis is right axis deviation only past the right limit of its age") {
  // AHA/ACCF/HRS 2009's limits: +100° at 1-5 years, +140° at 5-8, +120° at 8-16; +190° in the first month.
  Synth s;
  s.qrs_axis = 112;
  CHECK(axis_said(s, 40).codes == "right_axis_deviation ");  // adults: over +90
  CHECK(axis_said(s).codes == "right_axis_deviation ");      // no age given: the adult range
  CHECK(axis_said(s, 6).codes.empty());
  CHECK(axis_said(s, 10).codes.empty());
  const Said two = axis_said(s, 2);
  CHECK(two.codes == "right_axis_deviation ");
  CHECK(two.text.find("; normal at age 2: +5° to +100°)") != std::string::npos);
  CHECK(two.text_zh.find("，2 岁正常范围 +5° 至 +100°）") != std::string::npos);
  s.qrs_axis = 135;
  INFO("measured " << axis_said(s, 10).axis);
  CHECK(axis_said(s, 10).codes == "right_axis_deviation ");
  CHECK(axis_said(s, 6).codes.empty());
  CHECK(axis_said(s, 0).codes.empty());  // up to +190° in the first month, +120° after: no day known
}

TEST_CASE("no axis statement when the limb electrodes look swapped or a limb lead is off") {
  Synth swapped;  // arms swapped: the P wave points right, and so would the axis
  swapped.p_axis = 150, swapped.qrs_axis = 120;
  CHECK(axis_said(swapped).codes.empty());
  Synth off;
  off.qrs_axis = -60, off.flat = {Lead::aVL};
  CHECK(axis_said(off).codes.empty());
}

TEST_CASE("no axis or voltage statement on a tracing the quality check calls unsteady") {
  Synth s;
  s.qrs_axis = -40, s.r_uv = 2700;  // left axis deviation and high voltage when clean
  const Waveform clean = synth_ecg(s);
  Waveform moving = clean;
  const auto beats = detect_qrs(moving);
  for (std::size_t l = 0; l < moving.leads.size(); ++l) {
    const auto noise = stress_noise(StressNoise::ElectrodeMotion, moving.sample_count(), moving.sample_rate_hz, 40 + l);
    add_noise_at_snr(moving.leads[l].uv, noise, qrs_peak_to_peak(moving.leads[l].uv, moving.sample_rate_hz, beats), 6);
  }
  auto codes = [](const Analysis& a) {
    std::string out;
    for (const auto& st : a.rhythm)
      if (st.code == "left_axis_deviation" || st.code == "left_ventricular_high_voltage") out += st.code + " ";
    return out;
  };
  CHECK(codes(analyze(clean)) == "left_axis_deviation left_ventricular_high_voltage ");
  const Analysis noisy = analyze(moving);
  bool unsteady = false;
  for (const auto& q : noisy.quality) unsteady |= q.code == "unsteady_tracing";
  REQUIRE(unsteady);
  CHECK(codes(noisy).empty());
}
