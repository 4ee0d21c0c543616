// A loose chest electrode "pops": its contact changes at a stroke, the lead steps by a few mV and creeps back over a
// second or two. The steps are the steepest, clearest complexes of that lead, and the detector once took that lead's
// three pops in 10 s for the beats: a critical bradycardia for a patient at 70/min.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <string>

#include "ecg_test_data.hpp"
#include "statement_checks.hpp"
#include "synthetic_ecg.hpp"
#include "teledx/ecg/analysis.hpp"
#include "teledx/ecg/processing.hpp"

using namespace teledx::ecg;

namespace {

/// `w` with pops at `at_s` (seconds) in lead `lead`: steps of `uv`, alternating in sign, each fading with a 1.5-s
/// time constant.
Waveform with_pops(Waveform w, std::size_t lead, std::initializer_list<double> at_s, double uv) {
  auto& x = w.leads[lead].uv;
  double sign = 1;
  for (double t0 : at_s) {
    const auto from = std::size_t(t0 * w.sample_rate_hz);
    for (std::size_t k = from; k < x.size(); ++k)
      x[k] += float(sign * uv * std::exp(-double(k - from) / w.sample_rate_hz / 1.5));
    sign = -sign;
  }
  return w;
}

}  // namespace

TEST_CASE("Pops of a loose chest electrode are not taken for the beats", "[ecg]") {
  test::Synth s;  // 72/min, 12 leads
  const Waveform clean = test::synth_ecg(s);
  const auto clean_beats = analyze(clean).beats.size();
  REQUIRE(clean_beats >= 11);
  for (std::size_t lead = 6; lead < 12; ++lead) {  // V1..V6
    for (double uv : {1500.0, 4000.0}) {
      const auto a = analyze(with_pops(clean, lead, {1.7, 4.9, 8.1}, uv));
      INFO(clean.leads[lead].label << ", pops of " << uv << " uV: " << test::statement_codes(a));
      // A pop in the lead that carries the beats can still pass for one extra beat (V5 here at 1.5 mV: 79/min and a
      // PVC); the pops never take the beats' place.
      CHECK(a.beats.size() >= clean_beats);
      CHECK(a.beats.size() <= clean_beats + 1);
      CHECK(a.critical.empty());
      REQUIRE(a.measurements.heart_rate);
      CHECK(*a.measurements.heart_rate == Approx(72).margin(8));
    }
  }
}

TEST_CASE("Pops in one chest lead of LUDB's development records rarely raise a critical flag the record does not",
          "[ecg]") {
  // 51 records x 6 chest leads x pops of 1.5 and 4 mV x 3 timings. Before the detector asked other leads to see a
  // lead's beats: 29 cases raised a flag the record does not (bradycardia 26, pause 13, complete AV block 8, long
  // QTc 5). Now 6: 5 long QTc (the popping lead's T end, on records near 500 ms: 39, 52 twice, 96, 121) and one
  // bradycardia with a pause (116, V6).
  ECG_REQUIRE_SHARED("ludb/RECORDS.dev");
  std::ifstream list(test::shared_data() / "ludb/RECORDS.dev");
  int cases = 0, rate_flags = 0;
  std::string flagged;
  for (std::string rec; std::getline(list, rec);) {
    rec = rec.substr(rec.find_last_of('/') + 1);
    if (rec.empty()) continue;
    auto w = read_ecg_file(test::shared_data() / "ludb/data" / (rec + ".hea"));
    REQUIRE(w.ok());
    const auto clean = analyze(*w);
    for (std::size_t lead = 6; lead < 12 && lead < w->leads.size(); ++lead)
      for (double uv : {1500.0, 4000.0})
        for (auto at : {std::initializer_list<double>{1.7, 4.9, 8.1}, {1.2, 3.9, 6.6}, {2.4, 5.3, 8.7}}) {
          const auto a = analyze(with_pops(*w, lead, at, uv));
          ++cases;
          std::string added;
          for (const auto& c : a.critical)
            if (!test::has(clean.critical, c.code)) {
              added += c.code + " ";
              rate_flags += c.code != "critical_long_qtc";
            }
          if (!added.empty())
            flagged += "LUDB " + rec + " " + w->leads[lead].label + " " + std::to_string(int(uv)) + " uV from " +
                       std::to_string(*at.begin()) + " s: " + added + "\n";
        }
  }
  INFO(flagged);
  CHECK(cases >= 1800);
  CHECK(std::count(flagged.begin(), flagged.end(), '\n') <= 6);
  CHECK(rate_flags <= 2);
}
