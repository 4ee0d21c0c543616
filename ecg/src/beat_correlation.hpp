#pragma once
// Correlation of beat windows with templates, shared by beat typing (beats.cpp) and its drift-aware part
// (beat_drift.cpp). Several windows are correlated side by side: beat alignment tries up to ~30 lags per beat.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "teledx/ecg/waveform.hpp"

namespace teledx::ecg::detail {

template <class T>
inline double correlation(const T* a, const T* b, std::size_t n) {
  double ma = 0, mb = 0;
  for (std::size_t k = 0; k < n; ++k) ma += a[k], mb += b[k];
  ma /= double(n), mb /= double(n);
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t k = 0; k < n; ++k) {
    const double x = a[k] - ma, y = b[k] - mb;
    sab += x * y, saa += x * x, sbb += y * y;
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : 0;
}

/// A window of a signal with its mean (its samples summed in order in double, over their count: what correlation()
/// takes), so that a window compared with many others has its mean taken once.
struct Window {
  const float* x = nullptr;
  double mean = 0;
};

/// The means of count (1-3) windows of n samples, side by side: each sum waits on its previous addition.
template <int N>
inline void means_n(const float* const* x, std::size_t n, Window* out) {
  double m[N];
  for (int j = 0; j < N; ++j) m[j] = 0;
  for (std::size_t k = 0; k < n; ++k)
#pragma GCC unroll 3
    for (int j = 0; j < N; ++j) m[j] += x[j][k];
  for (int j = 0; j < N; ++j) out[j] = {x[j], m[j] / double(n)};
}
inline void with_means(std::size_t count, const float* const* x, std::size_t n, Window* out) {
  switch (count) {
    case 3: means_n<3>(x, n, out); break;
    case 2: means_n<2>(x, n, out); break;
    default: means_n<1>(x, n, out); break;
  }
}

/// correlation() of N window pairs side by side, out[j] for (a[j], b[j]), each with exactly its arithmetic: one
/// correlation waits on its running sums from sample to sample, so the main leads' correlations with their
/// templates (beat alignment tries up to ~30 lags per beat) cost about as much together as one alone.
template <int N>
inline void correlation_n(const Window* a, const Window* b, std::size_t n, double* out) {
  double sab[N], saa[N], sbb[N];
  for (int j = 0; j < N; ++j) sab[j] = saa[j] = sbb[j] = 0;
  for (std::size_t k = 0; k < n; ++k)
#pragma GCC unroll 3
    for (int j = 0; j < N; ++j) {
      const double x = a[j].x[k] - a[j].mean, y = b[j].x[k] - b[j].mean;
      sab[j] += x * y, saa[j] += x * x, sbb[j] += y * y;
    }
  for (int j = 0; j < N; ++j) out[j] = saa[j] > 0 && sbb[j] > 0 ? sab[j] / std::sqrt(saa[j] * sbb[j]) : 0;
}

/// Mean of the correlations of count (1-3, the main leads) window pairs, summed in lead order as one by one.
inline double mean_correlation(std::size_t count, const Window* a, const Window* b, std::size_t n) {
  double c[3];
  switch (count) {
    case 3: correlation_n<3>(a, b, n, c); break;
    case 2: correlation_n<2>(a, b, n, c); break;
    default: correlation_n<1>(a, b, n, c); break;
  }
  double sum = 0;
  for (std::size_t j = 0; j < count; ++j) sum += c[j];
  return sum / double(count);
}

/// mean_correlation() of the main leads' windows of `len` samples starting at `start` with a template's windows.
inline double correlation_at(const LeadSet& s, const std::vector<std::size_t>& leads, std::int64_t start,
                             std::size_t len, const Window* templ) {
  const float* x[3];
  Window w[3];
  for (std::size_t li = 0; li < leads.size(); ++li) x[li] = &s.leads[leads[li]].uv[std::size_t(start)];
  with_means(leads.size(), x, len, w);
  return mean_correlation(leads.size(), w, templ, len);
}

}  // namespace teledx::ecg::detail
