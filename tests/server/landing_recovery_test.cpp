// Start-up recovery on a real server: an instance sealed in its landing slot whose index rows (and the audit
// entry of its upload) never reached the disk is indexed, attributed from the seal, and audited at the next start;
// the parts of a STOW-RS body cut by a crash, written but never sealed, are emptied.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <fstream>

#include "dicom/dicom_fixture.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"

using namespace teledx::test;
namespace fs = std::filesystem;

namespace {
std::string sql(const fs::path& data, const std::string& statement) {
  std::string out;
  REQUIRE(run_command("sqlite3 '" + (data / "index.sqlite").string() + "' \"" + statement + "\"", &out) == 0);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

// A free landing slot left by the previous run: an empty file under blobs/dicom/xx/.
fs::path free_slot(const fs::path& data) {
  for (const auto& e : fs::recursive_directory_iterator(data / "blobs" / "dicom")) {
    if (e.is_regular_file() && e.file_size() == 0) return e.path();
  }
  return {};
}
}  // namespace

TEST_CASE("A sealed instance whose index rows were lost is indexed for its clinic and audited at the next start",
          "[server][store]") {
  TempDir dir;
  const fs::path data = dir / "data";
  {
    ServerProcess first(data);
    REQUIRE(first.stop() == 0);
  }
  const std::string clinic = sql(data, "SELECT institution_id FROM ae_titles WHERE ae_title = 'CLINIC1'");
  REQUIRE_FALSE(clinic.empty());

  // Exactly what ingest leaves on disk just before its deferred index commit: bytes in a slot, then the note.
  const fs::path slot = free_slot(data);
  REQUIRE_FALSE(slot.empty());
  ImageSpec spec;
  spec.patient_id = "P-RECOVER";
  spec.study_uid = "1.2.826.0.1.3680043.10.4711";
  spec.series_uid = spec.study_uid + ".1";
  spec.sop_uid = spec.study_uid + ".1.1";
  const std::string bytes = make_image(spec).part10();
  {
    std::ofstream out(slot, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  const std::string note = "clinic=" + clinic + "\nreceived=1790000000000\nsource=stow:clinic1-tech";
  REQUIRE(::setxattr(slot.c_str(), "user.teledx.landing", note.data(), note.size(), 0) == 0);

  ServerProcess second(data);
  HttpClient c(second.http_port());
  const auto admin = c.login("admin");
  auto audit = c.request("GET", "/api/audit?action=store.recovered", "", {{"Authorization", "Bearer " + admin}});
  REQUIRE(audit.status == 200);
  const auto list = nlohmann::json::parse(audit.body).at("entries");
  REQUIRE(list.size() == 1);
  CHECK(list[0]["actor"] == "stow:clinic1-tech");
  CHECK(list[0]["target"] == "study:" + spec.study_uid);
  CHECK(list[0]["detail"].get<std::string>().find(spec.sop_uid) != std::string::npos);

  // Indexed for the clinic of the seal: its technician finds it, another clinic does not.
  const auto mine = c.request("GET", "/dicom-web/studies?PatientID=P-RECOVER", "",
                              {{"Authorization", "Bearer " + c.login("clinic1-tech")}});
  REQUIRE(mine.status == 200);
  CHECK(nlohmann::json::parse(mine.body).size() == 1);
  const auto theirs = c.request("GET", "/dicom-web/studies?PatientID=P-RECOVER", "",
                                {{"Authorization", "Bearer " + c.login("clinic2-tech")}});
  CHECK((theirs.status == 204 || (theirs.status == 200 && nlohmann::json::parse(theirs.body).empty())));
  REQUIRE(second.stop() == 0);

  std::string out;
  REQUIRE(run_teledx({"check", "--data-dir", data.string()}, &out) == 0);
  CHECK(out.find("clean") != std::string::npos);
}

namespace {
// Sends the headers and the start of a body announced as longer, and keeps the connection open.
int send_partial_request(std::uint16_t port, const std::string& head, std::string_view body_start) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  const std::string bytes = head + std::string(body_start);
  std::size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    REQUIRE(n > 0);
    off += static_cast<std::size_t>(n);
  }
  return fd;
}

// Parts land in slots, or in tmp/ when no slot was ready.
std::size_t files_with_content(const fs::path& data) {
  std::size_t n = 0;
  for (const auto& dir : {data / "blobs" / "dicom", data / "tmp"})
    for (const auto& e : fs::recursive_directory_iterator(dir))
      if (e.is_regular_file() && e.file_size() > 0) ++n;
  return n;
}
}  // namespace

TEST_CASE("After kill -9 in the middle of a STOW-RS body no part of it is kept and the store checks clean",
          "[server][store][crash]") {
  TempDir dir;
  const fs::path data = dir / "data";
  std::string body;
  for (int i = 1; i <= 40; ++i) {
    ImageSpec spec;
    spec.study_uid = "1.2.826.0.1.3680043.10.4712";
    spec.series_uid = spec.study_uid + ".1";
    spec.sop_uid = spec.study_uid + ".1." + std::to_string(i);
    spec.rows = spec.columns = 128;
    body += "--B\r\nContent-Type: application/dicom\r\n\r\n" + make_image(spec).part10() + "\r\n";
  }
  body += "--B--\r\n";
  {
    ServerProcess server(data);
    HttpClient c(server.http_port());
    const std::string token = c.login("clinic1-tech");
    const std::string head = "POST /dicom-web/studies HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token +
                             "\r\nContent-Type: multipart/related; type=\"application/dicom\"; boundary=B\r\n"
                             "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    // Thirty of the forty instances (and a piece of the next) are on the server when it dies.
    const std::size_t cut = body.size() * 3 / 4 + 100;
    const int fd = send_partial_request(server.http_port(), head, std::string_view(body).substr(0, cut));
    for (int i = 0; i < 100 && files_with_content(data) < 30; ++i) ::usleep(50 * 1000);
    CHECK(files_with_content(data) >= 30);  // the parts were being written as they arrived
    server.kill9();
    ::close(fd);
  }
  ServerProcess restarted(data);  // start-up recovery empties slots that were never sealed
  CHECK(files_with_content(data) == 0);
  CHECK(sql(data, "SELECT count(*) FROM dicom_instances") == "0");
  REQUIRE(restarted.stop() == 0);
  std::string out;
  REQUIRE(run_teledx({"check", "--data-dir", data.string()}, &out) == 0);
  CHECK(out.find("clean") != std::string::npos);
}
