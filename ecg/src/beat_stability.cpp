// How much the tracing changes from beat to beat between the QRS complexes: electrode motion and poor contact,
// which the 40 Hz noise measure misses (their power lies at 1-10 Hz, in the ECG's own band), show as beats that do
// not repeat outside their QRS.
#include <algorithm>
#include <cmath>
#include <utility>

#include "analysis_internal.hpp"

namespace teledx::ecg::detail {

std::vector<std::optional<double>> beat_to_beat_variation(const Analysis& a, const LeadSet& cond) {
  const double fs = a.sample_rate_hz;
  std::vector<std::optional<double>> out(cond.leads.size());
  if (a.median.leads.empty() || fs <= 0) return out;
  auto samples = [fs](double s) { return std::int64_t(std::lround(s * fs)); };
  // The beats the median beat is made of (normal ones; with fewer than four, all but the unclassifiable, as noise
  // leaves few beats normal) with a neighbour on each side, at most 300 of them spread over a long record (a 30-min
  // Holter's 2,000 would cost milliseconds for the same median).
  std::vector<std::size_t> use;
  for (std::size_t i = 1; i + 1 < a.beats.size(); ++i)
    if (a.beats[i].type == BeatType::Normal) use.push_back(i);
  if (use.size() < 4) {
    use.clear();
    for (std::size_t i = 1; i + 1 < a.beats.size(); ++i)
      if (a.beats[i].type != BeatType::Unknown) use.push_back(i);
  }
  if (use.size() < 4) return out;
  if (use.size() > 300) {
    std::vector<std::size_t> thin;
    for (std::size_t j = 0; j < use.size(); j += use.size() / 300 + 1) thin.push_back(use[j]);
    use = std::move(thin);
  }
  const std::int64_t qrs_before = samples(0.08), qrs_after = samples(0.10);
  for (std::size_t l = 0; l < cond.leads.size() && l < a.median.leads.size(); ++l) {
    const auto& x = cond.leads[l].uv;
    const auto& m = a.median.leads[l].uv;
    const auto mn = std::int64_t(m.size());
    // The lead's QRS amplitude on the median beat; a lead without one (off, or nearly flat) says nothing here.
    float lo = 1e9f, hi = -1e9f;
    for (std::int64_t k = std::max<std::int64_t>(0, a.median_r - samples(0.06)); k <= std::min(mn - 1, a.median_r + samples(0.06)); ++k)
      lo = std::min(lo, m[std::size_t(k)]), hi = std::max(hi, m[std::size_t(k)]);
    if (hi - lo < 150) continue;
    std::vector<double> rms;
    for (std::size_t i : use) {
      const auto& b = a.beats[i];
      // From the middle of the interval before (at most 300 ms) to 70% of the interval after (at most 500 ms): this
      // beat's P, ST segment and T wave, never the neighbours' QRS.
      const std::int64_t from = -std::min(samples(0.3), (b.r - a.beats[i - 1].r) / 2);
      const std::int64_t to = std::min(samples(0.5), (a.beats[i + 1].r - b.r) * 7 / 10);
      double ss = 0;
      std::int64_t n = 0;
      // The two stretches either side of the QRS, clipped to the record and to the median beat.
      const std::int64_t first = std::max({from, -b.r, -a.median_r});
      const std::int64_t last = std::min({to, std::int64_t(x.size()) - b.r, mn - a.median_r});
      for (auto [k0, k1] : {std::pair{first, std::min(last, -qrs_before + 1)}, std::pair{std::max(first, qrs_after), last}})
        for (std::int64_t k = k0; k < k1; ++k) {
          const double d = double(x[std::size_t(b.r + k)]) - double(m[std::size_t(a.median_r + k)]);
          ss += d * d, ++n;
        }
      if (n > 0) rms.push_back(std::sqrt(ss / double(n)));
    }
    if (rms.empty()) continue;
    out[l] = median_of(rms) / double(hi - lo);
  }
  return out;
}

}  // namespace teledx::ecg::detail
