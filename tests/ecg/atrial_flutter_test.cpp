// Atrial flutter at a conduction ratio that is not whole (LUDB 52: RR 914 ms, flutter cycle 210 ms). The flutter
// wave before each QRS falls at a slightly different point of its cycle from beat to beat, and which beats the
// median beat is made of decides whether it averages into a "P wave". Where the recording starts and ends once
// decided between "atrial flutter" and "sinus rhythm, first-degree AV block".
#include <catch2/catch.hpp>
#include <string>

#include "calibration_pulses.hpp"
#include "ecg_test_data.hpp"
#include "statement_checks.hpp"
#include "teledx/ecg/analysis.hpp"

using namespace teledx::ecg;

TEST_CASE("LUDB's flutter record is called flutter however much of it the recording holds", "[ecg]") {
  auto w = read_ecg_file(test::local_data() / "ludb/52.hea");
  REQUIRE(w.ok());
  const double fs = w->sample_rate_hz;
  auto cut = [&](double from_start_s, double from_end_s) {
    Waveform c = *w;
    for (auto& l : c.leads) {
      l.uv.resize(l.uv.size() - std::size_t(from_end_s * fs));
      l.uv.erase(l.uv.begin(), l.uv.begin() + std::ptrdiff_t(from_start_s * fs));
    }
    return c;
  };
  const std::pair<const char*, Waveform> cases[] = {
      {"as recorded", *w},
      {"0.2 s off its end", cut(0, 0.2)},
      {"0.2 s off its start", cut(0.2, 0)},
      {"1 s off its start", cut(1, 0)},
      {"after a flat half second", test::with_pulse(*w, {.uv = 0})},
      {"after a calibration pulse", test::with_pulse(*w, {})},
  };
  for (const auto& [what, ecg] : cases) {
    const auto a = analyze(ecg);
    INFO(what << ": " << test::statement_codes(a));
    CHECK(test::has(a.rhythm, "atrial_flutter"));
    CHECK_FALSE(test::has(a.rhythm, "sinus_rhythm"));
    CHECK_FALSE(test::has(a.rhythm, "first_degree_av_block"));
  }
}
