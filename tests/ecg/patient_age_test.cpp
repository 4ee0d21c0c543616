// The age a cart states (no birth date: Philips and Contec carts record an age only) is read from every format that
// has one, kept in the DICOM the upload stores, and sets the age-dependent thresholds of the analysis (ST elevation
// in V2-V3 for men under 40, the adult voltage criteria from 18).
#include <catch2/catch.hpp>
#include <string>

#include "dicom_round_trip.hpp"
#include "ecg_test_data.hpp"
#include "scp_builder.hpp"
#include "statement_checks.hpp"
#include "synthetic_ecg.hpp"
#include "teledx/ecg/analysis.hpp"
#include "teledx/ecg/dicom_writer.hpp"
#include "teledx/ecg/readers.hpp"

using namespace teledx::ecg;
using namespace teledx::ecg::test;

namespace {

std::optional<int> stated_age(const char* sample) {
  auto w = read_ecg_file(shared_data() / sample);
  REQUIRE(w.ok());
  return w->patient.age_years;
}

}  // namespace

TEST_CASE("The sample carts' stated ages are read from DICOM, Philips, MUSE and Contec files", "[ecg]") {
  ECG_REQUIRE_SHARED("formats/contec/0000037.ECG");
  CHECK(stated_age("formats/dicom/waveform_ecg.dcm") == 42);                                  // PatientAge 042Y
  CHECK(stated_age("formats/philips-xml/129DYPRG.XML") == 50);                                // <age><years>
  CHECK(stated_age("formats/ge-muse-xml/MUSE_20200923_093504_79000_example.xml") == 40);      // PatientAge, YEARS
  CHECK(stated_age("formats/contec/0000037.ECG") == 54);                                      // header byte 41
  CHECK_FALSE(stated_age("formats/scp-ecg/Example.scp"));                                     // a birth date only
}

TEST_CASE("An SCP-ECG age tag in years or months gives whole years, an unknown unit or a damaged value none", "[ecg]") {
  auto read_age = [](std::uint8_t lo, std::uint8_t hi, std::uint8_t unit) {
    auto w = read_ecg_bytes(scp_with_stated_age(lo, hi, unit), "x.scp");
    REQUIRE(w.ok());
    return w->patient.age_years;
  };
  CHECK(read_age(67, 0, 1) == 67);
  CHECK(read_age(30, 0, 2) == 2);  // 30 months
  CHECK_FALSE(read_age(67, 0, 0));
  CHECK_FALSE(read_age(0x10, 0x27, 1));  // 10000 years: damaged
}

TEST_CASE("A stated age survives the stored DICOM and sets a man's V2-V3 ST threshold", "[ecg]") {
  Synth s;
  s.st_uv = {{Lead::V2, 230}, {Lead::V3, 230}};
  auto stemi_at_age = [&](int age) {
    Waveform w = synth_ecg(s);
    w.acquisition_time = "2026-06-15T09:30:00";
    DicomEcgHeader h;
    h.patient = {"Li^Si", "P-35", "M", ""};
    h.patient.age_years = age;
    h.study_uid = "1.2.826.0.1.3680043.10.999.35";
    auto back = test::stored_and_read_back(w, h, "age");
    REQUIRE(back.ok());
    CHECK(back->patient.birth_date.empty());
    CHECK(back->patient.age_years == age);
    return has(analyze(*back).rhythm, "stemi_pattern");
  };
  CHECK_FALSE(stemi_at_age(35));  // 0.23 mV is under the 0.25 mV of men under 40
  CHECK(stemi_at_age(45));
}

TEST_CASE("WFDB header comments give age and sex in the LUDB, MIT-BIH and European ST-T conventions", "[ecg]") {
  auto ludb = read_ecg_file(local_data() / "ludb/3.hea");
  REQUIRE(ludb.ok());
  CHECK(ludb->patient.age_years == 53);  // "#<age>: 53"
  CHECK(ludb->patient.sex == "M");       // "#<sex>: M"

  const std::vector<std::uint8_t> dat(2 * 2 * 100, 0);  // two format-16 signals, 100 samples of zero
  auto read = [&](const std::string& comments) {
    const std::string hea = "r 2 360 100\nr.dat 16 200 16 0 0 0 0 MLII\nr.dat 16 200 16 0 0 0 0 V5\n" + comments;
    auto w = read_wfdb(hea, dat);
    REQUIRE(w.ok());
    return w->patient;
  };
  const auto mit = read("# 69 F 1085 1629 x1\n# Aldomet, Inderal\n");  // MIT-BIH: age, sex, tape numbers
  CHECK(mit.age_years == 69);
  CHECK(mit.sex == "F");
  const auto unknown = read("# ? ? 1085 1629 x1\n");
  CHECK_FALSE(unknown.age_years);
  CHECK(unknown.sex.empty());
  const auto no_age = read("# -1 M 742 654 x1\n");  // MIT-BIH 103: age not known, sex given
  CHECK_FALSE(no_age.age_years);
  CHECK(no_age.sex == "M");
  const auto edb = read("#Age: 47  Sex: M\n#Coronary artery disease\n");  // European ST-T database
  CHECK(edb.age_years == 47);
  CHECK(edb.sex == "M");
  // Only the first comment after the signals holds MIT-BIH's demographics, and only when it has their shape.
  CHECK(read("# Produced by xform\n# 69 M\n").empty());
  CHECK(read("# 500 M treadmill\n").empty());  // not an age
}

TEST_CASE("A child's sinus rate is judged against the normal range of its age, which the statement names", "[ecg]") {
  struct Case {
    double hr;
    std::optional<int> age;
    const char* code;
  };
  // Davignon's 2nd-98th percentiles: 90-186/min under a year (its first-year bands together: no days known here), 89-151 at 1-2 years, 62-130 at 8-11, 60-120 at 12-15;
  // adults 60-100.
  const Case cases[] = {{130, 2, "sinus_rhythm"},      {130, 40, "sinus_tachycardia"}, {130, std::nullopt, "sinus_tachycardia"},
                        {160, 2, "sinus_tachycardia"}, {80, 1, "sinus_bradycardia"},   {80, 40, "sinus_rhythm"},
                        {125, 10, "sinus_rhythm"},     {110, 14, "sinus_rhythm"},      {110, 16, "sinus_tachycardia"},
                        {150, 0, "sinus_rhythm"}};
  for (const auto& c : cases) {
    Synth s;
    s.hr = c.hr;
    // A child's shorter PR and QT keep the P wave clear of the T wave at these rates.
    s.pr_ms = c.hr >= 150 ? 110 : c.hr > 120 ? 120 : 150;
    s.p_ms = c.hr >= 150 ? 80 : 100;
    s.qt_ms = c.hr >= 150 ? 250 : c.hr > 120 ? 280 : 340;
    auto w = synth_ecg(s);
    w.patient.age_years = c.age;
    const auto a = analyze(w);
    INFO("HR " << c.hr << ", age " << (c.age ? std::to_string(*c.age) : "unknown") << ": " << statement_codes(a));
    const Statement* st = find_statement(a.rhythm, c.code);
    REQUIRE(st);
    if (c.age && *c.age == 0) {
      CHECK(st->text.find("(normal at under 1 year: 90-186/min)") != std::string::npos);
      CHECK(st->text_zh.find("1 岁以下正常范围 90–186 次/分") != std::string::npos);
    } else if (c.age && *c.age < 16) {
      CHECK(st->text.find("(normal at age " + std::to_string(*c.age) + ": ") != std::string::npos);
      CHECK(st->text_zh.find(std::to_string(*c.age) + " 岁正常范围") != std::string::npos);
    } else {
      CHECK(st->text.find("normal at age") == std::string::npos);
    }
  }
}
