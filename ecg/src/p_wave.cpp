// P wave of one beat (delineate_beat(), delineation.cpp): found by the RMS deviation from the PR baseline, bounded
// per lead on its wavelet transform, combined over the leads.
#include <algorithm>
#include <cmath>
#include <optional>
#include <utility>
#include <vector>

#include "delineation_internal.hpp"
#include "filters_internal.hpp"

namespace teledx::ecg::detail {

void delineate_p(const BeatContext& c, std::int64_t on, const PrBaseline& pr, Fiducials& f) {
  // The beat's context under the short names the rules below were written with.
  const BeatWindow& w = c.w;
  const double fs = c.fs;
  const std::size_t nl = c.nl;
  const std::int64_t lo = c.lo, rr_prev = c.rr_prev;
  const std::optional<std::int64_t>& previous_r = c.previous_r;
  const auto ms = [&c](double v) { return c.ms(v); };
  std::vector<double> base = pr.base;  // replaced by the level before the P wave when the PR window lies on it
  const std::int64_t b0 = pr.b0, b_end = pr.b_end;

  // P wave: RMS deviation from the PR baseline, before QRS onset, after the previous T wave.
  const std::int64_t p_hi = on - ms(10);
  const std::int64_t p_lo = std::max(lo + 1, std::max(on - ms(420), previous_r ? *previous_r + rr_prev * 3 / 5 : lo + 1));
  if (p_hi - p_lo > ms(80)) {
    // With six leads or more, a lead deviating more than three times as far as any other at a sample is left out
    // there: one lead with an artefact (an electrode's baseline jump, millivolts where a P wave has a tenth; LUDB
    // 64's V6) would otherwise be taken for the P wave, which shows in several leads at comparable sizes.
    const bool may_drop = nl >= 6;
    std::vector<double> m(std::size_t(p_hi - p_lo));
    auto deviation = [&] {
      for (std::int64_t k = p_lo; k < p_hi; ++k) {
        double s = 0, largest = 0, second = 0;
        for (std::size_t l = 0; l < nl; ++l) {
          const double d2 = (w.s(l, k) - base[l]) * (w.s(l, k) - base[l]);
          s += d2;
          if (d2 > largest) second = largest, largest = d2;
          else second = std::max(second, d2);
        }
        const bool outlier = may_drop && largest > 9 * second;  // squares: three times the amplitude
        m[std::size_t(k - p_lo)] = outlier ? std::sqrt((s - largest) / double(nl - 1)) : std::sqrt(s / double(nl));
      }
    };
    deviation();
    auto pk_it = std::max_element(m.begin(), m.end());
    // A P wave that runs into the QRS (no PR segment: a junctional rhythm's retrograde P, a short PR) puts the PR
    // window on the P wave itself, and the flat stretch before the P then stands off that level as a plateau from
    // the window's start, flatter than any wave, which was taken for the P wave (a synthetic P of 100 ms at a PR of
    // 100: P found 40 ms before its place, PR 142-162 ms, an inverted one read as sinus rhythm and the ST levels
    // taken on the P wave: a false STEMI flag). The deviation is then measured from that flat stretch's level, and
    // the P wave is the hump between it and the QRS.
    if (const double floor0 = *std::min_element(m.begin(), m.end()), rise = *pk_it - floor0; rise >= 20) {
      const std::size_t x = std::size_t(pk_it - m.begin());
      // The plateau reaches to within a P wave's length (120 ms, and the 10 ms before the QRS the window leaves
      // out) of the QRS; one ending earlier is the previous T wave's tail or a drifting baseline. Only on the median
      // beat: on single beats it moved sinus P waves (QTDB P-on SD 16.0 -> 17.8 ms from two beats of baseline
      // wander). Not after a pacing stimulus, whose blanking lies in the PR window (LUDB 111 lost its P wave).
      const std::int64_t plateau_end = p_lo + std::int64_t(x);
      if (c.median_beat && !f.pacing_stimulus && x >= std::size_t(ms(60)) && plateau_end >= on - ms(150)) {
        const auto mn = std::min_element(m.begin(), pk_it);
        if (*pk_it - *mn <= 0.3 * rise) {
          for (std::size_t l = 0; l < nl; ++l) {
            double s = 0;
            for (std::int64_t k = p_lo; k < plateau_end; ++k) s += w.s(l, k);
            base[l] = s / double(x);
          }
          deviation();
          pk_it = std::max_element(m.begin(), m.end());
          f.level_before_p = std::pair{p_lo, plateau_end};
        }
      }
    }
    // Largest at the window's start: a slope coming down into the window (the previous T wave's tail, a drifting
    // baseline) stands farther from the PR level than the P wave. The P wave, a hump, is then the largest deviation
    // after that slope has run out (its first trough). On a single beat the hump must rise from that trough by a
    // third of its height or more: a noisy beat's slope carries wiggles that are no P wave, and taken for one they
    // scattered the PRs of MIT-BIH 105, 106 and 108 enough to cost 7 of their 10-s windows their sinus rhythm. QTDB's
    // sel103 (its T-P segment comes down from above the PR level) had 13 of its 30 annotated P waves missed on single
    // beats; now none, and QTDB P on / P off SD 16.0 / 16.7 -> 15.6 / 16.4 ms. MIT-BIH 100-109's 10-s windows stated
    // sinus: 1,166 -> 1,164 (the paced 104 and 107 one fewer each; 105 one fewer, 106 one more), none gains AF; LUDB,
    // `eval rhythm`, `eval beats` and `eval noise` unchanged. Without the third, 1,159.
    if (pk_it == m.begin()) {
      auto trough = m.begin();
      while (trough + 1 != m.end() && *(trough + 1) <= *trough) ++trough;
      const auto hump = std::max_element(trough, m.end());
      const double lowest = *std::min_element(m.begin(), m.end());
      if (c.median_beat || 3 * (*hump - *trough) >= *hump - lowest) pk_it = hump;
    }
    const std::int64_t pk = p_lo + (pk_it - m.begin());
    const double floor_lvl = *std::min_element(m.begin(), m.end());
    const double amp = *pk_it - floor_lvl;
    // Roughness of the window: a P wave is smooth, fibrillation or noise is not.
    double rough = 0;
    for (std::size_t k = 1; k + 1 < m.size(); ++k) rough += std::abs(m[k + 1] - 2 * m[k] + m[k - 1]);
    rough /= double(m.size());
    // On the median beat a P wave is a hump: the deviation rises to its peak by a tenth of its height or more. One
    // already at its height from the window's start is a level, not a wave: the PR window lay on a P wave that
    // starts at the QRS (a junctional rhythm's retrograde P hidden in it), the whole stretch before stood off that
    // level, and a noise bump on it was taken for a P wave 350-400 ms before the QRS: sinus bradycardia and
    // first-degree AV block stated where there is no P wave (p_wave_into_qrs_test.cpp). Not on single beats: a
    // sinus P on the T wave of a premature beat rises from the T wave's level, and losing it made a false AF
    // (af_mimics_test.cpp). Real data unchanged (QTDB, LUDB, MIT-BIH 100-109, the device samples).
    const double rise_from = *std::min_element(m.begin(), pk_it);
    const bool hump = !c.median_beat || *pk_it - rise_from >= 0.1 * amp;
    if (amp >= 20 && hump && pk > p_lo + ms(20) && pk < p_hi - ms(5) && rough < amp * 0.15) {
      // Boundaries from a slow-band slope: walking out from the steepest up/down slopes of the P wave until the
      // slope falls under a fraction of that maximum (robust to a TP level that differs from the PR level).
      // The P wave is sought after 60% of the RR (the previous T wave lies before), but its onset may lie up to 55%:
      // a wide P at a fast rate starts before the search does (LUDB 116 at 92/min: P on 51 ms late, now 18; LUDB
      // dev P on SD 19.8 -> 17.2 ms, 17.1-17.2 in either half of the records; QTDB unchanged; 50% reached into
      // T waves).
      const std::int64_t p_walk_lo =
          std::max(lo + 1, std::max(on - ms(420), previous_r ? *previous_r + rr_prev * 11 / 20 : lo + 1));
      auto walk = [&](auto&& ps, std::int64_t peak) -> std::pair<std::int64_t, std::int64_t> {
        std::int64_t up = peak, down = peak;
        double su = 0, sd = 0;
        const std::int64_t up_from = std::max(p_lo, peak - ms(100)), down_to = std::min(p_hi, peak + ms(60));
        for (std::int64_t k = up_from; k < peak; ++k)
          if (ps(k) > su) su = ps(k), up = k;
        for (std::int64_t k = peak + 1; k < down_to; ++k)
          if (ps(k) > sd) sd = ps(k), down = k;
        std::int64_t a = up, b = down;
        while (a > p_walk_lo && ps(a) > 0.2 * su) --a;
        if (a == p_walk_lo) {  // the previous T wave still slopes at the window start: take the flattest point instead
          double lowest = ps(up);
          for (std::int64_t k = p_walk_lo; k < up; ++k)
            if (ps(k) < lowest) lowest = ps(k), a = k;
        }
        while (b < p_hi - 1 && ps(b) > 0.5 * sd) ++b;
        return {a, b};
      };
      struct LeadP { std::size_t lead; std::int64_t on, off; };
      std::vector<LeadP> lead_p;
      auto [a, b] = walk([&](std::int64_t k) {
        double v = 0;
        for (std::size_t l = 0; l < nl; ++l) v += std::abs(w.s(l, k + 1) - w.s(l, k - 1));
        return v;
      }, pk);
      // Each lead whose P wave is clear (40% of the largest) is bounded alone on its wavelet transform
      // (detail::p_bounds_wt, wavelet.cpp); the global onset is an early quantile of the leads' onsets (the 15th
      // percentile: the third earliest of twelve, the earliest of up to four), the end the matching late one, so
      // that no single lead's mistake moves them. Against the previous per-lead walks on the 12 Hz slope (to 20% /
      // 50% of its maximum, combined by agreement with the median lead), LUDB dev P on / P off SD per lead 16.4 /
      // 17.6 -> 13.1 / 13.3 ms, global 17.2 / 17.1 -> 16.6 / 13.6 (the global P-on reference, the earliest of twelve
      // leads' marks, lies itself 16 ms SD from the median lead's). The slope walks ran on through the low slopes at
      // the edges of the wave (per lead 15 ms early, 17 ms late); |W| at 2^4 falls off cleanly, and the lobe rule
      // keeps the maxima on the P wave's own flanks. The onset threshold (40% of the maximum; Martínez: 50%) leaves
      // the onset 6 ms early per lead and 6 ms late against the earliest of the twelve marks, where 50% gave -3 and
      // +10. The summed-slope walk stays for a P wave no lead shows at 20 µV.
      {
        std::vector<double> lead_amp(nl, 0);
        std::vector<std::int64_t> lead_pk(nl, pk);
        double amax = 0;
        const std::int64_t near_p_lo = std::max(p_lo, pk - ms(40)), near_p_hi = std::min(p_hi, pk + ms(40));
        for (std::size_t l = 0; l < nl; ++l) {
          for (std::int64_t k = near_p_lo; k < near_p_hi; ++k)
            if (std::abs(w.s(l, k) - base[l]) > lead_amp[l]) lead_amp[l] = std::abs(w.s(l, k) - base[l]), lead_pk[l] = k;
          amax = std::max(amax, lead_amp[l]);
        }
        std::vector<std::int64_t> ons, offs, settled;
        std::vector<float> wt;
        const int level = detail::spline_wt_scale(fs, 4);
        // Where a lead has settled at its PR-segment level (the PR baseline window, pr_baseline): walking back from the
        // window's end, the last sample after the P peak at which the 40 Hz band stands off the window's mean by more
        // than twice the window's own scatter (noise) or a tenth of the lead's P amplitude (a floor for noise-free
        // median beats), plus one. The wavelet at 2^4 spans some 100 ms: the QRS's lobe or a slow PR drift holds |W|
        // up after the P wave has ended, and the wavelet end ran on into the flat PR segment (QTDB sel100's signal is
        // back at the PR level 20 ms before it; P off mean per record: sel16265 +17 -> +1 ms, sel100 +19 -> +13; a
        // synthetic P ending 40-100 ms before the QRS: +10 -> 0 to +7, p_wave_end_test.cpp). A window scattered by more
        // than a quarter of the P amplitude is no flat segment (the P wave runs into the QRS, or the PR drifts): no
        // level to settle at, and the lead keeps its wavelet end (a synthetic P ending 20 ms before the QRS: 15-18 ms
        // early without this).
        auto settled_at = [&](std::size_t l, std::int64_t wavelet_end) {
          double mean = 0, var = 0;
          for (std::int64_t k = b0; k <= b_end; ++k) mean += w.q(l, k);
          mean /= double(b_end - b0 + 1);
          for (std::int64_t k = b0; k <= b_end; ++k) var += (w.q(l, k) - mean) * (w.q(l, k) - mean);
          const double scatter = 2 * std::sqrt(var / double(b_end - b0 + 1));
          if (scatter > 0.25 * lead_amp[l]) return wavelet_end;
          const double tol = std::max(scatter, 0.1 * lead_amp[l]);
          std::int64_t k = b_end;
          while (k > lead_pk[l] && std::abs(w.q(l, k) - mean) <= tol) --k;
          return std::min(wavelet_end, k + 1);
        };
        for (std::size_t l = 0; l < nl; ++l) {
          if (lead_amp[l] < 0.4 * amax || lead_amp[l] < 20) continue;
          detail::spline_wt(w.qrs_band[l].data(), w.qrs_band[l].size(), level, std::size_t(p_walk_lo - lo),
                            std::size_t(p_hi - lo), wt);
          const double polarity = w.s(l, lead_pk[l]) > base[l] ? 1 : -1;
          auto [la, lb] = detail::p_bounds_wt(wt, lo, polarity, lead_pk[l], p_walk_lo, p_hi, ms(100), ms(80), ms(20));
          ons.push_back(la), offs.push_back(lb);
          settled.push_back(settled_at(l, lb));
          lead_p.push_back({l, la, lb});
        }
        // With fewer than three such leads (two-lead Holter and QTDB records) there is no quantile to take: the onset
        // is the later of the summed-slope walk's and the earliest clear lead's wavelet onset. Both tend early (the
        // walk runs on through the low slopes before the wave; the earliest of the leads is the early one), so the
        // later of the two is the one less often misled. QTDB P on -15.2 +- 20.5 -> -5.5 +- 16.4 ms; LUDB reduced to
        // leads II and V5 (other annotators, 500 Hz) -12.5 +- 22.8 -> -5.7 +- 20.3. The earliest lead's onset alone:
        // QTDB 18.3, 12-lead LUDB 16.6 -> 17.7, and the PR of single beats moved enough to change the rhythm rule's
        // count of beats at a steady PR (MIT-BIH 100-109 false AF windows 3 -> 4). With the later of the two, 12-lead
        // LUDB does not change: where only one or two of its leads are clear, the walk's onset is already the later.
        // The end is the latest lead's (QTDB P off SD 20.2 -> 18.7 ms). Whatever the number of leads, the end is then
        // no later than the latest clear lead's settling at its PR level (settled_at): LUDB P off SD 13.6 -> 13.0 ms
        // (odd records 15.1 -> 14.6, even 11.8 -> 11.1; mean 0.4 -> -3.9), QTDB 18.3 -> 17.6 (mean 11.5 -> 5.5). Not
        // the earlier of two leads: QTDB without the paced sel104 10.8 against 12.6, but each lead's end is held at the
        // global one, and the better-lead score (Martinez's convention) went 16.3 -> 17.9 (docs/ecg.md, seventh pass).
        if (!ons.empty()) {
          std::sort(ons.begin(), ons.end());
          std::sort(offs.begin(), offs.end());
          const std::size_t q = std::size_t(std::lround(0.15 * double(ons.size() - 1)));
          a = ons.size() >= 3 ? ons[q] : std::max(a, ons.front());
          b = offs[offs.size() - 1 - q];
          b = std::min(b, *std::max_element(settled.begin(), settled.end()));
        }
      }
      if (b - a >= ms(40) && b - a <= ms(250)) {
        f.p_on = a;
        f.p_peak = pk;
        f.p_off = b;
        for (const auto& p : lead_p) f.per_lead[p.lead].p_on = p.on, f.per_lead[p.lead].p_off = p.off;
      }
    }
  }
}

}  // namespace teledx::ecg::detail
