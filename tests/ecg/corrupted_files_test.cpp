#include "teledx/ecg/readers.hpp"

#include <catch2/catch.hpp>
#include <random>

#include "ecg_test_data.hpp"
#include "teledx/ecg/analysis.hpp"

using namespace teledx::ecg;

namespace {

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
