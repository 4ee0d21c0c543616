// `teledx audit verify` on a real data directory: intact, then tampered in three ways.
#include <catch2/catch.hpp>

#include "support/http_client.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"

using namespace teledx::test;

namespace {
// Produces a data directory with a dozen audit entries (seed, logins, a failed login, user creation).
void make_audited_data(const std::filesystem::path& data) {
  ServerProcess p(data);
  HttpClient c(p.http_port());
  auto admin = c.login("admin");
  REQUIRE_FALSE(admin.empty());
  c.login("img-reader1");
  c.login("clinic1-tech", "wrong-password");
  c.post_json("/api/users", {{"username", "new-tech"}, {"password", "new-password-1"}, {"role", "clinic_tech"},
                             {"institution_id", 4}}, admin);
  c.login("clinic2-tech");
  REQUIRE(p.stop() == 0);
}

std::string sql(const std::filesystem::path& data, const std::string& statement) {
  std::string out;
  REQUIRE(run_command("sqlite3 '" + (data / "index.sqlite").string() + "' \"" + statement + "\"", &out) == 0);
  return out;
}
}  // namespace

TEST_CASE("audit verify detects a modified, a deleted and a reordered entry and names the first broken one",
          "[server][audit]") {
  TempDir dir;
  auto data = dir / "data";
  make_audited_data(data);
  std::string out;
  REQUIRE(run_teledx({"audit", "verify", "--data-dir", data.string()}, &out) == 0);
  REQUIRE(out.find("chain intact") != std::string::npos);
  auto backup = dir / "index.backup";
  std::filesystem::copy_file(data / "index.sqlite", backup);
  auto restore = [&] { std::filesystem::copy_file(backup, data / "index.sqlite", std::filesystem::copy_options::overwrite_existing); };

  SECTION("modified") {
    sql(data, "UPDATE audit_log SET actor = 'someone-else' WHERE seq = 4");
    CHECK(run_teledx({"audit", "verify", "--data-dir", data.string()}, &out) == 1);
    CHECK(out.find("BROKEN at entry 4") != std::string::npos);
  }
  SECTION("deleted") {
    sql(data, "DELETE FROM audit_log WHERE seq = 3");
    CHECK(run_teledx({"audit", "verify", "--data-dir", data.string()}, &out) == 1);
    CHECK(out.find("BROKEN at entry") != std::string::npos);
  }
  SECTION("reordered") {
    sql(data, "UPDATE audit_log SET seq = -5 WHERE seq = 5; UPDATE audit_log SET seq = 5 WHERE seq = 6; "
              "UPDATE audit_log SET seq = 6 WHERE seq = -5");
    CHECK(run_teledx({"audit", "verify", "--data-dir", data.string()}, &out) == 1);
    CHECK(out.find("BROKEN at entry 5") != std::string::npos);
  }
  restore();
  CHECK(run_teledx({"audit", "verify", "--data-dir", data.string()}, &out) == 0);
}
