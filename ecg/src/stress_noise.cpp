// Synthetic noise for stress-testing the analysis (`teledx-ecg eval noise`): the kinds of the MIT-BIH Noise Stress
// Test Database, made from seeded Gaussian noise shaped by the module's own filters, added at a stated SNR.
#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <numbers>
#include <random>

#include "filters_internal.hpp"
#include "teledx/ecg/evaluation.hpp"
#include "teledx/ecg/processing.hpp"

namespace teledx::ecg {
namespace {

using detail::Biquad;

constexpr double kQ = std::numbers::sqrt2 / 2;

std::vector<float> gaussian(std::size_t n, std::mt19937& rng) {
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> x(n);
  for (auto& v : x) v = d(rng);
  return x;
}

/// Zero mean and unit variance (a constant or empty signal is left as it is).
void normalise(std::vector<float>& x) {
  if (x.empty()) return;
  double mean = 0, ss = 0;
  for (float v : x) mean += v;
  mean /= double(x.size());
  for (float v : x) ss += (v - mean) * (v - mean);
  const double sd = std::sqrt(ss / double(x.size()));
  if (sd <= 0) return;
  for (auto& v : x) v = float((v - mean) / sd);
}

/// Gaussian noise through `filters` (each run forward and back, in order), then zero mean and unit variance.
std::vector<float> filtered_gaussian(std::size_t n, std::mt19937& rng, std::initializer_list<Biquad> filters) {
  auto x = gaussian(n, rng);
  for (const Biquad& f : filters) detail::filtfilt(f, x);
  normalise(x);
  return x;
}

/// A slowly varying level in [0, 1]: Gaussian noise low-passed at `hz`, its magnitude scaled to its 99th percentile.
std::vector<float> envelope(std::size_t n, double fs, double hz, std::mt19937& rng) {
  auto e = gaussian(n, rng);
  detail::filtfilt(Biquad::lowpass(fs, hz, kQ), e);
  detail::filtfilt(Biquad::lowpass(fs, hz, kQ), e);
  for (auto& v : e) v = std::abs(v);
  std::vector<float> sorted(e);
  const auto at = sorted.begin() + std::ptrdiff_t(sorted.size() * 99 / 100);
  std::nth_element(sorted.begin(), at, sorted.end());
  const float top = std::max(*at, 1e-6f);
  for (auto& v : e) v = std::min(1.0f, v / top);
  return e;
}

/// Respiration (a drifting 0.15-0.4 Hz sine) over a random drift under 0.3 Hz.
std::vector<float> baseline_wander(std::size_t n, double fs, std::mt19937& rng) {
  auto x = filtered_gaussian(n, rng, {Biquad::lowpass(fs, 0.3, kQ), Biquad::lowpass(fs, 0.3, kQ)});
  std::uniform_real_distribution<double> u(0, 1);
  const double f0 = 0.15 + 0.25 * u(rng), phase = 2 * std::numbers::pi * u(rng);
  double ph = phase;
  for (std::size_t k = 0; k < n; ++k) {
    // The breathing rate wanders by +-20% over about a minute.
    const double f = f0 * (1 + 0.2 * std::sin(2 * std::numbers::pi * double(k) / fs / 60.0));
    ph += 2 * std::numbers::pi * f / fs;
    x[k] += float(1.2 * std::sin(ph));
  }
  return x;
}

/// Broadband 10-150 Hz noise whose strength comes and goes (a tensed arm, a shivering patient).
std::vector<float> muscle(std::size_t n, double fs, std::mt19937& rng) {
  auto x = gaussian(n, rng);
  detail::filtfilt(Biquad::highpass(fs, 10, kQ), x);
  if (150 < fs * 0.45) detail::filtfilt(Biquad::lowpass(fs, 150, kQ), x);
  const auto e = envelope(n, fs, 0.3, rng);
  for (std::size_t k = 0; k < n; ++k) x[k] *= 0.25f + e[k];
  return x;
}

/// Electrode motion: transients (Gaussian bumps and their derivatives, 15-80 ms wide, two a second on average, of
/// lognormal size) over a 1-10 Hz background: steps of the skin-electrode potential that look like QRS complexes.
std::vector<float> electrode_motion(std::size_t n, double fs, std::mt19937& rng) {
  auto x = filtered_gaussian(n, rng, {Biquad::highpass(fs, 1, kQ), Biquad::lowpass(fs, 10, kQ)});
  for (auto& v : x) v *= 0.5f;
  std::exponential_distribution<double> gap(2.0);  // per second
  std::uniform_real_distribution<double> width(0.015, 0.08), u(0, 1);
  std::lognormal_distribution<double> size(0.0, 0.6);
  for (double t = gap(rng); t * fs < double(n); t += gap(rng)) {
    const double sigma = width(rng) * fs, amp = size(rng) * (u(rng) < 0.5 ? -1 : 1) * 3.0;
    const bool derivative = u(rng) < 0.5;
    const double c = t * fs;
    const auto lo = std::size_t(std::max(0.0, c - 4 * sigma)), hi = std::min(n, std::size_t(c + 4 * sigma) + 1);
    for (std::size_t k = lo; k < hi; ++k) {
      const double z = (double(k) - c) / sigma;
      x[k] += float(amp * (derivative ? -z * std::exp(0.5 - z * z / 2) : std::exp(-z * z / 2)));
    }
  }
  return x;
}

}  // namespace

const char* stress_noise_name(StressNoise kind) {
  switch (kind) {
    case StressNoise::BaselineWander: return "bw";
    case StressNoise::Muscle: return "ma";
    case StressNoise::ElectrodeMotion: return "em";
  }
  return "?";
}

std::vector<float> stress_noise(StressNoise kind, std::size_t n, double fs, std::uint32_t seed) {
  if (n == 0 || fs <= 0) return {};
  std::mt19937 rng(seed);
  std::vector<float> x = kind == StressNoise::BaselineWander ? baseline_wander(n, fs, rng)
                         : kind == StressNoise::Muscle        ? muscle(n, fs, rng)
                                                              : electrode_motion(n, fs, rng);
  normalise(x);
  return x;
}

double qrs_peak_to_peak(std::span<const float> x, double fs, const std::vector<std::int64_t>& beats) {
  if (x.empty() || beats.empty()) return 0;
  const auto y = remove_baseline(x, fs, 0.5);
  const auto half = std::int64_t(0.05 * fs), n = std::int64_t(y.size());
  std::vector<double> pp;
  for (auto b : beats) {
    const auto lo = std::max<std::int64_t>(0, b - half), hi = std::min(n, b + half + 1);
    if (lo >= hi) continue;
    const auto [mn, mx] = std::minmax_element(y.begin() + lo, y.begin() + hi);
    pp.push_back(double(*mx - *mn));
  }
  if (pp.empty()) return 0;
  std::nth_element(pp.begin(), pp.begin() + std::ptrdiff_t(pp.size() / 2), pp.end());
  return pp[pp.size() / 2];
}

void add_noise_at_snr(std::vector<float>& x, const std::vector<float>& unit_noise, double qrs_pp, double snr_db) {
  const double signal_power = qrs_pp * qrs_pp / 8;
  const double gain = std::sqrt(signal_power / std::pow(10.0, snr_db / 10));
  const std::size_t n = std::min(x.size(), unit_noise.size());
  for (std::size_t k = 0; k < n; ++k) x[k] += float(gain * unit_noise[k]);
}

void add_limb_tremor(Waveform& w, double hz, double uv, LimbElectrodes moving, double phase) {
  const double two_pi = 2 * std::numbers::pi;
  for (std::size_t k = 0; k < w.sample_count(); ++k) {
    const double t = double(k) / w.sample_rate_hz, size = uv * (0.6 + 0.4 * std::sin(two_pi * 0.3 * t + phase));
    const double la = moving.left_arm ? size * std::sin(two_pi * hz * t + phase) : 0;
    const double ra = moving.right_arm ? size / 2 * std::sin(two_pi * hz * 1.03 * t + 2 * phase) : 0;
    const double ll = moving.left_leg ? size * std::sin(two_pi * hz * 0.97 * t + 3 * phase) : 0;
    for (auto& l : w.leads) {
      double v = 0;
      switch (l.lead) {
        case Lead::I: v = la - ra; break;
        case Lead::II: v = ll - ra; break;
        case Lead::III: v = ll - la; break;
        case Lead::aVR: v = ra - (la + ll) / 2; break;
        case Lead::aVL: v = la - (ra + ll) / 2; break;
        case Lead::aVF: v = ll - (ra + la) / 2; break;
        case Lead::V1: case Lead::V2: case Lead::V3: case Lead::V4: case Lead::V5: case Lead::V6:
          v = -(la + ra + ll) / 3;
          break;
        default: continue;
      }
      l.uv[k] += float(v);
    }
  }
}

}  // namespace teledx::ecg
