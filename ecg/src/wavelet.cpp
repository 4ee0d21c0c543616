// Dyadic wavelet transform with the quadratic-spline wavelet (Mallat & Zhong 1992), computed by the "à trous"
// algorithm as in Martínez et al. 2004 (IEEE TBME 51:570): the derivative of the signal smoothed at scale
// 2^k. Wave boundaries are where |W| falls from a wave's modulus maximum toward the flat line around it.
#include <algorithm>
#include <cmath>

#include "filters_internal.hpp"

namespace teledx::ecg::detail {

int spline_wt_scale(double fs, int at_250hz) {
  // The scales are defined at 250 Hz (Martínez's QTDB rate); each doubling of the rate moves them up one
  // level.
  return std::clamp(at_250hz + int(std::lround(std::log2(std::max(fs, 50.0) / 250.0))), 1, 8);
}

void spline_wt(const float* x, std::size_t n, int k, std::size_t from, std::size_t to,
               std::vector<float>& out) {
  out.assign(n, 0.0f);
  to = std::min(to, n);
  if (from >= to || k < 1) return;
  // Causal stages reach back 3*2^j samples (lowpass H = (1 3 3 1)/8 with 2^j - 1 zeros between taps) and
  // 2^(k-1) for the last (highpass G = 2(1 -1)); the whole chain delays by 2^k - 1.5 samples, undone below by
  // averaging the outputs 2^k - 2 and 2^k - 1 samples later (zero phase, at the cost of half a sample's more
  // smoothing).
  const std::ptrdiff_t delay = (std::ptrdiff_t(1) << k) - 1, reach = 4 * (std::ptrdiff_t(1) << k);
  const std::ptrdiff_t a = std::max<std::ptrdiff_t>(0, std::ptrdiff_t(from) - reach);
  const std::ptrdiff_t b = std::min<std::ptrdiff_t>(std::ptrdiff_t(n), std::ptrdiff_t(to) + delay + 1);
  const std::ptrdiff_t m = b - a;
  std::vector<float> cur(x + a, x + b), next(static_cast<std::size_t>(m));
  auto at = [&](const std::vector<float>& v, std::ptrdiff_t i) {
    return v[std::size_t(std::max<std::ptrdiff_t>(0, i))];
  };
  for (int j = 0; j + 1 < k; ++j) {
    const std::ptrdiff_t d = std::ptrdiff_t(1) << j;
    for (std::ptrdiff_t i = 0; i < m; ++i)
      next[std::size_t(i)] =
          0.125f * (at(cur, i) + 3 * at(cur, i - d) + 3 * at(cur, i - 2 * d) + at(cur, i - 3 * d));
    cur.swap(next);
  }
  const std::ptrdiff_t d = std::ptrdiff_t(1) << (k - 1);
  for (std::ptrdiff_t i = 0; i < m; ++i) next[std::size_t(i)] = 2 * (at(cur, i) - at(cur, i - d));
  for (std::size_t i = from; i < to; ++i) {
    const std::ptrdiff_t c = std::ptrdiff_t(i) - a + delay;
    out[i] = 0.5f * (at(next, std::min(c, m - 1)) + at(next, std::min(c - 1, m - 1)));
  }
}

/// One lead's P wave boundaries on its wavelet transform `wt` at scale 2^4 (at 250 Hz; index k - lo), after
/// Martínez et al. 2004: the P wave's modulus maxima are the largest |W| of the lobe of its rising sign
/// before the peak and of the falling sign after it (a lobe ends where W changes sign; W may start on the
/// wrong side of zero for `skip` samples, the slow band's peak and W's zero crossing not being the same
/// sample); from each, |W| is followed outward while it exceeds 40% (onset) or half (end) of that maximum and
/// keeps falling, so the walk stops at the flat line or at the trough before a neighbouring wave, whichever
/// comes first. The onset stays within [from, peak), the end within (peak, to).
std::pair<std::int64_t, std::int64_t> p_bounds_wt(const std::vector<float>& wt, std::int64_t lo,
                                                  double polarity, std::int64_t peak, std::int64_t from,
                                                  std::int64_t to, std::int64_t lobe_before,
                                                  std::int64_t lobe_after, std::int64_t skip) {
  auto ws = [&](std::int64_t k) { return polarity * double(wt[std::size_t(k - lo)]); };
  auto mag = [&](std::int64_t k) { return std::abs(double(wt[std::size_t(k - lo)])); };
  const std::int64_t first = std::max(from, peak - lobe_before), last = std::min(to - 1, peak + lobe_after);
  std::int64_t m1 = peak, m2 = peak, k = peak;
  while (k > first && k > peak - skip && ws(k) <= 0) --k;
  for (double best = 0; k > first && ws(k) > 0; --k)
    if (ws(k) > best) best = ws(k), m1 = k;
  k = peak;
  while (k < last && k < peak + skip && ws(k) >= 0) ++k;
  for (double best = 0; k < last && ws(k) < 0; ++k)
    if (-ws(k) > best) best = -ws(k), m2 = k;
  std::int64_t a = m1, b = m2;
  const double th_on = 0.4 * mag(m1), th_off = 0.5 * mag(m2);
  while (a > from && mag(a - 1) > th_on && mag(a - 1) <= mag(a)) --a;
  while (b < to - 1 && mag(b + 1) > th_off && mag(b + 1) <= mag(b)) ++b;
  return {a, b};
}

}  // namespace teledx::ecg::detail
