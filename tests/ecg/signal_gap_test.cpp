// A break in the recording: every lead held still (zeros, or the last value) because no signal reached it. Read as
// an ECG, a 3.5-s break was a 3.5-s pause with a critical flag on every LUDB record, and nothing said the tracing had
// stopped. It is named (signal_gap) and the time across it is no RR interval; a real pause is still a pause.
#include <catch2/catch.hpp>
#include <cmath>
#include <string>

#include "ecg_test_data.hpp"
#include "statement_checks.hpp"
#include "synthetic_ecg.hpp"
#include "teledx/ecg/analysis.hpp"

using namespace teledx::ecg;
using test::has;

namespace {

/// `w` with every lead held from `from_s` for `seconds`: at zero, or at the value it had when the break began.
Waveform with_break(Waveform w, double from_s, double seconds, bool zeros) {
  const auto from = std::size_t(from_s * w.sample_rate_hz), to = std::size_t((from_s + seconds) * w.sample_rate_hz);
  for (auto& l : w.leads) {
    const float held = zeros ? 0.f : l.uv[from];
    for (std::size_t k = from; k < to && k < l.uv.size(); ++k) l.uv[k] = held;
  }
  return w;
}


}  // namespace

TEST_CASE("A break of 3.5 s in the recording is named a signal gap and is not read as a pause", "[ecg]") {
  const Waveform ecg = test::synth_ecg(test::Synth{});  // 72/min
  const Analysis clean = analyze(ecg);
  for (bool zeros : {true, false}) {
    const Analysis a = analyze(with_break(ecg, 4.0, 3.5, zeros));
    INFO((zeros ? "zeros: " : "last value held: ") << test::statement_codes(a));
    CHECK(a.critical.empty());
    CHECK_FALSE(has(a.rhythm, "pause"));
    CHECK(has(a.rhythm, "sinus_rhythm"));
    REQUIRE(a.measurements.heart_rate);
    CHECK(std::abs(*a.measurements.heart_rate - *clean.measurements.heart_rate) <= 2);
    const Statement* gap = test::find_statement(a.quality, "signal_gap");
    REQUIRE(gap);
    CHECK(gap->severity == Severity::Warning);
    CHECK(gap->text.find("4.0-7.5 s") != std::string::npos);
    CHECK(gap->text_zh.find("4.0–7.5 秒") != std::string::npos);
    // No beat inside the break; the first after it carries the break's length, not an RR interval.
    int after = 0;
    for (const auto& b : a.beats) {
      CHECK((b.r < std::int64_t(4.0 * ecg.sample_rate_hz) || b.r >= std::int64_t(7.5 * ecg.sample_rate_hz)));
      after += b.unrecorded_before > 0;
    }
    CHECK(after == 1);
  }
}

TEST_CASE("A break that cuts a QRS leaves no ventricular beat behind", "[ecg]") {
  // The synthetic beats' QRS onsets are at 0.5 + 0.833 k s: 4.665 s is in the middle of one.
  const Analysis a = analyze(with_break(test::synth_ecg(test::Synth{}), 4.665, 2.0, true));
  INFO(test::statement_codes(a));
  for (const auto& b : a.beats) CHECK(b.type != BeatType::Ventricular);
  CHECK_FALSE(has(a.rhythm, "pvcs"));
  CHECK(has(a.quality, "signal_gap"));
}

TEST_CASE("A real pause is still a critical pause, also where the tracing holds still for a moment within it", "[ecg]") {
  test::Synth pause;
  pause.seconds = 12, pause.r_times = {0.5, 1.3, 2.1, 2.9, 6.4, 7.2, 8.0, 8.8, 9.6, 10.4};  // 3.5 s from 2.9 s
  const Waveform ecg = test::synth_ecg(pause);
  const Analysis a = analyze(ecg);
  INFO(test::statement_codes(a));
  CHECK(has(a.critical, "critical_pause"));
  CHECK_FALSE(has(a.quality, "signal_gap"));
  // A smoothed, coarsely quantised recording can hold every lead still for a few hundred ms in a quiet stretch: the
  // pause keeps the time it had signal (3.5 - 0.4 s), still over 3 s.
  const Analysis held = analyze(with_break(ecg, 4.5, 0.4, false));
  INFO(test::statement_codes(held));
  CHECK(has(held.critical, "critical_pause"));
  CHECK(has(held.quality, "signal_gap"));
}

TEST_CASE("A noise-free ECG, still on its baseline between its beats, has no gaps: its rate and pauses read as before",
          "[ecg]") {
  for (double hr : {40.0, 72.0, 120.0}) {
    test::Synth s;
    s.hr = hr, s.noise_uv = 0;
    const Analysis a = analyze(test::synth_ecg(s));
    INFO(hr << "/min: " << test::statement_codes(a));
    CHECK_FALSE(has(a.quality, "signal_gap"));
    REQUIRE(a.measurements.heart_rate);
    CHECK(*a.measurements.heart_rate == Approx(hr).margin(2));
  }
  test::Synth pause;
  pause.seconds = 12, pause.noise_uv = 0, pause.r_times = {0.5, 1.3, 2.1, 2.9, 6.4, 7.2, 8.0, 8.8, 9.6, 10.4};
  const Analysis a = analyze(test::synth_ecg(pause));
  INFO(test::statement_codes(a));
  CHECK(has(a.critical, "critical_pause"));
  CHECK_FALSE(has(a.quality, "signal_gap"));
}

TEST_CASE("A flat lead-in or tail shorter than a second is left unsaid, a longer one is named", "[ecg]") {
  Waveform ecg = test::synth_ecg(test::Synth{});
  Waveform lead_in = ecg;
  for (auto& l : lead_in.leads) l.uv.insert(l.uv.begin(), std::size_t(0.5 * ecg.sample_rate_hz), l.uv.front());
  CHECK_FALSE(has(analyze(lead_in).quality, "signal_gap"));
  const Analysis tail = analyze(with_break(ecg, 8.0, 2.0, true));
  INFO(test::statement_codes(tail));
  CHECK(has(tail.quality, "signal_gap"));
  CHECK(tail.critical.empty());
}

TEST_CASE("No development record holds every lead still long enough to be called a gap", "[ecg]") {
  if (!test::shared_has("ludb/RECORDS.dev") || !test::shared_has("mitdb/100.hea") || !test::shared_has("qtdb/sel100.hea")) {
    WARN("shared ECG development data not found under " << test::shared_data() << ": skipped");
    return;
  }
  int seen = 0;
  test::for_each_ludb_dev([&](const std::string& rec, const Waveform& w) {
    ++seen;
    INFO("LUDB " << rec);
    CHECK_FALSE(has(analyze(w).quality, "signal_gap"));
  });
  for (const char* rec : {"mitdb/100", "mitdb/105", "mitdb/109", "qtdb/sel803", "qtdb/sel16265"}) {
    auto w = read_ecg_file(test::shared_data() / (std::string(rec) + ".hea"));
    REQUIRE(w.ok());
    ++seen;
    INFO(rec);
    CHECK_FALSE(has(analyze(*w).quality, "signal_gap"));
  }
  CHECK(seen == 56);
}

TEST_CASE("LUDB records with a break of 3.5 s raise no pause flag", "[ecg]") {
  if (!test::shared_has("ludb/RECORDS.dev")) {
    WARN("shared ECG development data not found under " << test::shared_data() << ": skipped");
    return;
  }
  int records = 0, paused = 0, named = 0;
  test::for_each_ludb_dev([&](const std::string& rec, const Waveform& w) {
    ++records;
    const Analysis a = analyze(with_break(w, 4.0, 3.5, true));
    paused += has(a.critical, "critical_pause") || has(a.rhythm, "pause");
    named += has(a.quality, "signal_gap");
    if (has(a.critical, "critical_pause")) UNSCOPED_INFO("LUDB " << rec << ": " << test::statement_codes(a));
  });
  CHECK(records == 51);
  CHECK(paused == 0);  // before: 51, every one with critical_pause
  CHECK(named == 51);
}
