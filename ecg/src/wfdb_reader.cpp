// WFDB records: header (.hea, CRLF or LF), signal files in formats 16/61/80/212, MIT annotation files.
#include <array>
#include <cmath>
#include <functional>
#include <map>

#include "parse_util.hpp"
#include "teledx/ecg/readers.hpp"

namespace teledx::ecg {
namespace {
using namespace detail;

struct SignalSpec {
  std::string file;
  int format = 0;
  long long byte_offset = 0;
  double gain = 200;  // adu per physical unit
  double baseline = 0;
  double unit_to_uv = 1000;  // mV by default
  std::string description;
};

struct Header {
  std::string name;
  int nsig = 0;
  double fs = 250;
  long long nsamp = -1;
  std::string base_time, base_date;
  std::vector<SignalSpec> sig;
  PatientInfo patient;
};

// Demographics in header comments, in the conventions the PhysioNet databases use: LUDB's (and PTB-XL exports')
// "#<age>: 71" and "#<sex>: M" lines; the European ST-T database's "#Age: 47  Sex: M"; and MIT-BIH's first comment
// line after the signals, "# 69 M 1085 1629 x1" (age, sex, then the tape's own numbers; "?" or -1 where not known).
// The ST-elevation and voltage thresholds depend on them (st_segment.cpp, qrs_amplitudes.cpp).
void read_demographics(std::string_view comment, bool first_after_signals, PatientInfo& p) {
  auto sex_of = [](std::string_view v) -> std::string {
    if (v == "M" || v == "m" || v == "Male" || v == "male") return "M";
    if (v == "F" || v == "f" || v == "Female" || v == "female") return "F";
    return "";
  };
  auto age_of = [](std::string_view v) -> std::optional<int> {
    const auto a = to_int(v);
    return a ? age_in_years(*a, 'Y') : std::nullopt;
  };
  auto unknown = [](std::string_view v) { return v == "?" || v == "-1"; };
  comment = trim(comment.substr(1));
  auto f = split(comment, " \t");
  if (comment.starts_with("<age>:")) {
    p.age_years = age_of(trim(comment.substr(6)));
  } else if (comment.starts_with("<sex>:")) {
    p.sex = sex_of(trim(comment.substr(6)));
  } else if (f.size() >= 4 && f[0] == "Age:" && f[2] == "Sex:") {
    p.age_years = age_of(f[1]);
    p.sex = sex_of(f[3]);
  } else if (first_after_signals && f.size() >= 2 && (f[1] == "M" || f[1] == "F" || f[1] == "?") &&
             (unknown(f[0]) || age_of(f[0]))) {
    p.age_years = age_of(f[0]);
    p.sex = sex_of(f[1]);
  }
}

Result<Header> parse_header(std::string_view text) {
  Header h;
  bool have_record = false;
  bool commented_after_signals = false;  // MIT-BIH's demographics are the first comment after the signal lines
  int line_no = 0;
  for (std::string_view raw : split(text, "\n", false)) {
    ++line_no;
    std::string_view line = trim(raw);
    if (!line.empty() && line.front() == '#') {
      const bool after_signals = have_record && int(h.sig.size()) == h.nsig;
      read_demographics(line, after_signals && !commented_after_signals, h.patient);
      commented_after_signals = commented_after_signals || after_signals;
      continue;
    }
    if (line.empty()) continue;
    if (auto p = line.find('#'); p != std::string_view::npos) line = trim(line.substr(0, p));
    auto f = split(line, " \t");
    if (!have_record) {
      if (f.size() < 2) return bad("WFDB header line 1 must give the record name and the number of signals");
      h.name = std::string(f[0]);
      if (h.name.find('/') != std::string::npos) return bad("multi-segment WFDB records are not supported");
      auto n = to_int(f[1]);
      if (!n || *n < 1 || *n > 64) return bad("WFDB header: invalid number of signals '" + std::string(f[1]) + "'");
      h.nsig = int(*n);
      if (f.size() > 2) {
        std::string_view fs = f[2];
        fs = fs.substr(0, fs.find_first_of("/("));
        auto v = to_double(fs);
        if (!v) return bad("WFDB header: invalid sampling frequency '" + std::string(f[2]) + "'");
        h.fs = *v;
      }
      if (f.size() > 3) {
        auto v = to_int(f[3]);
        if (!v || *v < 0) return bad("WFDB header: invalid number of samples '" + std::string(f[3]) + "'");
        h.nsamp = *v;
      }
      if (f.size() > 4) h.base_time = std::string(f[4]);
      if (f.size() > 5) h.base_date = std::string(f[5]);
      have_record = true;
      continue;
    }
    if (int(h.sig.size()) >= h.nsig) continue;
    if (f.size() < 2) return bad("WFDB header line " + std::to_string(line_no) + ": signal line needs a file name and a format");
    SignalSpec s;
    s.file = std::string(f[0]);
    std::string_view fmt = f[1];
    if (auto p = fmt.find('+'); p != std::string_view::npos) {
      auto off = to_int(fmt.substr(p + 1));
      if (!off || *off < 0) return bad("WFDB header: invalid byte offset in '" + std::string(fmt) + "'");
      s.byte_offset = *off;
      fmt = fmt.substr(0, p);
    }
    if (auto p = fmt.find(':'); p != std::string_view::npos) fmt = fmt.substr(0, p);
    if (fmt.find('x') != std::string_view::npos) {
      auto parts = split(fmt, "x");
      if (parts.size() != 2 || to_int(parts[1]).value_or(0) != 1)
        return bad("WFDB signal " + std::to_string(h.sig.size() + 1) + ": more than one sample per frame is not supported");
      fmt = parts[0];
    }
    auto fv = to_int(fmt);
    if (!fv) return bad("WFDB header: invalid format '" + std::string(f[1]) + "'");
    s.format = int(*fv);
    if (s.format != 16 && s.format != 212 && s.format != 80 && s.format != 61)
      return bad("WFDB signal format " + std::to_string(s.format) + " is not supported (16, 61, 80 and 212 are)");
    bool baseline_given = false;
    if (f.size() > 2) {
      std::string_view g = f[2];
      if (auto p = g.find('/'); p != std::string_view::npos) {
        std::string_view unit = g.substr(p + 1);
        if (unit == "mV") s.unit_to_uv = 1000;
        else if (unit == "uV" || unit == "µV") s.unit_to_uv = 1;
        else if (unit == "V") s.unit_to_uv = 1e6;
        else return bad("WFDB signal '" + s.file + "': unit '" + std::string(unit) + "' is not a voltage");
        g = g.substr(0, p);
      }
      if (auto p = g.find('('); p != std::string_view::npos) {
        auto q = g.find(')', p);
        auto b = to_double(g.substr(p + 1, q == std::string_view::npos ? std::string_view::npos : q - p - 1));
        if (!b) return bad("WFDB header: invalid baseline in '" + std::string(f[2]) + "'");
        s.baseline = *b;
        baseline_given = true;
        g = g.substr(0, p);
      }
      auto gv = to_double(g);
      if (!gv) return bad("WFDB header: invalid gain '" + std::string(f[2]) + "'");
      if (*gv != 0) s.gain = *gv;
    }
    if (f.size() > 4 && !baseline_given) s.baseline = to_double(f[4]).value_or(0);  // ADC zero
    if (f.size() > 8) {
      std::string desc;
      for (std::size_t k = 8; k < f.size(); ++k) desc += (desc.empty() ? "" : " ") + std::string(f[k]);
      s.description = desc;
    }
    h.sig.push_back(std::move(s));
  }
  if (!have_record) return bad("empty WFDB header");
  if (int(h.sig.size()) != h.nsig)
    return bad("WFDB header announces " + std::to_string(h.nsig) + " signals but describes " + std::to_string(h.sig.size()));
  if (auto e = check_rate(h.fs, "the WFDB header")) return *e;
  return h;
}

std::size_t bytes_for(int format, std::size_t samples) {
  switch (format) {
    case 212: return (samples * 3 + 1) / 2;
    case 80: return samples;
    default: return samples * 2;
  }
}

/// Decodes `nsamp` frames of the signals stored in one file (interleaved) into raw ADC values.
std::vector<std::vector<int>> decode_file(std::span<const std::uint8_t> d, int format, std::size_t nsig, std::size_t nsamp) {
  std::vector<std::vector<int>> out(nsig, std::vector<int>(nsamp));
  const std::size_t total = nsig * nsamp;
  std::size_t k = 0;
  auto put = [&](int v) {
    if (k < total) out[k % nsig][k / nsig] = v;
    ++k;
  };
  if (format == 212) {
    for (std::size_t i = 0; k < total; i += 3) {
      int a = d[i] | ((d[i + 1] & 0x0F) << 8);
      if (a & 0x800) a -= 0x1000;
      put(a);
      if (k >= total) break;
      int b = d[i + 2] | ((d[i + 1] & 0xF0) << 4);
      if (b & 0x800) b -= 0x1000;
      put(b);
    }
  } else if (format == 16) {
    for (std::size_t i = 0; k < total; i += 2) put(std::int16_t(d[i] | (d[i + 1] << 8)));
  } else if (format == 61) {
    for (std::size_t i = 0; k < total; i += 2) put(std::int16_t((d[i] << 8) | d[i + 1]));
  } else {
    for (std::size_t i = 0; k < total; ++i) put(int(d[i]) - 128);
  }
  return out;
}

std::string iso_time(const Header& h) {
  auto t = split(h.base_time, ":");
  auto d = split(h.base_date, "/");
  if (d.size() != 3) return {};
  // A field that is not a number counts as 0; one outside its calendar range leaves the time unknown (a damaged
  // "1e300:00:00" must not reach int()).
  auto field = [](std::optional<double> v, double hi) -> std::optional<int> {
    if (!v) return 0;
    if (!(*v >= 0 && *v < hi + 1)) return std::nullopt;
    return int(*v);
  };
  auto num = [](std::string_view f) -> std::optional<double> {
    if (auto i = to_int(f)) return double(*i);
    return std::nullopt;
  };
  std::optional<int> hh = t.size() > 0 ? field(to_double(t[0]), 23) : 0;
  std::optional<int> mm = t.size() > 1 ? field(to_double(t[1]), 59) : 0;
  std::optional<int> ss = t.size() > 2 ? field(to_double(t[2]), 60) : 0;
  auto year = field(num(d[2]), 9999), month = field(num(d[1]), 12), day = field(num(d[0]), 31);
  if (!hh || !mm || !ss || !year || !month || !day) return {};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", *year, *month, *day, *hh, *mm, *ss);
  return buf;
}

using FileLoader = std::function<Result<std::vector<std::uint8_t>>(const std::string&)>;

Result<Waveform> read_record(std::string_view header_text, const FileLoader& load, double max_seconds) {
  auto hr = parse_header(header_text);
  if (!hr) return hr.error();
  Header& h = *hr;
  Waveform w;
  w.source_format = "wfdb";
  w.sample_rate_hz = h.fs;
  w.acquisition_time = iso_time(h);
  w.patient = h.patient;
  // Group signals by file, keeping their order inside each file.
  std::map<std::string, std::vector<std::size_t>> by_file;
  std::vector<std::string> file_order;
  for (std::size_t i = 0; i < h.sig.size(); ++i) {
    if (!by_file.count(h.sig[i].file)) file_order.push_back(h.sig[i].file);
    by_file[h.sig[i].file].push_back(i);
  }
  std::vector<std::vector<int>> raw(h.sig.size());
  for (const auto& file : file_order) {
    const auto& idx = by_file[file];
    const SignalSpec& s0 = h.sig[idx.front()];
    for (std::size_t i : idx)
      if (h.sig[i].format != s0.format) return bad("WFDB file '" + file + "' mixes signal formats");
    auto bytes = load(file);
    if (!bytes) return bytes.error();
    if (std::size_t(s0.byte_offset) > bytes->size()) return bad("WFDB file '" + file + "' is shorter than its byte offset");
    std::span<const std::uint8_t> d(bytes->data() + s0.byte_offset, bytes->size() - s0.byte_offset);
    std::size_t avail = 0;
    {
      // frames that fit completely
      std::size_t per = idx.size();
      std::size_t lo = 0, hi = d.size() + 1;
      while (hi - lo > 1) {
        std::size_t mid = (lo + hi) / 2;
        if (bytes_for(s0.format, mid * per) <= d.size()) lo = mid; else hi = mid;
      }
      avail = lo;
    }
    std::size_t n = h.nsamp >= 0 ? std::size_t(h.nsamp) : avail;
    if (n > avail)
      return bad("WFDB file '" + file + "' is truncated: the header announces " + std::to_string(n) +
                 " samples per signal but the file holds " + std::to_string(avail));
    if (max_seconds > 0) n = std::min<std::size_t>(n, std::size_t(max_seconds * h.fs));
    if (n == 0) return bad("WFDB record '" + h.name + "' holds no samples");
    if (n > kMaxSamplesPerLead) return bad("WFDB record is too long (over 24 hours)");
    auto dec = decode_file(d, s0.format, idx.size(), n);
    for (std::size_t j = 0; j < idx.size(); ++j) raw[idx[j]] = std::move(dec[j]);
  }
  std::size_t n = raw.front().size();
  for (std::size_t i = 0; i < h.sig.size(); ++i) {
    if (raw[i].size() != n) return bad("WFDB signals have different lengths");
    const SignalSpec& s = h.sig[i];
    LeadSignal l;
    l.label = s.description.empty() ? "signal " + std::to_string(i + 1) : s.description;
    l.lead = parse_lead_name(s.description).value_or(Lead::Other);
    l.uv.resize(n);
    const int invalid = s.format == 212 ? -2048 : (s.format == 80 ? -128 : -32768);
    const double k = s.unit_to_uv / s.gain;
    float last = 0;
    for (std::size_t j = 0; j < n; ++j) {
      // WFDB marks missing samples with the most negative value: hold the last good one.
      if (raw[i][j] == invalid) { l.uv[j] = last; continue; }
      last = l.uv[j] = float((raw[i][j] - s.baseline) * k);
    }
    w.leads.push_back(std::move(l));
  }
  if (auto e = check_samples(w, "WFDB record '" + h.name + "'")) return *e;
  if (auto e = check_distinct_leads(w, "WFDB record '" + h.name + "'")) return *e;
  make_text_utf8(w);
  return w;
}

}  // namespace

Result<Waveform> read_wfdb(std::string_view header, std::span<const std::uint8_t> dat, double max_seconds) {
  std::string first;
  FileLoader load = [&](const std::string& name) -> Result<std::vector<std::uint8_t>> {
    if (first.empty()) first = name;
    if (name != first) return bad("WFDB record needs a second signal file '" + name + "'; pass the .hea path instead");
    return std::vector<std::uint8_t>(dat.begin(), dat.end());
  };
  return read_record(header, load, max_seconds);
}

Result<Waveform> read_wfdb_file(const std::filesystem::path& hea, double max_seconds) {
  auto text = read_file_bytes(hea);
  if (!text) return text.error();
  FileLoader load = [&](const std::string& name) -> Result<std::vector<std::uint8_t>> {
    // A control character (a zero byte ends the name for the system: "<NUL>100.dat" opens the folder itself), a
    // slash or a dot-only name would leave the record's folder or name a folder.
    bool plain = !name.empty() && name != "." && name.find('/') == std::string::npos && name.find("..") == std::string::npos;
    std::string shown;
    for (char c : name) {
      plain = plain && static_cast<unsigned char>(c) >= 0x20 && c != 0x7F;
      shown += static_cast<unsigned char>(c) < 0x20 || c == 0x7F ? '?' : c;
    }
    if (!plain) return bad("WFDB signal file name '" + shown + "' must be a plain file name");
    return read_file_bytes(hea.parent_path() / name);
  };
  return read_record(std::string_view(reinterpret_cast<const char*>(text->data()), text->size()), load, max_seconds);
}

std::string_view annotation_symbol(int code) {
  static constexpr std::array<std::string_view, 42> kSym{
      "",  "N", "L", "R", "a", "V", "F", "J", "A", "S", "E", "j", "/", "Q", "~", "",  "|", "",  "s", "T", "*",
      "D", "\"", "=", "p", "B", "^", "t", "+", "u", "?", "!", "[", "]", "e", "n", "@", "x", "f", "(", ")", "r"};
  return code >= 0 && code < int(kSym.size()) ? kSym[std::size_t(code)] : std::string_view{};
}

bool is_beat_annotation(int code) {
  return (code >= 1 && code <= 13) || code == 25 || code == 30 || code == 34 || code == 35 || code == 38 || code == 41;
}

Result<std::vector<Annotation>> read_wfdb_annotations(std::span<const std::uint8_t> b) {
  std::vector<Annotation> out;
  std::int64_t t = 0;
  int num = 0, chan = 0;
  std::size_t i = 0;
  while (i + 2 <= b.size()) {
    const int w = b[i] | (b[i + 1] << 8);
    i += 2;
    const int a = w >> 10, len = w & 0x3FF;
    if (a == 0 && len == 0) return out;
    if (a == 59) {  // SKIP: 32-bit interval, PDP-11 word order
      if (i + 4 > b.size()) break;
      std::int32_t iv = std::int32_t((std::uint32_t(b[i] | (b[i + 1] << 8)) << 16) | std::uint32_t(b[i + 2] | (b[i + 3] << 8)));
      t += iv;
      i += 4;
    } else if (a == 60) {
      num = len >= 512 ? len - 1024 : len;
      if (!out.empty()) out.back().num = num;
    } else if (a == 61) {
      if (!out.empty()) out.back().subtype = len >= 512 ? len - 1024 : len;
    } else if (a == 62) {
      chan = len;
      if (!out.empty()) out.back().channel = chan;
    } else if (a == 63) {
      if (i + std::size_t(len) > b.size()) break;
      if (!out.empty()) out.back().aux.assign(reinterpret_cast<const char*>(&b[i]), std::size_t(len));
      i += std::size_t(len + (len & 1));
    } else {
      t += len;
      out.push_back(Annotation{t, a, 0, chan, num, {}});
    }
  }
  if (out.empty() && !b.empty()) return bad("not a WFDB annotation file (truncated or garbage)");
  return out;  // a file without the end marker is accepted when it parsed cleanly up to here
}

}  // namespace teledx::ecg
