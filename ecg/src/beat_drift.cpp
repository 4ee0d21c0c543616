// Beat typing over long records: the typical RR about each beat and local dominant templates (beat_drift.hpp).
#include "beat_drift.hpp"

#include <algorithm>

#include "analysis_internal.hpp"
#include "beat_correlation.hpp"

namespace teledx::ecg::detail {

std::vector<double> local_typical_rr(const std::vector<std::int64_t>& at, const std::vector<char>& dominant,
                                     double fallback) {
  constexpr std::size_t half = 8;
  std::vector<double> typical(at.size(), fallback);
  std::vector<std::size_t> ends;  // the beat that ends each dominant-to-dominant interval
  std::vector<double> rr;
  for (std::size_t j = 1; j < at.size(); ++j)
    if (dominant[j] && dominant[j - 1]) ends.push_back(j), rr.push_back(double(at[j] - at[j - 1]));
  if (rr.size() < 2 * half) return typical;
  std::size_t first = 0;  // of the 2 * half intervals in use, centred on the beat as far as the record allows
  for (std::size_t i = 0; i < at.size(); ++i) {
    while (first + 2 * half < rr.size() && ends[first + half] < i) ++first;
    typical[i] = median_of({rr.begin() + std::ptrdiff_t(first), rr.begin() + std::ptrdiff_t(first + 2 * half)});
  }
  return typical;
}

void match_local_templates(const LocalTemplates& t, const std::vector<char>& premature, std::vector<double>& corr,
                           std::vector<double>& typical_width) {
  const double fs = t.s.sample_rate_hz;
  const std::int64_t n = std::int64_t(t.s.sample_count()), block = std::int64_t(5 * fs), reach = std::int64_t(30 * fs);
  constexpr std::size_t kSide = 8;  // steady beats taken on each side of a block's middle
  const std::size_t nl = t.leads.size(), len = std::size_t(t.len);
  std::vector<std::size_t> steady;
  for (std::size_t i = 0; i < t.at.size(); ++i)
    if (t.steady[i]) steady.push_back(i);
  std::vector<std::vector<float>> local(nl, std::vector<float>(len, 0));
  Window lw[3];
  double width = 0;
  std::int64_t have = -1;  // the block whose template `local` holds
  bool usable = false;     // whether that block had enough steady beats near it
  std::vector<std::size_t> near;
  std::vector<float> column;
  std::vector<double> widths;
  for (std::size_t i = 0; i < t.at.size(); ++i) {
    // Only beats that would be typed otherwise than normal ask (most beats of most records).
    if (premature[i] || corr[i] >= 0.8 || t.at[i] - t.pre < 0 || t.at[i] - t.pre + t.len >= n) continue;
    if (const std::int64_t b = t.at[i] / block; b != have) {
      have = b;
      const std::int64_t mid = b * block + block / 2;
      const auto pos = std::lower_bound(steady.begin(), steady.end(), mid,
                                        [&](std::size_t j, std::int64_t x) { return t.at[j] < x; });
      near.clear();
      for (auto it = pos; it != steady.begin() && near.size() < kSide;) {
        if (mid - t.at[*--it] > reach) break;
        near.push_back(*it);
      }
      for (auto it = pos; it != steady.end() && near.size() < 2 * kSide && t.at[*it] - mid <= reach; ++it)
        near.push_back(*it);
      usable = near.size() >= kSide;
      if (!usable) continue;
      for (std::size_t li = 0; li < nl; ++li)
        for (std::size_t k = 0; k < len; ++k) {
          column.clear();
          for (auto j : near) column.push_back(t.s.leads[t.leads[li]].uv[std::size_t(t.at[j] - t.pre) + k]);
          std::nth_element(column.begin(), column.begin() + std::ptrdiff_t(column.size() / 2), column.end());
          local[li][k] = column[column.size() / 2];
        }
      widths.clear();
      for (auto j : near) widths.push_back(t.widths[j]);
      width = median_of(widths);
      const float* lx[3];
      for (std::size_t li = 0; li < nl; ++li) lx[li] = local[li].data();
      with_means(nl, lx, len, lw);
    }
    if (!usable) continue;
    const double c = correlation_at(t.s, t.leads, t.at[i] - t.pre, len, lw);
    if (c > corr[i]) corr[i] = c, typical_width[i] = width;
  }
}

}  // namespace teledx::ecg::detail
