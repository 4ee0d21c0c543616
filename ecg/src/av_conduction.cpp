// AV conduction from the atrial activity left after subtracting the median QRS-T from every beat: the atrial rate,
// and whether P waves keep a fixed relation to the QRS (2:1 block) or march through it (complete block).
#include <algorithm>
#include <cmath>
#include <numbers>
#include <optional>
#include <string>
#include <utility>

#include "analysis_internal.hpp"
#include "filters_internal.hpp"

namespace teledx::ecg::detail {
namespace {

/// How long after each R the median beat is subtracted (s): up to its T wave's end and 20 ms on, not over a fixed
/// 550 ms: at an atrial rate of 100/min the next P wave begins 420 ms after a conducted R, and subtracting it there
/// took the atrial waves out with the QRS-T (a synthetic 4:3 Mobitz II at that rate showed none).
double cancelled_after_r(const Analysis& a) {
  if (const auto& t = a.median_fiducials.t_off; t && *t > a.median_r)
    return std::clamp(double(*t - a.median_r) / a.median.sample_rate_hz + 0.02, 0.3, 0.55);
  return 0.55;
}

/// Peaks (samples) of atrial waves in the residual of the inferior leads, where sinus P waves are upright. The
/// residual is summed with its sign: subtracting a median beat that holds a smeared P leaves inverted dents,
/// which an unsigned measure would count as waves.
std::vector<std::int64_t> atrial_peaks(const LeadSet& s, const Analysis& a) {
  const double fs = s.sample_rate_hz;
  const std::int64_t n = std::int64_t(s.sample_count());
  std::vector<double> rms(std::size_t(n), 0);
  int used = 0;
  const Biquad lp = Biquad::lowpass(fs, 12.0, std::numbers::sqrt2 / 2);
  const double after_s = cancelled_after_r(a);
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
  // Blank the QRS neighbourhoods, where cancellation leaves residue; an ectopic beat's whole QRS-T, which is not the
  // median's and leaves its difference from it (a ventricular beat's wide QRS starts earlier before its R, too).
  for (const auto& b : a.beats) {
    const bool ectopic = b.type != BeatType::Normal;
    const std::int64_t from = b.r - std::int64_t((ectopic ? 0.1 : 0.06) * fs);
    const std::int64_t to = b.r + std::int64_t((ectopic ? after_s : 0.08) * fs);
    for (std::int64_t k = std::max<std::int64_t>(from, 0); k <= to && k < n; ++k) rms[std::size_t(k)] = 0;
  }
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
  // A dropped beat lengthens a normal-to-normal interval by half or more over the one before it (4:3 Wenckebach at
  // 75/min: 0.84 -> 1.48 s). With ectopic beats about, nothing is computed without such a jump; and only on a
  // resting ECG or rhythm strip (up to a minute): a 30-min record nearly always has an ectopic beat and, with a
  // premature atrial beat's pause, such a jump somewhere, and the atrial residual is a tenth of its analysis (MIT-BIH
  // 100: +12 ms). Long records keep the rule they had: no check beside ectopic beats. (Without ectopic beats the
  // check runs as it always did.)
  const bool ectopic = std::any_of(b.begin(), b.end(), [](const Beat& x) { return x.type != BeatType::Normal; });
  if (ectopic && double(a.sample_count) > 60 * fs) return std::nullopt;
  auto nn_jump = [&] {
    for (std::size_t i = 2; i < b.size(); ++i)
      if (b[i].type == BeatType::Normal && b[i - 1].type == BeatType::Normal && b[i - 2].type == BeatType::Normal &&
          rr_before(b, i) && rr_before(b, i - 1) && double(b[i].r - b[i - 1].r) >= 1.5 * double(b[i - 1].r - b[i - 2].r))
        return true;
    return false;
  };
  if (ectopic && !nn_jump()) return std::nullopt;
  const auto& p = atrial.peaks();
  const auto pp = regular_pp(p);
  if (!pp) return std::nullopt;
  // An ectopic beat has pauses of its own: the atrial wave after a ventricular premature beat finds the ventricles
  // refractory and is not conducted (its compensatory pause looks like a dropped beat), and one hidden in its QRS-T
  // is missed. Waves from 100 ms before an ectopic beat to 600 ms after it, and waves whose next QRS is ectopic,
  // are passed over as unknown; the cycles elsewhere still tell a block. (Before, one ectopic beat anywhere left a
  // Wenckebach ECG without its statement.)
  std::vector<std::int64_t> ectopic_r;
  for (const auto& x : b)
    if (x.type != BeatType::Normal) ectopic_r.push_back(x.r);
  auto near_ectopic = [&](std::int64_t t) {
    const auto it = std::upper_bound(ectopic_r.begin(), ectopic_r.end(), t - std::int64_t(0.6 * fs));
    return it != ectopic_r.end() && *it < t + std::int64_t(0.1 * fs);
  };
  // Each atrial wave is conducted when a QRS follows it before the next wave, at a P-R distance a conducted beat
  // can have (80-500 ms from the P wave's peak to the R); blocked when the next atrial wave comes first, on time (so
  // not a premature atrial wave that found the node refractory: a blocked APC, no AV block).
  SecondDegreeBlock out;
  std::vector<double> pr_before, pr_after;  // P-R of the beat before each blocked wave and of the one after it
  double last_pr = -1;
  std::size_t conducted = 0;
  // A wave whose fate is unknown breaks the sequence: the PR before a drop is compared with the PR right after it,
  // not with a later beat's (which a Wenckebach cycle has lengthened again).
  auto unknown = [&] {
    last_pr = -1;
    if (pr_after.size() < pr_before.size()) pr_before.pop_back();
  };
  for (std::size_t j = 0; j + 1 < p.size(); ++j) {
    const double gap = double(p[j + 1] - p[j]);
    if (std::abs(gap - *pp) >= 0.15 * *pp) { unknown(); continue; }  // a wave missed or an extra one
    const auto r = std::upper_bound(b.begin(), b.end(), p[j], [](std::int64_t t, const Beat& x) { return t < x.r; });
    if (r == b.end()) break;
    if (near_ectopic(p[j]) || r->type != BeatType::Normal) { unknown(); continue; }
    const double pr_ms = double(r->r - p[j]) * 1000.0 / fs;
    if (r->r < p[j + 1]) {
      if (pr_ms < 80 || pr_ms > 500) return std::nullopt;  // a QRS that no atrial wave explains
      ++conducted;
      if (!pr_before.empty() && pr_after.size() < pr_before.size()) pr_after.push_back(pr_ms);
      last_pr = pr_ms;
    } else if (last_pr > 0) {
      // A dropped beat leaves a pause: the beats around the blocked wave stand more than one and a half atrial
      // cycles apart (a residue of a wide QRS-T taken for an atrial wave between regular beats does not).
      if (r == b.begin() || (r - 1)->type != BeatType::Normal) { unknown(); continue; }
      if (double(r->r - (r - 1)->r) < 1.5 * *pp) return std::nullopt;
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

namespace {

/// The atrial wave that conducted each QRS: the latest one 80-500 ms before its R (P peak to R, as for the
/// second-degree check). Empty when a QRS has none: a beat no atrial wave explains.
std::vector<std::int64_t> conducting_waves(const std::vector<Beat>& b, const std::vector<std::int64_t>& p, double fs) {
  std::vector<std::int64_t> out;
  for (const auto& x : b) {
    auto it = std::upper_bound(p.begin(), p.end(), x.r - std::int64_t(0.08 * fs));
    if (it == p.begin() || double(x.r - *(it - 1)) > 0.5 * fs) return {};
    out.push_back(*(it - 1));
  }
  return out;
}

/// High-grade AV block (高度房室传导阻滞): every QRS conducted at a fixed PR from a regular atrial wave, and two
/// waves or more in a row not conducted between some of them (3:1 and worse). The waves between two conducted ones
/// are counted as found, and must agree with the atrial cycle: a sinus pause with no waves in it is no block.
std::optional<AvConduction> high_grade_block(const Analysis& a, const std::vector<std::int64_t>& p, double pp) {
  const double fs = a.sample_rate_hz;
  const auto& b = a.beats;
  for (const auto& x : b)
    if (x.type != BeatType::Normal) return std::nullopt;  // ectopic beats have their own pauses
  const auto cp = conducting_waves(b, p, fs);
  if (cp.size() < 3) return std::nullopt;
  std::vector<double> pr;
  for (std::size_t i = 0; i < b.size(); ++i) pr.push_back(double(b[i].r - cp[i]) * 1000.0 / fs);
  const double pr_med = median_of(pr);
  for (double x : pr)
    if (std::abs(x - pr_med) > 40) return std::nullopt;  // not one fixed PR: dissociation, or no block at all
  int fewest = 1 << 20, most = 0;
  for (std::size_t i = 1; i < cp.size(); ++i) {
    const auto from = std::upper_bound(p.begin(), p.end(), cp[i - 1]), to = std::lower_bound(p.begin(), p.end(), cp[i]);
    const int blocked = int(to - from);
    if (std::abs(double(cp[i] - cp[i - 1]) / pp - double(blocked + 1)) > 0.3) return std::nullopt;  // waves missing
    fewest = std::min(fewest, blocked), most = std::max(most, blocked);
  }
  if (most < 2 || fewest < 1) return std::nullopt;  // 2:1 throughout is the check below; 1:1 beats, no high grade
  return AvConduction{AvConduction::HighGrade, 60.0 * fs / pp, fewest + 1, most + 1};
}

}  // namespace

std::optional<AvConduction> av_conduction(const Analysis& a, AtrialWaves& atrial, double rr_irregularity) {
  const double fs = a.sample_rate_hz;
  const auto& m = a.measurements;
  if (a.beats.size() < 4 || !m.heart_rate || a.median.leads.empty() || *m.heart_rate >= 60) return std::nullopt;
  const auto& p = atrial.peaks();
  const auto regular = regular_pp(p);
  if (!regular) return std::nullopt;  // atrial waves not regular: no conclusion
  const double pp_med = *regular;
  const double atrial_rate = 60.0 * fs / pp_med, ratio = atrial_rate / *m.heart_rate;
  if (ratio < 1.3) return std::nullopt;
  // Mixed 2:1 and 3:1 conduction makes the intervals irregular: this one comes before the regularity test.
  if (auto high = high_grade_block(a, p, pp_med)) return high;
  if (rr_irregularity > 0.1) return std::nullopt;
  // PR of each QRS to the nearest preceding atrial wave.
  std::vector<double> pr;
  for (const auto& b : a.beats) {
    auto it = std::lower_bound(p.begin(), p.end(), b.r - std::int64_t(0.06 * fs));
    if (it == p.begin()) continue;
    pr.push_back(double(b.r - *(it - 1)) * 1000.0 / fs);
  }
  if (pr.size() < 3) return std::nullopt;
  const double pr_med = median_of(pr);
  std::size_t fixed = 0;
  for (double x : pr) fixed += std::abs(x - pr_med) <= 40;
  if (fixed * 4 >= pr.size() * 3 && ratio > 1.7 && ratio < 2.3) {
    // The blocked wave of a steady 2:1 block stands at the same place after every R, so the median beat holds it
    // wherever it is subtracted: one found there is what the subtraction left of beats unlike the median (a T wave
    // changing from beat to beat), not a P wave. Waves there after a quarter of the beats or more: no 2:1 (MIT-BIH
    // 101, two 10-s windows of sinus rhythm at 57/min, had "atrial waves" at 110/min from T-wave residue there).
    const double cancelled = cancelled_after_r(a);
    std::size_t residue = 0;
    for (const auto& b : a.beats) {
      auto it = std::upper_bound(p.begin(), p.end(), b.r);
      residue += it != p.end() && double(*it - b.r) <= cancelled * fs;
    }
    if (residue * 4 < a.beats.size()) return AvConduction{AvConduction::TwoToOne, atrial_rate, 2, 2};
    return std::nullopt;
  }
  if (fixed * 2 < pr.size()) return AvConduction{AvConduction::Complete, atrial_rate, 0, 0};
  return std::nullopt;
}

void say_av_conduction(Analysis& a, const AvConduction& c) {
  auto say = [&a](std::string code, std::string text, std::string text_zh, Severity sev) {
    a.rhythm.push_back({std::move(code), std::move(text), sev, std::nullopt, std::move(text_zh)});
  };
  const double hr = a.measurements.heart_rate.value_or(0);
  const std::string rates = "atrial rate " + fmt(c.atrial_rate) + "/min, ventricular rate " + fmt(hr) + "/min";
  const std::string rates_zh = "心房率 " + fmt(c.atrial_rate) + " 次/分，心室率 " + fmt(hr) + " 次/分";
  switch (c.kind) {
    case AvConduction::TwoToOne:
      say("second_degree_av_block_2to1", "2:1 AV block suspected: " + rates, "2:1 房室传导阻滞（疑似）：" + rates_zh,
          Severity::Warning);
      break;
    case AvConduction::HighGrade: {
      // "3:1", or a range "2:1 to 3:1" with the language's word between.
      auto ratio = [&c](const std::string& to) {
        const std::string fewest = std::to_string(c.fewest_waves_per_qrs) + ":1";
        return c.most_waves_per_qrs > c.fewest_waves_per_qrs ? fewest + to + std::to_string(c.most_waves_per_qrs) + ":1" : fewest;
      };
      say("high_grade_av_block",
          "High-grade AV block suspected: " + ratio(" to ") + " conduction, two or more P waves in a row not conducted; " + rates,
          "高度房室传导阻滞（疑似）：" + ratio("～") + " 下传，连续 2 个及以上 P 波未下传；" + rates_zh, Severity::Warning);
      break;
    }
    case AvConduction::Complete: {
      // The escape rhythm's QRS says where it comes from (narrow: the junction; wide: the ventricles, or the junction
      // through a bundle branch block); given as measured, since P waves falling on it widen the median beat.
      const auto& qrs = a.measurements.qrs;
      say("third_degree_av_block_suspected",
          "Third-degree AV block suspected: P waves at " + fmt(c.atrial_rate) + "/min unrelated to QRS at " + fmt(hr) +
              "/min" + (qrs ? " (escape rhythm, QRS " + fmt(*qrs) + " ms)" : ""),
          "三度房室传导阻滞（疑似）：P 波 " + fmt(c.atrial_rate) + " 次/分，与 " + fmt(hr) + " 次/分的 QRS 波群无关" +
              (qrs ? "（逸搏心律，QRS " + fmt(*qrs) + " ms）" : ""),
          Severity::Warning);
      break;
    }
  }
}

}  // namespace teledx::ecg::detail
