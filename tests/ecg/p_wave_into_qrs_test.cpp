// A P wave that runs into the QRS (p_wave.cpp): a junctional rhythm's retrograde P wave, 60-100 ms long at a PR of
// 80-100 ms, leaves no PR segment, so the PR window lies on the P wave itself. Before the change the flat stretch before
// the P wave was taken for it (PR measured 142-162 ms for a PR of 100, the inverted P read as sinus bradycardia) and the
// ST levels were measured from the P wave's level: a false STEMI pattern and a false critical flag.
#include <catch2/catch.hpp>
#include <cmath>

#include "statement_checks.hpp"
#include "synthetic_ecg.hpp"
#include "teledx/ecg/analysis.hpp"

using namespace teledx::ecg;

namespace {

Analysis junctional(double pr_ms, double p_ms) {
  test::Synth s;
  s.pr_ms = pr_ms;
  s.p_ms = p_ms;
  s.p_axis = -80;  // retrograde: inverted in II, III and aVF (-90 itself borders the electrode-reversal range)
  s.hr = 55;
  return analyze(test::synth_ecg(s));
}

}  // namespace

TEST_CASE("A P wave running into the QRS raises no ST-elevation or critical flag", "[ecg]") {
  for (double pr : {100.0, 90.0, 80.0})
    for (double p : {60.0, 80.0, 100.0}) {
      INFO("PR " << pr << " ms, P " << p << " ms");
      const auto a = junctional(pr, p);
      CHECK(a.critical.empty());
      CHECK_FALSE(test::has(a.rhythm, "stemi_pattern"));
      for (const auto& st : a.st) CHECK(std::abs(st.j60_uv) < 100);
    }
}

TEST_CASE("A retrograde P wave ending at the QRS is found in its place and read as junctional", "[ecg]") {
  // Measured after the change: PR within 10 ms of the synthetic one (the P's half-sine starts flat).
  for (const auto& [pr, p] : std::vector<std::pair<double, double>>{{100, 60}, {100, 80}, {100, 100}, {90, 60}, {80, 60}}) {
    INFO("PR " << pr << " ms, P " << p << " ms");
    const auto a = junctional(pr, p);
    REQUIRE(a.measurements.pr);
    CHECK(std::abs(*a.measurements.pr - pr) <= 15);
    REQUIRE(a.measurements.p_axis);
    CHECK(*a.measurements.p_axis < -60);
    CHECK(test::has(a.rhythm, "junctional_rhythm"));
    CHECK_FALSE(test::has(a.rhythm, "sinus_bradycardia"));
  }
}

TEST_CASE("A retrograde P wave hidden in the QRS start gives no P wave, sinus rhythm or AV block", "[ecg]") {
  // Before the change: a P found 350-400 ms before the QRS on the flat baseline (PR 352-402 ms), read as sinus
  // bradycardia with first-degree AV block.
  for (double pr : {10.0, 0.0})
    for (double p : {40.0, 60.0, 80.0}) {
      INFO("P starts " << pr << " ms before the QRS, P " << p << " ms");
      const auto a = junctional(pr, p);
      CHECK_FALSE(a.measurements.pr);
      CHECK_FALSE(a.median_fiducials.p_on);
      CHECK_FALSE(test::has(a.rhythm, "sinus_bradycardia"));
      CHECK_FALSE(test::has(a.rhythm, "first_degree_av_block"));
      CHECK(a.critical.empty());
    }
}
