// The real teledx binary against the real DCMTK tools (echoscu, storescu, dcmconv, dcmcjpeg, dcmcjpls, dcmcrle).
#include "teledx/dicom/store_scp.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>
#include <cstdio>
#include <map>
#include <regex>
#include <set>

#include "dicom/dicom_fixture.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"
#include "teledx/core/consortium.hpp"
#include "teledx/core/ids.hpp"
#include "teledx/dicom/instance_store.hpp"

using namespace teledx;
using namespace teledx::dicom;
using namespace teledx::test;

namespace {

std::string quote(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

std::string scu(const ServerProcess& server, const std::string& tool, const std::string& options,
                const std::string& calling = "CLINIC1", const std::string& called = "TELEDX") {
  return tool + " " + options + " -aet " + calling + " -aec " + called + " 127.0.0.1 " +
         std::to_string(server.dicom_port());
}

// The dataset of a Part 10 file (after preamble and meta header): what DIMSE carries. The SCP writes its own
// meta header, so only this part must be byte-identical to what was sent. Hashed for readable failures.
std::string dataset_sha(const std::string& part10) {
  REQUIRE(part10.size() > 144);
  const auto* p = reinterpret_cast<const unsigned char*>(part10.data() + 140);
  const std::size_t meta_length = p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<std::size_t>(p[3]) << 24);
  REQUIRE(part10.size() >= 144 + meta_length);
  return sha256_hex(part10.substr(144 + meta_length));
}

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

// Read access to a server's index and files (SQLite WAL lets it read while the server writes).
struct Index {
  explicit Index(const std::filesystem::path& data_dir) : files(data_dir) {
    auto opened = db::open_sqlite(data_dir / "index.sqlite");
    REQUIRE(opened.ok());
    db = std::move(*opened);
    store = std::make_unique<InstanceStore>(*db, files, clock);
  }
  std::int64_t clinic_id(const std::string& ae) {
    auto clinic = Consortium(*db, clock).clinic_by_ae_title(ae);
    REQUIRE(clinic);
    return clinic->id;
  }
  std::int64_t instances() {
    auto rows = db->query("SELECT COUNT(*) FROM dicom_instances");
    REQUIRE(rows.ok());
    return rows->front().integer(0);
  }
  SystemClock clock;
  FileStore files;
  std::unique_ptr<db::Database> db;
  std::unique_ptr<InstanceStore> store;
};

ImageSpec image(const std::string& tag, int series, int instance) {
  ImageSpec s;
  s.study_uid = test_uid(tag + "-study", 1);
  s.series_uid = test_uid(tag + "-series", series);
  s.sop_uid = test_uid(tag + "-sop", series * 1000 + instance);
  s.series_number = series;
  s.instance_number = instance;
  return s;
}

DicomBuilder encapsulated_pdf(const std::string& study_uid, const std::string& sop_uid) {
  DicomBuilder b;
  b.set(0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.104.1")
      .set(0x0008, 0x0018, "UI", sop_uid)
      .set(0x0008, 0x0060, "CS", "DOC")
      .set(0x0010, 0x0010, "PN", "WANG^XIAOMING")
      .set(0x0010, 0x0020, "LO", "P001")
      .set(0x0020, 0x000D, "UI", study_uid)
      .set(0x0020, 0x000E, "UI", test_uid("pdf-series", 1))
      .set(0x0028, 0x0301, "CS", "YES")
      .set(0x0042, 0x0011, "OB", "%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n")
      .set(0x0042, 0x0012, "LO", "application/pdf");
  return b;
}

}  // namespace

TEST_CASE("echoscu from a registered clinic AE title succeeds", "[dicom][dimse]") {
  TempDir dir;
  ServerProcess server(dir / "data");
  std::string out;
  CHECK(run_command(scu(server, "echoscu", "-v"), &out) == 0);
  CHECK_THAT(out, Catch::Contains("Received Echo Response (Success)"));
}

TEST_CASE("Bare connects and garbage on the DICOM port leave the server serving", "[dicom][dimse]") {
  // Port scanners and load-balancer health checks connect and close at once. DCMTK 3.6.7's SCP pool wrote into a
  // worker its thread had already freed when that happened; some 60 such connections corrupted the heap and killed
  // the server (found 2026-12-02).
  TempDir dir;
  ServerProcess server(dir / "data");
  auto connect_and_send = [&](const std::string& bytes) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(server.dicom_port());
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    if (!bytes.empty()) (void)::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    ::close(fd);
  };
  std::string noise;
  for (int i = 0; i < 4096; ++i) noise.push_back(static_cast<char>((i * 131 + 7) % 251));
  for (int i = 0; i < 300; ++i) {
    switch (i % 4) {
      case 0: case 1: connect_and_send(""); break;                                       // connect, close
      case 2: connect_and_send(std::string("\x41\0\0\0\0\x04junk", 10)); break;        // unknown PDU type
      case 3: connect_and_send(std::string("\x01\0\x7F\xFF\xFF\xFF", 6) + noise); break;  // absurd PDU length
    }
  }
  std::string out;
  CHECK(run_command(scu(server, "echoscu", "-v"), &out) == 0);
  CHECK_THAT(out, Catch::Contains("Received Echo Response (Success)"));
  CHECK(server.running());
}

TEST_CASE("An unknown calling AE title or a wrong called AE title is refused with a clear reason", "[dicom][dimse]") {
  TempDir dir;
  ServerProcess server(dir / "data");
  std::string out;
  CHECK(run_command(scu(server, "echoscu", "", "STRANGER"), &out) != 0);
  CHECK_THAT(out, Catch::Contains("Calling AE Title Not Recognized"));
  CHECK(run_command(scu(server, "echoscu", "", "CLINIC1", "SOMEONE"), &out) != 0);
  CHECK_THAT(out, Catch::Contains("Called AE Title Not Recognized"));
  const std::string log = server.output();
  CHECK_THAT(log, Catch::Contains("calling AE title 'STRANGER' is not registered to any clinic"));
  CHECK_THAT(log, Catch::Contains("called AE title 'SOMEONE' is not this server's"));
}

TEST_CASE("DICOM over TLS on the second port accepts echo and store from a registered clinic", "[dicom][dimse]") {
  TempDir dir;
  write_file(dir / "tls.dcm", make_image(image("tls", 1, 1)).part10());
  const std::uint16_t tls_port = free_port();
  ServerProcess server(dir / "data", {"--seed-demo", "--demo-tls", "--dicom-tls-port", std::to_string(tls_port),
                                      "--https-port", std::to_string(free_port())});
  const std::string target = " -aet CLINIC1 -aec TELEDX 127.0.0.1 " + std::to_string(tls_port);
  std::string out;
  CHECK(run_command("echoscu +tla -ic" + target, &out) == 0);
  INFO(out);
  CHECK(run_command("storescu -v +tla -ic" + target + " " + quote(dir / "tls.dcm"), &out) == 0);
  CHECK_THAT(out, Catch::Contains("Received Store Response (Success)"));
  // Plain DICOM on the TLS port does not get through.
  CHECK(run_command("echoscu" + target, &out) != 0);
  Index index(server.data_dir());
  CHECK(index.store->instance(image("tls", 1, 1).sop_uid).ok());
}

TEST_CASE("storescu of a multi-series study stores every instance under the sending clinic", "[dicom][dimse]") {
  TempDir dir;
  for (int series = 1; series <= 2; ++series) {
    for (int i = 1; i <= 3; ++i) {
      write_file(dir / ("study/s" + std::to_string(series) + "/i" + std::to_string(i) + ".dcm"),
                 make_image(image("multi", series, i)).part10());
    }
  }
  ServerProcess server(dir / "data");
  std::string out;
  REQUIRE(run_command(scu(server, "storescu", "-v +sd +r") + " " + quote(dir / "study"), &out) == 0);
  CHECK(count(out, "Received Store Response (Success)") == 6);

  Index index(server.data_dir());
  auto study = index.store->study(image("multi", 1, 1).study_uid);
  REQUIRE(study.ok());
  CHECK(study->clinic_id == index.clinic_id("CLINIC1"));
  CHECK(study->series_count == 2);
  CHECK(study->instance_count == 6);
  for (int series = 1; series <= 2; ++series) {
    for (int i = 1; i <= 3; ++i) {
      auto m = index.store->instance(image("multi", series, i).sop_uid);
      REQUIRE(m.ok());
      CHECK(m->source == "dimse:CLINIC1");
      CHECK(dataset_sha(*index.files.read(m->file_key)) ==
            dataset_sha(read_file(dir / ("study/s" + std::to_string(series) + "/i" + std::to_string(i) + ".dcm"))));
    }
  }
  // One audit entry for the study, not one per instance.
  auto audit = index.db->query("SELECT actor, target FROM audit_log WHERE action = 'store'");
  REQUIRE(audit.ok());
  REQUIRE(audit->size() == 1);
  CHECK(audit->front().text(0) == "ae:CLINIC1");
  CHECK(audit->front().text(1) == "study:" + study->study_uid);
}

TEST_CASE("The metrics time every stored instance's receive, check, flush and index stages", "[dicom][dimse]") {
  TempDir dir;
  for (int i = 1; i <= 3; ++i)
    write_file(dir / ("study/i" + std::to_string(i) + ".dcm"), make_image(image("timed", 1, i)).part10());
  ServerProcess server(dir / "data");
  REQUIRE(run_command(scu(server, "storescu", "+sd +r") + " " + quote(dir / "study")) == 0);
  // A resent instance is a duplicate: answered, but not timed as a stored one.
  REQUIRE(run_command(scu(server, "storescu", "") + " " + quote(dir / "study/i1.dcm")) == 0);

  const auto metrics = HttpClient(server.http_port()).get("/metrics");
  REQUIRE(metrics.status == 200);
  INFO(metrics.body);
  for (const std::string stage : {"receive", "check", "flush", "index", "total"}) {
    CHECK(metrics.body.find("teledx_ingest_stage_seconds_count{stage=\"" + stage + "\"} 3\n") != std::string::npos);
    CHECK(metrics.body.find("teledx_ingest_stage_seconds_bucket{stage=\"" + stage + "\",le=\"+Inf\"} 3\n") !=
          std::string::npos);
    // Real durations: a stage of three instances takes some time, and far less than the 10 s bound.
    std::smatch sum;
    REQUIRE(std::regex_search(metrics.body, sum,
                              std::regex("teledx_ingest_stage_seconds_sum\\{stage=\"" + stage + "\"\\} ([0-9.e-]+)")));
    CHECK(std::stod(sum[1]) > 0);
    CHECK(std::stod(sum[1]) < 30);
  }
  // The buckets are cumulative and end at the count.
  CHECK(metrics.body.find("teledx_ingest_stage_seconds_bucket{stage=\"total\",le=\"10\"} 3\n") != std::string::npos);
}

TEST_CASE("storescu stores every common transfer syntax and SOP class as sent", "[dicom][dimse]") {
  TempDir dir;
  struct Case {
    std::string name, tool, proposal, syntax;
  };
  // Each file: its own SOP instance, converted with a DCMTK tool, sent with the matching proposal.
  const std::vector<Case> cases{
      {"explicit", "", "", "1.2.840.10008.1.2.1"},
      {"implicit", "dcmconv +ti", "-xi", "1.2.840.10008.1.2"},
      {"bigendian", "dcmconv +tb", "-xb", "1.2.840.10008.1.2.2"},
      {"deflated", "dcmconv +td", "-xd", "1.2.840.10008.1.2.1.99"},
      {"jpeg-lossless", "dcmcjpeg +e1", "-xs", "1.2.840.10008.1.2.4.70"},
      {"jpeg-12bit", "dcmcjpeg +ee", "-xx", "1.2.840.10008.1.2.4.51"},
      {"jpeg-ls", "dcmcjpls +el", "-xt", "1.2.840.10008.1.2.4.80"},
      {"rle", "dcmcrle", "-xr", "1.2.840.10008.1.2.5"},
  };
  ServerProcess server(dir / "data");
  std::map<std::string, std::pair<std::string, std::string>> expected;  // file -> (syntax, sha256)
  int n = 0;
  for (const auto& c : cases) {
    const auto source = dir / ("src/" + c.name + ".dcm");
    const auto sent = dir / ("sent/" + c.name + ".dcm");
    write_file(source, make_image(image("ts", 1, ++n)).part10());
    std::filesystem::create_directories(sent.parent_path());
    if (c.tool.empty()) {
      std::filesystem::copy_file(source, sent);
    } else {
      std::string out;
      REQUIRE(run_command(c.tool + " " + quote(source) + " " + quote(sent), &out) == 0);
    }
    std::string out;
    INFO(c.name << ": " << out);
    REQUIRE(run_command(scu(server, "storescu", "-v " + c.proposal) + " " + quote(sent), &out) == 0);
    CHECK_THAT(out, Catch::Contains("Received Store Response (Success)"));
    expected[c.name] = {c.syntax, dataset_sha(read_file(sent))};
  }
  // JPEG 2000 is stored as sent even though this DCMTK cannot decode it (the codestream here is not decoded).
  auto j2k = make_image(image("ts", 1, ++n));
  j2k.set_encapsulated_pixels({std::string("\xFF\x4F\xFF\x51", 4) + std::string(100, '\x11')});
  write_file(dir / "sent/j2k.dcm", j2k.part10({}, kJpeg2000Lossless));
  // Other SOP classes: 12-lead ECG waveform, encapsulated PDF, multi-frame ultrasound.
  write_file(dir / "sent/ecg.dcm",
             make_ecg("P001", image("ts", 1, 1).study_uid, test_uid("ts-ecg", 1), test_uid("ts-ecg-sop", 1)).part10());
  write_file(dir / "sent/pdf.dcm", encapsulated_pdf(image("ts", 1, 1).study_uid, test_uid("ts-pdf", 1)).part10());
  auto us = image("ts", 2, 1);
  us.sop_class = kUsMultiframe;
  us.modality = "US";
  us.frames = 5;
  write_file(dir / "sent/us.dcm", make_image(us).part10());
  std::string out;
  REQUIRE(run_command(scu(server, "storescu", "-v -xv") + " " + quote(dir / "sent/j2k.dcm"), &out) == 0);
  REQUIRE(run_command(scu(server, "storescu", "-v") + " " + quote(dir / "sent/ecg.dcm") + " " +
                          quote(dir / "sent/pdf.dcm") + " " + quote(dir / "sent/us.dcm"),
                      &out) == 0);
  CHECK(count(out, "Received Store Response (Success)") == 3);
  expected["j2k"] = {kJpeg2000Lossless, dataset_sha(read_file(dir / "sent/j2k.dcm"))};

  Index index(server.data_dir());
  InstanceQuery all;
  auto stored = index.store->find_instances(all);
  REQUIRE(stored.ok());
  CHECK(stored->size() == expected.size() + 3);
  std::map<std::string, std::string> by_sha;
  for (const auto& m : *stored) by_sha[dataset_sha(*index.files.read(m.file_key))] = m.transfer_syntax;
  for (const auto& [name, want] : expected) {
    INFO(name);
    REQUIRE(by_sha.count(want.second) == 1);
    CHECK(by_sha[want.second] == want.first);
  }
  auto study = index.store->study(image("ts", 1, 1).study_uid);
  REQUIRE(study.ok());
  CHECK(study->has_images);
  CHECK(study->has_ecg);
  auto us_meta = index.store->instance(us.sop_uid);
  REQUIRE(us_meta.ok());
  CHECK(us_meta->number_of_frames == 5);
}

TEST_CASE("Four storescu associations in parallel are all stored and indexed", "[dicom][dimse]") {
  TempDir dir;
  constexpr int kAssociations = 4, kEach = 25;
  for (int a = 0; a < kAssociations; ++a) {
    for (int i = 1; i <= kEach; ++i) {
      write_file(dir / ("a" + std::to_string(a) + "/i" + std::to_string(i) + ".dcm"),
                 make_image(image("par" + std::to_string(a), 1, i)).part10());
    }
  }
  ServerProcess server(dir / "data");
  std::string cmd;
  for (int a = 0; a < kAssociations; ++a) {
    cmd += "(TCP_NODELAY=1 " + scu(server, "storescu", "+sd") + " " + quote(dir / ("a" + std::to_string(a))) +
           " || echo FAILED) & ";
  }
  std::string out;
  // run_command prefixes "TCP_NODELAY=1 ": give it a plain command first, the subshells set it themselves.
  REQUIRE(run_command("true; " + cmd + "wait", &out) == 0);
  CHECK(out.find("FAILED") == std::string::npos);
  Index index(server.data_dir());
  CHECK(index.instances() == kAssociations * kEach);
  StudyQuery all;
  CHECK(index.store->find_studies(all)->size() == kAssociations);
}

TEST_CASE("Associations beyond --max-associations are refused as a transient local limit, not dropped",
          "[dicom][dimse]") {
  TempDir dir;
  ServerProcess server(dir / "data", {"--seed-demo", "--max-associations", "1"});
  // One association held open by a long run of C-ECHOs (bounded: 40,000 take a few seconds on loopback).
  std::string held_out;
  std::thread holder([&] { run_command(scu(server, "echoscu", "--repeat 40000"), &held_out); });
  std::string out;
  int refused = 1;
  // The holder needs a moment to be accepted; try a few times rather than guess a sleep.
  for (int attempt = 0; attempt < 50 && refused != 0; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (run_command(scu(server, "echoscu", ""), &out) != 0 && out.find("Local Limit Exceeded") != std::string::npos)
      refused = 0;
  }
  holder.join();
  CHECK(refused == 0);
  CHECK_THAT(out, Catch::Contains("Rejected Transient"));
  // Once the first association is gone the next one is served again.
  CHECK(run_command(scu(server, "echoscu", "-v"), &out) == 0);
  CHECK_THAT(out, Catch::Contains("Received Echo Response (Success)"));
}

TEST_CASE("A resent instance answers success once stored, and different bytes under its UID a warning",
          "[dicom][dimse]") {
  TempDir dir;
  const auto spec = image("dup", 1, 1);
  auto changed = make_image(spec);
  changed.set(0x0008, 0x103E, "LO", "OTHER CONTENT");
  write_file(dir / "first.dcm", make_image(spec).part10());
  write_file(dir / "changed.dcm", changed.part10());
  ServerProcess server(dir / "data");
  std::string out;
  REQUIRE(run_command(scu(server, "storescu", "-v") + " " + quote(dir / "first.dcm") + " " +
                          quote(dir / "first.dcm"),
                      &out) == 0);
  CHECK(count(out, "Received Store Response (Success)") == 2);
  REQUIRE(run_command(scu(server, "storescu", "-v") + " " + quote(dir / "changed.dcm"), &out) == 0);
  CHECK_THAT(out, Catch::Contains("Received Store Response (Warning"));

  Index index(server.data_dir());
  CHECK(index.instances() == 1);
  auto m = index.store->instance(spec.sop_uid);
  REQUIRE(m.ok());
  CHECK(dataset_sha(*index.files.read(m->file_key)) == dataset_sha(read_file(dir / "first.dcm")));
}

TEST_CASE("Malformed instances are refused with an error status and leave nothing behind", "[dicom][dimse]") {
  TempDir dir;
  auto short_pixels = make_image(image("bad", 1, 1));
  short_pixels.set(0x7FE0, 0x0010, "OW", std::string(100, '\x05'));
  auto no_study = make_image(image("bad", 1, 2));
  no_study.erase(0x0020, 0x000D);
  auto bad_uid = make_image(image("bad", 1, 3));
  bad_uid.set(0x0020, 0x000E, "UI", "1.2.three");
  write_file(dir / "short.dcm", short_pixels.part10());
  write_file(dir / "nostudy.dcm", no_study.part10());
  write_file(dir / "baduid.dcm", bad_uid.part10());
  {
    ServerProcess server(dir / "data");
    std::string out;
    run_command(scu(server, "storescu", "-v -nh") + " " + quote(dir / "short.dcm") + " " +
                    quote(dir / "nostudy.dcm") + " " + quote(dir / "baduid.dcm"),
                &out);
    CHECK(count(out, "Received Store Response (Error") == 3);
    CHECK(count(out, "Received Store Response (Success)") == 0);
    CHECK_THAT(server.output(), Catch::Contains("Pixel Data is 100 bytes"));
    CHECK_THAT(server.output(), Catch::Contains("Study Instance UID (0020,000D)"));
    Index index(server.data_dir());
    CHECK(index.instances() == 0);
    // Nothing kept: every file left is an empty landing slot, ready for the next instance.
    auto report = check_store(*index.db, index.files);
    REQUIRE(report.ok());
    CHECK(report->clean());
    CHECK(report->blobs_indexed == 0);
    CHECK(report->free_slots.size() == static_cast<std::size_t>(report->files_on_disk));
    CHECK(server.stop() == 0);
  }
  std::string out;
  CHECK(run_teledx({"check", "--data-dir", (dir / "data").string()}, &out) == 0);
  CHECK_THAT(out, Catch::Contains("check: clean"));
}

TEST_CASE("After kill -9 during a 300-instance C-STORE every acknowledged instance is stored and indexed",
          "[dicom][dimse][crash]") {
  TempDir dir;
  constexpr int kInstances = 300;
  std::map<std::string, std::string> sop_of_file;
  for (int i = 1; i <= kInstances; ++i) {
    auto spec = image("crash", 1, i);
    spec.rows = spec.columns = 32;
    char name[32];
    std::snprintf(name, sizeof name, "i%03d.dcm", i);
    write_file(dir / "series" / name, make_image(spec).part10());
    sop_of_file[(dir / "series" / name).string()] = spec.sop_uid;
  }
  std::set<std::string> acknowledged;
  {
    ServerProcess server(dir / "data");
    const std::string cmd = "TCP_NODELAY=1 " + scu(server, "storescu", "-v") + " " + quote(dir / "series") +
                            "/*.dcm 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    char line[4096];
    std::string current;
    while (std::fgets(line, sizeof line, p)) {
      const std::string l(line);
      if (auto pos = l.find("Sending file: "); pos != std::string::npos) {
        current = l.substr(pos + 14);
        while (!current.empty() && (current.back() == '\n' || current.back() == '\r')) current.pop_back();
      } else if (l.find("Received Store Response (Success)") != std::string::npos) {
        acknowledged.insert(current);
        // Crash mid-association, while storescu keeps sending.
        if (acknowledged.size() == 100) server.kill9();
      }
    }
    ::pclose(p);
  }
  INFO("acknowledged before the crash: " << acknowledged.size());
  REQUIRE(acknowledged.size() >= 100);
  REQUIRE(acknowledged.size() < kInstances);

  ServerProcess restarted(dir / "data");  // start-up recovery removes unacknowledged files
  {
    Index index(restarted.data_dir());
    CHECK(index.instances() >= static_cast<std::int64_t>(acknowledged.size()));
    for (const auto& file : acknowledged) {
      INFO(file);
      REQUIRE(sop_of_file.count(file) == 1);
      auto m = index.store->instance(sop_of_file[file]);
      REQUIRE(m.ok());
      auto bytes = index.files.read(m->file_key);
      REQUIRE(bytes.ok());
      CHECK(dataset_sha(*bytes) == dataset_sha(read_file(file)));
    }
  }
  CHECK(restarted.stop() == 0);
  std::string out;
  CHECK(run_teledx({"check", "--data-dir", (dir / "data").string()}, &out) == 0);
  CHECK_THAT(out, Catch::Contains("check: clean"));
}
