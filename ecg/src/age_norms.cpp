// The patient's age at the recording, and the normal limits of a child's ECG at that age: sinus rate, QRS axis, PR
// interval and the QRS width of a bundle branch block. An infant's limits change within weeks (a newborn's normal
// rate tops out at 154/min, a six-week-old's at 179), so the age is kept in days wherever the file allows it.
#include <chrono>
#include <optional>
#include <string>

#include "analysis_internal.hpp"
#include "teledx/core/age.hpp"

namespace teledx::ecg::detail {
namespace {

/// The calendar date of "YYYYMMDD" or of the first ten characters of "YYYY-MM-DD...", when it is one.
std::optional<std::chrono::year_month_day> date_of(const std::string& s, bool iso) {
  if (s.size() < (iso ? 10u : 8u)) return std::nullopt;
  const std::string d = iso ? s.substr(0, 4) + s.substr(5, 2) + s.substr(8, 2) : s.substr(0, 8);
  if (d.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year(std::stoi(d.substr(0, 4))),
                                        std::chrono::month(unsigned(std::stoi(d.substr(4, 2)))),
                                        std::chrono::day(unsigned(std::stoi(d.substr(6, 2))))};
  if (!ymd.ok()) return std::nullopt;
  return ymd;
}

bool adult(const std::optional<PatientAge>& age) { return !age || age->years >= 16; }

/// The age as the statements name it: "5 days" / "出生 5 天", "3 months" / "3 个月", "age 7" / "7 岁", or "under 1
/// year" when only whole years say it; empty for an adult or an unknown age, whose limits need no age named.
std::pair<std::string, std::string> age_words(const std::optional<PatientAge>& age) {
  if (adult(age)) return {};
  if (age->days && *age->days < 1) return {"under 1 day", "出生不足 1 天"};
  if (age->days && *age->days < 30) {
    const std::string n = std::to_string(*age->days);
    return {n + (*age->days == 1 ? " day" : " days"), "出生 " + n + " 天"};
  }
  if (age->days && *age->days < 365) {
    const std::string n = std::to_string(std::max(1, int(*age->days / 30.4375)));
    return {n + (n == "1" ? " month" : " months"), n + " 个月"};
  }
  if (age->years < 1) return {"under 1 year", "1 岁以下"};
  return {"age " + std::to_string(age->years), std::to_string(age->years) + " 岁"};
}

AgeRange at(const std::optional<PatientAge>& age, double low, double high) {
  auto [en, zh] = age_words(age);
  return {low, high, std::move(en), std::move(zh)};
}

}  // namespace

std::optional<PatientAge> patient_age_at(const PatientInfo& patient, const std::string& acquisition_time) {
  const auto born = date_of(patient.birth_date, false), seen = date_of(acquisition_time, true);
  if (born && seen) {
    const auto years = age_on(patient.birth_date, int((*seen).year()), int(unsigned((*seen).month())),
                              int(unsigned((*seen).day())));
    const auto days = (std::chrono::sys_days(*seen) - std::chrono::sys_days(*born)).count();
    if (years && days >= 0) return PatientAge{*years, int(days)};
  }
  if (patient.age_years) return PatientAge{*patient.age_years, patient.age_days};
  return std::nullopt;
}

std::optional<int> patient_age(const PatientInfo& patient, const std::string& acquisition_time) {
  const auto age = patient_age_at(patient, acquisition_time);
  return age ? std::optional<int>(age->years) : std::nullopt;
}

// Davignon et al. 1979 (Pediatr Cardiol 1:123-131), 2nd and 98th percentiles, over their age bands: the children's
// reference most ECG texts print. Under a year with only whole years known, the widest of its first-year bands.
AgeRange sinus_rate_range(const std::optional<PatientAge>& age) {
  if (adult(age)) return at(age, 60, 100);
  if (age->years < 1 && age->days) {
    const int d = *age->days;
    if (d < 1) return at(age, 93, 154);
    if (d < 3) return at(age, 91, 159);
    if (d < 7) return at(age, 90, 166);
    if (d < 30) return at(age, 107, 182);
    if (d < 91) return at(age, 121, 179);
    if (d < 183) return at(age, 106, 186);
    return at(age, 109, 169);
  }
  if (age->years < 1) return at(age, 90, 186);
  if (age->years < 3) return at(age, 89, 151);
  if (age->years < 5) return at(age, 73, 137);
  if (age->years < 8) return at(age, 65, 133);
  if (age->years < 12) return at(age, 62, 130);
  return at(age, 60, 120);
}

// AHA/ACCF/HRS 2009 recommendations, part III (Surawicz et al., JACC 53:976), their table of the frontal axis's
// normal limits by age, itself from Davignon's percentiles: neonates +30° to +190°, 1 month to 1 year +10° to +120°,
// 1-5 years +5° to +100°, 5-8 years 0° to +140°, 8-16 years 0° to +120°; adults -30° to +90°.
AgeRange qrs_axis_range(const std::optional<PatientAge>& age) {
  if (adult(age)) return at(age, -30, 90);
  if (age->years < 1) {
    if (!age->days) return at(age, 10, 190);  // the first month's and the rest of the year's together
    return *age->days < 30 ? at(age, 30, 190) : at(age, 10, 120);
  }
  if (age->years < 5) return at(age, 5, 100);
  if (age->years < 8) return at(age, 0, 140);
  return at(age, 0, 120);
}

// Garson's normal PR by age (The Science and Practice of Pediatric Cardiology, 1990, as pediatric cardiology
// services print it): 80-150 ms to 5 months, 70-160 at 6-11 months, 80-160 at 1-2 years, 90-170 at 3-11 years, 90-180
// at 12-15; adults 120-200.
AgeRange pr_range(const std::optional<PatientAge>& age) {
  if (adult(age)) return at(age, 120, 200);
  if (age->years < 1) return age->days && *age->days < 183 ? at(age, 80, 150) : at(age, 70, 160);
  if (age->years < 3) return at(age, 80, 160);
  if (age->years < 12) return at(age, 90, 170);
  return at(age, 90, 180);
}

// AHA/ACCF/HRS 2009, part III: a complete bundle branch block's QRS is 120 ms or more in adults, over 100 ms at 4-16
// years and over 90 ms under 4; an incomplete right one's 110-119 ms in adults, 90-100 ms at 4-16 years and 86-90 ms
// under 8.
BundleBranchWidths bundle_branch_widths(const std::optional<PatientAge>& age) {
  auto [en, zh] = age_words(age);
  if (adult(age)) return {};
  const double complete = age->years < 4 ? 90 : 100, incomplete = age->years < 8 ? 86 : 90;
  return {complete, false, incomplete, std::move(en), std::move(zh)};
}

// The consensus's 35/min is an adult's line. For infants and young children the resuscitation guidelines draw it at
// 60/min (AHA PALS and neonatal resuscitation: compressions below 60/min despite ventilation); under 5 years
// Davignon's 2nd percentile is 73/min or more, so a rate under 60 is no healthy child's. From 5 years the 2nd
// percentile nears 60 (65 at 5-7, 62 at 8-11): a resting school child may be there, and the adult line stays.
AgeRange critical_low_rate(const std::optional<PatientAge>& age) {
  if (!adult(age) && age->years < 5) return at(age, 60, 0);
  return {35, 0, {}, {}};
}

}  // namespace teledx::ecg::detail
