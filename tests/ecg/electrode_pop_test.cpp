// A loose electrode "pops": its contact changes at a stroke, its leads step by a few mV and creep back over a
// second or two. The steps are the steepest, clearest complexes there, and the detector once took three pops
// in 10 s for the beats: a critical bradycardia for a patient at 70/min. A chest electrode's pops are in its
// lead alone (the other leads outvote it); a limb electrode's reach every lead, and are taken out of the raw
// leads as steps.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "ecg_test_data.hpp"
#include "electrode_pops.hpp"
#include "statement_checks.hpp"
#include "synthetic_ecg.hpp"
#include "teledx/ecg/analysis.hpp"
#include "teledx/ecg/processing.hpp"

using namespace teledx::ecg;
using teledx::ecg::test::with_limb_pops;
using teledx::ecg::test::with_pops;

namespace {

/// Critical flags that pops raise on LUDB's development records and the record as recorded does not.
struct NewFlags {
  int cases = 0, rate_flags = 0;
  std::string flagged;  ///< one line a case that raised one
  void add(const Analysis& clean, const Waveform& popped, const std::string& what) {
    const auto a = analyze(popped);
    ++cases;
    std::string added;
    for (const auto& c : a.critical)
      if (!test::has(clean.critical, c.code)) {
        added += c.code + " ";
        rate_flags += c.code != "critical_long_qtc";
      }
    if (!added.empty()) flagged += what + ": " + added + "\n";
  }
  long lines() const { return std::count(flagged.begin(), flagged.end(), '\n'); }
};

/// The three timings of three pops each that the LUDB cases try, in seconds.
const std::vector<std::vector<double>> kPopTimes = {{1.7, 4.9, 8.1}, {1.2, 3.9, 6.6}, {2.4, 5.3, 8.7}};

/// "LUDB 21 V3 4000 uV from 1.7 s": a case, for a failing check's message.
std::string pop_case(const std::string& rec, const std::string& where, double uv, double from_s) {
  return "LUDB " + rec + " " + where + " " + std::to_string(int(uv)) + " uV from " + std::to_string(from_s) + " s";
}

}  // namespace

TEST_CASE("Pops of a loose limb electrode reach every lead and are still not taken for the beats", "[ecg]") {
  test::Synth s;  // 72/min
  const Waveform clean = test::synth_ecg(s);
  const auto clean_beats = analyze(clean).beats.size();
  for (const char* electrode : {"RA", "LA", "LL"})
    for (double uv : {1500.0, 4000.0}) {
      const auto a = analyze(with_limb_pops(clean, electrode, {1.7, 4.9, 8.1}, uv));
      INFO(electrode << ", pops of " << uv << " uV: " << test::statement_codes(a));
      CHECK(a.beats.size() == clean_beats);
      CHECK(a.critical.empty());
      REQUIRE(a.measurements.heart_rate);
      CHECK(*a.measurements.heart_rate == Approx(72).margin(3));
    }
}

TEST_CASE("A limb electrode's pop within a second of either end is taken out too", "[ecg]") {
  // The technician's hand on the cable as the recording starts or stops. The step was left in there (no second
  // of level on one side), read as a beat, and stated as a PVC. In the last 200 ms it stays: as short a stretch
  // may be a QRS cut off by the end of the recording.
  const Waveform clean = test::synth_ecg(test::Synth{});
  const auto clean_a = analyze(clean);
  for (const char* electrode : {"RA", "LA", "LL"})
    for (double at : {0.15, 0.3, 0.7, 9.3, 9.7}) {
      const auto a = analyze(with_limb_pops(clean, electrode, {at}, 2000));
      INFO(electrode << " pop at " << at << " s: " << test::statement_codes(a));
      CHECK(a.beats.size() == clean_a.beats.size());
      CHECK_FALSE(test::has(a.rhythm, "pvcs"));
      CHECK(test::has(a.quality, "electrode_pop"));
      CHECK(a.critical.empty());
    }
}

TEST_CASE("LUDB's records with a limb pop within a second of either end keep their beats", "[ecg][ludb]") {
  if (!test::shared_has("ludb/RECORDS.dev")) {
    WARN("shared ECG data not found (set TELEDX_ECG_DATA): skipped");
    return;
  }
  int cases = 0, changed = 0;
  std::string which;
  test::for_each_ludb_dev([&](const std::string& rec, const Waveform& w) {
    const auto beats = analyze(w).beats.size();
    for (const char* electrode : {"RA", "LA", "LL"})
      for (double at : {0.3, 9.7}) {
        ++cases;
        if (analyze(with_limb_pops(w, electrode, {at}, 2000)).beats.size() != beats)
          ++changed, which += rec + " " + electrode + " " + std::to_string(at) + "\n";
      }
  });
  INFO(which);
  CHECK(cases == 306);
  CHECK(changed == 0);  // was 89 (of them 19 / 15 with the right arm at 0.3 / 9.7 s)
}

TEST_CASE("The technician is told which limb electrode pops", "[ecg]") {
  // The pop reaches two of I, II and III in full and misses the third: RA misses III, LA II, LL I.
  test::Synth s;
  const Waveform clean = test::synth_ecg(s);
  CHECK_FALSE(test::has(analyze(clean).quality, "electrode_pop"));
  struct Named {
    const char* electrode;
    const char* en;
    const char* zh;
  };
  for (const Named& e : {Named{"RA", "right-arm", "右上肢"}, Named{"LA", "left-arm", "左上肢"},
                         Named{"LL", "left-leg", "左下肢"}}) {
    const auto a = analyze(with_limb_pops(clean, e.electrode, {1.7, 4.9, 8.1}, 1500));
    const Statement* pop = test::find_statement(a.quality, "electrode_pop");
    INFO(e.electrode << ": " << test::statement_codes(a));
    REQUIRE(pop != nullptr);
    INFO(pop->text);
    CHECK(pop->severity == Severity::Warning);
    CHECK(pop->text.find(std::string("the ") + e.en + " electrode is loose") != std::string::npos);
    CHECK(pop->text.find("up to 3 in a lead") != std::string::npos);
    CHECK(pop->text_zh.find(e.zh) != std::string::npos);
  }
}

TEST_CASE("The technician is told which chest lead pops", "[ecg]") {
  test::Synth s;
  const auto a = analyze(with_pops(test::synth_ecg(s), 8, {1.7, 4.9, 8.1}, 1500));  // V3
  const Statement* pop = test::find_statement(a.quality, "electrode_pop");
  INFO(test::statement_codes(a));
  REQUIRE(pop != nullptr);
  INFO(pop->text);
  REQUIRE(pop->lead);
  CHECK(*pop->lead == Lead::V3);
  CHECK(pop->text.find("in V3: its electrode is loose") != std::string::npos);
}

TEST_CASE("A tombstone ST elevation with steep edges is kept, not taken for an electrode's pop", "[ecg]") {
  // The pops are found as steps that hold a second; an anterior infarct's QRS runs at a stroke into an ST
  // segment raised for 300 ms, which must survive to raise its flag. 100/min: the raised ST fills half of
  // every second. Within a second of the end the shorter side is compared as it is: the recording also ends
  // 0.2 s after a QRS, in the middle of its raised ST segment.
  const bool cut_short = GENERATE(false, true);
  test::Synth s;
  s.hr = 100;
  if (cut_short) {
    s.seconds = 9.7;
    for (double t = 0.5; t < 9.6; t += 0.6) s.r_times.push_back(t);
  }
  Waveform w = test::synth_ecg(s);
  const double fs = w.sample_rate_hz;
  const std::vector<double> onsets = cut_short ? s.r_times : [&] {
    std::vector<double> r;
    for (double t = 0.5; t < s.seconds - 0.6; t += 60.0 / s.hr) r.push_back(t);
    return r;
  }();
  INFO((cut_short ? "ends 0.2 s after a QRS" : "ends after a whole beat"));
  for (double t : onsets)
    for (std::size_t l = 6; l < 10; ++l) {  // V1-V4
      const auto k0 = std::size_t((t + 0.045) * fs);
      for (std::size_t k = k0; k < k0 + std::size_t(0.38 * fs) && k < w.leads[l].uv.size(); ++k) {
        const double u =
            double(k - k0) / fs;  // a step of 2 mV in 2 ms, a plateau falling to 1.5 mV, a 100-ms fall
        const double v = u < 0.002  ? 2000 * u / 0.002
                         : u < 0.28 ? 2000 - 500 * (u - 0.002) / 0.278
                                    : 1500 * (1 - (u - 0.28) / 0.1);
        w.leads[l].uv[k] += float(std::max(0.0, v));
      }
    }
  const auto a = analyze(w);
  INFO(test::statement_codes(a));
  CHECK(test::has(a.critical, "critical_stemi"));
  REQUIRE(a.measurements.heart_rate);
  CHECK(*a.measurements.heart_rate == Approx(100).margin(3));
}

TEST_CASE("Pops of a loose chest electrode are not taken for the beats", "[ecg]") {
  test::Synth s;  // 72/min, 12 leads
  const Waveform clean = test::synth_ecg(s);
  const auto clean_beats = analyze(clean).beats.size();
  REQUIRE(clean_beats >= 11);
  for (std::size_t lead = 6; lead < 12; ++lead) {  // V1..V6
    for (double uv : {1500.0, 4000.0}) {
      const auto a = analyze(with_pops(clean, lead, {1.7, 4.9, 8.1}, uv));
      INFO(clean.leads[lead].label << ", pops of " << uv << " uV: " << test::statement_codes(a));
      CHECK(a.beats.size() == clean_beats);
      CHECK(a.critical.empty());
      REQUIRE(a.measurements.heart_rate);
      CHECK(*a.measurements.heart_rate == Approx(72).margin(3));
    }
  }
}

TEST_CASE("Pops in one chest lead of LUDB's development records raise no critical flag the record does not",
          "[ecg]") {
  // 51 records x 6 chest leads x pops of 1.5 and 4 mV x 3 timings: 1,836 cases raising a flag the record does
  // not. First: 29 (bradycardia 26, pause 13, complete AV block 8, long QTc 5). With the detector asking
  // other leads to see a lead's beats: 6 (5 long QTc, 1 bradycardia). With the steps taken out of the raw
  // leads too: none.
  ECG_REQUIRE_SHARED("ludb/RECORDS.dev");
  NewFlags n;
  test::for_each_ludb_dev([&](const std::string& rec, const Waveform& w) {
    const Analysis clean = analyze(w);
    for (std::size_t lead = 6; lead < 12 && lead < w.leads.size(); ++lead)
      for (double uv : {1500.0, 4000.0})
        for (const auto& at : kPopTimes)
          n.add(clean, with_pops(w, lead, at, uv), pop_case(rec, w.leads[lead].label, uv, at.front()));
  });
  INFO(n.flagged);
  CHECK(n.cases >= 1800);
  CHECK(n.lines() <= 1);
  CHECK(n.rate_flags == 0);
}

TEST_CASE(
    "Pops at a limb electrode on LUDB's development records rarely raise a critical flag the record does not",
    "[ecg]") {
  // 51 records x RA, LA, LL x pops of 1.5 and 4 mV x 3 timings: 918 cases. The other leads confirm these
  // pops, which reach them all: before the steps were taken out of the raw leads, 46 cases raised a flag the
  // record does not (long QTc 23, bradycardia 18, ST elevation 12, pause 6). Now 4, all long QTc (LUDB 21,
  // 121, 126 twice: the slow return of a 4-mV pop is still on their T waves).
  ECG_REQUIRE_SHARED("ludb/RECORDS.dev");
  NewFlags n;
  test::for_each_ludb_dev([&](const std::string& rec, const Waveform& w) {
    const Analysis clean = analyze(w);
    for (const char* electrode : {"RA", "LA", "LL"})
      for (double uv : {1500.0, 4000.0})
        for (const auto& at : kPopTimes)
          n.add(clean, with_limb_pops(w, electrode, at, uv), pop_case(rec, electrode, uv, at.front()));
  });
  INFO(n.flagged);
  CHECK(n.cases == 918);
  CHECK(n.lines() <= 4);
  CHECK(n.rate_flags == 0);
}
