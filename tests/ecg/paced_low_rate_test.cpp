// Paced rhythm below 400 Hz: a Holter's 360 Hz or a 250 Hz recording shows a pacemaker's stimulus as one to three
// samples, no steeper than a narrow R wave, and the rhythm was "non-sinus or undetermined" with frequent PVCs. The
// stimulus is told by its surroundings (the rule delineation already bridges it by), before most beats.
#include <catch2/catch.hpp>
#include <cmath>
#include <string>

#include "ecg_test_data.hpp"
#include "statement_checks.hpp"
#include "synthetic_ecg.hpp"
#include "teledx/ecg/analysis.hpp"

using namespace teledx::ecg;
using test::has;

namespace {

/// A broad, P-less paced rhythm at 70/min, two leads at `fs`, with a stimulus 24 ms before each QRS as QTDB's paced
/// records show it at 250 Hz: a rise of 1 mV over two samples, a fall over two more onto a decaying tail.
Waveform paced_two_leads(double fs, bool stimulus) {
  test::Synth o;
  o.fs = fs, o.seconds = 10, o.hr = 70, o.p_waves = false, o.wide_monophasic = true, o.qrs_ms = 140, o.r_uv = 400;
  Waveform w = test::synth_ecg(o);
  w.leads = {w.leads[1], w.leads[10]};
  if (!stimulus) return w;
  const double step = 1000.0 / fs;  // ms per sample
  for (double t = 0.5; t < o.seconds - 0.6; t += 60.0 / o.hr)
    for (auto& l : w.leads) {
      const auto q = std::size_t(std::lround(t * fs));
      const float spike[] = {250, 1000, 600, 250, 150, 80};
      const auto first = q - std::size_t(std::lround(24 / step));
      for (std::size_t j = 0; j < 6; ++j) l.uv[first + j] += spike[j];
    }
  return w;
}

}  // namespace

TEST_CASE("A paced rhythm recorded at 250 or 360 Hz is called paced, the same rhythm without stimuli is not", "[ecg]") {
  for (double fs : {250.0, 360.0}) {
    const Analysis paced = analyze(paced_two_leads(fs, true));
    INFO(fs << " Hz, with stimuli: " << test::statement_codes(paced));
    CHECK(has(paced.rhythm, "paced_rhythm"));
    const Analysis unpaced = analyze(paced_two_leads(fs, false));
    INFO(fs << " Hz, without: " << test::statement_codes(unpaced));
    CHECK_FALSE(has(unpaced.rhythm, "paced_rhythm"));
  }
  test::Synth sinus;
  sinus.fs = 250;
  const Analysis a = analyze(test::synth_ecg(sinus));
  INFO("sinus at 250 Hz: " << test::statement_codes(a));
  CHECK_FALSE(has(a.rhythm, "paced_rhythm"));
  CHECK(has(a.rhythm, "sinus_rhythm"));
}

TEST_CASE("A noise-free synthetic sinus ECG, still along its PR segment, is not read as paced", "[ecg]") {
  // A recorder's blanking of a stimulus holds every lead still for 8-16 ms before the paced QRS; a noise-free ECG holds
  // still along its whole PR segment, and was "paced rhythm" at 250 and 500 Hz.
  for (double fs : {250.0, 500.0, 1000.0})
    for (double hr : {50.0, 72.0, 110.0}) {
      test::Synth s;
      s.fs = fs, s.hr = hr, s.noise_uv = 0;
      const Analysis a = analyze(test::synth_ecg(s));
      INFO(fs << " Hz, " << hr << "/min: " << test::statement_codes(a));
      CHECK_FALSE(has(a.rhythm, "paced_rhythm"));
      CHECK_FALSE(a.median_fiducials.pacing_stimulus);
    }
}

TEST_CASE("MIT-BIH's and QTDB's paced records are called paced, their other development records are not", "[ecg]") {
  if (!test::shared_has("mitdb/100.hea") || !test::shared_has("qtdb/sel100.hea")) {
    WARN("shared ECG development data not found under " << test::shared_data() << ": skipped");
    return;
  }
  // Whole records: MIT-BIH 102, 104, 107 (360 Hz) and QTDB sel102, sel104 (the first two resampled to 250 Hz).
  for (const std::string rec : {"mitdb/100", "mitdb/101", "mitdb/102", "mitdb/103", "mitdb/104", "mitdb/105", "mitdb/106",
                                "mitdb/107", "mitdb/108", "mitdb/109", "qtdb/sel100", "qtdb/sel102", "qtdb/sel103",
                                "qtdb/sel104", "qtdb/sel14046", "qtdb/sel16265", "qtdb/sel30", "qtdb/sel301",
                                "qtdb/sel803", "qtdb/sele0104"}) {
    auto w = read_ecg_file(test::shared_data() / (rec + ".hea"));
    REQUIRE(w.ok());
    const bool is_paced = rec == "mitdb/102" || rec == "mitdb/104" || rec == "mitdb/107" || rec == "qtdb/sel102" ||
                          rec == "qtdb/sel104";
    INFO(rec);
    CHECK(has(analyze(*w).rhythm, "paced_rhythm") == is_paced);
  }
  // MIT-BIH's 10-s windows (measured 2026-12-03: 172, 163 and 146 of 180 windows of 102, 104 and 107; none of the
  // other seven records').
  int paced_windows = 0, false_windows = 0;
  test::for_each_mitdb_dev_window([&](int rec, const Waveform& win, std::size_t) {
    const bool said = has(analyze(win).rhythm, "paced_rhythm");
    if (rec == 102 || rec == 104 || rec == 107) paced_windows += said;
    else false_windows += said;
  });
  CHECK(paced_windows >= 430);  // of 540
  CHECK(false_windows == 0);
}
