// T wave of one beat (delineate_beat(), delineation.cpp): peak and end per lead, combined over the leads.
#include <algorithm>
#include <cmath>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "delineation_internal.hpp"

namespace teledx::ecg::detail {

void delineate_t(const BeatContext& c, std::int64_t on, std::int64_t off, const std::vector<double>& base,
                 Fiducials& f) {
  // The beat's context under the short names the rules below were written with.
  const BeatWindow& w = c.w;
  const double fs = c.fs;
  const std::size_t nl = c.nl;
  const std::int64_t r = c.r, lo = c.lo, hi = c.hi, rr_prev = c.rr_prev, rr_next = c.rr_next;
  const std::optional<std::int64_t>& previous_r = c.previous_r;
  const auto ms = [&c](double v) { return c.ms(v); };

  // T wave: per lead, peak deviation after the ST segment; end by the area method after the steepest return.
  // T peak within [J+80 ms, R + min(550 ms, 60% RR)]; its end within 200 ms of the peak and before 85% RR.
  const std::int64_t t_lo = std::min(hi - 1, off + ms(80));
  const std::int64_t t_peak_hi = std::min(hi - 1, r + std::min(ms(550), std::max(ms(220), rr_next * 3 / 5)));
  const std::int64_t t_end_hi = std::min(hi - 1, r + std::min(ms(750), std::max(ms(280), rr_next * 17 / 20)));
  struct TLead { double amp; std::int64_t peak, end; std::size_t lead; };
  std::vector<TLead> tl;
  if (t_peak_hi - t_lo > ms(40)) {
    for (std::size_t l = 0; l < nl; ++l) {
      // The T peak is the largest deviation from the PR baseline; when that lands on the window start, a shifted
      // ST segment dominates, and the largest deviation from the chord across the window is taken instead.
      const double c0 = w.s(l, t_lo), c1 = w.s(l, t_end_hi);
      auto chord = [&](std::int64_t k) { return c0 + (c1 - c0) * double(k - t_lo) / double(std::max<std::int64_t>(1, t_end_hi - t_lo)); };
      auto peak_from = [&](auto ref) {
        std::pair<std::int64_t, double> best{t_lo, 0.0};
        for (std::int64_t k = t_lo; k < t_peak_hi; ++k)
          if (std::abs(w.s(l, k) - ref(k)) > best.second) best = {k, std::abs(w.s(l, k) - ref(k))};
        return best;
      };
      auto [pk, amp] = peak_from([&](std::int64_t) { return base[l]; });
      bool shifted = false;
      if (pk <= t_lo + ms(10)) {
        std::tie(pk, amp) = peak_from(chord);
        shifted = true;
      }
      double sign = w.s(l, pk) > (shifted ? chord(pk) : base[l]) ? 1 : -1;
      // Or a shifted ST segment deepens after the window start (QTDB sel301, LUDB 81: depressed and sloping down,
      // then a T wave rising out of it, which the annotators mark): when the window starts at 60% of that deviation
      // or more (50 µV or more), on its side, and the signal turning back from it stands as far from the ST level,
      // on the other side, where it turns again, that turn is the T peak (a hump on the ST level), and its descent
      // ends by 20 ms after the next turn. Thresholds and effects: docs/ecg.md, sixth pass.
      const double st = w.s(l, t_lo) - base[l];
      bool on_st = false;
      if (!shifted && st * sign > 0 && std::abs(st) >= std::max(50.0, 0.6 * amp)) {
        std::int64_t k = pk;
        while (k + 1 < t_peak_hi && -sign * (w.s(l, k + 1) - w.s(l, k)) > 0) ++k;
        if (const double h = -sign * (w.s(l, k) - c0); k + 1 < t_peak_hi && h >= amp)
          pk = k, amp = h, sign = -sign, on_st = true;
      }
      if (amp < 40 || pk <= t_lo || pk >= t_peak_hi - 1) continue;
      // The steepest descent after the peak (toward the PR baseline when the wave stands on that side of it, else
      // toward the level where the window ends) starts the search for the end.
      const double target = sign * (w.s(l, pk) - base[l]) > 0.3 * amp ? base[l] : c1;
      const std::int64_t t_hi = std::min(t_end_hi, pk + ms(250));
      std::int64_t ks = pk, turn = -1;
      double best = 0;
      for (std::int64_t k = pk; k < t_hi - 1; ++k) {
        if (sign * (w.s(l, k) - target) < 0.1 * amp) break;  // back at the level: the descent is over
        const double d = -sign * (w.s(l, k + 1) - w.s(l, k - 1)) / 2;  // descent toward the level
        if (on_st && best > 0 && d < 0) { turn = k; break; }  // a later rise is another wave (LUDB 81, V3-V4)
        if (d > best) best = d, ks = k;
      }
      if (best <= 0) continue;
      // End by the area method (Zhang et al. 2006): A(t) = sum over the 128 ms before t of (x - x(t)), signed by
      // the wave's polarity, peaks where the descending limb flattens out. Unlike the tangent at one point it
      // integrates over the limb, so noise and a slow, shallow return move it less (LUDB dev T end SD 36 -> 29 ms,
      // QTDB 64 -> 50 ms, with a fixed window: 64 ms ended early, 200 ms late).
      // The window follows the wave's own time scale: three times the time from the peak to the steepest descent
      // (about its half-width), within 80-250 ms. A fixed 128 ms ended a slow, broad T wave on its way down (paced
      // beats of QTDB sel102 and 104, sele0104: 35-54 ms early) and a narrow one late. T end mean +- SD, ms: QTDB
      // -19.8 +- 35.6 -> -16.2 +- 30.8 (better lead per beat 33.7 -> 29.1); LUDB -2.8 +- 28.7 -> -9.6 +- 24.9 (odd
      // records 24.9 -> 24.5, even 32.6 -> 25.5; per lead 6.7 +- 27.8 -> 1.8 +- 25.1). The device samples' QT nearer
      // their own on three of four (MUSE 6 ms further). Neighbours (factor 2.8-3.2, floor 64-88 ms) give the same
      // within 1 ms; a floor of 96-128 ms loses most of LUDB's gain. docs/ecg.md, T-end window.
      const std::int64_t W = std::clamp<std::int64_t>(3 * (ks - pk), std::max<std::int64_t>(2, ms(80)),
                                                      std::max<std::int64_t>(2, ms(250)));
      auto area_end = [&](std::int64_t from, std::int64_t to) {
        double acc = 0;  // running sum of x over (t - W, t]
        const std::int64_t first = std::max(lo, from - W + 1);
        for (std::int64_t j = first; j < from; ++j) acc += w.s(l, j);
        double best_area = -1e300;
        std::int64_t at = from;
        for (std::int64_t t = from; t < to; ++t) {
          acc += w.s(l, t);
          if (t - W >= first) acc -= w.s(l, t - W);
          const double count = double(t - std::max(first, t - W + 1) + 1);
          const double area = sign * (acc - count * w.s(l, t));
          if (area > best_area) best_area = area, at = t;
        }
        return at;
      };
      const std::int64_t end = area_end(ks, std::min({t_end_hi, pk + ms(200), turn < 0 ? hi : turn + ms(20)}));
      tl.push_back({amp, pk, end, l});
    }
  }
  if (!tl.empty()) {
    const double amax = std::max_element(tl.begin(), tl.end(), [](auto& a, auto& b) { return a.amp < b.amp; })->amp;
    std::vector<std::int64_t> ends;
    std::int64_t peak = tl.front().peak, peak_end = tl.front().end;
    for (const auto& t : tl)
      if (t.amp >= 0.15 * amax) {
        ends.push_back(t.end);
        f.per_lead[t.lead].t_off = t.end;
        if (t.amp == amax) peak = t.peak, peak_end = t.end;
      }
    std::sort(ends.begin(), ends.end());
    f.t_peak = peak;
    // Global end = the latest lead end that agrees with the median lead (within 40 ms), over the leads whose T wave
    // is at least 15% of the largest: late like the CSE convention, but one lead with a mistaken end cannot drag
    // it. With one or two leads there is no median to agree with, and the lead with the largest T wave is trusted.
    std::int64_t mid = ends.size() <= 2 ? peak_end : ends[ends.size() / 2];
    // Two leads whose T waves end more than 40 ms apart bound two different waves (QTDB sel100: V5's T, and after
    // it a later hump in MLII that is as large on some beats, its end 120-150 ms later, so the largest lead flipped
    // between them beat to beat). Between the two ends of THIS beat, the largest lead's is kept unless the other is
    // nearer, by more than that 40 ms, to where the QT of a normal heart at this RR would end it (Fridericia, QTc
    // 400 ms, QT = 400 ms x RR^(1/3), the preceding RR setting the QT): a plausibility test between candidates, not
    // a pull toward the normal QT, since an end is only ever one this beat's leads found. Effects: docs/ecg.md.
    if (ends.size() == 2 && ends[1] - ends[0] > ms(40)) {
      const double rr_s = double(previous_r ? rr_prev : rr_next) / fs;
      const double expected = double(on) + 400.0 * std::cbrt(rr_s) * fs / 1000.0;
      const std::int64_t other = ends[0] == peak_end ? ends[1] : ends[0];
      if (std::abs(double(other) - expected) + double(ms(40)) < std::abs(double(peak_end) - expected)) mid = other;
    }
    std::int64_t last = mid;
    for (auto e : ends)
      if (e <= mid + ms(40)) last = std::max(last, e);
    f.t_off = last;
  }
}

}  // namespace teledx::ecg::detail
