#include "demo_server.hpp"

#include <catch2/catch.hpp>

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

std::int64_t DemoServer::institution_id(const std::string& code) {
  auto j = client().get("/api/institutions", token("admin")).json();
  for (const auto& i : j["institutions"])
    if (i["code"] == code) return i["id"];
  FAIL("no demo institution " << code);
  return 0;
}

}  // namespace teledx::test
