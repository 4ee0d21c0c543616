#pragma once
// One real teledx process with the demo consortium, shared by the tests of a binary (start-up and argon2
// logins cost seconds), plus cached bearer tokens per demo user.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/http_client.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"
#include "teledx/core/consortium.hpp"
#include "teledx/worklist/task_store.hpp"

namespace teledx::test {

class DemoServer {
 public:
  static DemoServer& instance();
  HttpClient client() const { return HttpClient(server_->http_port()); }
  ServerProcess& process() { return *server_; }
  /// Bearer token of a demo user (logged in once).
  const std::string& token(const std::string& user);
  /// Numeric id of a demo user or institution code, looked up as admin.
  std::int64_t user_id(const std::string& username);
  std::int64_t institution_id(const std::string& code);
  /// The ECG center's task of a study, as its lead's worklist lists it; null when the worklist has none.
  nlohmann::json ecg_task(const std::string& study_uid);

 private:
  DemoServer();
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<ServerProcess> server_;
  std::map<std::string, std::string> tokens_;
};

/// A completed exam for the worklist tests; empty patient_id: a fresh one.
struct ExamSpec {
  std::string clinic_code = "CLINIC1";
  worklist::Priority priority = worklist::Priority::Routine;
  worklist::TaskKind kind = worklist::TaskKind::Imaging;
  std::string patient_id, national_id;
  std::optional<std::int64_t> technician_id;  // who performed it (empty name: "unknown")
  std::string technician_name;
};

/// Creates reading tasks in the demo server's own index, exactly as the ingest side does once a study is
/// complete (imaging: a chest CT for the imaging center; ECG: for the ECG center). Shared by the test binary.
class StudyCompletion {
 public:
  static StudyCompletion& instance();
  /// Returns the new task's id.
  std::int64_t complete(const ExamSpec& exam);
  std::int64_t complete(const std::string& clinic_code, worklist::Priority p = worklist::Priority::Routine,
                        worklist::TaskKind kind = worklist::TaskKind::Imaging) {
    ExamSpec e;
    e.clinic_code = clinic_code;
    e.priority = p;
    e.kind = kind;
    return complete(e);
  }
  worklist::TaskStore& tasks() { return *tasks_; }

 private:
  StudyCompletion();
  SystemClock clock_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<Consortium> consortium_;
  std::unique_ptr<worklist::TaskStore> tasks_;
};

/// The callers an authorisation table checks: "anonymous" (no token) and one demo user per role and kind of
/// institution.
extern const std::vector<std::string> kCallers;
/// A request to the demo server as `caller` ("anonymous": without a token), with a JSON body unless null.
HttpResult call(const std::string& caller, const std::string& method, const std::string& path,
                const nlohmann::json& body = nullptr);

}  // namespace teledx::test
