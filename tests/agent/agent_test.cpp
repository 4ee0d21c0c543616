// The real teledx server and the real teledx-agent: results land in the clinic's folder exactly once across agent
// crashes, server restarts, cut and half-open links; critical values alert until a person confirms at the agent;
// DICOM files dropped in the watch folder reach the server and leave the folder only once confirmed.
// The agent talks to the server through a small TCP proxy the test controls (restart, cut, freeze).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <list>
#include <mutex>
#include <sstream>
#include <thread>

#include "dicom/dicom_fixture.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"
#include "teledx/agent/state.hpp"
#include "teledx/core/consortium.hpp"
#include "teledx/worklist/task_store.hpp"

using namespace teledx::test;
using json = nlohmann::json;
namespace wl = teledx::worklist;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 15s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return pred();
}

/// A TCP relay on a fixed local port to whichever server port is current; it can cut every link or freeze them
/// (half-open: sockets stay open, nothing passes).
class TcpProxy {
 public:
  TcpProxy() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    REQUIRE(::listen(listen_fd_, 64) == 0);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~TcpProxy() {
    stopping_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    acceptor_.join();
    cut();
    for (auto& t : relays_) t.join();
  }
  std::uint16_t port() const { return port_; }
  void target(std::uint16_t port) { target_ = port; }
  /// Drops every current link (both directions), like a pulled cable with RST.
  void cut() {
    std::lock_guard lock(mutex_);
    for (auto& l : links_)
      if (!l->closed.exchange(true)) {
        ::shutdown(l->a, SHUT_RDWR);
        ::shutdown(l->b, SHUT_RDWR);
      }
  }
  /// Current links stop passing bytes but stay open (a half-open link); new links work.
  void freeze() {
    std::lock_guard lock(mutex_);
    for (auto& l : links_) l->frozen = true;
  }
  int links_opened() const { return opened_; }

 private:
  struct Link {
    int a = -1, b = -1;
    std::atomic<bool> closed{false}, frozen{false};
  };

  void accept_loop() {
    while (!stopping_) {
      int c = ::accept(listen_fd_, nullptr, nullptr);
      if (c < 0) {
        if (stopping_) return;
        continue;
      }
      int u = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a.sin_port = htons(target_);
      if (::connect(u, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(u);
        ::close(c);
        continue;
      }
      auto link = std::make_shared<Link>();
      link->a = c;
      link->b = u;
      ++opened_;
      std::lock_guard lock(mutex_);
      links_.push_back(link);
      relays_.emplace_back([this, link] { relay(*link); });
    }
  }

  void relay(Link& l) {
    char buf[65536];
    while (!l.closed && !stopping_) {
      if (l.frozen) {
        std::this_thread::sleep_for(20ms);
        continue;
      }
      pollfd p[2] = {{l.a, POLLIN, 0}, {l.b, POLLIN, 0}};
      if (::poll(p, 2, 50) <= 0) continue;
      for (int i = 0; i < 2 && !l.frozen; ++i) {
        if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        int from = i == 0 ? l.a : l.b, to = i == 0 ? l.b : l.a;
        ssize_t n = ::recv(from, buf, sizeof buf, 0);
        if (n <= 0 || ::send(to, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) {
          l.closed = true;
          break;
        }
      }
    }
    ::shutdown(l.a, SHUT_RDWR);
    ::shutdown(l.b, SHUT_RDWR);
    ::close(l.a);
    ::close(l.b);
  }

  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<std::uint16_t> target_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<int> opened_{0};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<std::shared_ptr<Link>> links_;
  std::list<std::thread> relays_;
};

/// The real teledx-agent process.
class AgentProcess {
 public:
  AgentProcess(fs::path config, fs::path log) : config_(std::move(config)), log_(std::move(log)) { start(); }
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
  fs::path config_, log_;
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
    tasks_ = std::make_unique<wl::TaskStore>(*db_, clock_, *consortium_);
    auto r = call("admin", "POST", "/api/institutions/" + std::to_string(institution("CLINIC1")) + "/agent-token");
    REQUIRE(r.status == 201);
    agent_token_ = r.json()["token"];
    fs::create_directories(results());
    fs::create_directories(watch());
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

  fs::path results() const { return dir_.path() / "results"; }
  fs::path watch() const { return dir_.path() / "watch"; }
  fs::path sent() const { return dir_.path() / "state" / "sent"; }
  fs::path hook_log() const { return dir_.path() / "hook.log"; }

  /// Writes the agent's config file; `extra` lines are appended ("key = value").
  fs::path agent_config(const std::string& extra = {}) {
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
  HttpResult call(const std::string& user, const std::string& method, const std::string& path, const json& body = nullptr) {
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
    wl::StudyForReading st;
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
  json task(std::int64_t id) { return call("clinic1-tech", "GET", "/api/tasks/" + std::to_string(id)).json(); }

  std::vector<std::string> result_files() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(results())) out.push_back(e.path().filename().string());
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
  std::unique_ptr<wl::TaskStore> tasks_;
  std::map<std::string, std::string> tokens_;
  std::string agent_token_;
};

bool has_file(const Site& s, const std::string& name) { return fs::exists(s.results() / name); }

bool delivered_and_acknowledged(Site& s, std::int64_t task) {
  auto t = s.task(task);
  return t["state"] == "acknowledged" && t["times"]["delivered"].is_string() && t["times"]["acknowledged"].is_string();
}

}  // namespace

TEST_CASE("a signed result lands in the folder exactly once across agent crashes and a server restart",
          "[agent]") {
  Site s;
  auto agent = s.agent();
  const auto t1 = s.new_task();
  s.sign(t1);
  const auto f1 = "task" + std::to_string(t1) + "_v1.json";
  REQUIRE(eventually([&] { return has_file(s, f1); }));
  CHECK(eventually([&] { return delivered_and_acknowledged(s, t1); }));
  auto doc = json::parse(std::ifstream(s.results() / f1));
  CHECK(doc["report"]["impression"] == "心肺膈未见明显异常。");
  CHECK(doc["exam"]["patient"]["name"] == "赵六");
  CHECK(fs::exists(s.results() / ("task" + std::to_string(t1) + "_v1.txt")));
  std::ifstream pdf(s.results() / ("task" + std::to_string(t1) + "_v1.pdf"), std::ios::binary);
  std::string magic(5, '\0');
  pdf.read(magic.data(), 5);
  CHECK(magic == "%PDF-");
  CHECK(doc["pdf"] == "task" + std::to_string(t1) + "_v1.pdf");

  // Killed while offline work piles up: the result signed meanwhile comes on restart, the first is not repeated.
  agent->kill9();
  const auto t2 = s.new_task();
  s.sign(t2);
  agent->start();
  const auto f2 = "task" + std::to_string(t2) + "_v1.json";
  REQUIRE(eventually([&] { return has_file(s, f2); }));
  CHECK(eventually([&] { return delivered_and_acknowledged(s, t2); }));

  // The server restarts (another port behind the same address); results signed while it was away still come.
  s.stop_server();
  s.start_server();
  const auto t3 = s.new_task();
  s.sign(t3);
  const auto f3 = "task" + std::to_string(t3) + "_v1.json";
  REQUIRE(eventually([&] { return has_file(s, f3); }, 30s));
  CHECK(eventually([&] { return delivered_and_acknowledged(s, t3); }));

  // An addendum is a new version: a new file, the old one untouched.
  auto before = s.result_files();
  REQUIRE(s.call("img-reader1", "POST", "/api/tasks/" + std::to_string(t1) + "/report/addendum",
                 {{"text", "补充：左侧肋骨未见骨折。"}})
              .status == 200);
  const auto f1v2 = "task" + std::to_string(t1) + "_v2.json";
  REQUIRE(eventually([&] { return has_file(s, f1v2); }));
  CHECK(eventually([&] { return delivered_and_acknowledged(s, t1); }));
  CHECK(s.result_files().size() == before.size() + 3);

  std::vector<std::string> expected;
  for (auto t : {t1, t2, t3})
    for (const char* ext : {".json", ".pdf", ".txt"}) expected.push_back("task" + std::to_string(t) + "_v1" + ext);
  for (const char* ext : {".json", ".pdf", ".txt"}) expected.push_back("task" + std::to_string(t1) + "_v2" + ext);
  std::sort(expected.begin(), expected.end());
  CHECK(s.result_files() == expected);
  for (auto t : {t1, t2, t3}) CHECK(s.hook_lines(t) == 1);
  CHECK(agent->stop() == 0);
}

TEST_CASE("an agent killed after writing a report but before acknowledging it writes no duplicate and acknowledges "
          "on restart",
          "[agent]") {
  Site s;
  // The hook holds the agent between "file written and recorded" and "acknowledged".
  auto agent = s.agent("hook = sleep 10\n");
  const auto t = s.new_task();
  s.sign(t);
  const auto f = "task" + std::to_string(t) + "_v1.json";
  REQUIRE(eventually([&] { return has_file(s, f); }));
  std::this_thread::sleep_for(500ms);
  agent->kill9();
  CHECK(s.task(t)["state"] == "signed");  // not acknowledged: the agent died first
  const auto files = s.result_files();

  agent = s.agent();
  const bool acknowledged = eventually([&] { return delivered_and_acknowledged(s, t); });
  INFO(s.agent_log());
  CHECK(acknowledged);
  CHECK(s.result_files() == files);
  CHECK(agent->stop() == 0);
}

TEST_CASE("a critical value alerts at the clinic until a person confirms it at the agent", "[agent]") {
  Site s;
  auto agent = s.agent();
  const auto t = s.new_task();
  s.sign(t, /*critical=*/true);
  const auto alert = "CRITICAL_task" + std::to_string(t) + ".txt";
  REQUIRE(eventually([&] { return has_file(s, alert); }));
  REQUIRE(eventually([&] { return has_file(s, "task" + std::to_string(t) + "_v1.json"); }));
  // Receipt is recorded, but the task is not acknowledged while nobody has confirmed the critical value.
  CHECK(eventually([&] { return s.task(t)["state"] == "delivered"; }));
  std::this_thread::sleep_for(2500ms);
  CHECK(s.task(t)["state"] == "delivered");
  CHECK(fs::exists(s.results() / alert));
  std::string out;
  CHECK(s.run_agent_command("status", &out) == 0);
  CHECK(out.find("1 critical value(s) unconfirmed") != std::string::npos);
  CHECK(s.agent_log().find("CRITICAL VALUE for task " + std::to_string(t)) != std::string::npos);

  CHECK(s.run_agent_command("confirm " + std::to_string(t) + " --name '李护士 Nurse Li'", &out) == 0);
  INFO(out);
  CHECK_FALSE(fs::exists(s.results() / alert));
  CHECK(eventually([&] { return delivered_and_acknowledged(s, t); }));
  CHECK(s.task(t)["critical"]["acknowledged_name"] == "李护士 Nurse Li");
  CHECK(s.run_agent_command("status", &out) == 0);
  CHECK(out.find("0 critical value(s) unconfirmed") != std::string::npos);
}

TEST_CASE("a cut link and a half-open link are both detected and the agent recovers", "[agent]") {
  Site s;
  auto agent = s.agent();
  REQUIRE(eventually([&] { return s.proxy().links_opened() >= 1; }));
  std::this_thread::sleep_for(1s);

  s.proxy().cut();
  const auto t1 = s.new_task();
  s.sign(t1);
  CHECK(eventually([&] { return has_file(s, "task" + std::to_string(t1) + "_v1.json"); }));

  // Half-open: the socket stays up but nothing passes. Pings go unanswered; the agent drops it after
  // dead_seconds (5 s) and reconnects.
  const int before = s.proxy().links_opened();
  s.proxy().freeze();
  const auto t2 = s.new_task();
  s.sign(t2);
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(eventually([&] { return has_file(s, "task" + std::to_string(t2) + "_v1.json"); }, 20s));
  CHECK(std::chrono::steady_clock::now() - start < 12s);
  CHECK(s.proxy().links_opened() > before);
  CHECK(eventually([&] { return delivered_and_acknowledged(s, t2); }));
}

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
