// The filters run several leads (and unrelated filters) interleaved in one loop for speed; these tests pin down
// that the grouping changes nothing: each lead's result is bit-identical to filtering it alone, and each result
// lands on its own lead.
#include "teledx/ecg/analysis.hpp"
#include "teledx/ecg/processing.hpp"

#include <catch2/catch.hpp>
#include <random>

#include "synthetic_ecg.hpp"

using namespace teledx::ecg;
using teledx::ecg::test::Synth;
using teledx::ecg::test::synth_ecg;

namespace {

LeadSet first_leads(const Waveform& w, std::size_t count) {
  LeadSet s;
  s.sample_rate_hz = w.sample_rate_hz;
  s.leads.assign(w.leads.begin(), w.leads.begin() + std::ptrdiff_t(count));
  return s;
}

}  // namespace

TEST_CASE("Conditioning a lead among 1 to 12 gives the same samples as conditioning it alone", "[ecg][filters]") {
  Synth o;
  o.seconds = 6;
  o.mains_hz = 50, o.mains_uv = 60;  // the notch filters run too (50 and 100 Hz at 500 Hz)
  const Waveform w = synth_ecg(o);
  std::vector<std::vector<float>> alone;
  for (const auto& l : w.leads) {
    LeadSet one;
    one.sample_rate_hz = w.sample_rate_hz;
    one.leads.push_back(l);
    REQUIRE(condition_signals(one) == 50);
    alone.push_back(one.leads.front().uv);
  }
  // 1-3 leads run as one group of that size, 5 as four plus one, 12 as three groups of four.
  for (std::size_t count : {1, 2, 3, 5, 12}) {
    LeadSet s = first_leads(w, count);
    REQUIRE(condition_signals(s) == 50);
    for (std::size_t l = 0; l < count; ++l) {
      INFO(count << " leads, lead " << l);
      CHECK(s.leads[l].uv == alone[l]);  // exact: the interleaved recursions do the same arithmetic
    }
  }
}

TEST_CASE("QRS detection of a 2-lead recording does not depend on the leads' order", "[ecg][filters]") {
  Synth o;
  o.seconds = 20;
  const Waveform w = synth_ecg(o);
  LeadSet ab = first_leads(w, 2), ba = ab;
  std::swap(ba.leads[0], ba.leads[1]);
  condition_signals(ab), condition_signals(ba);
  const auto r = detect_qrs(ab);
  CHECK(r.size() >= 20);
  CHECK(detect_qrs(ba) == r);
}

TEST_CASE("On a 2-lead recording only the lead with muscle noise is called noisy", "[ecg][filters]") {
  // analyze() low-passes the leads for the noise measure in the QRS detector's filter loop (a 2-lead record then
  // fills it with four recursions); a mix-up of signals there would blame the wrong lead or both.
  Synth o;
  o.seconds = 20;
  const Waveform twelve = synth_ecg(o);
  for (std::size_t noisy : {0, 1}) {
    Waveform w;
    w.sample_rate_hz = twelve.sample_rate_hz;
    w.leads = {twelve.leads[1], twelve.leads[10]};  // II and V5
    std::mt19937 rng(7);
    std::normal_distribution<double> gauss(0, 120);
    for (auto& v : w.leads[noisy].uv) v += float(gauss(rng));
    const Analysis a = analyze(w);
    INFO("noisy lead " << noisy);
    int flagged = 0;
    for (const auto& q : a.quality)
      if (q.code == "noise") {
        ++flagged;
        CHECK(q.lead == w.leads[noisy].lead);
      }
    CHECK(flagged == 1);
  }
}
