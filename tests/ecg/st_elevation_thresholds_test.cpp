// ST elevation in V2-V3 at the Fourth Universal Definition of MI's thresholds for the patient's sex and age
// (st_segment.cpp): 0.15 mV for women, 0.25 mV for men under 40, 0.2 mV for men 40 and over and when the file does
// not say. Before, every patient got 0.2 mV: a woman's anterior STEMI of 0.15-0.2 mV was not flagged.
#include <catch2/catch.hpp>
#include <string>

#include "statement_checks.hpp"
#include "synthetic_ecg.hpp"
#include "teledx/ecg/analysis.hpp"

using namespace teledx::ecg;
using teledx::ecg::test::find_statement;
using teledx::ecg::test::has;

namespace {

/// A synthetic sinus ECG with `uv` of ST elevation in V2 and V3 only, of a patient of that sex born on that date,
/// recorded on 2026-06-15.
Analysis anterior_elevation(double uv, const std::string& sex, const std::string& birth_date) {
  test::Synth s;
  s.st_uv = {{Lead::V2, uv}, {Lead::V3, uv}};
  Waveform w = test::synth_ecg(s);
  w.patient.sex = sex;
  w.patient.birth_date = birth_date;
  w.acquisition_time = "2026-06-15T09:30:00";
  return analyze(w);
}

}  // namespace

TEST_CASE("A woman's V2-V3 ST elevation of 0.18 mV is a STEMI pattern and a critical flag", "[ecg]") {
  const auto a = anterior_elevation(180, "F", "19600101");
  const Statement* s = find_statement(a.rhythm, "stemi_pattern");
  REQUIRE(s);
  CHECK(s->text.find("anterior/septal (V2, V3)") != std::string::npos);
  CHECK(s->text.find("V2-V3 from 0.15 mV for women") != std::string::npos);
  CHECK(s->text_zh.find("V2–V3 女性阈值 0.15 mV") != std::string::npos);
  CHECK(has(a.critical, "critical_stemi"));
}

TEST_CASE("The same 0.18 mV is no STEMI pattern for a man or when the sex is not known", "[ecg]") {
  for (const std::string sex : {"M", ""}) {
    INFO("sex '" << sex << "'");
    const auto a = anterior_elevation(180, sex, "19600101");
    CHECK_FALSE(has(a.rhythm, "stemi_pattern"));
    CHECK_FALSE(has(a.critical, "critical_stemi"));
  }
}

TEST_CASE("A man's V2-V3 threshold is 0.25 mV under 40 and 0.2 mV from his fortieth birthday", "[ecg]") {
  // Born 1986-06-16: 39 on the recording day. Born 1986-06-15: 40 that day.
  CHECK_FALSE(has(anterior_elevation(230, "M", "19860616").rhythm, "stemi_pattern"));
  const auto forty = anterior_elevation(230, "M", "19860615");
  const Statement* s = find_statement(forty.rhythm, "stemi_pattern");
  REQUIRE(s);
  CHECK(s->text.find("V2-V3 from") == std::string::npos);  // the default threshold needs no note
  // Under 40 it takes 0.25 mV, noted as such; an unknown age keeps the 0.2 mV default.
  const Statement* young = find_statement(anterior_elevation(280, "M", "19900101").rhythm, "stemi_pattern");
  REQUIRE(young);
  CHECK(young->text.find("V2-V3 from 0.25 mV for men under 40") != std::string::npos);
  CHECK(has(anterior_elevation(230, "M", "").rhythm, "stemi_pattern"));
}

TEST_CASE("A child's V2-V3 threshold is 0.25 mV for either sex until 16", "[ecg]") {
  // Born 2012-06-16: 13 on the recording day (2026-06-15); born 2010-06-15: 16 that day.
  for (const std::string sex : {"F", "M", ""}) {
    INFO("sex '" << sex << "'");
    CHECK_FALSE(has(anterior_elevation(230, sex, "20120616").critical, "critical_stemi"));
    const auto a = anterior_elevation(280, sex, "20120616");
    const Statement* s = find_statement(a.rhythm, "stemi_pattern");
    REQUIRE(s);
    CHECK(s->text.find("V2-V3 from 0.25 mV under 16") != std::string::npos);
    CHECK(s->text_zh.find("V2–V3 16 岁以下阈值 0.25 mV") != std::string::npos);
    CHECK(has(a.critical, "critical_stemi"));
  }
  // A 13-year-old girl's 0.18 mV, which a woman's would be flagged for; at 16 she is read as a woman.
  CHECK_FALSE(has(anterior_elevation(180, "F", "20120616").rhythm, "stemi_pattern"));
  CHECK(has(anterior_elevation(180, "F", "20100615").critical, "critical_stemi"));
}
