// Pacemaker stimuli: found by their shape at 400 Hz and more, by their surroundings below, and bridged.
#include "pacing_spikes.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace teledx::ecg::detail {

/// Pacemaker spikes (one or two samples of one sign, the largest over 0.5 mV off the line joining their
/// neighbours, which stay within 0.15 mV of each other) are bridged by that line: the low-pass would spread a spike
/// over tens of milliseconds before the paced QRS, and the onset would be found there. At 400 Hz and more no
/// physiological wave turns this sharply; at lower rates an R apex can, and recorders filter spikes anyway.
/// Returns the spikes found in this lead as (first sample, width).
std::vector<std::pair<std::size_t, std::size_t>> find_pacing_spikes(const std::vector<float>& x, double fs) {
  constexpr float k_spike_uv = 500;
  std::vector<std::pair<std::size_t, std::size_t>> found;
  if (fs < 400) return found;
  for (std::size_t k = 1; k + 2 < x.size(); ++k) {
    if (std::abs(x[k] - x[k - 1]) < 0.5f * k_spike_uv) continue;  // no spike starts without a jump
    for (std::size_t width = 1; width <= 2; ++width) {
      const float a = x[k - 1], b = x[k + width];
      if (std::abs(b - a) > 0.3f * k_spike_uv) continue;
      float biggest = 0, sign = 0;
      bool same_sign = true;
      for (std::size_t j = 0; j < width; ++j) {
        const float dev = x[k + j] - (a + (b - a) * float(j + 1) / float(width + 1));
        same_sign = same_sign && (sign == 0 || dev * sign > 0);
        sign = dev;
        biggest = std::max(biggest, std::abs(dev));
      }
      if (!same_sign || biggest <= k_spike_uv) continue;
      found.emplace_back(k, width);
      k += width;
      break;
    }
  }
  return found;
}

/// A pacemaker stimulus reaches every lead at the same instant but stands over 0.5 mV only in some (LUDB 34: 9 of
/// 12; the other three kept a 0.3-0.45 mV spike that the low-pass spread 20 ms before the QRS). So a spike found in
/// any lead is bridged in all of them, each by the line joining its own neighbours. Returns the spikes as
/// (first sample, width, number of leads it was found in).
std::vector<std::tuple<std::size_t, std::size_t, std::size_t>> bridge_pacing_spikes(std::vector<std::vector<float>>& leads,
                                                                                    double fs) {
  std::vector<std::pair<std::size_t, std::size_t>> all;
  for (const auto& x : leads) {
    auto s = find_pacing_spikes(x, fs);
    all.insert(all.end(), s.begin(), s.end());
  }
  std::sort(all.begin(), all.end());
  std::vector<std::tuple<std::size_t, std::size_t, std::size_t>> merged;  // overlapping spikes of different leads as one
  for (auto [at, width] : all) {
    if (!merged.empty() && at <= std::get<0>(merged.back()) + std::get<1>(merged.back())) {
      auto& [m_at, m_width, m_leads] = merged.back();
      m_width = std::max(m_width, at + width - m_at);
      ++m_leads;
      continue;
    }
    merged.emplace_back(at, width, 1);
  }
  for (auto& x : leads)
    for (auto [at, width, n] : merged) {
      if (at == 0 || at + width >= x.size()) continue;
      const float a = x[at - 1], b = x[at + width];
      for (std::size_t j = 0; j < width; ++j) x[at + j] = a + (b - a) * float(j + 1) / float(width + 1);
    }
  return merged;
}

/// Below 400 Hz a stimulus lasts one to three samples and a narrow R apex can turn as sharply; what sets the stimulus
/// apart is what surrounds it. It rises 0.4 mV or more within 12 ms from a line that was nearly still (it moved under
/// half as much in the 12 ms before), falls back by 40% of that within 8 ms, and is three times steeper than anything
/// from 100 ms before it to 150 ms after (the paced QRS that follows is slow). QTDB's paced records (MIT-BIH 102, 104
/// resampled to 250 Hz) show it on most beats; of its sinus records' R waves none qualifies, only a few isolated
/// glitches, which are better bridged than believed. Each is bridged in its lead by the line from its foot to where
/// its fall flattens (a sample moves under 15% of the rise). Returns whether any was.
bool bridge_low_rate_spikes(std::vector<float>& x, double fs) {
  const auto n = std::int64_t(x.size());
  const std::int64_t fall_n = std::max<std::int64_t>(2, std::llround(0.008 * fs));
  const std::int64_t rise_n = std::max<std::int64_t>(3, std::llround(0.012 * fs));
  const std::int64_t before = std::llround(0.1 * fs), after = std::llround(0.15 * fs);
  auto step = [&](std::int64_t j) { return std::abs(x[std::size_t(j)] - x[std::size_t(j - 1)]); };
  bool any = false;
  for (std::int64_t k = 2 * rise_n + 1; k + fall_n + 1 < n; ++k)
    for (const float sg : {1.0f, -1.0f}) {
      auto v = [&](std::int64_t j) { return sg * x[std::size_t(j)]; };
      if (v(k) < v(k - 1) || v(k) <= v(k + 1)) continue;  // an apex of this sign
      std::int64_t foot = k - 1;
      while (foot > k - rise_n && v(foot - 1) < v(foot)) --foot;
      const float rise = v(k) - v(foot);
      float fall = 0;
      for (std::int64_t j = k + 1; j <= k + fall_n; ++j) fall = std::max(fall, v(k) - v(j));
      if (rise < 400 || fall < 0.4f * rise || std::abs(v(foot) - v(foot - rise_n)) >= 0.5f * rise) continue;
      std::int64_t end = k + 1;
      while (end < k + fall_n + 1 && std::abs(v(end + 1) - v(end)) > 0.15f * rise) ++end;
      float steep = 0, rest = 0;
      for (std::int64_t j = std::max<std::int64_t>(1, k - before); j < std::min(n, k + after); ++j) {
        float& m = j > foot && j <= end ? steep : rest;
        m = std::max(m, step(j));
      }
      if (steep < 3 * rest) continue;
      const float a = x[std::size_t(foot)], b = x[std::size_t(end)];
      for (std::int64_t j = foot + 1; j < end; ++j)
        x[std::size_t(j)] = a + (b - a) * float(j - foot) / float(end - foot);
      any = true, k = end;
      break;
    }
  return any;
}

}  // namespace teledx::ecg::detail
