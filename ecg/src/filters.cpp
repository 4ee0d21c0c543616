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

namespace {

/// One biquad over [first, last) stepping by `step` (+1 forward, -1 backward); transposed direct form II,
/// started in the steady state of the first sample so that no step transient appears.
inline void sweep(const Biquad& f, float* x, std::ptrdiff_t n, std::ptrdiff_t step) {
  float* p = step > 0 ? x : x + n - 1;
  const double x0 = *p;
  const double dc = (f.b0 + f.b1 + f.b2) / (1 + f.a1 + f.a2);
  const double y0 = x0 * dc;
  double s1 = y0 - f.b0 * x0, s2 = f.b2 * x0 - f.a2 * y0;
  const double b0 = f.b0, b1 = f.b1, b2 = f.b2, a1 = f.a1, a2 = f.a2;
  for (std::ptrdiff_t k = 0; k < n; ++k, p += step) {
    const double in = *p;
    const double out = b0 * in + s1;
    s1 = b1 * in - a1 * out + s2;
    s2 = b2 * in - a2 * out;
    *p = float(out);
  }
}

/// N (1-4) interleaved sweeps in the same direction, chain j running filter f[j] over x[j], each exactly the
/// arithmetic of `sweep` on its own signal: the recursions are bound by their feedback latency, not by arithmetic,
/// so N of them in one loop cost about as much as one. A 2-lead Holter record needs the pair form (it ran the leads
/// one after the other before).
template <int N>
inline void sweep_n(const Biquad* const* f, float* const* x, std::ptrdiff_t n, std::ptrdiff_t step) {
  const std::ptrdiff_t start = step > 0 ? 0 : n - 1;
  double b0[N], b1[N], b2[N], a1[N], a2[N], s1[N], s2[N];
  float* p[N];
  for (int j = 0; j < N; ++j) {
    b0[j] = f[j]->b0, b1[j] = f[j]->b1, b2[j] = f[j]->b2, a1[j] = f[j]->a1, a2[j] = f[j]->a2;
    const double dc = (b0[j] + b1[j] + b2[j]) / (1 + a1[j] + a2[j]);
    const double x0 = x[j][start], y0 = x0 * dc;
    s1[j] = y0 - b0[j] * x0, s2[j] = b2[j] * x0 - a2[j] * y0;
    p[j] = x[j];
  }
  for (std::ptrdiff_t k = 0, i = start; k < n; ++k, i += step) {
#pragma GCC unroll 4
    for (int j = 0; j < N; ++j) {
      const double in = p[j][i];
      const double out = b0[j] * in + s1[j];
      s1[j] = b1[j] * in - a1[j] * out + s2[j];
      s2[j] = b2[j] * in - a2[j] * out;
      p[j][i] = float(out);
    }
  }
}

template <int N>
inline void filtfilt_n(const Biquad* const* f, float* const* x, std::ptrdiff_t n) {
  sweep_n<N>(f, x, n, 1);
  sweep_n<N>(f, x, n, -1);
}

}  // namespace

void filtfilt_chains(std::span<const FilterChain> chains, std::size_t n) {
  if (n == 0) return;
  const auto m = std::ptrdiff_t(n);
  for (std::size_t i = 0; i < chains.size(); i += 4) {
    const Biquad* f[4];
    float* x[4];
    const std::size_t k = std::min<std::size_t>(4, chains.size() - i);
    for (std::size_t j = 0; j < k; ++j) f[j] = chains[i + j].filter, x[j] = chains[i + j].x;
    switch (k) {
      case 4: filtfilt_n<4>(f, x, m); break;
      case 3: filtfilt_n<3>(f, x, m); break;
      case 2: filtfilt_n<2>(f, x, m); break;
      default: filtfilt_n<1>(f, x, m); break;
    }
  }
}

void filtfilt_batch(const Biquad& f, const std::vector<float*>& xs, std::size_t n) {
  std::vector<FilterChain> chains;
  chains.reserve(xs.size());
  for (float* x : xs) chains.push_back({&f, x});
  filtfilt_chains(chains, n);
}

void run(const Biquad& f, std::vector<float>& x, bool reverse) {
  if (!x.empty()) sweep(f, x.data(), std::ptrdiff_t(x.size()), reverse ? -1 : 1);
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
  // Mains is stationary and common to the leads: 4 s of up to 4 leads decide it (Goertzel on more costs time for nothing).
  for (std::size_t li = 0; li < set.leads.size() && li < 4; ++li) {
    const auto& l = set.leads[li];
    std::span<const float> x(l.uv.data(), std::min<std::size_t>(l.uv.size(), std::size_t(4 * set.sample_rate_hz)));
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
  const double fs = set.sample_rate_hz;
  const std::size_t n = set.sample_count();
  if (n < 2) return mains;
  // Odd reflection of up to 1 s at both ends (as scipy's filtfilt pads), so that a recording starting off its
  // baseline does not begin with the 0.5 Hz filter's dip.
  const std::size_t pad = std::min(n - 1, std::size_t(fs));
  std::vector<std::vector<float>> padded;
  std::vector<float*> xs;
  for (auto& l : set.leads) {
    std::vector<float> p(n + 2 * pad);
    for (std::size_t k = 0; k < pad; ++k) {
      p[pad - 1 - k] = 2 * l.uv[0] - l.uv[k + 1];
      p[pad + n + k] = 2 * l.uv[n - 1] - l.uv[n - 2 - k];
    }
    std::copy(l.uv.begin(), l.uv.end(), p.begin() + std::ptrdiff_t(pad));
    padded.push_back(std::move(p));
  }
  for (auto& p : padded) xs.push_back(p.data());
  const std::size_t m = n + 2 * pad;
  detail::filtfilt_batch(Biquad::highpass(fs, 0.5, std::numbers::sqrt2 / 2), xs, m);
  if (mains > 0) {
    detail::filtfilt_batch(Biquad::notch(fs, mains, 25), xs, m);
    if (2 * mains < fs / 2 - 5) detail::filtfilt_batch(Biquad::notch(fs, 2 * mains, 25), xs, m);
  }
  for (std::size_t i = 0; i < set.leads.size(); ++i)
    std::copy(padded[i].begin() + std::ptrdiff_t(pad), padded[i].begin() + std::ptrdiff_t(pad + n), set.leads[i].uv.begin());
  return mains;
}

}  // namespace teledx::ecg
