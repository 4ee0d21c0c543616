// Issue 6: beat typing over a long record (a Holter's minutes, not a resting ECG's 10 s). MIT-BIH 108's first two
// minutes show the QRS inverted in MLII and its last minutes a faster rate; against one template and one typical
// RR for the whole record, those normal beats were typed ventricular or unknown (whole-record V +P 7%).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "synthetic_ecg.hpp"
#include "teledx/ecg/analysis.hpp"

using namespace teledx::ecg;
using teledx::ecg::test::Synth;
using teledx::ecg::test::synth_ecg;

namespace {

/// A 2-lead (II, V1) 250-Hz record of 150 s: sinus beats whose QRS is inverted in II for the first 50 s (the
/// frontal axis at -120 degrees, then at 60), at 60/min until 110 s and at 72/min after; four premature wide
/// ventricular beats, each at half the RR after a sinus beat and followed by a full compensatory pause.
Waveform drifting_holter(std::vector<double>& v_times) {
  Synth inverted, upright, ventricular;
  for (Synth* s : {&inverted, &upright, &ventricular}) s->fs = 250, s->seconds = 150;
  inverted.qrs_axis = -120;
  ventricular.p_waves = false, ventricular.wide_monophasic = true, ventricular.qrs_ms = 140, ventricular.qt_ms = 420;
  ventricular.noise_uv = upright.noise_uv = 0;  // the first part carries the noise for the whole record
  const std::vector<double> pvc_after = {20, 70, 90, 130};  // a PVC follows the sinus beat nearest these times
  double t = 0.5;
  while (t < 149) {
    const double rr = t < 110 ? 1.0 : 60.0 / 72;
    (t < 50 ? inverted : upright).r_times.push_back(t);
    bool pvc = false;
    for (double at : pvc_after) pvc = pvc || (t >= at && t < at + rr);
    if (pvc) {
      ventricular.r_times.push_back(t + rr / 2);
      t += 2 * rr;  // the sinus node is not reset: the next sinus beat comes two intervals later
    } else {
      t += rr;
    }
  }
  v_times = ventricular.r_times;
  Waveform w = synth_ecg(inverted);
  teledx::ecg::test::add_signals(w, synth_ecg(upright));
  teledx::ecg::test::add_signals(w, synth_ecg(ventricular));
  std::erase_if(w.leads, [](const LeadSignal& l) { return l.lead != Lead::II && l.lead != Lead::V1; });
  return w;
}

}  // namespace

TEST_CASE("Long record: a changed QRS shape and a faster rate stay normal, premature wide beats are ventricular",
          "[ecg][beats][drift]") {
  std::vector<double> v_times;
  const auto a = analyze(drifting_holter(v_times));
  REQUIRE(v_times.size() == 4);
  std::string types;
  std::size_t normal_as_other = 0, v_found = 0;
  for (const auto& b : a.beats) {
    const double t = double(b.r) / a.sample_rate_hz;
    types += b.type == BeatType::Normal ? 'N' : b.type == BeatType::Ventricular ? 'V' : 'U';
    bool is_v = false;
    for (double vt : v_times) is_v = is_v || (t > vt - 0.02 && t < vt + 0.16);
    if (is_v) v_found += b.type == BeatType::Ventricular;
    else normal_as_other += b.type != BeatType::Normal;
  }
  INFO("beats: " << types);
  CHECK(a.beats.size() >= 150);
  CHECK(v_found == v_times.size());
  CHECK(normal_as_other == 0);
}
