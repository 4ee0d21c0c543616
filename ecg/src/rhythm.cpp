// Rhythm statements: sinus rhythm/bradycardia/tachycardia, atrial fibrillation/flutter, PVCs and runs, pauses,
// AV-conduction suspicion. RR irregularity uses the normalised RMSSD and the turning-point ratio.
#include <algorithm>
#include <cmath>
#include <numbers>

#include "analysis_internal.hpp"
#include "teledx/ecg/processing.hpp"

namespace teledx::ecg::detail {
namespace {

void say(Analysis& a, std::string code, std::string text, Severity sev = Severity::Info) {
  a.rhythm.push_back({std::move(code), std::move(text), sev, std::nullopt});
}

/// Atrial flutter waves: the QRS-T-cancelled residual in II or V1 has a dominant 3.8-6 Hz peak (230-360/min).
bool flutter_waves(const LeadSet& s, const Analysis& a) {
  const double fs = s.sample_rate_hz;
  for (Lead want : {Lead::II, Lead::V1, Lead::MLII}) {
    const LeadSignal* l = s.find(want);
    const LeadSignal* m = a.median.find(want);
    if (!l || !m) continue;
    std::vector<float> res = l->uv;
    // Subtract the median beat around each beat (QRS-T cancellation).
    for (const auto& b : a.beats)
      for (std::int64_t k = -std::int64_t(0.08 * fs); k < std::int64_t(0.45 * fs); ++k) {
        const std::int64_t t = b.r + k, mk = a.median_r + k;
        if (t >= 0 && t < std::int64_t(res.size()) && mk >= 0 && mk < std::int64_t(m->uv.size()))
          res[std::size_t(t)] -= m->uv[std::size_t(mk)];
      }
    double best = 0, best_hz = 0, total = 0;
    for (double hz = 2.0; hz <= 9.0; hz += 0.1) {
      const double p = tone_rms(res, fs, hz);
      total += p;
      if (p > best) best = p, best_hz = hz;
    }
    const double mean = total / 71.0;
    if (best_hz >= 3.8 && best_hz <= 6.0 && best > 3.0 * mean && best > 25) return true;
  }
  return false;
}

}  // namespace

void rhythm_statements(Analysis& a, const LeadSet& s) {
  const double fs = a.sample_rate_hz;
  const auto& b = a.beats;
  const Measurements& m = a.measurements;
  if (b.size() < 3 || !m.heart_rate) {
    say(a, "rhythm_undetermined", "Rhythm undetermined: too few QRS complexes detected", Severity::Warning);
    return;
  }
  // Pauses.
  double longest = 0;
  for (std::size_t i = 1; i < b.size(); ++i) longest = std::max(longest, double(b[i].r - b[i - 1].r) / fs);
  if (longest >= 2.0) say(a, "pause", "Pause of " + fmt(longest, 1) + " s", Severity::Warning);
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
        "Run of " + std::to_string(longest_run) + " ventricular beats at " + fmt(run_rate) + "/min", Severity::Warning);
  }
  if (v > 0 && (v_frac >= 0.1 || v >= 6 * std::max(1.0, a.sample_count / fs / 60.0)))
    say(a, "frequent_pvcs", "Frequent ventricular premature beats (" + std::to_string(v) + " of " + std::to_string(b.size()) + ")",
        Severity::Warning);
  else if (v > 0)
    say(a, "pvcs", std::to_string(v) + " ventricular premature beat" + (v > 1 ? "s" : ""));
  // Irregularity of dominant-beat intervals.
  std::vector<double> rr;
  for (std::size_t i = 1; i < b.size(); ++i)
    if (b[i].type != BeatType::Ventricular && b[i - 1].type != BeatType::Ventricular) rr.push_back(double(b[i].r - b[i - 1].r) / fs);
  double nrmssd = 0, tpr = 0;
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
  }
  const bool p_present = a.median_fiducials.p_on.has_value();
  const double hr = *m.heart_rate;
  const bool irregular = rr.size() >= 6 && nrmssd > 0.10 && tpr > 0.4;
  if (!p_present && irregular && v_frac < 0.3) {
    say(a, "atrial_fibrillation", "Atrial fibrillation suspected (irregular RR, no consistent P wave), ventricular rate " +
                                      fmt(hr) + "/min", Severity::Warning);
  } else if (!p_present && flutter_waves(s, a)) {
    say(a, "atrial_flutter", "Atrial flutter suspected (regular atrial waves 230-360/min, no P wave)", Severity::Warning);
  } else if (p_present && m.pr && *m.pr >= 80 && *m.pr <= 400) {
    if (hr < 60) say(a, "sinus_bradycardia", "Sinus bradycardia, " + fmt(hr) + "/min");
    else if (hr > 100) say(a, "sinus_tachycardia", "Sinus tachycardia, " + fmt(hr) + "/min");
    else say(a, "sinus_rhythm", "Sinus rhythm, " + fmt(hr) + "/min");
    if (*m.pr > 200) say(a, "first_degree_av_block", "PR " + fmt(*m.pr) + " ms: first-degree AV block suspected", Severity::Warning);
  } else if (!p_present && m.qrs && *m.qrs < 120 && hr > 100 && !irregular) {
    say(a, "supraventricular_tachycardia", "Regular narrow-QRS tachycardia without visible P waves, " + fmt(hr) + "/min",
        Severity::Warning);
  } else {
    say(a, "rhythm_other", "Non-sinus or undetermined rhythm, ventricular rate " + fmt(hr) + "/min");
  }
  // Complete AV block: slow regular ventricular rhythm with P waves whose PR wanders (AV dissociation).
  std::vector<double> pr = beat_pr_intervals(s, b);
  if (pr.size() >= 4 && pr.size() * 2 >= b.size() && hr < 60 && rr.size() >= 4 && nrmssd < 0.1) {
    double mean = 0, sd = 0;
    for (double x : pr) mean += x;
    mean /= double(pr.size());
    for (double x : pr) sd += (x - mean) * (x - mean);
    sd = std::sqrt(sd / double(pr.size() - 1));
    if (sd > 40)
      say(a, "third_degree_av_block_suspected",
          "Third-degree AV block suspected: P waves unrelated to QRS (PR varies, SD " + fmt(sd) + " ms), ventricular rate " +
              fmt(hr) + "/min",
          Severity::Warning);
  }
}

}  // namespace teledx::ecg::detail
