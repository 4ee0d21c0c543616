// SCP-ECG (EN 1064 / ISO 11073-91064): sections 0-7, default and custom Huffman tables or none (two bytes a value),
// first/second-difference decoding, reference-beat subtraction. Bimodal compression is refused.
#include <algorithm>
#include <climits>
#include <cstring>
#include <map>

#include "parse_util.hpp"
#include "teledx/ecg/readers.hpp"

namespace teledx::ecg {
using namespace detail;
namespace {

std::uint16_t crc_ccitt(std::span<const std::uint8_t> d) {
  std::uint16_t crc = 0xFFFF;
  for (std::uint8_t byte : d) {
    crc ^= std::uint16_t(byte << 8);
    for (int i = 0; i < 8; ++i) crc = (crc & 0x8000) ? std::uint16_t((crc << 1) ^ 0x1021) : std::uint16_t(crc << 1);
  }
  return crc;
}

struct HuffCode {
  int prefix_bits;  // bits of the code itself
  int total_bits;   // code + explicit value bits
  int mode;         // 0 = switch to table `value`, 1 = a value
  int value;
  std::uint32_t code;  // MSB-first
};
using HuffTable = std::vector<HuffCode>;

HuffTable default_table() {
  // Annex C default table: 0 -> "0"; +v -> (v+1) ones then "00"... i.e. code 2^(v+2)-4, -v -> that + 1 (v = 1..8);
  // then "1111111110" + 8-bit value and "1111111111" + 16-bit value.
  HuffTable t{{1, 1, 1, 0, 0}};
  for (int v = 1; v <= 8; ++v) {
    const std::uint32_t code = (1u << (v + 2)) - 4;
    t.push_back({v + 2, v + 2, 1, v, code});
    t.push_back({v + 2, v + 2, 1, -v, code + 1});
  }
  t.push_back({10, 18, 1, 0, 0b1111111110});
  t.push_back({10, 26, 1, 0, 0b1111111111});
  return t;
}

struct BitReader {
  std::span<const std::uint8_t> d;
  std::size_t bit = 0;
  bool has(int n) const { return bit + std::size_t(n) <= d.size() * 8; }
  std::uint32_t get(int n) {
    std::uint32_t v = 0;
    for (int i = 0; i < n; ++i, ++bit) v = (v << 1) | ((d[bit >> 3] >> (7 - (bit & 7))) & 1u);
    return v;
  }
};

/// The codes of a table sorted by (length, code), so that each bit read costs a binary search rather than a pass over
/// the table (a file may define 65535 codes). Equal codes keep their order: the first one defined wins, as before.
std::vector<const HuffCode*> code_index(const HuffTable& t) {
  std::vector<const HuffCode*> idx;
  for (const auto& c : t) idx.push_back(&c);
  std::stable_sort(idx.begin(), idx.end(), [](const HuffCode* a, const HuffCode* b) {
    return a->prefix_bits != b->prefix_bits ? a->prefix_bits < b->prefix_bits : a->code < b->code;
  });
  return idx;
}

Result<std::vector<int>> huff_decode(std::span<const std::uint8_t> d, const std::vector<HuffTable>& tables, std::size_t want) {
  std::vector<int> out;
  out.reserve(std::min(want, d.size() * 8));  // every value takes at least one bit
  std::vector<std::vector<const HuffCode*>> index;
  for (const auto& t : tables) index.push_back(code_index(t));
  BitReader br{d};
  std::size_t ti = 0;
  while (out.size() < want && br.has(1)) {
    const auto& t = index[ti];
    std::uint32_t acc = 0;
    int n = 0;
    const HuffCode* hit = nullptr;
    while (!hit && n < 32 && br.has(1)) {
      acc = (acc << 1) | br.get(1);
      ++n;
      auto it = std::lower_bound(t.begin(), t.end(), std::pair<int, std::uint32_t>(n, acc),
                                 [](const HuffCode* c, const std::pair<int, std::uint32_t>& key) {
                                   return c->prefix_bits != key.first ? c->prefix_bits < key.first : c->code < key.second;
                                 });
      if (it != t.end() && (*it)->prefix_bits == n && (*it)->code == acc) hit = *it;
    }
    if (!hit) break;  // trailing padding bits
    if (hit->mode == 0) {
      if (hit->value < 1 || std::size_t(hit->value) > tables.size()) return bad("SCP-ECG: Huffman table switch to a missing table");
      ti = std::size_t(hit->value - 1);
      continue;
    }
    int extra = hit->total_bits - hit->prefix_bits;
    if (extra > 0) {
      if (!br.has(extra)) break;
      const std::uint32_t raw = br.get(extra);
      // two's complement of `extra` bits (up to 31: int64, not int)
      std::int64_t v = raw;
      if (raw & (1u << (extra - 1))) v -= std::int64_t(1) << extra;
      out.push_back(int(v));
    } else {
      out.push_back(hit->value);
    }
  }
  return out;
}

struct Section {
  std::span<const std::uint8_t> body;  // after the 16-byte header
};

std::uint32_t reverse_bits(std::uint32_t v, int n) {
  std::uint32_t r = 0;
  for (int i = 0; i < n; ++i) r = (r << 1) | ((v >> i) & 1u);
  return r;
}

Result<std::vector<HuffTable>> parse_huffman(const Section* s) {
  if (!s) return std::vector<HuffTable>{default_table()};  // absent section 2: data are not Huffman coded? use default
  LeReader r{s->body};
  if (!r.has(2)) return bad("SCP-ECG section 2 (Huffman tables) is truncated");
  int ntab = r.u16();
  if (ntab == 19999) return std::vector<HuffTable>{default_table()};
  if (ntab < 1 || ntab > 100) return bad("SCP-ECG section 2: invalid number of Huffman tables " + std::to_string(ntab));
  std::vector<HuffTable> tables;
  for (int t = 0; t < ntab; ++t) {
    if (!r.has(2)) return bad("SCP-ECG section 2 is truncated");
    int ncodes = r.u16();
    HuffTable table;
    for (int c = 0; c < ncodes; ++c) {
      if (!r.has(9)) return bad("SCP-ECG section 2 is truncated");
      HuffCode h;
      h.prefix_bits = r.u8();
      h.total_bits = r.u8();
      h.mode = r.u8();
      h.value = std::int16_t(r.u16());
      std::uint32_t code = r.u32();
      if (h.prefix_bits < 1 || h.prefix_bits > 32 || h.total_bits < h.prefix_bits || h.total_bits - h.prefix_bits > 31)
        return bad("SCP-ECG section 2: invalid Huffman code length");
      h.code = reverse_bits(code, h.prefix_bits);  // stored with the first transmitted bit in the LSB
      table.push_back(h);
    }
    tables.push_back(std::move(table));
  }
  return tables;
}

struct LeadDef {
  std::uint32_t start, end;
  int id;
};

// `huffman` false (no section 2): the values are two-byte integers. A lead of exactly two bytes a sample is read that
// way; any other length is still decoded with the default table, as files that leave section 2 out but Huffman-code
// their data were read before.
Result<std::vector<std::vector<int>>> decode_leads(const Section& s, const std::vector<HuffTable>& tables, bool huffman,
                                                   const std::vector<LeadDef>& leads, std::size_t nsamp, int& avm_nv,
                                                   int& interval_us, int section_no) {
  LeReader r{s.body};
  const std::string sec = "SCP-ECG section " + std::to_string(section_no);
  if (!r.has(6 + 2 * leads.size())) return bad(sec + " is truncated");
  avm_nv = r.u16();
  interval_us = r.u16();
  int diff = r.u8();
  int bimodal = r.u8();
  if (avm_nv == 0) return bad(sec + ": amplitude value multiplier is zero");
  if (section_no == 6 && bimodal) return bad("SCP-ECG bimodal compression is not supported");
  if (diff > 2) return bad(sec + ": unknown difference encoding " + std::to_string(diff));
  std::vector<std::size_t> len(leads.size());
  for (auto& l : len) l = r.u16();
  std::vector<std::vector<int>> out;
  std::size_t pos = r.pos;
  for (std::size_t i = 0; i < leads.size(); ++i) {
    if (pos + len[i] > s.body.size())
      return bad(sec + " is truncated: lead " + std::to_string(i + 1) + " data runs past the section end");
    std::vector<int> x;
    if (!huffman && len[i] == 2 * nsamp) {
      LeReader raw{s.body, pos};
      x.resize(nsamp);
      for (auto& v : x) v = std::int16_t(raw.u16());
    } else {
      auto dec = huff_decode(s.body.subspan(pos, len[i]), tables, nsamp);
      if (!dec) return dec.error();
      x = std::move(*dec);
    }
    pos += len[i];
    if (x.size() < nsamp)
      return bad(sec + ": lead " + std::to_string(i + 1) + " decodes to " + std::to_string(x.size()) + " samples, " +
                 std::to_string(nsamp) + " expected (corrupted data)");
    // Summing first or second differences: a running value leaving the int range is damaged data, not a signal.
    for (std::size_t k = std::size_t(diff); diff > 0 && k < x.size(); ++k) {
      const std::int64_t v = diff == 1 ? std::int64_t(x[k]) + x[k - 1] : std::int64_t(x[k]) + 2 * std::int64_t(x[k - 1]) - x[k - 2];
      if (v < INT_MIN || v > INT_MAX)
        return bad(sec + ": lead " + std::to_string(i + 1) + " runs out of range at sample " + std::to_string(k + 1) +
                   " when its differences are summed (corrupted data)");
      x[k] = int(v);
    }
    out.push_back(std::move(x));
  }
  return out;
}

// Section 5: the device's reference (median) beat, as long as section 4 says (ms), in uV, leads in section 3's
// order; `fiducial` its sample number (from 1) that section 4's QRS fiducials align on.
struct ReferenceBeat {
  LeadSet beat;
  std::int64_t fiducial = 0;
  int interval_us = 0;
};

Result<ReferenceBeat> read_reference_beat(std::map<int, Section>& sec, const std::vector<HuffTable>& tables,
                                          bool huffman, const std::vector<LeadDef>& defs) {
  if (!sec.count(4) || !sec.count(5))
    return bad("SCP-ECG section " + std::string(sec.count(4) ? "5 (the reference beat)" : "4 (where the beats are)") +
               " is missing");
  LeReader s4{sec[4].body};
  if (!s4.has(2)) return bad("SCP-ECG section 4 is truncated");
  const int beat_ms = s4.u16();
  ReferenceBeat ref;
  ref.fiducial = s4.has(2) ? s4.u16() : 0;
  LeReader s5{sec[5].body};
  if (!s5.has(4)) return bad("SCP-ECG section 5 (the reference beat) is truncated");
  s5.pos = 2;
  const int iv = s5.u16();
  const std::size_t beat_n = iv > 0 ? std::size_t(std::int64_t(beat_ms) * 1000 / iv) : 0;
  if (beat_ms <= 0 || beat_ms >= 5000 || beat_n < 1)
    return bad("SCP-ECG section 4: a reference beat of " + std::to_string(beat_ms) + " ms is not usable");
  int avm5 = 0;
  auto values = decode_leads(sec[5], tables, huffman, defs, beat_n, avm5, ref.interval_us, 5);
  if (!values) return values.error();
  ref.beat.sample_rate_hz = 1e6 / ref.interval_us;
  for (std::size_t i = 0; i < defs.size(); ++i) {
    LeadSignal s{*lead_from_scp_code(defs[i].id), std::vector<float>(beat_n), ""};
    s.label = std::string(lead_name(s.lead));
    for (std::size_t k = 0; k < beat_n; ++k) s.uv[k] = float((*values)[i][k] * (avm5 / 1000.0));
    ref.beat.leads.push_back(std::move(s));
  }
  return ref;
}

// Reference-beat subtraction (section 3 flag bit 0): for every QRS of reference type 0, section 4 gives a zone of the
// rhythm (start, fiducial, end: sample numbers from 1) from which the encoder subtracted the reference beat of section
// 5, aligned on the two fiducials. It is added back here, in uV, so the two sections' amplitude units may differ. Both
// must share the sample rate: different rates mean bimodal compression, refused with section 6. The sum is taken as
// it is, without smoothing the zone edges: that gives back exactly what was subtracted.
std::optional<Error> add_back_reference_beat(const Result<ReferenceBeat>& ref, std::map<int, Section>& sec,
                                             int interval_us, Waveform& w) {
  if (!ref)
    return bad("SCP-ECG says its rhythm data had the reference beat subtracted, but its reference beat cannot be "
               "read: " + ref.error().message);
  if (ref->interval_us != interval_us)
    return bad("SCP-ECG reference beat (section 5) and rhythm (section 6) have different sample intervals (" +
               std::to_string(ref->interval_us) + " and " + std::to_string(interval_us) + " us)");
  const std::int64_t n = std::int64_t(w.sample_count()), beat_n = std::int64_t(ref->beat.sample_count());
  if (ref->fiducial < 1 || ref->fiducial > beat_n)
    return bad("SCP-ECG section 4: the reference beat's fiducial at sample " + std::to_string(ref->fiducial) +
               " lies outside its " + std::to_string(beat_n) + " samples");
  LeReader s4{sec[4].body};
  s4.pos = 4;
  if (!s4.has(2)) return bad("SCP-ECG section 4 is truncated");
  const std::size_t zones = s4.u16();
  if (!s4.has(14 * zones)) return bad("SCP-ECG section 4 is truncated: it announces " + std::to_string(zones) + " QRS complexes");
  std::int64_t previous_end = 0;
  for (std::size_t z = 0; z < zones; ++z) {
    const int type = s4.u16();
    const std::int64_t start = s4.u32(), fiducial = s4.u32(), end = s4.u32();
    if (type != 0) continue;  // a beat of another type was left in the rhythm data as recorded
    const std::int64_t from = ref->fiducial - 1 - (fiducial - start);  // where the zone starts in the beat
    if (start < 1 || start > fiducial || fiducial > end || end > n || start <= previous_end || from < 0 ||
        from + (end - start) >= beat_n)
      return bad("SCP-ECG section 4: the subtraction zone of QRS " + std::to_string(z + 1) + " (samples " +
                 std::to_string(start) + "-" + std::to_string(end) + ") lies outside the recording or the reference beat, " +
                 "or overlaps the one before");
    previous_end = end;
    for (std::size_t l = 0; l < w.leads.size(); ++l)
      for (std::int64_t k = 0; k <= end - start; ++k)
        w.leads[l].uv[std::size_t(start - 1 + k)] += ref->beat.leads[l].uv[std::size_t(from + k)];
  }
  return std::nullopt;
}

// Section 1, the patient and acquisition data: tag, 2-byte length, value. Tags 0/1 last/first name, 2 ID, 5 birth
// date, 8 sex, 14 the acquiring device, 25/26 date and time of the recording.
void read_patient_and_device(const Section& s1, Waveform& w) {
  auto d = s1.body;
  std::string date, time, last_name, first_name;
  for (std::size_t p = 0; p + 3 <= d.size();) {
    int tag = d[p];
    std::size_t len = std::size_t(d[p + 1] | (d[p + 2] << 8));
    if (tag == 255 || p + 3 + len > d.size()) break;
    auto v = d.subspan(p + 3, len);
    char buf[32];
    // Text fields end at their first NUL; the cart's own encoding (GB2312 on Chinese carts) is made UTF-8 later.
    const auto text = [&v] {
      const std::string t(v.begin(), v.end());
      return std::string(trim(std::string_view(t).substr(0, t.find('\0'))));
    };
    if (tag == 25 && len >= 4) {
      std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", v[0] | (v[1] << 8), v[2], v[3]);
      date = buf;
    } else if (tag == 26 && len >= 3) {
      std::snprintf(buf, sizeof buf, "T%02d:%02d:%02d", v[0], v[1], v[2]);
      time = buf;
    } else if (tag == 0) {
      last_name = text();
    } else if (tag == 1) {
      first_name = text();
    } else if (tag == 2) {
      w.patient.id = text();
    } else if (tag == 5 && len >= 4) {  // date of birth: year (2 bytes), month, day; zeros when unknown
      const int year = v[0] | (v[1] << 8);
      if (year > 1850 && year < 2200 && v[2] >= 1 && v[2] <= 12 && v[3] >= 1 && v[3] <= 31) {
        std::snprintf(buf, sizeof buf, "%04d%02d%02d", year, v[2], v[3]);
        w.patient.birth_date = buf;
      }
    } else if (tag == 4 && len >= 3) {  // age: value (2 bytes), unit 1 years, 2 months, 3 weeks, 4 days (0 not given)
      static constexpr char kUnit[] = {'?', 'Y', 'M', 'W', 'D'};
      if (v[2] >= 1 && v[2] <= 4) set_stated_age(w.patient, v[0] | (v[1] << 8), kUnit[v[2]]);
    } else if (tag == 8 && len >= 1) {  // sex: 0 not known, 1 male, 2 female, 9 unspecified
      w.patient.sex = v[0] == 1 ? "M" : v[0] == 2 ? "F" : "";
    } else if (tag == 14 && len >= 36) {  // acquiring device: model (6 bytes at 8), then strings, the 4th the maker
      std::string model(v.begin() + 8, v.begin() + 14);
      model = model.substr(0, model.find('\0'));
      std::size_t at = 36 + std::size_t(v[35]);  // past the analysing program's revision (its length counts the NUL)
      std::string maker;
      for (int field = 0; field < 4 && at < v.size(); ++field) {  // serial, system software, SCP software, maker
        const auto nul = std::find(v.begin() + std::ptrdiff_t(at), v.end(), std::uint8_t(0));
        if (field == 3) maker.assign(v.begin() + std::ptrdiff_t(at), nul);
        at = std::size_t(nul - v.begin()) + 1;
      }
      const auto printable = [](const std::string& x) {
        return std::all_of(x.begin(), x.end(), [](unsigned char c) { return c >= 0x20 && c != 0x7F; });
      };
      if (!printable(model)) model.clear();
      if (!printable(maker)) maker.clear();
      w.device = maker.empty() ? model : model.empty() ? maker : maker + " " + model;
    }
    p += 3 + len;
  }
  if (!date.empty()) w.acquisition_time = date + (time.empty() ? "T00:00:00" : time);
  // DICOM's order, family^given, as the other readers give it.
  w.patient.name = first_name.empty() ? last_name : last_name + "^" + first_name;
}

}  // namespace

Result<Waveform> read_scp_ecg(std::span<const std::uint8_t> b) {
  if (b.size() < 6 + 16 + 10) return bad("SCP-ECG file is too short");
  LeReader r{b};
  std::uint16_t crc = r.u16();
  std::uint32_t record_len = r.u32();
  if (record_len != b.size())
    return bad("SCP-ECG file is truncated or padded: the header says " + std::to_string(record_len) + " bytes, the file has " +
               std::to_string(b.size()));
  if (crc_ccitt(b.subspan(2)) != crc) return bad("SCP-ECG checksum mismatch: the file is corrupted");
  // Section 0: pointers to the other sections.
  auto section_at = [&](std::size_t index1, std::size_t len, int id) -> Result<Section> {
    if (index1 < 1 || len < 16 || index1 - 1 + len > b.size())
      return bad("SCP-ECG section " + std::to_string(id) + " points outside the file");
    LeReader h{b, index1 - 1};
    h.pos += 2;
    if (h.u16() != id) return bad("SCP-ECG section " + std::to_string(id) + " has a wrong section id");
    return Section{b.subspan(index1 - 1 + 16, len - 16)};
  };
  LeReader s0{b, 6};
  s0.pos += 4;
  const std::uint32_t s0len = s0.u32();
  if (s0len < 16 || 6 + s0len > b.size()) return bad("SCP-ECG section 0 is truncated");
  std::map<int, Section> sec;
  for (std::size_t p = 6 + 16; p + 10 <= 6 + s0len; p += 10) {
    LeReader e{b, p};
    int id = e.u16();
    std::uint32_t len = e.u32(), idx = e.u32();
    if (len == 0 || id == 0) continue;
    auto s = section_at(idx, len, id);
    if (!s) return s.error();
    sec[id] = *s;
  }
  if (!sec.count(3)) return bad("SCP-ECG file has no lead definition (section 3)");
  if (!sec.count(6)) return bad("SCP-ECG file has no rhythm data (section 6)");
  Waveform w;
  w.source_format = "scp-ecg";
  if (sec.count(1)) read_patient_and_device(sec[1], w);
  LeReader l3{sec[3].body};
  if (!l3.has(2)) return bad("SCP-ECG section 3 is truncated");
  int nleads = l3.u8();
  int flags = l3.u8();
  if (nleads < 1) return bad("SCP-ECG section 3 defines no leads");
  std::vector<LeadDef> defs;
  for (int i = 0; i < nleads; ++i) {
    if (!l3.has(9)) return bad("SCP-ECG section 3 is truncated");
    LeadDef d{l3.u32(), l3.u32(), l3.u8()};
    if (d.end < d.start || d.start < 1) return bad("SCP-ECG lead " + std::to_string(i + 1) + " has an invalid sample range");
    defs.push_back(d);
  }
  const std::size_t nsamp = defs.front().end - defs.front().start + 1;
  for (const auto& d : defs)
    if (d.end - d.start + 1 != nsamp) return bad("SCP-ECG leads of different lengths are not supported");
  if (nsamp > kMaxSamplesPerLead) return bad("SCP-ECG record is too long");
  auto tables = parse_huffman(sec.count(2) ? &sec[2] : nullptr);
  if (!tables) return tables.error();
  int avm = 0, interval = 0;
  const bool huffman = sec.count(2) > 0;
  auto data = decode_leads(sec[6], *tables, huffman, defs, nsamp, avm, interval, 6);
  if (!data) return data.error();
  if (interval <= 0) return bad("SCP-ECG section 6: sample interval is zero");
  w.sample_rate_hz = 1e6 / interval;
  if (auto e = check_rate(w.sample_rate_hz, "SCP-ECG section 6")) return *e;
  for (std::size_t i = 0; i < defs.size(); ++i) {
    auto lead = lead_from_scp_code(defs[i].id);
    if (!lead) return bad("SCP-ECG lead " + std::to_string(i + 1) + " has unknown lead code " + std::to_string(defs[i].id));
    LeadSignal s{*lead, std::vector<float>(nsamp), std::string(lead_name(*lead))};
    for (std::size_t k = 0; k < nsamp; ++k) s.uv[k] = float((*data)[i][k] * (avm / 1000.0));
    w.leads.push_back(std::move(s));
  }
  if (auto e = check_distinct_leads(w, "SCP-ECG section 3")) return *e;
  const auto reference = read_reference_beat(sec, *tables, huffman, defs);
  if (flags & 1)  // reference-beat subtraction: section 6 holds what is left after the beat was taken out
    if (auto e = add_back_reference_beat(reference, sec, interval, w)) return *e;
  if (sec.count(7)) {  // global measurements
    LeReader m{sec[7].body};
    if (m.has(6 + 16)) {
      m.pos = 2;
      auto add = [&](const char* name, int v, const char* unit) {
        if (v != 29999 && v != 0xFFFF && std::abs(v) < 10000) w.device_measurements.push_back({name, double(v), unit});
      };
      int rr = m.u16(), pp = m.u16();
      add("RR Interval", rr, "ms");
      add("PP Interval", pp, "ms");
      int pon = m.u16(), poff = m.u16(), qon = m.u16(), qoff = m.u16(), toff = m.u16();
      std::int16_t pax = std::int16_t(m.u16()), qax = std::int16_t(m.u16()), tax = std::int16_t(m.u16());
      if (pon != 29999 && qon != 29999 && qon > pon) add("PR Interval", qon - pon, "ms");
      if (qon != 29999 && qoff != 29999 && qoff > qon) add("QRS Duration", qoff - qon, "ms");
      if (qon != 29999 && toff != 29999 && toff > qon) add("QT Interval", toff - qon, "ms");
      (void)poff;
      add("P Axis", pax, "deg");
      add("QRS Axis", qax, "deg");
      add("T Axis", tax, "deg");
    }
  }
  if (reference) {  // the device's median beat; a damaged one is dropped, the rhythm data stand
    LeadSet m = reference->beat;
    derive_limb_leads(m);
    sort_leads(m);
    w.device_median = std::move(m);
  }
  derive_limb_leads(w);
  sort_leads(w);
  return w;
}

}  // namespace teledx::ecg
