// Philips Sierra ECG XML (1.03/1.04): base64 waveforms, uncompressed or XLI-compressed (10-bit LZW of a
// byte-planar second-difference stream); III, aVR, aVL, aVF are stored as residuals from I and II.
#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "parse_util.hpp"
#include "teledx/ecg/readers.hpp"
#include "xml_doc.hpp"

namespace teledx::ecg {
using namespace detail;
namespace {

std::optional<std::vector<std::uint8_t>> base64(std::string_view s) {
  std::vector<std::uint8_t> out;
  unsigned acc = 0;
  int bits = 0;
  for (char c : s) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '+') v = 62;
    else if (c == '/') v = 63;
    else if (c == '=') break;
    else if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    else return std::nullopt;
    acc = (acc << 6) | unsigned(v);
    bits += 6;
    if (bits >= 8) bits -= 8, out.push_back(std::uint8_t((acc >> bits) & 0xFF));
  }
  return out;
}

/// LZW with fixed 10-bit codes, most significant bit first; codes above 1022 end the stream. Like the device
/// software, a code is only taken while more than 24 bits are buffered, so the last bytes of a chunk are padding.
/// A code stands for up to 768 bytes, so damaged data could decode to hundreds of times its size: nullopt when the
/// output would pass `max_out` bytes.
std::optional<std::vector<std::uint8_t>> lzw10(std::span<const std::uint8_t> in, std::size_t max_out) {
  constexpr int kBits = 10;
  constexpr unsigned kMaxCode = (1u << kBits) - 2;
  std::vector<std::vector<std::uint8_t>> dict(256);
  for (unsigned i = 0; i < 256; ++i) dict[i] = {std::uint8_t(i)};
  std::vector<std::uint8_t> out, prev;
  std::size_t pos = 0;
  std::uint32_t buf = 0;
  int count = 0;
  for (;;) {
    while (count <= 24) {
      if (pos >= in.size()) return out;
      buf |= std::uint32_t(in[pos++]) << (24 - count);
      count += 8;
    }
    const unsigned code = (buf >> (32 - kBits)) & 0xFFFF;
    buf <<= kBits;
    count -= kBits;
    if (code > kMaxCode) return out;
    std::vector<std::uint8_t> cur;
    if (code < dict.size()) cur = dict[code];
    else if (code == dict.size() && !prev.empty()) cur = prev, cur.push_back(prev[0]);
    else return out;  // corrupt stream: stop with what was decoded
    if (!prev.empty() && dict.size() <= kMaxCode) {
      auto entry = prev;
      entry.push_back(cur[0]);
      dict.push_back(std::move(entry));
    }
    if (cur.size() > max_out - out.size()) return std::nullopt;
    out.insert(out.end(), cur.begin(), cur.end());
    prev = std::move(cur);
  }
}

/// One XLI chunk per lead: [size:int32][unused:int16][first:int16] then `size` bytes of LZW data, whose output
/// holds the high bytes of all values followed by the low bytes; values are second differences with a bias of 64.
/// A chunk holds one lead of `per_lead` samples when the header says how long the leads are (nullopt: unknown).
Result<std::vector<std::vector<int>>> xli_decode(std::span<const std::uint8_t> data, std::optional<std::size_t> per_lead) {
  std::vector<std::vector<int>> leads;
  std::size_t off = 0;
  // Two bytes a sample. A chunk may hold twice the announced length; all chunks together at most kMaxSamplesPerLead.
  std::size_t budget = 2 * kMaxSamplesPerLead;
  while (off + 8 <= data.size()) {
    LeReader h{data, off};
    const std::int32_t size = std::int32_t(h.u32());
    h.u16();
    const std::int16_t first = std::int16_t(h.u16());
    off += 8;
    const std::string chunk = "Philips XML: XLI chunk " + std::to_string(leads.size() + 1);
    if (size < 0 || off + std::size_t(size) > data.size()) return bad(chunk + " runs past the end of the data");
    const std::size_t max_out = per_lead ? std::min(budget, 4 * *per_lead + 2) : budget;
    auto bytes = lzw10(data.subspan(off, std::size_t(size)), max_out);
    if (!bytes)
      return bad(chunk + " decodes to more than " + std::to_string(max_out / 2) + " samples" +
                 (per_lead ? " (the header announces " + std::to_string(*per_lead) + " per lead)" : std::string()) +
                 ": the compressed data are corrupted");
    budget -= bytes->size();
    off += std::size_t(size);
    if (bytes->size() % 2) bytes->push_back(0);
    const std::size_t n = bytes->size() / 2;
    std::vector<int> d(n);
    for (std::size_t i = 0; i < n; ++i) d[i] = std::int16_t(((*bytes)[i] << 8) | (*bytes)[n + i]);
    if (n >= 2) {
      // The device stores 16-bit samples: a second-difference sum leaving that range is damaged data (and would
      // soon overflow int).
      std::int64_t x = d[0], y = d[1], last = first;
      for (std::size_t i = 2; i < n; ++i) {
        const std::int64_t z = 2 * y - x - last;
        if (z < INT16_MIN || z > INT16_MAX)
          return bad(chunk + " decodes to a value outside the 16-bit sample range at sample " + std::to_string(i + 1) +
                     ": the compressed data are corrupted");
        last = d[i] - 64;
        d[i] = int(z);
        x = y;
        y = z;
      }
    }
    leads.push_back(std::move(d));
  }
  return leads;
}

int floor_half(int v) { return int(std::floor(v / 2.0)); }

}  // namespace

Result<Waveform> read_philips_xml(std::span<const std::uint8_t> bytes) {
  auto doc = XmlDoc::parse(bytes, "the Philips XML file");
  if (!doc) return doc.error();
  XmlNode* root = (*doc)->root();
  if (name(root) != "restingecgdata") return bad("the XML root is <" + name(root) + ">, not a Philips <restingecgdata>");
  const std::string version = child_text(child(root, "documentinfo"), "documentversion");
  if (version != "1.03" && version != "1.04" && version != "1.04.01")
    return bad("Philips XML version '" + version + "' is not supported (1.03, 1.04, 1.04.01 are)");
  XmlNode* acq = child(root, "dataacquisition");
  XmlNode* sig = child(acq, "signalcharacteristics");
  XmlNode* wf = path(root, {"waveforms", "parsedwaveforms"});
  if (!sig || !wf) return bad("the Philips XML has no signal characteristics or parsed waveforms");
  auto fs = to_double(child_text(sig, "samplingrate"));
  if (!fs) return bad("the Philips XML has no sampling rate");
  if (auto e = check_rate(*fs, "the Philips XML")) return *e;
  const std::string resolution = child_text(sig, "signalresolution");
  const double uv_per_unit = to_double(resolution).value_or(5);
  if (!(uv_per_unit > 0 && uv_per_unit < 1e6))
    return bad("the Philips XML signal resolution '" + resolution + "' is not a positive number of microvolts");
  const auto duration_ms = to_double(attr(wf, "durationperchannel"));
  // Samples per lead the header announces.
  std::optional<std::size_t> per_lead;
  if (duration_ms) {
    const double samples = *duration_ms * *fs / 1000;
    if (!(samples >= 1 && samples <= double(kMaxSamplesPerLead)))
      return bad("the Philips XML duration per channel '" + attr(wf, "durationperchannel") +
                 "' ms is not a usable recording length");
    per_lead = std::size_t(samples);
  }
  auto raw = base64(text(wf));
  if (!raw) return bad("the Philips XML waveform data is not valid base64");
  std::vector<std::string> labels;
  // Held in a named string: split() returns views into it, and a temporary would be gone before the loop body
  // (every file stating its labels read freed memory: "unknown lead '\xNN'").
  const std::string label_list = attr(wf, "leadlabels");
  for (auto l : split(label_list, " ")) labels.emplace_back(l);
  if (labels.empty()) labels = {"I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"};
  std::vector<std::vector<int>> data;
  const std::string method = attr(wf, "compressmethod");
  if (attr(wf, "compressflag") == "True" || method == "XLI") {
    if (method != "XLI") return bad("Philips XML compression '" + method + "' is not supported (XLI is)");
    auto d = xli_decode(*raw, per_lead);
    if (!d) return d.error();
    data = std::move(*d);
  } else {
    const std::size_t per = per_lead ? *per_lead : raw->size() / 2 / labels.size();
    if (raw->size() / 2 / labels.size() < per) return bad("the Philips XML waveform data is truncated");
    for (std::size_t l = 0; l < labels.size(); ++l) {
      std::vector<int> v(per);
      for (std::size_t k = 0; k < per; ++k) {
        const std::size_t i = 2 * (l * per + k);
        v[k] = std::int16_t((*raw)[i] | ((*raw)[i + 1] << 8));
      }
      data.push_back(std::move(v));
    }
  }
  if (data.size() < labels.size())
    return bad("the Philips XML holds " + std::to_string(data.size()) + " leads, its header names " + std::to_string(labels.size()));
  std::size_t n = data.front().size();
  for (const auto& d : data) n = std::min(n, d.size());
  if (per_lead) n = std::min(n, *per_lead);
  // After the recorded signal devices append flat padding and a square calibration pulse: drop that tail, i.e.
  // everything after the last sample where the leads still move within 5 samples of each other.
  auto still = [&](std::size_t k) {
    return std::all_of(data.begin(), data.end(), [&](const std::vector<int>& d) { return d[k] == d[k - 1]; });
  };
  std::size_t end = n;
  while (end > 6) {
    std::size_t k = end - 1;
    if (still(k)) { --end; continue; }
    bool isolated = true;
    for (std::size_t j = k - 5; j < k && isolated; ++j) isolated = still(j);
    if (!isolated) break;
    end = k;
  }
  if (end >= std::size_t(*fs)) n = end;  // a recording that is flat throughout stays whole and is reported as lead off
  if (n < 2) return bad("the Philips XML holds no samples");
  // The limb leads after I and II are stored as residuals of their Einthoven/Goldberger values.
  if (labels.size() >= 6 && labels[0] == "I" && labels[1] == "II" && labels[2] == "III") {
    auto &i = data[0], &ii = data[1], &iii = data[2], &avr = data[3], &avl = data[4], &avf = data[5];
    for (std::size_t k = 0; k < n; ++k) {
      iii[k] = ii[k] - i[k] - iii[k];
      avr[k] = -avr[k] - floor_half(i[k] + ii[k]);
      avl[k] = floor_half(i[k] - iii[k]) - avl[k];
      avf[k] = floor_half(ii[k] + iii[k]) - avf[k];
    }
  }
  Waveform w;
  w.source_format = "philips-xml";
  w.sample_rate_hz = *fs;
  for (std::size_t l = 0; l < labels.size(); ++l) {
    auto lead = parse_lead_name(labels[l]);
    if (!lead) return bad("Philips XML: unknown lead '" + labels[l] + "'");
    LeadSignal s{*lead, std::vector<float>(n), std::string(lead_name(*lead))};
    for (std::size_t k = 0; k < n; ++k) s.uv[k] = float(data[l][k] * uv_per_unit);
    w.leads.push_back(std::move(s));
  }
  if (auto e = check_distinct_leads(w, "Philips XML")) return *e;
  const std::string date = attr(acq, "date"), time = attr(acq, "time");
  if (date.size() == 10) w.acquisition_time = date + "T" + (time.empty() ? "00:00:00" : time);
  w.device = "Philips " + child_text(acq, "machine");
  if (XmlNode* p = path(root, {"patient", "generalpatientdata"})) {
    w.patient.id = std::string(trim(child_text(p, "patientid")));
    const std::string last(trim(child_text(child(p, "name"), "lastname"))),
        first(trim(child_text(child(p, "name"), "firstname")));
    w.patient.name = first.empty() ? last : last + "^" + first;
    const std::string sex(trim(child_text(p, "sex")));
    w.patient.sex = sex == "Male" ? "M" : sex == "Female" ? "F" : "";
    const std::string dob(trim(child_text(p, "dateofbirth")));  // YYYY-MM-DD
    if (dob.size() == 10) w.patient.birth_date = dob.substr(0, 4) + dob.substr(5, 2) + dob.substr(8, 2);
    if (auto years = to_int(child_text(child(p, "age"), "years"))) w.patient.age_years = age_in_years(*years, 'Y');
  }
  if (XmlNode* bw = path(root, {"reportinfo", "reportbandwidth"})) {
    if (auto v = to_double(child_text(bw, "highpassfiltersetting"))) w.filters.highpass_hz = v;
    if (auto v = to_double(child_text(bw, "lowpassfiltersetting"))) w.filters.lowpass_hz = v;
    if (auto v = to_double(child_text(bw, "notchfiltersetting")); v && *v > 0) w.filters.notch_hz = v;
  }
  if (XmlNode* g = path(root, {"measurements", "globalmeasurements"})) {
    const std::pair<const char*, const char*> fields[] = {
        {"meanventrate", "/min"}, {"atrialrate", "/min"}, {"meanprint", "ms"},  {"meanqrsdur", "ms"},
        {"meanqtint", "ms"},      {"meanqtc", "ms"},      {"pfrontaxis", "deg"}, {"qrsfrontaxis", "deg"}, {"tfrontaxis", "deg"}};
    for (auto [f, unit] : fields)
      if (auto v = to_double(child_text(g, f))) w.device_measurements.push_back({f, *v, unit});
  }
  // Per-lead amplitudes (µV), for the RV5 and SV1 that a Chinese report gives.
  if (XmlNode* lm = path(root, {"measurements", "leadmeasurements"}))
    for (XmlNode* l : children(lm, "leadmeasurement")) {
      const std::string lead = attr(l, "leadname");
      if (lead == "V5")
        if (auto v = to_double(child_text(l, "ramp"))) w.device_measurements.push_back({"V5 ramp", *v, "uV"});
      if (lead == "V1")
        if (auto v = to_double(child_text(l, "samp"))) w.device_measurements.push_back({"V1 samp", *v, "uV"});
    }
  std::vector<XmlNode*> st;
  descendants(root, "leftstatement", st);
  for (XmlNode* s : st)
    if (auto t = std::string(trim(text(s))); !t.empty()) w.device_statements.push_back(t);
  sort_leads(w);
  return w;
}

}  // namespace teledx::ecg
