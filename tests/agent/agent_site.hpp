#pragma once
// The agent tests' site: the real teledx server behind a TcpProxy, the worklist module on the server's index (to
// create tasks as study completion does), CLINIC1's agent token and config, and the real teledx-agent process.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <thread>

#include "support/http_client.hpp"
#include "support/server_process.hpp"
#include "support/tcp_proxy.hpp"
#include "support/temp_dir.hpp"
#include "teledx/core/consortium.hpp"
#include "teledx/worklist/task_store.hpp"

namespace teledx::test {

inline bool eventually(const std::function<bool()>& pred,
                       std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

/// The real teledx-agent process.
class AgentProcess {
 public:
  AgentProcess(std::filesystem::path config, std::filesystem::path log) : config_(std::move(config)), log_(std::move(log)) { start(); }
  ~AgentProcess() { stop(); }
  void start() {
    pid_ = ::fork();
    if (pid_ == 0) {
      int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::execl(TELEDX_AGENT_BINARY, TELEDX_AGENT_BINARY, "run", "--config", config_.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  int stop() {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    if (WIFSIGNALED(status)) UNSCOPED_INFO("the agent died of signal " << WTERMSIG(status));
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  void kill9() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  std::string output() const {
    std::ifstream in(log_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  std::filesystem::path config_, log_;
  pid_t pid_ = -1;
};

/// Server + proxy + the worklist module on the server's index + an agent configuration for CLINIC1.
class Site {
 public:
  explicit Site(std::vector<std::string> server_args = {}) : dir_("teledx-agent"), server_args_(std::move(server_args)) {
    start_server();
    auto db = teledx::db::open_sqlite(dir_.path() / "data" / "index.sqlite");
    REQUIRE(db.ok());
    db_ = std::move(*db);
    consortium_ = std::make_unique<teledx::Consortium>(*db_, clock_);
    tasks_ = std::make_unique<teledx::worklist::TaskStore>(*db_, clock_, *consortium_);
    auto r = call("admin", "POST", "/api/institutions/" + std::to_string(institution("CLINIC1")) + "/agent-token");
    REQUIRE(r.status == 201);
    agent_token_ = r.json()["token"];
    std::filesystem::create_directories(results());
    std::filesystem::create_directories(watch());
  }

  void start_server() {
    std::vector<std::string> args{"--seed-demo", "--study-stable-seconds", "2", "--ws-idle-seconds", "6"};
    args.insert(args.end(), server_args_.begin(), server_args_.end());
    server_ = std::make_unique<ServerProcess>(dir_.path() / "data", args);
    proxy_.target(server_->http_port());
  }
  void stop_server() { server_->stop(); }
  ServerProcess& server() { return *server_; }
  TcpProxy& proxy() { return proxy_; }

  std::filesystem::path results() const { return dir_.path() / "results"; }
  std::filesystem::path watch() const { return dir_.path() / "watch"; }
  std::filesystem::path sent() const { return dir_.path() / "state" / "sent"; }
  std::filesystem::path state() const { return dir_.path() / "state"; }
  std::filesystem::path hook_log() const { return dir_.path() / "hook.log"; }

  /// Writes the agent's config file; `extra` lines are appended ("key = value").
  std::filesystem::path agent_config(const std::string& extra = {}) {
    auto p = dir_.path() / "agent.conf";
    std::ofstream out(p);
    out << "# teledx-agent test configuration\n"
        << "server = ws://127.0.0.1:" << proxy_.port() << "\n"
        << "token = " << agent_token_ << "\n"
        << "state_dir = " << (dir_.path() / "state").string() << "\n"
        << "results_dir = " << results().string() << "\n"
        << "watch_dir = " << watch().string() << "\n"
        << "settle_seconds = 1\nscan_seconds = 1\nping_seconds = 2\ndead_seconds = 5\nreconnect_max_seconds = 2\n"
        << "alert_repeat_seconds = 2\n"
        << "hook = echo \"$TELEDX_TASK_ID $TELEDX_VERSION\" >> " << hook_log().string() << "\n"
        << extra;
    return p;
  }
  std::unique_ptr<AgentProcess> agent(const std::string& extra = {}) {
    return std::make_unique<AgentProcess>(agent_config(extra), dir_.path() / "agent.log");
  }
  std::string agent_log() const {
    std::ifstream in(dir_.path() / "agent.log");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  std::int64_t institution(const std::string& code) {
    auto i = consortium_->institution_by_code(code);
    REQUIRE(i);
    return i->id;
  }
  const std::string& token(const std::string& user) {
    auto& t = tokens_[user];
    if (t.empty()) t = HttpClient(server_->http_port()).login(user);
    REQUIRE_FALSE(t.empty());
    return t;
  }
  HttpResult call(const std::string& user, const std::string& method, const std::string& path,
                  const nlohmann::json& body = nullptr) {
    std::vector<std::pair<std::string, std::string>> h{{"Authorization", "Bearer " + token(user)}};
    std::string text;
    if (!body.is_null()) {
      text = body.dump();
      h.emplace_back("Content-Type", "application/json");
    }
    return HttpClient(server_->http_port()).request(method, path, text, h);
  }

  std::int64_t new_task(const std::string& clinic = "CLINIC1") {
    static int n = 0;
    teledx::worklist::StudyForReading st;
    st.study_uid = "1.2.826.0.1.3680043.10.778." + std::to_string(clock_.now_ms()) + "." + std::to_string(++n);
    st.clinic_id = institution(clinic);
    st.center_id = institution("IMG-CENTER");
    st.patient = {"赵六", "AG-" + std::to_string(n), "F", "19800101", "", ""};
    st.modality = "DX";
    REQUIRE(tasks_->create_or_update_for_study(st).ok());
    auto t = tasks_->find_by_study(st.study_uid, st.center_id);
    REQUIRE(t);
    return t->id;
  }
  void sign(std::int64_t task, bool critical = false) {
    const auto base = "/api/tasks/" + std::to_string(task);
    REQUIRE(call("img-reader1", "POST", base + "/claim").status == 200);
    REQUIRE(call("img-reader1", "PUT", base + "/report/draft",
                 {{"base_version", 0}, {"findings", "双肺纹理清晰。"}, {"impression", "心肺膈未见明显异常。"}})
                .status == 200);
    if (critical) REQUIRE(call("img-reader1", "POST", base + "/critical", {{"category", "pneumothorax"}}).status == 200);
    REQUIRE(call("img-reader1", "POST", base + "/report/sign").status == 200);
  }
  nlohmann::json task(std::int64_t id) { return call("clinic1-tech", "GET", "/api/tasks/" + std::to_string(id)).json(); }

  std::vector<std::string> result_files() const {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(results())) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }
  int hook_lines(std::int64_t task) const {
    std::ifstream in(hook_log());
    std::string line;
    int n = 0;
    while (std::getline(in, line)) n += line == std::to_string(task) + " 1";
    return n;
  }
  int run_agent_command(const std::string& args, std::string* out) {
    return run_command("'" + std::string(TELEDX_AGENT_BINARY) + "' " + args + " --config '" +
                           (dir_.path() / "agent.conf").string() + "'",
                       out);
  }

 private:
  TempDir dir_;
  std::vector<std::string> server_args_;
  TcpProxy proxy_;
  std::unique_ptr<ServerProcess> server_;
  teledx::SystemClock clock_;
  std::unique_ptr<teledx::db::Database> db_;
  std::unique_ptr<teledx::Consortium> consortium_;
  std::unique_ptr<teledx::worklist::TaskStore> tasks_;
  std::map<std::string, std::string> tokens_;
  std::string agent_token_;
};

inline bool has_file(const Site& s, const std::string& name) { return std::filesystem::exists(s.results() / name); }

inline bool delivered_and_acknowledged(Site& s, std::int64_t task) {
  auto t = s.task(task);
  return t["state"] == "acknowledged" && t["times"]["delivered"].is_string() && t["times"]["acknowledged"].is_string();
}

}  // namespace teledx::test
