// The /ws websocket of a real server: authenticated at the upgrade, answers application pings, refuses
// anonymous callers with the usual JSON error.
#include "support/ws_client.hpp"

#include <catch2/catch.hpp>

#include "demo_server.hpp"

using namespace teledx::test;

TEST_CASE("a signed-in user opens the websocket, is greeted by name and gets pongs", "[server][ws]") {
  auto& s = DemoServer::instance();
  WsClient ws(s.process().http_port(), "/ws", {{"Authorization", "Bearer " + s.token("img-reader1")}});
  REQUIRE(ws.status() == 101);
  auto hello = nlohmann::json::parse(ws.receive().value_or("{}"));
  CHECK(hello["type"] == "hello");
  CHECK(hello["user"] == "img-reader1");
  REQUIRE(ws.send_text(R"({"type":"ping","id":7})"));
  auto pong = nlohmann::json::parse(ws.receive().value_or("{}"));
  CHECK(pong["type"] == "pong");
  CHECK(pong["id"] == 7);
  REQUIRE(ws.send_text("not json"));
  auto err = nlohmann::json::parse(ws.receive().value_or("{}"));
  CHECK(err["error"]["code"] == "invalid_json");
}

TEST_CASE("the websocket refuses a caller without a valid session before upgrading", "[server][ws]") {
  auto& s = DemoServer::instance();
  WsClient anonymous(s.process().http_port(), "/ws");
  CHECK(anonymous.status() == 401);
  WsClient bad(s.process().http_port(), "/ws", {{"Authorization", "Bearer 1234"}});
  CHECK(bad.status() == 401);
  // A plain GET on the websocket path is a clear 400, not a hang.
  auto r = s.client().get("/ws", s.token("img-reader1"));
  CHECK(r.status == 400);
}
