// Issue 6: ventricular bigeminy (every other beat a premature wide ventricular beat) was typed all-normal and called
// atrial fibrillation, and the median beat mixed both shapes so QTc came out falsely critical.
#include <catch2/catch.hpp>
#include <string>

#include "statement_checks.hpp"
#include "synthetic_ecg.hpp"
#include "teledx/ecg/analysis.hpp"
#include "teledx/ecg/evaluation.hpp"
#include "teledx/ecg/processing.hpp"

using namespace teledx::ecg;
using teledx::ecg::test::Synth;
using teledx::ecg::test::synth_ecg;
using teledx::ecg::test::has;

namespace {

/// Sinus beats every 1.6 s, each followed by a wide P-less ventricular beat `coupling` s later; `v_first` puts a
/// ventricular beat before the first sinus beat so the record does not open with the dominant shape.
Waveform bigeminy(double coupling, double qt_ms, bool v_first, std::vector<double>& v_times) {
  Synth n, v;
  n.qt_ms = qt_ms;
  v.p_waves = false;
  v.wide_monophasic = true;
  v.qrs_ms = 140;
  v.qt_ms = 420;
  v.noise_uv = 0;  // the sinus part already carries the noise
  if (v_first) v.r_times.push_back(0.3);
  for (double t = v_first ? 1.2 : 0.5; t < 9.3; t += 1.6) {
    n.r_times.push_back(t);
    if (t + coupling < 9.3) v.r_times.push_back(t + coupling);
  }
  v_times = v.r_times;
  auto w = synth_ecg(n);
  teledx::ecg::test::add_signals(w, synth_ecg(v));
  return w;
}

}  // namespace

TEST_CASE("Ventricular bigeminy: premature wide beats are ventricular, not AF, and QTc comes from the sinus beats",
          "[ecg][bigeminy]") {
  for (bool v_first : {false, true})
    for (double coupling : {0.45, 0.55, 0.65})
      for (double qt : {380.0, 440.0}) {
        std::vector<double> v_times;
        auto a = analyze(bigeminy(coupling, qt, v_first, v_times));
        std::string types, codes;
        for (const auto& b : a.beats) types += b.type == BeatType::Normal ? 'N' : b.type == BeatType::Ventricular ? 'V' : 'Q';
        for (const auto* v : {&a.rhythm, &a.critical})
          for (const auto& s : *v) codes += s.code + " ";
        INFO("coupling " << coupling << " QT " << qt << " v_first " << v_first << ": beats " << types << " | " << codes
                         << "QTc " << a.measurements.qtc_bazett.value_or(-1));
        // Every beat within 60 ms of a ventricular onset (R is inside the QRS) is typed ventricular, the others not.
        std::size_t v_found = 0;
        for (const auto& b : a.beats) {
          const double t = double(b.r) / a.sample_rate_hz;
          bool is_v = false;
          for (double vt : v_times) is_v = is_v || (t > vt - 0.02 && t < vt + 0.16);
          CHECK((b.type == BeatType::Ventricular) == is_v);
          v_found += is_v;
        }
        CHECK(v_found == v_times.size());
        CHECK_FALSE(has(a.rhythm, "atrial_fibrillation"));
        CHECK(has(a.rhythm, "frequent_pvcs"));
        CHECK_FALSE(has(a.critical, "critical_long_qtc"));
        // QT of the sinus beats, paired with the RR before them (the compensatory pause), never with the coupling
        // interval. When the premature beat starts within 60 ms of the T end (coupling 450 ms, QT 440 ms) the T end
        // cannot be told from the next QRS: no QT then is acceptable, a wrong one is not.
        if (coupling * 1000 - qt >= 60) REQUIRE(a.measurements.qt);
        if (a.measurements.qt) {
          CHECK(*a.measurements.qt == Approx(qt).margin(30));
          REQUIRE(a.measurements.qtc_bazett);
          CHECK(*a.measurements.qtc_bazett < 480);
        }
        for (const auto& st : a.rhythm)
          if (st.code == "frequent_pvcs") CHECK(st.text.find("bigeminy") != std::string::npos);
      }
}

TEST_CASE("Bigeminy whose normal beats are tiny in the cleaner lead: the beats are found in the other lead, not half "
          "of them", "[ecg][bigeminy]") {
  // A 2-lead Holter: in the first lead both shapes are clear but electrode noise (18 dB) rides on them; in the
  // second, clean one the ventricular beats are large and the normal beats a twentieth of their size (MIT-BIH 106's
  // V1). The second lead's beats stand out more cleanly, and alone it finds only the ventricular beats: half the
  // rate, which read as a critical bradycardia.
  Synth n, v;
  n.hr = 76, n.seconds = 10, n.noise_uv = 0;
  v.p_waves = false, v.wide_monophasic = true, v.qrs_ms = 140, v.qt_ms = 420, v.noise_uv = 0, v.seconds = 10;
  for (double t = 0.5; t < 9.3; t += 1.6) n.r_times.push_back(t), v.r_times.push_back(t + 0.55);
  const Waveform normal = synth_ecg(n), ventricular = synth_ecg(v);
  const LeadSignal& n2 = *normal.find(Lead::II);
  const LeadSignal& v2 = *ventricular.find(Lead::II);
  LeadSet holter;
  holter.sample_rate_hz = normal.sample_rate_hz;
  LeadSignal both{Lead::MLII, n2.uv, "MLII"}, tiny{Lead::V1, v2.uv, "V1"};
  for (std::size_t k = 0; k < both.uv.size(); ++k) both.uv[k] += v2.uv[k], tiny.uv[k] += 0.05f * n2.uv[k];
  std::vector<std::int64_t> all_beats;
  for (double t : n.r_times) all_beats.push_back(std::int64_t(t * holter.sample_rate_hz));
  const auto noise = stress_noise(StressNoise::ElectrodeMotion, both.uv.size(), holter.sample_rate_hz, 3);
  add_noise_at_snr(both.uv, noise, qrs_peak_to_peak(both.uv, holter.sample_rate_hz, all_beats), 18);
  holter.leads = {both, tiny};
  condition_signals(holter);
  const auto r = detect_qrs(holter);
  INFO(r.size() << " beats found");
  CHECK(r.size() == n.r_times.size() + v.r_times.size());
  // Each lead alone: the second finds only the ventricular beats, which is why it must not be the one believed.
  LeadSet second;
  second.sample_rate_hz = holter.sample_rate_hz;
  second.leads = {holter.leads[1]};
  CHECK(detect_qrs(second).size() == v.r_times.size());
}
