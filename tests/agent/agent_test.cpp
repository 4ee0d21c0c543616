// The real teledx server and the real teledx-agent: results land in the clinic's folder exactly once across agent
// crashes, server restarts, cut and half-open links; critical values alert until a person confirms at the agent.
// The agent talks to the server through a TcpProxy the test controls (restart, cut, freeze); exams going out
// (watch folder, local C-STORE SCP, wss) are in agent_exams_test.cpp.
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>

#include "agent/agent_site.hpp"

using namespace teledx::test;
using json = nlohmann::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

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
