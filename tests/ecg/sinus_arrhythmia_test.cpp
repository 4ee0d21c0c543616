// Sinus arrhythmia (窦性心律不齐): intervals between normal beats differing by more than the textbook's 120 ms in
// sinus rhythm; not for a steadier rhythm, nor for a pause.
#include <catch2/catch.hpp>

#include <cmath>
#include <numbers>
#include <string>

#include "ecg_test_data.hpp"
#include "statement_checks.hpp"
#include "synthetic_ecg.hpp"
#include "teledx/ecg/analysis.hpp"
#include "teledx/ecg/readers.hpp"

using namespace teledx::ecg;
using teledx::ecg::test::find_statement;
using teledx::ecg::test::Synth;
using teledx::ecg::test::synth_ecg;

namespace {

/// Sinus beats whose interval swings with a 4-s breath around 0.9 s by +- `swing_ms` / 2.
Synth breathing(double swing_ms) {
  Synth s;
  s.seconds = 12;
  for (double t = 0.5; t < 11.2; t += 0.9 + swing_ms / 2000.0 * std::sin(2 * std::numbers::pi * t / 4.0))
    s.r_times.push_back(t);
  return s;
}

}  // namespace

TEST_CASE("intervals swinging by 200 ms with breathing are sinus arrhythmia with the spread in the sentence") {
  const auto a = analyze(synth_ecg(breathing(200)));
  REQUIRE(find_statement(a.rhythm, "sinus_rhythm"));
  const Statement* s = find_statement(a.rhythm, "sinus_arrhythmia");
  REQUIRE(s);
  CHECK(s->severity == Severity::Info);
  const auto at = s->text.find("up to ");
  REQUIRE(at != std::string::npos);
  CHECK(std::atof(s->text.c_str() + at + 6) == Approx(195).margin(25));
  CHECK(s->text_zh.rfind("窦性心律不齐（正常心搏间期最大相差 ", 0) == 0);
}

TEST_CASE("a regular rhythm or a swing of 80 ms is not sinus arrhythmia") {
  CHECK_FALSE(find_statement(analyze(synth_ecg(Synth{})).rhythm, "sinus_arrhythmia"));
  CHECK_FALSE(find_statement(analyze(synth_ecg(breathing(80))).rhythm, "sinus_arrhythmia"));
}

TEST_CASE("a pause is said as a pause and not as sinus arrhythmia") {
  Synth s;
  s.seconds = 12, s.r_times = {0.5, 1.3, 2.1, 2.9, 3.7, 6.0, 6.8, 7.6, 8.4, 9.2, 10.0};
  const auto a = analyze(synth_ecg(s));
  CHECK(find_statement(a.rhythm, "pause"));
  CHECK_FALSE(find_statement(a.rhythm, "sinus_arrhythmia"));
}

TEST_CASE("the GE MUSE sample is sinus arrhythmia as its cart says") {
  ECG_REQUIRE_SHARED("formats/ge-muse-xml/MUSE_20200923_093504_79000_example.xml");
  auto w = read_ecg_file(teledx::ecg::test::shared_data() / "formats/ge-muse-xml/MUSE_20200923_093504_79000_example.xml");
  REQUIRE(w.ok());
  bool cart_says = false;
  for (const auto& st : w->device_statements) cart_says |= st == "with sinus arrhythmia";
  REQUIRE(cart_says);
  CHECK(find_statement(analyze(*w).rhythm, "sinus_arrhythmia"));
}
