// The median beat: per lead, the sample-by-sample median of the dominant beats aligned on their R peaks.
#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "analysis_internal.hpp"

namespace teledx::ecg::detail {
namespace {

/// Beats enough for a stable median, spread over the record.
constexpr std::size_t kMaxBeats = 60;

/// The median of values already sorted (the middle one, or the mean of the two middle ones).
float middle_of_sorted(const float* v, std::size_t n) {
  const std::size_t mid = n / 2;
  return n % 2 ? v[mid] : (v[mid] + v[mid - 1]) / 2;
}

/// The median of n values (reordered): nth_element's middle one, or its mean with the largest below it.
float median_in_place(float* v, std::size_t n) {
  const std::size_t mid = n / 2;
  std::nth_element(v, v + mid, v + n);
  if (n % 2) return v[mid];
  return (v[mid] + *std::max_element(v, v + mid)) / 2;
}

#if defined(__SSE2__)
/// Batcher's odd-even merge sort for `width` wires (a power of two): the compare-exchanges, in order.
std::vector<std::pair<std::uint8_t, std::uint8_t>> odd_even_merge_network(std::size_t width) {
  std::vector<std::pair<std::uint8_t, std::uint8_t>> out;
  for (std::size_t p = 1; p < width; p <<= 1)
    for (std::size_t k = p; k >= 1; k >>= 1)
      for (std::size_t j = k % p; j + k < width; j += 2 * k)
        for (std::size_t i = 0; i < std::min(k, width - j - k); ++i)
          if ((i + j) / (2 * p) == (i + j + k) / (2 * p)) out.emplace_back(std::uint8_t(i + j), std::uint8_t(i + j + k));
  return out;
}

/// The widest set of beats the network sorts; more go through nth_element.
constexpr std::size_t kNetworkWidth = 32;

/// Medians of four consecutive samples at once: each wire holds one beat's four samples, and a sorting network of
/// min/max (no branches) orders every lane. A 10-s ECG has about a dozen beats, whose order at a sample is close to
/// random in a flat stretch: sorting them one sample at a time mispredicted most comparisons and took a sixth of a
/// 12-lead analysis. Missing wires are +infinity, so the beats sort first; min and max pick values without arithmetic,
/// so the medians are exactly those of the sort.
void medians_by_network(const float* const* starts, std::size_t beats, std::size_t length, float* out) {
  static const auto net16 = odd_even_merge_network(16), net32 = odd_even_merge_network(kNetworkWidth);
  const auto& net = beats <= 16 ? net16 : net32;
  __m128 w[kNetworkWidth];
  const __m128 inf = _mm_set1_ps(std::numeric_limits<float>::infinity()), half = _mm_set1_ps(0.5f);
  const std::size_t mid = beats / 2;
  std::size_t k = 0;
  for (; k + 4 <= length; k += 4) {
    for (std::size_t b = 0; b < beats; ++b) w[b] = _mm_loadu_ps(starts[b] + k);
    for (std::size_t b = beats; b < (beats <= 16 ? 16 : kNetworkWidth); ++b) w[b] = inf;
    for (auto [i, j] : net) {
      const __m128 lo = _mm_min_ps(w[i], w[j]);
      w[j] = _mm_max_ps(w[i], w[j]);
      w[i] = lo;
    }
    // (a + b) * 0.5 is (a + b) / 2 exactly: halving is exact in binary floating point.
    const __m128 m = beats % 2 ? w[mid] : _mm_mul_ps(_mm_add_ps(w[mid], w[mid - 1]), half);
    _mm_storeu_ps(out + k, m);
  }
  std::array<float, kNetworkWidth> v;
  for (; k < length; ++k) {
    for (std::size_t b = 0; b < beats; ++b) v[b] = starts[b][k];
    std::sort(v.begin(), v.begin() + std::ptrdiff_t(beats));
    out[k] = middle_of_sorted(v.data(), beats);
  }
}
#endif

}  // namespace

LeadSet median_beat(const LeadSet& s, const std::vector<Beat>& beats, std::int64_t& r_index) {
  LeadSet m;
  m.sample_rate_hz = s.sample_rate_hz;
  const double fs = s.sample_rate_hz;
  const std::int64_t n = std::int64_t(s.sample_count());
  const std::int64_t pre = std::int64_t(0.5 * fs), post = std::int64_t(0.8 * fs);
  r_index = pre;
  std::vector<std::int64_t> use;
  for (const auto& b : beats)
    if (b.type == BeatType::Normal && b.r - pre >= 0 && b.r + post < n) use.push_back(b.r);
  if (use.size() < 2)
    for (const auto& b : beats)
      if (b.r - pre >= 0 && b.r + post < n && b.type != BeatType::Unknown) use.push_back(b.r);
  if (use.empty()) return m;
  if (use.size() > kMaxBeats) {
    std::vector<std::int64_t> thin;
    for (std::size_t i = 0; i < use.size(); i += use.size() / kMaxBeats + 1) thin.push_back(use[i]);
    use = std::move(thin);
  }
  const std::size_t length = std::size_t(pre + post);
  std::vector<const float*> starts(use.size());
  std::vector<float> v(use.size());
  for (const auto& lead : s.leads) {
    LeadSignal out{lead.lead, std::vector<float>(length), lead.label};
    for (std::size_t i = 0; i < use.size(); ++i) starts[i] = lead.uv.data() + (use[i] - pre);
#if defined(__SSE2__)
    if (use.size() <= kNetworkWidth) {
      medians_by_network(starts.data(), use.size(), length, out.uv.data());
      m.leads.push_back(std::move(out));
      continue;
    }
#endif
    for (std::size_t k = 0; k < length; ++k) {
      for (std::size_t i = 0; i < use.size(); ++i) v[i] = starts[i][k];
      out.uv[k] = median_in_place(v.data(), v.size());
    }
    m.leads.push_back(std::move(out));
  }
  return m;
}

std::vector<float> qrs_t_cancelled(const LeadSignal& lead, const LeadSignal& median, const Analysis& a,
                                   double before_s, double after_s, std::size_t length) {
  std::vector<float> r(lead.uv.begin(), lead.uv.begin() + std::ptrdiff_t(std::min(length, lead.uv.size())));
  const double fs = a.sample_rate_hz;
  const auto before = std::int64_t(before_s * fs), after = std::int64_t(after_s * fs);
  const auto n = std::int64_t(r.size()), mn = std::int64_t(median.uv.size());
  for (std::size_t i = 0; i < a.beats.size() && a.beats[i].r - before < n; ++i) {
    const std::int64_t br = a.beats[i].r;
    const std::int64_t end = i + 1 < a.beats.size() ? std::min(after, a.beats[i + 1].r - before - br) : after;
    for (std::int64_t k = std::max(-before, -br); k < end && br + k < n; ++k)
      if (const std::int64_t mk = a.median_r + k; mk >= 0 && mk < mn) r[std::size_t(br + k)] -= median.uv[std::size_t(mk)];
  }
  return r;
}

}  // namespace teledx::ecg::detail
