// The HTTP front of a real teledx process: JSON errors with the right status for bad input, request ids,
// cookies, metrics, lockout and graceful shutdown.
#include <catch2/catch.hpp>
#include <regex>

#include "demo_server.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"

using namespace teledx::test;

namespace {
void require_json_error(const HttpResult& r, int status, const std::string& code) {
  INFO(r.status << " " << r.body);
  REQUIRE(r.status == status);
  auto j = r.json();
  REQUIRE(j.is_object());
  CHECK(j["error"]["code"] == code);
  CHECK_FALSE(j["error"]["message"].get<std::string>().empty());
}
}  // namespace

TEST_CASE("bad requests get a JSON error with the right status and never take the server down", "[server][http]") {
  auto& s = DemoServer::instance();
  auto c = s.client();
  require_json_error(c.get("/no/such/route"), 404, "not_found");
  require_json_error(c.request("DELETE", "/healthz"), 405, "method_not_allowed");
  require_json_error(c.request("POST", "/api/login", "{not json", {{"Content-Type", "application/json"}}), 400,
                     "invalid_json");
  require_json_error(c.request("POST", "/api/login", "[1,2]", {{"Content-Type", "application/json"}}), 400,
                     "invalid_json");
  require_json_error(c.request("POST", "/api/login", "username=a", {{"Content-Type", "text/plain"}}), 415,
                     "unsupported_media_type");
  require_json_error(c.post_json("/api/login", {{"username", 5}}), 400, "bad_request");
  require_json_error(c.request("POST", "/api/login", std::string(20000, 'x'), {{"Content-Type", "application/json"}}),
                     413, "payload_too_large");
  require_json_error(c.get("/api/me", "not-a-token"), 401, "unauthenticated");
  require_json_error(c.request("GET", "/api/me", "", {{"Authorization", "Basic abc"}}), 401, "unauthenticated");
  require_json_error(c.get("/api/me"), 401, "unauthenticated");
  require_json_error(c.get("/api/users/abc", s.token("admin")), 404, "not_found");
  require_json_error(c.get("/api/users/%zz", s.token("admin")), 400, "bad_request");
  // Garbage that is not HTTP at all: the connection closes, the server keeps serving.
  c.raw("\x16\x03\x01garbage\r\n\r\n");
  c.raw("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n");
  CHECK(c.get("/healthz").status == 200);
}

TEST_CASE("every response carries a request id that also appears in the server log", "[server][http]") {
  auto& s = DemoServer::instance();
  auto r = s.client().get("/api/me", s.token("clinic1-tech"));
  REQUIRE(r.status == 200);
  auto id = r.headers["x-request-id"];
  REQUIRE(id.size() == 16);
  CHECK(s.process().output().find(id) != std::string::npos);
}

TEST_CASE("login sets an HttpOnly SameSite session cookie that authenticates a browser", "[server][http]") {
  auto& s = DemoServer::instance();
  auto c = s.client();
  auto r = c.post_json("/api/login", {{"username", "clinic2-doctor"}, {"password", "teledx-demo"}});
  REQUIRE(r.status == 200);
  auto cookie = r.headers["set-cookie"];
  CHECK(cookie.find("HttpOnly") != std::string::npos);
  CHECK(cookie.find("SameSite=Strict") != std::string::npos);
  auto value = cookie.substr(0, cookie.find(';'));
  auto me = c.request("GET", "/api/me", "", {{"Cookie", value}});
  REQUIRE(me.status == 200);
  CHECK(me.json()["user"]["username"] == "clinic2-doctor");
  // Logging out ends the session for the cookie and the token alike.
  auto out = c.request("POST", "/api/logout", "", {{"Cookie", value}});
  CHECK(out.status == 200);
  CHECK(c.request("GET", "/api/me", "", {{"Cookie", value}}).status == 401);
  CHECK(c.get("/api/me", r.json()["token"]).status == 401);
}

TEST_CASE("repeated wrong passwords lock the account with a clear wait time", "[server][http]") {
  auto& s = DemoServer::instance();
  auto c = s.client();
  int last = 0;
  std::string body;
  for (int i = 0; i < 8; ++i) {
    auto r = c.post_json("/api/login", {{"username", "clinic3-doctor"}, {"password", "wrong-password"}});
    last = r.status;
    body = r.body;
  }
  INFO(body);
  CHECK(last == 429);
  CHECK(body.find("too_many_attempts") != std::string::npos);
  // Even the right password is refused while the lock lasts.
  CHECK(c.post_json("/api/login", {{"username", "clinic3-doctor"}, {"password", "teledx-demo"}}).status == 429);
  // Other accounts are unaffected.
  CHECK(c.post_json("/api/login", {{"username", "clinic3-tech"}, {"password", "teledx-demo"}}).status == 200);
}

TEST_CASE("metrics are Prometheus text with request counts, latencies and open connections", "[server][http]") {
  auto& s = DemoServer::instance();
  auto c = s.client();
  c.get("/healthz");
  auto r = c.get("/metrics");
  REQUIRE(r.status == 200);
  CHECK(r.headers["content-type"].find("text/plain") == 0);
  CHECK(std::regex_search(r.body, std::regex(R"(teledx_http_requests_total\{route="/healthz",method="GET",status="200"\} [1-9])")));
  CHECK(r.body.find("teledx_http_request_duration_seconds_bucket{route=\"/healthz\"") != std::string::npos);
  CHECK(r.body.find("teledx_http_open_connections ") != std::string::npos);
}

TEST_CASE("SIGTERM stops the server cleanly and its data reopens consistent", "[server][http]") {
  TempDir dir;
  {
    ServerProcess p(dir / "data");
    HttpClient c(p.http_port());
    REQUIRE_FALSE(c.login("admin").empty());
    CHECK(p.stop() == 0);
    CHECK(p.output().find("stopped cleanly") != std::string::npos);
  }
  std::string out;
  CHECK(run_teledx({"check", "--data-dir", (dir / "data").string()}, &out) == 0);
  CHECK(out.find("check: clean") != std::string::npos);
  // Seeding again is idempotent: same users, nothing duplicated, and the audit chain still verifies.
  {
    ServerProcess p(dir / "data");
    HttpClient c(p.http_port());
    auto users = c.get("/api/users", c.login("admin")).json()["users"];
    CHECK(users.size() == 15);
  }
  CHECK(run_teledx({"audit", "verify", "--data-dir", (dir / "data").string()}, &out) == 0);
  INFO(out);
  CHECK(out.find("chain intact") != std::string::npos);
}

TEST_CASE("without --seed-demo no account and no default password exist", "[server][http]") {
  TempDir dir;
  ServerProcess p(dir / "data", {});
  HttpClient c(p.http_port());
  CHECK(c.post_json("/api/login", {{"username", "admin"}, {"password", "teledx-demo"}}).status == 401);
}

TEST_CASE("a client that sends Expect: 100-continue gets the go-ahead at once, not after its own timeout",
          "[server][http]") {
  TempDir dir;
  ServerProcess server(dir / "data");
  std::string out;
  // curl waits for "100 Continue" up to --expect100-timeout before sending the body anyway: 20 s here, so an
  // answer within a few seconds can only come from the server's go-ahead.
  const std::string cmd = "curl -s -o /dev/null -w '%{http_code} %{time_total}' --expect100-timeout 20 "
                          "-H 'Expect: 100-continue' -H 'Content-Type: application/json' "
                          "--data-binary '{\"username\":\"clinic1-tech\",\"password\":\"teledx-demo\"}' "
                          "http://127.0.0.1:" + std::to_string(server.http_port()) + "/api/login";
  REQUIRE(run_command(cmd, &out) == 0);
  INFO(out);
  CHECK(out.rfind("200 ", 0) == 0);
  CHECK(std::stod(out.substr(4)) < 5.0);
  // A body too large for the route is refused before the client sends it.
  const std::string big = "head -c 3000000 /dev/zero | curl -s -o /dev/null -w '%{http_code}' --expect100-timeout 20 "
                          "-H 'Expect: 100-continue' -H 'Content-Type: application/json' --data-binary @- "
                          "http://127.0.0.1:" + std::to_string(server.http_port()) + "/api/login";
  REQUIRE(run_command(big, &out) == 0);
  CHECK(out == "413");
}
