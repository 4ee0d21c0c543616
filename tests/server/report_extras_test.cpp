// Report extras over HTTP: the signed report as PDF and the critical-value register. Each endpoint has its own
// small authorisation table (role x institution -> 200/403/404), on the shared demo server.
#include <catch2/catch.hpp>
#include <set>

#include "demo_server.hpp"

using teledx::test::DemoServer;
using json = nlohmann::json;

namespace {

/// A CLINIC1/CLINIC2 chest CT of the given patient, completed in the demo server's index.
std::int64_t complete(const std::string& clinic_code, const std::string& patient_id,
                      const std::string& national_id = {}) {
  teledx::test::ExamSpec e;
  e.clinic_code = clinic_code;
  e.patient_id = patient_id;
  e.national_id = national_id;
  return teledx::test::StudyCompletion::instance().complete(e);
}

using teledx::test::call;
using teledx::test::kCallers;

struct Row {
  std::string method, path;
  std::map<std::string, int> expected;  // caller -> status; unlisted signed-in callers get `otherwise`
  int otherwise;
};

void check_table(const std::vector<Row>& table) {
  for (const auto& row : table)
    for (const auto& caller : kCallers) {
      auto r = call(caller, row.method, row.path);
      auto it = row.expected.find(caller);
      const int expected = it != row.expected.end() ? it->second : caller == "anonymous" ? 401 : row.otherwise;
      INFO(row.method << " " << row.path << " as " << caller << " -> " << r.status << " " << r.body.substr(0, 300));
      CHECK(r.status == expected);
    }
}

/// A task of CLINIC1 assigned to img-reader1, drafted with Chinese text and signed; returns its id.
std::string signed_task(const std::string& patient_id, const std::string& national_id = {}, bool critical = false) {
  auto& s = DemoServer::instance();
  const auto id = std::to_string(complete("CLINIC1", patient_id, national_id));
  const auto base = "/api/tasks/" + id;
  REQUIRE(call("img-lead", "POST", base + "/assign", {{"user_id", s.user_id("img-reader1")}}).status == 200);
  REQUIRE(call("img-reader1", "PUT", base + "/report/draft",
               {{"base_version", 0},
                {"findings", "右肺上叶见一约8毫米磨玻璃结节。"},
                {"impression", "右肺上叶磨玻璃结节，建议三个月后复查。"}})
              .status == 200);
  if (critical) {
    REQUIRE(call("img-reader1", "POST", base + "/critical", {{"category", "pneumothorax"}, {"note", "右侧气胸"}})
                .status == 200);
  }
  auto signed_r = call("img-reader1", "POST", base + "/report/sign");
  REQUIRE(signed_r.status == 200);
  return id;
}

}  // namespace

TEST_CASE("the signed report PDF: who may download it, what it is, and that downloads are audited",
          "[server][worklist][pdf]") {
  const auto id = signed_task("P-PDF-1");
  const auto unsigned_id = std::to_string(complete("CLINIC1", "P-PDF-2"));
  const std::map<std::string, int> visible{{"img-lead", 200},    {"img-senior", 200},     {"img-reader1", 200},
                                           {"clinic1-tech", 200}, {"clinic1-doctor", 200}, {"ecg-lead", 404},
                                           {"ecg-reader1", 404},  {"clinic2-tech", 404}};
  auto not_yet = visible;
  for (auto& [who, status] : not_yet)
    if (status == 200) status = 404;
  check_table({
      {"GET", "/api/tasks/" + id + "/report.pdf", visible, 403},
      {"GET", "/api/tasks/" + id + "/report.pdf?version=1", visible, 403},
      {"GET", "/api/tasks/" + id + "/report.pdf?version=2", not_yet, 403},
      {"GET", "/api/tasks/" + unsigned_id + "/report.pdf", not_yet, 403},
      {"GET", "/api/tasks/99999999/report.pdf", {{"admin", 403}}, 404},
  });

  auto pdf = call("clinic1-doctor", "GET", "/api/tasks/" + id + "/report.pdf");
  REQUIRE(pdf.status == 200);
  CHECK(pdf.headers["content-type"] == "application/pdf");
  CHECK(pdf.body.rfind("%PDF-", 0) == 0);
  CHECK(pdf.body.size() > 10'000);

  auto audit = call("admin", "GET", "/api/audit?action=download&limit=200");
  REQUIRE(audit.status == 200);
  bool audited = false;
  const json entries = audit.json();
  for (const auto& e : entries["entries"]) audited |= e["target"] == "task:" + id && e["actor"] == "clinic1-doctor";
  CHECK(audited);
}

TEST_CASE("the critical-value register lists the timeline with the read-back name, as JSON and CSV",
          "[server][worklist][critical]") {
  auto& s = DemoServer::instance();
  const auto id = signed_task("P-CRIT-1", {}, true);
  REQUIRE(call("clinic1-tech", "POST", "/api/tasks/" + id + "/critical/acknowledge",
               {{"readback_name", "赵护士 Nurse Zhao"}})
              .status == 200);
  const auto img = std::to_string(s.institution_id("IMG-CENTER"));
  check_table({
      {"GET", "/api/stats/critical-register", {{"admin", 200}, {"img-lead", 200}, {"ecg-lead", 200}}, 403},
      {"GET", "/api/stats/critical-register?format=csv", {{"admin", 200}, {"img-lead", 200}, {"ecg-lead", 200}}, 403},
      {"GET", "/api/stats/critical-register?center_id=" + img,
       {{"admin", 200}, {"img-lead", 200}, {"ecg-lead", 404}},
       403},
  });
  CHECK(call("img-lead", "GET", "/api/stats/critical-register?format=xml").status == 400);

  const json reg = call("img-lead", "GET", "/api/stats/critical-register").json();
  const json* row = nullptr;
  for (const auto& r : reg["rows"])
    if (std::to_string(r["task_id"].get<std::int64_t>()) == id) row = &r;
  REQUIRE(row);
  CHECK((*row)["category"] == "pneumothorax");
  CHECK((*row)["readback_name"] == "赵护士 Nurse Zhao");
  CHECK((*row)["acknowledged_by"]["id"] == s.user_id("clinic1-tech"));
  CHECK((*row)["marked_by"]["id"] == s.user_id("img-reader1"));
  CHECK((*row)["patient"]["id"] == "P-CRIT-1");
  CHECK((*row)["minutes_to_acknowledge"].is_number());
  CHECK((*row)["escalations"].is_array());
  // The ECG center's lead does not see the imaging center's critical values.
  const json ecg = call("ecg-lead", "GET", "/api/stats/critical-register").json();
  for (const auto& r : ecg["rows"]) CHECK(std::to_string(r["task_id"].get<std::int64_t>()) != id);

  auto csv = call("admin", "GET", "/api/stats/critical-register?format=csv");
  REQUIRE(csv.status == 200);
  CHECK(csv.headers["content-type"].rfind("text/csv", 0) == 0);
  CHECK(csv.body.find("task_id,center,clinic,patient_name") != std::string::npos);
  CHECK(csv.body.find("\"赵护士 Nurse Zhao\"") != std::string::npos);
  CHECK(csv.body.find("\n" + id + ",") != std::string::npos);
}

TEST_CASE("prior exams: same patient ID within the clinic, national ID across clinics, opening one is audited",
          "[server][worklist][priors]") {
  const auto tag = std::to_string(teledx::SystemClock().now_ms());
  const std::string pid = "P-PRIOR-" + tag, nid = "11010519580312" + tag.substr(tag.size() - 4);
  const auto earlier = signed_task(pid, nid);                                                  // clinic1, signed
  const auto other_clinic = std::to_string(complete("CLINIC2", "X-" + tag, nid));  // by national ID
  const auto same_pid_elsewhere = std::to_string(complete("CLINIC2", pid));        // not the same person
  const auto unrelated = std::to_string(complete("CLINIC1", "P-OTHER-" + tag));
  const auto current = std::to_string(complete("CLINIC1", pid, nid));

  // Readers of the task's center, and the clinic treating the patient (clinic1); other clinics and centers: 404.
  const std::map<std::string, int> center{{"img-lead", 200},      {"img-senior", 200},     {"img-reader1", 200},
                                          {"ecg-lead", 404},      {"ecg-reader1", 404},    {"clinic1-tech", 200},
                                          {"clinic1-doctor", 200}, {"clinic2-tech", 404},   {"clinic2-doctor", 404},
                                          {"clinic3-tech", 404},   {"clinic3-doctor", 404}};
  auto hidden = center;
  for (auto& [who, status] : hidden)
    if (status == 200) status = 404;
  check_table({
      {"GET", "/api/tasks/" + current + "/priors", center, 403},
      {"GET", "/api/tasks/" + current + "/priors/" + earlier + "/report", center, 403},
      {"GET", "/api/tasks/" + current + "/priors/" + unrelated + "/report", hidden, 403},
      {"GET", "/api/tasks/" + current + "/priors/" + other_clinic + "/report", hidden, 403},  // not signed
  });

  const json priors = call("img-reader1", "GET", "/api/tasks/" + current + "/priors").json();
  std::map<std::string, std::string> matched;
  for (const auto& p : priors["priors"])
    matched[std::to_string(p["task_id"].get<std::int64_t>())] = p["matched_by"].get<std::string>();
  CHECK(matched.size() == 2);
  CHECK(matched[earlier] == "patient_id");
  CHECK(matched[other_clinic] == "national_id");
  CHECK_FALSE(matched.count(same_pid_elsewhere));
  CHECK_FALSE(matched.count(unrelated));
  for (const auto& p : priors["priors"])
    if (std::to_string(p["task_id"].get<std::int64_t>()) == earlier)
      CHECK(p["signed_report"]["impression"] == "右肺上叶磨玻璃结节，建议三个月后复查。");

  auto report = call("img-senior", "GET", "/api/tasks/" + current + "/priors/" + earlier + "/report");
  REQUIRE(report.status == 200);
  CHECK(report.json()["versions"].size() == 1);
  auto audit = call("admin", "GET", "/api/audit?action=view_prior_report&limit=200");
  REQUIRE(audit.status == 200);
  bool audited = false;
  const json entries = audit.json();
  for (const auto& e : entries["entries"]) audited |= e["target"] == "task:" + earlier && e["actor"] == "img-senior";
  CHECK(audited);

  // Mutual recognition at the other clinic treating the same person (matched by national ID): it sees clinic1's
  // signed report, but not clinic1's exam still being read; opening the report is audited under its user.
  const json at_clinic2 = call("clinic2-doctor", "GET", "/api/tasks/" + other_clinic + "/priors").json();
  std::set<std::string> seen;
  for (const auto& p : at_clinic2["priors"]) seen.insert(std::to_string(p["task_id"].get<std::int64_t>()));
  CHECK(seen.count(earlier) == 1);
  CHECK(seen.count(current) == 0);
  CHECK(seen.count(same_pid_elsewhere) == 0);
  auto recognised = call("clinic2-doctor", "GET", "/api/tasks/" + other_clinic + "/priors/" + earlier + "/report");
  REQUIRE(recognised.status == 200);
  CHECK(recognised.json()["versions"][0]["impression"] == "右肺上叶磨玻璃结节，建议三个月后复查。");
  CHECK(call("clinic2-doctor", "GET", "/api/tasks/" + other_clinic + "/priors/" + current + "/report").status == 404);
  CHECK(call("clinic3-tech", "GET", "/api/tasks/" + other_clinic + "/priors").status == 404);
  const json audit2 = call("admin", "GET", "/api/audit?action=view_prior_report&limit=200").json();
  bool audited2 = false;
  for (const auto& e : audit2["entries"]) audited2 |= e["target"] == "task:" + earlier && e["actor"] == "clinic2-doctor";
  CHECK(audited2);
}

TEST_CASE("an upload's exam request may carry the patient's national ID, checked for shape", "[server][priors]") {
  CHECK(call("clinic1-tech", "POST", "/api/uploads", {{"reason", "复查"}, {"national_id", "11010519580312123X"}})
            .status == 201);
  CHECK(call("clinic1-tech", "POST", "/api/uploads", {{"national_id", "110105195803121"}}).status == 201);
  CHECK(call("clinic1-tech", "POST", "/api/uploads", {{"national_id", "12345"}}).status == 400);
  CHECK(call("clinic1-tech", "POST", "/api/uploads", {{"national_id", "1101051958X3121234"}}).status == 400);
}

TEST_CASE("a signed report names its structured fields by its template's labels, for the clinic too",
          "[server][worklist]") {
  auto& s = DemoServer::instance();
  auto tpl = call("img-lead", "POST", "/api/report-templates",
                  {{"name", "肺结节随访 Lung nodule follow-up"},
                   {"kind", "imaging"},
                   {"fields", json::array({{{"key", "nodule_size"}, {"label", "结节大小 Nodule size"}, {"unit", "mm"}}})}});
  REQUIRE(tpl.status == 201);
  const auto id = std::to_string(complete("CLINIC1", "P-LABELS-1"));
  const auto base = "/api/tasks/" + id;
  REQUIRE(call("img-lead", "POST", base + "/assign", {{"user_id", s.user_id("img-reader1")}}).status == 200);
  REQUIRE(call("img-reader1", "PUT", base + "/report/draft",
               {{"base_version", 0},
                {"template_id", tpl.json()["id"]},
                {"fields", {{"nodule_size", "8"}}},
                {"impression", "右肺上叶结节。"}})
              .status == 200);
  REQUIRE(call("img-reader1", "POST", base + "/report/sign").status == 200);

  // The clinic cannot read the templates, so the report carries the labels of the one it was written with.
  CHECK(call("clinic1-tech", "GET", "/api/report-templates").status == 403);
  auto r = call("clinic1-tech", "GET", base + "/report");
  REQUIRE(r.status == 200);
  const json j = r.json();
  CHECK(j["versions"][0]["fields"]["nodule_size"] == "8");
  REQUIRE(j["field_labels"].size() == 1);
  CHECK(j["field_labels"][0] == json{{"key", "nodule_size"}, {"label", "结节大小 Nodule size"}, {"unit", "mm"}});

  // Written without a template: no labels, the keys stand.
  const auto plain = signed_task("P-LABELS-2");
  auto p = call("clinic1-tech", "GET", "/api/tasks/" + plain + "/report");
  REQUIRE(p.status == 200);
  CHECK(p.json()["field_labels"] == json::array());
}
