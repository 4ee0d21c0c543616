// Issue 6: floors on beat typing over MIT-BIH development records, whole (a Holter's 30 minutes) and in 10-s windows
// (a resting ECG), so that a change that types more normal beats ventricular, or misses PVCs, fails CI.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "ecg_test_data.hpp"
#include "teledx/ecg/analysis.hpp"
#include "teledx/ecg/readers.hpp"

using namespace teledx::ecg;

namespace {

struct Typing {
  long v_as_v = 0, v_missed = 0, n_as_v = 0, n_as_other = 0;
  double v_se() const { return 100.0 * double(v_as_v) / double(v_as_v + v_missed); }
};

/// The reference beats of a shared-data record: sample and whether the label is V.
std::vector<std::pair<std::int64_t, bool>> reference_beats(const std::vector<Annotation>& annotations) {
  std::vector<std::pair<std::int64_t, bool>> ref;
  for (const auto& x : annotations)
    if (is_beat_annotation(x.code)) ref.emplace_back(x.sample, annotation_symbol(x.code) == "V");
  return ref;
}

/// Adds our types of the beats found in samples [offset, offset + length of w) to `t`, against the reference labels
/// (V = ventricular, every other beat label = normal or supraventricular; the nearest label within 150 ms).
void score_typing(const Waveform& w, std::int64_t offset, const std::vector<std::pair<std::int64_t, bool>>& ref,
                  Typing& t) {
  const auto a = analyze(w);
  const auto tol = std::int64_t(0.15 * a.sample_rate_hz);
  std::size_t j = 0;
  for (const auto& b : a.beats) {
    const std::int64_t r = b.r + offset;
    while (j < ref.size() && ref[j].first < r - tol) ++j;
    std::size_t best = ref.size();
    for (std::size_t k = j; k < ref.size() && ref[k].first <= r + tol; ++k)
      if (best == ref.size() || std::llabs(ref[k].first - r) < std::llabs(ref[best].first - r)) best = k;
    if (best == ref.size()) continue;
    if (ref[best].second) (b.type == BeatType::Ventricular ? t.v_as_v : t.v_missed)++;
    else t.n_as_v += b.type == BeatType::Ventricular, t.n_as_other += b.type != BeatType::Normal;
  }
}

Typing type_record(const std::string& rec) {
  const auto record = test::read_annotated_record("mitdb", rec, "atr");
  Typing t;
  score_typing(record.waveform, 0, reference_beats(record.annotations), t);
  return t;
}

/// Each whole 10-s window of the record analysed on its own, as a resting ECG would be.
Typing type_windows(const std::string& rec) {
  const auto record = test::read_annotated_record("mitdb", rec, "atr");
  const auto ref = reference_beats(record.annotations);
  const auto seg = std::size_t(10 * record.waveform.sample_rate_hz);
  Typing t;
  for (std::size_t s0 = 0; s0 + seg <= record.waveform.sample_count(); s0 += seg) {
    Waveform x = record.waveform;
    for (auto& l : x.leads) l.uv = std::vector<float>(l.uv.begin() + std::ptrdiff_t(s0), l.uv.begin() + std::ptrdiff_t(s0 + seg));
    score_typing(x, std::int64_t(s0), ref, t);
  }
  return t;
}

}  // namespace

TEST_CASE("Whole 30-min MIT-BIH records: 108's drifting normal beats stay normal and 106's PVCs stay ventricular",
          "[ecg][beats][drift]") {
  ECG_REQUIRE_SHARED("mitdb/108.dat");
  // Before typing followed the drift: 108 typed 214 normal beats V and 445 otherwise than normal; 106 missed 20
  // of its 520 PVCs. Now 27 / 67 and 3 by this matching, and one of 106's 1,507 normal beats is typed V (none
  // before the width was measured on the 16-ms slope); the floors leave room for small changes elsewhere.
  const Typing t108 = type_record("108"), t106 = type_record("106");
  INFO("108: N typed V " << t108.n_as_v << ", N typed other " << t108.n_as_other << "; 106: V " << t106.v_as_v
                         << " found, " << t106.v_missed << " missed");
  CHECK(t108.n_as_v <= 80);
  CHECK(t108.n_as_other <= 200);
  CHECK(t108.v_missed <= 1);
  CHECK(t106.n_as_v <= 2);
  CHECK(t106.v_missed <= 15);
}

TEST_CASE("MIT-BIH 106 in 10-s windows: PVCs in couplets and bigeminy are typed ventricular, and no normal beat is",
          "[ecg][beats]") {
  ECG_REQUIRE_SHARED("mitdb/106.dat");
  // When coupling intervals made up half the window's intervals or more, their median made the PVCs look on time:
  // by this matching V Se was 78.8 % (109 PVCs missed). The typical RR is now that of the intervals ending at a
  // dominant beat: 84.6 % (79 missed); with the QRS width measured on the 16-ms slope, 94.6 % (28 missed). No
  // normal beat typed V.
  const Typing t = type_windows("106");
  INFO("106, 10-s windows: V " << t.v_as_v << " found, " << t.v_missed << " missed; N typed V " << t.n_as_v);
  CHECK(t.v_se() >= 92.0);
  CHECK(t.n_as_v == 0);
}
