// DICOMweb and the browser upload API on a real server: STOW-RS with a bad part, QIDO scoping by clinic and
// center, WADO-RS returning the exact stored bytes, frames and bulk data, zip uploads that become tasks.
#include <catch2/catch.hpp>
#include <fstream>

#include "demo_server.hpp"
#include "dicom/dicom_fixture.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"

using namespace teledx::test;

namespace {

std::string multipart(const std::string& boundary, const std::vector<std::string>& parts) {
  std::string body;
  for (const auto& p : parts) body += "--" + boundary + "\r\nContent-Type: application/dicom\r\n\r\n" + p + "\r\n";
  return body + "--" + boundary + "--\r\n";
}

HttpResult stow(const std::string& token, const std::vector<std::string>& parts, const std::string& target = "/dicom-web/studies") {
  return DemoServer::instance().client().request(
      "POST", target, multipart("XyZ", parts),
      {{"Authorization", "Bearer " + token}, {"Content-Type", "multipart/related; type=\"application/dicom\"; boundary=XyZ"}});
}

// Splits a multipart answer into its part bodies.
std::vector<std::string> parts_of(const HttpResult& r) {
  auto ct = r.headers.at("content-type");
  auto b = ct.substr(ct.find("boundary=") + 9);
  std::vector<std::string> out;
  std::string delim = "--" + b;
  std::size_t pos = r.body.find(delim);
  while (pos != std::string::npos) {
    pos += delim.size();
    if (r.body.compare(pos, 2, "--") == 0) break;
    auto start = r.body.find("\r\n\r\n", pos) + 4;
    auto next = r.body.find("\r\n" + delim, start);
    out.push_back(r.body.substr(start, next - start));
    pos = next + 2;
  }
  return out;
}

ImageSpec spec(const std::string& study, int n, const std::string& patient = "P100") {
  ImageSpec s;
  s.patient_id = patient;
  s.patient_name = "LI^SI";
  s.study_uid = study;
  s.series_uid = study + ".1";
  s.sop_uid = study + ".1." + std::to_string(n);
  s.instance_number = n;
  return s;
}

}  // namespace

TEST_CASE("STOW-RS stores the good parts and reports the bad one in FailedSOPSequence", "[server][dicomweb]") {
  auto& s = DemoServer::instance();
  const std::string study = "1.2.826.0.1.3680043.10.1001";
  auto good1 = make_image(spec(study, 1)).part10();
  auto good2 = make_image(spec(study, 2)).part10();
  auto r = stow(s.token("clinic1-tech"), {good1, "definitely not DICOM", good2});
  INFO(r.body);
  REQUIRE(r.status == 202);
  auto j = r.json();
  REQUIRE(j["00081199"]["Value"].size() == 2);
  REQUIRE(j["00081198"]["Value"].size() == 1);
  CHECK(j["00081198"]["Value"][0]["00081197"]["Value"][0] == 0xC000);

  SECTION("WADO-RS returns exactly the bytes that were stored") {
    auto w = s.client().request("GET", "/dicom-web/studies/" + study + "/series/" + study + ".1/instances/" + study + ".1.2",
                                "", {{"Authorization", "Bearer " + s.token("clinic1-tech")}});
    REQUIRE(w.status == 200);
    auto parts = parts_of(w);
    REQUIRE(parts.size() == 1);
    CHECK(parts[0] == good2);
    auto whole = s.client().get("/dicom-web/studies/" + study, s.token("img-reader1"));
    CHECK(parts_of(whole).size() == 2);
  }
  SECTION("frames and pixel bulk data come back as stored") {
    std::string base = "/dicom-web/studies/" + study + "/series/" + study + ".1/instances/" + study + ".1.1";
    auto f = s.client().get(base + "/frames/1", s.token("img-reader1"));
    REQUIRE(f.status == 200);
    auto frames = parts_of(f);
    REQUIRE(frames.size() == 1);
    CHECK(frames[0].size() == 16 * 16 * 2);
    CHECK(good1.find(frames[0]) != std::string::npos);
    CHECK(s.client().get(base + "/frames/2", s.token("img-reader1")).status == 404);
    auto bulk = s.client().request("GET", base + "/bulk/7FE00010", "",
                                   {{"Authorization", "Bearer " + s.token("img-reader1")}, {"Accept", "application/octet-stream"}});
    REQUIRE(bulk.status == 200);
    CHECK(bulk.body == frames[0]);
  }
  SECTION("metadata carries reachable bulk data URIs") {
    auto m = s.client().get("/dicom-web/studies/" + study + "/series/" + study + ".1/metadata", s.token("img-reader1"));
    REQUIRE(m.status == 200);
    auto j = m.json();
    REQUIRE(j.size() == 2);
    CHECK(m.body.find("{{instance}}") == std::string::npos);
  }
}

TEST_CASE("STOW-RS to a study URL refuses instances of another study", "[server][dicomweb]") {
  auto& s = DemoServer::instance();
  auto other = make_image(spec("1.2.826.0.1.3680043.10.1002", 1)).part10();
  auto r = stow(s.token("clinic1-tech"), {other}, "/dicom-web/studies/1.2.826.0.1.3680043.10.9999");
  CHECK(r.status == 409);
  CHECK(r.json()["00081198"]["Value"][0]["00081197"]["Value"][0] == 0xA900);
}

namespace {
// Files with content under the DICOM store (landing slots are made empty in advance) and in tmp/ (where a part
// goes when no slot is ready).
std::size_t stored_files() {
  std::size_t n = 0;
  const auto data = DemoServer::instance().process().data_dir();
  for (const auto& root : {data / "blobs" / "dicom", data / "tmp"})
    for (const auto& e : std::filesystem::recursive_directory_iterator(root))
      if (e.is_regular_file() && e.file_size() > 0) ++n;
  return n;
}
}  // namespace

TEST_CASE("STOW-RS bodies that are cut short or not authorised are refused and leave no file behind",
          "[server][dicomweb]") {
  auto& s = DemoServer::instance();
  const std::string study = "1.2.826.0.1.3680043.10.1003";
  const auto file = make_image(spec(study, 1)).part10();
  const std::string ct = "multipart/related; type=\"application/dicom\"; boundary=XyZ";
  const auto before = stored_files();
  SECTION("cut before the closing boundary") {
    auto r = s.client().request("POST", "/dicom-web/studies", "--XyZ\r\nContent-Type: application/dicom\r\n\r\n" + file,
                                {{"Authorization", "Bearer " + s.token("clinic1-tech")}, {"Content-Type", ct}});
    CHECK(r.status == 400);
    CHECK(r.body.find("closing boundary") != std::string::npos);
  }
  SECTION("without a valid token") {
    auto r = s.client().request("POST", "/dicom-web/studies", multipart("XyZ", {file}),
                                {{"Authorization", "Bearer not-a-token"}, {"Content-Type", ct}});
    CHECK(r.status == 401);
  }
  SECTION("by a reader, who may not send exams") {
    auto r = stow(s.token("img-reader1"), {file});
    CHECK(r.status == 403);
  }
  CHECK(stored_files() == before);
  CHECK(s.client().get("/dicom-web/studies?StudyInstanceUID=" + study, s.token("clinic1-tech")).json().empty());
}

TEST_CASE("STOW-RS refuses a file of 20,000 nested sequences with 0xC000 and the server stays up", "[server][dicomweb]") {
  // Its parse overflowed the stack and killed the server before the prescan (dicom/src/dataset_prescan.cpp).
  auto& s = DemoServer::instance();
  const std::string study = "1.2.826.0.1.3680043.10.1002";
  std::string nest, close;
  for (int i = 0; i < 20000; ++i) {
    nest += std::string("\xE1\x7F\x10\x10SQ\0\0\xFF\xFF\xFF\xFF\xFE\xFF\x00\xE0\xFF\xFF\xFF\xFF", 20);
    close += std::string("\xFE\xFF\x0D\xE0\0\0\0\0\xFE\xFF\xDD\xE0\0\0\0\0", 16);
  }
  auto r = stow(s.token("clinic1-tech"), {make_image(spec(study, 1)).part10() + nest + close});
  INFO(r.body.substr(0, 500));
  REQUIRE(r.status == 409);
  CHECK(r.json()["00081198"]["Value"][0]["00081197"]["Value"][0] == 0xC000);
  CHECK(s.client().get("/healthz").status == 200);
  CHECK(s.process().running());
}

TEST_CASE("QIDO-RS shows a clinic only its own studies and a reader its center's clinics", "[server][dicomweb]") {
  auto& s = DemoServer::instance();
  const std::string study = "1.2.826.0.1.3680043.10.2001";
  REQUIRE(stow(s.token("clinic2-tech"), {make_image(spec(study, 1, "P-CLINIC2")).part10()}).status == 200);
  auto find = [&](const std::string& user) {
    auto r = s.client().get("/dicom-web/studies?StudyInstanceUID=" + study, s.token(user));
    return std::make_pair(r.status, r.json());
  };
  CHECK(find("clinic2-doctor").second.size() == 1);
  CHECK(find("clinic1-tech").second.size() == 0);
  CHECK(find("img-reader1").second.size() == 1);
  CHECK(find("ecg-lead").second.size() == 1);
  CHECK(find("admin").first == 403);
  // The other clinic cannot fetch it by URL either, and cannot tell it exists.
  CHECK(s.client().get("/dicom-web/studies/" + study, s.token("clinic1-tech")).status == 404);
  CHECK(s.client().get("/dicom-web/studies/" + study + "/series", s.token("clinic1-tech")).status == 404);
  // Wildcards and comma-encoded includefield, as OHIF sends them.
  auto r = s.client().get("/dicom-web/studies?PatientID=*CLINIC2*&includefield=00081030%2C00080060&limit=5",
                          s.token("clinic2-tech"));
  REQUIRE(r.status == 200);
  auto j = r.json();
  REQUIRE(j.size() >= 1);
  CHECK(j[0]["00100020"]["Value"][0] == "P-CLINIC2");
}

TEST_CASE("a browser upload of a zipped DICOM folder with an exam request becomes one reading task",
          "[server][upload]") {
  auto& s = DemoServer::instance();
  auto c = s.client();
  const auto& tech = s.token("clinic3-tech");
  auto created = c.post_json("/api/uploads", {{"reason", "胸痛两天"}, {"history", "高血压"}, {"priority", "urgent"}}, tech);
  REQUIRE(created.status == 201);
  std::string id = created.json()["upload_id"];
  TempDir dir;
  std::filesystem::create_directories(dir / "folder/sub");
  const std::string study = "1.2.826.0.1.3680043.10.3001";
  for (int i = 1; i <= 3; ++i) {
    std::ofstream(dir / ("folder/sub/IM" + std::to_string(i)), std::ios::binary) << make_image(spec(study, i, "P-Z")).part10();
  }
  std::ofstream(dir / "folder/notes.txt") << "not an image";
  std::string out;
  REQUIRE(run_command("cd '" + (dir / "folder").string() + "' && zip -qr ../exam.zip .", &out) == 0);
  const auto zip = read_file(dir / "exam.zip");
  auto up = c.request("POST", "/api/uploads/" + id + "/files?name=exam.zip", zip,
                      {{"Authorization", "Bearer " + tech}, {"Content-Type", "application/zip"}});
  INFO(up.body);
  REQUIRE(up.status == 207);
  CHECK(up.json()["stored"] == 3);
  CHECK(up.json()["failed"] == 1);
  // Another clinic cannot see or complete this upload.
  CHECK(c.get("/api/uploads/" + id, s.token("clinic1-tech")).status == 404);
  auto done = c.post_json("/api/uploads/" + id + "/complete", nlohmann::json::object(), tech);
  REQUIRE(done.status == 200);
  CHECK(done.json()["completed_studies"][0] == study);
  CHECK(s.process().output().find("study " + study + " -> new task at IMG-CENTER") != std::string::npos);
  auto status = c.get("/api/uploads/" + id, tech).json();
  CHECK(status["completed"] == true);
  CHECK(status["studies"][0]["instances"] == 3);
}

TEST_CASE("a zip that unpacks past the server's limit stores what came before and refuses the rest, its disk spared",
          "[server][upload]") {
  // A zip bomb: 3 MiB of zeros deflate to a few KB. This server may unpack 1 MiB per zipped upload.
  TempDir dir;
  ServerProcess server(dir / "data", {"--seed-demo", "--zip-expand-limit-mb", "1"});
  HttpClient c(server.http_port());
  const std::string tech = c.login("clinic1-tech");
  const std::string study = "1.2.826.0.1.3680043.10.3002";
  std::filesystem::create_directories(dir / "folder");
  std::ofstream(dir / "folder/a-first.dcm", std::ios::binary) << make_image(spec(study, 1, "P-BOMB")).part10();
  std::ofstream(dir / "folder/b-zeros.dcm", std::ios::binary) << std::string(3 << 20, '\0');
  std::ofstream(dir / "folder/c-after.dcm", std::ios::binary) << make_image(spec(study, 2, "P-BOMB")).part10();
  std::string out;
  REQUIRE(run_command("cd '" + (dir / "folder").string() + "' && zip -q -9 ../bomb.zip a-first.dcm b-zeros.dcm c-after.dcm", &out) == 0);
  const auto zip = read_file(dir / "bomb.zip");
  REQUIRE(zip.size() < 64 * 1024);
  const std::string id = c.post_json("/api/uploads", nlohmann::json::object(), tech).json()["upload_id"];
  auto up = c.request("POST", "/api/uploads/" + id + "/files?name=bomb.zip", zip,
                      {{"Authorization", "Bearer " + tech}, {"Content-Type", "application/zip"}});
  INFO(up.body);
  REQUIRE(up.status == 207);
  CHECK(up.json()["stored"] == 1);
  CHECK(up.json()["failed"] == 2);
  const auto answer = up.json();  // kept: a range-for over a temporary's member would dangle
  for (const auto& r : answer["files"]) {
    if (r["file"] == "a-first.dcm") continue;
    CHECK(r["error"]["code"] == "payload_too_large");
    CHECK(r["error"]["message"].get<std::string>().find("unpacks to more than 1 MiB") != std::string::npos);
  }
  // Nothing of the refused entries is left anywhere under the data directory.
  std::uintmax_t bytes = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir / "data"))
    if (e.is_regular_file()) bytes += e.file_size();
  CHECK(bytes < (3u << 20));
}

TEST_CASE("a zip whose non-DICOM files pass 256 MiB, held in memory for the ECG readers, refuses the ones past it",
          "[server][upload]") {
  // Five 60 MiB files that are not DICOM (zeros, refused by the ECG readers at once): ECG candidates wait in memory
  // until the whole zip is read.
  auto& s = DemoServer::instance();
  auto c = s.client();
  const auto& tech = s.token("clinic1-tech");
  TempDir dir;
  std::filesystem::create_directories(dir / "folder");
  for (int i = 1; i <= 5; ++i) std::ofstream(dir / ("folder/trace" + std::to_string(i) + ".bin")) << std::string(60 << 20, '\0');
  std::string out;
  REQUIRE(run_command("cd '" + (dir / "folder").string() + "' && zip -q -1 ../many.zip trace1.bin trace2.bin trace3.bin trace4.bin trace5.bin", &out) == 0);
  const std::string id = c.post_json("/api/uploads", nlohmann::json::object(), tech).json()["upload_id"];
  auto up = c.request("POST", "/api/uploads/" + id + "/files?name=many.zip", read_file(dir / "many.zip"),
                      {{"Authorization", "Bearer " + tech}, {"Content-Type", "application/zip"}});
  INFO(up.body.substr(0, 2000));
  REQUIRE(up.json()["files"].size() == 5);
  const auto answer = up.json();  // kept: a range-for over a temporary's member would dangle
  for (const auto& f : answer["files"]) {
    INFO(f.dump());
    if (f["file"] == "trace5.bin") {
      CHECK(f["error"]["code"] == "payload_too_large");
      CHECK(f["error"]["message"].get<std::string>().find("more than 256 MiB of files that are not DICOM") !=
            std::string::npos);
    } else {
      CHECK(f["error"]["code"] != "payload_too_large");  // read, then refused by the ECG readers
    }
  }
}

TEST_CASE("a damaged zip or a non-clinic uploader is refused with a clear error", "[server][upload]") {
  auto& s = DemoServer::instance();
  auto c = s.client();
  auto id = c.post_json("/api/uploads", nlohmann::json::object(), s.token("clinic1-tech")).json()["upload_id"].get<std::string>();
  auto r = c.request("POST", "/api/uploads/" + id + "/files", "PK\x03\x04garbage",
                     {{"Authorization", "Bearer " + s.token("clinic1-tech")}, {"Content-Type", "application/zip"}});
  CHECK(r.status == 400);
  CHECK(r.json()["error"]["message"].get<std::string>().find("zip") != std::string::npos);
  CHECK(c.post_json("/api/uploads", nlohmann::json::object(), s.token("img-reader1")).status == 403);
}

TEST_CASE("STOW-RS and the upload API accept bodies of several megabytes", "[server][dicomweb]") {
  auto& s = DemoServer::instance();
  const std::string study = "1.2.826.0.1.3680043.10.4001";
  auto big = spec(study, 1);
  big.rows = 1024;
  big.columns = 1024;  // 2 MiB of pixels: over Beast's default 1 MiB body limit
  auto file = make_image(big).part10();
  REQUIRE(file.size() > 2 * 1024 * 1024);
  auto r = stow(s.token("clinic1-tech"), {file, make_image(spec(study, 2)).part10()});
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto id = s.client().post_json("/api/uploads", nlohmann::json::object(), s.token("clinic1-tech")).json()["upload_id"].get<std::string>();
  auto third = spec(study, 3);
  third.rows = third.columns = 1024;
  auto up = s.client().request("POST", "/api/uploads/" + id + "/files?name=big.dcm", make_image(third).part10(),
                               {{"Authorization", "Bearer " + s.token("clinic1-tech")}, {"Content-Type", "application/dicom"}});
  INFO(up.body);
  CHECK(up.status == 200);
}

TEST_CASE("an upload session lists the files it received so a reloaded browser resends only the rest",
          "[server][upload]") {
  auto& s = DemoServer::instance();
  auto c = s.client();
  const auto& tech = s.token("clinic2-tech");
  std::string id = c.post_json("/api/uploads", {{"reason", "复查"}}, tech).json()["upload_id"];
  const std::string study = "1.2.826.0.1.3680043.10.5001";
  auto first = make_image(spec(study, 1)).part10();
  auto r1 = c.request("POST", "/api/uploads/" + id + "/files?name=" + "dir%2FIM1", first,
                      {{"Authorization", "Bearer " + tech}, {"Content-Type", "application/dicom"}});
  REQUIRE(r1.status == 200);
  auto r2 = c.request("POST", "/api/uploads/" + id + "/files?name=junk.dcm", "not DICOM at all",
                      {{"Authorization", "Bearer " + tech}, {"Content-Type", "application/dicom"}});
  REQUIRE(r2.status == 400);

  auto listed = c.get("/api/uploads/" + id + "/files", tech);
  INFO(listed.body);
  REQUIRE(listed.status == 200);
  auto files = listed.json()["files"];
  REQUIRE(files.size() == 2);
  CHECK(files[0]["name"] == "dir/IM1");
  CHECK(files[0]["size"] == static_cast<std::int64_t>(first.size()));
  CHECK(files[0]["stored"] == 1);
  CHECK(files[1]["name"] == "junk.dcm");
  CHECK(files[1]["stored"] == 0);
  CHECK(files[1]["failed"] == 1);
  CHECK(listed.json()["completed"] == false);

  // Sending the same file again (the answer was lost) updates its row instead of adding one.
  REQUIRE(c.request("POST", "/api/uploads/" + id + "/files?name=dir%2FIM1", first,
                    {{"Authorization", "Bearer " + tech}, {"Content-Type", "application/dicom"}}).status == 200);
  CHECK(c.get("/api/uploads/" + id + "/files", tech).json()["files"].size() == 2);
  // Another clinic, or an unknown session: 404 with the JSON error.
  auto other = c.get("/api/uploads/" + id + "/files", s.token("clinic1-tech"));
  CHECK(other.status == 404);
  CHECK(other.json()["error"]["code"] == "not_found");
  CHECK(c.get("/api/uploads/nope/files", tech).status == 404);
  CHECK(c.get("/api/uploads/" + id + "/files", s.token("img-reader1")).status == 403);
}

TEST_CASE("Each multiplex group of an ECG has its own waveform bulk data URI and bytes", "[server][dicomweb]") {
  // The Mortara sample: group 1 the rhythm (12 channels x 10,000 samples), group 2 the median beat (12 x 1,200).
  // With the tag alone in the URI, the median beat's URI answered the rhythm's samples.
  auto& s = DemoServer::instance();
  std::ifstream in(std::string(TELEDX_TEST_DATA_DIR) + "/ecg/waveform_ecg.dcm", std::ios::binary);
  std::string file((std::istreambuf_iterator<char>(in)), {});
  // Fresh UIDs of the same length (other tests store the sample as it is): the stamps inside its study, series and
  // instance UIDs.
  for (const auto& [from, to] : {std::pair<std::string, std::string>{"20130125082826", "20261203160002"}, {"20130125105919", "20261203160001"}})
    for (auto at = file.find(from); at != std::string::npos; at = file.find(from, at)) file.replace(at, from.size(), to);
  auto stored = stow(s.token("clinic1-tech"), {file});
  INFO(stored.body);
  REQUIRE(stored.status == 200);
  const std::string study = "1.3.76.13.65829.2.20261203160002.1072139.2", tok = s.token("ecg-reader1");
  auto series = s.client().get("/dicom-web/studies/" + study + "/series", tok);
  REQUIRE(series.status == 200);
  const std::string series_uid = series.json()[0]["0020000E"]["Value"][0];
  auto m = s.client().get("/dicom-web/studies/" + study + "/series/" + series_uid + "/metadata", tok);
  REQUIRE(m.status == 200);
  const auto groups = m.json()[0]["54000100"]["Value"];
  REQUIRE(groups.size() == 2);
  std::vector<std::size_t> sizes;
  for (const auto& g : groups) {
    const std::string uri = g["54001010"]["BulkDataURI"];
    const auto path = uri.substr(uri.find("/dicom-web/"));
    auto bulk = s.client().request("GET", path, "", {{"Authorization", "Bearer " + tok}, {"Accept", "application/octet-stream"}});
    INFO(uri);
    REQUIRE(bulk.status == 200);
    sizes.push_back(bulk.body.size());
  }
  CHECK(groups[1]["54001010"]["BulkDataURI"].get<std::string>().ends_with("/bulk/54001010/2"));
  CHECK(sizes == std::vector<std::size_t>{12 * 10000 * 2, 12 * 1200 * 2});
  const std::string first = groups[0]["54001010"]["BulkDataURI"];
  const auto base = first.substr(first.find("/dicom-web/"));
  CHECK(s.client().get(base + "/3", tok).status == 404);
  CHECK(s.client().get(base + "/0", tok).status == 404);
}
