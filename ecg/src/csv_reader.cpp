// CSV waveforms: one column per lead, optional time or sample-number column, µV or mV. Besides our own form
// ("# sample_rate=500" and "I,II (mV),V1"), what research tools and spreadsheets write: PhysioNet's rdsamp -c -v
// ('Elapsed time','MLII','V5' over a units row 'hh:mm:ss.mmm','mV','mV'), unit suffixes such as I_mV, I/uV or
// I [µV], quoted fields, and ';' files whose decimals are written with a comma.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "parse_util.hpp"
#include "teledx/ecg/readers.hpp"

namespace teledx::ecg {
using namespace detail;

namespace {

std::string_view unquote(std::string_view s) {
  s = trim(s);
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front()) s = trim(s.substr(1, s.size() - 2));
  return s;
}

/// Microvolts per unit of a voltage unit's name (mV, uV, µV, μV, V); 0 when `u` is none of them.
double volts_unit_to_uv(std::string_view u) {
  u = unquote(u);
  if (u.size() >= 2 && u.front() == '(' && u.back() == ')') u = trim(u.substr(1, u.size() - 2));
  if (u.size() >= 2 && u.front() == '[' && u.back() == ']') u = trim(u.substr(1, u.size() - 2));
  if (u == "mV" || u == "mv" || u == "MV") return 1000;
  if (u == "uV" || u == "uv" || u == "UV" || u == "\xC2\xB5V" || u == "\xCE\xBCV") return 1;  // micro sign, Greek mu
  if (u == "V") return 1e6;
  return 0;
}

/// A lead column's name split from a unit written after it: "II (mV)", "II[uV]", "II_mV", "II mV", "II/µV".
struct LeadColumn {
  std::string_view name;
  double uv_per_unit = 0;  ///< 0: the name carries no unit
};

LeadColumn split_unit(std::string_view n) {
  for (std::size_t p = n.size(); p-- > 0;) {
    const char c = n[p];
    if (c != '(' && c != '[' && c != '_' && c != ' ' && c != '/') continue;
    if (const double s = volts_unit_to_uv(c == '(' || c == '[' ? n.substr(p) : n.substr(p + 1)); s > 0)
      return {trim(n.substr(0, p)), s};
  }
  return {n, 0};
}

enum class FirstColumn { Lead, Seconds, Milliseconds, SampleNumber };

/// The first column's role from its header: a time (in s or ms) or a sample number, else a lead.
FirstColumn first_column_role(std::string_view header) {
  const std::string n = lower_ascii(unquote(header));
  for (const char* t : {"t", "time", "elapsed time", "time_s", "t_s", "time (s)", "time(s)", "time [s]", "time[s]",
                        "seconds", "sec", "s", "时间", "时间(s)", "时间/s"})
    if (n == t) return FirstColumn::Seconds;
  for (const char* t : {"time_ms", "t_ms", "time (ms)", "time(ms)", "time [ms]", "time[ms]", "ms", "时间(ms)"})
    if (n == t) return FirstColumn::Milliseconds;
  for (const char* t : {"sample", "sample #", "sample#", "sample number", "samples", "index", "idx", "n", "#", "序号"})
    if (n == t) return FirstColumn::SampleNumber;
  return FirstColumn::Lead;
}

/// Largest sample (as written, without a unit) of a CSV file taken for millivolts: in µV no lead would move by the
/// 40 µV below which it is flat, in mV an ECG's R waves are 0.3-3.
constexpr double kMillivoltLikeLargest = 20;

/// A number as a person writes it: "1.25", "3" (up to three decimals).
std::string short_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  std::string s = buf;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

/// A sample value; in a ';' file a decimal comma is read as a point.
std::optional<double> sample_value(std::string_view s, bool decimal_comma) {
  s = unquote(s);
  if (!decimal_comma || s.find(',') == std::string_view::npos) return to_double(s);
  std::string dotted(s);
  for (char& c : dotted)
    if (c == ',') c = '.';
  return to_double(dotted);
}

/// A time as rdsamp -p prints it: seconds ("12.345", "-0.5"), or [h:]m:s.mmm ("0:00.004", "1:02:03.500").
std::optional<double> time_in_seconds(std::string_view s, bool decimal_comma) {
  s = unquote(s);
  if (s.find(':') == std::string_view::npos) return sample_value(s, decimal_comma);
  double t = 0;
  std::size_t parts = 0;
  for (auto f : split(s, ":", false)) {
    auto v = sample_value(f, decimal_comma);
    if (!v || *v < 0 || ++parts > 3) return std::nullopt;
    t = t * 60 + *v;
  }
  return t;
}

}  // namespace

Result<Waveform> read_csv(std::string_view text, double sample_rate_hz) {
  if (text.size() >= 3 && static_cast<unsigned char>(text[0]) == 0xEF) text.remove_prefix(3);  // UTF-8 BOM
  double fs = sample_rate_hz;
  double scale = 1;  // to µV
  bool unit_given = false;
  std::vector<std::string_view> lines = split(text, "\n");
  std::size_t li = 0;
  for (; li < lines.size(); ++li) {
    std::string_view l = trim(lines[li]);
    if (l.empty()) continue;
    if (l.front() != '#') break;
    l.remove_prefix(1);
    for (auto kv : split(l, " ,;\t")) {
      auto eq = kv.find('=');
      if (eq == std::string_view::npos) continue;
      std::string_view k = trim(kv.substr(0, eq)), v = trim(kv.substr(eq + 1));
      if ((k == "sample_rate" || k == "fs" || k == "sampling_rate") && fs == 0) {
        auto d = to_double(v);
        if (!d) return bad("CSV: invalid sample_rate '" + std::string(v) + "'");
        fs = *d;
      } else if (k == "units" || k == "unit") {
        scale = volts_unit_to_uv(v);
        if (scale == 0) return bad("CSV: unit '" + std::string(v) + "' is not mV or uV");
        unit_given = true;
      }
    }
  }
  if (li >= lines.size()) return bad("CSV: no header row with lead names");
  std::string_view header = trim(lines[li++]);
  const char* seps = header.find(';') != std::string_view::npos ? ";" : (header.find('\t') != std::string_view::npos ? "\t" : ",");
  const bool decimal_comma = *seps == ';';
  auto names = split(header, seps, false);
  const FirstColumn first = first_column_role(names.front());
  const bool index_col = first != FirstColumn::Lead;
  Waveform w;
  w.source_format = "csv";
  std::vector<double> col_scale;
  for (std::size_t c = index_col ? 1 : 0; c < names.size(); ++c) {
    const std::string_view n = unquote(names[c]);
    const LeadColumn col = split_unit(n);
    auto lead = parse_lead_name(col.name);
    if (!lead)
      return bad("CSV column " + std::to_string(c + 1) + ": unknown lead '" + std::string(n) + "' (accepted: " +
                 accepted_lead_names() + ")");
    if (w.find(*lead)) return bad("CSV: lead " + std::string(lead_name(*lead)) + " appears twice");
    w.leads.push_back(LeadSignal{*lead, {}, std::string(lead_name(*lead))});
    col_scale.push_back(col.uv_per_unit > 0 ? col.uv_per_unit : scale);
    unit_given = unit_given || col.uv_per_unit > 0;
  }
  if (w.leads.empty()) return bad("CSV: the header names no leads");
  // rdsamp -v writes each column's unit in the row under the names: 'hh:mm:ss.mmm','mV','mV'.
  FirstColumn time_unit = first;
  while (li < lines.size() && trim(lines[li]).empty()) ++li;
  if (li < lines.size()) {
    auto f = split(trim(lines[li]), seps, false);
    bool units_row = f.size() == names.size();
    for (std::size_t c = index_col ? 1 : 0; units_row && c < f.size(); ++c)
      units_row = !sample_value(f[c], decimal_comma).has_value();
    if (units_row) {
      for (std::size_t c = index_col ? 1 : 0, lead = 0; c < f.size(); ++c, ++lead) {
        const double s = volts_unit_to_uv(f[c]);
        if (s == 0)
          return bad("CSV line " + std::to_string(li + 1) + ", column " + std::to_string(c + 1) + ": unit '" +
                     std::string(unquote(f[c])) + "' is not mV or uV (export the samples in physical units)");
        col_scale[lead] = s;
      }
      unit_given = true;
      if (const std::string unit = lower_ascii(unquote(f[0])); index_col) {
        if (unit == "ms" || unit == "msec") time_unit = FirstColumn::Milliseconds;
        if (unit == "#" || unit == "sample") time_unit = FirstColumn::SampleNumber;
      }
      ++li;
    }
  }
  std::vector<double> times;
  double largest = 0;      // the largest sample as written
  bool fractions = false;  // a sample written with a fraction
  for (; li < lines.size(); ++li) {
    std::string_view l = trim(lines[li]);
    if (l.empty() || l.front() == '#') continue;
    auto f = split(l, seps, false);
    if (f.size() != names.size())
      return bad("CSV line " + std::to_string(li + 1) + " has " + std::to_string(f.size()) + " fields, the header has " +
                 std::to_string(names.size()));
    std::size_t lead = 0;
    for (std::size_t c = 0; c < f.size(); ++c) {
      auto v = c == 0 && index_col ? time_in_seconds(f[c], decimal_comma) : sample_value(f[c], decimal_comma);
      if (!v || !std::isfinite(*v))
        return bad("CSV line " + std::to_string(li + 1) + ", column " + std::to_string(c + 1) + ": '" +
                   std::string(trim(f[c])) + "' is not a number");
      if (c == 0 && index_col) { times.push_back(*v); continue; }
      largest = std::max(largest, std::abs(*v));
      fractions = fractions || *v != std::floor(*v);
      w.leads[lead].uv.push_back(float(*v * col_scale[lead]));
      ++lead;
    }
    if (w.leads.front().uv.size() > kMaxSamplesPerLead) return bad("CSV: too many samples");
  }
  if (w.leads.front().uv.size() < 2) return bad("CSV: no samples after the header row");
  // Without a unit the samples are µV. Samples of a few units with fractions are millivolts (an R wave of 1.2): read
  // as µV every lead was flat, and the technician was told to check the electrodes. In µV such a file would be
  // flat throughout (no lead moves by 40 µV), so nothing readable is refused.
  if (!unit_given && fractions && largest <= kMillivoltLikeLargest)
    return bad("CSV: no unit is given, and the samples (at most " + short_number(largest) +
               ") look like millivolts, not the microvolts assumed: add '# units=mV' as the first line, or write the "
               "unit after each lead's name, e.g. 'II (mV)'");
  if (fs == 0 && times.size() >= 2 && time_unit != FirstColumn::SampleNumber) {
    double dt = (times.back() - times.front()) / double(times.size() - 1);
    if (time_unit == FirstColumn::Milliseconds) dt /= 1000;
    else if (dt > 0.5) dt /= 1000;  // a column named "time" in milliseconds
    if (dt > 0) fs = 1.0 / dt;
    // Times printed to the millisecond (rdsamp's 360 Hz gives 0.003, 0.006, 0.008, ...) leave the mean interval a
    // rounding off: 360.008 Hz over 10 s. A rate that close to a whole number is that number.
    if (const double whole = std::round(fs); std::abs(fs - whole) < 1e-4 * fs) fs = whole;
  }
  if (fs == 0)
    return bad(std::string("CSV: the sampling rate is unknown: add '# sample_rate=500' as the first line") +
               (time_unit == FirstColumn::SampleNumber ? " (the first column numbers the samples, it gives no time)"
                                                       : " or a time column"));
  if (auto e = check_rate(fs, "the CSV file")) return *e;
  if (auto e = check_samples(w, "the CSV file")) return *e;
  w.sample_rate_hz = fs;
  return w;
}

}  // namespace teledx::ecg
