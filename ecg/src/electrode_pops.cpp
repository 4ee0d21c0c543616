// Electrode pops: a loose electrode's contact changes at a stroke, its leads step by a few mV and creep back
// over a second or two. The 0.5 Hz high-pass turns such a step into a sharp edge the QRS detector takes for a
// beat, and the limb electrodes' pops reach every lead at once (I and II in full, the chest leads a third
// through Wilson's terminal), so no vote between leads tells them from beats. They are taken out of the raw
// leads first.
#include <algorithm>
#include <cmath>

#include "filters_internal.hpp"

namespace teledx::ecg::detail {

std::size_t remove_electrode_steps(std::vector<float>& x, double fs) {
  // A step: within `edge` (4 ms) the lead moves by kMinStepUv or more; the level over the 10 ms after the
  // edge is off the level over the 10 ms before it by most of that move; the lead stays off that far, on
  // average over the next 60 ms, as against the 60 ms before; and the step makes most of the lead's swing
  // within 60 ms of it. A QRS complex moves as fast but comes back within 60 ms, and its R wave rises over 20
  // ms or more, a small part of its swing in 4 ms; a pacemaker's stimulus comes back at once.
  constexpr double kMinStepUv = 400, kMost = 0.7;
  const auto n = std::ptrdiff_t(x.size());
  const std::ptrdiff_t edge = std::max<std::ptrdiff_t>(1, std::llround(0.004 * fs));
  const std::ptrdiff_t lvl = std::max<std::ptrdiff_t>(2, std::llround(0.010 * fs));
  const std::ptrdiff_t ctx = std::max<std::ptrdiff_t>(lvl + 1, std::llround(0.060 * fs));
  if (n < 2 * ctx + edge + 2) return 0;
  // Summed only where the lead moves 400 uV in 4 ms (a few samples per beat): no pass over the whole lead.
  auto mean = [&](std::ptrdiff_t a, std::ptrdiff_t b) {
    double v = 0;
    for (std::ptrdiff_t k = a; k < b; ++k) v += x[std::size_t(k)];
    return v / double(b - a);
  };
  const std::ptrdiff_t long_ctx = std::llround(1.0 * fs);
  std::vector<float> scratch;
  // Median of x[a, b) over every fourth sample: a level, not an exact median, and four times cheaper.
  auto median_of = [&](std::ptrdiff_t a, std::ptrdiff_t b) {
    scratch.clear();
    for (std::ptrdiff_t k = a; k < b; k += 4) scratch.push_back(x[std::size_t(k)]);
    std::nth_element(scratch.begin(), scratch.begin() + std::ptrdiff_t(scratch.size() / 2), scratch.end());
    return double(scratch[scratch.size() / 2]);
  };
  struct Step {
    std::ptrdiff_t from, to;
    double before, height;
  };
  std::vector<Step> steps;
  for (std::ptrdiff_t k = ctx; k + edge + ctx < n; ++k) {
    const double jump = double(x[std::size_t(k + edge - 1)]) - double(x[std::size_t(k - 1)]);
    if (std::abs(jump) < kMinStepUv) continue;
    const double before = mean(k - lvl, k), height = mean(k + edge, k + edge + lvl) - before;
    if (height * jump <= 0 || std::abs(height) < kMost * std::abs(jump)) continue;
    const double held = mean(k + edge, k + edge + ctx) - mean(k - ctx, k);
    if (held * height <= 0 || std::abs(held) < kMost * std::abs(height)) continue;
    // And it holds for the next second: the median level there (the baseline between beats makes most of any
    // second of an ECG) is off the median of the second before by half the step or more. A wide QRS (a PVC, a
    // paced or blocked beat) also holds for 60 ms, and an infarct's raised ST segment for 300 ms; neither
    // moves the baseline between the beats. Within a second of either end the shorter side is taken as it is:
    // the level before a step at 0.3 s is still the median of those 0.3 s. A pop there had been left in and
    // read as a beat, "PVCs" on 9-20 of LUDB's 51 records with one limb pop within 0.3 s of an end. Before the
    // end, though, a short side may be one QRS complex cut off by the end of the recording (MIT-BIH 107's paced
    // beats, 2 mV and steep): there the step must leave 200 ms, more than a QRS lasts, and the lead must stay
    // off by half the step through nine tenths of them, where a QRS comes back.
    const std::ptrdiff_t span_before = std::min(long_ctx, k - lvl), span_after = std::min(long_ctx, n - (k + edge));
    if (std::max(span_before, span_after) < long_ctx || std::min(span_before, span_after) < ctx) continue;
    const double level_before = median_of(k - lvl - span_before, k - lvl);
    const double shifted = median_of(k + edge + lvl, k + edge + span_after) - level_before;
    if (shifted * height <= 0 || std::abs(shifted) < 0.5 * std::abs(height)) continue;
    if (span_after < long_ctx) {
      if (span_after < std::llround(0.2 * fs)) continue;
      std::ptrdiff_t off = 0;
      for (std::ptrdiff_t j = k + edge; j < k + edge + span_after; ++j)
        off += (double(x[std::size_t(j)]) - level_before) * height >= 0.5 * height * height;
      if (10 * off < 9 * span_after) continue;
    }
    const auto [lo, hi] = std::minmax_element(x.begin() + (k - ctx), x.begin() + (k + edge + ctx));
    if (std::abs(height) < kMost * double(*hi - *lo)) continue;
    steps.push_back({k, k + edge, before, height});
    k += ctx;  // one step per 60 ms
  }
  // Each step's height off every later sample; the edge's own samples to the level before it.
  double shift = 0;
  std::size_t next = 0;
  for (std::ptrdiff_t k = 0; k < n; ++k) {
    if (next < steps.size() && k == steps[next].from) {
      const Step& s = steps[next];
      for (; k < s.to; ++k) x[std::size_t(k)] = float(s.before - shift);
      shift += s.height;
      ++next;
    }
    x[std::size_t(k)] -= float(shift);
  }
  return steps.size();
}

}  // namespace teledx::ecg::detail
