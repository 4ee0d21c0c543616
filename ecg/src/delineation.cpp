// Beat delineation on simultaneous leads: QRS onset/offset from the summed slope envelope (sustained low slope),
// T end by the tangent method in the leads with the largest T waves, P wave from the RMS deviation from the
// PR baseline. Boundaries are global (earliest/latest over leads) as in the CSE convention.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numbers>

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
  const Biquad lp40 = Biquad::lowpass(fs, std::min(40.0, fs * 0.45), std::numbers::sqrt2 / 2);
  const Biquad lp12 = Biquad::lowpass(fs, 12.0, std::numbers::sqrt2 / 2);
  for (const auto& lead : set.leads) {
    std::vector<float> x(lead.uv.begin() + lo, lead.uv.begin() + hi);
    std::vector<float> y = x;
    detail::filtfilt(lp40, x);
    detail::filtfilt(lp12, y);
    w.qrs_band.push_back(std::move(x));
    w.slow.push_back(std::move(y));
  }
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
  const std::int64_t quiet = std::max<std::int64_t>(2, ms(12));
  // Onset: walking back from R, the first point where the slope stays under the threshold for `quiet` samples.
  static const double k_on = std::getenv("DL_ON") ? std::atof(std::getenv("DL_ON")) : 0.03;
  static const double k_off = std::getenv("DL_OFF") ? std::atof(std::getenv("DL_OFF")) : 0.05;
  // Thresholds above the slope floor (noise and slow waves), measured as a low percentile of the whole window.
  std::vector<double> sorted(slope.begin(), slope.end());
  std::nth_element(sorted.begin(), sorted.begin() + std::ptrdiff_t(sorted.size() / 5), sorted.end());
  const double floor_s = sorted[sorted.size() / 5];
  const double th_on = floor_s + k_on * (smax - floor_s), th_off = floor_s + k_off * (smax - floor_s);
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
      std::int64_t pk = t_lo;
      double amp = 0;
      for (std::int64_t k = t_lo; k < t_peak_hi; ++k)
        if (std::abs(w.s(l, k) - base[l]) > amp) amp = std::abs(w.s(l, k) - base[l]), pk = k;
      if (amp < 40 || pk <= t_lo || pk >= t_peak_hi - 1) continue;
      const double sign = w.s(l, pk) > base[l] ? 1 : -1;
      const std::int64_t t_hi = std::min(t_end_hi, pk + ms(250));
      std::int64_t ks = pk;
      double best = 0;
      for (std::int64_t k = pk; k < t_hi - 1; ++k) {
        if (sign * (w.s(l, k) - base[l]) < 0.1 * amp) break;  // back at baseline: the descent is over
        const double d = -sign * (w.s(l, k + 1) - w.s(l, k - 1)) / 2;  // descent toward baseline
        if (d > best) best = d, ks = k;
      }
      if (best <= 0) continue;
      const double dist = sign * (w.s(l, ks) - base[l]);
      std::int64_t end = ks + std::int64_t(std::lround(dist / best));
      end = std::clamp(end, pk, t_hi);
      tl.push_back({amp, pk, end});
    }
  }
  if (!tl.empty()) {
    const double amax = std::max_element(tl.begin(), tl.end(), [](auto& a, auto& b) { return a.amp < b.amp; })->amp;
    std::vector<std::int64_t> ends;
    std::int64_t peak = tl.front().peak;
    for (const auto& t : tl)
      if (t.amp >= 0.3 * amax) {
        ends.push_back(t.end);
        if (t.amp == amax) peak = t.peak;
      }
    std::sort(ends.begin(), ends.end());
    f.t_peak = peak;
    f.t_off = ends[std::min(ends.size() - 1, ends.size() * 3 / 4)];
  }

  // P wave: RMS deviation from the PR baseline, before QRS onset, after the previous T wave.
  const std::int64_t p_hi = on - ms(10);
  const std::int64_t p_lo = std::max(lo + 1, std::max(on - ms(300), previous_r ? *previous_r + rr_prev * 3 / 5 : lo + 1));
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
      while (b < p_hi - 1 && ps(b) > 0.5 * sd) ++b;
      if (b - a >= ms(40) && b - a <= ms(200) && a > p_lo) {
        f.p_on = a;
        f.p_peak = pk;
        f.p_off = b;
      }
    }
  }
  return f;
}

}  // namespace teledx::ecg
