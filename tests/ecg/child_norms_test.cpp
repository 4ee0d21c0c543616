// A child's ECG judged by the limits of its age: an infant's age in days (from its birth date, or an age stated in
// days, weeks or months), its sinus rate, PR interval, QRS axis and the QRS width of a bundle branch block.
#include <catch2/catch.hpp>
#include <optional>
#include <string>

#include "dicom_round_trip.hpp"
#include "scp_builder.hpp"
#include "statement_checks.hpp"
#include "synthetic_ecg.hpp"
#include "teledx/ecg/analysis.hpp"
#include "teledx/ecg/dicom_writer.hpp"
#include "teledx/ecg/readers.hpp"

using namespace teledx::ecg;
using namespace teledx::ecg::test;

namespace {

/// A child's sinus ECG: its shorter PR, QRS and QT keep the waves apart at a child's rates. (The synthetic QRS of 60
/// ms measures about 78: the measured one spans the low-pass's spread of its first and last waves.)
Synth child_synth(double hr) {
  Synth s;
  s.hr = hr;
  s.pr_ms = hr >= 150 ? 100 : 120;
  s.p_ms = hr >= 150 ? 70 : 80;
  s.qrs_ms = 60;
  s.qt_ms = hr >= 150 ? 240 : 300;
  return s;
}

/// The analysis of `s` for a patient born on `birth` (YYYYMMDD), recorded at `when` (ISO).
Analysis analysed_at(const Synth& s, const std::string& birth, const std::string& when) {
  Waveform w = synth_ecg(s);
  w.patient.birth_date = birth;
  w.acquisition_time = when;
  return analyze(w);
}

Analysis analysed_at_age(const Synth& s, std::optional<int> years) {
  Waveform w = synth_ecg(s);
  w.patient.age_years = years;
  return analyze(w);
}

std::string rhythm_text(const Analysis& a, const std::string& code, bool zh = false) {
  const Statement* st = find_statement(a.rhythm, code);
  return st ? (zh ? st->text_zh : st->text) : "(no " + code + ": " + statement_codes(a) + ")";
}

}  // namespace

TEST_CASE("An infant's sinus rate is judged by its age in days, from the birth date and the recording's date", "[ecg]") {
  // Davignon: 91-159/min at 1-3 days, 107-182 at 7-30 days, 121-179 at 1-3 months.
  const Synth fast = child_synth(165);
  const Analysis day1 = analysed_at(fast, "20260601", "2026-06-02T08:00:00");
  CHECK(rhythm_text(day1, "sinus_tachycardia").find("(normal at 1 day: 91-159/min)") != std::string::npos);
  CHECK(rhythm_text(day1, "sinus_tachycardia", true).find("（出生 1 天正常范围 91–159 次/分）") != std::string::npos);
  const Analysis week3 = analysed_at(fast, "20260601", "2026-06-22T08:00:00");
  CHECK(rhythm_text(week3, "sinus_rhythm").find("(normal at 21 days: 107-182/min)") != std::string::npos);
  const Analysis month2 = analysed_at(child_synth(110), "20260601", "2026-08-05T08:00:00");
  CHECK(rhythm_text(month2, "sinus_bradycardia").find("(normal at 2 months: 121-179/min)") != std::string::npos);
  CHECK(rhythm_text(month2, "sinus_bradycardia", true).find("（2 个月正常范围 121–179 次/分）") != std::string::npos);
  // A recording dated before the birth date is no age: the adult range, which 110/min exceeds.
  CHECK(has(analysed_at(child_synth(110), "20260601", "2026-05-01T08:00:00").rhythm, "sinus_tachycardia"));
}

TEST_CASE("An age stated in days, weeks or months keeps its days through the stored DICOM", "[ecg]") {
  // SCP-ECG's age tag: a count and a unit (2 months, 3 weeks, 4 days). Completed weeks or months: the days are the
  // middle of the next one, so "0 months" is a two-week-old, not a newborn.
  auto scp_age = [](std::uint8_t value, std::uint8_t unit) {
    auto w = read_ecg_bytes(scp_with_stated_age(value, 0, unit), "x.scp");
    REQUIRE(w.ok());
    return w->patient;
  };
  CHECK(scp_age(6, 3).age_years == 0);
  CHECK(scp_age(6, 3).age_days == 45);
  CHECK(scp_age(0, 2).age_days == 15);
  CHECK(scp_age(3, 2).age_days == 107);
  CHECK(scp_age(20, 4).age_days == 20);
  CHECK_FALSE(scp_age(20, 1).age_days);  // years: no days

  // A 6-week-old's 165/min, stored as the upload stores an ECG: sinus rhythm at its age, and "042D" kept.
  Waveform w = synth_ecg(child_synth(165));
  w.acquisition_time = "2026-06-15T09:30:00";
  DicomEcgHeader h;
  h.patient = {"Wang^Xiaobao", "P-42D", "F", ""};
  h.patient.age_years = 0;
  h.patient.age_days = 42;
  h.study_uid = "1.2.826.0.1.3680043.10.999.42";
  auto back = test::stored_and_read_back(w, h, "days");
  REQUIRE(back.ok());
  CHECK(back->patient.age_years == 0);
  CHECK(back->patient.age_days == 42);
  CHECK(rhythm_text(analyze(*back), "sinus_rhythm").find("(normal at 1 month: 121-179/min)") != std::string::npos);
}

TEST_CASE("A child's PR is first-degree AV block or short against the limits of its age", "[ecg]") {
  // Garson: 80-160 ms at 1-2 years, 90-170 at 3-11; adults 120-200.
  Synth long_pr = child_synth(110);
  long_pr.pr_ms = 185;
  const Analysis two = analysed_at_age(long_pr, 2);
  INFO(statement_codes(two));
  CHECK(rhythm_text(two, "first_degree_av_block").find("(normal at age 2: 80-160 ms): first-degree") != std::string::npos);
  CHECK(rhythm_text(two, "first_degree_av_block", true).find("（2 岁正常范围 80–160 ms）") != std::string::npos);
  CHECK_FALSE(has(analysed_at_age(long_pr, 40).rhythm, "first_degree_av_block"));
  Synth short_pr = child_synth(110);
  short_pr.pr_ms = 100;
  CHECK_FALSE(has(analysed_at_age(short_pr, 1).rhythm, "short_pr"));
  CHECK(has(analysed_at_age(short_pr, 40).rhythm, "short_pr"));
  short_pr.pr_ms = 70, short_pr.p_ms = 50;
  CHECK(rhythm_text(analysed_at_age(short_pr, 8), "short_pr").find("; normal at age 8: 90-170 ms)") != std::string::npos);
}

TEST_CASE("An infant's QRS axis is deviated left or right against the limits of its age in days", "[ecg]") {
  // AHA/ACCF/HRS 2009: +30° to +190° in the first month, +10° to +120° from a month to a year.
  Synth s = child_synth(140);
  s.qrs_axis = 0;
  const Analysis month3 = analysed_at(s, "20260301", "2026-06-10T08:00:00");
  CHECK(rhythm_text(month3, "left_axis_deviation").find("; normal at 3 months: +10° to +120°)") != std::string::npos);
  CHECK(rhythm_text(month3, "left_axis_deviation", true).find("，3 个月正常范围 +10° 至 +120°）") != std::string::npos);
  CHECK_FALSE(has(analysed_at_age(s, 40).rhythm, "left_axis_deviation"));  // adults from -30°
  s.qrs_axis = 160;
  CHECK_FALSE(has(analysed_at(s, "20260601", "2026-06-04T08:00:00").rhythm, "right_axis_deviation"));  // 3 days
  CHECK(has(analysed_at(s, "20260101", "2026-06-04T08:00:00").rhythm, "right_axis_deviation"));        // 5 months
}

TEST_CASE("A child's bundle branch block is read at the QRS width of its age", "[ecg]") {
  // AHA/ACCF/HRS 2009: complete over 100 ms at 4-16 years and over 90 under 4 (adults 120), incomplete right from 86
  // ms under 8 and 90 at 8-16 (adults 110). A right ventricle late by a 20-ms wave: a QRS of 110-119 ms.
  Waveform late = right_bundle_branch_block({}, 20, 300);
  auto bbb_at = [&](std::optional<int> years) {
    late.patient.age_years = years;
    return analyze(late);
  };
  CHECK(has(bbb_at(40).rhythm, "incomplete_rbbb"));
  CHECK(has(bbb_at(std::nullopt).rhythm, "incomplete_rbbb"));
  const Analysis ten = bbb_at(10);
  CHECK_FALSE(has(ten.rhythm, "incomplete_rbbb"));
  CHECK(rhythm_text(ten, "complete_rbbb").find(" ms (over 100 ms at age 10), terminal R in V1") != std::string::npos);
  CHECK(rhythm_text(ten, "complete_rbbb", true).find("（10 岁超过 100 ms）") != std::string::npos);
  CHECK(has(bbb_at(2).rhythm, "complete_rbbb"));
  // A child's normal narrow QRS: no block at any age.
  for (int years : {0, 2, 6, 12}) {
    const Analysis a = analysed_at_age(child_synth(110), years);
    INFO("age " << years << ": " << statement_codes(a));
    CHECK_FALSE(has(a.rhythm, "complete_rbbb"));
    CHECK_FALSE(has(a.rhythm, "complete_lbbb"));
    CHECK_FALSE(has(a.rhythm, "incomplete_rbbb"));
  }
}

TEST_CASE("An infant's regular narrow-QRS rhythm within its normal rates is no tachycardia when no P wave is seen", "[ecg]") {
  // At 150/min a P wave may hide in the T wave. Past an adult's 100/min that is a supraventricular tachycardia to
  // look at; at two months (normal up to 179/min) the rhythm is left undetermined, not called a tachycardia.
  Synth s = child_synth(150);
  s.p_waves = false;
  CHECK(has(analysed_at_age(s, 40).rhythm, "supraventricular_tachycardia"));
  const Analysis infant = analysed_at(s, "20260601", "2026-08-05T08:00:00");
  INFO(statement_codes(infant));
  CHECK_FALSE(has(infant.rhythm, "supraventricular_tachycardia"));
  CHECK(has(infant.rhythm, "rhythm_other"));
  // Past its range it is one: 200/min at two months.
  Synth fast = child_synth(200);
  fast.p_waves = false;
  CHECK(has(analysed_at(fast, "20260601", "2026-08-05T08:00:00").rhythm, "supraventricular_tachycardia"));
}

TEST_CASE("A young child's ventricular rate under 60/min is critical, from 5 years the consensus's 35/min", "[ecg]") {
  const Synth slow = child_synth(52);
  const Analysis month2 = analysed_at(slow, "20260601", "2026-08-05T08:00:00");
  const Statement* flag = find_statement(month2.critical, "critical_bradycardia");
  REQUIRE(flag);
  CHECK(flag->text.find("ventricular rate 52/min (< 60/min at 2 months)") != std::string::npos);
  CHECK(flag->text_zh.find("心室率 52 次/分（2 个月 <60 次/分）") != std::string::npos);
  CHECK(rhythm_text(month2, "sinus_bradycardia").find("(normal at 2 months: 121-179/min)") != std::string::npos);
  const Analysis age3 = analysed_at_age(slow, 3);
  REQUIRE(find_statement(age3.critical, "critical_bradycardia"));
  CHECK(find_statement(age3.critical, "critical_bradycardia")->text.find("(< 60/min at age 3)") != std::string::npos);
  // At 59/min a two-year-old is still flagged; at 62 it is not (sinus bradycardia against 89-151 only).
  CHECK(has(analysed_at_age(child_synth(59), 2).critical, "critical_bradycardia"));
  const Analysis age2_62 = analysed_at_age(child_synth(62), 2);
  CHECK_FALSE(has(age2_62.critical, "critical_bradycardia"));
  CHECK(has(age2_62.rhythm, "sinus_bradycardia"));
  // A school child, an adult and an unknown age at 52/min: sinus bradycardia, no critical flag (under 35 it would be).
  for (const std::optional<int> years : {std::optional<int>(6), std::optional<int>(30), std::optional<int>()}) {
    const Analysis a = analysed_at_age(slow, years);
    CHECK_FALSE(a.has_critical());
    CHECK(has(a.rhythm, "sinus_bradycardia"));
  }
}
