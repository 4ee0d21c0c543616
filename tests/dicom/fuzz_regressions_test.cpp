// Replays tests/data/dicom/fuzz/dicom_file/ through the DICOM fuzz target of scripts/fuzz.sh in the ordinary build:
// small images in the transfer syntaxes the renderer decodes, and inputs the fuzzer once broke a promise with. The
// target aborts on a broken promise, so the file being replayed is named on stderr first.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "fuzz/dicom_fuzz_targets.hpp"

namespace fs = std::filesystem;

TEST_CASE("DICOM files from the fuzz corpus are refused with a reason or checked, framed and rendered", "[dicom][fuzz]") {
  const auto target = teledx::dicom::fuzz::target_named("dicom_file");
  REQUIRE(target != nullptr);
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(fs::path(TELEDX_TEST_DATA_DIR) / "dicom/fuzz/dicom_file"))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 8);
  for (const auto& file : files) {
    std::fprintf(stderr, "replaying %s\n", file.c_str());
    std::ifstream in(file, std::ios::binary);
    const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    REQUIRE(!bytes.empty());
    target(bytes);
  }
}
