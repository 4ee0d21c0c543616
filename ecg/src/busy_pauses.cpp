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
  // Each lead's QRS steepness: the median over the beats found (at most 300, spread over a long record) of each
  // complex's steepest rise. Taken once, when the first long gap is met.
  std::vector<double> at_qrs;
  auto qrs_steepness = [&] {
    const std::size_t stride = a.beats.size() / 300 + 1;
    for (const auto& lead : cond.leads) {
      std::vector<double> per_beat;
      if (!lead_is_flat(lead.uv))
        for (std::size_t i = 0; i < a.beats.size(); i += stride)
          per_beat.push_back(steepest(lead.uv, d, a.beats[i].r - qrs, a.beats[i].r + qrs + 1));
      at_qrs.push_back(per_beat.empty() ? 0 : median_of(per_beat));
    }
  };
  for (std::size_t i = 1; i < a.beats.size(); ++i) {
    const std::int64_t r0 = a.beats[i - 1].r, r1 = a.beats[i].r;
    if (r1 - r0 < long_gap || !rr_before(a.beats, i)) continue;
    if (at_qrs.empty()) qrs_steepness();
    // Per lead, the gap from after the first beat's T wave has begun to fall to before the next beat's P wave ends.
    std::vector<double> ratios;
    for (std::size_t l = 0; l < cond.leads.size(); ++l)
      if (at_qrs[l] > 0)
        ratios.push_back(steepest(cond.leads[l].uv, d, r0 + samples(0.30), r1 - samples(0.15)) / at_qrs[l]);
    if (ratios.empty()) continue;
    const double ratio = median_of(ratios);
    if (ratio >= kBusyPauseOfQrs && (!worst || ratio > worst->of_qrs))
      worst = BusyPause{double(r0) / fs, double(r1 - r0) / fs, ratio};
  }
  return worst;
}

}  // namespace teledx::ecg::detail
