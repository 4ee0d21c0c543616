// Calibration pulses: many carts write their 1 mV standardisation rectangle (10 mm high, 100-200 ms wide on paper)
// into the samples they export, at the start of the recording or of each printed column. Its two edges are as
// steep as a QRS, so the detector took the rectangle for a beat: one more beat, the rate and the RR statistics off,
// and on LUDB 57 a real QTc of 565 ms lost its critical flag. They are flattened in the raw leads first.
#include <algorithm>
#include <cmath>
#include <optional>

#include "filters_internal.hpp"

namespace teledx::ecg::detail {
namespace {

/// A rectangle in one lead: rises at `from`, falls back at `to`, `uv` high (signed).
struct Rectangle {
  std::ptrdiff_t from, to;  ///< first and last sample that belong to it (its edges)
  std::ptrdiff_t up, down;  ///< where it crosses half its height, rising and falling
  double uv;
};

/// Each calibration rectangle in one raw lead. The edges: the lead moves by kMinUv or more within `edge` (10 ms,
/// room for a cart's 40-150 Hz low-pass) from a level that was steady over the 20 ms before. The top: 40 ms to 1 s
/// long, and straight: no sample off the line through it by more than a tenth of the height (a cart's 0.05 Hz
/// high-pass tilts a 200 ms top by 6 %, a 0.5 Hz one by 40 %, both straight), which no QRS, ST segment or T wave
/// of that size is. The fall: back by at least half the height within `edge`.
std::vector<Rectangle> rectangles_in(const std::vector<float>& x, double fs) {
  constexpr double kMinUv = 200, kMaxUv = 5000;
  const auto n = std::ptrdiff_t(x.size());
  const std::ptrdiff_t edge = std::max<std::ptrdiff_t>(1, std::llround(0.010 * fs));
  const std::ptrdiff_t lvl = std::max<std::ptrdiff_t>(2, std::llround(0.020 * fs));
  const std::ptrdiff_t shortest = std::max<std::ptrdiff_t>(3, std::llround(0.040 * fs));
  const std::ptrdiff_t longest = std::llround(1.0 * fs);
  std::vector<Rectangle> found;
  // Tried at each sample where the lead moves by kMinUv within `edge`: a rectangle from there, or none. The
  // samples are first screened 32 at a time (a loop the compiler vectorises), as most stretches of an ECG hold no
  // such move: a 30-minute two-lead record took 2.6 ms scanned one sample at a time.
  auto rectangle_at = [&](std::ptrdiff_t k) -> std::optional<Rectangle> {
    const double rise = double(x[std::size_t(k + edge)]) - double(x[std::size_t(k)]);
    if (std::abs(rise) < kMinUv || std::abs(rise) > kMaxUv) return std::nullopt;
    // The level before: steady over up to 20 ms (less at the very start of the recording).
    const std::ptrdiff_t b0 = std::max<std::ptrdiff_t>(0, k - lvl);
    const auto [blo, bhi] = std::minmax_element(x.begin() + b0, x.begin() + k + 1);
    if (double(*bhi - *blo) > 0.1 * std::abs(rise)) return std::nullopt;
    const double before = x[std::size_t(k)];
    // The edge's last sample: where the lead stops moving toward the top (a low-passed edge rounds off).
    std::ptrdiff_t top = k + 1;
    const double sign = rise > 0 ? 1 : -1;
    while (top < k + edge && sign * (double(x[std::size_t(top + 1)]) - double(x[std::size_t(top)])) > 0.02 * std::abs(rise))
      ++top;
    // The fall: the first sample from which the lead moves back by half the height within `edge`.
    std::ptrdiff_t fall = -1;
    for (std::ptrdiff_t j = top + shortest; j + edge < n && j <= top + longest; ++j) {
      if (sign * (double(x[std::size_t(j)]) - double(x[std::size_t(j + edge)])) >= 0.5 * std::abs(rise)) {
        fall = j;
        break;
      }
      if (sign * (double(x[std::size_t(j)]) - before) < 0.5 * std::abs(rise)) break;  // sank back slowly: no edge
    }
    if (fall < 0) return std::nullopt;
    // The fall's first sample may already be on its way down: the top ends where the lead last held its line.
    std::ptrdiff_t last = fall;
    while (last > top + shortest &&
           sign * (double(x[std::size_t(last - 1)]) - double(x[std::size_t(last)])) < -0.02 * std::abs(rise))
      --last;
    // Straight top: least-squares line over [top, last], every sample within a tenth of the height of it.
    const double m = double(last - top + 1);
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (std::ptrdiff_t j = top; j <= last; ++j) {
      const double t = double(j - top), y = x[std::size_t(j)];
      sx += t, sy += y, sxx += t * t, sxy += t * y;
    }
    const double slope = (m * sxy - sx * sy) / std::max(1e-9, m * sxx - sx * sx), icpt = (sy - slope * sx) / m;
    double worst = 0;
    for (std::ptrdiff_t j = top; j <= last; ++j)
      worst = std::max(worst, std::abs(double(x[std::size_t(j)]) - (icpt + slope * double(j - top))));
    const double height = icpt - before;
    if (worst > 0.1 * std::abs(rise) || height * sign < 0.8 * std::abs(rise)) return std::nullopt;
    // The end of the fall: past the top's last held sample, where the lead stops moving back.
    auto moving_back = [&](std::ptrdiff_t j) {
      return sign * (double(x[std::size_t(j)]) - double(x[std::size_t(j + 1)])) > 0.02 * std::abs(rise);
    };
    std::ptrdiff_t end = last;
    while (end + 1 < std::min(n - 1, fall + edge) && !moving_back(end)) ++end;
    while (end + 1 < std::min(n - 1, fall + 2 * edge) && moving_back(end)) ++end;
    // And the low-pass's tail: a 2 mV edge left 37 µV there, decaying over 10 ms, enough to move R marks by 6 ms.
    while (end + 1 < std::min(n - 1, fall + 3 * edge) &&
           sign * (double(x[std::size_t(end)]) - double(x[std::size_t(end + 1)])) > 0.005 * std::abs(rise))
      ++end;
    // Its width and start as a cart states them, at half height (a rounded edge takes no width off the top).
    std::ptrdiff_t up = k, down = last;
    while (up < top && sign * (double(x[std::size_t(up)]) - before) < 0.5 * std::abs(height)) ++up;
    while (down < end && sign * (double(x[std::size_t(down)]) - before) >= 0.5 * std::abs(height)) ++down;
    return Rectangle{k, end, up, down, height};
  };
  const std::ptrdiff_t limit = n - (edge + shortest + edge);
  std::ptrdiff_t resume = 0;
  for (std::ptrdiff_t block = 0; block < limit; block += 32) {
    const std::ptrdiff_t stop = std::min(limit, block + 32);
    if (stop == block + 32) {  // a fixed count of 32, which is what lets -O2 vectorise the loop
      const float* a = x.data() + block;
      const float* b = a + edge;
      int moves = 0;  // counted, not a float maximum: without -ffast-math GCC keeps that reduction scalar
      for (int i = 0; i < 32; ++i) moves += std::abs(b[i] - a[i]) >= float(kMinUv);
      if (moves == 0) continue;
    }
    for (std::ptrdiff_t k = std::max(block, resume); k < stop; ++k)
      if (auto r = rectangle_at(k)) {
        found.push_back(*r);
        resume = r->to + 1;
        k = r->to;
      }
  }
  return found;
}

}  // namespace

std::vector<CalibrationPulse> remove_calibration_pulses(LeadSet& set) {
  const double fs = set.sample_rate_hz;
  const std::size_t nl = set.leads.size();
  std::vector<std::vector<Rectangle>> per(nl);
  for (std::size_t l = 0; l < nl; ++l) per[l] = rectangles_in(set.leads[l].uv, fs);
  // A cart pulses every lead it records at the same moment; leads it derives (III, aVR, aVL, aVF from I and II)
  // show the pulses' difference or sum, which may be nothing. So a rectangle counts when another lead has one
  // starting within 10 ms, or when the recording has a single lead.
  const std::int64_t near = std::max<std::int64_t>(1, std::llround(0.010 * fs));
  std::vector<CalibrationPulse> pulses;
  for (std::size_t l = 0; l < nl; ++l) {
    for (const Rectangle& r : per[l]) {
      bool shared = nl == 1;
      for (std::size_t o = 0; o < nl && !shared; ++o)
        if (o != l)
          shared = std::any_of(per[o].begin(), per[o].end(),
                               [&](const Rectangle& q) { return std::abs(q.from - r.from) <= near; });
      if (!shared) continue;
      // Flattened: a line from the level before the rise to the level after the fall.
      auto& x = set.leads[l].uv;
      const double a = x[std::size_t(r.from)], b = x[std::size_t(r.to)];
      for (std::ptrdiff_t j = r.from; j <= r.to; ++j)
        x[std::size_t(j)] = float(a + (b - a) * double(j - r.from) / double(std::max<std::ptrdiff_t>(1, r.to - r.from)));
      auto same = std::find_if(pulses.begin(), pulses.end(),
                               [&](const CalibrationPulse& p) { return std::abs(p.from - r.from) <= near; });
      if (same == pulses.end())
        pulses.push_back({r.from, r.to, r.up, r.down - r.up, r.uv});
      else
        same->to = std::max(same->to, std::int64_t(r.to));
    }
  }
  std::sort(pulses.begin(), pulses.end(), [](const auto& p, const auto& q) { return p.from < q.from; });
  return pulses;
}

}  // namespace teledx::ecg::detail
