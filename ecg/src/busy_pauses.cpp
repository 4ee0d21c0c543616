// Long gaps between the beats found that are not quiet. Noise in the ECG's own band (electrode motion) can hide QRS
// complexes from the detector; the rate it then gives is slow and the gaps long, and with fewer than four beats
// found the beat-to-beat check (beat_stability.cpp) has nothing to compare. A real pause or bradycardia is quiet
// between its beats but for P and T waves, which rise and fall several times more slowly than a QRS.
#include <algorithm>
#include <cmath>

#include "analysis_internal.hpp"

namespace teledx::ecg::detail {
namespace {

/// |x[k + d] - x[k - d]|: the rise over 2d, d = 10 ms. It peaks at 25 Hz and is blind to 50 Hz, so it weighs a
/// QRS's upstroke against a T wave's far more than the amplitude would, and mains residue not at all.
double steepest(const std::vector<float>& x, std::int64_t d, std::int64_t from, std::int64_t to) {
  from = std::max(from, d);
  to = std::min(to, std::int64_t(x.size()) - d);
  double best = 0;
  for (std::int64_t k = from; k < to; ++k)
    best = std::max(best, double(std::abs(x[std::size_t(k + d)] - x[std::size_t(k - d)])));
  return best;
}

}  // namespace

std::optional<BusyPause> busy_pause(const Analysis& a, const LeadSet& cond) {
  const double fs = a.sample_rate_hz;
  if (fs <= 0 || a.beats.size() < 2 || cond.leads.empty()) return std::nullopt;
  auto samples = [fs](double s) { return std::int64_t(std::lround(s * fs)); };
  const std::int64_t d = std::max<std::int64_t>(1, samples(0.010)), qrs = samples(0.06);
  const std::int64_t long_gap = samples(kBusyPauseMinGapS);
  std::optional<BusyPause> worst;
  for (std::size_t i = 1; i < a.beats.size(); ++i) {
    const std::int64_t r0 = a.beats[i - 1].r, r1 = a.beats[i].r;
    if (r1 - r0 < long_gap) continue;
    std::vector<double> ratios;
    for (std::size_t l = 0; l < cond.leads.size(); ++l) {
      const auto& x = cond.leads[l].uv;
      if (lead_is_flat(x)) continue;
      // The lead's QRS steepness: the median over the beats found of each complex's steepest rise.
      std::vector<double> per_beat;
      for (const auto& b : a.beats) per_beat.push_back(steepest(x, d, b.r - qrs, b.r + qrs + 1));
      const double at_qrs = median_of(per_beat);
      if (at_qrs <= 0) continue;
      // The gap after the first beat's T wave has begun to fall and before the next beat's P wave's end.
      ratios.push_back(steepest(x, d, r0 + samples(0.30), r1 - samples(0.15)) / at_qrs);
    }
    if (ratios.empty()) continue;
    const double ratio = median_of(ratios);
    if (ratio >= kBusyPauseOfQrs && (!worst || ratio > worst->of_qrs))
      worst = BusyPause{double(r0) / fs, double(r1 - r0) / fs, ratio};
  }
  return worst;
}

}  // namespace teledx::ecg::detail
