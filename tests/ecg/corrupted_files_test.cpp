#include "teledx/ecg/readers.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <random>

#include "ecg_test_data.hpp"
#include "support/temp_dir.hpp"
#include "teledx/ecg/analysis.hpp"

using namespace teledx::ecg;
using teledx::ecg::test::as_bytes;
using teledx::ecg::test::local_data;

namespace {

bool mentions(const teledx::Error& e, const std::string& word) { return e.message.find(word) != std::string::npos; }

std::string text_of(const std::filesystem::path& p) {
  auto b = read_file_bytes(p);
  REQUIRE(b.ok());
  return std::string(b->begin(), b->end());
}

void write_file(const std::filesystem::path& p, const std::string& content) {
  std::ofstream out(p, std::ios::binary);
  out << content;
}

std::string replace_first(std::string s, const std::string& what, const std::string& with) {
  const auto at = s.find(what);
  REQUIRE(at != std::string::npos);
  return s.replace(at, what.size(), with);
}

/// Reads a mutated file; a success must still yield a consistent waveform that the analysis accepts.
void check_mutant(const std::vector<std::uint8_t>& bytes, const std::string& hint) {
  auto w = read_ecg_bytes(bytes, hint);
  if (!w.ok()) {
    CHECK_FALSE(w.error().message.empty());
    return;
  }
  for (const auto& l : w->leads) REQUIRE(l.uv.size() == w->sample_count());
  if (w->sample_count() > 100'000) return;  // analysing a huge mutant only costs time
  auto a = analyze(*w);
  CHECK(a.sample_count == std::int64_t(w->sample_count()));
}

}  // namespace

TEST_CASE("Truncated and bit-flipped copies of every sample format give an error or a consistent waveform", "[ecg]") {
  std::vector<std::pair<std::string, std::filesystem::path>> files = {
      {"x.dcm", test::local_data() / "waveform_ecg.dcm"},
      {"x.xml", test::local_data() / "Example_aECG.xml"},
      {"x.xml", test::local_data() / "minimum_aecg.xml"},
      {"x.xml", test::local_data() / "philips_129DYPRG.xml"},
  };
  if (test::shared_has("formats/scp-ecg/Example.scp")) files.push_back({"x.scp", test::shared_data() / "formats/scp-ecg/Example.scp"});
  if (test::shared_has("formats/contec/0000037.ECG")) files.push_back({"x.ECG", test::shared_data() / "formats/contec/0000037.ECG"});
  if (test::shared_has("formats/ge-muse-xml/MUSE_20200923_093504_79000_example.xml"))
    files.push_back({"x.xml", test::shared_data() / "formats/ge-muse-xml/MUSE_20200923_093504_79000_example.xml"});
  std::mt19937 rng(2024);
  for (const auto& [hint, path] : files) {
    auto original = read_file_bytes(path);
    REQUIRE(original.ok());
    INFO(path.string());
    for (int round = 0; round < 12; ++round) {
      auto cut = *original;
      cut.resize(std::uniform_int_distribution<std::size_t>(0, cut.size() - 1)(rng));
      check_mutant(cut, hint);
      auto flipped = *original;
      for (int k = 0; k < 8; ++k) flipped[std::uniform_int_distribution<std::size_t>(0, flipped.size() - 1)(rng)] ^= std::uint8_t(1 << (k % 8));
      check_mutant(flipped, hint);
    }
  }
}

TEST_CASE("Garbage bytes named like any ECG format are refused without a crash", "[ecg]") {
  std::mt19937 rng(7);
  for (const char* hint : {"x.dcm", "x.xml", "x.scp", "x.csv", "x.hea", "x.ECG", "x.bin"}) {
    std::vector<std::uint8_t> junk(std::uniform_int_distribution<std::size_t>(1, 5000)(rng));
    for (auto& b : junk) b = std::uint8_t(rng());
    auto w = read_ecg_bytes(junk, hint);
    INFO(hint);
    CHECK_FALSE(w.ok());
  }
  auto ann = read_wfdb_annotations(std::vector<std::uint8_t>{0xFF, 0xFF, 0x01});
  CHECK((ann.ok() || !ann.error().message.empty()));
}

TEST_CASE("A WFDB signal file name that starts with a zero byte or is a dot is refused instead of reading the folder", "[ecg]") {
  // "<NUL>3.dat" ends at its zero byte for the system and "." is the folder itself: the stream opened on the folder
  // threw from its first read, past every check, and the exception left the reader instead of an error.
  const std::string hea = text_of(local_data() / "ludb/3.hea");
  const auto dat = read_file_bytes(local_data() / "ludb/3.dat");
  REQUIRE(dat.ok());
  for (const std::string& name : {std::string("\0" "3.dat", 6), std::string(".")}) {
    teledx::test::TempDir dir;
    write_file(dir / "3.hea", replace_first(hea, "3.dat", name));
    write_file(dir / "3.dat", std::string(dat->begin(), dat->end()));
    auto w = read_ecg_file(dir / "3.hea");
    REQUIRE_FALSE(w.ok());
    CHECK(mentions(w.error(), "must be a plain file name"));
  }
}

TEST_CASE("Reading a folder as an ECG file gives an error instead of an exception", "[ecg]") {
  teledx::test::TempDir dir;
  auto bytes = read_file_bytes(dir.path());
  REQUIRE_FALSE(bytes.ok());
  CHECK(mentions(bytes.error(), "is not a regular file"));
  auto w = read_ecg_file(dir.path());
  REQUIRE_FALSE(w.ok());
}
