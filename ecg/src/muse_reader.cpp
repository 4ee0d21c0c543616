// GE MUSE RestingECG XML: base64 int16 lead data (8 stored leads, limb leads derived), measurements, statements.
#include <cmath>

#include "parse_util.hpp"
#include "teledx/ecg/readers.hpp"
#include "xml_doc.hpp"

namespace teledx::ecg {
using namespace detail;
namespace {

std::optional<std::vector<std::uint8_t>> base64(std::string_view s) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::vector<std::uint8_t> out;
  unsigned acc = 0;
  int bits = 0;
  for (char c : s) {
    if (c == '=' ) break;
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    int v = val(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | unsigned(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(std::uint8_t((acc >> bits) & 0xFF));
    }
  }
  return out;
}

Result<LeadSet> read_waveform(XmlNode* wf, const std::string& where) {
  LeadSet set;
  auto fs = to_double(child_text(wf, "SampleBase"));
  if (!fs) return bad(where + " has no SampleBase");
  set.sample_rate_hz = *fs;
  if (auto e = check_rate(*fs, where)) return *e;
  for (XmlNode* ld : children(wf, "LeadData")) {
    const std::string id = child_text(ld, "LeadID");
    auto lead = parse_lead_name(id);
    if (!lead) return bad(where + ": unknown lead '" + id + "'");
    double per_bit = to_double(child_text(ld, "LeadAmplitudeUnitsPerBit")).value_or(1);
    std::string units = child_text(ld, "LeadAmplitudeUnits");
    double to_uv = units == "MILLIVOLTS" ? 1000 : 1;
    auto data = base64(child_text(ld, "WaveFormData"));
    if (!data) return bad(where + ", lead " + id + ": WaveFormData is not valid base64");
    auto count = to_int(child_text(ld, "LeadSampleCountTotal"));
    std::size_t n = data->size() / 2;
    if (count && *count < 0) return bad(where + ", lead " + id + " announces a negative sample count " + std::to_string(*count));
    if (count && std::size_t(*count) > n)
      return bad(where + ", lead " + id + " is truncated: " + std::to_string(n) + " samples, " + std::to_string(*count) + " announced");
    if (count) n = std::size_t(*count);
    LeadSignal s{*lead, std::vector<float>(n), std::string(lead_name(*lead))};
    for (std::size_t k = 0; k < n; ++k)
      s.uv[k] = float(std::int16_t((*data)[2 * k] | ((*data)[2 * k + 1] << 8)) * per_bit * to_uv);
    set.leads.push_back(std::move(s));
  }
  if (set.leads.empty()) return bad(where + " holds no lead data");
  std::size_t n = set.leads.front().uv.size();
  for (const auto& l : set.leads)
    if (l.uv.size() != n) return bad(where + ": leads have different lengths");
  if (n == 0) return bad(where + " holds no samples");
  if (auto e = check_samples(set, where)) return *e;
  if (auto e = check_distinct_leads(set, where)) return *e;
  derive_limb_leads(set);
  sort_leads(set);
  if (auto e = check_samples(set, where)) return *e;
  return set;
}

}  // namespace

Result<Waveform> read_muse_xml(std::span<const std::uint8_t> bytes) {
  auto doc = XmlDoc::parse(bytes, "the GE MUSE XML file");
  if (!doc) return doc.error();
  XmlNode* root = (*doc)->root();
  if (name(root) != "RestingECG") return bad("the XML root is <" + name(root) + ">, not a GE MUSE <RestingECG>");
  Waveform w;
  w.source_format = "ge-muse-xml";
  bool have = false;
  for (XmlNode* wf : children(root, "Waveform")) {
    const std::string type = child_text(wf, "WaveformType");
    auto set = read_waveform(wf, "MUSE " + type + " waveform");
    if (!set) return set.error();
    if (type == "Median") {
      w.device_median = std::move(*set);
    } else if (!have) {
      static_cast<LeadSet&>(w) = std::move(*set);
      have = true;
      if (auto hp = to_double(child_text(wf, "HighPassFilter"))) w.filters.highpass_hz = *hp / 100.0;  // in 0.01 Hz
      if (auto lp = to_double(child_text(wf, "LowPassFilter"))) w.filters.lowpass_hz = *lp;
      const std::string ac = child_text(wf, "ACFilter");
      if (auto f = to_double(ac)) w.filters.notch_hz = *f;
    }
  }
  if (!have) return bad("the MUSE XML holds no rhythm waveform");
  XmlNode* demo = child(root, "TestDemographics");
  std::string date = child_text(demo, "AcquisitionDate"), time = child_text(demo, "AcquisitionTime");
  if (date.size() == 10) w.acquisition_time = date.substr(6, 4) + "-" + date.substr(0, 2) + "-" + date.substr(3, 2) + "T" + (time.empty() ? "00:00:00" : time);
  w.device = "GE " + child_text(demo, "AcquisitionDevice");
  if (XmlNode* p = child(root, "PatientDemographics")) {
    w.patient.id = std::string(trim(child_text(p, "PatientID")));
    const std::string last(trim(child_text(p, "PatientLastName"))), first(trim(child_text(p, "PatientFirstName")));
    w.patient.name = first.empty() ? last : last + "^" + first;  // DICOM PN order: family^given
    const std::string sex(trim(child_text(p, "Gender")));
    w.patient.sex = sex == "MALE" || sex == "Male" ? "M" : sex == "FEMALE" || sex == "Female" ? "F" : "";
    const std::string dob(trim(child_text(p, "DateofBirth")));  // MM-DD-YYYY
    if (dob.size() == 10) w.patient.birth_date = dob.substr(6, 4) + dob.substr(0, 2) + dob.substr(3, 2);
    const std::string units(trim(child_text(p, "AgeUnits")));  // YEARS, MONTHS, WEEKS, DAYS
    if (auto n = to_int(child_text(p, "PatientAge")); n && !units.empty())
      set_stated_age(w.patient, *n, units[0]);
  }
  if (XmlNode* m = child(root, "RestingECGMeasurements")) {
    const std::pair<const char*, const char*> fields[] = {
        {"VentricularRate", "/min"}, {"AtrialRate", "/min"}, {"PRInterval", "ms"}, {"QRSDuration", "ms"},
        {"QTInterval", "ms"},        {"QTCorrected", "ms"},  {"PAxis", "deg"},     {"RAxis", "deg"}, {"TAxis", "deg"}};
    for (auto [f, unit] : fields)
      if (auto v = to_double(child_text(m, f))) w.device_measurements.push_back({f, *v, unit});
  }
  for (XmlNode* d : children(root, "Diagnosis"))
    for (XmlNode* st : children(d, "DiagnosisStatement")) {
      std::string t = child_text(st, "StmtText");
      if (!t.empty()) w.device_statements.push_back(t);
    }
  return w;
}

}  // namespace teledx::ecg
