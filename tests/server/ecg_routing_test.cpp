// An ECG exam sent by a clinic lands at the ECG center with the machine analysis attached as flags.
#include <catch2/catch.hpp>
#include <fstream>

#include "demo_server.hpp"

using namespace teledx::test;

TEST_CASE("an uploaded DICOM ECG becomes an ECG-center task carrying the machine analysis", "[server][ecg]") {
  auto& s = DemoServer::instance();
  auto c = s.client();
  const auto& tech = s.token("clinic2-tech");
  std::ifstream in(std::string(TELEDX_TEST_DATA_DIR) + "/ecg/waveform_ecg.dcm", std::ios::binary);
  std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(file.size() > 1000);
  auto id = c.post_json("/api/uploads", {{"reason", "胸闷 chest tightness"}, {"priority", "routine"}}, tech)
                .json()["upload_id"]
                .get<std::string>();
  auto up = c.request("POST", "/api/uploads/" + id + "/files?name=ecg.dcm", file,
                      {{"Authorization", "Bearer " + tech}, {"Content-Type", "application/dicom"}});
  INFO(up.body);
  REQUIRE(up.status == 200);
  std::string study = up.json()["files"][0]["study_instance_uid"];
  REQUIRE(c.post_json("/api/uploads/" + id + "/complete", nlohmann::json::object(), tech).status == 200);

  auto list = c.get("/api/tasks?limit=200", s.token("ecg-lead")).json();
  nlohmann::json task;
  for (const auto& t : list["tasks"])
    if (t["study_uid"] == study) task = t;
  INFO(list.dump().substr(0, 2000));
  REQUIRE(task.is_object());
  CHECK(task["kind"] == "ecg");
  // The machine analysis is attached: measurements from the real waveform, never an empty object.
  REQUIRE(task["machine_flags"].is_object());
  CHECK_FALSE(task["machine_flags"].empty());
  // The imaging center gets no task for a waveform-only exam.
  auto img = c.get("/api/tasks?limit=200", s.token("img-lead")).json();
  for (const auto& t : img["tasks"]) CHECK(t["study_uid"] != study);
}
