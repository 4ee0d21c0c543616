// The filters run several leads (and unrelated filters) interleaved in one loop for speed; these tests pin down
// that the grouping changes nothing: each lead's result is bit-identical to filtering it alone, and each result
// lands on its own lead.
#include "teledx/ecg/analysis.hpp"
#include "teledx/ecg/processing.hpp"

#include <catch2/catch.hpp>
#include <cmath>
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

/// `x` with a second (`pad` samples) at each end, reflected about its first and last sample as conditioning pads.
std::vector<float> padded_copy(const std::vector<float>& x, std::size_t pad) {
  const std::size_t n = x.size();
  std::vector<float> padded(n + 2 * pad);
  for (std::size_t k = 0; k < pad; ++k) {
    padded[pad - 1 - k] = 2 * x[0] - x[k + 1];
    padded[pad + n + k] = 2 * x[n - 1] - x[n - 2 - k];
  }
  std::copy(x.begin(), x.end(), padded.begin() + std::ptrdiff_t(pad));
  return padded;
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

TEST_CASE("Conditioning filters the leads in place exactly as it filtered padded copies of them", "[ecg][filters]") {
  // condition_signals() keeps the 1-s end reflections in small buffers of their own and carries the filters' state
  // across them, rather than filtering a padded copy of each lead. The reference here is the padded copy: odd
  // reflection at both ends, the public zero-phase 0.5 Hz high-pass over it, the middle cut out. (With mains the
  // padding continues the tone instead: the next test.)
  Synth o;
  o.seconds = 7;
  o.fs = 360;                       // a Holter rate
  Waveform w = synth_ecg(o);
  for (auto& l : w.leads) {         // start and end off the baseline, where the reflection matters
    for (std::size_t k = 0; k < l.uv.size(); ++k) l.uv[k] += float(900.0 - 0.3 * double(k));
  }
  LeadSet s = first_leads(w, 3);    // two chains in one register and an odd one out
  REQUIRE(condition_signals(s) == 0);
  const std::size_t n = w.sample_count(), pad = std::size_t(w.sample_rate_hz);
  for (std::size_t l = 0; l < 3; ++l) {
    const auto& x = w.leads[l].uv;
    const auto y = remove_baseline(padded_copy(x, pad), w.sample_rate_hz, 0.5);
    const std::vector<float> want(y.begin() + std::ptrdiff_t(pad), y.begin() + std::ptrdiff_t(pad + n));
    INFO("lead " << l);
    CHECK(s.leads[l].uv == want);  // exact: the same arithmetic in the same order
    CHECK(s.leads[l].uv != x);     // and it did filter
  }
}

TEST_CASE("Strong mains is removed to the first and last sample, with no step left at the ends", "[ecg][filters]") {
  // An end reflected about a sample on the tone's crest put the padding a tone's amplitude off the lead's level, and
  // the high-pass carried that step a second into the lead: 800 uV of mains left 1.6 mV at the edges. The lead with
  // mains, conditioned, must match the same ECG without mains run through the same filters (padded copy, notches,
  // high-pass), at every sample.
  for (double fs : {250.0, 360.0, 500.0, 1000.0}) {
    for (double hz : {50.0, 60.0}) {
      Synth o;
      o.seconds = 6, o.fs = fs, o.noise_uv = 0;
      const Waveform clean = synth_ecg(o);
      Waveform hum = clean;
      for (std::size_t l = 0; l < hum.leads.size(); ++l)
        for (std::size_t k = 0; k < hum.leads[l].uv.size(); ++k)
          hum.leads[l].uv[k] += float(800 * std::sin(2 * 3.141592653589793 * hz * double(k) / fs + 0.5 * double(l)));
      LeadSet s = first_leads(hum, 4);
      REQUIRE(condition_signals(s) == hz);
      const std::size_t n = clean.sample_count(), pad = std::size_t(fs);
      double worst = 0;
      for (std::size_t l = 0; l < 4; ++l) {
        const auto y = remove_baseline(notch_filter(padded_copy(clean.leads[l].uv, pad), fs, hz), fs, 0.5);
        for (std::size_t k = 0; k < n; ++k) worst = std::max(worst, double(std::abs(s.leads[l].uv[k] - y[pad + k])));
      }
      INFO(fs << " Hz sampling, " << hz << " Hz mains");
      CHECK(worst < 25);  // 13-17 uV: the ECG's own content at the mains frequency shifts the tone's fit (was 1460-1680)
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

TEST_CASE("Goertzel tones at many frequencies at once equal the tones computed one at a time", "[ecg][filters]") {
  std::mt19937 rng(7);
  std::normal_distribution<float> g(0, 100);
  for (std::size_t n : {std::size_t(1), std::size_t(37), std::size_t(5000), std::size_t(22670)}) {
    std::vector<float> x(n);
    for (auto& v : x) v = g(rng);
    // The VF check's grid (117 frequencies, not a multiple of eight) and a few at or past Nyquist.
    std::vector<double> hz;
    for (double f = 1.0; f <= 30.0; f += 0.25) hz.push_back(f);
    for (double f : {124.0, 125.0, 200.0}) hz.push_back(f);
    const auto many = tone_rms_many(x, 250, hz);
    REQUIRE(many.size() == hz.size());
    for (std::size_t i = 0; i < hz.size(); ++i) {
      INFO("n " << n << " hz " << hz[i]);
      CHECK(many[i] == tone_rms(x, 250, hz[i]));  // bit for bit
    }
  }
  CHECK(tone_rms_many({}, 250, std::vector<double>(9, 10.0)) == std::vector<double>(9, 0.0));
}
