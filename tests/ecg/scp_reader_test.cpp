// SCP-ECG encodings beyond the Huffman-coded example: data without Huffman tables and reference-beat subtraction.
#include <catch2/catch.hpp>

#include <cmath>

#include "scp_builder.hpp"
#include "teledx/ecg/readers.hpp"

using namespace teledx::ecg;
using namespace teledx::ecg::test;

namespace {

bool mentions(const teledx::Error& e, const std::string& s) { return e.message.find(s) != std::string::npos; }

// A 5-s two-lead recording (I, V1) at 500 Hz whose beats were coded against a 600-ms reference beat.
struct Subtracted {
  static constexpr int kSamples = 2500, kBeat = 300, kBeatFiducial = 101;  // fiducial: sample number from 1
  int beat_unit;                                                              // nV per section 5 value
  std::vector<int> beat_i, beat_v1;      // the reference beat, in section 5's unit
  std::vector<int> residual_i, residual_v1;  // section 6: what the encoder left, in 5000 nV units
  struct Zone { int type, start, fiducial, end; };
  std::vector<Zone> zones;

  // The rhythm's unit is 5000 nV; a reference beat written twice as fine (2500) must come back the same.
  explicit Subtracted(int beat_unit = 5000) : beat_unit(beat_unit) {
    for (int k = 0; k < kBeat; ++k) {
      const double qrs = 1000 * std::exp(-std::pow((k - 100) / 6.0, 2)), t = 200 * std::exp(-std::pow((k - 220) / 25.0, 2));
      beat_i.push_back(int(std::lround((qrs + t) * 1000 / beat_unit)));  // uV -> units
      beat_v1.push_back(int(std::lround((-0.5 * qrs + t) * 1000 / beat_unit)));
    }
    for (int k = 0; k < kSamples; ++k) {
      residual_i.push_back(int(std::lround(8 * std::sin(k * 0.01))));
      residual_v1.push_back(int(std::lround(-5 * std::sin(k * 0.013))));
    }
    // Four beats; the third is of another type (a PVC, inverted in I): it stays in the rhythm data, not subtracted.
    for (int fid : {301, 801, 1301, 1801}) zones.push_back({fid == 1301 ? 1 : 0, fid - 60, fid, fid + 120});
    for (int k = 1240; k <= 1420; ++k) residual_i[std::size_t(k - 1)] -= 400 * (k >= 1290 && k <= 1312);
  }
  int in_beat(const Zone& z, int k) const { return kBeatFiducial + (k - z.fiducial) - 1; }

  /// What the reader must give back for sample `k` (from 1), in uV.
  double expected(bool v1, int k) const {
    double uv = (v1 ? residual_v1 : residual_i)[std::size_t(k - 1)] * 5.0;
    for (const auto& z : zones)
      if (z.type == 0 && k >= z.start && k <= z.end)
        uv += (v1 ? beat_v1 : beat_i)[std::size_t(in_beat(z, k))] * beat_unit / 1000.0;
    return uv;
  }

  std::vector<std::uint8_t> file(bool with_section5 = true, int beat_interval_us = 2000) const {
    std::vector<std::uint8_t> s4;
    le(s4, kBeat * 2, 2);  // ms
    le(s4, kBeatFiducial, 2);
    le(s4, std::uint32_t(zones.size()), 2);
    for (const auto& z : zones) {
      le(s4, std::uint32_t(z.type), 2);
      le(s4, std::uint32_t(z.start), 4), le(s4, std::uint32_t(z.fiducial), 4), le(s4, std::uint32_t(z.end), 4);
    }
    for (const auto& z : zones) le(s4, std::uint32_t(z.start - 10), 4), le(s4, std::uint32_t(z.end + 10), 4);
    std::map<int, std::vector<std::uint8_t>> sections{
        {3, scp_lead_section({1, 3}, kSamples, 1 | 4)},
        {4, s4},
        {6, scp_signal_section(5000, 2000, 0, {scp_int16(residual_i), scp_int16(residual_v1)})}};
    if (with_section5)
      sections[5] = scp_signal_section(beat_unit, beat_interval_us, 0, {scp_int16(beat_i), scp_int16(beat_v1)});
    return scp_file(sections);
  }
};

}  // namespace

TEST_CASE("an SCP-ECG record without Huffman tables reads each lead's values as two-byte integers") {
  // No section 2: the standard's uncompressed form, as carts write when they do not compress. These values were
  // decoded with the default Huffman table before, into noise or a refusal.
  std::vector<int> i, ii;
  for (int k = 0; k < 1000; ++k) {
    i.push_back(int(std::lround(3000 * std::sin(k * 0.025))));
    ii.push_back(-i.back() / 2 - 30000 + 60 * k);  // the whole two-byte range, both signs
  }
  const auto bytes = scp_file({{3, scp_lead_section({1, 2}, 1000, 4)},
                               {6, scp_signal_section(5000, 2000, 0, {scp_int16(i), scp_int16(ii)})}});
  auto w = read_ecg_bytes(bytes, "x.scp");
  REQUIRE(w.ok());
  CHECK(w->sample_rate_hz == 500);
  REQUIRE(w->sample_count() == 1000);
  const auto &got_i = w->find(Lead::I)->uv, &got_ii = w->find(Lead::II)->uv;
  for (std::size_t k = 0; k < 1000; ++k) {
    INFO("sample " << k);
    REQUIRE(got_i[k] == float(i[k] * 5));
    REQUIRE(got_ii[k] == float(ii[k] * 5));
  }
  REQUIRE(w->find(Lead::III));  // derived from I and II, as for every 2-limb-lead record
}

TEST_CASE("SCP-ECG reference-beat subtraction: the beat is added back in each zone of type 0 and only there") {
  for (int beat_unit : {5000, 2500}) {
    INFO("reference beat unit " << beat_unit << " nV, rhythm 5000 nV");
    const Subtracted r(beat_unit);
    auto w = read_ecg_bytes(r.file(), "x.scp");
    REQUIRE(w.ok());
    REQUIRE(w->sample_count() == std::size_t(Subtracted::kSamples));
    const auto &i = w->find(Lead::I)->uv, &v1 = w->find(Lead::V1)->uv;
    for (int k = 1; k <= Subtracted::kSamples; ++k) {
      INFO("sample " << k);
      REQUIRE(i[std::size_t(k - 1)] == Approx(r.expected(false, k)).margin(1e-3));
      REQUIRE(v1[std::size_t(k - 1)] == Approx(r.expected(true, k)).margin(1e-3));
    }
    // The R waves are there again: about 1 mV in I, -0.5 mV in V1, at each beat but the PVC (inverted in I).
    CHECK(i[300] > 900);
    CHECK(v1[300] < -400);
    CHECK(i[1300] < -900);
    REQUIRE(w->device_median);  // section 5 is the device's median beat too
    CHECK(w->device_median->sample_count() == std::size_t(Subtracted::kBeat));
  }
}

TEST_CASE("SCP-ECG reference-beat subtraction that cannot be undone is refused with the reason") {
  const Subtracted r;
  SECTION("no reference beat") {
    auto w = read_ecg_bytes(r.file(false), "x.scp");
    REQUIRE_FALSE(w.ok());
    CHECK(mentions(w.error(), "section 5 (the reference beat) is missing"));
  }
  SECTION("a reference beat at another rate (bimodal compression)") {
    auto w = read_ecg_bytes(r.file(true, 1000), "x.scp");
    REQUIRE_FALSE(w.ok());
    CHECK(mentions(w.error(), "different sample intervals"));
  }
  SECTION("a zone past the end of the recording") {
    Subtracted late;
    late.zones.back() = {0, 2400, 2460, 2580};
    auto w = read_ecg_bytes(late.file(), "x.scp");
    REQUIRE_FALSE(w.ok());
    CHECK(mentions(w.error(), "QRS 4 (samples 2400-2580) lies outside the recording"));
  }
  SECTION("a zone reaching past the reference beat") {
    Subtracted wide;
    wide.zones[1].end = wide.zones[1].fiducial + 250;  // the beat has 200 samples after its fiducial
    auto bytes = wide.file();
    auto w = read_ecg_bytes(bytes, "x.scp");
    REQUIRE_FALSE(w.ok());
    CHECK(mentions(w.error(), "QRS 2"));
  }
}

TEST_CASE("SCP-ECG bimodal compression is still refused with a clear message") {
  std::vector<int> x(1000, 0);
  auto s6 = scp_signal_section(5000, 2000, 0, {scp_int16(x)});
  s6[5] = 1;  // bimodal
  auto w = read_ecg_bytes(scp_file({{3, scp_lead_section({1}, 1000, 4)}, {6, s6}}), "x.scp");
  REQUIRE_FALSE(w.ok());
  CHECK(mentions(w.error(), "bimodal compression is not supported"));
}

TEST_CASE("an SCP-ECG's patient and device come from its section 1, a Chinese cart's GB2312 name as UTF-8") {
  // Tags: 0 last name, 1 first name, 2 ID, 5 birth date, 8 sex, 14 the acquiring device, 25/26 when, 255 the end.
  std::vector<std::uint8_t> s1;
  auto tag = [&s1](int t, const std::vector<std::uint8_t>& v) {
    s1.push_back(std::uint8_t(t));
    le(s1, std::uint32_t(v.size()), 2);
    s1.insert(s1.end(), v.begin(), v.end());
  };
  tag(0, {0xD5, 0xC5, 0});  // 张, GB2312, NUL-terminated as carts write it
  tag(1, {0xC8, 0xFD, 0});  // 三
  tag(2, {'P', '-', '0', '0', '4', '2', 0});
  tag(5, {0xA8, 0x07, 3, 15});  // 1960-03-15
  tag(8, {2});
  std::vector<std::uint8_t> device(36, 0);
  const std::string model = "SE-12", maker = "EDAN";
  std::copy(model.begin(), model.end(), device.begin() + 8);
  device[35] = 4;  // the analysing program's revision, "1.0" and its NUL
  for (char c : std::string("1.0") + '\0' + "SN1" + '\0' + "v2" + '\0' + "scp1" + '\0' + maker + '\0') device.push_back(std::uint8_t(c));
  tag(14, device);
  tag(25, {0xEA, 0x07, 11, 28});  // 2026-11-28
  tag(26, {9, 5, 30});
  tag(255, {});
  const auto bytes = scp_file({{1, s1}, {3, scp_lead_section({1, 2}, 1000, 4)},
                               {6, scp_signal_section(5000, 2000, 0, {scp_int16(std::vector<int>(1000, 0)),
                                                                      scp_int16(std::vector<int>(1000, 0))})}});
  auto w = read_ecg_bytes(bytes, "x.scp");
  REQUIRE(w.ok());
  CHECK(w->patient.name == "张^三");
  CHECK(w->patient.id == "P-0042");
  CHECK(w->patient.birth_date == "19600315");
  CHECK(w->patient.sex == "F");
  CHECK(w->device == "EDAN SE-12");
  CHECK(w->acquisition_time == "2026-11-28T09:05:30");
}

TEST_CASE("an SCP-ECG section 1 with unknown birth date and sex leaves them empty") {
  std::vector<std::uint8_t> s1{2, 3, 0, 'I', 'D', 0, 5, 4, 0, 0, 0, 0, 0, 8, 1, 0, 0, 255, 0, 0};
  const auto bytes = scp_file({{1, s1}, {3, scp_lead_section({1}, 1000, 4)},
                               {6, scp_signal_section(5000, 2000, 0, {scp_int16(std::vector<int>(1000, 0))})}});
  auto w = read_ecg_bytes(bytes, "x.scp");
  REQUIRE(w.ok());
  CHECK(w->patient.id == "ID");
  CHECK(w->patient.name.empty());
  CHECK(w->patient.birth_date.empty());
  CHECK(w->patient.sex.empty());
}
