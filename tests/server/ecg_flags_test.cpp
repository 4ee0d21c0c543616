// The reader confirms or dismisses each ECG machine flag over HTTP; decisions are audited, shown on the task
// and counted in the machine/reader agreement statistic.
#include <catch2/catch.hpp>
#include <ctime>
#include <fstream>

#include "demo_server.hpp"

using namespace teledx::test;
using nlohmann::json;

namespace {

/// Uploads the DICOM 12-lead ECG sample as a new exam of clinic 2 and returns its ECG-center task.
json upload_ecg_task(DemoServer& s) {
  auto c = s.client();
  const auto& tech = s.token("clinic2-tech");
  std::ifstream in(std::string(TELEDX_TEST_DATA_DIR) + "/ecg/waveform_ecg.dcm", std::ios::binary);
  std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(file.size() > 1000);
  // A fresh exam each time (the sample's UIDs are fixed and other tests upload it too): rewrite digits of the
  // study, series and instance UIDs in place, keeping their lengths so the file stays valid.
  static int n = 0;
  const auto stamp = std::to_string(100000 + (std::time(nullptr) % 800000)) + std::to_string(1000 + ++n);
  auto replace_all = [&](const std::string& from, const std::string& to) {
    REQUIRE(from.size() == to.size());
    for (auto at = file.find(from); at != std::string::npos; at = file.find(from, at + to.size())) file.replace(at, from.size(), to);
  };
  replace_all("105919.5407", stamp.substr(0, 6) + "." + stamp.substr(6, 4));
  replace_all("082826.1072139", stamp.substr(0, 6) + "." + stamp.substr(6, 4) + "123");
  auto id = c.post_json("/api/uploads", {{"reason", "心悸 palpitations"}}, tech).json()["upload_id"].get<std::string>();
  auto up = c.request("POST", "/api/uploads/" + id + "/files?name=ecg.dcm", file,
                      {{"Authorization", "Bearer " + tech}, {"Content-Type", "application/dicom"}});
  INFO(up.body);
  REQUIRE(up.status == 200);
  std::string study = up.json()["files"][0]["study_instance_uid"];
  REQUIRE(c.post_json("/api/uploads/" + id + "/complete", json::object(), tech).status == 200);
  json task = s.ecg_task(study);
  REQUIRE_FALSE(task.is_null());
  return task;
}

}  // namespace

TEST_CASE("the ECG's reader confirms and dismisses machine flags, others cannot, the task shows the verdicts",
          "[server][ecg][ecg_flags]") {
  auto& s = DemoServer::instance();
  auto c = s.client();
  auto task = upload_ecg_task(s);
  const std::string base = "/api/tasks/" + std::to_string(task["id"].get<std::int64_t>());

  auto flags = c.get(base + "/ecg-flags", s.token("ecg-lead"));
  INFO(flags.body);
  REQUIRE(flags.status == 200);
  REQUIRE(flags.json()["flags"].size() >= 1);  // the machine always states a rhythm
  const std::string code = flags.json()["flags"][0]["code"];
  const json listed = flags.json();
  for (const auto& f : listed["flags"]) CHECK(f["decision"].is_null());
  CHECK(flags.json()["pending"] == flags.json()["flags"].size());

  // Before anyone holds the task, a reader may not decide (403 with a sentence); the lead dispatches it.
  auto early = c.post_json(base + "/ecg-flags/" + code, {{"decision", "confirm"}}, s.token("ecg-reader1"));
  CHECK(early.status == 403);
  CHECK(early.json()["error"]["code"] == "forbidden");
  REQUIRE(c.post_json(base + "/assign", {{"user_id", s.user_id("ecg-reader1")}}, s.token("ecg-lead")).status == 200);

  auto ok = c.post_json(base + "/ecg-flags/" + code, {{"decision", "confirm"}, {"comment", "agree, checked lead II"}},
                        s.token("ecg-reader1"));
  INFO(ok.body);
  REQUIRE(ok.status == 200);
  const json d = ok.json()["flags"][0]["decision"];
  CHECK(d["verdict"] == "confirmed");
  CHECK(d["comment"] == "agree, checked lead II");
  CHECK(d["by"]["id"] == s.user_id("ecg-reader1"));
  CHECK(d["at"].is_string());

  // Another reader of the center, a clinic, and the imaging lead are refused; nothing changes.
  CHECK(c.post_json(base + "/ecg-flags/" + code, {{"decision", "dismiss"}}, s.token("ecg-reader2")).status == 403);
  CHECK(c.post_json(base + "/ecg-flags/" + code, {{"decision", "dismiss"}}, s.token("clinic2-tech")).status == 403);
  CHECK(c.post_json(base + "/ecg-flags/" + code, {{"decision", "dismiss"}}, s.token("img-lead")).status == 404);
  // Bad input: an unknown flag code (404 naming the flags raised), a wrong verdict, no body.
  auto unknown = c.post_json(base + "/ecg-flags/critical_nonsense", {{"decision", "dismiss"}}, s.token("ecg-reader1"));
  CHECK(unknown.status == 404);
  CHECK(unknown.json()["error"]["message"].get<std::string>().find(code) != std::string::npos);
  auto wrong = c.post_json(base + "/ecg-flags/" + code, {{"decision", "maybe"}}, s.token("ecg-reader1"));
  CHECK(wrong.status == 400);
  CHECK(wrong.json()["error"]["message"] == "'decision' must be confirm or dismiss.");
  CHECK(c.request("POST", base + "/ecg-flags/" + code, "not json",
                  {{"Authorization", "Bearer " + s.token("ecg-reader1")}, {"Content-Type", "application/json"}})
            .status == 400);

  // The task itself carries the decisions.
  auto full = c.get(base, s.token("ecg-reader1")).json();
  REQUIRE(full.contains("ecg_flags"));
  CHECK(full["ecg_flags"]["flags"][0]["decision"]["verdict"] == "confirmed");
  CHECK(full["ecg_flags"]["pending"] == flags.json()["pending"].get<int>() - 1);
  // ... and so does its report, where the reader writes next to them.
  auto report = c.get(base + "/report", s.token("ecg-reader1")).json();
  REQUIRE(report.contains("ecg_flags"));
  CHECK(report["ecg_flags"]["flags"][0]["decision"]["verdict"] == "confirmed");

  // The decision is in the audit log with who and which flag.
  auto audit = c.get("/api/audit?action=ecg_flag_confirmed&limit=50", s.token("admin")).json();
  bool found = false;
  for (const auto& e : audit["entries"])
    found |= e["actor"] == "ecg-reader1" && e["target"] == "task:" + std::to_string(task["id"].get<std::int64_t>()) &&
             e["detail"].get<std::string>().find(code) == 0;
  CHECK(found);
}

TEST_CASE("the agreement statistic counts confirmed, dismissed and pending flags per type for the lead's center",
          "[server][ecg][ecg_flags]") {
  auto& s = DemoServer::instance();
  auto c = s.client();
  auto task = upload_ecg_task(s);
  const std::string base = "/api/tasks/" + std::to_string(task["id"].get<std::int64_t>());
  auto flags = c.get(base + "/ecg-flags", s.token("ecg-lead")).json()["flags"];
  REQUIRE(flags.size() >= 1);
  const std::string code = flags[0]["code"];
  auto before = c.get("/api/stats/ecg-flags", s.token("ecg-lead"));
  INFO(before.body);
  REQUIRE(before.status == 200);
  auto count = [&](const json& stats, const char* field) {
    for (const auto& r : stats["flags"])
      if (r["code"] == code) return r[field].get<std::int64_t>();
    return std::int64_t{0};
  };
  // The lead dismisses the flag of a waiting ECG (triage without claiming).
  REQUIRE(c.post_json(base + "/ecg-flags/" + code, {{"decision", "dismiss"}, {"comment", "noise"}}, s.token("ecg-lead"))
              .status == 200);
  auto after = c.get("/api/stats/ecg-flags", s.token("ecg-lead")).json();
  CHECK(count(after, "dismissed") == count(before.json(), "dismissed") + 1);
  CHECK(count(after, "pending") == count(before.json(), "pending") - 1);
  CHECK(count(after, "raised") == count(before.json(), "raised"));
  CHECK(after["total"]["raised"].get<std::int64_t>() >= after["total"]["confirmed"].get<std::int64_t>() +
                                                          after["total"]["dismissed"].get<std::int64_t>());
  CHECK(after["center_id"] == s.institution_id("ECG-CENTER"));
  for (const auto& r : after["flags"])
    if (r["confirmed"].get<int>() + r["dismissed"].get<int>() > 0)
      CHECK(r["agreement_rate"].get<double>() ==
            Approx(r["confirmed"].get<double>() / (r["confirmed"].get<double>() + r["dismissed"].get<double>())));

  // A date range before the exam arrived holds none of it.
  auto old = c.get("/api/stats/ecg-flags?from=0&to=1000", s.token("ecg-lead")).json();
  CHECK(old["total"]["raised"] == 0);
  // Scoping: the imaging lead sees no ECG flags and may not name the ECG center; readers and clinics get 403.
  auto img = c.get("/api/stats/ecg-flags", s.token("img-lead")).json();
  CHECK(img["total"]["raised"] == 0);
  CHECK(c.get("/api/stats/ecg-flags?center_id=" + std::to_string(s.institution_id("ECG-CENTER")), s.token("img-lead")).status ==
        404);
  CHECK(c.get("/api/stats/ecg-flags", s.token("ecg-reader1")).status == 403);
  CHECK(c.get("/api/stats/ecg-flags", s.token("clinic2-tech")).status == 403);
  CHECK(c.get("/api/stats/ecg-flags?from=10&to=5", s.token("admin")).status == 400);
  auto admin = c.get("/api/stats/ecg-flags?center_id=" + std::to_string(s.institution_id("ECG-CENTER")), s.token("admin"));
  REQUIRE(admin.status == 200);
  CHECK(count(admin.json(), "dismissed") == count(after, "dismissed"));
}
