// Replays tests/data/server/fuzz/stow_multipart/ through the STOW multipart fuzz target of scripts/fuzz.sh in the
// ordinary build: bodies split whole and in pieces must give the same parts or the same refusal. The target aborts on
// a broken promise, so the file being replayed is named on stderr first.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "fuzz/multipart_fuzz_targets.hpp"

namespace fs = std::filesystem;

TEST_CASE("STOW bodies from the fuzz corpus split the same whole and in pieces", "[server][multipart][fuzz]") {
  const auto target = teledx::server::fuzz::target_named("stow_multipart");
  REQUIRE(target != nullptr);
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(fs::path(TELEDX_TEST_DATA_DIR) / "server/fuzz/stow_multipart"))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  REQUIRE(!files.empty());
  for (const auto& file : files) {
    std::fprintf(stderr, "replaying %s\n", file.c_str());
    std::ifstream in(file, std::ios::binary);
    const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    REQUIRE(!bytes.empty());
    target(bytes);
  }
}
