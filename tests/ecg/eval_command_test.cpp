// teledx-ecg, the ECG module's command line, run as a user would run it on a database directory.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <string>

#include "ecg_test_data.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using teledx::ecg::test::shared_data;

namespace {

struct Run {
  int status = -1;
  std::string out;  // stdout and stderr together
};

Run run_tool(const std::string& args) {
  Run r;
  const std::string cmd = std::string("'") + TELEDX_ECG_TOOL + "' " + args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) r.out.append(buf, n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

/// Links the files of one record into `to` (a database of our own making, without copying megabytes).
void link_record(const fs::path& from, const fs::path& to, const std::string& rec, std::initializer_list<const char*> exts) {
  fs::create_directories(to);
  for (const char* e : exts) fs::create_symlink(from / (rec + e), to / (rec + e));
}

}  // namespace

TEST_CASE("teledx-ecg eval qrs scores a database per EC57 and says which listed records are missing", "[ecg][tool]") {
  ECG_REQUIRE_SHARED("mitdb/100.atr");
  teledx::test::TempDir dir("teledx-ecg-eval");
  link_record(shared_data() / "mitdb", dir / "db", "100", {".hea", ".dat", ".atr"});
  link_record(shared_data() / "mitdb", dir / "db", "101", {".hea", ".dat"});  // no beat labels to score against
  std::ofstream(dir / "db/RECORDS") << "100\n101\n231\n";
  const auto r = run_tool("eval qrs '" + (dir / "db").string() + "'");
  INFO(r.out);
  CHECK(r.status == 0);
  CHECK(r.out.find("2 of 3 listed records are present") != std::string::npos);
  CHECK(r.out.find("not scored, no reference beat annotations (.atr): 101") != std::string::npos);
  CHECK(r.out.find("ANSI/AAMI EC57") != std::string::npos);
  // Record 100 from 5 minutes on: 1902 reference beats, all found, nothing extra.
  CHECK(r.out.find("100         1902    1902     0     0  100.000  100.000") != std::string::npos);
  CHECK(r.out.find("Gross       1902    1902     0     0  100.000  100.000") != std::string::npos);
}

TEST_CASE("teledx-ecg scores LUDB records laid out flat, without PhysioNet's data folder", "[ecg][tool]") {
  ECG_REQUIRE_SHARED("ludb/data/3.hea");
  teledx::test::TempDir dir("teledx-ecg-eval");
  for (const char* rec : {"3", "6"})
    link_record(shared_data() / "ludb/data", dir / "ludb", rec,
                {".hea", ".dat", ".i", ".ii", ".iii", ".avr", ".avl", ".avf", ".v1", ".v2", ".v3", ".v4", ".v5", ".v6"});
  std::ofstream(dir / "ludb/RECORDS") << "3\n6\n";
  const auto d = run_tool("eval delineation '" + dir.path().string() + "'");
  INFO(d.out);
  CHECK(d.status == 0);
  CHECK(d.out.find("LUDB, 2 records") != std::string::npos);
  CHECK(d.out.find("QRS on   n=") != std::string::npos);
  const auto r = run_tool("eval rhythm '" + dir.path().string() + "'");
  INFO(r.out);
  CHECK(r.status == 0);
  CHECK(r.out.find("agreement 2/2") != std::string::npos);  // both are sinus rhythm, and we say so
}

TEST_CASE("teledx-ecg eval delineation also scores QTDB without its paced records, and scores a record without beat labels", "[ecg][tool]") {
  ECG_REQUIRE_SHARED("qtdb/sel102.atr");
  teledx::test::TempDir dir("teledx-ecg-eval");
  link_record(shared_data() / "qtdb", dir / "qtdb", "sel100", {".hea", ".dat", ".q1c"});  // no .atr, as sel233 has none
  link_record(shared_data() / "qtdb", dir / "qtdb", "sel102", {".hea", ".dat", ".q1c", ".atr"});
  std::ofstream(dir / "qtdb/RECORDS") << "sel100\nsel102\n";
  const auto d = run_tool("eval delineation '" + dir.path().string() + "'");
  INFO(d.out);
  CHECK(d.status == 0);
  CHECK(d.out.find("QTDB (q1c, annotator 1), 2 records") != std::string::npos);
  const auto unpaced = d.out.find("QTDB without its paced records (sel102: most .atr beats paced)");
  REQUIRE(unpaced != std::string::npos);
  // sel100's 30 annotated beats alone.
  CHECK(d.out.find("QRS on   n=   30", unpaced) != std::string::npos);
  CHECK(d.out.find("QTDB without its paced records, better of the two leads per beat:", unpaced) != std::string::npos);
}

TEST_CASE("teledx-ecg refuses a missing directory and an unreadable record with a message and status 2", "[ecg][tool]") {
  teledx::test::TempDir dir("teledx-ecg-eval");
  auto r = run_tool("eval qrs '" + (dir / "nowhere").string() + "'");
  CHECK(r.status == 2);
  CHECK(r.out.find("not a directory") != std::string::npos);
  fs::create_directories(dir / "db");
  std::ofstream(dir / "db/RECORDS") << "900\n";
  std::ofstream(dir / "db/900.hea") << "900 2 360 650000\n900.dat 212 200 11 1024 0 0 0 MLII\n";  // one signal line short
  std::ofstream(dir / "db/900.atr") << std::string(2, '\0');
  r = run_tool("eval qrs '" + (dir / "db").string() + "'");
  INFO(r.out);
  CHECK(r.status == 2);
  CHECK(r.out.find("900:") != std::string::npos);
  r = run_tool("eval sideways '" + (dir / "db").string() + "'");
  CHECK(r.status == 2);
  CHECK(r.out.find("usage: teledx-ecg eval qrs") != std::string::npos);
}

TEST_CASE("teledx-ecg eval beats finds AF in a window the reference calls AF and scores its duration", "[ecg][tool]") {
  ECG_REQUIRE_SHARED("ludb/data/96.hea");  // 10 s of atrial fibrillation (LUDB's diagnosis)
  teledx::test::TempDir dir("teledx-ecg-eval");
  link_record(shared_data() / "ludb/data", dir / "db", "96", {".hea", ".dat"});
  // An MIT-format annotation file holding one rhythm mark, "(AFIB" at sample 0: code 28 with 0 delay, its aux
  // text (code 63, length 6, padded to even), then the end word.
  const unsigned char atr[] = {0x00, 28 << 2, 6, 63 << 2, '(', 'A', 'F', 'I', 'B', 0, 0, 0};
  std::ofstream(dir / "db/96.atr", std::ios::binary).write(reinterpret_cast<const char*>(atr), sizeof atr);
  const auto r = run_tool("eval beats '" + (dir / "db").string() + "' 96");
  INFO(r.out);
  CHECK(r.status == 0);
  CHECK(r.out.find("false AF 0, AF found in 1 of 1 AF/flutter windows") != std::string::npos);
  CHECK(r.out.find("reference 10 s, stated 10 s, both 10 s; duration Se 100.0 %, +P 100.0 %") != std::string::npos);
}

TEST_CASE("teledx-ecg takes the full record list when the development list's records are not there", "[ecg][tool]") {
  ECG_REQUIRE_SHARED("ludb/data/3.hea");
  teledx::test::TempDir dir("teledx-ecg-eval");
  // A holdout-like copy: RECORDS.dev names records that are absent, RECORDS names the ones present.
  link_record(shared_data() / "ludb/data", dir / "ludb/data", "3",
              {".hea", ".dat", ".i", ".ii", ".iii", ".avr", ".avl", ".avf", ".v1", ".v2", ".v3", ".v4", ".v5", ".v6"});
  std::ofstream(dir / "ludb/RECORDS.dev") << "6\n10\n";
  std::ofstream(dir / "ludb/RECORDS") << "1\n2\n3\n";
  const auto r = run_tool("eval rhythm '" + dir.path().string() + "'");
  INFO(r.out);
  CHECK(r.status == 0);
  CHECK(r.out.find("1 of 3 listed records are present") != std::string::npos);
  CHECK(r.out.find("agreement 1/1") != std::string::npos);
}

TEST_CASE("teledx-ecg measure reports every file, names the unreadable ones and exits 2 for them", "[ecg][tool]") {
  teledx::test::TempDir dir("teledx-ecg-measure");
  std::ofstream(dir / "junk.xml") << "<not an ECG";
  const auto good = teledx::ecg::test::local_data() / "Example_aECG.xml";
  REQUIRE(fs::exists(good));
  const auto r = run_tool("measure '" + (dir / "junk.xml").string() + "' '" + good.string() + "'");
  INFO(r.out);
  CHECK(r.status == 2);
  CHECK(r.out.find("junk.xml: ") != std::string::npos);
  CHECK(r.out.find("ours: PR ") != std::string::npos);  // the good file after the bad one is still measured
}

TEST_CASE("teledx-ecg eval noise scores detection and flags under each kind of noise at each SNR", "[ecg][tool][noise]") {
  ECG_REQUIRE_SHARED("mitdb/100.atr");
  teledx::test::TempDir dir("teledx-ecg-noise");
  link_record(shared_data() / "mitdb", dir / "db", "100", {".hea", ".dat", ".atr"});
  std::ofstream(dir / "db/RECORDS") << "100\n";
  const auto r = run_tool("eval noise '" + (dir / "db").string() + "'");
  INFO(r.out);
  CHECK(r.status == 0);
  CHECK(r.out.find("Noise stress, 1 records") != std::string::npos);
  // Without noise, record 100 from 5 minutes on: every beat found, nothing extra, no warning, nothing new flagged.
  CHECK(r.out.find("clean        100.000 100.000      0      0     0.0 %      0      0") != std::string::npos);
  for (const char* row : {"bw +24 dB", "ma +12 dB", "em  -6 dB"}) CHECK(r.out.find(row) != std::string::npos);
  CHECK(run_tool("eval noise '" + (dir / "db").string() + "' --first-lead").status == 2);  // no such option
}

TEST_CASE("teledx-ecg eval noise scores 12-lead LUDB records against their lead II marks", "[ecg][tool][noise]") {
  ECG_REQUIRE_SHARED("ludb/data/1.ii");
  teledx::test::TempDir dir("teledx-ecg-noise-ludb");
  link_record(shared_data() / "ludb/data", dir / "ludb/data", "1", {".hea", ".dat", ".ii"});
  std::ofstream(dir / "ludb/RECORDS") << "1\n";
  const auto r = run_tool("eval noise '" + (dir / "ludb").string() + "'");
  INFO(r.out);
  CHECK(r.status == 0);
  CHECK(r.out.find("Noise stress, 1 records") != std::string::npos);
  // Scored within the marked beats (LUDB leaves the first and last second unmarked): all found, none extra.
  CHECK(r.out.find("clean        100.000 100.000      0      0") != std::string::npos);
  CHECK(r.out.find("em  -6 dB") != std::string::npos);
}

TEST_CASE("teledx-ecg eval robustness says which records a pulse, a pop or a lead at its rail changes", "[ecg][tool]") {
  // LUDB 3 and 52 as the repository carries them (tests/data/ecg/ludb): this one runs without the shared data.
  teledx::test::TempDir dir("teledx-ecg-eval");
  for (const char* rec : {"3", "52"}) link_record(teledx::ecg::test::local_data() / "ludb", dir / "ludb", rec, {".hea", ".dat"});
  std::ofstream(dir / "ludb/RECORDS") << "3\n52\n";
  const auto r = run_tool("eval robustness '" + dir.path().string() + "'");
  INFO(r.out);
  CHECK(r.status == 0);
  CHECK(r.out.find("Robustness, 2 LUDB records") != std::string::npos);
  // Beat count, rhythm statements, critical flags: none moves for the offset, the pulse, an early pop or the rail.
  for (const char* row : {"1 mV offset                  0   0   0", "calibration pulse before     0   0   0",
                          "right-arm pop at 0.3 s       0   0   0", "V2 to the rail at 4 s        0"})
    CHECK(r.out.find(row) != std::string::npos);
  CHECK(run_tool("eval robustness '" + (dir / "nowhere").string() + "'").status == 2);
}
