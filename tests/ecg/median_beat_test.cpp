// The median beat is computed with a sorting network over several samples at once (ecg/src/median_beat.cpp); these
// tests pin it to the plain definition: per lead and sample, the middle value of the dominant beats (or the mean of
// the two middle ones), for beat counts the network handles (up to 16 and up to 32) and the ones it leaves to a
// selection.
#include <algorithm>
#include <catch2/catch.hpp>
#include <vector>

#include "synthetic_ecg.hpp"
#include "teledx/ecg/analysis.hpp"
#include "teledx/ecg/processing.hpp"

using namespace teledx::ecg;
using teledx::ecg::test::Synth;
using teledx::ecg::test::synth_ecg;

namespace {

/// The median beat by its definition, from the analysis' beats on the conditioned leads, as analyze() chooses them.
LeadSet reference_median(const LeadSet& cond, const std::vector<Beat>& beats, std::int64_t r_index) {
  const double fs = cond.sample_rate_hz;
  const auto pre = std::int64_t(0.5 * fs), post = std::int64_t(0.8 * fs), n = std::int64_t(cond.sample_count());
  std::vector<std::int64_t> use;
  for (const auto& b : beats)
    if (b.type == BeatType::Normal && b.r - pre >= 0 && b.r + post < n) use.push_back(b.r);
  REQUIRE(use.size() >= 2);
  if (use.size() > 60) {
    std::vector<std::int64_t> thin;
    for (std::size_t i = 0; i < use.size(); i += use.size() / 60 + 1) thin.push_back(use[i]);
    use = thin;
  }
  CHECK(r_index == pre);
  UNSCOPED_INFO(use.size() << " beats used");
  LeadSet m;
  for (const auto& lead : cond.leads) {
    LeadSignal out{lead.lead, {}, lead.label};
    for (std::int64_t k = 0; k < pre + post; ++k) {
      std::vector<float> v;
      for (auto r : use) v.push_back(lead.uv[std::size_t(r - pre + k)]);
      std::sort(v.begin(), v.end());
      const std::size_t mid = v.size() / 2;
      out.uv.push_back(v.size() % 2 ? v[mid] : (v[mid] + v[mid - 1]) / 2);
    }
    m.leads.push_back(out);
  }
  return m;
}

}  // namespace

TEST_CASE("The median beat is the middle value of the dominant beats at every sample, for any number of beats",
          "[ecg]") {
  // (rate, seconds): 5 to 31 beats used, odd and even counts, and 73 (thinned to at most 60).
  for (auto [hr, seconds] : {std::pair{45.0, 10.0}, {52.0, 10.0}, {72.0, 10.0}, {80.0, 10.0}, {95.0, 10.0},
                             {100.0, 10.0}, {150.0, 10.0}, {160.0, 10.0}, {190.0, 10.0}, {200.0, 10.0}, {150.0, 30.0}}) {
    Synth s;
    s.hr = hr, s.seconds = seconds, s.noise_uv = 25;  // noise, so the beats differ at every sample
    s.qt_ms = hr > 120 ? 260 : 380;
    s.pr_ms = hr > 120 ? 120 : 160;
    const Waveform w = synth_ecg(s);
    const Analysis a = analyze(w);
    LeadSet cond = w;
    condition_signals(cond);
    const LeadSet expected = reference_median(cond, a.beats, a.median_r);
    INFO(hr << "/min for " << seconds << " s: " << a.beats.size() << " beats");
    REQUIRE(a.median.leads.size() == expected.leads.size());
    for (std::size_t l = 0; l < expected.leads.size(); ++l) {
      INFO("lead " << expected.leads[l].label);
      CHECK(a.median.leads[l].uv == expected.leads[l].uv);
    }
  }
}
