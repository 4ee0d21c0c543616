// A cart's calibration pulse (its 1 mV standardisation rectangle) exported with the samples, before or after the
// ECG. Its edges are as steep as a QRS: the detector took it for a beat, which moved the rate and on LUDB 57 lost
// a real critical long QTc. It is flattened before the analysis and named, and a recording without one never
// gets the statement.
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "calibration_pulses.hpp"
#include "ecg_test_data.hpp"
#include "statement_checks.hpp"
#include "synthetic_ecg.hpp"
#include "teledx/ecg/analysis.hpp"

using namespace teledx::ecg;

namespace {

using test::Pulse;
using test::with_pulse;

/// Statement codes of an analysis but the calibration pulse's.
std::string codes_but_pulse(const Analysis& a) {
  std::string out;
  for (const auto* v : {&a.rhythm, &a.quality, &a.critical})
    for (const auto& s : *v)
      if (s.code != "calibration_pulse") out += s.code + " ";
  return out;
}

/// The pulse is named, and everything else is read as on the same recording with a flat half second in its place:
/// the same beats (within a sample: a low-passed edge leaves a tail of a few µV) and rate, the QT within 4 ms, the same statements (but a QTc-threshold statement when the QT
/// moved; LUDB 57's QTc sits on 470 ms).
void check_read_as_without(const Waveform& w, const Pulse& p, const std::string& what) {
  INFO(what << ", pulse " << p.uv << " uV " << p.ms << " ms, edge " << p.edge_ms << " ms" << (p.at_end ? " at the end" : ""));
  Pulse flat = p;
  flat.uv = 0;
  const auto with = analyze(with_pulse(w, p)), without = analyze(with_pulse(w, flat));
  REQUIRE(test::has(with.quality, "calibration_pulse"));
  REQUIRE(with.beats.size() == without.beats.size());
  for (std::size_t i = 0; i < with.beats.size(); ++i) CHECK(std::abs(with.beats[i].r - without.beats[i].r) <= 1);
  CHECK(with.measurements.heart_rate == without.measurements.heart_rate);
  const double qt = with.measurements.qt.value_or(0), qt_flat = without.measurements.qt.value_or(0);
  CHECK(std::abs(qt - qt_flat) <= 4);
  auto codes = [&](const Analysis& a) {
    std::string s = codes_but_pulse(a);
    if (qt != qt_flat)
      for (const std::string code : {"prolonged_qtc ", "qt_uncertain "})
        if (auto at = s.find(code); at != std::string::npos) s.erase(at, code.size());
    return s;
  };
  CHECK(codes(with) == codes(without));
  auto critical = [](const Analysis& a) {
    std::string s;
    for (const auto& c : a.critical) s += c.code + " ";
    return s;
  };
  CHECK(critical(with) == critical(without));
}

}  // namespace

TEST_CASE("A calibration pulse before a synthetic ECG is named and not read as a beat", "[ecg]") {
  const Waveform ecg = test::synth_ecg(test::Synth{});
  const auto a = analyze(with_pulse(ecg, {}));
  const Statement* said = test::find_statement(a.quality, "calibration_pulse");
  REQUIRE(said);
  CHECK(said->severity == Severity::Info);
  CHECK(said->text == "Calibration pulse (1.0 mV, 200 ms, at 0.1 s) recognised and left out of the analysis");
  CHECK(said->text_zh == "定标脉冲（1.0 mV，200 ms，位于 0.1 s）已识别，未参与分析");
  CHECK(analyze(ecg).beats.size() == a.beats.size());
  for (const Pulse& p : {Pulse{}, Pulse{500, 100}, Pulse{2000, 200}, Pulse{1000, 200, 3}, Pulse{1000, 200, 0, true}})
    check_read_as_without(ecg, p, "synthetic 72/min");
}

TEST_CASE("A pulse at the start of each printed column is taken out at each", "[ecg]") {
  const Waveform ecg = test::synth_ecg(test::Synth{});  // 72/min, from 0.5 s: the QRS at 0.5 + 0.83 k s
  // The three later columns' pulses (each half second) after a QRS, over that beat's T wave and the next P wave.
  const auto a = analyze(test::with_pulses_over(ecg, {2.32, 4.82, 7.32}));
  const Statement* said = test::find_statement(a.quality, "calibration_pulse");
  REQUIRE(said);
  CHECK(said->text == "3 calibration pulses (the first 1.0 mV, 200 ms, at 2.4 s) recognised and left out of the analysis");
  CHECK(said->text_zh == "定标脉冲 3 处（首个 1.0 mV，200 ms，位于 2.4 s）已识别，未参与分析");
  const auto clean = analyze(ecg);
  CHECK(a.beats.size() == clean.beats.size());
  CHECK(a.measurements.heart_rate == clean.measurements.heart_rate);
  CHECK(a.critical.empty());
}

TEST_CASE("A single-lead recording's calibration pulse is named too", "[ecg]") {
  Waveform ecg = test::synth_ecg(test::Synth{});
  ecg.leads.erase(ecg.leads.begin() + 2, ecg.leads.end());
  ecg.leads.erase(ecg.leads.begin());  // lead II alone
  check_read_as_without(ecg, {}, "lead II alone");
}

TEST_CASE("Calibration pulses before LUDB's development records change nothing but their own statement", "[ecg][ludb]") {
  if (!test::shared_has("ludb/RECORDS.dev")) {
    WARN("shared ECG data not found (set TELEDX_ECG_DATA): skipped");
    return;
  }
  test::for_each_ludb_dev([](const std::string& rec, const Waveform& w) {
    for (const Pulse& p : {Pulse{}, Pulse{500, 100}, Pulse{2000, 200, 2}, Pulse{1000, 200, 0, true}})
      check_read_as_without(w, p, "LUDB " + rec);
  });
}

TEST_CASE("No recording without a calibration pulse is said to have one", "[ecg][ludb][mitdb]") {
  for (const char* file : {"Example_aECG.xml", "minimum_aecg.xml", "philips_129DYPRG.xml", "waveform_ecg.dcm"}) {
    auto w = read_ecg_file(test::local_data() / file);
    REQUIRE(w.ok());
    INFO(file);
    CHECK_FALSE(test::has(analyze(*w).quality, "calibration_pulse"));
  }
  if (!test::shared_has("ludb/RECORDS.dev") || !test::shared_has("mitdb/100.hea")) {
    WARN("shared ECG data not found (set TELEDX_ECG_DATA): the development records skipped");
    return;
  }
  int records = 0;
  test::for_each_ludb_dev([&](const std::string& rec, const Waveform& w) {
    INFO("LUDB " << rec);
    CHECK_FALSE(test::has(analyze(w).quality, "calibration_pulse"));
    ++records;
  });
  // Whole 30-minute records, paced ones (102, 104, 107) among them.
  test::for_each_mitdb_dev([&](int rec, const test::AnnotatedRecord& r) {
    INFO("MIT-BIH " << rec);
    CHECK_FALSE(test::has(analyze(r.waveform).quality, "calibration_pulse"));
    ++records;
  });
  CHECK(records == 61);
}
