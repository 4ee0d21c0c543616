// analyze(): the pipeline from a raw waveform to measurements, statements and critical flags.
#include <algorithm>
#include <numbers>

#include "analysis_internal.hpp"
#include "filters_internal.hpp"
#include "teledx/ecg/processing.hpp"

namespace teledx::ecg {

Fiducials detail::delineate_median(const LeadSet& median, std::int64_t median_r, const std::vector<Beat>& beats) {
  // Neighbouring beats bound the search windows, as for a real beat: at the median RR before and after the
  // normal beats the median is made of (in bigeminy the next beat is the premature one, the previous a pause).
  std::vector<double> rr, before, after;
  for (std::size_t i = 1; i < beats.size(); ++i) {
    if (!detail::rr_before(beats, i)) continue;
    const double d = double(beats[i].r - beats[i - 1].r);
    rr.push_back(d);
    if (beats[i].type == BeatType::Normal) before.push_back(d);
    if (beats[i - 1].type == BeatType::Normal) after.push_back(d);
  }
  const auto rr_before = std::int64_t(detail::median_of(before.empty() ? rr : before));
  const auto rr_after = std::int64_t(detail::median_of(after.empty() ? rr : after));
  // The global boundaries, and so PR, QRS and QT, are those of the standard twelve leads, as the measurement
  // standards define them. An 18-lead ECG's V3R-V5R and V7-V9 are there for ST in their territories: counted in the
  // leads' vote they moved the global QRS end (LUDB 10 with six such leads added: QRS 126 -> 108 ms, its complete
  // RBBB no longer stated).
  std::vector<std::size_t> standard;
  for (std::size_t i = 0; i < median.leads.size(); ++i)
    if (is_standard_lead(median.leads[i].lead)) standard.push_back(i);
  if (standard.size() == 12 && standard.size() < median.leads.size()) {
    LeadSet twelve;
    twelve.sample_rate_hz = median.sample_rate_hz;
    for (auto i : standard) twelve.leads.push_back(median.leads[i]);
    Fiducials f = delineate_median_beat(twelve, median_r, median_r - rr_before, median_r + rr_after);
    std::vector<LeadBoundaries> per_lead(median.leads.size());
    for (std::size_t k = 0; k < standard.size() && k < f.per_lead.size(); ++k) per_lead[standard[k]] = f.per_lead[k];
    f.per_lead = std::move(per_lead);
    return f;
  }
  return delineate_median_beat(median, median_r, median_r - rr_before, median_r + rr_after);
}

Analysis analyze(const Waveform& ecg, const AnalysisOptions& options) {
  Analysis a;
  a.sample_rate_hz = ecg.sample_rate_hz;
  a.sample_count = std::int64_t(ecg.sample_count());
  a.device_measurements = standard_device_measurements(ecg);
  if (ecg.leads.empty() || ecg.sample_rate_hz <= 0 || ecg.sample_count() < std::size_t(ecg.sample_rate_hz)) {
    a.quality.push_back({"too_short", "The recording is shorter than one second: nothing to analyse", Severity::Warning,
                         std::nullopt, "记录过短：不足 1 秒，无法分析"});
    return a;
  }
  LeadSet cond = ecg;
  detail::ConditioningFindings conditioning;
  if (options.remove_baseline_and_mains) a.mains_removed_hz = detail::condition_signals_with_findings(cond, &conditioning);
  // The quality check's 40 Hz low-passed copies of the leads are filtered in the QRS detector's first filter loop:
  // for a 2-lead Holter record that loop then carries four recursions instead of two, at about the same cost. The
  // noise measure is taken from them and they are freed before the detector's working arrays are allocated: those
  // then reuse their memory rather than fresh pages (each a kernel page fault and zeroing on first touch).
  const double fs = ecg.sample_rate_hz;
  std::vector<double> hf_rms;
  std::vector<std::vector<float>> band;
  {
    const auto lp40 = detail::Biquad::lowpass(fs, 40, std::numbers::sqrt2 / 2);
    std::vector<std::vector<float>> smooth;
    std::vector<detail::FilterChain> chains;
    for (const auto& l : cond.leads) smooth.push_back(l.uv);
    if (40 < fs * 0.45)
      for (auto& x : smooth) chains.push_back({&lp40, x.data()});
    band = detail::qrs_bands_along(cond, {}, chains);
    hf_rms = detail::high_frequency_rms(cond, smooth);
  }
  // With every lead flat there is no ECG to find beats in: the detector's adaptive thresholds would follow the
  // amplifier's few µV of noise down and call it beats (a recording with all electrodes off read as VT at 180/min).
  const bool any_signal = std::any_of(cond.leads.begin(), cond.leads.end(),
                                      [](const LeadSignal& l) { return !detail::lead_is_flat(l.uv); });
  if (any_signal) a.beats = detail::classify_beats(cond, detail::detect_qrs_in(cond, {}, std::move(band)));
  detail::mark_beats_after_gaps(a.beats, conditioning.gaps, fs);
  auto bursts = detail::untype_noise_runs(a.beats, cond);
  a.median = detail::median_beat(cond, a.beats, a.median_r);
  // "Beats" whose median complex stays under a tenth of a millivolt in every lead are a slow wave or noise on leads
  // without an ECG (a cable swaying with the electrodes off), not QRS complexes: nothing is measured or stated on them.
  const bool no_qrs = !a.median.leads.empty() && detail::largest_qrs_uv(a.median, a.median_r) < detail::kMinQrsUv;
  if (no_qrs) a.beats.clear(), bursts.clear(), a.median = {}, a.median_r = 0;
  if (!a.median.leads.empty()) a.median_fiducials = detail::delineate_median(a.median, a.median_r, a.beats);
  a.measurements = detail::measure(a);
  detail::qrs_amplitudes(a);
  const auto tremor = detail::limb_electrode_tremor(a, cond);
  const auto age = detail::patient_age_at(ecg.patient, ecg.acquisition_time);
  for (const auto& [key, range] : {std::pair{"heart_rate_bpm", detail::sinus_rate_range(age)},
                                   std::pair{"pr_ms", detail::pr_range(age)},
                                   std::pair{"qrs_axis_deg", detail::qrs_axis_range(age)}})
    a.normal_ranges[key] = {range.low, range.high, range.age_en, range.age_zh};
  detail::rhythm_statements(a, cond, tremor, age);
  detail::st_statements(a, ecg.patient, ecg.acquisition_time);
  detail::quality_statements(a, ecg, cond, hf_rms, bursts, tremor, {no_qrs, std::move(conditioning)});
  // After the leads found off or noisy and the electrodes found swapped:
  detail::atrial_origin_statements(a);
  detail::axis_statements(a, age);
  detail::bundle_branch_statements(a, age);
  detail::t_wave_statements(a, age);
  detail::voltage_statements(a, ecg.patient, ecg.acquisition_time);
  detail::q_wave_statements(a);
  detail::critical_flags(a, cond, hf_rms, age);
  return a;
}

}  // namespace teledx::ecg
