#pragma once
// Where the ECG tests find their data: tests/data/ecg (always present) and the shared development set
// (TELEDX_ECG_DATA or ../shared/data/ecg next to the repository), which may be absent.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace teledx::ecg::test {

inline std::filesystem::path local_data() { return std::filesystem::path(TELEDX_SOURCE_DIR) / "tests/data/ecg"; }

inline std::filesystem::path shared_data() {
  if (const char* env = std::getenv("TELEDX_ECG_DATA"); env && *env) return env;
  return std::filesystem::path(TELEDX_SOURCE_DIR) / "../shared/data/ecg";
}

inline bool shared_has(const std::string& rel) { return std::filesystem::exists(shared_data() / rel); }

inline std::vector<std::uint8_t> as_bytes(const std::string& s) { return {s.begin(), s.end()}; }

}  // namespace teledx::ecg::test

/// Catch2 v2 has no SKIP: warn and leave the test case.
#define ECG_REQUIRE_SHARED(rel)                                                        \
  do {                                                                                 \
    if (!teledx::ecg::test::shared_has(rel)) {                                         \
      WARN(std::string("skipped: data not present: ") + (teledx::ecg::test::shared_data() / (rel)).string()); \
      return;                                                                          \
    }                                                                                  \
  } while (0)
