// QRS detection: band-pass 5-18 Hz, absolute slope normalised per lead, centred moving-window integration, then
// Hamilton-Tompkins decision rules (adaptive thresholds from QRS/noise peak medians, search-back at 1.5 RR for
// sharp, QRS-like peaks only, refractory period, T-wave slope test), run on each lead; the lead whose beats stand
// out best is kept, and its close calls between rival complexes are settled by all leads together.
// Polarity-independent.
#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <numbers>

#include "analysis_internal.hpp"
#include "filters_internal.hpp"
#include "qrs_features.hpp"
#include "teledx/ecg/processing.hpp"

namespace teledx::ecg {
namespace {
using detail::Biquad;
using detail::Feature;
using detail::max_of;
using detail::Peak;

/// Median of up to 8 recent values.
struct Recent {
  std::array<double, 8> v{};
  int n = 0, pos = 0;
  // The median is asked for several times per candidate peak (thresholds, T-wave test, rhythm) and changes only on
  // a push: sorting each time was most of detect_on's time.
  mutable double cached = 0;
  mutable bool stale = false;
  void push(double x) { v[std::size_t(pos)] = x; pos = (pos + 1) % 8; n = std::min(n + 1, 8); stale = true; }
  void replace_last(double x) { v[std::size_t((pos + 7) % 8)] = x; stale = true; }
  double median() const {
    if (!stale) return cached;
    stale = false;
    return cached = sorted_median();
  }
  double sorted_median() const {
    if (n == 0) return 0;
    std::array<double, 8> c = v;
    if (n == 8) {
      // Once full (nearly always), a sorting network (Knuth's 19 exchanges for 8): no data-dependent branches,
      // whose mispredictions in the insertion sort below were most of detect_on's time. The same sorted values, so
      // the same median.
      static constexpr int net[19][2] = {{0, 2}, {1, 3}, {4, 6}, {5, 7}, {0, 4}, {1, 5}, {2, 6}, {3, 7}, {0, 1}, {2, 3},
                                         {4, 5}, {6, 7}, {2, 4}, {3, 5}, {1, 4}, {3, 6}, {1, 2}, {3, 4}, {5, 6}};
#pragma GCC unroll 19
      for (const auto& e : net) {
        const double lo = std::min(c[std::size_t(e[0])], c[std::size_t(e[1])]);
        const double hi = std::max(c[std::size_t(e[0])], c[std::size_t(e[1])]);
        c[std::size_t(e[0])] = lo, c[std::size_t(e[1])] = hi;
      }
      return (c[3] + c[4]) / 2;
    }
    for (int i = 1; i < n; ++i)  // insertion sort: n <= 8
      for (int j = i; j > 0 && c[std::size_t(j - 1)] > c[std::size_t(j)]; --j) std::swap(c[std::size_t(j - 1)], c[std::size_t(j)]);
    return n % 2 ? c[std::size_t(n / 2)] : (c[std::size_t(n / 2 - 1)] + c[std::size_t(n / 2)]) / 2;
  }
  /// Recent values spread over less than 60% of their median (sinus-like, not atrial fibrillation).
  bool regular() const {
    if (n < 4) return false;
    double lo = v[0], hi = v[0];
    for (int i = 1; i < n; ++i) lo = std::min(lo, v[std::size_t(i)]), hi = std::max(hi, v[std::size_t(i)]);
    return hi - lo < 0.6 * median();
  }
  double mean() const {
    double s = 0;
    for (int i = 0; i < n; ++i) s += v[std::size_t(i)];
    return n ? s / n : 0;
  }
};


struct LeadDetection {
  std::vector<Peak> beats;
  double median_h = 0;    // median beat peak of the normalised integral
  double separation = 0;  // median QRS peak over mean noise peak: how cleanly beats stand out in this lead
  double level = 0;       // median beat peak in µV/sample: how steep this lead's beats are
};

/// Support for a QRS at a time from all leads together (empty: this lead decides alone).
using Support = std::function<double(std::int64_t)>;

/// Dominant frequency (Hz) of the band-passed lead `x` around a complex whose integral peaks at `t`: the RMS of
/// its first difference over its RMS, within +-60 ms of its largest deflection (sought within +-80 ms of `t`).
double pitch_at(const std::vector<float>& x, std::int64_t t, double fs) {
  const std::int64_t n = std::int64_t(x.size()), r = std::int64_t(0.08 * fs), w = std::int64_t(0.06 * fs);
  std::int64_t fid = t;
  float big = -1;
  for (std::int64_t k = std::max<std::int64_t>(0, t - r); k <= std::min(n - 1, t + r); ++k)
    if (std::abs(x[std::size_t(k)]) > big) big = std::abs(x[std::size_t(k)]), fid = k;
  double sx = 0, sd = 0;
  for (std::int64_t k = std::max<std::int64_t>(1, fid - w); k <= std::min(n - 1, fid + w); ++k) {
    const double v = x[std::size_t(k)], d = v - x[std::size_t(k - 1)];
    sx += v * v, sd += d * d;
  }
  return sx > 0 ? std::sqrt(sd / sx) * fs / (2 * std::numbers::pi) : 0;
}

/// `support`, when given, settles close calls between two rival complexes (see detect_qrs).
LeadDetection detect_on(const Feature& f, double fs, const QrsOptions& o, const Support& support = {}) {
  const std::size_t n = f.mwi.size();

  const std::vector<Peak>& cand = f.cand;

  // Initial levels from the first 8 s: median of 1-s maxima.
  Recent qrs, noise, rr, slopes;
  {
    const std::size_t init = std::min(n, std::size_t(8 * fs));
    for (std::size_t s = 0; s + std::size_t(fs) <= init; s += std::size_t(fs))
      qrs.push(max_of(f.mwi.data() + s, f.mwi.data() + s + std::size_t(fs)));
  }
  const double typical = f.typical;  // against which a burst of noise is recognised (recover_level)
  const double kTh = 0.45;
  auto threshold = [&] {
    const double q = qrs.median(), nz = noise.n ? noise.mean() : 0;
    return nz + kTh * (q - nz);
  };
  const std::int64_t refractory = std::int64_t(o.refractory_s * fs);
  const std::int64_t twin = std::int64_t(o.t_wave_window_s * fs);
  std::vector<Peak> beats;
  std::vector<Peak> pending;  // sub-threshold peaks since the last beat (search-back pool)

  auto accept = [&](const Peak& p) {
    if (!beats.empty()) {
      const double interval = double(p.t - beats.back().t);
      // Only plausible intervals feed the RR average (an ectopic or missed beat must not stretch it).
      const double m = rr.mean();
      if (rr.n < 2 || (interval > 0.5 * m && interval < 1.6 * m)) rr.push(interval);
      else if (rr.n < 8) rr.push(interval);
    }
    beats.push_back(p);
    qrs.push(p.h);
    slopes.push(p.slope);
    pending.clear();
  };
  // Inside the T-wave window a complex must be steep: at least half the previous beat's slope (Hamilton-Tompkins)
  // and, since an interval this short is rare, nearly as steep as the typical beat (tall, peaked T waves).
  auto is_t_wave = [&](const Peak& p) {
    return !beats.empty() && p.t - beats.back().t < twin &&
           p.slope < 0.9 * std::max(beats.back().slope, slopes.median());
  };
  // The larger of two rivals wins, unless they are close in size and the other leads clearly prefer the smaller.
  auto prefer = [&](const Peak& a, const Peak& b) {
    if (support && std::min(a.h, b.h) >= 0.6 * std::max(a.h, b.h)) return support(a.t) > support(b.t);
    return a.h > b.h;
  };
  // A peak taken by search-back must turn as sharply as a QRS: its slope times its dominant frequency, each relative
  // to the recent beats', at least 0.15. In a pause of blocked P waves (AV block) on one or two leads, a large P
  // wave passes the half threshold; it is smooth, so both its slope (0.14 of the beats') and its frequency in the
  // 5-18 Hz band (0.66 of theirs) are low: product 0.07-0.10. Real beats search-back finds on MIT-BIH 100-109 (PVCs,
  // paced and noisy beats, 104 above all) are low in one or the other, never both: 0.22 at the least.
  // Slope alone separates too narrowly (0.14 against 0.22: at 0.25 real beats were lost); frequency alone (0.66
  // against 0.72) and how concentrated the energy is (0.54 against 0.54) even less.
  // Pitches are computed only when a search-back asks (each beat's once): for every beat it cost 1.5% of analyze().
  auto pitch_of = [&](Peak& p) {
    if (p.pitch < 0) p.pitch = pitch_at(f.bp.front(), p.t, fs);
    return p.pitch;
  };
  auto like_qrs = [&](Peak& p) {
    Recent beat_pitch;
    for (std::size_t i = beats.size() > 8 ? beats.size() - 8 : 0; i < beats.size(); ++i)
      beat_pitch.push(pitch_of(beats[i]));
    return p.slope * pitch_of(p) >= 0.15 * slopes.median() * beat_pitch.median();
  };
  auto search_back = [&](std::int64_t now) {
    while (!beats.empty() && rr.n >= 2 && double(now - beats.back().t) > 1.5 * rr.mean() && !pending.empty()) {
      const double th2 = 0.5 * threshold();
      const Peak* best = nullptr;
      for (auto& p : pending)
        if (p.t - beats.back().t >= refractory && p.h >= th2 && !is_t_wave(p) && like_qrs(p) &&
            (!best || prefer(p, *best)))
          best = &p;
      if (!best) break;
      Peak b = *best;
      std::vector<Peak> rest;
      for (const auto& p : pending)
        if (p.t > b.t) rest.push_back(p);
      accept(b);
      pending = std::move(rest);
    }
  };

  // A lead whose beats suddenly shrink (an electrode's contact changing in a long recording) falls under the
  // threshold for good: search-back takes peaks down to half of it only, and a fifth of the size was then missed for
  // the rest of the record, with a "pause" flagged where none was (MIT-BIH 101 at a fifth of its gain after 60 s:
  // 67 of 140 beats lost). After 2 s and 2.5 RR without a beat, the pending peaks are looked at again for the same
  // beats at a smaller size: peaks as sharp as the recent beats (their dominant frequency, which does not scale with
  // the gain, at least 85% of the beats'; P and T waves are at two thirds), at least a tenth of the beats' size (a
  // real pause's noise is smaller), then the largest of them and those at least half its size: three or more, at
  // 25-210/min. The levels restart from them. A pause of P waves alone is smooth and stays a pause.
  auto recover_level = [&](std::int64_t now) {
    if (beats.empty() || rr.n < 4 || pending.size() < 3) return;
    if (double(now - beats.back().t) < std::max(2.0 * fs, 2.5 * rr.mean())) return;
    // Recent "beats" over twice the record's typical size were a burst of noise (its peaks are as sharp as QRS
    // complexes, so the pitch says nothing): the beats are then sought among the pending peaks of the record's
    // typical size, at least 0.3 of it (P waves and noise between beats are smaller), the burst's own peaks (over
    // three times it) left out. At three times, paced MIT-BIH 104 after 2-mV bursts stayed lost (its beats are 2.3
    // times below the burst's level); twice finds them and changes nothing else measured (see docs/ecg.md).
    const bool after_burst = typical > 0 && qrs.median() > 2 * typical;
    Recent beat_pitch;
    if (!after_burst)
      for (std::size_t i = beats.size() > 8 ? beats.size() - 8 : 0; i < beats.size(); ++i)
        beat_pitch.push(pitch_of(beats[i]));
    const double floor_h = after_burst ? 0.3 * typical : 0.1 * qrs.median();
    std::vector<Peak> sharp;
    double hmax = 0;
    for (auto& q : pending)
      if (q.t - beats.back().t >= refractory && q.h >= floor_h &&
          (after_burst ? q.h <= 3 * typical : pitch_of(q) >= 0.85 * beat_pitch.median())) {
        sharp.push_back(q);
        hmax = std::max(hmax, q.h);
      }
    std::vector<Peak> found;
    for (const auto& q : sharp)
      if (q.h >= 0.5 * hmax && (found.empty() || q.t - found.back().t >= refractory)) found.push_back(q);
    if (found.size() < 3) return;
    const double per_min = double(found.size() - 1) * 60.0 * fs / double(found.back().t - found.front().t);
    if (per_min < 25 || per_min > 210) return;
    std::vector<Peak> rest;
    for (const auto& q : pending)
      if (q.t > found.back().t) rest.push_back(q);
    qrs = Recent{}, noise = Recent{}, slopes = Recent{};
    for (const auto& q : found) accept(q);
    pending = std::move(rest);
  };

  for (const Peak& p : cand) {
    search_back(p.t);
    recover_level(p.t);
    // Within the refractory period two complexes cannot both be QRS: keep the larger. While the rhythm is regular
    // and slow enough that a shorter interval is implausible, the period extends to half the RR (at most 300 ms):
    // big P waves then lose against their QRS. An irregular rhythm (AF) keeps the plain refractory period.
    const double close = rr.n >= 4 && rr.regular() ? std::clamp(0.5 * rr.median(), double(refractory), 0.30 * fs)
                                                   : double(refractory);
    if (!beats.empty() && double(p.t - beats.back().t) < close) {
      if (prefer(p, beats.back())) {
        beats.back() = p;
        qrs.replace_last(p.h);
      }
      continue;
    }
    // A steep complex shortly after a weak "beat": the weak one was a P wave or an artefact; keep the steep one.
    if (!beats.empty() && p.t - beats.back().t < twin && p.h >= threshold() && p.slope > 2 * beats.back().slope &&
        beats.back().slope < 0.5 * slopes.median()) {
      beats.back() = p;
      qrs.replace_last(p.h);
      slopes.replace_last(p.slope);
      continue;
    }
    if (p.h >= threshold() && !is_t_wave(p)) {
      accept(p);
    } else {
      // A T wave is not noise: counting tall T waves as noise would lift the threshold above the QRS complexes.
      if (p.h < threshold()) noise.push(p.h);
      pending.push_back(p);
    }
  }
  // At the record's end, search back only when the record itself shows an interval over 1.5 RR since the last beat
  // (evidence of a missed beat); pretending time went on past the end accepted sub-threshold peaks at the very end
  // (a complex cut off by the end of the recording, which can be neither typed nor delineated).
  search_back(std::int64_t(n));

  LeadDetection det;
  // How trustworthy this lead is: the QRS level over the mean of the noise peaks between beats (peaks in the
  // T-wave window after a beat are T waves, not noise), capped so that a lead without noise peaks does not win
  // outright, and penalised for intervals under 300 ms, which mean T waves or noise were taken for beats.
  std::vector<double> hs;
  for (const auto& b : beats) hs.push_back(b.h);
  double noise_all = 0;
  std::size_t nn = 0;
  for (const auto& p : cand) {
    auto it = std::lower_bound(beats.begin(), beats.end(), p.t, [](const Peak& b, std::int64_t t) { return b.t < t; });
    if (it != beats.end() && it->t == p.t) continue;
    if (it != beats.begin() && p.t - (it - 1)->t < twin) continue;
    noise_all += p.h;
    ++nn;
  }
  if (!hs.empty()) {
    std::nth_element(hs.begin(), hs.begin() + std::ptrdiff_t(hs.size() / 2), hs.end());
    const double level = hs[hs.size() / 2];
    std::size_t short_rr = 0;
    for (std::size_t i = 1; i < beats.size(); ++i) short_rr += beats[i].t - beats[i - 1].t < std::int64_t(0.3 * fs);
    const double frac_short = beats.size() > 1 ? double(short_rr) / double(beats.size() - 1) : 0;
    det.separation = level / std::max(nn ? noise_all / double(nn) : 0.0, 0.05 * level) / (1 + 20 * frac_short);
    det.level = level * f.scale;
    det.median_h = level;
  }
  det.beats = std::move(beats);
  return det;
}

/// R positions: the largest absolute band-passed deflection within +-80 ms of each beat's integral peak.
std::vector<std::int64_t> fiducials(const std::vector<Peak>& beats, const Feature& f, double fs, std::int64_t refractory) {
  std::vector<std::int64_t> out;
  out.reserve(beats.size());
  const auto& x = f.bp.front();
  const std::int64_t n = std::int64_t(x.size()), r = std::int64_t(0.08 * fs);
  for (const auto& b : beats) {
    const std::int64_t lo = std::max<std::int64_t>(0, b.t - r), hi = std::min<std::int64_t>(n - 1, b.t + r);
    std::int64_t best_t = b.t;
    float best = -1;
    for (std::int64_t k = lo; k <= hi; ++k)
      if (std::abs(x[std::size_t(k)]) > best) best = std::abs(x[std::size_t(k)]), best_t = k;
    if (out.empty() || best_t - out.back() >= refractory / 2) out.push_back(best_t);
  }
  return out;
}

/// The chosen lead, or a lead that finds the beats it misses. When the chosen lead's beats leave three or more gaps
/// longer than 1.5 times another steep lead's median RR, and that lead has a beat inside (200 ms or more from either
/// end) of at least four in five of those gaps, as quick as QRS complexes, while finding four in five of the chosen
/// lead's beats too, the chosen lead is missing beats, not the other lead inventing them: noise in the other lead
/// adds beats but leaves the chosen lead without long gaps, and T waves counted as beats are slower. In bigeminy the
/// normal beats can be tiny in one lead (MIT-BIH 106's V1), and a little noise in the other made that lead's
/// separation win; it then found only the ventricular beats, half the rate, and a false critical bradycardia
/// (`teledx-ecg eval noise`, electrode motion at 24 dB).
std::size_t lead_missing_none(const std::vector<LeadDetection>& per, const std::vector<Feature>& feat, std::size_t best,
                              double top, double fs) {
  const std::int64_t near = std::int64_t(0.1 * fs), margin = std::int64_t(0.2 * fs);
  auto first_at_or_after = [](const std::vector<Peak>& in, std::int64_t t) {
    return std::lower_bound(in.begin(), in.end(), t, [](const Peak& p, std::int64_t u) { return p.t < u; });
  };
  const auto& chosen = per[best].beats;
  std::size_t pick = best;
  for (std::size_t l = 0; l < per.size(); ++l) {
    const auto& other = per[l].beats;
    if (l == best || per[l].level < 0.4 * top || other.size() < 4 || other.size() <= chosen.size()) continue;
    std::vector<double> rr;
    for (std::size_t i = 1; i < other.size(); ++i) rr.push_back(double(other[i].t - other[i - 1].t));
    const double long_gap = 1.5 * detail::median_of(rr);
    std::size_t gaps = 0, filled = 0, found = 0;
    for (std::size_t i = 0; i < chosen.size(); ++i) {
      const auto at = first_at_or_after(other, chosen[i].t - near);
      found += at != other.end() && at->t <= chosen[i].t + near;
      if (i + 1 == chosen.size() || double(chosen[i + 1].t - chosen[i].t) <= long_gap) continue;
      ++gaps;
      const auto inside = first_at_or_after(other, chosen[i].t + margin);
      filled += inside != other.end() && inside->t <= chosen[i + 1].t - margin;
    }
    if (gaps < 3 || filled * 5 < gaps * 4 || found * 5 < chosen.size() * 4 || other.size() <= per[pick].beats.size())
      continue;
    // The beats only the other lead finds must be as quick there as those both find (their band-passed complexes'
    // dominant frequency): QRS complexes, not the broad T waves of a lead whose T is taller than its R, which fill
    // the same gaps.
    std::vector<double> extra, shared;
    for (const auto& p : other) {
      const auto at = first_at_or_after(chosen, p.t - near);
      (at != chosen.end() && at->t <= p.t + near ? shared : extra).push_back(pitch_at(feat[l].bp.front(), p.t, fs));
    }
    if (!extra.empty() && !shared.empty() && detail::median_of(extra) >= 0.75 * detail::median_of(shared)) pick = l;
  }
  return pick;
}

}  // namespace

std::vector<std::int64_t> detect_qrs(const LeadSet& set, const QrsOptions& o) {
  return detail::detect_qrs_in(set, o, detail::qrs_bands_along(set, o, {}));
}

std::vector<std::vector<float>> detail::qrs_bands_along(const LeadSet& set, const QrsOptions& o,
                                                        std::span<const FilterChain> along) {
  const double fs = set.sample_rate_hz;
  const std::size_t n = set.sample_count();
  if (set.leads.empty() || n < std::size_t(fs) || fs <= 0) {
    detail::filtfilt_chains(along, n);
    return {};
  }
  // Fusing leads sample by sample adds the noise of the worse leads (on MIT-BIH +P fell from 99.8 to 98.9), so each
  // lead is detected alone and the one whose beats stand out most clearly from its noise peaks wins.
  // III, aVR, aVL and aVF are combinations of I and II, so they add no independent view of the QRS.
  std::vector<std::vector<float>> band;
  for (std::size_t l = 0; l < (o.all_leads ? set.leads.size() : 1); ++l) {
    const Lead id = set.leads[l].lead;
    const bool derived = id == Lead::III || id == Lead::aVR || id == Lead::aVL || id == Lead::aVF;
    if (!derived || !set.find(Lead::I) || !set.find(Lead::II)) band.push_back(set.leads[l].uv);
  }
  std::vector<float*> ptr;
  for (auto& b : band) ptr.push_back(b.data());
  const Biquad hp = Biquad::highpass(fs, 5.0, std::numbers::sqrt2 / 2);
  std::vector<detail::FilterChain> chains;
  for (float* x : ptr) chains.push_back({&hp, x});
  chains.insert(chains.end(), along.begin(), along.end());
  detail::filtfilt_chains(chains, n);
  detail::filtfilt_batch(Biquad::lowpass(fs, 18.0, std::numbers::sqrt2 / 2), ptr, n);
  return band;
}

std::vector<std::int64_t> detail::detect_qrs_in(const LeadSet& set, const QrsOptions& o, std::vector<std::vector<float>> band) {
  if (band.empty()) return {};
  const double fs = set.sample_rate_hz;
  const std::size_t nl = band.size();
  // Separation alone would favour a lead with no QRS at all, where the T waves stand out cleanly; so only leads
  // whose detected complexes are at least 40% as steep as the steepest lead's compete.
  std::vector<LeadDetection> per;
  std::vector<Feature> feat;
  double top = 0;
  for (auto& b : band) {
    feat.push_back(lead_feature(std::move(b), fs));
    per.push_back(detect_on(feat.back(), fs, o));
    top = std::max(top, per.back().level);
  }
  // A lead whose "beats" the other leads mostly do not see is not detecting the heart: a loose electrode's pops (a
  // step of a few mV, gone in a second or two) are the steepest, clearest complexes of their lead, and that lead won
  // with three of them in 10 s, a critical bradycardia (LUDB dev records with pops added in one chest lead). With
  // three views or more, a lead under half of whose beats have a beat within 100 ms in another lead does not
  // compete, unless no lead passes. Two leads cannot outvote each other, and are left as they were.
  if (nl >= 3) {
    const std::int64_t within = std::int64_t(0.1 * fs);
    auto seen_elsewhere = [&](std::size_t l, std::int64_t t) {
      for (std::size_t m = 0; m < nl; ++m) {
        if (m == l) continue;
        const auto& b = per[m].beats;
        auto it = std::lower_bound(b.begin(), b.end(), t - within, [](const Peak& p, std::int64_t u) { return p.t < u; });
        if (it != b.end() && it->t <= t + within) return true;
      }
      return false;
    };
    std::vector<bool> alone(nl, false);
    bool any_corroborated = false;
    for (std::size_t l = 0; l < nl; ++l) {
      std::size_t seen = 0;
      for (const auto& p : per[l].beats) seen += seen_elsewhere(l, p.t);
      alone[l] = seen * 5 < per[l].beats.size() * 4;
      any_corroborated = any_corroborated || (!alone[l] && !per[l].beats.empty());
    }
    if (any_corroborated) {
      top = 0;
      for (std::size_t l = 0; l < nl; ++l) {
        if (alone[l]) per[l].level = 0, per[l].separation = 0;
        top = std::max(top, per[l].level);
      }
    }
  }
  // Among those, separation is weighted by the lead's relative steepness: the separation is capped (a lead with no
  // noise peaks would otherwise win outright), and at or near the cap the steeper lead keeps more margin against
  // the noise bursts to come, so a clean but shallow lead must stand out clearly more to win.
  auto merit = [&](std::size_t l) { return per[l].separation * per[l].level / std::max(top, 1e-9); };
  std::size_t best = 0;
  for (std::size_t l = 0; l < nl; ++l)
    if (per[l].level >= 0.4 * top && (per[best].level < 0.4 * top || merit(l) > merit(best))) best = l;
  best = lead_missing_none(per, feat, best, top, fs);
  // The chosen lead is then detected again with every lead's say on close calls: when two rival complexes within
  // the refractory period (a big P wave or a noise spike against the QRS) are within 40% of each other in this
  // lead, the one with more support summed over all leads wins, each lead's integral near that time relative to
  // its own typical beat. One lead can show a P wave as large as its QRS; the other views rarely agree with it.
  // It has to be a second pass, not a correction afterwards: the thresholds, RR average and T-wave test that
  // follow a wrong choice are already off (MIT-BIH 105: a noise spike then made the next QRS look like a T wave).
  std::vector<std::size_t> voters;
  for (std::size_t l = 0; l < nl; ++l)
    if (per[l].median_h > 0) voters.push_back(l);
  const std::int64_t near = std::int64_t(0.02 * fs);
  // Rival pairs are compared again and again as the search-back pool grows (noisy records such as MIT-BIH 106), and
  // each comparison scans every lead: each candidate's support is computed once, when first asked for.
  const std::vector<Peak>& cand = feat[best].cand;
  std::vector<double> memo(cand.size(), -1);  // support is never negative: -1 means not yet computed
  auto support_at = [&](std::int64_t t) {
    double v = 0;
    for (std::size_t l : voters) {
      const auto& m = feat[l].mwi;
      const std::size_t lo = std::size_t(std::max<std::int64_t>(0, t - near));
      const std::size_t hi = std::size_t(std::min<std::int64_t>(std::int64_t(m.size()) - 1, t + near));
      v += max_of(m.data() + lo, m.data() + hi + 1) / per[l].median_h;
    }
    return v;
  };
  auto support = [&](std::int64_t t) {
    auto it = std::lower_bound(cand.begin(), cand.end(), t, [](const Peak& p, std::int64_t u) { return p.t < u; });
    if (it == cand.end() || it->t != t) return support_at(t);
    double& m = memo[std::size_t(it - cand.begin())];
    if (m < 0) m = support_at(t);
    return m;
  };
  if (voters.size() > 1) per[best] = detect_on(feat[best], fs, o, support);
  const std::vector<Peak>& beats = per[best].beats;
  return fiducials(beats, feat[best], fs, std::int64_t(o.refractory_s * fs));
}

}  // namespace teledx::ecg
