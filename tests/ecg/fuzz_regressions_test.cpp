// Replays tests/data/ecg/fuzz/<target>/ through the fuzz targets of scripts/fuzz.sh in the ordinary build: the
// inputs the fuzzer once broke a promise with (a fixed reader stays fixed) and a small seed per target that takes the
// whole pipeline (store as DICOM, read back, analyse, draw). A target aborts on a broken promise, so the file being
// replayed is named on stderr first.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "ecg_test_data.hpp"
#include "fuzz/ecg_fuzz_targets.hpp"

namespace fs = std::filesystem;
using namespace teledx::ecg;

namespace {
std::vector<fs::path> inputs_of(const std::string& target) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(test::local_data() / "fuzz" / target))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

int replay(const std::string& target) {
  const auto run = fuzz::target_named(target);
  REQUIRE(run != nullptr);
  int n = 0;
  for (const auto& file : inputs_of(target)) {
    std::fprintf(stderr, "replaying %s\n", file.c_str());
    auto bytes = read_file_bytes(file);
    REQUIRE(bytes.ok());
    run(*bytes);
    ++n;
  }
  return n;
}
}  // namespace

TEST_CASE("Upload-format inputs from the fuzz corpus are refused with a reason or stored and analysed", "[ecg][fuzz]") {
  CHECK(replay("ecg_file") > 0);
}

TEST_CASE("WFDB records from the fuzz corpus are refused with a reason or read whole", "[ecg][fuzz]") {
  CHECK(replay("wfdb_record") > 0);
}

TEST_CASE("Raw signals from the fuzz corpus are analysed and drawn", "[ecg][fuzz]") {
  CHECK(replay("ecg_signal") > 0);
}
