// Non-DICOM ECG files through the browser/agent upload API: each format is read, converted into a DICOM ECG
// instance and routed to the ECG center with the machine analysis; bad files get a 4xx naming what is wrong
// and nothing is stored.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "demo_server.hpp"
#include "ecg/scp_builder.hpp"
#include "ecg/synthetic_ecg.hpp"
#include "teledx/ecg/evaluation.hpp"
#include "support/pdf_info.hpp"
#include "support/temp_dir.hpp"

using namespace teledx::test;
using teledx::ecg::test::csv_of;
using nlohmann::json;

namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  REQUIRE(in.good());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::filesystem::path local(const std::string& rel) { return std::filesystem::path(TELEDX_TEST_DATA_DIR) / "ecg" / rel; }
std::filesystem::path shared(const std::string& rel) {
  return std::filesystem::path(TELEDX_SOURCE_DIR) / "../shared/data/ecg" / rel;
}

struct Upload {
  DemoServer& s;
  std::string id;
  const std::string& tech() const { return s.token("clinic2-tech"); }

  explicit Upload(DemoServer& server, json request = json::object()) : s(server) {
    if (!request.contains("reason")) request["reason"] = "胸痛 chest pain";
    auto r = s.client().post_json("/api/uploads", request, tech());
    INFO(r.body);
    REQUIRE(r.status == 201);
    id = r.json()["upload_id"];
  }
  HttpResult file(const std::string& name, const std::string& bytes, const std::string& type) const {
    return s.client().request("POST", "/api/uploads/" + id + "/files?name=" + name, bytes,
                              {{"Authorization", "Bearer " + tech()}, {"Content-Type", type}});
  }
  /// Several files as multipart/form-data (a WFDB record).
  HttpResult form(const std::vector<std::pair<std::string, std::string>>& files) const {
    const std::string b = "teledxFormBoundary7MA4YWxk";
    std::string body;
    for (const auto& [name, bytes] : files)
      body += "--" + b + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + name +
              "\"\r\nContent-Type: application/octet-stream\r\n\r\n" + bytes + "\r\n";
    body += "--" + b + "--\r\n";
    return s.client().request("POST", "/api/uploads/" + id + "/files", body,
                              {{"Authorization", "Bearer " + tech()}, {"Content-Type", "multipart/form-data; boundary=" + b}});
  }
  /// Completes the session and returns the ECG center's task for the study.
  json complete_and_find_task(const std::string& study) const {
    auto done = s.client().post_json("/api/uploads/" + id + "/complete", json::object(), tech());
    INFO(done.body);
    REQUIRE(done.status == 200);
    json task = s.ecg_task(study);
    INFO("study " << study);
    REQUIRE_FALSE(task.is_null());
    return task;
  }
};

/// The checks every converted upload must pass: one stored ECG instance, a task at the ECG center with the
/// machine analysis of the real waveform, nothing at the imaging center.
json expect_ecg_task(DemoServer& s, const Upload& up, const HttpResult& r, const std::string& format) {
  INFO(r.body);
  REQUIRE(r.status == 200);
  const json f = r.json()["files"][0];
  CHECK(f["status"] == "stored");
  CHECK(f["converted_from"] == format);
  CHECK(f["sop_class_uid"].get<std::string>().rfind("1.2.840.10008.5.1.4.1.1.9.1.", 0) == 0);
  auto task = up.complete_and_find_task(f["study_instance_uid"]);
  CHECK(task["kind"] == "ecg");
  CHECK(task["machine_flags"]["machine_generated"] == true);
  CHECK(task["machine_flags"]["beats"]["count"].get<int>() > 3);
  // The worklist carries the counts; the task itself the beat-by-beat list.
  CHECK_FALSE(task["machine_flags"]["beats"].contains("list"));
  auto one = s.client().get("/api/tasks/" + std::to_string(task["id"].get<long>()), s.token("ecg-lead")).json();
  CHECK(one["machine_flags"]["beats"]["list"].size() == task["machine_flags"]["beats"]["count"].get<std::size_t>());
  CHECK(task["request"]["reason"] == "胸痛 chest pain");
  auto img = s.client().get("/api/tasks?limit=500", s.token("img-lead")).json();
  for (const auto& t : img["tasks"]) CHECK(t["study_uid"] != f["study_instance_uid"]);
  return task;
}

/// The task's machine quality statement of that code; null when there is none.
json quality_statement(const json& task, const std::string& code) {
  for (const auto& q : task["machine_flags"]["quality"])
    if (q["code"] == code) return q;
  return nullptr;
}

/// The task carries that quality statement as a warning asking the clinic, in Chinese, to record again.
void check_asks_to_repeat(const json& task, const std::string& code) {
  INFO(code);
  const json q = quality_statement(task, code);
  REQUIRE_FALSE(q.is_null());
  CHECK(q["severity"] == "warning");
  CHECK(q["text_zh"].get<std::string>().find("重新描记") != std::string::npos);
}

}  // namespace

TEST_CASE("an HL7 aECG upload becomes an ECG-center task with the patient named in the file", "[server][ecg][upload]") {
  auto& s = DemoServer::instance();
  Upload up(s);
  // Sent as application/dicom, as the web front end sends every single file: the content decides.
  auto task = expect_ecg_task(s, up, up.file("Example_aECG.xml", slurp(local("Example_aECG.xml")), "application/dicom"),
                              "hl7-aecg");
  CHECK(task["patient"]["name"] == "Clark");
  CHECK(task["patient"]["id"] == "SBJ-123");
  CHECK(task["patient"]["sex"] == "M");
  CHECK(task["modality"] == "ECG");
}

TEST_CASE("a Philips XML upload takes the patient's ID from the file and the name from the upload form",
          "[server][ecg][upload]") {
  auto& s = DemoServer::instance();
  Upload up(s, {{"patient", {{"name", "张三"}, {"id", "FORM-ID"}, {"sex", "M"}, {"birth_date", "1960-01-02"}}}});
  auto r = up.file("129DYPRG.XML", slurp(local("philips_129DYPRG.xml")), "application/octet-stream");
  CHECK(r.json()["files"][0]["patient_from"] == "file+form");
  auto task = expect_ecg_task(s, up, r, "philips-xml");
  CHECK(task["patient"]["id"] == "1112010721168bdc");  // the file's ID wins
  CHECK(task["patient"]["name"] == "张三");             // the file has none
  CHECK(task["patient"]["birth_date"] == "19600102");
  // The cart's stated age (50, no birth date in the file) is kept in the stored DICOM for the analysis' thresholds.
  auto meta = s.client().get("/dicom-web/studies/" + task["study_uid"].get<std::string>() + "/metadata", s.token("ecg-lead"));
  INFO(meta.body);
  REQUIRE(meta.status == 200);
  CHECK(meta.json()[0]["00101010"]["Value"][0] == "050Y");
  CHECK(task["patient"]["age"] == "050Y");  // on the worklist and the printed pages too
  auto qido = s.client().get("/dicom-web/studies?StudyInstanceUID=" + task["study_uid"].get<std::string>(), s.token("ecg-lead"));
  REQUIRE(qido.status == 200);
  CHECK(qido.json()[0]["00101010"]["Value"][0] == "050Y");  // and in the QIDO study result
}

TEST_CASE("a WFDB record sent as .hea + .dat in one form is converted, its annotation file is skipped",
          "[server][ecg][upload]") {
  auto& s = DemoServer::instance();
  Upload up(s, {{"patient", {{"name", "李四"}, {"id", "LUDB-3"}}}});
  auto r = up.form({{"3.hea", slurp(local("ludb/3.hea"))}, {"3.dat", slurp(local("ludb/3.dat"))},
                    {"3.i", slurp(local("ludb/3.i"))}});
  INFO(r.body);
  REQUIRE(r.json()["files"].size() == 2);
  CHECK(r.json()["files"][1]["status"] == "skipped");
  CHECK(r.json()["stored"] == 1);
  CHECK(r.json()["files"][0]["leads"] == 12);
  CHECK(r.json()["files"][0]["duration_s"].get<double>() == Approx(10.0));
  auto task = expect_ecg_task(s, up, r, "wfdb");
  CHECK(task["patient"]["name"] == "李四");
  // The form gave no sex or age: the header's "#<sex>: M" and "#<age>: 53" set them (and the ST thresholds).
  CHECK(task["patient"]["sex"] == "M");
  CHECK(task["patient"]["age"] == "053Y");
}

TEST_CASE("a CSV ECG recorded while the electrodes moved reaches the ECG center named unsteady, for the clinic to "
          "repeat", "[server][ecg][upload]") {
  // Two leads, 10 s at 500 Hz, 75/min, with synthetic electrode motion at 0 dB on each (teledx-ecg eval noise).
  const std::size_t n = 5000;
  std::vector<float> ii(n), v5(n);
  for (std::size_t k = 0; k < n; ++k) {
    const double t = std::fmod(double(k) / 500.0, 0.8) - 0.4;
    ii[k] = float(1200 * std::exp(-t * t / (2 * 0.012 * 0.012))), v5[k] = 0.8f * ii[k];
  }
  std::vector<std::int64_t> beats;
  for (std::int64_t b = 200; b < std::int64_t(n); b += 400) beats.push_back(b);
  for (auto* lead : {&ii, &v5}) {
    const auto noise = teledx::ecg::stress_noise(teledx::ecg::StressNoise::ElectrodeMotion, n, 500, lead == &ii ? 1 : 2);
    teledx::ecg::add_noise_at_snr(*lead, noise, teledx::ecg::qrs_peak_to_peak(*lead, 500, beats), 0);
  }
  teledx::ecg::Waveform w;
  w.sample_rate_hz = 500;
  w.leads = {{teledx::ecg::Lead::II, ii, "II"}, {teledx::ecg::Lead::V5, v5, "V5"}};
  auto& s = DemoServer::instance();
  Upload up(s, {{"patient", {{"name", "赵六"}}}});
  auto task = expect_ecg_task(s, up, up.file("moving.csv", csv_of(w), "text/csv"), "csv");
  check_asks_to_repeat(task, "unsteady_tracing");
}

TEST_CASE("a CSV ECG of noise alone, every electrode off, reaches the ECG center named indistinct from noise, with "
          "no critical flag, for the clinic to repeat", "[server][ecg][upload]") {
  // 30 uV of noise on each of 12 leads: under the noisy-lead level, over the 0.1-mV QRS floor in its largest swings.
  teledx::ecg::Waveform w = teledx::ecg::test::synth_ecg({});
  std::mt19937 rng(10);
  std::normal_distribution<double> g(0, 30);
  for (auto& l : w.leads)
    for (auto& v : l.uv) v = float(g(rng));
  auto& s = DemoServer::instance();
  Upload up(s, {{"patient", {{"name", "孙八"}}}});
  auto task = expect_ecg_task(s, up, up.file("electrodes-off.csv", csv_of(w), "text/csv"), "csv");
  check_asks_to_repeat(task, "indistinct_qrs");
  check_asks_to_repeat(task, "repeat_recording");
  REQUIRE(task["machine_flags"]["critical"].is_array());
  CHECK(task["machine_flags"]["critical"].empty());
}

TEST_CASE("a CSV ECG whose transfer broke off for 3.5 s reaches the ECG center named a signal gap, not a critical pause",
          "[server][ecg][upload]") {
  teledx::ecg::Waveform w = teledx::ecg::test::synth_ecg({});  // 72/min, 500 Hz
  for (auto& l : w.leads) std::fill(l.uv.begin() + 2000, l.uv.begin() + 3750, 0.f);
  auto& s = DemoServer::instance();
  Upload up(s, {{"patient", {{"name", "周九"}}}});
  auto task = expect_ecg_task(s, up, up.file("dropout.csv", csv_of(w), "text/csv"), "csv");
  check_asks_to_repeat(task, "signal_gap");
  CHECK(quality_statement(task, "signal_gap")["text"].get<std::string>().find("4.0-7.5 s") != std::string::npos);
  REQUIRE(task["machine_flags"]["critical"].is_array());
  CHECK(task["machine_flags"]["critical"].empty());
}

TEST_CASE("a 12-lead CSV ECG recorded with a trembling arm reaches the ECG center named limb tremor and not flutter",
          "[server][ecg][upload]") {
  teledx::ecg::Waveform w = teledx::ecg::test::synth_ecg({});
  teledx::ecg::add_limb_tremor(w, 5.0, 150);
  auto& s = DemoServer::instance();
  Upload up(s, {{"patient", {{"name", "钱七"}}}});
  auto task = expect_ecg_task(s, up, up.file("tremor.csv", csv_of(w), "text/csv"), "csv");
  const json q = quality_statement(task, "limb_tremor");
  CHECK_FALSE(q.is_null());
  if (!q.is_null()) {
    CHECK(q["severity"] == "warning");
    CHECK(q["text_zh"].get<std::string>().find("5.0 Hz") != std::string::npos);
  }
  for (const auto& st : task["machine_flags"]["rhythm"]) CHECK(st["code"] != "atrial_flutter");
}

TEST_CASE("a CSV ECG is converted, without a patient in file or form it is refused", "[server][ecg][upload]") {
  // Two leads, 10 s at 500 Hz: a 1.2 mV R wave every 0.8 s (75/min) on a flat baseline.
  std::string csv = "# sample_rate=500\nII,V5\n";
  for (int k = 0; k < 5000; ++k) {
    const double t = std::fmod(k / 500.0, 0.8) - 0.4;
    const double r = 1200 * std::exp(-t * t / (2 * 0.012 * 0.012));
    csv += std::to_string(int(r)) + "," + std::to_string(int(0.8 * r)) + "\n";
  }
  auto& s = DemoServer::instance();
  Upload anonymous(s);
  auto refused = anonymous.file("strip.csv", csv, "text/csv");
  CHECK(refused.status == 400);
  CHECK(refused.json()["files"][0]["error"]["message"].get<std::string>().find("names no patient") !=
        std::string::npos);

  Upload up(s, {{"patient", {{"name", "王五"}}}});
  auto task = expect_ecg_task(s, up, up.file("strip.csv", csv, "text/csv"), "csv");
  CHECK(task["machine_flags"]["measurements"]["heart_rate_bpm"].get<double>() == Approx(75).margin(2));
  // The report template's fields are prefilled from the analysis (heart_rate, pr, qrs, qt, qtc, axis, rhythm).
  CHECK(task["machine_flags"]["template_fields"]["heart_rate"].get<int>() == Approx(75).margin(2));
  // The paper ECG prints as PDF for the reading center and the clinic; other centers do not see it.
  const std::string pdf_url = "/api/tasks/" + std::to_string(task["id"].get<std::int64_t>()) + "/ecg.pdf";
  auto pdf = s.client().get(pdf_url, s.token("ecg-lead"));
  REQUIRE(pdf.status == 200);
  CHECK(pdf.body.rfind("%PDF-", 0) == 0);
  CHECK(s.client().get(pdf_url + "?layout=6x2", up.tech()).status == 200);
  CHECK(s.client().get(pdf_url + "?layout=5x5", up.tech()).status == 400);
  CHECK(s.client().get(pdf_url, s.token("img-lead")).status == 404);
  // The same page as a picture, for systems that file images: 267 x 104 mm (two strips under two title lines).
  const std::string png_url = "/api/tasks/" + std::to_string(task["id"].get<std::int64_t>()) + "/ecg.png";
  auto png = s.client().get(png_url + "?px_per_mm=4", up.tech());
  REQUIRE(png.status == 200);
  CHECK(png.headers["content-type"] == "image/png");
  const cv::Mat img = cv::imdecode(std::vector<std::uint8_t>(png.body.begin(), png.body.end()), cv::IMREAD_GRAYSCALE);
  REQUIRE(!img.empty());
  CHECK(img.cols == 267 * 4);
  CHECK(img.rows == 104 * 4);
  CHECK(cv::countNonZero(img < 80) > 2000);  // trace and text ink on the pink grid
  CHECK(s.client().get(png_url + "?px_per_mm=100", up.tech()).status == 400);
  CHECK(s.client().get(png_url, s.token("img-lead")).status == 404);

  // Signed, the report the clinic prints carries the same tracing on an A4 landscape sheet after its text.
  const std::string base = "/api/tasks/" + std::to_string(task["id"].get<std::int64_t>());
  REQUIRE(s.client().post_json(base + "/assign", {{"user_id", s.user_id("ecg-reader1")}}, s.token("ecg-lead")).status ==
          200);
  REQUIRE(s.client()
              .request("PUT", base + "/report/draft",
                       json{{"base_version", 0}, {"findings", "窦性心律，心率75次/分。"}, {"impression", "正常心电图"}}.dump(),
                       {{"Authorization", "Bearer " + s.token("ecg-reader1")}, {"Content-Type", "application/json"}})
              .status == 200);
  auto signed_r = s.client().post_json(base + "/report/sign", json::object(), s.token("ecg-reader1"));
  INFO(signed_r.body);
  REQUIRE(signed_r.status == 200);
  auto report = s.client().get(base + "/report.pdf", up.tech());
  REQUIRE(report.status == 200);
  TempDir dir("teledx-ecg-report");
  {
    std::ofstream out(dir / "report.pdf", std::ios::binary);
    out << report.body;
  }
  if (const char* keep = std::getenv("TELEDX_KEEP_PDF"))  // to look at the printed result
    std::filesystem::copy_file(dir / "report.pdf", std::filesystem::path(keep) / "ecg-report.pdf",
                               std::filesystem::copy_options::overwrite_existing);
  std::string info, text;
  REQUIRE(run_command("pdfinfo -f 1 -l 2 " + (dir / "report.pdf").string(), &info) == 0);
  CHECK(pdf_page_count(info) == 2);
  CHECK(pdf_page_size(info, 2) == "841.89 x 595.276");  // A4 landscape
  REQUIRE(run_command("pdftotext -enc UTF-8 -f 2 -l 2 " + (dir / "report.pdf").string() + " -", &text) == 0);
  INFO(text);
  for (const char* expected : {"心电图诊断报告附图", "王五", "25 mm/s", "10 mm/mV", "II", "V5"})
    CHECK(text.find(expected) != std::string::npos);
  CHECK((text.find("第 2 页") != std::string::npos || text.find("第2页") != std::string::npos));
  // The reader's conclusion stands alone on the signed report: the machine's measurements print, its statements
  // (here "非窦性或未定心律", non-sinus or undetermined rhythm, which the ECG page shows) and flags do not.
  CHECK(text.find("HR 75/min") != std::string::npos);
  CHECK(text.find("非窦性") == std::string::npos);
  CHECK(text.find("Non-sinus") == std::string::npos);
  CHECK(text.find("MACHINE FLAG") == std::string::npos);
  {
    std::ofstream out(dir / "ecg.pdf", std::ios::binary);
    out << pdf.body;
  }
  std::string ecg_text;
  REQUIRE(run_command("pdftotext -enc UTF-8 " + (dir / "ecg.pdf").string() + " -", &ecg_text) == 0);
  // The ECG page states it in Chinese, with its rate, for the clinic that files it.
  CHECK(ecg_text.find("非窦性或未定心律，心室率 75 次/分") != std::string::npos);
  CHECK(ecg_text.find("Non-sinus") == std::string::npos);
  CHECK(text.find(signed_r.json()["report"]["verification_code"].get<std::string>()) != std::string::npos);
}

TEST_CASE("SCP-ECG and GE MUSE samples from the shared set are converted with the patient each file names", "[server][ecg][upload]") {
  // Not copied into the repository (GPL-3.0 / no licence): read from ../shared when present.
  for (const auto& [rel, format] : {std::pair{"formats/scp-ecg/Example.scp", "scp-ecg"},
                                    std::pair{"formats/ge-muse-xml/MUSE_20200923_093504_79000_example.xml", "ge-muse-xml"}}) {
    if (!std::filesystem::exists(shared(rel))) {
      WARN(std::string("skipped: data not present: ") + shared(rel).string());
      continue;
    }
    // No patient in the form: both files name theirs (SCP-ECG in its section 1).
    auto& s = DemoServer::instance();
    Upload up(s);
    auto r = up.file(std::filesystem::path(rel).filename().string(), slurp(shared(rel)), "application/octet-stream");
    CHECK(r.json()["files"][0]["patient_from"] == "file");
    auto task = expect_ecg_task(s, up, r, format);
    if (std::string(format) == "ge-muse-xml") CHECK(task["patient"]["id"] == "201700237");
    if (std::string(format) == "scp-ecg") {
      CHECK(task["patient"]["name"] == "Clark");
      CHECK(task["patient"]["id"] == "SBJ-123");
      CHECK(task["patient"]["sex"] == "M");
    }
  }
}

TEST_CASE("an SCP-ECG coded by reference-beat subtraction without Huffman tables is measured with its beats put back",
          "[server][ecg][upload]") {
  // A 10-s two-lead record at 500 Hz, 60/min: section 6 holds only what is left once the reference beat (section 5:
  // P, QRS, T) was taken out of each beat, so the analysis finds the beats only if the reader adds them back.
  using namespace teledx::ecg::test;
  constexpr int kSamples = 5000, kBeat = 400, kFiducial = 151;
  std::vector<int> beat_i, beat_ii, rest_i(kSamples), rest_ii(kSamples);
  for (int k = 0; k < kBeat; ++k) {
    const auto bump = [k](double at, double width, double uv) { return uv * std::exp(-std::pow((k - at) / width, 2)); };
    const double v = bump(70, 12, 120) + bump(150, 5, 1200) + bump(162, 5, -250) + bump(330, 30, 300);
    beat_i.push_back(int(std::lround(v / 5))), beat_ii.push_back(int(std::lround(v * 1.4 / 5)));  // 5 uV a unit
  }
  for (int k = 0; k < kSamples; ++k) rest_i[std::size_t(k)] = int(std::lround(3 * std::sin(k * 0.02)));
  std::vector<std::uint8_t> s4;
  le(s4, kBeat * 2, 2), le(s4, kFiducial, 2), le(s4, 10, 2);
  for (int b = 0; b < 10; ++b) {  // fiducials at 0.4, 1.4 ... 9.4 s; each zone from 150 samples before to 249 after
    const int fid = 201 + 500 * b;
    le(s4, 0, 2), le(s4, std::uint32_t(fid - 150), 4), le(s4, std::uint32_t(fid), 4), le(s4, std::uint32_t(fid + 249), 4);
  }
  for (int b = 0; b < 10; ++b) le(s4, std::uint32_t(201 + 500 * b - 30), 4), le(s4, std::uint32_t(201 + 500 * b + 60), 4);
  const auto scp = scp_file({{3, scp_lead_section({1, 2}, kSamples, 1 | 4)},
                             {4, s4},
                             {5, scp_signal_section(5000, 2000, 0, {scp_int16(beat_i), scp_int16(beat_ii)})},
                             {6, scp_signal_section(5000, 2000, 0, {scp_int16(rest_i), scp_int16(rest_ii)})}});
  auto& s = DemoServer::instance();
  Upload up(s, {{"patient", {{"name", "钱八"}}}});
  auto task = expect_ecg_task(s, up, up.file("cart.scp", std::string(scp.begin(), scp.end()), "application/octet-stream"),
                              "scp-ecg");
  CHECK(task["machine_flags"]["beats"]["count"] == 10);
  CHECK(task["machine_flags"]["measurements"]["heart_rate_bpm"].get<double>() == Approx(60).margin(1));
}

TEST_CASE("garbage and incomplete ECG files are refused with a 4xx naming the problem, and nothing is stored",
          "[server][ecg][upload]") {
  auto& s = DemoServer::instance();
  Upload up(s, {{"patient", {{"name", "张三"}}}});
  auto garbage = up.file("ecg.xml", "<?xml version=\"1.0\"?><AnnotatedECG><component><series>", "application/xml");
  INFO(garbage.body);
  CHECK(garbage.status == 400);
  const json e = garbage.json()["files"][0];
  CHECK(e["status"] == "failed");
  CHECK(e["error"]["code"] == "bad_request");
  CHECK(e["error"]["message"].get<std::string>().find("ecg.xml (hl7-aecg) is not a readable ECG") == 0);
  auto other_xml = up.file("note.xml", "<?xml version=\"1.0\"?><note>hello</note>", "text/xml");
  CHECK(other_xml.status == 400);
  CHECK(other_xml.json()["files"][0]["error"]["message"].get<std::string>().find("not a readable ECG") !=
        std::string::npos);
  auto header_only = up.file("3.hea", slurp(local("ludb/3.hea")), "text/plain");
  CHECK(header_only.status == 400);
  CHECK(header_only.json()["files"][0]["error"]["message"].get<std::string>().find("signal file") != std::string::npos);
  auto truncated = up.form({{"3.hea", slurp(local("ludb/3.hea"))}, {"3.dat", slurp(local("ludb/3.dat")).substr(0, 5000)}});
  CHECK(truncated.status == 400);
  // Millivolts without a unit: refused with the line to add, not stored as a flat microvolt ECG.
  std::string mv = "# sample_rate=500\nII,V5\n";
  for (int k = 0; k < 2000; ++k) mv += k % 400 == 200 ? "1.25,0.9\n" : "0.02,-0.01\n";
  auto millivolts = up.file("strip-mv.csv", mv, "text/csv");
  CHECK(millivolts.status == 400);
  CHECK(millivolts.json()["files"][0]["error"]["message"].get<std::string>().find("# units=mV") != std::string::npos);
  CHECK(s.client().request("POST", "/api/uploads/" + up.id + "/files", "x",
                           {{"Authorization", "Bearer " + up.tech()}, {"Content-Type", "image/png"}}).status == 415);
  // Nothing was stored: the session has no study and cannot be completed.
  auto info = s.client().get("/api/uploads/" + up.id, up.tech()).json();
  CHECK(info["studies"].empty());
  CHECK(s.client().post_json("/api/uploads/" + up.id + "/complete", json::object(), up.tech()).status == 409);
  // A malformed patient in the session form is refused before anything is uploaded.
  auto bad = s.client().post_json("/api/uploads", {{"patient", {{"sex", "male"}}}}, up.tech());
  CHECK(bad.status == 400);
  CHECK(bad.json()["error"]["message"] == "'patient.sex' must be M, F or O.");
}

TEST_CASE("a one-line comment file is refused at once instead of holding an upload worker for ever",
          "[server][ecg][upload]") {
  // Format detection skipped "#" lines with find('\n') + 1, which is 0 when no line follows: the worker looped.
  auto& s = DemoServer::instance();
  Upload up(s, {{"patient", {{"name", "张三"}}}});
  for (const char* name : {"ecg.xml", "ecg"}) {
    auto r = up.file(name, "# sample_rate=500", "application/octet-stream");
    INFO(name << ": " << r.body);
    CHECK(r.status == 400);
    CHECK(r.json()["files"][0]["error"]["message"].get<std::string>().find("is not a readable ECG") != std::string::npos);
  }
  CHECK(s.client().get("/api/uploads/" + up.id, up.tech()).json()["studies"].empty());
}

TEST_CASE("a zip holding a WFDB record and an XML ECG becomes one ECG exam, annotation files are skipped",
          "[server][ecg][upload]") {
  auto& s = DemoServer::instance();
  TempDir dir;
  std::filesystem::create_directories(dir / "folder/ludb");
  for (const char* f : {"3.hea", "3.dat", "3.i"})
    std::filesystem::copy_file(local(std::string("ludb/") + f), dir / "folder/ludb" / f);
  std::filesystem::copy_file(local("philips_129DYPRG.xml"), dir / "folder/rest.xml");
  std::string out;
  REQUIRE(run_command("cd '" + (dir / "folder").string() + "' && zip -qr ../ecgs.zip .", &out) == 0);
  Upload up(s, {{"patient", {{"name", "孙七"}}}});
  auto r = up.file("ecgs.zip", slurp(dir / "ecgs.zip"), "application/zip");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.json()["stored"] == 2);
  const json files = r.json()["files"];
  std::set<std::string> studies, formats;
  int skipped = 0;
  for (const auto& f : files) {
    if (f["status"] == "skipped") {
      ++skipped;
      continue;
    }
    CHECK(f["status"] == "stored");
    studies.insert(f["study_instance_uid"].get<std::string>());
    formats.insert(f["converted_from"].get<std::string>());
  }
  CHECK(skipped == 1);
  CHECK(formats == std::set<std::string>{"wfdb", "philips-xml"});
  // All ECGs of one upload session are one exam: one study, one task at the ECG center.
  REQUIRE(studies.size() == 1);
  auto task = up.complete_and_find_task(*studies.begin());
  CHECK(task["kind"] == "ecg");
  CHECK(task["machine_flags"]["machine_generated"] == true);
}

// The paper ECG prints the analysis stored when the exam arrived: the statements the reader saw and decided on,
// even after an upgrade would analyse the waveform differently. Here the stored analysis is made to look like an
// older version's (another heart rate, no Chinese sentences), then like one made of another waveform.
TEST_CASE("the paper ECG prints the analysis stored with the exam, made of its waveform", "[server][ecg][pdf]") {
  auto& s = DemoServer::instance();
  Upload up(s, {{"patient", {{"name", "钱七"}}}});
  auto r = up.file("129DYPRG.XML", slurp(local("philips_129DYPRG.xml")), "application/xml");
  const json task = expect_ecg_task(s, up, r, "philips-xml");
  const auto id = task["id"].get<std::int64_t>();
  const std::string pdf_url = "/api/tasks/" + std::to_string(id) + "/ecg.pdf";
  TempDir dir("teledx-ecg-stored");
  auto printed = [&]() {
    auto pdf = s.client().get(pdf_url, up.tech());
    REQUIRE(pdf.status == 200);
    {
      std::ofstream out(dir / "ecg.pdf", std::ios::binary);
      out << pdf.body;
    }
    std::string text;
    REQUIRE(run_command("pdftotext -enc UTF-8 " + (dir / "ecg.pdf").string() + " -", &text) == 0);
    INFO(text);
    return text;
  };
  const std::string now = printed();
  CHECK(now.find("HR 41/min") != std::string::npos);
  CHECK(now.find("窦性心动过缓，41 次/分") != std::string::npos);

  json stored = s.client().get("/api/tasks/" + std::to_string(id), s.token("ecg-lead")).json()["machine_flags"];
  REQUIRE(stored["source_sop_instance_uid"].is_string());
  stored["measurements"]["heart_rate_bpm"] = 44.0;
  for (const char* list : {"rhythm", "quality", "critical"})
    for (auto& st : stored[list]) st.erase("text_zh");
  auto& tasks = StudyCompletion::instance().tasks();
  REQUIRE(tasks.set_machine_flags(id, stored.dump(), std::nullopt).ok());
  const std::string older = printed();
  CHECK(older.find("HR 44/min") != std::string::npos);
  // A statement without its Chinese sentence prints its Chinese name, then the English text.
  CHECK(older.find("窦性心动过缓：Sinus bradycardia, 41/min") != std::string::npos);

  stored["source_sop_instance_uid"] = "1.2.3.4";  // not this waveform: it is analysed again
  REQUIRE(tasks.set_machine_flags(id, stored.dump(), std::nullopt).ok());
  const std::string again = printed();
  CHECK(again.find("HR 41/min") != std::string::npos);
  CHECK(again.find("窦性心动过缓，41 次/分") != std::string::npos);
}
