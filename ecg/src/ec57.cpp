// EC57 beat-by-beat comparison, following WFDB bxb's pairing (bxb.c) step for step so that our figures and those of
// the reference scorer (shared/tools/qrs_score.py, a port of the same rules) agree to the beat; the cross-check
// test runs both on the MIT-BIH development records.
#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "teledx/ecg/evaluation.hpp"

namespace teledx::ecg {
namespace {

constexpr std::int64_t k_never = std::numeric_limits<std::int64_t>::max();
constexpr int k_noise = 14, k_flutter_wave = 31, k_vf_on = 32, k_vf_off = 33;

// Labels of the streams: a beat, a non-beat QRS-like mark (a flutter wave), or the pseudo-labels bxb gives an
// unmatched beat: 'X' during a shutdown, '*' inside reference VF (not counted); 0 for the stream's leading dummy.
constexpr char k_beat = 'B', k_not_beat = 'O', k_shutdown = 'X', k_uncounted = '*', k_none = 0;

using Interval = std::pair<std::int64_t, std::int64_t>;

bool inside(std::int64_t t, const std::vector<Interval>& v) {
  return std::any_of(v.begin(), v.end(), [t](const Interval& i) { return i.first <= t && t <= i.second; });
}

std::vector<Interval> vf_episodes(const std::vector<Annotation>& a) {
  std::vector<Interval> out;
  std::int64_t start = -1;  // of the episode in progress
  for (const auto& x : a) {
    if (x.code == k_vf_on && start < 0) start = x.sample;
    else if (x.code == k_vf_off && start >= 0) out.emplace_back(start, x.sample), start = -1;
  }
  if (start >= 0) out.emplace_back(start, k_never);
  return out;
}

/// Shutdown: NOISE with subtype bits 4 and 5 set, ended by the next NOISE without them; a lone one (the AHA
/// convention) spans from a window after the previous beat to a window before the next annotation.
std::vector<Interval> shutdowns(const std::vector<Annotation>& a, std::int64_t window) {
  std::vector<Interval> out;
  std::int64_t last_beat = 0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    if (is_beat_annotation(a[k].code) || a[k].code == k_flutter_wave) last_beat = a[k].sample;
    if (a[k].code != k_noise || (a[k].subtype & 0x30) != 0x30) continue;
    if (k + 1 == a.size()) {
      out.emplace_back(a[k].sample, k_never);
      continue;
    }
    const auto& next = a[k + 1];
    if (next.code == k_noise && (next.subtype & 0x30) != 0x30) {
      out.emplace_back(a[k].sample, next.sample);
      ++k;
      continue;
    }
    const std::int64_t lo = last_beat + window, hi = next.sample - window;
    out.emplace_back(std::min(lo, hi), hi);
  }
  return out;
}

struct Mark {
  std::int64_t t;
  char label;
};

/// The beats outside the annotator's own VF episodes, behind a dummy at time 0 and ahead of an end sentinel.
std::vector<Mark> beat_stream(const std::vector<Annotation>& a) {
  const auto vf = vf_episodes(a);
  std::vector<Mark> s{{0, k_none}};
  for (const auto& x : a) {
    const bool beat = is_beat_annotation(x.code);
    if ((beat || x.code == k_flutter_wave) && !inside(x.sample, vf)) s.push_back({x.sample, beat ? k_beat : k_not_beat});
  }
  s.push_back({k_never, k_uncounted});
  return s;
}

void count(Ec57Tally& tally, char ref, char test) {
  const bool ref_beat = ref == k_beat, test_beat = test == k_beat;
  const bool ref_none = ref == k_not_beat || ref == k_shutdown, test_none = test == k_not_beat || test == k_shutdown;
  if (ref_beat && test_beat) ++tally.tp;
  else if (ref_beat && test_none) ++tally.fn;
  else if (ref_none && test_beat) ++tally.fp;
}

}  // namespace

std::optional<double> Ec57Tally::sensitivity() const {
  return tp + fn ? std::optional(100.0 * double(tp) / double(tp + fn)) : std::nullopt;
}
std::optional<double> Ec57Tally::positive_predictivity() const {
  return tp + fp ? std::optional(100.0 * double(tp) / double(tp + fp)) : std::nullopt;
}

Ec57Tally score_ec57(const std::vector<Annotation>& reference, const std::vector<Annotation>& test, double fs,
                     const Ec57Options& o) {
  const auto window = std::int64_t(std::floor(o.window_s * fs + 0.5));
  const auto start = std::int64_t(std::floor(o.start_s * fs + 0.5));
  const auto R = beat_stream(reference), T = beat_stream(test);
  const auto ref_vf = vf_episodes(reference);
  const auto ref_sd = shutdowns(reference, window), test_sd = shutdowns(test, window);
  auto r_at = [&](std::size_t k) { return R[std::min(k, R.size() - 1)]; };
  auto t_at = [&](std::size_t k) { return T[std::min(k, T.size() - 1)]; };
  // What an unmatched test beat is paired with, and an unmatched reference beat.
  auto ref_pseudo = [&](std::int64_t t) { return inside(t, ref_vf) ? k_uncounted : inside(t, ref_sd) ? k_shutdown : k_not_beat; };
  auto test_pseudo = [&](std::int64_t t) { return inside(t, test_sd) ? k_shutdown : k_not_beat; };
  Ec57Tally tally;
  std::size_t ri = 0, ti = 0;

  // The start of the test period: the first reference beat at or after it, and the test beats on either side.
  while (r_at(ri).t < start) ++ri;
  while (t_at(ti + 1).t < start) ++ti;
  {
    const std::int64_t Rt = r_at(ri).t, t = t_at(ti).t, tn = t_at(ti + 1).t;
    if (Rt - t < std::llabs(Rt - tn) && Rt - t <= window) {
      if (r_at(ri).label != k_none || t_at(ti).label != k_none) count(tally, r_at(ri).label, t_at(ti).label);
      ++ri, ++ti;
    } else {
      ++ti;
      const std::int64_t t2 = t_at(ti).t, tn2 = t_at(ti + 1).t;
      if (t2 - start <= window && std::llabs(Rt - tn2) < std::llabs(Rt - t2)) ++ti;
    }
  }
  auto more = [&] {
    if (!o.end_sample) return r_at(ri).t != k_never;
    return r_at(ri).t <= *o.end_sample || t_at(ti).t <= *o.end_sample;
  };
  while (more()) {
    const Mark A = r_at(ri), An = r_at(ri + 1), a = t_at(ti), an = t_at(ti + 1);
    if (A.t == k_never && a.t == k_never) break;
    if (a.t < A.t) {  // the test beat comes first
      if (A.t - a.t <= window && (A.t - a.t < std::llabs(A.t - an.t) || std::llabs(An.t - an.t) < std::llabs(A.t - an.t))) {
        count(tally, A.label, a.label);
        ++ri, ++ti;
      } else {
        count(tally, ref_pseudo(a.t), a.label);
        ++ti;
      }
    } else {  // the reference beat comes first, or both at once
      if (a.t - A.t <= window && (a.t - A.t < std::llabs(a.t - An.t) || std::llabs(an.t - An.t) < std::llabs(a.t - An.t))) {
        count(tally, A.label, a.label);
        ++ri, ++ti;
      } else {
        count(tally, A.label, test_pseudo(A.t));
        ++ri;
      }
    }
  }
  return tally;
}

Ec57Summary summarize_ec57(const std::vector<Ec57Tally>& records) {
  Ec57Summary s;
  double se_sum = 0, ppv_sum = 0;
  int se_n = 0, ppv_n = 0;
  for (const auto& r : records) {
    s.tp += r.tp, s.fn += r.fn, s.fp += r.fp;
    if (auto v = r.sensitivity()) se_sum += *v, ++se_n;
    if (auto v = r.positive_predictivity()) ppv_sum += *v, ++ppv_n;
  }
  s.gross_se = Ec57Tally{s.tp, s.fn, s.fp}.sensitivity();
  s.gross_ppv = Ec57Tally{s.tp, s.fn, s.fp}.positive_predictivity();
  if (se_n) s.average_se = se_sum / se_n;
  if (ppv_n) s.average_ppv = ppv_sum / ppv_n;
  return s;
}

}  // namespace teledx::ecg
