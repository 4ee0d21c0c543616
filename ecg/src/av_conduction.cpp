// AV conduction from the atrial activity left after subtracting the median QRS-T from every beat: the atrial rate,
// and whether P waves keep a fixed relation to the QRS (2:1 block) or march through it (complete block).
#include <algorithm>
#include <cmath>
#include <numbers>
#include <optional>

#include "analysis_internal.hpp"
#include "filters_internal.hpp"

namespace teledx::ecg::detail {
namespace {

/// Peaks (samples) of atrial waves in the residual of the inferior leads, where sinus P waves are upright. The
/// residual is summed with its sign: subtracting a median beat that holds a smeared P leaves inverted dents,
/// which an unsigned measure would count as waves.
std::vector<std::int64_t> atrial_peaks(const LeadSet& s, const Analysis& a) {
  const double fs = s.sample_rate_hz;
  const std::int64_t n = std::int64_t(s.sample_count());
  std::vector<double> rms(std::size_t(n), 0);
  int used = 0;
  const Biquad lp = Biquad::lowpass(fs, 12.0, std::numbers::sqrt2 / 2);
  // The median beat is subtracted up to its T wave's end (and 20 ms on), not over a fixed 550 ms: at an atrial rate
  // of 100/min the next P wave begins 420 ms after a conducted R, and subtracting it there took the atrial waves out
  // with the QRS-T (a synthetic 4:3 Mobitz II at that rate showed none).
  double after_s = 0.55;
  if (const auto& t = a.median_fiducials.t_off; t && *t > a.median_r)
    after_s = std::clamp(double(*t - a.median_r) / a.median.sample_rate_hz + 0.02, 0.3, 0.55);
  for (Lead want : {Lead::II, Lead::aVF, Lead::MLII}) {
    const LeadSignal* l = s.find(want);
    const LeadSignal* m = a.median.find(want);
    if (!l || !m) continue;
    std::vector<float> res = qrs_t_cancelled(*l, *m, a, 0.1, after_s);
    filtfilt(lp, res);
    for (std::int64_t k = 0; k < n; ++k) rms[std::size_t(k)] += res[std::size_t(k)];
    ++used;
  }
  std::vector<std::int64_t> peaks;
  if (!used) return peaks;
  for (auto& v : rms) v = std::max(0.0, v / used);
  // Blank the QRS neighbourhoods, where cancellation leaves residue.
  for (const auto& b : a.beats)
    for (std::int64_t k = b.r - std::int64_t(0.06 * fs); k <= b.r + std::int64_t(0.08 * fs); ++k)
      if (k >= 0 && k < n) rms[std::size_t(k)] = 0;
  // The 97th percentile of at most 20,000 samples spread over the record: as good a level, and on a 30-min record
  // sorting every sample was most of this check's time.
  const std::size_t stride = std::max<std::size_t>(1, rms.size() / 20000);
  std::vector<double> sorted;
  for (std::size_t k = 0; k < rms.size(); k += stride) sorted.push_back(rms[k]);
  std::nth_element(sorted.begin(), sorted.begin() + std::ptrdiff_t(sorted.size() * 97 / 100), sorted.end());
  const double th = 0.4 * sorted[sorted.size() * 97 / 100];
  if (th < 15) return peaks;  // no atrial activity above noise
  const std::int64_t gap = std::int64_t(0.25 * fs);
  for (std::int64_t k = 1; k + 1 < n; ++k) {
    if (rms[std::size_t(k)] < th || rms[std::size_t(k)] < rms[std::size_t(k - 1)] || rms[std::size_t(k)] < rms[std::size_t(k + 1)]) continue;
    if (!peaks.empty() && k - peaks.back() < gap) {
      if (rms[std::size_t(k)] > rms[std::size_t(peaks.back())]) peaks.back() = k;
      continue;
    }
    peaks.push_back(k);
  }
  return peaks;
}

/// The atrial waves' median interval (samples) when at least two thirds of the intervals lie within 15% of it;
/// nullopt when the waves are not regular (no conclusion about conduction can be drawn from them).
std::optional<double> regular_pp(const std::vector<std::int64_t>& p) {
  if (p.size() < 4) return std::nullopt;
  std::vector<double> pp;
  for (std::size_t i = 1; i < p.size(); ++i) pp.push_back(double(p[i] - p[i - 1]));
  const double pp_med = median_of(pp);
  std::size_t regular = 0;
  for (double x : pp) regular += std::abs(x - pp_med) < 0.15 * pp_med;
  if (regular * 3 < pp.size() * 2) return std::nullopt;
  return pp_med;
}

}  // namespace

const std::vector<std::int64_t>& AtrialWaves::peaks() {
  if (!peaks_) peaks_ = atrial_peaks(s_, a_);
  return *peaks_;
}

std::optional<SecondDegreeBlock> second_degree_block(const Analysis& a, AtrialWaves& atrial) {
  const double fs = a.sample_rate_hz;
  const auto& b = a.beats;
  if (b.size() < 4 || a.median.leads.empty()) return std::nullopt;
  for (const auto& x : b)
    if (x.type != BeatType::Normal) return std::nullopt;  // ectopic beats have their own pauses
  const auto& p = atrial.peaks();
  const auto pp = regular_pp(p);
  if (!pp) return std::nullopt;
  // Each atrial wave is conducted when a QRS follows it before the next wave, at a P-R distance a conducted beat
  // can have (80-500 ms from the P wave's peak to the R); blocked when the next atrial wave comes first, on time (so
  // not a premature atrial wave that found the node refractory: a blocked APC, no AV block).
  SecondDegreeBlock out;
  std::vector<double> pr_before, pr_after;  // P-R of the beat before each blocked wave and of the one after it
  double last_pr = -1;
  std::size_t conducted = 0;
  for (std::size_t j = 0; j + 1 < p.size(); ++j) {
    const double gap = double(p[j + 1] - p[j]);
    if (std::abs(gap - *pp) >= 0.15 * *pp) { last_pr = -1; continue; }  // a wave missed or an extra one: unknown
    const auto r = std::upper_bound(b.begin(), b.end(), p[j], [](std::int64_t t, const Beat& x) { return t < x.r; });
    if (r == b.end()) break;
    const double pr_ms = double(r->r - p[j]) * 1000.0 / fs;
    if (r->r < p[j + 1]) {
      if (pr_ms < 80 || pr_ms > 500) return std::nullopt;  // a QRS that no atrial wave explains
      ++conducted;
      if (!pr_before.empty() && pr_after.size() < pr_before.size()) pr_after.push_back(pr_ms);
      last_pr = pr_ms;
    } else if (last_pr > 0) {
      // A dropped beat leaves a pause: the beats around the blocked wave stand more than one and a half atrial
      // cycles apart (a residue of a wide QRS-T taken for an atrial wave between regular beats does not).
      if (r == b.begin() || double(r->r - (r - 1)->r) < 1.5 * *pp) return std::nullopt;
      ++out.blocked;
      pr_before.push_back(last_pr);
      last_pr = -1;
    }
  }
  // Two conducted beats or more for each blocked wave: 2:1 and higher grades are for the checks below.
  if (out.blocked == 0 || conducted < 2 * std::size_t(out.blocked) || pr_after.empty()) return std::nullopt;
  out.atrial_rate = 60.0 * fs / *pp;
  // Mobitz I (Wenckebach): the PR lengthens up to the dropped beat and the beat after it starts short again;
  // Mobitz II: the PR does not change around the drop. 20 ms: past the P peak's own jitter.
  std::size_t shorter = 0, same = 0;
  for (std::size_t k = 0; k < pr_after.size(); ++k) {
    const double d = pr_before[k] - pr_after[k];
    shorter += d >= 20, same += std::abs(d) < 20;
    out.pr_before_ms = std::max(out.pr_before_ms, pr_before[k]);
    out.pr_after_ms = out.pr_after_ms > 0 ? std::min(out.pr_after_ms, pr_after[k]) : pr_after[k];
  }
  out.type = shorter == pr_after.size() ? SecondDegreeBlock::MobitzI
             : same == pr_after.size()  ? SecondDegreeBlock::MobitzII
                                        : SecondDegreeBlock::Undetermined;
  return out;
}

void av_conduction_statements(Analysis& a, AtrialWaves& atrial, double rr_irregularity) {
  const double fs = a.sample_rate_hz;
  const auto& m = a.measurements;
  if (a.beats.size() < 4 || !m.heart_rate || a.median.leads.empty() || *m.heart_rate >= 60 || rr_irregularity > 0.1) return;
  const auto& p = atrial.peaks();
  const auto regular = regular_pp(p);
  if (!regular) return;  // atrial waves not regular: no conclusion
  const double pp_med = *regular;
  const double atrial_rate = 60.0 * fs / pp_med, ratio = atrial_rate / *m.heart_rate;
  if (ratio < 1.3) return;
  // PR of each QRS to the nearest preceding atrial wave.
  std::vector<double> pr;
  for (const auto& b : a.beats) {
    auto it = std::lower_bound(p.begin(), p.end(), b.r - std::int64_t(0.06 * fs));
    if (it == p.begin()) continue;
    pr.push_back(double(b.r - *(it - 1)) * 1000.0 / fs);
  }
  if (pr.size() < 3) return;
  const double pr_med = median_of(pr);
  std::size_t fixed = 0;
  for (double x : pr) fixed += std::abs(x - pr_med) <= 40;
  if (fixed * 4 >= pr.size() * 3 && ratio > 1.7 && ratio < 2.3) {
    a.rhythm.push_back({"second_degree_av_block_2to1", "2:1 AV block suspected: atrial rate " + fmt(atrial_rate) +
                                                           "/min, ventricular rate " + fmt(*m.heart_rate) + "/min",
                        Severity::Warning, std::nullopt,
                        "2:1 房室传导阻滞（疑似）：心房率 " + fmt(atrial_rate) + " 次/分，心室率 " + fmt(*m.heart_rate) +
                            " 次/分"});
  } else if (fixed * 2 < pr.size()) {
    a.rhythm.push_back({"third_degree_av_block_suspected",
                        "Third-degree AV block suspected: P waves at " + fmt(atrial_rate) + "/min unrelated to QRS at " +
                            fmt(*m.heart_rate) + "/min",
                        Severity::Warning, std::nullopt,
                        "三度房室传导阻滞（疑似）：P 波 " + fmt(atrial_rate) + " 次/分，与 " + fmt(*m.heart_rate) +
                            " 次/分的 QRS 波群无关"});
  }
}

}  // namespace teledx::ecg::detail
