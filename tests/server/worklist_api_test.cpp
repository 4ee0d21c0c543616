// The worklist API of the real server: who may call what (role and institution), and the reading flows an
// HTTP client can drive. Tasks come from completed studies; here they are created through the worklist module
// on the server's own index, exactly as the ingest side does once a study is complete (StudyCompletion).
#include <catch2/catch.hpp>

#include <set>
#include <thread>

#include "demo_server.hpp"
#include "dicom/dicom_fixture.hpp"

using teledx::test::DemoServer;
using json = nlohmann::json;
namespace wl = teledx::worklist;

namespace {

teledx::test::StudyCompletion& completion() { return teledx::test::StudyCompletion::instance(); }

using teledx::test::call;
using teledx::test::kCallers;

struct Row {
  std::string method, path;
  json body;
  std::map<std::string, int> expected;  // caller -> status; unlisted signed-in callers get `otherwise`
  int otherwise;
};

std::map<std::string, int> with(std::map<std::string, int> m) {
  m.emplace("anonymous", 401);
  return m;
}

}  // namespace

TEST_CASE("every worklist endpoint answers each role and institution as the authorisation table allows",
          "[server][worklist]") {
  auto& s = DemoServer::instance();
  const auto waiting = std::to_string(completion().complete("CLINIC1"));
  const auto returned_id = completion().complete("CLINIC1");
  const wl::Actor lead{s.user_id("img-lead"), teledx::Role::CenterLead, s.institution_id("IMG-CENTER"), "img-lead",
                       false};
  REQUIRE(completion().tasks().transition(returned_id, wl::TaskAction::ReturnToClinic, lead, "wrong patient").ok());
  const auto returned = std::to_string(returned_id);
  const auto img = std::to_string(s.institution_id("IMG-CENTER"));
  const auto reader1 = std::to_string(s.user_id("img-reader1"));
  const auto img_readers = [](int status) {
    return std::map<std::string, int>{{"img-lead", status}, {"img-senior", status}, {"img-reader1", status}};
  };
  const auto merge = [](std::map<std::string, int> a, const std::map<std::string, int>& b) {
    a.insert(b.begin(), b.end());
    return a;
  };
  const std::map<std::string, int> clinic1_ok{{"clinic1-tech", 200}, {"clinic1-doctor", 200}};
  const std::map<std::string, int> others_hidden{{"ecg-lead", 404}, {"ecg-reader1", 404}, {"clinic2-tech", 404}};

  const std::vector<Row> table{
      {"GET", "/api/tasks", nullptr, with({{"admin", 403}}), 200},
      {"GET", "/api/tasks/" + waiting, nullptr, with(merge(merge(img_readers(200), clinic1_ok), others_hidden)), 403},
      {"GET", "/api/tasks/" + waiting + "/report", nullptr,
       with(merge(merge(img_readers(200), clinic1_ok), others_hidden)), 403},
      {"POST", "/api/tasks/" + returned + "/claim", nullptr,
       with(merge(img_readers(409), {{"ecg-lead", 404}, {"ecg-reader1", 404}})), 403},
      {"POST", "/api/tasks/" + waiting + "/acknowledge", nullptr,
       with({{"clinic1-tech", 409}, {"clinic1-doctor", 409}, {"clinic2-tech", 404}}), 403},
      {"POST", "/api/tasks/" + waiting + "/resume", nullptr,
       with({{"clinic1-tech", 409}, {"clinic1-doctor", 409}, {"clinic2-tech", 404}}), 403},
      {"POST", "/api/tasks/" + waiting + "/return-to-clinic", json::object(),
       with(merge(img_readers(400), {{"ecg-lead", 404}, {"ecg-reader1", 404}})), 403},
      {"POST", "/api/tasks/" + returned + "/assign", {{"user_id", std::stoll(reader1)}},
       with({{"img-lead", 409}, {"ecg-lead", 404}}), 403},
      {"POST", "/api/tasks/" + returned + "/auto-assign", nullptr, with({{"img-lead", 409}, {"ecg-lead", 404}}), 403},
      {"PUT", "/api/tasks/" + waiting + "/report/draft", {{"base_version", 0}, {"findings", "x"}},
       with(merge(img_readers(409), {{"ecg-lead", 404}, {"ecg-reader1", 404}})), 403},
      {"POST", "/api/tasks/" + waiting + "/report/sign", nullptr,
       with(merge(img_readers(409), {{"ecg-lead", 404}, {"ecg-reader1", 404}})), 403},
      {"POST", "/api/tasks/" + waiting + "/report/addendum", {{"text", "late finding"}},
       with(merge(img_readers(409), {{"ecg-lead", 404}, {"ecg-reader1", 404}})), 403},
      {"POST", "/api/tasks/" + waiting + "/critical", {{"category", "pneumothorax"}},
       with(merge(img_readers(409), {{"ecg-lead", 404}, {"ecg-reader1", 404}})), 403},
      {"POST", "/api/tasks/" + waiting + "/critical/acknowledge", {{"readback_name", "Dr. Li"}},
       with({{"clinic1-tech", 409}, {"clinic1-doctor", 409}, {"clinic2-tech", 404}}), 403},
      {"GET", "/api/report-templates?kind=ecg", nullptr,
       with(merge(img_readers(200), {{"ecg-lead", 200}, {"ecg-reader1", 200}})), 403},
      {"GET", "/api/centers/" + img + "/settings", nullptr,
       with(merge(img_readers(200), {{"admin", 200}, {"ecg-lead", 404}, {"ecg-reader1", 404}})), 403},
      {"PUT", "/api/centers/" + img + "/settings", json::object(), with({{"img-lead", 200}, {"ecg-lead", 404}}), 403},
      {"GET", "/api/centers/" + img + "/shifts", nullptr,
       with(merge(img_readers(200), {{"admin", 200}, {"ecg-lead", 404}, {"ecg-reader1", 404}})), 403},
      {"GET", "/api/centers/" + img + "/readers", nullptr, with({{"admin", 200}, {"img-lead", 200}, {"ecg-lead", 404}}),
       403},
      {"GET", "/api/readers/" + reader1 + "/profile", nullptr,
       with({{"img-lead", 200}, {"img-reader1", 200}, {"img-senior", 404}, {"ecg-lead", 404}, {"ecg-reader1", 404}}),
       403},
      {"GET", "/api/stats/turnaround", nullptr, with({{"img-senior", 403}, {"img-reader1", 403}, {"ecg-reader1", 403}}),
       200},
      {"GET", "/api/reports/verify/0000-0000-0000", nullptr, with({}), 404},
      {"GET", "/api/quality/feedback", nullptr, with({{"img-senior", 403}, {"img-reader1", 403}, {"ecg-reader1", 403}}),
       200},
      {"GET", "/api/quality/feedback?clinic_id=" + std::to_string(s.institution_id("CLINIC2")), nullptr,
       with({{"img-senior", 403}, {"img-reader1", 403}, {"ecg-reader1", 403}, {"clinic1-tech", 404},
             {"clinic1-doctor", 404}}),
       200},
  };
  for (const auto& row : table)
    for (const auto& caller : kCallers) {
      auto r = call(caller, row.method, row.path, row.body);
      auto it = row.expected.find(caller);
      const int expected = it != row.expected.end() ? it->second : row.otherwise;
      INFO(row.method << " " << row.path << " as " << caller << " -> " << r.status << " " << r.body);
      CHECK(r.status == expected);
      if (r.status >= 400) {
        CHECK(r.json()["error"]["code"].is_string());
        CHECK(r.json()["error"]["message"].is_string());
      }
    }
}

TEST_CASE("a clinic's exam is claimed, reported, signed, delivered and acknowledged over HTTP", "[server][worklist]") {
  auto& s = DemoServer::instance();
  // Stat: the demo server is shared, and in the default priority-band mode nothing outranks a stat task.
  const auto id = std::to_string(completion().complete("CLINIC1", wl::Priority::Stat));
  const auto base = "/api/tasks/" + id;

  auto list = call("clinic1-tech", "GET", "/api/tasks?limit=500");
  REQUIRE(list.status == 200);
  bool seen = false;
  const json mine = list.json();  // range-for over a temporary's member would dangle
  for (const auto& t : mine["tasks"]) seen |= std::to_string(t["id"].get<std::int64_t>()) == id;
  CHECK(seen);
  const json theirs = call("clinic2-tech", "GET", "/api/tasks?limit=500").json();
  for (const auto& t : theirs["tasks"]) CHECK(std::to_string(t["id"].get<std::int64_t>()) != id);

  auto claimed = call("img-reader1", "POST", base + "/claim");
  REQUIRE(claimed.status == 200);
  CHECK(claimed.json()["state"] == "claimed");
  CHECK(claimed.json()["assignee"]["id"] == s.user_id("img-reader1"));
  CHECK(call("img-senior", "POST", base + "/claim").status == 409);

  auto draft = call("img-reader1", "PUT", base + "/report/draft",
                    {{"base_version", 0}, {"findings", "脑实质未见异常。"}, {"impression", "颅脑CT平扫未见明显异常。"}});
  REQUIRE(draft.status == 200);
  CHECK(draft.json()["version"] == 1);
  CHECK(call("img-reader1", "PUT", base + "/report/draft", {{"base_version", 0}, {"findings", "stale"}}).status == 409);

  auto signed_r = call("img-reader1", "POST", base + "/report/sign");
  REQUIRE(signed_r.status == 200);
  const std::string code = signed_r.json()["report"]["verification_code"];
  CHECK(signed_r.json()["task"]["state"] == "signed");
  CHECK(signed_r.json()["report"]["impression"] == "颅脑CT平扫未见明显异常。");

  auto report = call("clinic1-doctor", "GET", base + "/report");
  REQUIRE(report.status == 200);
  CHECK(report.json()["versions"].size() == 1);
  CHECK_FALSE(report.json().contains("draft"));  // drafts stay in the reading center
  CHECK(call("img-reader1", "GET", base + "/report").json()["draft"]["version"] == 1);

  CHECK(call("clinic1-tech", "POST", base + "/acknowledge").status == 409);  // not delivered yet
  REQUIRE(call("clinic1-tech", "POST", base + "/delivered").status == 200);
  auto acked = call("clinic1-doctor", "POST", base + "/acknowledge", {{"note", "received"}});
  REQUIRE(acked.status == 200);
  CHECK(acked.json()["state"] == "acknowledged");

  auto verify = call("clinic2-tech", "GET", "/api/reports/verify/" + code);
  REQUIRE(verify.status == 200);
  CHECK(verify.json()["valid"] == true);

  auto task = call("img-lead", "GET", base);
  REQUIRE(task.status == 200);
  std::vector<std::string> actions;
  const json detail = task.json();
  for (const auto& e : detail["events"]) actions.push_back(e["action"]);
  CHECK(actions == std::vector<std::string>{"claim", "start_report", "sign", "mark_delivered", "acknowledge"});

  // Each move was audited with it, naming the person and where the request came from.
  for (const std::string action : {"claim", "sign", "mark_delivered", "acknowledge"}) {
    auto audit = call("admin", "GET", "/api/audit?action=" + action + "&limit=200");
    REQUIRE(audit.status == 200);
    const json entries = audit.json();
    json found;
    for (const auto& e : entries["entries"])
      if (e["target"] == "task:" + id) found = e;
    INFO(action);
    REQUIRE(found.is_object());
    CHECK(found["actor"] == (action == "claim" || action == "sign" ? "img-reader1"
                             : action == "mark_delivered"          ? "clinic1-tech"
                                                                   : "clinic1-doctor"));
    CHECK(found["remote"] == "127.0.0.1");
  }
}

TEST_CASE("two readers claiming the same task over HTTP at once: one 200, one 409", "[server][worklist]") {
  const auto id = std::to_string(completion().complete("CLINIC2", wl::Priority::Stat));
  int statuses[2] = {0, 0};
  const std::string who[2] = {"img-reader1", "img-senior"};
  (void)DemoServer::instance().token(who[0]);
  (void)DemoServer::instance().token(who[1]);
  std::thread a([&] { statuses[0] = call(who[0], "POST", "/api/tasks/" + id + "/claim").status; });
  std::thread b([&] { statuses[1] = call(who[1], "POST", "/api/tasks/" + id + "/claim").status; });
  a.join();
  b.join();
  std::sort(std::begin(statuses), std::end(statuses));
  CHECK(statuses[0] == 200);
  CHECK(statuses[1] == 409);
}

TEST_CASE("the lead dispatches, the reader flags a critical value, the clinic confirms by name", "[server][worklist]") {
  auto& s = DemoServer::instance();
  const auto id = std::to_string(completion().complete("CLINIC1"));
  const auto base = "/api/tasks/" + id;
  auto assigned = call("img-lead", "POST", base + "/assign", {{"user_id", s.user_id("img-reader1")}});
  REQUIRE(assigned.status == 200);
  CHECK(assigned.json()["assignee"]["name"] == "影像医师一 Imaging reader 1");
  CHECK(call("img-lead", "POST", base + "/assign", {{"user_id", s.user_id("ecg-reader1")}}).status == 400);

  REQUIRE(call("img-reader1", "PUT", base + "/report/draft", {{"base_version", 0}, {"impression", "脑出血"}}).status ==
          200);
  CHECK(call("img-reader1", "POST", base + "/critical", {{"category", "no_such"}}).status == 400);
  auto marked = call("img-reader1", "POST", base + "/critical",
                     {{"category", "intracranial_hemorrhage"}, {"note", "left basal ganglia"}});
  REQUIRE(marked.status == 200);
  CHECK(marked.json()["critical"]["category"] == "intracranial_hemorrhage");

  CHECK(call("clinic1-tech", "POST", base + "/critical/acknowledge", json::object()).status == 400);
  auto ack = call("clinic1-tech", "POST", base + "/critical/acknowledge", {{"readback_name", "王医生 Dr. Wang"}});
  REQUIRE(ack.status == 200);
  CHECK(ack.json()["critical"]["acknowledged_name"] == "王医生 Dr. Wang");
  CHECK(ack.json()["critical"]["acknowledged_by"] == s.user_id("clinic1-tech"));

  auto quality = call("img-reader1", "PUT", base + "/quality", {{"grade", "B"}, {"reasons", {"motion"}}});
  REQUIRE(quality.status == 200);
  CHECK(quality.json()["quality"]["grade"] == "B");

  REQUIRE(call("img-reader1", "POST", base + "/report/sign").status == 200);
  auto addendum = call("img-senior", "POST", base + "/report/addendum", {{"text", "复查建议 follow-up CT in 24 h"}});
  REQUIRE(addendum.status == 200);
  CHECK(addendum.json()["report"]["version"] == 2);
  CHECK(addendum.json()["task"]["state"] == "amended");
  const json versions = call("clinic1-tech", "GET", base + "/report").json()["versions"];
  REQUIRE(versions.size() == 2);
  CHECK(versions[0]["impression"] == "脑出血");
  CHECK(versions[1]["addendum"] == "复查建议 follow-up CT in 24 h");
}

TEST_CASE("a lead configures the center and reads its statistics as JSON and CSV", "[server][worklist]") {
  auto& s = DemoServer::instance();
  (void)completion().complete("CLINIC1");  // the statistics need at least one task of their own
  const auto img = std::to_string(s.institution_id("IMG-CENTER"));
  const auto waiting = std::to_string(completion().complete("CLINIC1"));
  const std::int64_t deadline = call("img-lead", "GET", "/api/tasks/" + waiting).json()["deadline_ms"];
  auto put = call("img-lead", "PUT", "/api/centers/" + img + "/settings",
                  {{"sla_minutes", {{"imaging", {{"routine", 180}}}}}, {"lease_minutes", 20}});
  REQUIRE(put.status == 200);
  // The open task's deadline follows the new table at once (240 -> 180 minutes after it was created).
  CHECK(put.json()["deadlines_moved"].get<int>() >= 1);
  CHECK(call("img-lead", "GET", "/api/tasks/" + waiting).json()["deadline_ms"] == deadline - 60 * 60'000);
  CHECK(put.json()["sla_minutes"]["imaging"]["routine"] == 180);
  CHECK(put.json()["sla_minutes"]["imaging"]["stat"] == 30);  // untouched values stay
  CHECK(put.json()["lease_minutes"] == 20);
  CHECK(call("img-lead", "PUT", "/api/centers/" + img + "/settings", {{"lease_minutes", 0}}).status == 400);
  CHECK(call("img-lead", "PUT", "/api/centers/" + img + "/settings", {{"fairness", "first_come"}}).status == 400);
  REQUIRE(call("img-lead", "PUT", "/api/centers/" + img + "/settings",
               {{"sla_minutes", {{"imaging", {{"routine", 240}}}}}, {"lease_minutes", 15}})
              .status == 200);

  const auto reader2 = s.user_id("img-reader2");
  auto shifts = call("img-lead", "PUT", "/api/centers/" + img + "/shifts",
                     {{"shifts", {{{"user_id", reader2}, {"weekday", 1}, {"start_minute", 0}, {"end_minute", 1440}}}}});
  REQUIRE(shifts.status == 200);
  CHECK(shifts.json()["shifts"].size() == 1);
  CHECK(call("img-lead", "PUT", "/api/centers/" + img + "/shifts",
             {{"shifts", {{{"user_id", s.user_id("clinic1-tech")}, {"weekday", 1}, {"start_minute", 0},
                           {"end_minute", 60}}}}})
            .status == 400);
  auto profile = call("img-lead", "PUT", "/api/readers/" + std::to_string(reader2) + "/profile",
                      {{"modalities", {"ct", "mr"}}, {"body_parts", json::array()}});
  REQUIRE(profile.status == 200);
  CHECK(profile.json()["modalities"] == json({"CT", "MR"}));

  auto stats = call("img-lead", "GET", "/api/stats/turnaround?group=clinic");
  REQUIRE(stats.status == 200);
  REQUIRE(stats.json()["rows"].is_array());
  CHECK(stats.json()["rows"].size() >= 1);
  auto csv = call("admin", "GET", "/api/stats/turnaround?group=modality&format=csv");
  REQUIRE(csv.status == 200);
  CHECK(csv.headers["content-type"].rfind("text/csv", 0) == 0);
  CHECK(csv.body.rfind("key,label,tasks,", 0) == 0);
  CHECK(call("img-lead", "GET", "/api/stats/turnaround?center_id=" +
                                    std::to_string(s.institution_id("ECG-CENTER")))
            .status == 404);
  CHECK(call("clinic1-tech", "GET", "/api/stats/turnaround?group=planet").status == 400);
}

TEST_CASE("quality feedback: each clinic sees its own graded exams per technician, the lead sees every clinic",
          "[server][worklist][quality]") {
  auto& s = DemoServer::instance();
  teledx::test::ExamSpec mine, theirs;
  mine.priority = theirs.priority = wl::Priority::Stat;
  mine.technician_id = s.user_id("clinic1-tech");
  mine.technician_name = "检查技师一 clinic1-tech";
  theirs.clinic_code = "CLINIC2";
  theirs.technician_name = "ZHAO YI";  // named in C-STORE files only
  const auto a = std::to_string(completion().complete(mine));
  const auto b = std::to_string(completion().complete(theirs));
  for (const auto& id : {a, b}) {
    REQUIRE(call("img-lead", "POST", "/api/tasks/" + id + "/assign", {{"user_id", s.user_id("img-reader1")}}).status ==
            200);
    REQUIRE(call("img-reader1", "PUT", "/api/tasks/" + id + "/quality",
                 {{"grade", "C"}, {"reasons", {"motion"}}, {"comment", "请嘱患者屏气"}})
                .status == 200);
  }
  const std::string tech = "user:" + std::to_string(s.user_id("clinic1-tech"));
  CHECK(call("clinic1-tech", "GET", "/api/tasks/" + a).json()["technician"]["key"] == tech);

  const auto ids = [](const json& page) {
    std::set<std::string> out;
    for (const auto& i : page["items"]) out.insert(std::to_string(i["task_id"].get<std::int64_t>()));
    return out;
  };
  auto own = call("clinic1-doctor", "GET", "/api/quality/feedback?technician=" + tech + "&limit=500");
  REQUIRE(own.status == 200);
  CHECK(ids(own.json()).count(a) == 1);
  CHECK(ids(own.json()).count(b) == 0);
  const json first = own.json()["items"][0];
  CHECK(first["grade"] == "C");
  CHECK(first["reasons"] == json({"motion"}));
  CHECK(first["comment"] == "请嘱患者屏气");
  CHECK(first["graded_by"]["name"] == "影像医师一 Imaging reader 1");
  auto other = call("clinic2-tech", "GET", "/api/quality/feedback?grade=C&limit=500");
  REQUIRE(other.status == 200);
  CHECK(ids(other.json()).count(b) == 1);
  CHECK(ids(other.json()).count(a) == 0);
  CHECK(call("clinic2-tech", "GET", "/api/quality/feedback?grade=D").status == 400);
  CHECK(call("clinic2-tech", "GET", "/api/quality/feedback?limit=0").status == 400);

  // Rates: per technician for the clinic, per clinic for the lead.
  auto per_tech = call("clinic1-tech", "GET", "/api/stats/turnaround?group=technician");
  REQUIRE(per_tech.status == 200);
  const json tech_rows = per_tech.json();  // range-for over a temporary's member would dangle
  json row;
  for (const auto& r : tech_rows["rows"])
    if (r["key"] == tech) row = r;
  REQUIRE(row.is_object());
  CHECK(row["quality"]["graded"].get<int>() >= 1);
  CHECK(row["quality"]["poor"].get<int>() >= 1);
  auto per_clinic = call("img-lead", "GET", "/api/stats/turnaround?group=clinic");
  REQUIRE(per_clinic.status == 200);
  std::set<std::string> clinics;
  const json clinic_rows = per_clinic.json();
  for (const auto& r : clinic_rows["rows"])
    if (r["quality"]["graded"].get<int>() > 0) clinics.insert(r["key"].get<std::string>());
  CHECK(clinics.count(std::to_string(s.institution_id("CLINIC1"))) == 1);
  CHECK(clinics.count(std::to_string(s.institution_id("CLINIC2"))) == 1);
}

namespace {

/// Uploads one CT image (with Operators' Name `op` when given) as `token` and completes the upload; returns the
/// exam's task as the clinic sees it.
json upload_exam(const std::string& token, const std::string& clinic_user, const std::string& study,
                 const std::string& op) {
  auto& s = DemoServer::instance();
  auto c = s.client();
  const std::string id = c.post_json("/api/uploads", {{"reason", "质控 quality"}}, token).json()["upload_id"];
  teledx::test::ImageSpec img;
  img.study_uid = study;
  img.series_uid = study + ".1";
  img.sop_uid = study + ".1.1";
  auto file = teledx::test::make_image(img);
  if (!op.empty()) file.set(0x0008, 0x1070, "PN", op);
  REQUIRE(c.request("POST", "/api/uploads/" + id + "/files?name=IM1", file.part10(),
                    {{"Authorization", "Bearer " + token}, {"Content-Type", "application/dicom"}})
              .status == 200);
  REQUIRE(c.post_json("/api/uploads/" + id + "/complete", json::object(), token).status == 200);
  const json list = call(clinic_user, "GET", "/api/tasks?limit=500&sort=newest").json();
  for (const auto& t : list["tasks"])
    if (t["study_uid"] == study) return t;
  FAIL("no task for study " << study);
  return nullptr;
}

}  // namespace

TEST_CASE("an exam's technician is the clinic user who uploaded it, or the operator named in the files the "
          "clinic's agent forwards",
          "[server][worklist][quality]") {
  auto& s = DemoServer::instance();
  const auto tag = std::to_string(teledx::SystemClock().now_ms());
  const auto by_user = upload_exam(s.token("clinic2-tech"), "clinic2-tech", "1.2.826.0.1.3680043.10.61." + tag,
                                   "LIU^FANG");
  CHECK(by_user["technician"]["key"] == "user:" + std::to_string(s.user_id("clinic2-tech")));

  auto agent = call("admin", "POST", "/api/institutions/" + std::to_string(s.institution_id("CLINIC2")) +
                                         "/agent-token",
                    json::object());
  REQUIRE(agent.status == 201);
  const std::string agent_token = agent.json()["token"];
  const auto forwarded = upload_exam(agent_token, "clinic2-tech", "1.2.826.0.1.3680043.10.62." + tag, "LIU^FANG");
  CHECK(forwarded["technician"]["key"] == "name:LIU FANG");
  CHECK(forwarded["technician"]["id"].is_null());
  const auto anonymous = upload_exam(agent_token, "clinic2-tech", "1.2.826.0.1.3680043.10.63." + tag, "");
  CHECK(anonymous["technician"]["id"] == agent.json()["user_id"]);  // nobody named: the agent's account
}
