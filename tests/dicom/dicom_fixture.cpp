#include "dicom/dicom_fixture.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace teledx::test {
namespace {

void put16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v & 0xff));
  out.push_back(static_cast<char>(v >> 8));
}
void put32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

bool long_form(const std::string& vr) {
  return vr == "OB" || vr == "OW" || vr == "OF" || vr == "SQ" || vr == "UT" || vr == "UN" || vr == "OD" ||
         vr == "OL" || vr == "UC" || vr == "UR" || vr == "OV";
}

std::string padded(const std::string& vr, std::string v) {
  if (v.size() % 2 == 1) v.push_back(vr == "UI" || vr == "OB" || vr == "UN" ? '\0' : ' ');
  return v;
}

void encode(std::string& out, std::uint16_t g, std::uint16_t e, const std::string& vr, const std::string& bytes) {
  put16(out, g);
  put16(out, e);
  if (vr == "OB*") {  // encapsulated pixel data: undefined length, items already encoded in `bytes`
    out += "OB";
    put16(out, 0);
    put32(out, 0xFFFFFFFFu);
    out += bytes;
    return;
  }
  out += vr;
  if (long_form(vr)) {
    put16(out, 0);
    put32(out, static_cast<std::uint32_t>(bytes.size()));
  } else {
    put16(out, static_cast<std::uint16_t>(bytes.size()));
  }
  out += bytes;
}

std::uint32_t fnv(const std::string& s) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : s) h = (h ^ c) * 16777619u;
  return h;
}

}  // namespace

DicomBuilder& DicomBuilder::set(std::uint16_t group, std::uint16_t element, std::string vr, std::string value) {
  // Pixel data and other binary values are given raw: pad here so every element has even length.
  elements_[{group, element}] = Value{vr, padded(vr, std::move(value))};
  return *this;
}

DicomBuilder& DicomBuilder::set_us(std::uint16_t group, std::uint16_t element, std::uint16_t value) {
  std::string b;
  put16(b, value);
  return set(group, element, "US", b);
}

DicomBuilder& DicomBuilder::erase(std::uint16_t group, std::uint16_t element) {
  elements_.erase({group, element});
  return *this;
}

DicomBuilder& DicomBuilder::set_sequence(std::uint16_t group, std::uint16_t element, const DicomBuilder& item) {
  const std::string body = item.dataset_bytes();
  std::string seq;
  put16(seq, 0xFFFE);
  put16(seq, 0xE000);
  put32(seq, static_cast<std::uint32_t>(body.size()));
  seq += body;
  elements_[{group, element}] = Value{"SQ", seq};
  return *this;
}

DicomBuilder& DicomBuilder::set_encapsulated_pixels(const std::vector<std::string>& fragments) {
  std::string items;
  put16(items, 0xFFFE);
  put16(items, 0xE000);
  put32(items, 0);  // empty basic offset table
  for (std::string f : fragments) {
    if (f.size() % 2 == 1) f.push_back('\0');
    put16(items, 0xFFFE);
    put16(items, 0xE000);
    put32(items, static_cast<std::uint32_t>(f.size()));
    items += f;
  }
  put16(items, 0xFFFE);
  put16(items, 0xE0DD);
  put32(items, 0);
  elements_[{0x7FE0, 0x0010}] = Value{"OB*", items};
  return *this;
}

std::string DicomBuilder::dataset_bytes() const {
  std::string out;
  for (const auto& [tag, v] : elements_) encode(out, tag.first, tag.second, v.vr, v.bytes);
  return out;
}

std::string DicomBuilder::get(std::uint16_t group, std::uint16_t element) const {
  auto it = elements_.find({group, element});
  if (it == elements_.end()) return {};
  std::string s = it->second.bytes;
  while (!s.empty() && (s.back() == '\0' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string DicomBuilder::part10(const std::string& meta_sop_instance_override,
                                 const std::string& transfer_syntax) const {
  std::string meta;
  encode(meta, 0x0002, 0x0001, "OB", std::string("\0\1", 2));
  encode(meta, 0x0002, 0x0002, "UI", padded("UI", get(0x0008, 0x0016)));
  encode(meta, 0x0002, 0x0003, "UI",
         padded("UI", meta_sop_instance_override.empty() ? get(0x0008, 0x0018) : meta_sop_instance_override));
  encode(meta, 0x0002, 0x0010, "UI", padded("UI", transfer_syntax));
  encode(meta, 0x0002, 0x0012, "UI", padded("UI", "1.2.826.0.1.3680043.10.1000.1"));
  encode(meta, 0x0002, 0x0013, "SH", padded("SH", "TELEDX_TEST"));
  std::string out(128, '\0');
  out += "DICM";
  std::string len;
  put32(len, static_cast<std::uint32_t>(meta.size()));
  encode(out, 0x0002, 0x0000, "UL", len);
  out += meta;
  out += dataset_bytes();
  return out;
}

DicomBuilder make_image(const ImageSpec& s) {
  DicomBuilder b;
  b.set(0x0008, 0x0016, "UI", s.sop_class)
      .set(0x0008, 0x0018, "UI", s.sop_uid)
      .set(0x0008, 0x0020, "DA", "20250301")
      .set(0x0008, 0x0030, "TM", "093000")
      .set(0x0008, 0x0050, "SH", s.accession)
      .set(0x0008, 0x0060, "CS", s.modality)
      .set(0x0008, 0x0090, "PN", "LI^REFERRER")
      .set(0x0008, 0x1030, "LO", s.study_description)
      .set(0x0008, 0x103E, "LO", "SERIES " + std::to_string(s.series_number))
      .set(0x0010, 0x0010, "PN", s.patient_name)
      .set(0x0010, 0x0020, "LO", s.patient_id)
      .set(0x0010, 0x0030, "DA", "19600214")
      .set(0x0010, 0x0040, "CS", "M")
      .set(0x0018, 0x0015, "CS", s.body_part)
      .set(0x0020, 0x000D, "UI", s.study_uid)
      .set(0x0020, 0x000E, "UI", s.series_uid)
      .set(0x0020, 0x0010, "SH", "S1")
      .set(0x0020, 0x0011, "IS", std::to_string(s.series_number))
      .set(0x0020, 0x0013, "IS", std::to_string(s.instance_number))
      .set_us(0x0028, 0x0002, 1)
      .set(0x0028, 0x0004, "CS", "MONOCHROME2")
      .set_us(0x0028, 0x0010, s.rows)
      .set_us(0x0028, 0x0011, s.columns)
      .set_us(0x0028, 0x0100, 16)
      .set_us(0x0028, 0x0101, 12)
      .set_us(0x0028, 0x0102, 11)
      .set_us(0x0028, 0x0103, 0);
  if (s.frames > 1) b.set(0x0028, 0x0008, "IS", std::to_string(s.frames));
  std::string pixels;
  const std::uint32_t seed = fnv(s.sop_uid);
  const std::int64_t n = static_cast<std::int64_t>(s.rows) * s.columns * s.frames;
  pixels.reserve(static_cast<std::size_t>(n) * 2);
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t x = i % s.columns, y = (i / s.columns) % s.rows;
    put16(pixels, static_cast<std::uint16_t>((x * 37 + y * 11 + seed + (x * y) % 97) & 0x0fff));
  }
  b.set(0x7FE0, 0x0010, "OW", pixels);
  return b;
}

DicomBuilder make_ecg(const std::string& patient_id, const std::string& study_uid, const std::string& series_uid,
                      const std::string& sop_uid) {
  DicomBuilder b;
  b.set(0x0008, 0x0016, "UI", kTwelveLeadEcg)
      .set(0x0008, 0x0018, "UI", sop_uid)
      .set(0x0008, 0x0020, "DA", "20250301")
      .set(0x0008, 0x0030, "TM", "100000")
      .set(0x0008, 0x0060, "CS", "ECG")
      .set(0x0010, 0x0010, "PN", "ZHANG^SAN")
      .set(0x0010, 0x0020, "LO", patient_id)
      .set(0x0020, 0x000D, "UI", study_uid)
      .set(0x0020, 0x000E, "UI", series_uid)
      .set(0x0020, 0x0011, "IS", "1")
      .set(0x0020, 0x0013, "IS", "1");
  // One multiplex group: 2 channels x 10 samples of 16-bit signed data.
  DicomBuilder group;
  std::string samples;
  for (int i = 0; i < 20; ++i) put16(samples, static_cast<std::uint16_t>((i * 53) % 400));
  group.set_us(0x003A, 0x0005, 2)
      .set(0x003A, 0x0010, "UL", std::string("\x0a\0\0\0", 4))
      .set(0x003A, 0x001A, "DS", "500")
      .set_us(0x5400, 0x1004, 16)
      .set(0x5400, 0x1006, "CS", "SS")
      .set(0x5400, 0x1010, "OW", samples);
  b.set_sequence(0x5400, 0x0100, group);
  return b;
}

std::string test_uid(const std::string& kind, std::int64_t n) {
  return "1.2.826.0.1.3680043.10.1000." + std::to_string(fnv(kind) % 100000) + "." + std::to_string(n);
}

void write_file(const std::filesystem::path& p, const std::string& bytes) {
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

ImageSpec series_image(const std::string& patient_id, const std::string& study, int n, std::uint16_t size,
                       std::int64_t frames) {
  ImageSpec s;
  s.patient_id = patient_id;
  s.study_uid = study;
  s.series_uid = study + ".1";
  s.sop_uid = study + ".1." + std::to_string(n);
  s.instance_number = n;
  s.rows = s.columns = size;
  s.frames = frames;
  return s;
}

std::string wado_instance_path(const ImageSpec& s) {
  return "/dicom-web/studies/" + s.study_uid + "/series/" + s.series_uid + "/instances/" + s.sop_uid;
}

}  // namespace teledx::test
