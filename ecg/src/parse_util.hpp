#pragma once
// Small helpers shared by the readers: error construction, text splitting, number parsing, bounds checks.
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "teledx/core/error.hpp"
#include "teledx/ecg/waveform.hpp"

namespace teledx::ecg::detail {

inline Error bad(std::string message, std::string detail = {}) {
  return make_error(ErrorCode::BadRequest, std::move(message), std::move(detail));
}

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

/// Splits on any of `seps`, dropping empty fields when `skip_empty`.
inline std::vector<std::string_view> split(std::string_view s, std::string_view seps, bool skip_empty = true) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || seps.find(s[i]) != std::string_view::npos) {
      if (!skip_empty || i > start) out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

/// ASCII letters in lower case (a file name's extension, a header's name); other bytes, UTF-8 included, as they are.
inline std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  return out;
}

inline std::optional<double> to_double(std::string_view s) {
  s = trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

inline std::optional<long long> to_int(std::string_view s) {
  s = trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  long long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

/// An age the file states as a count and a unit ('Y' years, 'M' months, 'W' weeks, 'D' days), in whole years;
/// nullopt for another unit or an age no patient has (a damaged field is not an age).
inline std::optional<int> age_in_years(long long value, char unit) {
  if (value < 0) return std::nullopt;
  const long long years = unit == 'Y' ? value : unit == 'M' ? value / 12 : unit == 'W' ? value / 52 : unit == 'D' ? value / 365 : -1;
  if (years < 0 || years >= 150) return std::nullopt;
  return int(years);
}

/// Sets the age a file states (a count and a unit, as age_in_years takes them): whole years, and days where the
/// unit is finer than a year. A count of weeks or months is completed ones, so the days are the middle of the next
/// (an infant of "000M" is some two weeks old, not newborn). A damaged value sets neither.
inline void set_stated_age(PatientInfo& p, long long value, char unit) {
  p.age_years = age_in_years(value, unit);
  p.age_days = std::nullopt;
  if (!p.age_years || unit == 'Y') return;
  p.age_days = int(unit == 'D' ? value : unit == 'W' ? value * 7 + 3 : std::llround((double(value) + 0.5) * 30.4375));
}

/// Sample rates outside this range are refused as absurd for an ECG.
constexpr double kMinRateHz = 50;
constexpr double kMaxRateHz = 20000;
/// Refuse files that would decode to more than this many samples per lead (about 24 h at 1 kHz).
constexpr std::size_t kMaxSamplesPerLead = 90'000'000;

inline std::optional<Error> check_rate(double fs, std::string_view where) {
  if (!(fs >= kMinRateHz && fs <= kMaxRateHz))
    return bad("absurd sampling rate " + std::to_string(fs) + " Hz in " + std::string(where) +
               " (expected 50 to 20000 Hz)");
  return std::nullopt;
}

/// No ECG amplifier records a volt (a cart's input range is some ±5-300 mV, DC offsets included); a sample beyond it
/// is a wrong unit or scale. Refused, so that the leads derived from such samples (aVR = -(I + II) / 2) and the DICOM
/// the upload stores stay within what a float and its reader hold: 2e38 µV was read, but the stored copy was not.
inline constexpr double kMaxAbsUv = 1e6;

/// Refuses leads holding a value that is not a finite number of microvolts (a huge sample, scale or baseline: 1e39,
/// nan, inf in a text format, which would reach the analysis as infinity or NaN) or that lies beyond kMaxAbsUv.
/// `where` names the file part.
inline std::optional<Error> check_samples(const LeadSet& set, std::string_view where) {
  for (const auto& l : set.leads)
    for (std::size_t k = 0; k < l.uv.size(); ++k) {
      const float x = l.uv[k];
      if (std::isfinite(x) && std::abs(x) <= kMaxAbsUv) continue;
      const std::string at = std::string(where) + ", lead " +
                             (l.lead == Lead::Other ? l.label : std::string(lead_name(l.lead))) + ": sample " +
                             std::to_string(k + 1);
      if (!std::isfinite(x))
        return bad(at + " is out of range once scaled to microvolts (its value, scale or baseline is not a usable number)");
      char mv[32];
      std::snprintf(mv, sizeof mv, "%.4g", double(x) / 1000.0);
      return bad(at + " is " + mv + " mV, beyond the ±1 V any ECG records: check the file's units or scale "
                      "(microvolts given as millivolts?)");
    }
  return std::nullopt;
}

/// A standard lead stored twice: which of the two to show and measure is unknowable, and the DICOM the upload stores
/// could not hold both (every reader refuses it alike; research channels, Lead::Other, may share a label).
inline std::optional<Error> check_distinct_leads(const LeadSet& set, std::string_view where) {
  for (std::size_t i = 0; i < set.leads.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (set.leads[i].lead != Lead::Other && set.leads[i].lead == set.leads[j].lead)
        return bad(std::string(where) + ": lead " + std::string(lead_name(set.leads[i].lead)) + " appears twice");
  return std::nullopt;
}

/// Little-endian cursor over bytes; every read is bounds-checked by the caller through `has`.
struct LeReader {
  std::span<const std::uint8_t> b;
  std::size_t pos = 0;
  bool has(std::size_t n) const { return pos <= b.size() && b.size() - pos >= n; }
  std::uint8_t u8() { return b[pos++]; }
  std::uint16_t u16() { std::uint16_t v = std::uint16_t(b[pos] | (b[pos + 1] << 8)); pos += 2; return v; }
  std::uint32_t u32() {
    std::uint32_t v = std::uint32_t(b[pos]) | (std::uint32_t(b[pos + 1]) << 8) | (std::uint32_t(b[pos + 2]) << 16) |
                      (std::uint32_t(b[pos + 3]) << 24);
    pos += 4;
    return v;
  }
};

/// `s` as UTF-8: unchanged when it is UTF-8 already, else decoded from GB18030 (GB2312 and GBK, what Chinese carts
/// write without saying so) when every byte decodes, else with each invalid byte replaced by U+FFFD.
std::string utf8_text(std::string_view s);
/// Every text field of a waveform (lead labels, device, its measurements and statements, patient) made UTF-8 with
/// utf8_text: the readers' entry points call it on what they return.
void make_text_utf8(Waveform& w);

/// True when the bytes carry a Contec ECG90A .ECG header (its acquisition time at byte 10); contec_reader.cpp.
bool looks_like_contec(std::span<const std::uint8_t> bytes);

}  // namespace teledx::ecg::detail
