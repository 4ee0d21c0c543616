// CSV waveforms: one column per lead, optional time column, µV or mV.
#include <cmath>

#include "parse_util.hpp"
#include "teledx/ecg/readers.hpp"

namespace teledx::ecg {
using namespace detail;

Result<Waveform> read_csv(std::string_view text, double sample_rate_hz) {
  if (text.size() >= 3 && static_cast<unsigned char>(text[0]) == 0xEF) text.remove_prefix(3);  // UTF-8 BOM
  double fs = sample_rate_hz;
  double scale = 1;  // to µV
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
        if (v == "mV") scale = 1000;
        else if (v == "uV" || v == "µV") scale = 1;
        else return bad("CSV: unit '" + std::string(v) + "' is not mV or uV");
      }
    }
  }
  if (li >= lines.size()) return bad("CSV: no header row with lead names");
  std::string_view header = trim(lines[li++]);
  const char* seps = header.find(';') != std::string_view::npos ? ";" : (header.find('\t') != std::string_view::npos ? "\t" : ",");
  auto names = split(header, seps, false);
  bool time_col = false;
  Waveform w;
  w.source_format = "csv";
  std::vector<double> col_scale;
  for (std::size_t c = 0; c < names.size(); ++c) {
    std::string_view n = trim(names[c]);
    if (n.size() >= 2 && n.front() == '"' && n.back() == '"') n = n.substr(1, n.size() - 2);
    if (c == 0 && (n == "t" || n == "time" || n == "Time" || n == "time_s" || n == "t_s")) {
      time_col = true;
      continue;
    }
    double s = scale;
    if (n.find("(mV)") != std::string_view::npos || n.find("[mV]") != std::string_view::npos) s = 1000;
    if (n.find("(uV)") != std::string_view::npos || n.find("[uV]") != std::string_view::npos) s = 1;
    auto lead = parse_lead_name(n.substr(0, n.find('[')));
    if (!lead)
      return bad("CSV column " + std::to_string(c + 1) + ": unknown lead '" + std::string(n) + "' (accepted: " +
                 accepted_lead_names() + ")");
    if (w.find(*lead)) return bad("CSV: lead " + std::string(lead_name(*lead)) + " appears twice");
    w.leads.push_back(LeadSignal{*lead, {}, std::string(lead_name(*lead))});
    col_scale.push_back(s);
  }
  if (w.leads.empty()) return bad("CSV: the header names no leads");
  std::vector<double> times;
  for (; li < lines.size(); ++li) {
    std::string_view l = trim(lines[li]);
    if (l.empty() || l.front() == '#') continue;
    auto f = split(l, seps, false);
    if (f.size() != names.size())
      return bad("CSV line " + std::to_string(li + 1) + " has " + std::to_string(f.size()) + " fields, the header has " +
                 std::to_string(names.size()));
    std::size_t lead = 0;
    for (std::size_t c = 0; c < f.size(); ++c) {
      auto v = to_double(f[c]);
      if (!v || !std::isfinite(*v))
        return bad("CSV line " + std::to_string(li + 1) + ", column " + std::to_string(c + 1) + ": '" +
                   std::string(trim(f[c])) + "' is not a number");
      if (c == 0 && time_col) { times.push_back(*v); continue; }
      w.leads[lead].uv.push_back(float(*v * col_scale[lead]));
      ++lead;
    }
    if (w.leads.front().uv.size() > kMaxSamplesPerLead) return bad("CSV: too many samples");
  }
  if (w.leads.front().uv.size() < 2) return bad("CSV: no samples after the header row");
  if (fs == 0 && times.size() >= 2) {
    double dt = (times.back() - times.front()) / double(times.size() - 1);
    if (dt > 0) fs = 1.0 / dt;
    if (dt > 0.5) fs = 1000.0 / dt;  // time column in milliseconds
  }
  if (fs == 0) return bad("CSV: the sampling rate is unknown: add '# sample_rate=500' or a time column");
  if (auto e = check_rate(fs, "the CSV file")) return *e;
  if (auto e = check_finite(w, "the CSV file")) return *e;
  w.sample_rate_hz = fs;
  return w;
}

}  // namespace teledx::ecg
