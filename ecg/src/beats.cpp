// Beat typing (dominant template correlation, QRS width, prematurity); the median beat is in median_beat.cpp.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "analysis_internal.hpp"
#include "beat_correlation.hpp"
#include "beat_drift.hpp"

namespace teledx::ecg::detail {

double median_of(std::vector<double> v) {
  if (v.empty()) return 0;
  const std::size_t m = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(m), v.end());
  if (v.size() % 2) return v[m];
  const double hi = v[m];
  return (*std::max_element(v.begin(), v.begin() + std::ptrdiff_t(m)) + hi) / 2;
}

std::string fmt(double v, int decimals) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

bool has_statement(const std::vector<Statement>& list, const std::string& code) {
  return std::any_of(list.begin(), list.end(), [&](const Statement& st) { return st.code == code; });
}

bool tracing_unreliable(const Analysis& a) {
  return has_statement(a.quality, "unsteady_tracing") || has_statement(a.quality, "repeat_recording");
}

namespace {

/// Indices of up to three leads with the largest typical QRS amplitude.
std::vector<std::size_t> main_leads(const LeadSet& s, const std::vector<std::int64_t>& r) {
  const std::int64_t n = std::int64_t(s.sample_count()), h = std::int64_t(0.06 * s.sample_rate_hz);
  std::vector<std::pair<double, std::size_t>> amp;
  for (std::size_t l = 0; l < s.leads.size(); ++l) {
    std::vector<double> a;
    for (std::size_t i = 0; i < r.size(); i += std::max<std::size_t>(1, r.size() / 50)) {
      const auto lo = std::max<std::int64_t>(0, r[i] - h), hi = std::min(n, r[i] + h);
      if (hi <= lo) continue;
      auto [mn, mx] = std::minmax_element(s.leads[l].uv.begin() + lo, s.leads[l].uv.begin() + hi);
      a.push_back(*mx - *mn);
    }
    amp.push_back({median_of(a), l});
  }
  std::sort(amp.rbegin(), amp.rend());
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < std::min<std::size_t>(3, amp.size()); ++i) out.push_back(amp[i].second);
  return out;
}

/// Width (samples) of the span where the beat's slope exceeds a quarter of its maximum. The slope is taken across
/// `d` samples on each side (16 ms in classify_beats()): across one sample, noise spikes near a normal QRS stretched
/// the span and made the beat "wide" (MIT-BIH 105, 108), and a PVC's slow, notched slopes fell under a quarter of
/// one sharp notch (106: 10-s windows V Se 85.5 -> 95.6 %).
double slope_width(const std::vector<float>& x, std::int64_t r, std::int64_t before, std::int64_t after, std::int64_t d) {
  const std::int64_t n = std::int64_t(x.size());
  const std::int64_t lo = std::max<std::int64_t>(d, r - before), hi = std::min(n - d, r + after);
  double mx = 0;
  for (std::int64_t k = lo; k < hi; ++k) mx = std::max(mx, double(std::abs(x[std::size_t(k + d)] - x[std::size_t(k - d)])));
  if (mx <= 0) return 0;
  std::int64_t first = -1, last = -1;
  for (std::int64_t k = lo; k < hi; ++k)
    if (std::abs(x[std::size_t(k + d)] - x[std::size_t(k - d)]) > 0.25 * mx) {
      if (first < 0) first = k;
      last = k;
    }
  return first < 0 ? 0 : double(last - first);
}

/// Beats of one shape, grouped greedily by correlation with the group's running mean (first 30 members).
struct ShapeCluster {
  std::vector<std::vector<double>> sum;  // per main lead, summed windows of the first members
  // `sum` rounded to float, what each beat is correlated with: kept from one change of the sum to the next rather
  // than rounded again for every beat compared (the sum stops changing after 30 members).
  std::vector<std::vector<float>> rounded;
  Window templ[3];  // `rounded` with its means, per main lead
  std::size_t summed = 0;
  std::vector<std::size_t> members;
};

double median_width(const ShapeCluster& c, const std::vector<double>& widths) {
  std::vector<double> w;
  for (auto i : c.members) w.push_back(widths[i]);
  return median_of(w);
}

/// Share of a cluster's beats that come early against the beat after them (RR before < 90% of RR after).
double premature_share(const ShapeCluster& c, const std::vector<std::int64_t>& r) {
  std::size_t early = 0, counted = 0;
  for (auto i : c.members)
    if (i > 0 && i + 1 < r.size()) ++counted, early += double(r[i] - r[i - 1]) < 0.9 * double(r[i + 1] - r[i]);
  return counted ? double(early) / double(counted) : 1.0;
}

double template_correlation(const ShapeCluster& a, const ShapeCluster& b) {
  double c = 0;
  for (std::size_t li = 0; li < a.sum.size(); ++li) c += correlation(a.sum[li].data(), b.sum[li].data(), a.sum[li].size());
  return c / double(a.sum.size());
}

/// Index of the shape cluster that holds the dominant (supraventricular) beats. Normally the largest; but when
/// another cluster of a different shape is nearly as large (bigeminy: half the beats are ventricular, and the
/// record may open with either shape) and the largest one's beats are coupled (short RR before, long after: a
/// coupling interval and its compensatory pause) while the other's are not, the other is taken.
std::size_t dominant_cluster(const std::vector<ShapeCluster>& cl, const std::vector<double>& widths,
                             const std::vector<std::int64_t>& r, double fs) {
  auto width = [&](const ShapeCluster& c) { return median_width(c, widths); };
  auto rr_ratio = [&](const ShapeCluster& c) {  // median RR before / RR after: < 1 for premature beats
    std::vector<double> q;
    for (auto i : c.members)
      if (i > 0 && i + 1 < r.size()) q.push_back(double(r[i] - r[i - 1]) / double(std::max<std::int64_t>(1, r[i + 1] - r[i])));
    return q.empty() ? 1.0 : median_of(q);
  };
  std::size_t best = 0;
  for (std::size_t k = 1; k < cl.size(); ++k)
    if (cl[k].members.size() > cl[best].members.size()) best = k;
  const std::size_t largest = cl[best].members.size(), largest_k = best;
  for (std::size_t k = 0; k < cl.size(); ++k) {
    if (k == largest_k || cl[k].members.size() < 3 || cl[k].members.size() * 10 < largest * 6) continue;
    // Two clusters of one shape split by noise are both dominant beats: only a clearly different shape counts.
    if (template_correlation(cl[k], cl[best]) > 0.8) continue;
    const double wk = width(cl[k]), wb = width(cl[best]), qk = rr_ratio(cl[k]), qb = rr_ratio(cl[best]);
    // Prematurity decides, not width alone: swapping to a merely narrower cluster turned paced records with
    // conducted beats around (MIT-BIH 102/104, more paced beats typed V). The other cluster must not be wider.
    if (qb < 0.8 && qk > 1.1 && wk <= wb + 0.02 * fs) best = k;
  }
  if (best != largest_k || rr_ratio(cl[best]) >= 0.8) return best;
  // The largest cluster is still one of coupled premature beats: the beats between them (noisy sinus beats, split
  // into several smaller clusters at 0.9) may not be nearly as many in any one cluster. The largest cluster of a
  // clearly different, not premature and not wider shape then holds the dominant beats (MIT-BIH 106's trigeminy).
  std::size_t alt = best;
  const double wb = width(cl[best]);
  for (std::size_t k = 0; k < cl.size(); ++k) {
    if (k == best || cl[k].members.size() < 2) continue;
    if (alt != best && cl[k].members.size() <= cl[alt].members.size()) continue;
    if (template_correlation(cl[k], cl[best]) > 0.8) continue;
    if (rr_ratio(cl[k]) > 1.0 && width(cl[k]) <= wb + 0.02 * fs) alt = k;
  }
  return alt;
}

/// The typical RR of a short record: the median of the intervals that end at a dominant-shape beat, the whole
/// record's median where fewer than two do. In bigeminy or runs of ectopic beats the coupling intervals make up
/// half the intervals or more, and against their median the ectopic beats were not premature (MIT-BIH 106's 10-s
/// windows: 89 PVCs typed normal). A compensatory pause counted here only lengthens the typical RR, and a normal
/// beat is typed by its shape first.
double rr_before_dominant(const std::vector<std::int64_t>& at, const std::vector<char>& dominant, double fallback) {
  std::vector<double> rr;
  for (std::size_t i = 1; i < at.size(); ++i)
    if (dominant[i]) rr.push_back(double(at[i] - at[i - 1]));
  return rr.size() >= 2 ? median_of(rr) : fallback;
}

}  // namespace

std::vector<Beat> classify_beats(const LeadSet& s, const std::vector<std::int64_t>& r) {
  std::vector<Beat> out;
  for (auto t : r) out.push_back({t, BeatType::Normal});
  if (r.size() < 3 || s.leads.empty()) return out;
  const double fs = s.sample_rate_hz;
  const std::int64_t n = std::int64_t(s.sample_count());
  const std::int64_t pre = std::int64_t(0.06 * fs), post = std::int64_t(0.10 * fs), len = pre + post;
  const auto leads = main_leads(s, r);
  auto window = [&](std::size_t li, std::size_t i) { return &s.leads[leads[li]].uv[std::size_t(r[i] - pre)]; };
  std::vector<double> widths;
  const std::int64_t slope_span = std::max<std::int64_t>(1, std::llround(0.016 * fs));
  for (std::size_t i = 0; i < r.size(); ++i)
    widths.push_back(slope_width(s.leads[leads[0]].uv, r[i], std::int64_t(0.1 * fs), std::int64_t(0.15 * fs), slope_span));
  // Group the beats by shape first: a median over all beats is no dominant template when half of them are
  // ventricular (bigeminy), and neither is the first beat's shape.
  std::vector<ShapeCluster> clusters;
  const float* beat[3];
  Window wins[3];
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (r[i] - pre < 0 || r[i] + post >= n) continue;
    std::size_t best = clusters.size();
    double best_c = -2;
    for (std::size_t li = 0; li < leads.size(); ++li) beat[li] = window(li, i);
    with_means(leads.size(), beat, std::size_t(len), wins);
    for (std::size_t k = 0; k < clusters.size(); ++k) {
      const double c = mean_correlation(leads.size(), wins, clusters[k].templ, std::size_t(len));
      if (c > best_c) best_c = c, best = k;
    }
    // 0.9: beats of one focus correlate above it despite noise; a ventricular beat against a sinus one rarely does.
    // At most 8 shapes: in noise every beat would otherwise open its own.
    if (best == clusters.size() || (best_c < 0.9 && clusters.size() < 8)) {
      clusters.push_back({std::vector<std::vector<double>>(leads.size(), std::vector<double>(std::size_t(len), 0)),
                          std::vector<std::vector<float>>(leads.size(), std::vector<float>(std::size_t(len), 0)), {}, 0, {}});
      best = clusters.size() - 1;
    }
    auto& c = clusters[best];
    c.members.push_back(i);
    if (c.summed < 30) {
      for (std::size_t li = 0; li < leads.size(); ++li)
        for (std::int64_t j = 0; j < len; ++j) {
          c.sum[li][std::size_t(j)] += window(li, i)[j];
          c.rounded[li][std::size_t(j)] = float(c.sum[li][std::size_t(j)]);
        }
      const float* rounded[3];
      for (std::size_t li = 0; li < leads.size(); ++li) rounded[li] = c.rounded[li].data();
      with_means(leads.size(), rounded, std::size_t(len), c.templ);
      ++c.summed;
    }
  }
  if (clusters.empty()) return out;
  // The dominant beats: all but those of a clearly different shape (template correlation <= 0.8) that make up
  // 10% of the beats or more. Smaller odd clusters stay in: they are mostly noisy dominant beats, and leaving
  // them out made the template too narrow for the noisy beats of MIT-BIH 105 and 108 (more normal beats typed V).
  // In a long record, a large cluster of another shape whose beats are not premature (a fifth of them at most) and
  // not wider than the dominant ones is the dominant beat's shape changed by drift; an ectopic focus fires early,
  // and an escape or bundle-branch rhythm is wide.
  const std::size_t d = dominant_cluster(clusters, widths, r, fs);
  const bool drift_aware = double(n) >= kDriftAwareSeconds * fs;
  std::size_t valid = 0;
  for (const auto& c : clusters) valid += c.members.size();
  std::vector<std::size_t> dom;
  for (const auto& c : clusters)
    if (template_correlation(c, clusters[d]) > 0.8 || c.members.size() * 10 < valid ||
        (drift_aware && premature_share(c, r) < 0.2 && median_width(c, widths) <= median_width(clusters[d], widths) + 0.02 * fs))
      dom.insert(dom.end(), c.members.begin(), c.members.end());
  std::sort(dom.begin(), dom.end());
  // Dominant template: sample-wise median of up to 200 beats of the dominant shape spread over the record.
  std::vector<std::size_t> pick;
  for (std::size_t k = 0; k < dom.size(); k += std::max<std::size_t>(1, dom.size() / 200)) pick.push_back(dom[k]);
  if (pick.size() < 3) return out;
  std::vector<std::vector<float>> tmpl(leads.size(), std::vector<float>(std::size_t(len), 0));
  for (std::size_t li = 0; li < leads.size(); ++li)
    for (std::int64_t k = 0; k < len; ++k) {
      std::vector<double> v;
      for (auto i : pick) v.push_back(window(li, i)[k]);
      tmpl[li][std::size_t(k)] = float(median_of(v));
    }
  std::vector<double> dom_widths;
  for (auto i : dom) dom_widths.push_back(widths[i]);
  const double w_med = median_of(dom_widths);
  // The detector's fiducial is the largest deflection, which on a wide biphasic complex (paced beats) flips between
  // the two lobes from beat to beat: 80-100 ms of jitter that made a steady paced rhythm look irregular (MIT-BIH 102
  // called AF) and left the beats uncorrelated with their own template. A beat that matches the template clearly
  // better a little earlier or later is moved there: every beat of one shape then carries the same fiducial.
  const float* tmpl_x[3];
  Window tmpls[3];
  for (std::size_t li = 0; li < leads.size(); ++li) tmpl_x[li] = tmpl[li].data();
  with_means(leads.size(), tmpl_x, std::size_t(len), tmpls);
  auto corr_at = [&](std::int64_t at) { return correlation_at(s, leads, at - pre, std::size_t(len), tmpls); };
  std::vector<std::int64_t> at(r);
  std::vector<double> corr(r.size(), 1.0);
  const std::int64_t max_shift = std::int64_t(0.1 * fs);
  std::vector<double> rr0;
  for (std::size_t i = 1; i < r.size(); ++i) rr0.push_back(double(r[i] - r[i - 1]));
  const double rr0_med = median_of(rr0);
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (r[i] - pre < 0 || r[i] + post >= n) continue;
    corr[i] = corr_at(r[i]);
    // A beat that matches well enough to be typed normal where it is stays (most beats: the search costs little).
    if (corr[i] >= 0.8) continue;
    // A premature beat is a ventricular candidate: matching it to the template at any cost would hide the very
    // difference that types it (MIT-BIH 109's PVCs in LBBB, V Se 74 -> 69 % when they were moved too).
    const double before = i > 0 ? double(r[i] - r[i - 1]) : rr0_med;
    if (before < 0.88 * rr0_med || (i + 1 < r.size() && before < 0.8 * double(r[i + 1] - r[i]))) continue;
    double best = corr[i];
    std::int64_t best_at = r[i];
    const std::int64_t lo = std::max(pre, r[i] - max_shift), hi = std::min(n - post - 1, r[i] + max_shift);
    // Lags 8 ms apart, then every lag between the best one's neighbours: the correlation peak of a QRS is wider
    // than 8 ms, and the search stays a small part of a 30-min record's analysis (MIT-BIH 106: every third beat).
    const std::int64_t step = std::max<std::int64_t>(1, std::llround(0.008 * fs));
    for (std::int64_t t = lo; t <= hi; t += step) {
      const double c = corr_at(t);
      if (c > best) best = c, best_at = t;
    }
    const std::int64_t coarse = best_at;
    for (std::int64_t t = std::max(lo, coarse - step + 1); t <= std::min(hi, coarse + step - 1); ++t) {
      if (t == coarse) continue;
      const double c = corr_at(t);
      if (c > best) best = c, best_at = t;
    }
    if (best >= 0.9 && best > corr[i] + 0.1) at[i] = best_at, corr[i] = best;
  }
  std::vector<double> rr_at;
  for (std::size_t i = 1; i < at.size(); ++i) rr_at.push_back(double(at[i] - at[i - 1]));
  const double rr_med = median_of(rr_at);
  std::vector<char> dominant(r.size(), 0);
  for (auto i : dom) dominant[i] = 1;
  const std::vector<double> rr_typical = drift_aware ? local_typical_rr(at, dominant, rr_med)
                                                     : std::vector<double>(r.size(), rr_before_dominant(at, dominant, rr_med));
  // Premature against the typical RR, or against the next RR (coupling interval then compensatory pause: in
  // bigeminy the typical RR lies between the two).
  std::vector<char> premature(r.size(), 0);
  for (std::size_t i = 1; i < r.size(); ++i) {
    const double rr_before = double(at[i] - at[i - 1]);
    premature[i] = rr_before < 0.88 * rr_typical[i] || (i + 1 < r.size() && rr_before < 0.8 * double(at[i + 1] - at[i]));
  }
  std::vector<double> typical_width(r.size(), w_med);
  if (drift_aware) {
    std::vector<char> steady(r.size(), 0);
    for (std::size_t i = 1; i + 1 < r.size(); ++i) steady[i] = dominant[i] && !premature[i];
    match_local_templates({s, leads, at, pre, len, steady, widths}, premature, corr, typical_width);
  }
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (r[i] - pre < 0 || r[i] + post >= n) continue;
    out[i].r = at[i];
    const double c = corr[i];
    const bool wide = widths[i] > typical_width[i] + 0.03 * fs && widths[i] > 0.09 * fs;
    // A full compensatory pause (coupling interval plus pause = two normal intervals: the sinus node was not reset)
    // marks a ventricular premature beat even when its shape is only moderately unlike the template.
    const double rr2 = 2 * rr_typical[i];
    const bool compensated = premature[i] && i + 1 < r.size() && std::abs(double(at[i + 1] - at[i - 1]) - rr2) < 0.05 * rr2;
    if (c < 0.3 && !wide && !premature[i]) out[i].type = BeatType::Unknown;
    else if ((c < 0.8 && (wide || compensated)) || (c < 0.6 && premature[i])) out[i].type = BeatType::Ventricular;
  }
  return out;
}

}  // namespace teledx::ecg::detail
