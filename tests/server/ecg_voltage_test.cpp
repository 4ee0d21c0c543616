// RV5/SV1 through the server: an uploaded ECG's analysis measures them, states left ventricular high voltage at the
// patient's own sex's threshold (the upload form's sex, stored in the converted DICOM), and the ECG report
// template offers them for the reader to prefill.
#include <catch2/catch.hpp>

#include <string>

#include "demo_server.hpp"
#include "ecg/synthetic_ecg.hpp"

using namespace teledx::test;
using nlohmann::json;

namespace {

/// R 2250 µV at a 60° axis: RV5 2.25 mV and SV1 1.35 mV, 3.60 mV together (qrs_amplitudes_test.cpp).
std::string tall_qrs_csv() {
  teledx::ecg::test::Synth s;
  s.r_uv = 2250;
  return teledx::ecg::test::csv_of(teledx::ecg::test::synth_ecg(s));
}

/// Uploads the CSV for a patient of that sex and returns the ECG center's task for it.
json upload_for(DemoServer& s, const std::string& name, const std::string& sex) {
  auto c = s.client();
  const auto& tech = s.token("clinic2-tech");
  auto made = c.post_json("/api/uploads", {{"reason", "体检 check-up"}, {"patient", {{"name", name}, {"sex", sex}}}}, tech);
  INFO(made.body);
  REQUIRE(made.status == 201);
  const std::string id = made.json()["upload_id"];
  auto up = c.request("POST", "/api/uploads/" + id + "/files?name=tall.csv", tall_qrs_csv(),
                      {{"Authorization", "Bearer " + tech}, {"Content-Type", "text/csv"}});
  INFO(up.body);
  REQUIRE(up.status == 200);
  const std::string study = up.json()["files"][0]["study_instance_uid"];
  REQUIRE(c.post_json("/api/uploads/" + id + "/complete", json::object(), tech).status == 200);
  json task = s.ecg_task(study);
  REQUIRE_FALSE(task.is_null());
  return task;
}

json statement(const json& task, const std::string& code) {
  for (const auto& st : task["machine_flags"]["rhythm"])
    if (st["code"] == code) return st;
  return nullptr;
}

}  // namespace

TEST_CASE("an uploaded ECG's RV5 plus SV1 of 3.6 mV is high voltage for the woman it was uploaded for",
          "[server][ecg][upload]") {
  auto& s = DemoServer::instance();
  const json woman = upload_for(s, "孙八妹", "F");
  const json& m = woman["machine_flags"]["measurements"];
  CHECK(m["rv5_uv"].get<double>() == Approx(2250).margin(60));
  CHECK(m["sv1_uv"].get<double>() == Approx(1350).margin(60));
  const json said = statement(woman, "left_ventricular_high_voltage");
  REQUIRE_FALSE(said.is_null());
  CHECK(said["text_zh"].get<std::string>().find("女性") != std::string::npos);
  // The report's fields as a Chinese cart prints them, mV to the µV.
  const std::string rv5_sv1 = woman["machine_flags"]["template_fields"]["rv5_sv1"];
  CHECK(rv5_sv1.size() == 11);  // "2.2xx/1.3xx"
  CHECK(rv5_sv1.rfind("2.2", 0) == 0);

  // The same tracing of a man: under the men's 4.0 mV, no statement.
  const json man = upload_for(s, "孙八", "M");
  CHECK(statement(man, "left_ventricular_high_voltage").is_null());
  CHECK(man["machine_flags"]["measurements"]["rv5_uv"] == m["rv5_uv"]);
}

TEST_CASE("the ECG report template offers RV5/SV1 and RV5+SV1 after the axis", "[server][ecg]") {
  auto& s = DemoServer::instance();
  auto r = s.client().get("/api/report-templates?kind=ecg", s.token("ecg-reader1"));
  INFO(r.body);
  REQUIRE(r.status == 200);
  const json listed = r.json();
  std::vector<std::string> keys;
  for (const auto& t : listed["templates"])
    if (t["name"].get<std::string>().find("12-lead ECG") != std::string::npos)
      for (const auto& f : t["fields"]) keys.push_back(f["key"]);
  CHECK(keys == std::vector<std::string>{"rhythm", "heart_rate", "pr", "qrs", "qt", "qtc", "axis", "rv5_sv1",
                                         "rv5_plus_sv1", "conclusion"});
}
