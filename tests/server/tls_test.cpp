// HTTPS with the demo self-signed pair: the API works over TLS 1.2+, old protocol versions are refused,
// and plain HTTP stays available for loopback development.
#include <catch2/catch.hpp>

#include "support/http_client.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"

using namespace teledx::test;

TEST_CASE("with --demo-tls the server speaks HTTPS with modern TLS only", "[server][tls]") {
  TempDir dir;
  auto https_port = free_port();
  ServerProcess p(dir / "data", {"--seed-demo", "--demo-tls", "--https-port", std::to_string(https_port)});
  CHECK(std::filesystem::exists(dir / "data/tls/demo-cert.pem"));
  std::string url = "https://127.0.0.1:" + std::to_string(https_port);
  std::string out;
  REQUIRE(run_command("curl -sk --max-time 10 " + url + "/healthz", &out) == 0);
  CHECK(out.find("\"status\":\"ok\"") != std::string::npos);
  REQUIRE(run_command("curl -sk --max-time 10 -X POST " + url +
                          "/api/login -H 'Content-Type: application/json' "
                          "-d '{\"username\":\"clinic1-tech\",\"password\":\"teledx-demo\"}' -D -",
                      &out) == 0);
  CHECK(out.find("HTTP/1.1 200") != std::string::npos);
  CHECK(out.find("\"token\"") != std::string::npos);
  // TLS 1.1 and older are refused at the handshake.
  CHECK(run_command("curl -sk --max-time 10 --tlsv1.0 --tls-max 1.1 " + url + "/healthz", &out) != 0);
  // Plain HTTP on the loopback port still answers.
  CHECK(HttpClient(p.http_port()).get("/healthz").status == 200);
}
