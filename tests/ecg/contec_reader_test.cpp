#include <catch2/catch.hpp>
#include <algorithm>
#include <nlohmann/json.hpp>

#include "ecg_test_data.hpp"
#include "teledx/ecg/analysis.hpp"
#include "teledx/ecg/readers.hpp"

using namespace teledx;
using namespace teledx::ecg;
using teledx::ecg::test::shared_data;

namespace {
// The sample is GPL-licensed test data: read from ../shared, never copied into tests/data (MANIFEST.md).
const char* const kSample = "formats/contec/0000037.ECG";

std::vector<std::uint8_t> sample_bytes() {
  auto b = read_file_bytes(shared_data() / kSample);
  REQUIRE(b.ok());
  return *b;
}

void set_sample(std::vector<std::uint8_t>& b, std::size_t row, std::size_t channel, std::uint16_t v) {
  const std::size_t at = 43 + 16 * row + 2 * channel;
  b[at] = std::uint8_t(v & 0xFF), b[at + 1] = std::uint8_t(v >> 8);
}
}  // namespace

TEST_CASE("A Contec ECG90A file reads as its connected leads at 800 Hz, with I and the augmented leads derived", "[ecg]") {
  ECG_REQUIRE_SHARED(kSample);
  const auto bytes = sample_bytes();
  CHECK(detect_format(bytes, "upload.bin") == Format::Contec);  // by content, not by name
  auto w = read_ecg_bytes(bytes, "0000037.ECG");
  REQUIRE(w.ok());
  CHECK(w->source_format == "contec");
  CHECK(w->device == "Contec ECG90A");
  CHECK(w->sample_rate_hz == 800);
  CHECK(w->sample_count() == (bytes.size() - 80) / 16);  // 8,375 samples, 10.5 s
  CHECK(w->acquisition_time == "2020-11-15T12:59:50");
  CHECK(w->patient.name == "Niccolo");
  CHECK(w->patient.sex == "M");
  // V1-V6 were not connected on this recording (0x6800 throughout): left out, not shown as flat lines.
  std::vector<std::string> names;
  for (const auto& l : w->leads) names.push_back(l.label);
  CHECK(names == std::vector<std::string>{"I", "II", "III", "aVR", "aVL", "aVF"});
  CHECK(w->unconnected_leads == std::vector<Lead>{Lead::V1, Lead::V2, Lead::V3, Lead::V4, Lead::V5, Lead::V6});
  const auto& i = w->find(Lead::I)->uv;
  const auto& ii = w->find(Lead::II)->uv;
  const auto& iii = w->find(Lead::III)->uv;
  const auto& avf = w->find(Lead::aVF)->uv;
  for (std::size_t k = 0; k < w->sample_count(); k += 97) {
    CHECK(i[k] == Approx(ii[k] - iii[k]));
    CHECK(avf[k] == Approx(ii[k] - i[k] / 2));
  }
  // 2048 = 0 V, 5 µV a unit: the first raw samples of II and III are known.
  CHECK(ii[0] == Approx((int(bytes[43] | (bytes[44] << 8)) - 2048) * 5.0));
  CHECK(iii[0] == Approx((int(bytes[45] | (bytes[46] << 8)) - 2048) * 5.0));
  // The summary stored with the exam serialises (the name was checked to be plain ASCII).
  CHECK(to_json(*w).dump().find("\"contec\"") != std::string::npos);

  // Analysed like any other ECG: a resting rhythm is found in the six limb leads.
  const auto a = analyze(*w);
  REQUIRE(a.measurements.heart_rate.has_value());
  CHECK(*a.measurements.heart_rate > 40);
  CHECK(*a.measurements.heart_rate < 120);
  // ...and the technician is told the chest leads were off, before the patient leaves.
  int off = 0;
  for (const auto& q : a.quality) off += q.code == "lead_off" && q.lead && *q.lead >= Lead::V1 && *q.lead <= Lead::V6;
  CHECK(off == 6);
  CHECK(std::any_of(a.quality.begin(), a.quality.end(), [](const Statement& q) {
    return q.code == "repeat_recording" && q.text.find("chest") != std::string::npos;
  }));
}

TEST_CASE("A truncated, lead-less or foreign Contec file is refused with a sentence, not a crash", "[ecg]") {
  ECG_REQUIRE_SHARED(kSample);
  const auto bytes = sample_bytes();

  auto cut = bytes;
  cut.resize(cut.size() - 7);  // not a whole number of 8-channel samples
  auto r = read_ecg_bytes(cut, "x.ECG");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("truncated") != std::string::npos);

  auto header_only = std::vector<std::uint8_t>(bytes.begin(), bytes.begin() + 43 + 37);
  r = read_contec_ecg(header_only);
  REQUIRE_FALSE(r.ok());

  auto no_limb = bytes;
  for (std::size_t row = 0; row < (bytes.size() - 80) / 16; ++row) set_sample(no_limb, row, 1, 0x6800);
  r = read_ecg_bytes(no_limb, "x.ECG");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("not connected") != std::string::npos);

  // The cart's end-of-data row (0 V in every channel) ends the signal there.
  auto ended = bytes;
  for (std::size_t ch = 0; ch < 8; ++ch) set_sample(ended, 1600, ch, 2048);
  auto e = read_ecg_bytes(ended, "x.ECG");
  REQUIRE(e.ok());
  CHECK(e->sample_count() == 1600);

  // Another file with a date at byte 10 but no zero byte after it (a CSV's first line) is not taken for Contec.
  const std::string csv = "timestamp,2020-11-15 12:59:50,II\n0,0,1\n";
  CHECK(detect_format(test::as_bytes(csv), "x.csv") == Format::Csv);
}

TEST_CASE("A Contec patient name typed in Chinese (GBK) reads as UTF-8, a cut or foreign name is left out", "[ecg]") {
  ECG_REQUIRE_SHARED(kSample);
  const auto named = [](std::vector<std::uint8_t> field) {
    auto bytes = sample_bytes();
    field.resize(8, 0);  // the name field: 8 bytes at offset 32, zero-padded
    std::copy(field.begin(), field.end(), bytes.begin() + 32);
    auto w = read_ecg_bytes(bytes, "x.ECG");
    REQUIRE(w.ok());
    CHECK_NOTHROW(nlohmann::json(w->patient.name).dump());  // valid UTF-8 always: the JSON stored with it
    return w->patient.name;
  };
  CHECK(named({0xD5, 0xC5, 0xC8, 0xFD}) == "\u5f20\u4e09");                          // 张三
  CHECK(named({0xCD, 0xF5, 0xD0, 0xA1, 0xC3, 0xF7}) == "\u738b\u5c0f\u660e");       // 王小明
  CHECK(named({'L', 'i', ' ', 0xC0, 0xEE}) == "Li \u674e");                            // mixed ASCII and GBK
  CHECK(named({0xD5, 0xC5, 0xC8}).empty());  // cut inside a character
  CHECK(named({'A', 0x01, 'B'}).empty());    // a control character
}

TEST_CASE("Leads stored as II and III get I, aVR, aVL and aVF derived by Einthoven's law", "[ecg]") {
  LeadSet s;
  s.sample_rate_hz = 500;
  s.leads.push_back({Lead::II, {1000, -200, 0}, "II"});
  s.leads.push_back({Lead::III, {400, 100, 0}, "III"});
  CHECK(derive_limb_leads(s) == 4);
  std::vector<std::string> names;
  for (const auto& l : s.leads) names.push_back(l.label);
  CHECK(names == std::vector<std::string>{"I", "II", "III", "aVR", "aVL", "aVF"});
  CHECK(s.find(Lead::I)->uv == std::vector<float>{600, -300, 0});
  CHECK(s.find(Lead::aVR)->uv[0] == Approx(-(600 + 1000) / 2.0));
  CHECK(s.find(Lead::aVL)->uv[0] == Approx(600 - 1000 / 2.0));
  CHECK(s.find(Lead::aVF)->uv[0] == Approx(1000 - 600 / 2.0));
  CHECK(derive_limb_leads(s) == 0);  // nothing missing any more
}
