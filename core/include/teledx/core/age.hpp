#pragma once
// A patient's age in whole years from a DICOM birth date: the ECG analysis' age-dependent thresholds and the printed
// pages both need it, from different clocks (the recording's time, the exam's arrival).
#include <optional>
#include <string>

namespace teledx {

/// Whole years from a birth date "YYYYMMDD" to the given day (month 1-12); nullopt when the birth date is not eight
/// digits or the result is no human age (negative or 150 and over: a typing error).
std::optional<int> age_on(const std::string& birth_yyyymmdd, int year, int month, int day);

}  // namespace teledx
