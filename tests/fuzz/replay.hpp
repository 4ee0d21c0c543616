#pragma once
// Replays the inputs kept in one folder through a fuzz target in an ordinary test build, in name order. A target
// aborts on a broken promise, so each file is named on stderr before it runs.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <span>
#include <vector>

namespace teledx::test {

/// Runs `target` on every regular file in `dir`; returns how many there were.
inline int replay_corpus(const std::filesystem::path& dir, void (*target)(std::span<const std::uint8_t>)) {
  REQUIRE(target != nullptr);
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    std::fprintf(stderr, "replaying %s\n", file.c_str());
    std::ifstream in(file, std::ios::binary);
    const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    REQUIRE(!bytes.empty());
    target(bytes);
  }
  return static_cast<int>(files.size());
}

}  // namespace teledx::test
