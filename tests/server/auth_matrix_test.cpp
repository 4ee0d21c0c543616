// Every endpoint called as every demo role, from the right and from a wrong institution: exactly the allowed
// outcomes. New endpoints join the table below.
#include <catch2/catch.hpp>
#include <functional>

#include "demo_server.hpp"

using teledx::test::DemoServer;

namespace {

const std::vector<std::string> kCallers = {"anonymous",   "admin",        "img-lead",     "img-senior",
                                           "img-reader1", "ecg-lead",     "ecg-reader1",  "clinic1-tech",
                                           "clinic1-doctor", "clinic2-tech"};

struct Call {
  std::string method, path;
  nlohmann::json body;  // null: no body
};

struct Endpoint {
  std::string name;
  std::function<Call(const std::string& caller)> make;  // caller lets bodies be unique per caller
  std::map<std::string, int> allowed;                   // caller -> status; everyone else gets `otherwise`
  int otherwise;
};

std::vector<Endpoint> endpoints() {
  auto& s = DemoServer::instance();
  const std::string reader1 = std::to_string(s.user_id("img-reader1"));
  const std::string clinic1 = std::to_string(s.institution_id("CLINIC1"));
  const std::string clinic1_tech = std::to_string(s.user_id("clinic1-tech"));
  auto fixed = [](std::string method, std::string path, nlohmann::json body = nullptr) {
    return [=](const std::string&) { return Call{method, path, body}; };
  };
  std::map<std::string, int> all_signed_in;
  for (const auto& c : kCallers)
    if (c != "anonymous") all_signed_in[c] = 200;
  return {
      {"GET /api/me", fixed("GET", "/api/me"), all_signed_in, 401},
      {"GET /api/institutions", fixed("GET", "/api/institutions"), all_signed_in, 401},
      {"GET /api/institutions/{id}", fixed("GET", "/api/institutions/" + clinic1), all_signed_in, 401},
      {"POST /api/institutions",
       [](const std::string& caller) {
         return Call{"POST", "/api/institutions",
                     {{"code", "NEW-" + caller}, {"name", "New clinic"}, {"kind", "clinic"}, {"parent_id", 1}}};
       },
       {{"admin", 201}, {"anonymous", 401}}, 403},
      {"GET /api/institutions/{id}/ae-titles", fixed("GET", "/api/institutions/" + clinic1 + "/ae-titles"),
       {{"admin", 200}, {"anonymous", 401}}, 403},
      {"POST /api/institutions/{id}/ae-titles",
       [clinic1](const std::string& caller) {
         std::string ae = "AE" + std::to_string(std::hash<std::string>{}(caller) % 100000);
         return Call{"POST", "/api/institutions/" + clinic1 + "/ae-titles", {{"ae_title", ae}}};
       },
       {{"admin", 201}, {"anonymous", 401}}, 403},
      {"DELETE /api/ae-titles/{ae}", fixed("DELETE", "/api/ae-titles/NOSUCHAE"),
       {{"admin", 404}, {"anonymous", 401}}, 403},
      {"GET /api/users", fixed("GET", "/api/users"),
       {{"admin", 200}, {"img-lead", 200}, {"ecg-lead", 200}, {"anonymous", 401}}, 403},
      // A reader's account: the admin, the reader's own lead and the reader see it; a lead of another center
      // and other users get 404, as if it did not exist.
      {"GET /api/users/{id} (imaging reader)", fixed("GET", "/api/users/" + reader1),
       {{"admin", 200}, {"img-lead", 200}, {"img-reader1", 200}, {"anonymous", 401}}, 404},
      {"GET /api/users/{id} (clinic technician)", fixed("GET", "/api/users/" + clinic1_tech),
       {{"admin", 200}, {"clinic1-tech", 200}, {"anonymous", 401}}, 404},
      {"POST /api/users",
       [](const std::string& caller) {
         return Call{"POST", "/api/users",
                     {{"username", "u-" + caller}, {"password", "long-enough-1"}, {"role", "clinic_tech"},
                      {"institution_id", 4}}};
       },
       {{"admin", 201}, {"anonymous", 401}}, 403},
      {"PATCH /api/users/{id}", fixed("PATCH", "/api/users/" + reader1, {{"active", true}}),
       {{"admin", 200}, {"anonymous", 401}}, 403},
      {"GET /api/audit", fixed("GET", "/api/audit?limit=5"), {{"admin", 200}, {"anonymous", 401}}, 403},
      {"GET /healthz (public)", fixed("GET", "/healthz"),
       [] {
         std::map<std::string, int> m;
         for (const auto& c : kCallers) m[c] = 200;
         return m;
       }(),
       200},
  };
}

}  // namespace

TEST_CASE("every endpoint answers each role and institution exactly as the authorisation table allows",
          "[server][auth]") {
  auto& s = DemoServer::instance();
  auto client = s.client();
  for (const auto& ep : endpoints()) {
    for (const auto& caller : kCallers) {
      Call call = ep.make(caller);
      std::vector<std::pair<std::string, std::string>> headers;
      if (caller != "anonymous") headers.emplace_back("Authorization", "Bearer " + s.token(caller));
      std::string body;
      if (!call.body.is_null()) {
        body = call.body.dump();
        headers.emplace_back("Content-Type", "application/json");
      }
      auto r = client.request(call.method, call.path, body, headers);
      auto it = ep.allowed.find(caller);
      int expected = it != ep.allowed.end() ? it->second : ep.otherwise;
      INFO(ep.name << " as " << caller << " -> " << r.status << " " << r.body);
      CHECK(r.status == expected);
      if (r.status >= 400) {
        auto j = r.json();
        CHECK(j["error"]["code"].is_string());
        CHECK(j["error"]["message"].is_string());
      }
    }
  }
}

TEST_CASE("a center lead lists only the users of their own center", "[server][auth]") {
  auto& s = DemoServer::instance();
  auto r = s.client().get("/api/users", s.token("ecg-lead"));
  REQUIRE(r.status == 200);
  auto ecg_center = s.institution_id("ECG-CENTER");
  auto users = r.json()["users"];
  REQUIRE(users.size() == 4);
  for (const auto& u : users) CHECK(u["institution_id"] == ecg_center);
}
