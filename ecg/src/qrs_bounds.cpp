// QRS boundaries of one beat (delineate_beat(), delineation.cpp): per lead from its slope, combined over the leads,
// with a paced QRS started after its stimulus.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <vector>

#include "delineation_internal.hpp"

namespace teledx::ecg::detail {
namespace {

/// Samples a lead's slope must stay low to end the QRS (12 ms).
std::int64_t quiet_samples(double fs) { return std::max<std::int64_t>(2, std::llround(12 * fs / 1000.0)); }

/// First sample after a pacemaker stimulus in [from, to): after a bridged spike, or after the last hold in which
/// every lead moves under 1.5 µV per sample for 10 ms or more (a recorder's blanking of the stimulus: 14-16 ms in
/// LUDB 90 and 34; with 12 noisy leads no ECG stays this still). The last hold, because a noise-free signal (a
/// simulator, a synthetic test) is still all along a flat PR segment too; and 10 ms, because LUDB 111 holds 8 ms for
/// the blanking and 8 ms again after the step that follows it. 0 when there is none. Holds need three leads or more:
/// one or two coarsely quantised leads can sit still in a flat PR segment of a real ECG.
std::int64_t stimulus_end(const LeadSet& set, const BeatWindow& w, std::int64_t from, std::int64_t to) {
  for (auto e : w.spike_ends)
    if (e > from && e <= to) return e;
  if (set.leads.size() < 3) return 0;
  const std::int64_t need = std::max<std::int64_t>(3, std::llround(10 * set.sample_rate_hz / 1000.0));
  auto still_at = [&](std::int64_t k) {  // every lead moves under 1.5 µV from sample k - 1 to k
    for (const auto& l : set.leads)
      if (std::abs(l.uv[std::size_t(k)] - l.uv[std::size_t(k - 1)]) > 1.5f) return false;
    return true;
  };
  // A blanking holds 8-16 ms. A noise-free ECG (a synthetic strip, a simulator's file) holds still along its whole
  // flat PR segment (60 ms and more), and its QRS steps off it: read as a blanking, every such ECG at 250 or 500 Hz
  // was "paced rhythm". A hold still longer than 30 ms, counted back past the search's start, is a flat segment.
  // (Limits of 20-50 ms give the same on the development data: LUDB 34, 90 and 111 paced, their onsets unchanged.)
  const std::int64_t longest = std::max<std::int64_t>(need + 1, std::llround(30 * set.sample_rate_hz / 1000.0));
  std::int64_t run = 0, last = 0;
  const std::int64_t first = std::max<std::int64_t>(from, 1);
  for (std::int64_t k = first; k < to; ++k) {
    if (still_at(k)) { ++run; continue; }
    if (run >= need) {
      std::int64_t held = run;
      for (std::int64_t j = k - run - 1; j >= 1 && held <= longest && still_at(j); --j) ++held;
      if (held <= longest) last = k;
    }
    run = 0;
  }
  return last;
}

}  // namespace

std::optional<QrsBounds> delineate_qrs(const BeatContext& c, Fiducials& f) {
  // The beat's context under the short names the rules below were written with.
  const LeadSet& set = c.set;
  const BeatWindow& w = c.w;
  const double fs = c.fs;
  const std::size_t nl = c.nl;
  const std::int64_t r = c.r, lo = c.lo, hi = c.hi;
  const auto ms = [&c](double v) { return c.ms(v); };

  // QRS boundaries per lead, then combined: the CSE reference is global (earliest onset, latest end over the
  // leads), and a slope envelope summed over leads is dominated by the biggest leads, whose complexes often start
  // after a small lead's (LUDB dev: onset error 8 +- 15 ms with the sum, 7 +- 11 per lead). A lead's end is where
  // its slope falls under 3.5% of its own steepest QRS slope above the floor, but never under 4% of the steepest
  // lead's: on a noise-free median beat a small lead's floor is near zero, and its end would wander into the ST
  // segment (QRS 20 ms longer than the Mortara and HL7 devices' own measurement). The onset has its own rule below.
  std::vector<double> summed(std::size_t(hi - lo), 0);
  // Loop bounds computed once: ms() rounds with llround, which the compiler cannot hoist out of a loop condition.
  const std::int64_t near_lo = std::max(lo, r - ms(60)), near_hi = std::min(hi - 1, r + ms(60));
  const std::int64_t on_limit = std::max(lo + quiet_samples(fs), r - ms(160));
  const std::int64_t off_limit = std::min(hi - 1 - quiet_samples(fs), r + ms(180));
  struct LeadQrs { std::int64_t on, off; double smax; };
  const std::int64_t quiet = quiet_samples(fs);
  // The floor is a percentile of one sample every 8 ms: as good for a floor, and this runs for every lead of every
  // beat delineated (the full percentile was a third of the delineation's time).
  const std::size_t stride = std::max<std::size_t>(1, std::size_t(fs / 125));
  std::vector<double> sorted;
  auto bounds_of = [&](const std::vector<double>& sv, double k_on, double k_off, double min_th) -> std::optional<LeadQrs> {
    auto sl = [&](std::int64_t k) { return sv[std::size_t(std::clamp(k, lo, hi - 1) - lo)]; };
    double smax = 0;
    std::int64_t kmax = r;
    for (std::int64_t k = near_lo; k <= near_hi; ++k)
      if (sl(k) > smax) smax = sl(k), kmax = k;
    if (smax <= 0) return std::nullopt;
    // Thresholds above the slope floor (noise and slow waves: a low percentile of the window), as fractions of
    // the slope range chosen on QTDB/LUDB dev, where they balance QTDB's later and LUDB's earlier QRS ends.
    sorted.clear();
    for (std::size_t k = 0; k < sv.size(); k += stride) sorted.push_back(sv[k]);
    std::nth_element(sorted.begin(), sorted.begin() + std::ptrdiff_t(sorted.size() / 5), sorted.end());
    const double floor_s = sorted[sorted.size() / 5];
    const double th_on = std::max(min_th, floor_s + k_on * (smax - floor_s));
    const double th_off = std::max(min_th, floor_s + k_off * (smax - floor_s));
    // Onset: walking back from the steepest point, the first point where the slope stays under the threshold
    // for `quiet` samples; the end likewise forward (one pass, counting the run of low samples).
    std::int64_t on = std::max(lo, r - ms(160)), run = 0;
    for (std::int64_t j = std::min(r, kmax); j > on_limit - quiet + 1; --j) {
      run = sl(j) < th_on ? run + 1 : 0;
      if (run == quiet) { on = j + quiet - 1; break; }
    }
    std::int64_t off = std::min(hi - 1, r + ms(180));
    run = 0;
    bool found = false;
    for (std::int64_t j = std::max(r, kmax); j < off_limit + quiet - 1; ++j) {
      run = sl(j) < th_off ? run + 1 : 0;
      if (run == quiet) { off = j - quiet + 1; found = true; break; }
    }
    // No such run before the limit: the T wave rises straight out of the S wave (paced and bundle-branch-blocked
    // beats; QTDB 102, 14046), and the limit put the end 100 ms late, on the T wave. The end is then the first
    // trough of the slope under a fifth of its range after the last point steeper than 40% of it: where the QRS's
    // last deflection gives way to the slower T wave (QTDB QRS off SD of 102: 40 -> 13 ms, of 14046: 19 -> 5). At
    // half the range, the later, smaller deflections of a wide paced QRS in a small lead were cut off (LUDB 111, I).
    if (!found) {
      std::int64_t from = std::max(r, kmax);
      for (std::int64_t j = from; j < off_limit; ++j)
        if (sl(j) >= floor_s + 0.4 * (smax - floor_s)) from = j;
      for (std::int64_t j = from + 1; j < off_limit; ++j)
        if (sl(j) < floor_s + 0.2 * (smax - floor_s) && sl(j) <= sl(j - 1) && sl(j) <= sl(j + 1)) { off = j; break; }
    }
    return LeadQrs{on, off, smax};
  };
  std::vector<std::vector<double>> per_lead(nl, std::vector<double>(std::size_t(hi - lo), 0));
  double top = 0, top_on = 0;
  const std::int64_t span = std::max<std::int64_t>(1, ms(8));
  auto onset_slope = [&](std::size_t l, std::int64_t k) -> double { return std::abs(w.q(l, k + span) - w.q(l, k - span)); };
  for (std::size_t l = 0; l < nl; ++l) {
    for (std::int64_t k = lo + 1; k < hi - 1; ++k) {
      const double d = std::abs(w.q(l, k + 1) - w.q(l, k - 1));
      per_lead[l][std::size_t(k - lo)] = d;
      summed[std::size_t(k - lo)] += d;
      if (k >= near_lo && k <= near_hi) top = std::max(top, d);
    }
    for (std::int64_t k = std::max(near_lo, lo + span); k <= std::min(near_hi, hi - span - 1); ++k)
      top_on = std::max(top_on, onset_slope(l, k));
  }
  // QRS ends from the band with stimuli bridged (below 400 Hz): a stimulus's slope would set the thresholds, and the
  // still line after it would end the QRS before the paced complex has begun (QTDB 104). Onsets keep the stimulus,
  // where QTDB's annotators start a paced QRS.
  std::vector<std::vector<double>> per_lead_b;
  std::vector<double> summed_b;
  if (!w.bridged.empty()) {
    per_lead_b.assign(nl, std::vector<double>(std::size_t(hi - lo), 0));
    summed_b.assign(std::size_t(hi - lo), 0);
    for (std::size_t l = 0; l < nl; ++l)
      for (std::int64_t k = lo + 1; k < hi - 1; ++k) {
        per_lead_b[l][std::size_t(k - lo)] = std::abs(w.qb(l, k + 1) - w.qb(l, k - 1));
        summed_b[std::size_t(k - lo)] += per_lead_b[l][std::size_t(k - lo)];
      }
  }
  const auto& per_lead_off = w.bridged.empty() ? per_lead : per_lead_b;
  // A lead's onset: walking back from its steepest point, the first point where the slope across +-8 ms stays under
  // 4% of that steepest slope (and under 3% of the steepest lead's) for `quiet` samples. The start of a QRS is slow
  // and small, and over +-1 sample (as for the end) it drowns in noise; no noise floor is subtracted either, since
  // the agreement rule below and the summed onset bound the noisy leads (with the floor: same SD, and the percentile
  // cost a sixth of the delineation's time). LUDB dev, paced records aside: onset SD 8.8 -> 7.9 ms. A 1% floor gave
  // 7.7 on LUDB's single beats but, on the noise-free median beats of the Mortara, HL7 and GE samples, QRS 6-8 ms
  // longer (already longer than those devices measure) and GE's PR 26 ms longer; wider spans put the onset of a
  // synthetic beat before its QRS.
  auto onset_of = [&](std::size_t l) {
    auto sl = [&](std::int64_t k) { return k < lo + span || k >= hi - span ? 0.0 : onset_slope(l, k); };
    double smax = 0;
    std::int64_t kmax = r;
    for (std::int64_t k = near_lo; k <= near_hi; ++k)
      if (sl(k) > smax) smax = sl(k), kmax = k;
    const double th = std::max(0.03 * top_on, 0.04 * smax);
    std::int64_t on = std::max(lo, r - ms(160)), run = 0;
    for (std::int64_t j = std::min(r, kmax); j > on_limit - quiet + 1; --j) {
      run = sl(j) < th ? run + 1 : 0;
      if (run == quiet) { on = j + quiet - 1; break; }
    }
    return on;
  };
  const auto whole = bounds_of(summed, 0.03, 0.035, 0.0);
  if (!whole) return std::nullopt;
  const auto whole_b = w.bridged.empty() ? whole : bounds_of(summed_b, 0.03, 0.035, 0.0);
  const std::int64_t whole_off = whole_b ? whole_b->off : whole->off;
  // Leads where the QRS is clearly present (a fifth of the steepest lead's slope) vote; the global onset is the
  // earliest lead onset within 8 ms of the median one (a lead whose noise or P wave runs into the QRS cannot drag
  // it; with 20 ms, noisy limb leads pulled it early under the lower onset threshold), the end the latest within
  // 20 ms. A lead's onset more than 20 ms before the summed envelope's is a P wave running into a small QRS (aVF
  // of LUDB 89): it is held there (per-lead onset SD 20 -> 14 ms; the global one does not change). With fewer than
  // three such leads there is no median to agree with: the summed envelope ends the QRS, the spatial velocity (below)
  // starts it.
  // A lead's end found on a still stretch inside the QRS (the flat top or trough of a wide paced or blocked
  // complex, 12 ms at 250 Hz being three samples) is not its end when the lead moves steeply again before the summed
  // envelope's end: the search resumes after its last slope of a third of its steepest there.
  auto resumed_end = [&](const std::vector<double>& sv, std::int64_t off, double smax) {
    const std::int64_t until = std::min(whole_off, off_limit);
    for (int pass = 0; pass < 4 && off < until; ++pass) {
      std::int64_t last = -1;
      for (std::int64_t j = off + 1; j <= until; ++j)
        if (sv[std::size_t(j - lo)] >= smax / 3) last = j;
      if (last < 0) break;
      const double th = std::max(0.04 * top, 0.035 * smax);
      std::int64_t run = 0, next = until;
      for (std::int64_t j = last; j < off_limit + quiet - 1; ++j) {
        run = sv[std::size_t(j - lo)] < th ? run + 1 : 0;
        if (run == quiet) { next = j - quiet + 1; break; }
      }
      off = std::max(off, next);
    }
    return off;
  };
  std::vector<std::int64_t> ons, offs;
  for (std::size_t l = 0; l < nl; ++l) {
    double smax = 0;
    for (std::int64_t k = near_lo; k <= near_hi; ++k) smax = std::max(smax, per_lead[l][std::size_t(k - lo)]);
    if (smax < 0.2 * top) continue;
    if (auto b = bounds_of(per_lead_off[l], 0.03, 0.035, 0.04 * top)) {
      const std::int64_t lon = std::max(onset_of(l), whole->on - ms(20));
      const std::int64_t loff = resumed_end(per_lead_off[l], b->off, b->smax);
      ons.push_back(lon), offs.push_back(loff);
      f.per_lead[l].qrs_on = lon, f.per_lead[l].qrs_off = loff;
    }
  }
  std::sort(ons.begin(), ons.end());
  std::sort(offs.begin(), offs.end());
  // With fewer than three voting leads (QTDB's two, a Holter's) the onset is the spatial velocity's: the root sum of
  // squares over the leads of the slope across +-8 ms, which rises as soon as either lead moves, where the summed +-1
  // sample envelope follows the bigger lead and its noise. Walking back from its peak, the first point where it stays
  // for `quiet` samples under its floor (as in bounds_of) plus 5% of its range above it, Martinez 2004's fraction for
  // the onset. QTDB QRS on 2.9 +- 10.3 -> 3.9 +- 8.9 ms (paced sel102/104 12.2 -> 10.2, the other eight 8.2 -> 7.7), on
  // LUDB's dev records reduced to II and V5 (other rate and annotators) -0.4 +- 16.4 -> 3.7 +- 13.4; without the
  // floor QTDB 9.1 but LUDB's two leads 18.4 (noise holds the velocity above 5% of the peak).
  auto spatial_onset = [&]() -> std::int64_t {
    std::vector<double> v(std::size_t(hi - lo), 0.0);
    double vmax = 0;
    std::int64_t kv = r;
    for (std::int64_t k = lo + span; k < hi - span; ++k) {
      double s2 = 0;
      for (std::size_t l = 0; l < nl; ++l) s2 += onset_slope(l, k) * onset_slope(l, k);
      v[std::size_t(k - lo)] = std::sqrt(s2);
      if (k >= near_lo && k <= near_hi && v[std::size_t(k - lo)] > vmax) vmax = v[std::size_t(k - lo)], kv = k;
    }
    sorted.clear();
    for (std::size_t k = 0; k < v.size(); k += stride) sorted.push_back(v[k]);
    std::nth_element(sorted.begin(), sorted.begin() + std::ptrdiff_t(sorted.size() / 5), sorted.end());
    const double floor_v = sorted[sorted.size() / 5], th = floor_v + 0.05 * (vmax - floor_v);
    if (vmax <= floor_v) return whole->on;
    std::int64_t at = std::max(lo, r - ms(160)), run = 0;
    for (std::int64_t j = std::min(r, kv); j > on_limit - quiet + 1; --j) {
      run = v[std::size_t(j - lo)] < th ? run + 1 : 0;
      if (run == quiet) { at = j + quiet - 1; break; }
    }
    return at;
  };
  std::int64_t on = ons.size() >= 3 ? whole->on : spatial_onset(), off = whole_off;
  if (ons.size() >= 3) {
    const std::int64_t agree_on = ms(8), agree_off = ms(20);
    const std::int64_t mid_on = ons[(ons.size() - 1) / 2], mid_off = offs[offs.size() / 2];
    on = mid_on, off = mid_off;
    for (auto v : ons)
      if (v >= mid_on - agree_on) { on = v; break; }
    for (auto v : offs)
      if (v <= mid_off + agree_off) off = std::max(off, v);
  }
  // A paced QRS starts after its stimulus. Recorders show the stimulus as a spike (bridged in make_window) or blank
  // it: all leads held still for a few samples, then a step (LUDB 90, 111). The low-pass and a slow slope before the
  // stimulus put the onset 20-30 ms early there; it is moved to the first sample after the spike or the hold.
  if (const std::int64_t paced = stimulus_end(set, w, on, r); paced > on) {
    on = paced;
    f.pacing_stimulus = paced;
    for (auto& b : f.per_lead)
      if (b.qrs_on && *b.qrs_on < paced) b.qrs_on = paced;
  }
  f.qrs_on = on;
  f.qrs_off = off;
  return QrsBounds{on, off};
}

}  // namespace teledx::ecg::detail
