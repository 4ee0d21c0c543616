// How printed documents write patient data and times (the report PDF and the paper ECG share these).
#include <catch2/catch.hpp>

#include "teledx/worklist/print_text.hpp"

using namespace teledx::worklist;

TEST_CASE("a DICOM person name prints as a clinic writes it", "[worklist][pdf]") {
  CHECK(person_name_text("王^芳") == "王芳");
  CHECK(person_name_text("WANG^FANG=王^芳") == "王芳");                  // the ideographic group first
  CHECK(person_name_text("WANG^FANG=王^芳=wang^fang") == "王芳");        // the phonetic group is not printed
  CHECK(person_name_text("WANG^FANG") == "WANG FANG");
  CHECK(person_name_text("Doe^John^A^Dr^") == "Doe John A Dr");
  CHECK(person_name_text("WANG^FANG=") == "WANG FANG");                  // an empty ideographic group
  CHECK(person_name_text("张三") == "张三");
  CHECK(person_name_text("").empty());
  CHECK(person_name_text("^^^").empty());
}

TEST_CASE("sex, birth date, age and times print in Chinese form, odd values print as given", "[worklist][pdf]") {
  CHECK(sex_text("M") == "男");
  CHECK(sex_text("F") == "女");
  CHECK(sex_text("") == "—");
  CHECK(birth_date_text("19610302") == "1961-03-02");
  CHECK(birth_date_text("1961") == "1961");
  CHECK(age_text("066Y") == "66岁");
  CHECK(age_text("003M") == "3个月");
  CHECK(age_text("") == "—");
  CHECK(age_text("Y") == "Y");
  // Not a DICOM age: printed as given, never an exception (the digits would overflow an int).
  CHECK(age_text("99999999999999Y") == "99999999999999Y");
  // Without a DICOM age, from the birth date to the exam's local day (2025-11-30 08:00 in Beijing).
  CHECK(age_text("", "19611130", 1'764'460'800'000, 480) == "64岁");
  CHECK(age_text("", "19611201", 1'764'460'800'000, 480) == "63岁");
  CHECK(age_text("", "19611130", 1'764'460'800'000 - 3'600'000, 0) == "63岁");  // 2025-11-29 23:00 UTC
  CHECK(age_text("070Y", "19611130", 1'764'460'800'000, 480) == "70岁");       // the study's own age wins
  CHECK(age_text("", "", 1'764'460'800'000, 480) == "—");
  // An infant from its birth date: months, days in the first month (2025-11-30 08:00 at UTC+8).
  CHECK(age_text("", "20250815", 1'764'460'800'000, 480) == "3个月");
  CHECK(age_text("", "20251031", 1'764'460'800'000, 480) == "30天");
  CHECK(age_text("", "20251029", 1'764'460'800'000, 480) == "1个月");
  CHECK(age_text("", "20251130", 1'764'460'800'000, 480) == "0天");
  CHECK(age_text("", "2030", 1'764'460'800'000, 480) == "—");
  CHECK(age_text("", "20300101", 1'764'460'800'000, 480) == "—");  // born after the exam: a typing error
  CHECK(local_time_text(0, 480) == "—");
  CHECK(local_time_text(1'764'460'800'000, 480) == "2025-11-30 08:00");  // 2025-11-30T00:00Z in Beijing
  CHECK(local_time_text(1'764'460'800'000, 0) == "2025-11-30 00:00");
}

TEST_CASE("a bilingual template text prints its Chinese half, other text whole", "[worklist][pdf]") {
  CHECK(chinese_part("次/分 bpm") == "次/分");
  CHECK(chinese_part("心率 Heart rate") == "心率");
  CHECK(chinese_part("QRS时限 QRS duration") == "QRS时限");
  CHECK(chinese_part("Lung-RADS 分级") == "Lung-RADS 分级");
  CHECK(chinese_part("mm") == "mm");
  CHECK(chinese_part("°") == "°");
  CHECK(chinese_part("") == "");
}
