// The worklist API of the real server: who may call what (role and institution), and the reading flows an
// HTTP client can drive. Tasks come from completed studies; here they are created through the worklist module
// on the server's own index, exactly as the ingest side does once a study is complete.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "demo_server.hpp"
#include "teledx/core/consortium.hpp"
#include "teledx/worklist/task_store.hpp"

using teledx::test::DemoServer;
using json = nlohmann::json;
namespace wl = teledx::worklist;

namespace {

/// Creates reading tasks in the running server's index, as study completion would.
class StudyCompletion {
 public:
  StudyCompletion() {
    auto db = teledx::db::open_sqlite(DemoServer::instance().process().data_dir() / "index.sqlite");
    REQUIRE(db.ok());
    db_ = std::move(*db);
    consortium_ = std::make_unique<teledx::Consortium>(*db_, clock_);
    tasks_ = std::make_unique<wl::TaskStore>(*db_, clock_, *consortium_);
  }
  std::int64_t complete(const std::string& clinic_code, wl::Priority p = wl::Priority::Routine,
                        wl::TaskKind kind = wl::TaskKind::Imaging) {
    auto& s = DemoServer::instance();
    static std::atomic<int> n{0};
    wl::StudyForReading st;
    st.study_uid = "1.2.826.0.1.3680043.10.999." + std::to_string(clock_.now_ms()) + "." + std::to_string(++n);
    st.clinic_id = s.institution_id(clinic_code);
    st.center_id = s.institution_id(kind == wl::TaskKind::Ecg ? "ECG-CENTER" : "IMG-CENTER");
    st.kind = kind;
    st.request = {"头痛 headache", "", p};
    st.patient = {"李四", "P-" + std::to_string(n), "F", "19700101", "056Y", ""};
    st.modality = kind == wl::TaskKind::Ecg ? "ECG" : "CT";
    st.body_part = kind == wl::TaskKind::Ecg ? "" : "HEAD";
    REQUIRE(tasks_->create_or_update_for_study(st).ok());
    auto t = tasks_->find_by_study(st.study_uid, st.center_id);
    REQUIRE(t);
    return t->id;
  }
  wl::TaskStore& tasks() { return *tasks_; }

 private:
  teledx::SystemClock clock_;
  std::unique_ptr<teledx::db::Database> db_;
  std::unique_ptr<teledx::Consortium> consortium_;
  std::unique_ptr<wl::TaskStore> tasks_;
};

StudyCompletion& completion() {
  static StudyCompletion c;
  return c;
}

const std::vector<std::string> kCallers = {"anonymous",      "admin",       "img-lead",     "img-senior",
                                           "img-reader1",    "ecg-lead",    "ecg-reader1",  "clinic1-tech",
                                           "clinic1-doctor", "clinic2-tech"};

teledx::test::HttpResult call(const std::string& caller, const std::string& method, const std::string& path,
                              const json& body = nullptr) {
  auto& s = DemoServer::instance();
  std::vector<std::pair<std::string, std::string>> headers;
  if (caller != "anonymous") headers.emplace_back("Authorization", "Bearer " + s.token(caller));
  std::string text;
  if (!body.is_null()) {
    text = body.dump();
    headers.emplace_back("Content-Type", "application/json");
  }
  return s.client().request(method, path, text, headers);
}

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

  auto audit = call("admin", "GET", "/api/audit?action=sign&limit=50");
  REQUIRE(audit.status == 200);
  bool audited = false;
  const json entries = audit.json();
  for (const auto& e : entries["entries"]) audited |= e["target"] == "task:" + id;
  CHECK(audited);
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
  auto put = call("img-lead", "PUT", "/api/centers/" + img + "/settings",
                  {{"sla_minutes", {{"imaging", {{"routine", 180}}}}}, {"lease_minutes", 20}});
  REQUIRE(put.status == 200);
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
