// HL7 v3 annotated ECG (FDA aECG): rhythm series, representative beat (derived series), filters, global annotations.
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "parse_util.hpp"
#include "teledx/ecg/readers.hpp"
#include "xml_doc.hpp"

namespace teledx::ecg {
using namespace detail;
namespace {

double volt_unit(const std::string& u) {
  if (u == "uV" || u == "µV" || u.empty()) return 1;
  if (u == "mV") return 1000;
  if (u == "V") return 1e6;
  if (u == "nV") return 1e-3;
  return 0;
}

std::string iso_ts(std::string v) {
  if (v.size() < 8) return {};
  v.resize(std::max<std::size_t>(v.size(), 14), '0');
  return v.substr(0, 4) + "-" + v.substr(4, 2) + "-" + v.substr(6, 2) + "T" + v.substr(8, 2) + ":" + v.substr(10, 2) + ":" +
         v.substr(12, 2);
}

/// Reads one <sequenceSet>: the time sequence gives the rate, each lead sequence origin + scale x digits.
Result<LeadSet> read_sequence_set(XmlNode* set, const std::string& where) {
  LeadSet out;
  for (XmlNode* comp : children(set, "component")) {
    XmlNode* seq = child(comp, "sequence");
    if (!seq) continue;
    const std::string code = attr(child(seq, "code"), "code");
    XmlNode* value = child(seq, "value");
    if (code.rfind("TIME_", 0) == 0) {
      XmlNode* inc = child(value, "increment");
      auto v = to_double(attr(inc, "value"));
      std::string unit = attr(inc, "unit");
      if (!v || *v <= 0) return bad(where + ": the time sequence has no valid increment");
      double sec = unit == "ms" ? *v / 1000 : (unit == "us" ? *v / 1e6 : *v);
      out.sample_rate_hz = 1.0 / sec;
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
      return bad(where + ", lead " + std::string(lead_name(*lead)) + ": missing or non-voltage scale");
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
    out.leads.push_back(std::move(s));
  }
  if (out.leads.empty()) return bad(where + " holds no lead sequences");
  if (out.sample_rate_hz == 0) return bad(where + " has no time sequence (sampling rate unknown)");
  if (auto e = check_rate(out.sample_rate_hz, where)) return *e;
  std::size_t n = out.leads.front().uv.size();
  for (const auto& l : out.leads) n = std::min(n, l.uv.size());
  for (auto& l : out.leads) l.uv.resize(n);  // devices may write a few extra digits in one lead
  if (auto e = check_distinct_leads(out, where)) return *e;
  if (auto e = check_finite(out, where)) return *e;
  derive_limb_leads(out);
  sort_leads(out);
  if (auto e = check_finite(out, where)) return *e;
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
  bool have_rhythm = false;
  int series_no = 0;
  for (XmlNode* comp : children(root, "component")) {
    XmlNode* series = child(comp, "series");
    if (!series) continue;
    ++series_no;
    if (have_rhythm) break;
    XmlNode* set = path(series, {"component", "sequenceSet"});
    if (!set) return bad("aECG series " + std::to_string(series_no) + " has no sequenceSet");
    auto rs = read_sequence_set(set, "aECG rhythm series");
    if (!rs) return rs.error();
    static_cast<LeadSet&>(w) = std::move(*rs);
    have_rhythm = true;
    read_filters(series, w.filters);
    if (XmlNode* d = path(series, {"derivation", "derivedSeries", "component", "sequenceSet"})) {
      auto med = read_sequence_set(d, "aECG representative beat");
      if (med) w.device_median = std::move(*med);
    }
    if (XmlNode* dev = path(series, {"author", "seriesAuthor", "manufacturedSeriesDevice"})) {
      w.device = child_text(dev, "manufacturerModelName");
    }
  }
  if (!have_rhythm) return bad("the aECG file holds no waveform series");
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
