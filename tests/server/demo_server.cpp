#include "demo_server.hpp"

#include <catch2/catch.hpp>

#include <atomic>

namespace teledx::test {

DemoServer& DemoServer::instance() {
  static DemoServer s;
  return s;
}

DemoServer::DemoServer() {
  dir_ = std::make_unique<TempDir>("teledx-demo");
  server_ = std::make_unique<ServerProcess>(dir_->path() / "data");
}

const std::string& DemoServer::token(const std::string& user) {
  auto it = tokens_.find(user);
  if (it != tokens_.end()) return it->second;
  auto t = client().login(user);
  REQUIRE_FALSE(t.empty());
  return tokens_[user] = t;
}

std::int64_t DemoServer::user_id(const std::string& username) {
  auto j = client().get("/api/users", token("admin")).json();
  for (const auto& u : j["users"])
    if (u["username"] == username) return u["id"];
  FAIL("no demo user " << username);
  return 0;
}

nlohmann::json DemoServer::ecg_task(const std::string& study_uid) {
  const auto list = client().get("/api/tasks?limit=500&kind=ecg", token("ecg-lead")).json();
  for (const auto& t : list["tasks"])
    if (t["study_uid"] == study_uid) return t;
  return nullptr;
}

std::int64_t DemoServer::institution_id(const std::string& code) {
  auto j = client().get("/api/institutions", token("admin")).json();
  for (const auto& i : j["institutions"])
    if (i["code"] == code) return i["id"];
  FAIL("no demo institution " << code);
  return 0;
}

StudyCompletion& StudyCompletion::instance() {
  static StudyCompletion c;
  return c;
}

StudyCompletion::StudyCompletion() {
  auto db = db::open_sqlite(DemoServer::instance().process().data_dir() / "index.sqlite");
  REQUIRE(db.ok());
  db_ = std::move(*db);
  consortium_ = std::make_unique<Consortium>(*db_, clock_);
  tasks_ = std::make_unique<worklist::TaskStore>(*db_, clock_, *consortium_);
}

std::int64_t StudyCompletion::complete(const ExamSpec& e) {
  auto& s = DemoServer::instance();
  static std::atomic<int> n{0};
  const int k = ++n;
  const bool ecg = e.kind == worklist::TaskKind::Ecg;
  worklist::StudyForReading st;
  st.study_uid = "1.2.826.0.1.3680043.10.999." + std::to_string(clock_.now_ms()) + "." + std::to_string(k);
  st.clinic_id = s.institution_id(e.clinic_code);
  st.center_id = s.institution_id(ecg ? "ECG-CENTER" : "IMG-CENTER");
  st.kind = e.kind;
  st.request = {"胸痛 chest pain", "", e.priority};
  st.patient = {"王五", e.patient_id.empty() ? "P-" + std::to_string(k) : e.patient_id, "M", "19580312", "068Y",
                e.national_id};
  st.modality = ecg ? "ECG" : "CT";
  st.body_part = ecg ? "" : "CHEST";
  st.description = ecg ? "常规心电图" : "胸部CT平扫";
  st.accession = "ACC-" + std::to_string(k);
  st.technician_id = e.technician_id;
  st.technician_name = e.technician_name;
  REQUIRE(tasks_->create_or_update_for_study(st).ok());
  auto t = tasks_->find_by_study(st.study_uid, st.center_id);
  REQUIRE(t);
  return t->id;
}

const std::vector<std::string> kCallers = {"anonymous",      "admin",       "img-lead",     "img-senior",
                                           "img-reader1",    "ecg-lead",    "ecg-reader1",  "clinic1-tech",
                                           "clinic1-doctor", "clinic2-tech"};

HttpResult call(const std::string& caller, const std::string& method, const std::string& path,
                const nlohmann::json& body) {
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

}  // namespace teledx::test
