// The QRS detector's per-lead features: absolute slope of the band-passed lead normalised by its typical size, its
// centred moving-window integral (120 ms), and the integral's local maxima that dominate +-100 ms. The whole record
// passes through these loops, so they are written for speed; each gives the values of the plain loops it replaced.
#include "qrs_features.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace teledx::ecg::detail {
namespace {

#if defined(__SSE2__)
/// Two adjacent floats into the low half of a register, and back: 8-byte moves that need no alignment and read the
/// floats as floats (a float* cast to double* and dereferenced, as _mm_load_sd does, is misaligned at odd indices
/// and breaks aliasing; UBSan flagged it). The same instructions (movq).
inline __m128 load_two(const float* p) { return _mm_castsi128_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))); }
inline void store_two(float* p, __m128 v) { _mm_storel_epi64(reinterpret_cast<__m128i*>(p), _mm_castps_si128(v)); }
#endif

/// Robust amplitude of a non-negative signal: median of the maxima of consecutive 2-s blocks.
double block_max_median(const std::vector<float>& e, std::size_t block) {
  std::vector<float> m;
  for (std::size_t s = 0; s + block <= e.size() || (s == 0 && !e.empty()); s += block) {
    const std::size_t end = std::min(e.size(), s + block);
    m.push_back(max_of(e.data() + s, e.data() + end));
    if (end == e.size()) break;
  }
  if (m.empty()) return 0;
  std::nth_element(m.begin(), m.begin() + std::ptrdiff_t(m.size() / 2), m.end());
  return m[m.size() / 2];
}

/// v = float(v / scale) for the n entries at e, two divisions per instruction where SSE2 is there (the same IEEE
/// double division per entry, so the same result; one division per sample was a tenth of the detector's time).
void normalise(float* e, std::size_t n, double scale) {
  std::size_t k = 0;
#if defined(__SSE2__)
  const __m128d d = _mm_set1_pd(scale);
  for (; k + 2 <= n; k += 2) {
    const __m128d q = _mm_div_pd(_mm_cvtps_pd(load_two(e + k)), d);
    store_two(e + k, _mm_cvtpd_ps(q));
  }
#endif
  for (; k < n; ++k) e[k] = float(e[k] / scale);
}

/// Absolute slope of x (n samples) at [from, to), written to out[0, to - from): |2 x[k+2] + x[k+1] - x[k-1] -
/// 2 x[k-2]| in double, rounded to float; 0 within two samples of either end. Two samples per instruction where
/// SSE2 is there: the same double operations in the same order (x + x is the exact 2.0 * x), so the same values;
/// the scalar loop was the detector's largest single cost.
void abs_slopes(const float* x, std::size_t n, std::size_t from, std::size_t to, float* out) {
  std::size_t k = from;
  for (; k < to && k < 2; ++k) out[k - from] = 0;
#if defined(__SSE2__)
  const __m128d sign = _mm_set1_pd(-0.0);
  auto pair = [&](std::size_t i) { return _mm_cvtps_pd(load_two(x + i)); };
  for (; k + 3 < n && k + 2 <= to; k += 2) {
    const __m128d a = pair(k + 2), b = pair(k + 1), c = pair(k - 1), d = pair(k - 2);
    const __m128d v = _mm_sub_pd(_mm_sub_pd(_mm_add_pd(_mm_add_pd(a, a), b), c), _mm_add_pd(d, d));
    store_two(out + (k - from), _mm_cvtpd_ps(_mm_andnot_pd(sign, v)));
  }
#endif
  for (; k < to; ++k)
    out[k - from] = k + 2 < n ? float(std::abs(2.0 * x[k + 2] + x[k + 1] - x[k - 1] - 2.0 * x[k - 2])) : 0.0f;
}

/// Whether any of m[lo, hi) exceeds m[k] (lo <= k < hi), looking outward from k: after k first, then before it.
inline bool dominated_within(const float* m, std::size_t k, std::size_t lo, std::size_t hi) {
  const float v = m[k];
  std::size_t j = k + 1;
#if defined(__SSE2__)
  const __m128 vv = _mm_set1_ps(v);
  for (; j + 4 <= hi; j += 4)
    if (_mm_movemask_ps(_mm_cmpgt_ps(_mm_loadu_ps(m + j), vv))) return true;
#endif
  for (; j < hi; ++j)
    if (m[j] > v) return true;
  j = k;
#if defined(__SSE2__)
  for (; j >= lo + 4; j -= 4)
    if (_mm_movemask_ps(_mm_cmpgt_ps(_mm_loadu_ps(m + j - 4), vv))) return true;
#endif
  while (j-- > lo)
    if (m[j] > v) return true;
  return false;
}

}  // namespace

/// Slope features of one lead whose band-passed (5-18 Hz) copy is `x` (moved in). The normalised absolute slope
/// ("energy") is computed in the integral's own buffer and integrated in place (a ring keeps the window's trailing
/// values): a separate energy array of the record's length cost a fresh, kernel-zeroed buffer per lead.
Feature lead_feature(std::vector<float> x, double fs) {
  const std::size_t n = x.size();
  Feature f;
  auto& e = f.mwi;  // the energy first, then its moving integral
  e.resize(n);
  abs_slopes(x.data(), n, 0, n, e.data());
  const double scale = block_max_median(e, std::size_t(2 * fs));
  f.scale = scale;
  // Centred moving-window integration (120 ms) of the energy normalised by the lead's scale, in one pass: energy[k]
  // is normalised as it is added (and kept in the ring for its subtraction w samples later), and mwi[k - w/2]
  // overwrites energy[k - w/2], already added. Each value is what normalising the whole array first gave.
  const std::size_t w = std::max<std::size_t>(1, std::size_t(0.12 * fs)), h = w / 2;
  std::vector<float> ring(std::bit_ceil(w + 1));
  const std::size_t mask = ring.size() - 1;
  double acc = 0;
  auto step = [&](std::size_t k) {
    if (k < n) {
      const float v = scale > 0 ? float(e[k] / scale) : e[k];
      ring[k & mask] = v;
      acc += v;
    }
    if (k >= w && k - w < n) acc -= ring[(k - w) & mask];
    if (k >= h && k - h < n) e[k - h] = float(acc / double(w));
  };
  std::size_t k = 0;
  for (; k < std::min(w, n + h); ++k) step(k);
#if defined(__SSE2__)
  // Past the first window every step adds, subtracts and writes: two steps at a time share their divisions (the
  // same IEEE divisions two to an instruction, as normalise() does).
  const __m128d by_scale = _mm_set1_pd(scale), by_w = _mm_set1_pd(double(w));
  for (; k >= w && k + 1 < n; k += 2) {
    __m128 v = load_two(e.data() + k);
    if (scale > 0) v = _mm_cvtpd_ps(_mm_div_pd(_mm_cvtps_pd(v), by_scale));
    const float v0 = _mm_cvtss_f32(v), v1 = _mm_cvtss_f32(_mm_shuffle_ps(v, v, 1));
    ring[k & mask] = v0;
    acc += v0;
    acc -= ring[(k - w) & mask];
    const double a0 = acc;
    ring[(k + 1) & mask] = v1;
    acc += v1;
    acc -= ring[(k + 1 - w) & mask];
    // From registers, not through memory: two 8-byte stores read back as one 16-byte load stall the pipeline.
    const __m128 m = _mm_cvtpd_ps(_mm_div_pd(_mm_set_pd(acc, a0), by_w));
    store_two(e.data() + k - h, m);
  }
#endif
  for (; k < n + h; ++k) step(k);
  // Candidate peaks: local maxima of the integral that dominate +-100 ms.
  const std::int64_t nms = std::int64_t(0.10 * fs), half_slope = std::int64_t(0.06 * fs);
  auto& cand = f.cand;
  std::vector<float> around;  // the energy within +-60 ms of a candidate, computed again
  const float* m = f.mwi.data();
  for (std::size_t k = 1; k + 1 < n; ++k) {
#if defined(__SSE2__)
    // Few samples of the smooth integral are local maxima: four compared at a time up to the next one (the same
    // comparisons as below, so the same peaks).
    for (; k + 5 <= n; k += 4) {
      const __m128 c = _mm_loadu_ps(m + k);
      const int up = _mm_movemask_ps(_mm_and_ps(_mm_cmpgt_ps(c, _mm_loadu_ps(m + k - 1)), _mm_cmpge_ps(c, _mm_loadu_ps(m + k + 1))));
      if (up) {
        k += std::size_t(std::countr_zero(unsigned(up)));
        break;
      }
    }
    if (k + 1 >= n) break;
#endif
    if (!(m[k] > m[k - 1] && m[k] >= m[k + 1])) continue;
    const std::size_t lo = k > std::size_t(nms) ? k - std::size_t(nms) : 0, hi = std::min(n, k + std::size_t(nms) + 1);
    // Any larger value within +-100 ms disqualifies the peak: stop at the first one (in noise most local maxima sit
    // on the flank of a larger one, found within a few samples).
    if (dominated_within(m, k, lo, hi)) continue;
    if (!cand.empty() && std::int64_t(k) - cand.back().t <= nms) continue;  // plateau duplicates
    const std::size_t slo = k > std::size_t(half_slope) ? k - std::size_t(half_slope) : 0;
    const std::size_t shi = std::min(n, k + std::size_t(half_slope) + 1);
    around.resize(shi - slo);
    abs_slopes(x.data(), n, slo, shi, around.data());
    if (scale > 0) normalise(around.data(), around.size(), scale);
    const double slope = max_of(around.data(), around.data() + around.size());
    cand.push_back({std::int64_t(k), f.mwi[k], slope});
  }
  f.bp.push_back(std::move(x));
  const std::size_t span = std::size_t(3 * fs);
  std::vector<double> maxima;
  for (std::size_t s = 0; span > 0 && s + span <= n; s += span)
    maxima.push_back(max_of(f.mwi.data() + s, f.mwi.data() + s + span));
  if (!maxima.empty()) {
    std::nth_element(maxima.begin(), maxima.begin() + std::ptrdiff_t(maxima.size() / 2), maxima.end());
    f.typical = maxima[maxima.size() / 2];
  }
  return f;
}

}  // namespace teledx::ecg::detail
