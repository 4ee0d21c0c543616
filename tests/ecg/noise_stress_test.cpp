// The synthetic noise of `teledx-ecg eval noise` (stress_noise.cpp): each kind has the spectrum it stands for, unit
// variance and a reproducible realisation, and is added at the SNR asked for. The evaluation is only as honest as
// these properties.
#include <catch2/catch.hpp>
#include <cmath>

#include "synthetic_ecg.hpp"
#include "teledx/ecg/evaluation.hpp"
#include "teledx/ecg/processing.hpp"

using namespace teledx::ecg;

namespace {

double variance(const std::vector<float>& x) {
  double m = 0, ss = 0;
  for (float v : x) m += v;
  m /= double(x.size());
  for (float v : x) ss += (v - m) * (v - m);
  return ss / double(x.size());
}

double mean(const std::vector<float>& x) {
  double m = 0;
  for (float v : x) m += v;
  return m / double(x.size());
}

}  // namespace

TEST_CASE("Each kind of stress noise has zero mean, unit variance and the same samples for the same seed", "[ecg][noise]") {
  const double fs = 360;
  const std::size_t n = std::size_t(120 * fs);
  for (auto kind : {StressNoise::BaselineWander, StressNoise::Muscle, StressNoise::ElectrodeMotion}) {
    INFO(stress_noise_name(kind));
    const auto a = stress_noise(kind, n, fs, 7), b = stress_noise(kind, n, fs, 7), c = stress_noise(kind, n, fs, 8);
    REQUIRE(a.size() == n);
    CHECK(a == b);
    CHECK(a != c);
    CHECK(std::abs(mean(a)) < 1e-3);
    CHECK(variance(a) == Approx(1.0).epsilon(1e-3));
  }
  CHECK(stress_noise(StressNoise::Muscle, 0, fs, 1).empty());
}

TEST_CASE("Baseline wander lies under 1 Hz, muscle noise above 10 Hz, electrode motion in the QRS band", "[ecg][noise]") {
  const double fs = 360;
  const std::size_t n = std::size_t(120 * fs);
  // The fraction of the noise's power a filter keeps.
  auto kept = [&](const std::vector<float>& x, auto filter) { return variance(filter(x)) / variance(x); };
  const auto bw = stress_noise(StressNoise::BaselineWander, n, fs, 3);
  CHECK(kept(bw, [&](const auto& x) { return remove_baseline(x, fs, 1.0); }) < 0.05);
  const auto ma = stress_noise(StressNoise::Muscle, n, fs, 3);
  CHECK(kept(ma, [&](const auto& x) { return lowpass_filter(x, fs, 5.0); }) < 0.02);
  CHECK(kept(ma, [&](const auto& x) { return remove_baseline(x, fs, 20.0); }) > 0.7);
  // Electrode motion overlaps the QRS detector's 5-18 Hz band: most of its power is within 1-20 Hz.
  const auto em = stress_noise(StressNoise::ElectrodeMotion, n, fs, 3);
  CHECK(kept(em, [&](const auto& x) { return lowpass_filter(remove_baseline(x, fs, 1.0), fs, 20.0); }) > 0.6);
  CHECK(kept(em, [&](const auto& x) { return remove_baseline(x, fs, 5.0); }) > 0.1);
}

TEST_CASE("Noise is added at the SNR asked for, against the QRS's peak-to-peak amplitude", "[ecg][noise]") {
  teledx::ecg::test::Synth o;
  o.seconds = 20;
  o.fs = 360;
  const Waveform w = teledx::ecg::test::synth_ecg(o);
  const auto& x = w.leads[1].uv;  // lead II
  const auto r = detect_qrs(w);
  REQUIRE(r.size() >= 15);
  const double pp = qrs_peak_to_peak(x, w.sample_rate_hz, r);
  float lo = 1e9f, hi = -1e9f;
  for (float v : x) lo = std::min(lo, v), hi = std::max(hi, v);
  CHECK(pp > 0.7 * (hi - lo));  // the QRS is the largest deflection of the synthetic beat
  CHECK(pp <= (hi - lo) + 1);
  const auto noise = stress_noise(StressNoise::Muscle, x.size(), w.sample_rate_hz, 11);
  for (double snr : {12.0, 0.0, -6.0}) {
    auto y = x;
    add_noise_at_snr(y, noise, pp, snr);
    std::vector<float> added(y.size());
    for (std::size_t k = 0; k < y.size(); ++k) added[k] = y[k] - x[k];
    INFO(snr << " dB");
    CHECK(10 * std::log10(pp * pp / 8 / variance(added)) == Approx(snr).margin(0.01));
  }
  CHECK(qrs_peak_to_peak(x, w.sample_rate_hz, {}) == 0);
}
