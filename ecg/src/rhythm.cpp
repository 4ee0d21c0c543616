// Rhythm statements: sinus rhythm/bradycardia/tachycardia and arrhythmia, atrial fibrillation/flutter, PVCs and
// runs, supraventricular premature beats, pauses, AV-conduction suspicion. RR irregularity uses the normalised RMSSD
// and the turning-point ratio.
#include <algorithm>
#include <cmath>
#include <numbers>
#include <optional>

#include "analysis_internal.hpp"
#include "pacing_spikes.hpp"
#include "teledx/ecg/processing.hpp"

namespace teledx::ecg::detail {
namespace {

void say(Analysis& a, std::string code, std::string text, std::string text_zh, Severity sev = Severity::Info) {
  a.rhythm.push_back({std::move(code), std::move(text), sev, std::nullopt, std::move(text_zh)});
}

/// The dominant 2-9 Hz tone of a lead's QRS-T-cancelled residual: its frequency, size (µV) and how many times the
/// band's mean it stands.
struct AtrialTone {
  double hz = 0, uv = 0, ratio = 0;
};
std::optional<AtrialTone> atrial_tone(const LeadSet& s, const Analysis& a, Lead want) {
  const LeadSignal* l = s.find(want);
  const LeadSignal* m = a.median.find(want);
  if (!l || !m) return std::nullopt;
  const std::vector<float> res = qrs_t_cancelled(*l, *m, a, 0.08, 0.45);
  std::vector<double> freqs;
  for (double hz = 2.0; hz <= 9.0; hz += 0.1) freqs.push_back(hz);
  const std::vector<double> tone = tone_rms_many(res, s.sample_rate_hz, freqs);
  AtrialTone t;
  double total = 0;
  for (std::size_t i = 0; i < freqs.size(); ++i) {
    total += tone[i];
    if (tone[i] > t.uv) t.uv = tone[i], t.hz = freqs[i];
  }
  t.ratio = total > 0 ? t.uv / (total / double(freqs.size())) : 0;
  return t;
}

bool flutter_band(const AtrialTone& t, double ratio, double uv) {
  return t.hz >= 3.8 && t.hz <= 6.0 && t.ratio > ratio && t.uv > uv;
}

/// Atrial flutter waves in the QRS-T-cancelled residual: without a P wave on the median beat, a dominant 3.8-6 Hz
/// peak (230-360/min) in II, V1 or MLII, 3 times the 2-9 Hz band's mean and over 25 µV.
///
/// Or beside a P wave, when II and V1 both carry one such tone, within 0.3 Hz of each other, at 6 times the mean and
/// 15 µV or more. At a conduction ratio that is not whole (LUDB 52: RR 914 ms, flutter cycle 210 ms) the flutter
/// wave before each QRS lands at a slightly different point of its cycle from beat to beat, and some beat sets
/// average it into a "P wave" on the median beat. Which ones do depends on where the recording starts and ends:
/// cropping 0.2 s off its end or adding a flat half second before it gave sinus rhythm with first-degree block in
/// place of flutter. The residual's tone is nearly the same in all three cases (10-12.5 times the mean in II and V1,
/// 23-31 µV). No other development record reaches 6 in that band in either lead (sinus rhythm, LUDB 77: 5.1 in II,
/// 4.7 in V1).
bool flutter_waves(const LeadSet& s, const Analysis& a, bool p_present) {
  // Each tone is a 71-frequency scan of the whole lead (5 ms for a 30-minute record): V1's is taken beside a P wave
  // only when II has the tone.
  const auto ii = atrial_tone(s, a, Lead::II);
  const auto v1 = !p_present || (ii && flutter_band(*ii, 6.0, 15)) ? atrial_tone(s, a, Lead::V1) : std::nullopt;
  const bool in_both = ii && v1 && flutter_band(*ii, 6.0, 15) && flutter_band(*v1, 6.0, 15) && std::abs(ii->hz - v1->hz) <= 0.3;
  if (in_both || p_present) return in_both;
  for (const auto& t : {ii, v1, atrial_tone(s, a, Lead::MLII)})
    if (t && flutter_band(*t, 3.0, 25)) return true;
  return false;
}

/// Flutter waves locked to the QRS (3:1, 4:1 conduction) survive in the median beat: before the QRS there is not one
/// P wave but a run of identical waves 170-260 ms apart. Found by autocorrelation of the pre-QRS segment.
bool locked_flutter_waves(const Analysis& a) {
  const double fs = a.sample_rate_hz;
  const auto& f = a.median_fiducials;
  if (!f.qrs_on || !a.measurements.rr) return false;
  const std::int64_t end = *f.qrs_on - std::int64_t(0.01 * fs);
  // Start after the previous beat's T wave (about 420 ms after the previous R), at most 500 ms before R.
  const double before_s = std::min(0.5, *a.measurements.rr / 1000 - 0.42);
  const std::int64_t start = std::max<std::int64_t>(0, a.median_r - std::int64_t(before_s * fs));
  if (end - start < std::int64_t(0.34 * fs)) return false;
  for (Lead want : {Lead::II, Lead::aVF, Lead::III, Lead::V1}) {
    const LeadSignal* m = a.median.find(want);
    if (!m) continue;
    std::vector<double> y(m->uv.begin() + start, m->uv.begin() + end);
    double mean = 0;
    for (double v : y) mean += v;
    mean /= double(y.size());
    double e0 = 0;
    for (auto& v : y) v -= mean, e0 += v * v;
    if (std::sqrt(e0 / double(y.size())) < 25) continue;  // too small to be flutter waves
    double best = 0;
    for (std::int64_t lag = std::int64_t(0.17 * fs); lag <= std::int64_t(0.26 * fs); ++lag) {
      if (std::size_t(2 * lag) > y.size()) break;  // need two cycles
      double c = 0, ea = 0, eb = 0;
      for (std::size_t k = 0; k + std::size_t(lag) < y.size(); ++k) {
        c += y[k] * y[k + std::size_t(lag)];
        ea += y[k] * y[k];
        eb += y[k + std::size_t(lag)] * y[k + std::size_t(lag)];
      }
      if (ea > 0 && eb > 0) best = std::max(best, c / std::sqrt(ea * eb));
    }
    if (best > 0.75) return true;
  }
  return false;
}

/// Below 400 Hz a stimulus lasts one to three samples and is told by its surroundings (bridge_low_rate_spikes, which
/// delineation already uses): a beat is paced when a lead shows one within 150 ms before R. Of MIT-BIH 102, 104 and
/// 107 (360 Hz) and QTDB sel102 and sel104 (250 Hz) 74-95% of the beats are; of the eight other MIT-BIH and QTDB
/// development records at most 2% (sel14046). These read "non-sinus or undetermined rhythm" and frequent PVCs before.
bool paced_at_low_rate(const LeadSet& s, const std::vector<Beat>& beats) {
  const double fs = s.sample_rate_hz;
  const auto before = std::int64_t(0.15 * fs), after = std::int64_t(0.02 * fs);
  // Up to 120 beats spread over the recording tell "most": all of a 30-min record's cost 3 ms.
  const std::size_t stride = std::max<std::size_t>(1, beats.size() / 120);
  std::size_t with_stimulus = 0, looked_at = 0;
  std::vector<float> window;
  for (std::size_t i = 0; i < beats.size(); i += stride) {
    const Beat& b = beats[i];
    ++looked_at;
    if (b.r - before < 0 || b.r + after >= std::int64_t(s.sample_count())) continue;
    for (const auto& l : s.leads) {
      window.assign(l.uv.begin() + (b.r - before), l.uv.begin() + (b.r + after));
      if (bridge_low_rate_spikes(window, fs)) {
        ++with_stimulus;
        break;
      }
    }
  }
  return with_stimulus * 2 >= looked_at;
}

/// Pacemaker spikes: in most beats, a lead shows a second difference 10 times steeper within 30-120 ms before R
/// than anywhere in its own QRS (a spike is one or two samples wide; a QRS is not).
bool paced(const LeadSet& s, const std::vector<Beat>& beats) {
  const double fs = s.sample_rate_hz;
  if (beats.size() < 3) return false;
  if (fs < 400) return paced_at_low_rate(s, beats);
  std::size_t with_spike = 0;
  for (const auto& b : beats) {
    bool spike = false;
    for (const auto& l : s.leads) {
      double pre = 0, qrs = 0;
      for (std::int64_t k = b.r - std::int64_t(0.12 * fs); k < b.r + std::int64_t(0.06 * fs); ++k) {
        if (k < 1 || k + 1 >= std::int64_t(l.uv.size())) continue;
        const double d2 = std::abs(l.uv[std::size_t(k + 1)] - 2 * l.uv[std::size_t(k)] + l.uv[std::size_t(k - 1)]);
        double& m = k < b.r - std::int64_t(0.03 * fs) ? pre : qrs;
        m = std::max(m, d2);
      }
      if (qrs > 0 && pre > 10 * qrs) { spike = true; break; }
    }
    with_spike += spike;
  }
  return with_spike * 2 >= beats.size();
}

struct BeatPr {
  std::vector<double> pr_ms;  // PR of each examined beat where a P wave was found
  std::size_t examined = 0;
  /// Beats whose PR lies within 40 ms of the median PR: one mistaken P cannot spoil a steady rhythm.
  std::size_t steady() const {
    const double med = median_of(pr_ms);
    return std::size_t(std::count_if(pr_ms.begin(), pr_ms.end(), [&](double x) { return std::abs(x - med) <= 40; }));
  }
};

/// P wave and PR of individual dominant beats (at most 60, spread over the record). A premature beat without a P
/// wave (short RR before, or a coupling interval then a pause) is an ectopic beat, typed or not: it tells nothing of
/// the underlying atrial rhythm and is not counted. Multiform PVCs that correlate with the dominant template (MIT-BIH
/// 106) otherwise made a sinus rhythm with ectopy look P-less. In AF the beats that are not premature still lack a
/// P wave at a steady PR, so they still count against one.
BeatPr beat_pr(const LeadSet& s, const std::vector<Beat>& beats) {
  BeatPr out;
  std::vector<double> rr;
  for (std::size_t i = 1; i < beats.size(); ++i)
    if (rr_before(beats, i)) rr.push_back(double(beats[i].r - beats[i - 1].r));
  const double rr_med = median_of(rr);
  const std::size_t step = std::max<std::size_t>(1, beats.size() / 60);
  for (std::size_t i = 1; i + 1 < beats.size(); i += step) {
    if (beats[i].type != BeatType::Normal) continue;
    auto f = delineate_beat(s, beats[i].r, beats[i - 1].r, beats[i + 1].r);
    const double before = double(beats[i].r - beats[i - 1].r), after = double(beats[i + 1].r - beats[i].r);
    // Across a signal gap there is no interval to be early in.
    const bool premature = rr_before(beats, i) && (before < 0.85 * rr_med || (rr_before(beats, i + 1) && before < 0.8 * after));
    if (f.p_on && f.qrs_on) out.pr_ms.push_back(double(*f.qrs_on - *f.p_on) * 1000.0 / s.sample_rate_hz);
    else if (premature) continue;
    ++out.examined;
  }
  return out;
}

void say_second_degree(Analysis& a, const SecondDegreeBlock& d) {
  const std::string n = std::to_string(d.blocked);
  const std::string waves = n + " P wave" + (d.blocked > 1 ? "s" : "") + " not conducted";
  switch (d.type) {
    case SecondDegreeBlock::MobitzI:
      say(a, "second_degree_av_block_mobitz_i",
          "Second-degree AV block, Mobitz I (Wenckebach) suspected: " + waves + ", the PR lengthening before each (P peak to R " +
              fmt(d.pr_before_ms) + " ms before, " + fmt(d.pr_after_ms) + " ms after)",
          "二度 I 型房室传导阻滞（文氏型，疑似）：" + n + " 个 P 波未下传，之前 PR 逐搏延长（P 波峰至 R 波：脱漏前 " +
              fmt(d.pr_before_ms) + " ms，脱漏后 " + fmt(d.pr_after_ms) + " ms）",
          Severity::Warning);
      break;
    case SecondDegreeBlock::MobitzII:
      say(a, "second_degree_av_block_mobitz_ii",
          "Second-degree AV block, Mobitz II suspected: " + waves + " at a constant PR (P peak to R " +
              fmt(d.pr_after_ms) + " ms)",
          "二度 II 型房室传导阻滞（疑似）：" + n + " 个 P 波未下传，PR 间期固定（P 波峰至 R 波 " + fmt(d.pr_after_ms) +
              " ms）",
          Severity::Warning);
      break;
    case SecondDegreeBlock::Undetermined:
      say(a, "second_degree_av_block",
          "Second-degree AV block suspected: " + waves + " (atrial rate " + fmt(d.atrial_rate) + "/min)",
          "二度房室传导阻滞（疑似）：" + n + " 个 P 波未下传（心房率 " + fmt(d.atrial_rate) + " 次/分）", Severity::Warning);
      break;
  }
}

/// Bigeminal RR: intervals alternate short-long with each half stable (coupled premature beats, typed or not).
/// Such a series has a high RMSSD and turning-point ratio, like AF, but it is regular in its own way.
bool bigeminal_rr(const std::vector<Beat>& b) {
  std::vector<double> odd, even;
  for (std::size_t i = 1; i < b.size(); ++i)
    if (rr_before(b, i)) (i % 2 ? odd : even).push_back(double(b[i].r - b[i - 1].r));
  if (odd.size() < 3 || even.size() < 3) return false;
  auto spread = [](const std::vector<double>& v) {  // largest deviation from the median, relative to it
    const double med = median_of(v);
    double d = 0;
    for (double x : v) d = std::max(d, std::abs(x - med));
    return med > 0 ? d / med : 1.0;
  };
  const double lo = std::min(median_of(odd), median_of(even)), hi = std::max(median_of(odd), median_of(even));
  return lo < 0.8 * hi && spread(odd) < 0.12 && spread(even) < 0.12;
}

/// Ventricular beats in bigeminy: each the only V between normal beats, in at least three consecutive N-V cycles.
bool ventricular_bigeminy(const std::vector<Beat>& b) {
  int cycles = 0, best = 0;
  for (std::size_t i = 1; i + 1 < b.size(); ++i) {
    const bool nv = b[i - 1].type == BeatType::Normal && b[i].type == BeatType::Ventricular && b[i + 1].type == BeatType::Normal;
    if (nv) {
      ++cycles;
      best = std::max(best, cycles);
      ++i;  // the next N opens the next cycle
    } else {
      cycles = 0;
    }
  }
  return best >= 3;
}

/// Supraventricular premature beats: a beat of the dominant shape (typed normal) that comes early, its interval at
/// most 85% of the mean of the two normal-to-normal intervals before it, and is followed by a longer one (the sinus
/// node reset by the early beat). Breathing moves the sinus rate by a few percent from beat to beat, not 15%. The
/// first three and the last beat have no intervals enough around them. premature[i]: beat i is one.
std::vector<bool> premature_normal_beats(const std::vector<Beat>& b) {
  std::vector<bool> premature(b.size(), false);
  auto normal = [&](std::size_t i) { return b[i].type == BeatType::Normal && !premature[i]; };
  for (std::size_t i = 3; i + 1 < b.size(); ++i) {
    if (!normal(i) || !normal(i - 1) || !normal(i - 2) || !normal(i - 3)) continue;
    if (!rr_before(b, i - 2) || !rr_before(b, i - 1) || !rr_before(b, i) || !rr_before(b, i + 1)) continue;
    const double before = double(b[i - 1].r - b[i - 3].r) / 2, rr = double(b[i].r - b[i - 1].r);
    premature[i] = rr <= 0.85 * before && double(b[i + 1].r - b[i].r) > 1.15 * rr;
  }
  return premature;
}

}  // namespace

void rhythm_statements(Analysis& a, const LeadSet& s, const std::optional<LimbTremor>& tremor,
                       const std::optional<PatientAge>& age) {
  const double fs = a.sample_rate_hz;
  const auto& b = a.beats;
  const Measurements& m = a.measurements;
  if (b.size() < 3 || !m.heart_rate) {
    say(a, "rhythm_undetermined", "Rhythm undetermined: too few QRS complexes detected",
        "心律无法判定：检出的 QRS 波群过少", Severity::Warning);
    return;
  }
  // Pauses.
  const double longest = longest_pause_s(b, fs);
  if (longest >= 2.0)
    say(a, "pause", "Pause of " + fmt(longest, 1) + " s", "长间歇 " + fmt(longest, 1) + " 秒", Severity::Warning);
  // Ectopy.
  int v = 0, run = 0, longest_run = 0;
  double run_rate = 0;
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (b[i].type == BeatType::Ventricular) {
      ++v;
      ++run;
      if (run >= 3 && run >= longest_run) {
        longest_run = run;
        run_rate = 60.0 * fs * double(run - 1) / double(b[i].r - b[i - std::size_t(run) + 1].r);
      }
    } else {
      run = 0;
    }
  }
  const double v_frac = double(v) / double(b.size());
  if (longest_run >= 3) {
    say(a, run_rate >= 100 ? "ventricular_tachycardia_suspected" : "ventricular_run",
        "Run of " + std::to_string(longest_run) + " ventricular beats at " + fmt(run_rate) + "/min",
        std::string(run_rate >= 100 ? "室性心动过速（疑似）" : "连发室性搏动") + "：连续 " + std::to_string(longest_run) +
            " 个室性搏动，" + fmt(run_rate) + " 次/分",
        Severity::Warning);
  }
  // Bigeminy keeps the frequent-PVC code (readers and the report template know it) and says so in the text.
  if (v >= 2 && (v_frac >= 0.1 || v >= 6 * std::max(1.0, a.sample_count / fs / 60.0))) {
    const bool bigeminy = ventricular_bigeminy(b);
    say(a, "frequent_pvcs", "Frequent ventricular premature beats (" + std::to_string(v) + " of " + std::to_string(b.size()) + ")" +
                                (bigeminy ? ", ventricular bigeminy" : ""),
        "频发室性早搏（" + std::to_string(b.size()) + " 个心搏中 " + std::to_string(v) + " 个）" + (bigeminy ? "，室性早搏二联律" : ""),
        Severity::Warning);
  } else if (v > 0) {
    say(a, "pvcs", std::to_string(v) + " ventricular premature beat" + (v > 1 ? "s" : ""),
        "室性早搏 " + std::to_string(v) + " 个");
  }
  // Irregularity of the intervals between normal beats: an interval touching a ventricular or unclassified beat
  // (a fusion beat, a beat whose fiducial could not be matched to the template) says nothing of the atrial rhythm.
  std::vector<double> rr;
  for (std::size_t i = 1; i < b.size(); ++i)
    if (b[i].type == BeatType::Normal && b[i - 1].type == BeatType::Normal && rr_before(b, i))
      rr.push_back(double(b[i].r - b[i - 1].r) / fs);
  double nrmssd = 0, tpr = 0, median_step = 0;  // median_step: median |successive difference| / mean RR
  if (rr.size() >= 6) {
    double mean = 0, ss = 0;
    for (double x : rr) mean += x;
    mean /= double(rr.size());
    for (std::size_t i = 1; i < rr.size(); ++i) ss += (rr[i] - rr[i - 1]) * (rr[i] - rr[i - 1]);
    nrmssd = std::sqrt(ss / double(rr.size() - 1)) / mean;
    int tp = 0;
    for (std::size_t i = 1; i + 1 < rr.size(); ++i)
      tp += (rr[i] > rr[i - 1] && rr[i] > rr[i + 1]) || (rr[i] < rr[i - 1] && rr[i] < rr[i + 1]);
    tpr = double(tp) / double(rr.size() - 2);
    std::vector<double> d;
    for (std::size_t i = 1; i < rr.size(); ++i) d.push_back(std::abs(rr[i] - rr[i - 1]));
    median_step = median_of(d) / mean;
  }
  const bool p_present = a.median_fiducials.p_on.has_value();
  const double hr = *m.heart_rate;
  // A stable short-long alternation of all intervals (premature beats in bigeminy, typed or not) is not AF.
  const bool irregular = rr.size() >= 6 && nrmssd > 0.10 && tpr > 0.4 && !bigeminal_rr(b);
  // AF's irregularity is pervasive: one pause, one unrecognised premature beat or one misplaced fiducial makes two
  // large successive differences, which dominate the RMSSD of a 10-s ECG but not their median. 0.067 is what the
  // 0.10 RMSSD bound means for the median when the differences are random (Gaussian: median |x| = 0.674 RMS), so
  // AF meets both alike. (Irregular but not pervasively so is still no "regular" tachycardia below.)
  const bool pervasive = median_step > 0.067;
  // Sinus conduction shows a P wave before most beats at a steady PR; fibrillation waves or dissociated P waves do not.
  const BeatPr bp = beat_pr(s, b);
  // A P wave on the median beat is sinus-like unless the beats where a P wave was found scatter in PR.
  const bool p_consistent = p_present && (bp.pr_ms.size() < 3 || bp.steady() * 5 >= bp.pr_ms.size() * 3);
  // Very irregular intervals are AF unless nearly every beat has a P wave at the same PR.
  const bool p_strong = p_present && bp.pr_ms.size() * 5 >= bp.examined * 4 && bp.steady() * 10 >= bp.pr_ms.size() * 9;
  // Beats dropped among regular atrial waves (second-degree AV block) make the intervals irregular and, in
  // Wenckebach's cycles, the PR vary from beat to beat: AF by the intervals alone (a synthetic 4:3 Wenckebach was).
  AtrialWaves atrial(a, s);
  const auto second_degree = second_degree_block(a, atrial);
  // So do 3:1 and 2:1 conduction mixed (high-grade block): AF by the intervals, or premature beats and sinus
  // arrhythmia where the P waves were consistent enough.
  const auto conduction = av_conduction(a, atrial, nrmssd);
  const bool high_grade = conduction && conduction->kind == AvConduction::HighGrade;
  // In complete block the P waves march through the QRS at their own (sinus) rate, so the PR scatters: the rhythm
  // was "non-sinus or undetermined", or sinus at the escape rhythm's rate with a "first-degree block" of whatever PR
  // the median beat showed.
  const bool complete = conduction && conduction->kind == AvConduction::Complete;
  const bool af = irregular && pervasive && v_frac < 0.3 && (nrmssd > 0.2 ? !p_strong : !p_consistent) && !second_degree &&
                  !high_grade;
  // Paced: spikes before most beats, or a stimulus starting the median (dominant) beat's QRS, as delineation finds
  // it: also where the recorder blanks the stimulus instead of showing a spike (LUDB 111; qrs_bounds.cpp).
  if (paced(s, b) || a.median_fiducials.pacing_stimulus) {
    say(a, "paced_rhythm", "Pacemaker stimuli before most QRS complexes: paced rhythm, " + fmt(hr) + "/min",
        "起搏心律，" + fmt(hr) + " 次/分（多数 QRS 波群前有起搏刺激）");
  } else if (af) {
    say(a, "atrial_fibrillation", "Atrial fibrillation suspected (irregular RR, no consistent P wave), ventricular rate " +
                                      fmt(hr) + "/min",
        "心房颤动（疑似）：RR 间期不规则，无一致的 P 波，心室率 " + fmt(hr) + " 次/分", Severity::Warning);
  } else if (!tremor && (locked_flutter_waves(a) || flutter_waves(s, a, p_present))) {
    // A limb electrode's tremor is a regular 4-12 Hz wave in the limb leads, flutter-like in II and, over a 10-s
    // ECG's few beats, not averaged out of the median beat either (quality_statements names it): flutter is then
    // left to the reader, who is asked for a steadier recording.
    say(a, "atrial_flutter", "Atrial flutter suspected (regular atrial waves 230-360/min instead of P waves)",
        "心房扑动（疑似）：规则的心房波（230–360 次/分）代替 P 波", Severity::Warning);
  } else if (second_degree || high_grade || complete ||
             (p_consistent && m.pr && *m.pr >= std::min(80.0, pr_range(age).low) && *m.pr <= 400)) {
    // Beats dropped by an AV block leave the sinus node's rate where it was: the atrial waves', not the ventricles'
    // (a 2:1 block at an atrial rate of 75/min is sinus rhythm, not sinus bradycardia at 38).
    const double atrial_rate = second_degree ? second_degree->atrial_rate : conduction ? conduction->atrial_rate : 0;
    const double rate = atrial_rate > 0 ? atrial_rate : hr;
    const std::string of = atrial_rate > 0 ? "atrial rate " : "", of_zh = atrial_rate > 0 ? "心房率 " : "";
    // A child's heart beats faster: 130/min is a normal rate at two and a tachycardia at forty. The limits of the
    // child's age are named, so the reader sees why 130 is not called fast.
    const AgeRange limits = sinus_rate_range(age);
    const bool child = !limits.age_en.empty();
    const std::string range = child ? " (normal at " + limits.age_en + ": " + fmt(limits.low) + "-" + fmt(limits.high) + "/min)" : "";
    const std::string range_zh =
        child ? "（" + limits.age_zh + "正常范围 " + fmt(limits.low) + "–" + fmt(limits.high) + " 次/分）" : "";
    if (rate < limits.low)
      say(a, "sinus_bradycardia", "Sinus bradycardia, " + of + fmt(rate) + "/min" + range, "窦性心动过缓，" + of_zh + fmt(rate) + " 次/分" + range_zh);
    else if (rate > limits.high)
      say(a, "sinus_tachycardia", "Sinus tachycardia, " + of + fmt(rate) + "/min" + range, "窦性心动过速，" + of_zh + fmt(rate) + " 次/分" + range_zh);
    else
      say(a, "sinus_rhythm", "Sinus rhythm, " + of + fmt(rate) + "/min" + range, "窦性心律，" + of_zh + fmt(rate) + " 次/分" + range_zh);
    if (second_degree) say_second_degree(a, *second_degree);
    // A beat after a dropped one comes early against the long interval before it: no premature beats, nor sinus
    // arrhythmia, beside the block.
    const bool dropped_beats = second_degree || high_grade || complete;  // the intervals are not the sinus node's
    const std::vector<bool> premature = dropped_beats ? std::vector<bool>(b.size(), false) : premature_normal_beats(b);
    if (const auto n = std::count(premature.begin(), premature.end(), true); n > 0)
      say(a, "supraventricular_premature_beats",
          std::to_string(n) + " supraventricular premature beat" + (n > 1 ? "s" : "") +
              " (normal QRS, at 85% of the preceding intervals or earlier)",
          "室上性早搏 " + std::to_string(n) + " 个（QRS 形态正常，提前至前间期的 85% 以内）");
    // Sinus arrhythmia (窦性心律不齐): the textbook's P-P intervals differing by more than 120 ms in sinus rhythm,
    // the intervals between normal beats standing for them (one P wave to each), less the two around a premature
    // beat. Not with a pause, stated above: a sinus pause or a dropped beat, not the breathing's slow swing.
    std::vector<double> sinus_rr;
    for (std::size_t i = 1; i < b.size(); ++i)
      if (b[i].type == BeatType::Normal && b[i - 1].type == BeatType::Normal && !premature[i] && !premature[i - 1] &&
          rr_before(b, i))
        sinus_rr.push_back(double(b[i].r - b[i - 1].r) / fs);
    if (sinus_rr.size() >= 4 && longest < 2.0 && !dropped_beats) {
      const auto [shortest, widest] = std::minmax_element(sinus_rr.begin(), sinus_rr.end());
      if (const double spread = std::round((*widest - *shortest) * 1000); spread > 120)
        say(a, "sinus_arrhythmia", "Sinus arrhythmia (intervals between normal beats differ by up to " + fmt(spread) + " ms)",
            "窦性心律不齐（正常心搏间期最大相差 " + fmt(spread) + " ms）");
    }
    if (m.qtc_bazett && *m.qtc_bazett >= 470 && m.qrs && *m.qrs < 120)
      say(a, "prolonged_qtc", "QTc " + fmt(*m.qtc_bazett) + " ms (Bazett): prolonged",
          "QTc 延长：" + fmt(*m.qtc_bazett) + " ms（Bazett）", Severity::Warning);
    // The PR of a Wenckebach cycle lengthens by design, and complete block has none: the median's says nothing of a
    // first-degree block. A child's PR is shorter: 170 ms is first-degree block at two (rheumatic carditis shows it
    // first), 100 ms no pre-excitation at six months; the limits of its age are named.
    const AgeRange pr = pr_range(age);
    const std::string pr_norm = pr.age_en.empty() ? "" : "normal at " + pr.age_en + ": " + fmt(pr.low) + "-" + fmt(pr.high) + " ms";
    const std::string pr_norm_zh = pr.age_zh.empty() ? "" : pr.age_zh + "正常范围 " + fmt(pr.low) + "–" + fmt(pr.high) + " ms";
    if (m.pr && *m.pr > pr.high && !complete && !(second_degree && second_degree->type == SecondDegreeBlock::MobitzI))
      say(a, "first_degree_av_block",
          "PR " + fmt(*m.pr) + " ms" + (pr_norm.empty() ? "" : " (" + pr_norm + ")") + ": first-degree AV block suspected",
          "一度房室传导阻滞（疑似）：PR 间期 " + fmt(*m.pr) + " ms" + (pr_norm_zh.empty() ? "" : "（" + pr_norm_zh + "）"),
          Severity::Warning);
    // Under 120 ms (a child's lower limit: pr_range) the impulse reaches the ventricles faster than the AV node lets
    // it: an accessory pathway (pre-excitation, whose delta wave widens the QRS's start; the reader looks for it) or
    // enhanced AV nodal conduction. MIT-BIH's 1,351 sinus 10-s windows: 5 measure under 120 ms (paced 104 and 107,
    // noisy 105, LBBB 109); LUDB's dev records none.
    if (m.pr && *m.pr < pr.low && !dropped_beats)
      say(a, "short_pr",
          "Short PR interval (PR " + fmt(*m.pr) + " ms" + (pr_norm.empty() ? "" : "; " + pr_norm) +
              "): look for a delta wave (pre-excitation)",
          "短 PR 间期（PR " + fmt(*m.pr) + " ms" + (pr_norm_zh.empty() ? "" : "，" + pr_norm_zh) + "）：请注意有无 δ 波（心室预激）");
  } else if (!p_present && m.qrs && *m.qrs < 120 && hr > sinus_rate_range(age).high && !irregular) {
    // Tachycardia past the fastest sinus rate of the patient's age: an infant's 165/min without a P wave found (on
    // the T wave at that rate) is no tachycardia; it is left undetermined below.
    say(a, "supraventricular_tachycardia", "Regular narrow-QRS tachycardia without visible P waves, " + fmt(hr) + "/min",
        "窄 QRS 心动过速（室上性），节律规则，未见 P 波，" + fmt(hr) + " 次/分", Severity::Warning);
  } else {
    say(a, "rhythm_other", "Non-sinus or undetermined rhythm, ventricular rate " + fmt(hr) + "/min",
        "非窦性或未定心律，心室率 " + fmt(hr) + " 次/分");
  }
  if (conduction) say_av_conduction(a, *conduction);
}

}  // namespace teledx::ecg::detail
