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
  const std::int64_t n = std::int64_t(t.s.sample_count()), block = std::int64_t(20 * fs), reach = std::int64_t(30 * fs);
  const std::size_t nl = t.leads.size(), len = std::size_t(t.len);
  std::vector<std::vector<float>> local(nl, std::vector<float>(len, 0));
  std::vector<double> v;
  std::vector<float> column;
  std::vector<std::size_t> steady;
  for (std::size_t i = 0; i < t.at.size(); ++i)
    if (t.steady[i]) steady.push_back(i);
  std::size_t first = 0, last = 0;  // the block's beats
  for (std::int64_t b0 = 0; b0 < n; b0 += block) {
    while (last < t.at.size() && t.at[last] < b0 + block) ++last;
    // Only beats that would be typed otherwise than normal ask (most beats of most records: none in the block).
    std::vector<std::size_t> ask;
    for (std::size_t i = first; i < last; ++i)
      if (!premature[i] && corr[i] < 0.8 && t.at[i] - t.pre >= 0 && t.at[i] - t.pre + t.len < n) ask.push_back(i);
    first = last;
    if (ask.empty()) continue;
    // The steady beats within reach of the block's middle, at most 25 of them spread evenly: a median of 25 is as
    // steady a template, and a paced record asks in every block.
    const std::int64_t mid = b0 + block / 2;
    const auto before = [&](std::size_t i, std::int64_t x) { return t.at[i] < x; };
    const auto after = [&](std::int64_t x, std::size_t i) { return x < t.at[i]; };
    const auto from = std::lower_bound(steady.begin(), steady.end(), mid - reach, before);
    const auto to = std::upper_bound(from, steady.end(), mid + reach, after);
    const auto count = std::size_t(to - from);
    if (count < 8) continue;
    const std::size_t take = std::min<std::size_t>(count, 25);
    std::vector<std::size_t> near;
    for (std::size_t j = 0; j < take; ++j) near.push_back(*(from + std::ptrdiff_t(j * count / take)));
    for (std::size_t li = 0; li < nl; ++li)
      for (std::size_t k = 0; k < len; ++k) {
        column.clear();
        for (auto i : near) column.push_back(t.s.leads[t.leads[li]].uv[std::size_t(t.at[i] - t.pre) + k]);
        std::nth_element(column.begin(), column.begin() + std::ptrdiff_t(take / 2), column.end());
        local[li][k] = column[take / 2];
      }
    v.clear();
    for (auto i : near) v.push_back(t.widths[i]);
    const double width = median_of(v);
    const float* lx[3];
    Window lw[3];
    for (std::size_t li = 0; li < nl; ++li) lx[li] = local[li].data();
    with_means(nl, lx, len, lw);
    for (auto i : ask) {
      const float* x[3];
      Window w[3];
      for (std::size_t li = 0; li < nl; ++li) x[li] = &t.s.leads[t.leads[li]].uv[std::size_t(t.at[i] - t.pre)];
      with_means(nl, x, len, w);
      const double c = mean_correlation(nl, w, lw, len);
      if (c > corr[i]) corr[i] = c, typical_width[i] = width;
    }
  }
}

}  // namespace teledx::ecg::detail
