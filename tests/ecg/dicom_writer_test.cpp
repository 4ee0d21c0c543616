// A waveform converted to a DICOM ECG instance reads back as the same ECG, keeps the original file, and the
// conversion refuses what no DICOM ECG class can hold.
#include "teledx/ecg/dicom_writer.hpp"

#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>

#include "ecg_test_data.hpp"
#include "synthetic_ecg.hpp"
#include <nlohmann/json.hpp>

#include "teledx/ecg/analysis.hpp"
#include "teledx/ecg/readers.hpp"
#include "support/temp_dir.hpp"

using namespace teledx;
using namespace teledx::ecg;
using teledx::ecg::test::local_data;

namespace {

std::vector<std::uint8_t> file_bytes(const std::filesystem::path& p) {
  auto b = read_file_bytes(p);
  REQUIRE(b.ok());
  return *b;
}

bool contains(const std::vector<std::uint8_t>& hay, const std::vector<std::uint8_t>& needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

std::string sop_class_of(const std::vector<std::uint8_t>& file) {
  auto w = std::string(file.begin(), file.end());
  for (const char* uid : {"1.2.840.10008.5.1.4.1.1.9.1.1", "1.2.840.10008.5.1.4.1.1.9.1.2", "1.2.840.10008.5.1.4.1.1.9.1.3"})
    if (w.find(std::string(uid) + '\0') != std::string::npos) return uid;
  return "";
}

}  // namespace

TEST_CASE("a Philips XML ECG written as DICOM reads back with the same leads, microvolts, patient and original",
          "[ecg][dicom_writer]") {
  auto original = file_bytes(local_data() / "philips_129DYPRG.xml");
  auto w = read_ecg_bytes(original, "philips_129DYPRG.xml");
  REQUIRE(w.ok());
  CHECK(w->patient.id == "1112010721168bdc");
  CHECK(w->patient.sex == "M");
  teledx::test::TempDir dir;
  DicomEcgHeader h;
  h.patient = w->patient;
  h.patient.name = "王^五";
  h.source_name = "philips_129DYPRG.xml";
  auto out = dir.path() / "ecg.dcm";
  auto written = write_dicom_ecg(*w, h, {{"philips_129DYPRG.xml", original}}, out);
  REQUIRE(written.ok());
  CHECK(written->sop_class_uid == "1.2.840.10008.5.1.4.1.1.9.1.1");  // 12 leads, 10 s at 500 Hz
  CHECK(written->channels == 12);
  auto dcm = file_bytes(out);
  CHECK(contains(dcm, original));  // the original XML travels inside the instance, byte for byte
  auto back = read_dicom_ecg(dcm);
  REQUIRE(back.ok());
  CHECK(back->sample_rate_hz == w->sample_rate_hz);
  REQUIRE(back->leads.size() == w->leads.size());
  double worst = 0;
  for (std::size_t l = 0; l < w->leads.size(); ++l) {
    CHECK(back->leads[l].lead == w->leads[l].lead);
    REQUIRE(back->leads[l].uv.size() == w->leads[l].uv.size());
    for (std::size_t k = 0; k < w->leads[l].uv.size(); ++k)
      worst = std::max(worst, double(std::fabs(back->leads[l].uv[k] - w->leads[l].uv[k])));
  }
  CHECK(worst <= 0.5 + 1e-3);  // rounding to 1 µV
  CHECK(back->device_statements == w->device_statements);
  CHECK(back->acquisition_time == w->acquisition_time);
  CHECK(std::string(dcm.begin(), dcm.end()).find("王^五") != std::string::npos);  // UTF-8 name as given
}

TEST_CASE("a long two-lead ambulatory record becomes General ECG, research channels are left out",
          "[ecg][dicom_writer]") {
  Waveform w;
  w.source_format = "wfdb";
  w.sample_rate_hz = 360;
  const std::size_t n = 360 * 60;
  w.leads.push_back({Lead::MLII, std::vector<float>(n), "MLII"});
  w.leads.push_back({Lead::V5, std::vector<float>(n), "V5"});
  w.leads.push_back({Lead::Other, std::vector<float>(n), "RESP"});
  for (std::size_t k = 0; k < n; ++k) w.leads[0].uv[k] = float(800 * std::sin(k * 0.05)), w.leads[1].uv[k] = float(-40000.0 + double(k % 7));
  teledx::test::TempDir dir;
  auto written = write_dicom_ecg(w, {}, {}, dir.path() / "long.dcm");
  REQUIRE(written.ok());
  CHECK(written->sop_class_uid == "1.2.840.10008.5.1.4.1.1.9.1.2");
  CHECK(written->channels == 2);
  auto dcm = file_bytes(dir.path() / "long.dcm");
  CHECK(sop_class_of(dcm) == written->sop_class_uid);
  auto back = read_dicom_ecg(dcm);
  REQUIRE(back.ok());
  REQUIRE(back->leads.size() == 2);
  CHECK(back->find(Lead::MLII));
  // A lead beyond ±32 mV gets a coarser sensitivity instead of clipping.
  CHECK(back->find(Lead::V5)->uv[0] == Approx(-40000).margin(2));
  CHECK(back->find(Lead::MLII)->uv[100] == Approx(w.leads[0].uv[100]).margin(0.5));
}

TEST_CASE("conversion refuses an ECG no DICOM class can hold, naming why", "[ecg][dicom_writer]") {
  teledx::test::TempDir dir;
  Waveform research;
  research.source_format = "csv";
  research.sample_rate_hz = 500;
  research.leads.push_back({Lead::Other, std::vector<float>(500), "ECG1"});
  auto r = write_dicom_ecg(research, {}, {}, dir.path() / "a.dcm");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::BadRequest);
  CHECK(r.error().message.find("no lead with a standard name") != std::string::npos);
  Waveform fast = research;
  fast.sample_rate_hz = 2000;
  fast.leads[0].lead = Lead::II;
  r = write_dicom_ecg(fast, {}, {}, dir.path() / "b.dcm");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("2000 Hz") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.path() / "b.dcm"));
}

TEST_CASE("leads recorded without signal are stored as DISCONNECTED channels and read back as unconnected, not flat",
          "[ecg][dicom_writer]") {
  teledx::ecg::test::Synth spec;
  auto w = teledx::ecg::test::synth_ecg(spec);
  // A cart whose chest electrodes were never put on: limb leads only, V1-V6 named as unconnected.
  std::erase_if(w.leads, [](const LeadSignal& l) { return l.lead >= Lead::V1 && l.lead <= Lead::V6; });
  w.unconnected_leads = {Lead::V1, Lead::V2, Lead::V3, Lead::V4, Lead::V5, Lead::V6};
  teledx::test::TempDir dir;
  auto written = write_dicom_ecg(w, {}, {}, dir.path() / "limbs.dcm");
  REQUIRE(written.ok());
  CHECK(written->sop_class_uid == "1.2.840.10008.5.1.4.1.1.9.1.1");  // still a 12-lead ECG
  CHECK(written->channels == 12);
  auto dcm = file_bytes(dir.path() / "limbs.dcm");
  const std::string status = "DISCONNECTED";
  CHECK(contains(dcm, std::vector<std::uint8_t>(status.begin(), status.end())));
  auto back = read_dicom_ecg(dcm);
  REQUIRE(back.ok());
  CHECK(back->leads.size() == 6);
  CHECK_FALSE(back->find(Lead::V1));
  CHECK(back->unconnected_leads == w.unconnected_leads);
  CHECK(to_json(*back)["unconnected_leads"] == nlohmann::json{"V1", "V2", "V3", "V4", "V5", "V6"});
  // The analysis of the stored exam still tells the technician.
  const auto a = analyze(*back);
  CHECK(std::count_if(a.quality.begin(), a.quality.end(), [](const Statement& q) { return q.code == "lead_off"; }) == 6);
  CHECK(std::any_of(a.quality.begin(), a.quality.end(), [](const Statement& q) { return q.code == "repeat_recording"; }));
  // The same ECG with all twelve leads connected says none of this.
  const auto full = analyze(teledx::ecg::test::synth_ecg(spec));
  CHECK(std::none_of(full.quality.begin(), full.quality.end(),
                     [](const Statement& q) { return q.code == "lead_off" || q.code == "repeat_recording"; }));
}
