// Biquad filters (RBJ designs) run forward and backward for zero phase; mains detection; signal conditioning.
#include <algorithm>
#include <cmath>
#include <numbers>

#include "teledx/ecg/processing.hpp"
#include "filters_internal.hpp"

namespace teledx::ecg {
namespace detail {

Biquad Biquad::lowpass(double fs, double fc, double q) {
  const double w = 2 * std::numbers::pi * fc / fs, c = std::cos(w), a = std::sin(w) / (2 * q);
  const double a0 = 1 + a;
  return {(1 - c) / 2 / a0, (1 - c) / a0, (1 - c) / 2 / a0, -2 * c / a0, (1 - a) / a0};
}
Biquad Biquad::highpass(double fs, double fc, double q) {
  const double w = 2 * std::numbers::pi * fc / fs, c = std::cos(w), a = std::sin(w) / (2 * q);
  const double a0 = 1 + a;
  return {(1 + c) / 2 / a0, -(1 + c) / a0, (1 + c) / 2 / a0, -2 * c / a0, (1 - a) / a0};
}
Biquad Biquad::notch(double fs, double f0, double q) {
  const double w = 2 * std::numbers::pi * f0 / fs, c = std::cos(w), a = std::sin(w) / (2 * q);
  const double a0 = 1 + a;
  return {1 / a0, -2 * c / a0, 1 / a0, -2 * c / a0, (1 - a) / a0};
}

void run(const Biquad& f, std::vector<float>& x, bool reverse) {
  if (x.empty()) return;
  const std::size_t n = x.size();
  // Start in the steady state for the first sample to avoid a step transient.
  const double x0 = reverse ? x[n - 1] : x[0];
  const double dc = (f.b0 + f.b1 + f.b2) / (1 + f.a1 + f.a2);
  double y0 = x0 * dc;
  double s1 = y0 - f.b0 * x0, s2 = f.b2 * x0 - f.a2 * y0;  // transposed direct form II state
  for (std::size_t k = 0; k < n; ++k) {
    float& v = x[reverse ? n - 1 - k : k];
    const double in = v;
    const double out = f.b0 * in + s1;
    s1 = f.b1 * in - f.a1 * out + s2;
    s2 = f.b2 * in - f.a2 * out;
    v = float(out);
  }
}

void filtfilt(const Biquad& f, std::vector<float>& x) {
  run(f, x, false);
  run(f, x, true);
}

}  // namespace detail

using detail::Biquad;

std::vector<float> remove_baseline(std::span<const float> x, double fs, double cutoff_hz) {
  std::vector<float> y(x.begin(), x.end());
  detail::filtfilt(Biquad::highpass(fs, cutoff_hz, std::numbers::sqrt2 / 2), y);
  return y;
}

std::vector<float> notch_filter(std::span<const float> x, double fs, double mains_hz) {
  std::vector<float> y(x.begin(), x.end());
  detail::filtfilt(Biquad::notch(fs, mains_hz, 25), y);
  if (2 * mains_hz < fs / 2 - 5) detail::filtfilt(Biquad::notch(fs, 2 * mains_hz, 25), y);
  return y;
}

std::vector<float> lowpass_filter(std::span<const float> x, double fs, double cutoff_hz) {
  std::vector<float> y(x.begin(), x.end());
  if (cutoff_hz < fs / 2 * 0.95) detail::filtfilt(Biquad::lowpass(fs, cutoff_hz, std::numbers::sqrt2 / 2), y);
  return y;
}

double tone_rms(std::span<const float> x, double fs, double hz) {
  if (x.empty() || hz >= fs / 2) return 0;
  const double w = 2 * std::numbers::pi * hz / fs, coeff = 2 * std::cos(w);
  double s1 = 0, s2 = 0;
  for (float v : x) {
    const double s = v + coeff * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  const double power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return std::sqrt(2 * power) / double(x.size());
}

double detect_mains(const LeadSet& set) {
  double best = 0, best_hz = 0;
  for (const auto& l : set.leads) {
    // Use at most 10 s: mains is stationary and Goertzel on a long record costs time for nothing.
    std::span<const float> x(l.uv.data(), std::min<std::size_t>(l.uv.size(), std::size_t(10 * set.sample_rate_hz)));
    for (double hz : {50.0, 60.0}) {
      const double tone = tone_rms(x, set.sample_rate_hz, hz);
      const double ref = (tone_rms(x, set.sample_rate_hz, hz - 4) + tone_rms(x, set.sample_rate_hz, hz + 4)) / 2;
      if (tone > 8 && tone > 4 * ref && tone > best) best = tone, best_hz = hz;
    }
  }
  return best_hz;
}

double condition_signals(LeadSet& set) {
  const double mains = detect_mains(set);
  for (auto& l : set.leads) {
    l.uv = remove_baseline(l.uv, set.sample_rate_hz);
    if (mains > 0) l.uv = notch_filter(l.uv, set.sample_rate_hz, mains);
  }
  return mains;
}

}  // namespace teledx::ecg
