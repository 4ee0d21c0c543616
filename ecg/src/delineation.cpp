// Beat delineation on simultaneous leads: QRS onset/offset from the summed slope envelope (sustained low slope),
// T end by the tangent method in the leads with the largest T waves, P wave from the RMS deviation from the
// PR baseline. Boundaries are global (earliest/latest over leads) as in the CSE convention.
#include <algorithm>
#include <cmath>
#include <numbers>
#include <tuple>

#include "filters_internal.hpp"
#include "teledx/ecg/analysis.hpp"

namespace teledx::ecg {
namespace {
using detail::Biquad;

struct Window {
  std::int64_t lo, hi;  // [lo, hi)
  std::vector<std::vector<float>> qrs_band;  // per lead, 40 Hz low-pass
  std::vector<std::vector<float>> slow;      // per lead, 12 Hz low-pass (P, T)
  float q(std::size_t l, std::int64_t k) const { return qrs_band[l][std::size_t(k - lo)]; }
  float s(std::size_t l, std::int64_t k) const { return slow[l][std::size_t(k - lo)]; }
};

Window make_window(const LeadSet& set, std::int64_t lo, std::int64_t hi) {
  Window w{lo, hi, {}, {}};
  const double fs = set.sample_rate_hz;
  std::vector<float*> q, sl;
  for (const auto& lead : set.leads) {
    w.qrs_band.emplace_back(lead.uv.begin() + lo, lead.uv.begin() + hi);
    w.slow.push_back(w.qrs_band.back());
  }
  for (std::size_t l = 0; l < set.leads.size(); ++l) q.push_back(w.qrs_band[l].data()), sl.push_back(w.slow[l].data());
  detail::filtfilt_batch(Biquad::lowpass(fs, std::min(40.0, fs * 0.45), std::numbers::sqrt2 / 2), q, std::size_t(hi - lo));
  detail::filtfilt_batch(Biquad::lowpass(fs, 12.0, std::numbers::sqrt2 / 2), sl, std::size_t(hi - lo));
  return w;
}

}  // namespace

Fiducials delineate_beat(const LeadSet& set, std::int64_t r, std::optional<std::int64_t> previous_r,
                         std::optional<std::int64_t> next_r) {
  Fiducials f;
  const double fs = set.sample_rate_hz;
  const std::int64_t n = std::int64_t(set.sample_count());
  if (set.leads.empty() || r <= 0 || r >= n - 1) return f;
  auto ms = [&](double v) { return std::int64_t(std::lround(v * fs / 1000.0)); };
  const std::int64_t rr_prev = previous_r ? r - *previous_r : ms(1000);
  const std::int64_t rr_next = next_r ? *next_r - r : ms(1000);
  const std::int64_t lo = std::max<std::int64_t>(1, r - std::min(ms(450), rr_prev * 3 / 4));
  const std::int64_t hi = std::min<std::int64_t>(n - 1, r + std::min(ms(700), std::max(ms(250), rr_next - ms(60))));
  if (hi - lo < ms(200)) return f;
  const Window w = make_window(set, lo, hi);
  const std::size_t nl = set.leads.size();

  // Slope envelope summed over leads (each lead weighted equally in µV/sample).
  std::vector<double> slope(std::size_t(hi - lo), 0);
  for (std::int64_t k = lo + 1; k < hi - 1; ++k) {
    double s = 0;
    for (std::size_t l = 0; l < nl; ++l) s += std::abs(w.q(l, k + 1) - w.q(l, k - 1));
    slope[std::size_t(k - lo)] = s;
  }
  auto sl = [&](std::int64_t k) { return slope[std::size_t(std::clamp(k, lo, hi - 1) - lo)]; };
  double smax = 0;
  for (std::int64_t k = std::max(lo, r - ms(60)); k <= std::min(hi - 1, r + ms(60)); ++k) smax = std::max(smax, sl(k));
  if (smax <= 0) return f;
  // Thresholds above the slope floor (noise and slow waves, a low percentile of the window), as fractions of the
  // slope range chosen on QTDB/LUDB dev, where they balance QTDB's later and LUDB's earlier QRS ends.
  constexpr double k_on = 0.03, k_off = 0.035;
  const std::int64_t quiet = std::max<std::int64_t>(2, ms(12));
  std::vector<double> sorted(slope.begin(), slope.end());
  std::nth_element(sorted.begin(), sorted.begin() + std::ptrdiff_t(sorted.size() / 5), sorted.end());
  const double floor_s = sorted[sorted.size() / 5];
  const double th_on = floor_s + k_on * (smax - floor_s), th_off = floor_s + k_off * (smax - floor_s);
  // Onset: walking back from R, the first point where the slope stays under the threshold for `quiet` samples.
  std::int64_t on = std::max(lo, r - ms(160));
  for (std::int64_t k = r; k > std::max(lo + quiet, r - ms(160)); --k) {
    bool still = true;
    for (std::int64_t j = k; j > k - quiet && still; --j) still = sl(j) < th_on;
    if (still) { on = k; break; }
  }
  std::int64_t off = std::min(hi - 1, r + ms(180));
  for (std::int64_t k = r; k < std::min(hi - 1 - quiet, r + ms(180)); ++k) {
    bool still = true;
    for (std::int64_t j = k; j < k + quiet && still; ++j) still = sl(j) < th_off;
    if (still) { off = k; break; }
  }
  f.qrs_on = on;
  f.qrs_off = off;

  // PR baseline per lead: mean of the 20 ms before QRS onset (slow band).
  std::vector<double> base(nl, 0);
  const std::int64_t b0 = std::max(lo, on - ms(20));
  for (std::size_t l = 0; l < nl; ++l) {
    double s = 0;
    for (std::int64_t k = b0; k <= on; ++k) s += w.s(l, k);
    base[l] = s / double(on - b0 + 1);
  }

  // T wave: per lead, peak deviation after the ST segment; end by the tangent at the steepest return to baseline.
  // T peak within [J+80 ms, R + min(550 ms, 60% RR)]; its end within 250 ms of the peak and before 85% RR.
  const std::int64_t t_lo = std::min(hi - 1, off + ms(80));
  const std::int64_t t_peak_hi = std::min(hi - 1, r + std::min(ms(550), std::max(ms(220), rr_next * 3 / 5)));
  const std::int64_t t_end_hi = std::min(hi - 1, r + std::min(ms(750), std::max(ms(280), rr_next * 17 / 20)));
  struct TLead { double amp; std::int64_t peak, end; };
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
      if (amp < 40 || pk <= t_lo || pk >= t_peak_hi - 1) continue;
      const double sign = w.s(l, pk) > (shifted ? chord(pk) : base[l]) ? 1 : -1;
      // The tangent ends on the PR baseline when the wave stands on that side of it, else on the level where
      // the window ends (after the T wave, before the next P).
      const double target = sign * (w.s(l, pk) - base[l]) > 0.3 * amp ? base[l] : c1;
      const std::int64_t t_hi = std::min(t_end_hi, pk + ms(250));
      std::int64_t ks = pk;
      double best = 0;
      for (std::int64_t k = pk; k < t_hi - 1; ++k) {
        if (sign * (w.s(l, k) - target) < 0.1 * amp) break;  // back at the level: the descent is over
        const double d = -sign * (w.s(l, k + 1) - w.s(l, k - 1)) / 2;  // descent toward the level
        if (d > best) best = d, ks = k;
      }
      if (best <= 0) continue;
      const double dist = sign * (w.s(l, ks) - target);
      std::int64_t end = ks + std::int64_t(std::lround(dist / best));
      end = std::clamp(end, pk, t_hi);
      tl.push_back({amp, pk, end});
    }
  }
  if (!tl.empty()) {
    const double amax = std::max_element(tl.begin(), tl.end(), [](auto& a, auto& b) { return a.amp < b.amp; })->amp;
    std::vector<std::int64_t> ends;
    std::int64_t peak = tl.front().peak, peak_end = tl.front().end;
    for (const auto& t : tl)
      if (t.amp >= 0.3 * amax) {
        ends.push_back(t.end);
        if (t.amp == amax) peak = t.peak, peak_end = t.end;
      }
    std::sort(ends.begin(), ends.end());
    f.t_peak = peak;
    // Global end = the latest lead end that agrees with the median lead (within 40 ms): late like the CSE
    // convention, but one lead with a mistaken tangent cannot drag it. With one or two leads there is no median
    // to agree with, and the lead with the largest T wave is the one to trust.
    const std::int64_t mid = ends.size() <= 2 ? peak_end : ends[ends.size() / 2];
    std::int64_t last = mid;
    for (auto e : ends)
      if (e <= mid + ms(40)) last = std::max(last, e);
    f.t_off = last;
  }

  // P wave: RMS deviation from the PR baseline, before QRS onset, after the previous T wave.
  const std::int64_t p_hi = on - ms(10);
  const std::int64_t p_lo = std::max(lo + 1, std::max(on - ms(420), previous_r ? *previous_r + rr_prev * 3 / 5 : lo + 1));
  if (p_hi - p_lo > ms(80)) {
    std::vector<double> m(std::size_t(p_hi - p_lo));
    for (std::int64_t k = p_lo; k < p_hi; ++k) {
      double s = 0;
      for (std::size_t l = 0; l < nl; ++l) s += (w.s(l, k) - base[l]) * (w.s(l, k) - base[l]);
      m[std::size_t(k - p_lo)] = std::sqrt(s / double(nl));
    }
    const auto pk_it = std::max_element(m.begin(), m.end());
    const std::int64_t pk = p_lo + (pk_it - m.begin());
    const double floor_lvl = *std::min_element(m.begin(), m.end());
    const double amp = *pk_it - floor_lvl;
    // Roughness of the window: a P wave is smooth, fibrillation or noise is not.
    double rough = 0;
    for (std::size_t k = 1; k + 1 < m.size(); ++k) rough += std::abs(m[k + 1] - 2 * m[k] + m[k - 1]);
    rough /= double(m.size());
    if (amp >= 20 && pk > p_lo + ms(20) && pk < p_hi - ms(5) && rough < amp * 0.15) {
      // Boundaries from the summed slow-band slope: walking out from the steepest up/down slopes of the P wave
      // until the slope falls under a fifth of that maximum (robust to a TP level that differs from the PR level).
      auto ps = [&](std::int64_t k) {
        double v = 0;
        for (std::size_t l = 0; l < nl; ++l) v += std::abs(w.s(l, k + 1) - w.s(l, k - 1));
        return v;
      };
      std::int64_t up = pk, down = pk;
      double su = 0, sd = 0;
      for (std::int64_t k = std::max(p_lo, pk - ms(100)); k < pk; ++k)
        if (ps(k) > su) su = ps(k), up = k;
      for (std::int64_t k = pk + 1; k < std::min(p_hi, pk + ms(60)); ++k)
        if (ps(k) > sd) sd = ps(k), down = k;
      std::int64_t a = up, b = down;
      while (a > p_lo && ps(a) > 0.2 * su) --a;
      if (a == p_lo) {  // the previous T wave still slopes at the window start: take the flattest point instead
        double lowest = ps(up);
        for (std::int64_t k = p_lo; k < up; ++k)
          if (ps(k) < lowest) lowest = ps(k), a = k;
      }
      while (b < p_hi - 1 && ps(b) > 0.5 * sd) ++b;
      if (b - a >= ms(40) && b - a <= ms(250)) {
        f.p_on = a;
        f.p_peak = pk;
        f.p_off = b;
      }
    }
  }
  return f;
}

}  // namespace teledx::ecg
