// Exams going out through the real teledx-agent to the real server: DICOM files dropped in the watch folder,
// instances a modality sends with the real storescu to the agent's local C-STORE SCP — forwarded, kept until the
// server confirmed them, read and signed, the result written back and acknowledged — and ECG files (aECG, WFDB)
// through the upload API. Also the agent over wss:// to a server started with --demo-tls, trusting the server's
// certificate through ca_file (and refusing it without).
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>

#include "agent/agent_site.hpp"
#include "dicom/dicom_fixture.hpp"

using namespace teledx::test;
using json = nlohmann::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

/// The id of CLINIC1's reading task for a study, or 0 while there is none.
std::int64_t task_of_study(Site& s, const std::string& study) {
  auto r = s.call("clinic1-tech", "GET", "/api/tasks?limit=200");
  if (r.status != 200) return 0;
  const auto list = r.json();  // kept: iterating r.json()["tasks"] directly would outlive the temporary
  for (const auto& t : list["tasks"])
    if (t.value("study_uid", "") == study) return t["id"].get<std::int64_t>();
  return 0;
}

/// Three CT images of one new study, written as files for storescu.
std::vector<fs::path> study_files(const fs::path& dir, const std::string& study, int series) {
  std::vector<fs::path> out;
  fs::create_directories(dir);
  for (int i = 1; i <= 3; ++i) {
    ImageSpec spec;
    spec.patient_id = "SCP-" + std::to_string(series);
    spec.study_uid = study;
    spec.series_uid = test_uid("scp-series", series);
    spec.sop_uid = test_uid("scp-sop", series * 10 + i);
    spec.instance_number = i;
    out.push_back(dir / ("ct" + std::to_string(i) + ".dcm"));
    write_file(out.back(), make_image(spec).part10());
  }
  return out;
}

std::string storescu(int port, const std::string& called, const std::string& calling, const std::vector<fs::path>& files,
                     int* rc) {
  std::string cmd = "storescu -aec " + called + " -aet " + calling + " 127.0.0.1 " + std::to_string(port);
  for (const auto& f : files) cmd += " '" + f.string() + "'";
  std::string out;
  *rc = run_command(cmd + " 2>&1", &out);
  return out;
}

}  // namespace

TEST_CASE("DICOM files dropped in the watch folder reach the server and leave the folder once confirmed", "[agent]") {
  Site s;
  auto agent = s.agent();
  const auto study = test_uid("agent-study", 1);
  for (int i = 1; i <= 3; ++i) {
    ImageSpec spec;
    spec.patient_id = "AGENT-1";
    spec.study_uid = study;
    spec.series_uid = test_uid("agent-series", 1);
    spec.sop_uid = test_uid("agent-sop", i);
    spec.instance_number = i;
    write_file(s.watch() / ("img" + std::to_string(i) + ".dcm"), make_image(spec).part10());
  }
  write_file(s.watch() / "notes.txt", "not a DICOM file");

  REQUIRE(eventually([&] { return !fs::exists(s.watch() / "img1.dcm") && !fs::exists(s.watch() / "img3.dcm"); }, 30s));
  CHECK(fs::exists(s.sent() / study / "img2.dcm"));
  CHECK(fs::exists(s.watch() / "notes.txt"));  // refused files stay where a person can see them
  auto q = s.call("clinic1-tech", "GET", "/dicom-web/studies/" + study + "/instances");
  REQUIRE(q.status == 200);
  CHECK(q.json().size() == 3);
  std::string out;
  s.run_agent_command("status", &out);
  CHECK(out.find("0 file(s) of 0 stud(ies) queued, 1 rejected") != std::string::npos);

  // The server is away: a new study waits in the folder and goes up once the server is back.
  s.stop_server();
  ImageSpec spec;
  spec.patient_id = "AGENT-2";
  spec.study_uid = test_uid("agent-study", 2);
  spec.series_uid = test_uid("agent-series", 2);
  spec.sop_uid = test_uid("agent-sop", 10);
  write_file(s.watch() / "later.dcm", make_image(spec).part10());
  std::this_thread::sleep_for(4s);
  CHECK(fs::exists(s.watch() / "later.dcm"));
  s.start_server();
  CHECK(eventually([&] { return !fs::exists(s.watch() / "later.dcm"); }, 40s));
  CHECK(fs::exists(s.sent() / spec.study_uid / "later.dcm"));
}

TEST_CASE("storescu to the agent's local SCP: the study reaches the server, is read and signed, and the result comes "
          "back written and acknowledged",
          "[agent][scp]") {
  Site s;
  const int scp_port = free_port();
  auto agent = s.agent("scp_port = " + std::to_string(scp_port) + "\nscp_ae_title = CLINIC1_AGENT\n" +
                       "scp_calling_aes = CT_ROOM1, US_ROOM2\n");
  const auto study = test_uid("scp-study", 1);
  auto files = study_files(s.results().parent_path() / "modality", study, 1);
  REQUIRE(eventually([&] { return s.agent_log().find("C-STORE SCP listening") != std::string::npos; }));

  int rc = -1;
  INFO(storescu(scp_port, "WRONG_AE", "CT_ROOM1", files, &rc));
  CHECK(rc != 0);  // not this agent's AE title
  INFO(storescu(scp_port, "CLINIC1_AGENT", "STRANGER", files, &rc));
  CHECK(rc != 0);  // a calling AE title not in scp_calling_aes

  const std::string out = storescu(scp_port, "CLINIC1_AGENT", "CT_ROOM1", files, &rc);
  INFO(out << s.agent_log());
  REQUIRE(rc == 0);
  // Success was answered only once each instance was in the spool; it stays there until the server confirmed it.
  REQUIRE(eventually([&] {
    auto q = s.call("clinic1-tech", "GET", "/dicom-web/studies/" + study + "/instances");
    return q.status == 200 && q.json().size() == 3;
  }, 30s));
  CHECK(eventually([&] { return fs::exists(s.sent() / study) && !fs::exists(s.state() / "dicom-in" / study); }, 30s));
  std::size_t moved = 0;
  for (const auto& e : fs::directory_iterator(s.sent() / study)) moved += e.path().extension() == ".dcm";
  CHECK(moved == 3);

  std::int64_t task = 0;
  REQUIRE(eventually([&] { return (task = task_of_study(s, study)) != 0; }, 30s));
  s.sign(task);
  const auto pdf = s.results() / ("task" + std::to_string(task) + "_v1.pdf");
  REQUIRE(eventually([&] { return fs::exists(pdf); }));
  CHECK(eventually([&] { return delivered_and_acknowledged(s, task); }));
  auto t = s.task(task);
  CHECK(t["study_uid"] == study);
}

TEST_CASE("the agent reaches a --demo-tls server over wss only when it trusts the certificate", "[agent][tls]") {
  const int https = free_port();
  Site s({"--demo-tls", "--https-port", std::to_string(https)});
  const auto cert = s.server().data_dir() / "tls" / "demo-cert.pem";
  REQUIRE(fs::exists(cert));
  const std::string wss = "server = wss://127.0.0.1:" + std::to_string(https) + "\n";

  SECTION("without the CA file the self-signed certificate is refused: nothing arrives") {
    auto agent = s.agent(wss);
    const auto task = s.new_task();
    s.sign(task);
    std::this_thread::sleep_for(6s);
    CHECK_FALSE(has_file(s, "task" + std::to_string(task) + "_v1.json"));
    CHECK(s.task(task)["state"] == "signed");
  }
  SECTION("with ca_file the link is verified and results arrive and are acknowledged") {
    auto agent = s.agent(wss + "ca_file = " + cert.string() + "\n");
    const auto task = s.new_task();
    s.sign(task);
    INFO(s.agent_log());
    REQUIRE(eventually([&] { return has_file(s, "task" + std::to_string(task) + "_v1.json"); }, 30s));
    CHECK(eventually([&] { return delivered_and_acknowledged(s, task); }));
  }
}

TEST_CASE("ECG files in the watch folder go up through the upload API and become ECG reading tasks", "[agent][ecg]") {
  Site s;
  auto agent = s.agent();
  const fs::path data = TELEDX_TEST_DATA_DIR "/ecg";
  fs::copy_file(data / "Example_aECG.xml", s.watch() / "rest_ecg.xml");
  // A WFDB record travels as one request (header + signal); this one names no patient, which the server refuses
  // with its reason, and the files stay where a person sees them.
  fs::copy_file(data / "ludb" / "3.hea", s.watch() / "3.hea");
  fs::copy_file(data / "ludb" / "3.dat", s.watch() / "3.dat");
  // A Contec cart's own .ECG file, when the shared sample set is here (GPL: not copied into the repository).
  const fs::path contec = fs::path(TELEDX_SOURCE_DIR) / "../shared/data/ecg/formats/contec/0000037.ECG";
  const bool with_contec = fs::exists(contec);
  if (with_contec) fs::copy_file(contec, s.watch() / "0000037.ECG");
  else WARN("skipped the Contec file: " + contec.string() + " not present");

  INFO(s.agent_log());
  REQUIRE(eventually([&] { return fs::exists(s.sent() / "ecg" / "rest_ecg.xml"); }, 40s));
  CHECK_FALSE(fs::exists(s.watch() / "rest_ecg.xml"));
  CHECK(eventually([&] {
    const auto list = s.call("clinic1-tech", "GET", "/api/tasks?limit=200").json();
    for (const auto& t : list["tasks"])
      if (t.value("kind", "") == "ecg") return true;
    return false;
  }, 30s));
  CHECK(eventually([&] { return s.agent_log().find("3.hea: the server refused the ECG") != std::string::npos; }));
  CHECK(fs::exists(s.watch() / "3.hea"));
  CHECK(fs::exists(s.watch() / "3.dat"));
  if (with_contec) {
    CHECK(eventually([&] { return fs::exists(s.sent() / "ecg" / "0000037.ECG"); }, 40s));
    CHECK_FALSE(fs::exists(s.watch() / "0000037.ECG"));
    CHECK(eventually([&] {
      const auto list = s.call("clinic1-tech", "GET", "/api/tasks?limit=200").json();
      for (const auto& t : list["tasks"])
        if (t.value("kind", "") == "ecg" && t["patient"].value("name", "") == "Niccolo") return true;
      return false;
    }, 30s));
  }
}
