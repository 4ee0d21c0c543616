// HL7 v3 annotated ECG (FDA aECG): rhythm series, representative beat (derived series), filters, global annotations.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "parse_util.hpp"
#include "teledx/ecg/readers.hpp"
#include "xml_doc.hpp"

namespace teledx::ecg {
using namespace detail;
namespace {

/// Microvolts per unit of an aECG physical quantity; 0 when the unit is not a voltage. Vendors write the micro sign
/// as U+00B5 or as the Greek mu U+03BC, and some spell the unit out.
double volt_unit(const std::string& unit) {
  const std::string u = lower_ascii(trim(unit));
  if (u.empty() || u == "uv" || u == "\xC2\xB5v" || u == "\xCE\xBCv" || u == "microvolt" || u == "microvolts") return 1;
  if (u == "mv" || u == "millivolt" || u == "millivolts") return 1000;
  if (u == "v" || u == "volt" || u == "volts") return 1e6;
  if (u == "nv") return 1e-3;
  return 0;
}

/// Seconds per unit of a time quantity; 0 when the unit is not a time.
double seconds_per(const std::string& unit) {
  const std::string u = lower_ascii(trim(unit));
  if (u.empty() || u == "s" || u == "sec" || u == "second" || u == "seconds") return 1;
  if (u == "ms" || u == "msec") return 1e-3;
  if (u == "us" || u == "\xC2\xB5s" || u == "\xCE\xBCs") return 1e-6;
  return 0;
}

std::string iso_ts(std::string v) {
  if (v.size() < 8) return {};
  v.resize(std::max<std::size_t>(v.size(), 14), '0');
  return v.substr(0, 4) + "-" + v.substr(4, 2) + "-" + v.substr(6, 2) + "T" + v.substr(8, 2) + ":" + v.substr(10, 2) + ":" +
         v.substr(12, 2);
}

/// An HL7 TS "YYYYMMDDhhmmss[.fff]" as seconds since 1970 (the zone is ignored: only differences are used).
std::optional<double> ts_seconds(const std::string& v) {
  if (v.size() < 8) return std::nullopt;
  auto field = [&](std::size_t at, std::size_t n) -> std::optional<long long> {
    if (v.size() < at + n) return 0;
    return to_int(std::string_view(v).substr(at, n));
  };
  auto y = field(0, 4), mo = field(4, 2), d = field(6, 2), h = field(8, 2), mi = field(10, 2), sec = field(12, 2);
  if (!y || !mo || !d || !h || !mi || !sec || *mo < 1 || *mo > 12) return std::nullopt;
  // Days from civil (Howard Hinnant's algorithm).
  const long long yy = *y - (*mo <= 2);
  const long long era = (yy >= 0 ? yy : yy - 399) / 400;
  const long long yoe = yy - era * 400;
  const long long doy = (153 * (*mo + (*mo > 2 ? -3 : 9)) + 2) / 5 + *d - 1;
  const long long days = era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
  double out = double(days) * 86400 + double(*h * 3600 + *mi * 60 + *sec);
  if (v.size() > 14 && v[14] == '.') {
    std::size_t e = 15;
    while (e < v.size() && v[e] >= '0' && v[e] <= '9') ++e;
    if (auto frac = to_double("0." + v.substr(15, e - 15))) out += *frac;
  }
  return out;
}

/// One <sequenceSet> as written: its leads, its rate and, when the time sequence gives one, the time of its first
/// sample (seconds; absolute or relative, comparable between the sets of one series).
struct SequenceSet {
  LeadSet set;
  std::optional<double> head_s;
};

/// Reads one <sequenceSet>: the time sequence gives the rate, each lead sequence origin + scale x digits.
Result<SequenceSet> read_sequence_set(XmlNode* node, const std::string& where) {
  SequenceSet out;
  LeadSet& set = out.set;
  for (XmlNode* comp : children(node, "component")) {
    XmlNode* seq = child(comp, "sequence");
    if (!seq) continue;
    const std::string code = attr(child(seq, "code"), "code");
    XmlNode* value = child(seq, "value");
    if (code.rfind("TIME_", 0) == 0) {
      XmlNode* inc = child(value, "increment");
      auto v = to_double(attr(inc, "value"));
      if (!v || *v <= 0) return bad(where + ": the time sequence has no valid increment");
      const double per = seconds_per(attr(inc, "unit"));
      if (per == 0) return bad(where + ": the time increment's unit '" + attr(inc, "unit") + "' is not a unit of time");
      set.sample_rate_hz = 1.0 / (*v * per);
      XmlNode* head = child(value, "head");
      const std::string hv = attr(head, "value");
      if (code == "TIME_ABSOLUTE") {
        out.head_s = ts_seconds(hv);
      } else if (auto rel = to_double(hv); rel && seconds_per(attr(head, "unit")) > 0) {
        out.head_s = *rel * seconds_per(attr(head, "unit"));
      }
      continue;
    }
    if (code.rfind("MDC_ECG_LEAD_", 0) != 0 && code.rfind("LEAD", 0) != 0) continue;
    auto lead = parse_lead_name(code);
    if (!lead) return bad(where + ": unknown lead code '" + code + "' (accepted: " + accepted_lead_names() + ")");
    XmlNode* origin = child(value, "origin");
    XmlNode* scale = child(value, "scale");
    double o = to_double(attr(origin, "value")).value_or(0) * volt_unit(attr(origin, "unit"));
    auto sv = to_double(attr(scale, "value"));
    double su = volt_unit(attr(scale, "unit"));
    if (!sv || *sv == 0 || su == 0)
      return bad(where + ", lead " + std::string(lead_name(*lead)) + ": missing or non-voltage scale ('" + attr(scale, "unit") + "')");
    const std::string digits = text(child(value, "digits"));
    LeadSignal s{*lead, {}, std::string(lead_name(*lead))};
    s.uv.reserve(digits.size() / 3);
    const char* p = digits.c_str();
    while (*p) {
      while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') ++p;
      if (!*p) break;
      char* end = nullptr;
      double d = std::strtod(p, &end);
      if (end == p || !std::isfinite(d))
        return bad(where + ", lead " + std::string(lead_name(*lead)) + ": '" + std::string(p, std::min<std::size_t>(12, std::strlen(p))) +
                   "' in <digits> is not a number");
      s.uv.push_back(float(o + d * *sv * su));
      p = end;
      if (s.uv.size() > kMaxSamplesPerLead) return bad(where + " is too long");
    }
    if (s.uv.empty()) return bad(where + ", lead " + std::string(lead_name(*lead)) + " has no samples");
    set.leads.push_back(std::move(s));
  }
  if (set.leads.empty()) return bad(where + " holds no lead sequences");
  if (set.sample_rate_hz == 0) return bad(where + " has no time sequence (sampling rate unknown)");
  if (auto e = check_rate(set.sample_rate_hz, where)) return *e;
  std::size_t n = set.leads.front().uv.size();
  for (const auto& l : set.leads) n = std::min(n, l.uv.size());
  for (auto& l : set.leads) l.uv.resize(n);  // devices may write a few extra digits in one lead
  if (auto e = check_distinct_leads(set, where)) return *e;
  if (auto e = check_samples(set, where)) return *e;
  return out;
}

/// The set to keep of two recorded at different times: more leads, then more samples.
bool keeps_more(const LeadSet& b, const LeadSet& a) {
  return b.leads.size() != a.leads.size() ? b.leads.size() > a.leads.size() : b.sample_count() > a.sample_count();
}

bool same_leads(const LeadSet& a, const LeadSet& b) {
  if (a.leads.size() != b.leads.size()) return false;
  for (const auto& l : a.leads)
    if (!b.find(l.lead)) return false;
  return true;
}

/// Folds the sequence sets of one series into one set of simultaneous leads. The guide lets a device split a series:
/// leads recorded together but written in several sets (the same start, e.g. limb and chest leads apart) are joined
/// lead by lead; one recording cut into consecutive pieces (the same leads, each set starting where the last ended)
/// is joined end to end. Sets recorded at other times (a 3x4 print's lead groups, one after the other) cannot form
/// simultaneous leads: the set with the most leads is kept, of those the longest (a 12-lead ECG, not the long single-lead
/// strip a device may add).
void fold_set(SequenceSet& into, SequenceSet&& next) {
  LeadSet& a = into.set;
  LeadSet& b = next.set;
  const double fs = a.sample_rate_hz;
  if (std::abs(b.sample_rate_hz - fs) > 1e-3 * fs) {
    if (keeps_more(b, a)) into = std::move(next);
    return;
  }
  const double tolerance_s = 1.5 / fs;
  const bool both_timed = into.head_s && next.head_s;
  const bool together = both_timed ? std::abs(*into.head_s - *next.head_s) < tolerance_s
                                   : a.sample_count() == b.sample_count();
  if (together) {
    const std::size_t n = std::min(a.sample_count(), b.sample_count());
    for (auto& l : b.leads)
      if (!a.find(l.lead)) a.leads.push_back(std::move(l));
    for (auto& l : a.leads) l.uv.resize(n);
    return;
  }
  const bool follows = both_timed && same_leads(a, b) &&
                       std::abs(*into.head_s + double(a.sample_count()) / fs - *next.head_s) < tolerance_s;
  if (follows && a.sample_count() + b.sample_count() <= kMaxSamplesPerLead) {
    for (auto& l : a.leads) {
      const auto& more = b.find(l.lead)->uv;
      l.uv.insert(l.uv.end(), more.begin(), more.end());
    }
    return;
  }
  if (keeps_more(b, a)) into = std::move(next);
}

/// Every <sequenceSet> of the series, folded into one set; limb leads derived and the leads in standard order. Some
/// devices write each lead as a rhythm series of its own: those are folded like the sets of one series.
Result<LeadSet> read_series_waveform(const std::vector<XmlNode*>& series_list, const std::string& where) {
  std::optional<SequenceSet> folded;
  int n = 0;
  for (XmlNode* series : series_list)
    for (XmlNode* comp : children(series, "component")) {
      XmlNode* node = child(comp, "sequenceSet");
      if (!node) continue;
      ++n;
      auto s = read_sequence_set(node, n == 1 ? where : where + " (sequence set " + std::to_string(n) + ")");
      if (!s) return s.error();
      if (!folded) folded = std::move(*s);
      else fold_set(*folded, std::move(*s));
    }
  if (!folded) return bad(where + " has no sequenceSet");
  LeadSet out = std::move(folded->set);
  derive_limb_leads(out);
  sort_leads(out);
  if (auto e = check_samples(out, where)) return *e;
  return out;
}

void read_filters(XmlNode* series, DeviceFilters& f) {
  std::vector<XmlNode*> cvs;
  descendants(series, "controlVariable", cvs);
  for (XmlNode* cv : cvs) {
    const std::string code = attr(child(cv, "code"), "code");
    std::vector<XmlNode*> inner;
    descendants(cv, "controlVariable", inner);
    for (XmlNode* in : inner) {
      const std::string ic = attr(child(in, "code"), "code");
      auto v = to_double(attr(child(in, "value"), "value"));
      if (!v) continue;
      if (code == "MDC_ECG_CTL_VBL_ATTR_FILTER_LOW_PASS" && ic == "MDC_ECG_CTL_VBL_ATTR_FILTER_CUTOFF_FREQ") f.lowpass_hz = v;
      if (code == "MDC_ECG_CTL_VBL_ATTR_FILTER_HIGH_PASS" && ic == "MDC_ECG_CTL_VBL_ATTR_FILTER_CUTOFF_FREQ") f.highpass_hz = v;
      if (code == "MDC_ECG_CTL_VBL_ATTR_FILTER_NOTCH" && ic == "MDC_ECG_CTL_VBL_ATTR_FILTER_NOTCH_FREQ") f.notch_hz = v;
    }
  }
}

}  // namespace

Result<Waveform> read_hl7_aecg(std::span<const std::uint8_t> bytes) {
  auto doc = XmlDoc::parse(bytes, "the HL7 aECG file");
  if (!doc) return doc.error();
  XmlNode* root = (*doc)->root();
  if (name(root) != "AnnotatedECG") return bad("the XML root is <" + name(root) + ">, not an HL7 aECG <AnnotatedECG>");
  Waveform w;
  w.source_format = "hl7-aecg";
  XmlNode* et = child(root, "effectiveTime");
  std::string ts = attr(child(et, "center"), "value");
  if (ts.empty()) ts = attr(child(et, "low"), "value");
  w.acquisition_time = iso_ts(ts);
  // The subject: componentOf/timepointEvent/componentOf/subjectAssignment/subject/trialSubject.
  std::vector<XmlNode*> subjects;
  descendants(root, "trialSubject", subjects);
  if (!subjects.empty()) {
    w.patient.id = attr(child(subjects.front(), "id"), "extension");
    if (XmlNode* person = child(subjects.front(), "subjectDemographicPerson")) {
      w.patient.name = std::string(trim(child_text(person, "name")));
      const std::string sex = attr(child(person, "administrativeGenderCode"), "code");
      w.patient.sex = sex == "M" || sex == "F" ? sex : sex.empty() ? "" : "O";
      const std::string dob = attr(child(person, "birthTime"), "value");
      if (dob.size() >= 8) w.patient.birth_date = dob.substr(0, 8);
    }
  }
  // The rhythm: the series coded RHYTHM, else those not coded as a representative beat. Devices may write the
  // representative beat as a series of its own (before the rhythm, too) instead of a derivedSeries.
  std::vector<XmlNode*> coded, uncoded;
  XmlNode* beat = nullptr;
  for (XmlNode* comp : children(root, "component")) {
    XmlNode* series = child(comp, "series");
    if (!series) continue;
    const std::string code = attr(child(series, "code"), "code");
    if (code == "REPRESENTATIVE_BEAT") {
      if (!beat) beat = series;
    } else {
      (code == "RHYTHM" ? coded : uncoded).push_back(series);
    }
  }
  const std::vector<XmlNode*>& rhythm = coded.empty() ? uncoded : coded;
  if (rhythm.empty() && beat)
    return bad("the aECG file holds only a representative (median) beat and no rhythm recording: export the ECG with "
               "its rhythm waveforms");
  if (rhythm.empty()) return bad("the aECG file holds no waveform series");
  auto rs = read_series_waveform(rhythm, "aECG rhythm series");
  if (!rs) return rs.error();
  static_cast<LeadSet&>(w) = std::move(*rs);
  read_filters(rhythm.front(), w.filters);
  XmlNode* derived = nullptr;
  for (XmlNode* series : rhythm)
    if (!derived) derived = path(series, {"derivation", "derivedSeries"});
  if (XmlNode* median_series = derived ? derived : beat) {
    auto med = read_series_waveform({median_series}, "aECG representative beat");
    if (med) w.device_median = std::move(*med);
  }
  if (XmlNode* dev = path(rhythm.front(), {"author", "seriesAuthor", "manufacturedSeriesDevice"})) {
    w.device = child_text(dev, "manufacturerModelName");
  }
  // Global interval annotations (first occurrence of each code).
  std::vector<XmlNode*> ann;
  descendants(root, "annotation", ann);
  for (XmlNode* a : ann) {
    const std::string code = attr(child(a, "code"), "code");
    XmlNode* v = child(a, "value");
    auto val = to_double(attr(v, "value"));
    if (code.rfind("MDC_ECG_", 0) != 0 || !val) continue;
    bool seen = false;
    for (const auto& m : w.device_measurements) seen = seen || m.name == code;
    if (!seen) w.device_measurements.push_back({code, *val, attr(v, "unit")});
    if (code == "MDC_ECG_INTERPRETATION_STATEMENT") w.device_statements.push_back(text(v));
  }
  return w;
}

}  // namespace teledx::ecg
