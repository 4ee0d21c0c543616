// The analysis as JSON for a record too long for the beat-by-beat list (over 2,000 beats: a fast 30-min record, a
// Holter): the reader's viewer still steps through its ventricular beats, from their times kept on their own.
#include <catch2/catch.hpp>
#include <algorithm>
#include <vector>

#include <nlohmann/json.hpp>

#include "synthetic_ecg.hpp"
#include "teledx/ecg/analysis.hpp"

using namespace teledx::ecg;
using teledx::ecg::test::Synth;
using teledx::ecg::test::synth_ecg;

TEST_CASE("a record of more than 2000 beats keeps its ventricular beats' times instead of the whole beat list", "[ecg]") {
  // One minute of sinus rhythm at 75/min with a wide premature beat every 10 s, in II and V1 at 250 Hz...
  Synth sinus, ventricular;
  for (Synth* s : {&sinus, &ventricular}) s->fs = 250, s->seconds = 60;
  ventricular.p_waves = false, ventricular.wide_monophasic = true, ventricular.qrs_ms = 140, ventricular.qt_ms = 420;
  ventricular.noise_uv = 0;
  std::vector<double> pvc_in_minute;
  for (double t = 0.5; t < 59; t += 0.8) {
    if (int(t / 0.8) % 12 == 11) {  // every twelfth beat comes at half the interval, then a compensatory pause
      ventricular.r_times.push_back(t - 0.4);
      pvc_in_minute.push_back(t - 0.4);
      continue;
    }
    sinus.r_times.push_back(t);
  }
  auto minute = synth_ecg(sinus);
  test::add_signals(minute, synth_ecg(ventricular));
  std::erase_if(minute.leads, [](const LeadSignal& l) { return l.lead != Lead::II && l.lead != Lead::V1; });
  // ...repeated for 35 minutes: about 2,600 beats.
  Waveform w = minute;
  std::vector<double> pvcs;
  for (int m = 0; m < 35; ++m) {
    for (double t : pvc_in_minute) pvcs.push_back(60.0 * m + t);
    if (m == 0) continue;
    for (std::size_t l = 0; l < w.leads.size(); ++l)
      w.leads[l].uv.insert(w.leads[l].uv.end(), minute.leads[l].uv.begin(), minute.leads[l].uv.end());
  }

  const auto a = analyze(w);
  const auto j = to_json(a);
  REQUIRE(j["beats"]["count"].get<int>() > 2000);
  CHECK_FALSE(j["beats"].contains("list"));
  REQUIRE(j["beats"].contains("ventricular_t_s"));
  const auto times = j["beats"]["ventricular_t_s"].get<std::vector<double>>();
  CHECK(times.size() == j["beats"]["ventricular"].get<std::size_t>());
  CHECK(std::is_sorted(times.begin(), times.end()));
  // The machine's ventricular beats are the premature ones, to within 100 ms of their onsets, and most are found.
  for (double s : times)
    CHECK(std::any_of(pvcs.begin(), pvcs.end(), [&](double p) { return std::abs(p - s) < 0.1; }));
  CHECK(times.size() >= pvcs.size() * 9 / 10);

  // A 10-s ECG keeps its whole list and needs no separate times.
  const auto short_j = to_json(analyze(synth_ecg(Synth{})));
  CHECK(short_j["beats"].contains("list"));
  CHECK_FALSE(short_j["beats"].contains("ventricular_t_s"));
}
