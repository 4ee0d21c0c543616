#pragma once
// Where the ECG tests find their data: tests/data/ecg (always present) and the shared development set
// (TELEDX_ECG_DATA or ../shared/data/ecg next to the repository), which may be absent.
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "teledx/ecg/readers.hpp"

namespace teledx::ecg::test {

inline std::filesystem::path local_data() { return std::filesystem::path(TELEDX_SOURCE_DIR) / "tests/data/ecg"; }

inline std::filesystem::path shared_data() {
  // Absolute: the eval tests run teledx-ecg from another folder, where a relative path would name nothing.
  if (const char* env = std::getenv("TELEDX_ECG_DATA"); env && *env) return std::filesystem::absolute(env);
  return std::filesystem::path(TELEDX_SOURCE_DIR) / "../shared/data/ecg";
}

inline bool shared_has(const std::string& rel) { return std::filesystem::exists(shared_data() / rel); }

inline std::vector<std::uint8_t> as_bytes(const std::string& s) { return {s.begin(), s.end()}; }

/// A record of the shared development set with its reference annotations, e.g. ("mitdb", "108", "atr").
struct AnnotatedRecord {
  Waveform waveform;
  std::vector<Annotation> annotations;
};
inline AnnotatedRecord read_annotated_record(const std::string& db, const std::string& rec, const std::string& ext) {
  auto w = read_ecg_file(shared_data() / db / (rec + ".hea"));
  REQUIRE(w.ok());
  auto bytes = read_file_bytes(shared_data() / db / (rec + "." + ext));
  REQUIRE(bytes.ok());
  auto ann = read_wfdb_annotations(*bytes);
  REQUIRE(ann.ok());
  return {std::move(*w), std::move(*ann)};
}

/// `each(name, record)` for every LUDB development record (ludb/RECORDS.dev; check shared_has first).
template <class Each>
void for_each_ludb_dev(Each each) {
  std::ifstream list(shared_data() / "ludb/RECORDS.dev");
  for (std::string rec; std::getline(list, rec);) {
    rec = rec.substr(rec.find_last_of('/') + 1);
    if (rec.empty()) continue;
    auto w = read_ecg_file(shared_data() / "ludb/data" / (rec + ".hea"));
    REQUIRE(w.ok());
    each(rec, *w);
  }
}

/// `each(number, record)` for MIT-BIH 100-109 with their beat labels, those present.
template <class Each>
void for_each_mitdb_dev(Each each) {
  for (int rec = 100; rec <= 109; ++rec)
    if (shared_has("mitdb/" + std::to_string(rec) + ".atr")) each(rec, read_annotated_record("mitdb", std::to_string(rec), "atr"));
}

/// `each(number, window, first sample)` for every whole 10-s window of MIT-BIH 100-109, those present.
template <class Each>
void for_each_mitdb_dev_window(Each each) {
  for_each_mitdb_dev([&](int rec, const AnnotatedRecord& r) {
    const auto n = std::size_t(10 * r.waveform.sample_rate_hz);
    for (std::size_t from = 0; from + n <= r.waveform.sample_count(); from += n) {
      Waveform win = r.waveform;
      for (std::size_t l = 0; l < win.leads.size(); ++l) {
        const auto& whole = r.waveform.leads[l].uv;
        win.leads[l].uv.assign(whole.begin() + std::ptrdiff_t(from), whole.begin() + std::ptrdiff_t(from + n));
      }
      each(rec, win, from);
    }
  });
}

}  // namespace teledx::ecg::test

/// Catch2 v2 has no SKIP: warn and leave the test case.
#define ECG_REQUIRE_SHARED(rel)                                                        \
  do {                                                                                 \
    if (!teledx::ecg::test::shared_has(rel)) {                                         \
      WARN(std::string("skipped: data not present: ") + (teledx::ecg::test::shared_data() / (rel)).string()); \
      return;                                                                          \
    }                                                                                  \
  } while (0)
