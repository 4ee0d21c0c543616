#pragma once
// Stages of analyze(), one file each; they communicate through Analysis and the conditioned signals.
#include <algorithm>
#include <cstdint>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "filters_internal.hpp"
#include "teledx/ecg/analysis.hpp"
#include "teledx/ecg/waveform.hpp"

namespace teledx::ecg::detail {

/// Normal / ventricular / unknown by correlation with the dominant template, width and prematurity.
std::vector<Beat> classify_beats(const LeadSet& conditioned, const std::vector<std::int64_t>& r);
/// Sample-wise median of the dominant beats per lead; `r_index` receives the R position inside it.
LeadSet median_beat(const LeadSet& conditioned, const std::vector<Beat>& beats, std::int64_t& r_index);
/// The median beat's boundaries, its search windows bounded by the median RR before and after its normal beats.
Fiducials delineate_median(const LeadSet& median, std::int64_t median_r, const std::vector<Beat>& beats);
/// delineate_beat() on a median beat, where averaging has taken out the noise: a P wave is also sought past a slope
/// that comes down into its search window (delineation.cpp, p_wave.cpp).
Fiducials delineate_median_beat(const LeadSet& median, std::int64_t median_r, std::int64_t previous_r, std::int64_t next_r);
/// The QT (ms) of the median beat of the first and of the second half of the beats, each made and delineated as
/// analyze() makes the whole one's: how reproducible the QT is (nullopt where a half has no QT).
std::pair<std::optional<double>, std::optional<double>> qt_of_halves(const LeadSet& conditioned, const std::vector<Beat>& beats);
/// A lead's first `length` samples with the median beat's QRS-T taken out: the median beat's samples from `before_s`
/// before to `after_s` after each beat's R subtracted, each beat's stretch ending where the next one's begins (at a
/// fast rate, overlapping stretches would take the median beat out twice and leave a wave at the heart rate).
/// What is left is the atrial activity and the noise.
std::vector<float> qrs_t_cancelled(const LeadSignal& lead, const LeadSignal& median, const Analysis& a,
                                   double before_s, double after_s, std::size_t length = SIZE_MAX);
/// Intervals, rate and frontal axes from the median beat and the beat list.
Measurements measure(const Analysis& a);
/// A lead's level before its QRS, which the axes, ST levels and QRS amplitudes are measured from: the mean of the
/// 20 ms up to the QRS onset (measurements.cpp).
double pr_baseline_uv(const LeadSignal& lead, std::int64_t qrs_on, double fs);
/// A lead's isoelectric level for the ST segment and the P wave: its PR level, or where the P wave runs into the QRS
/// (Fiducials::level_before_p) the level before the P wave. Requires f.qrs_on.
double isoelectric_uv(const LeadSignal& lead, const Fiducials& f, double fs);
/// One lead of the median beat from its PR level (pr_baseline_uv), for the statements that read the shape of its QRS:
/// x(k) is the lead at sample k less that level; on and off the median beat's QRS bounds.
struct MedianLead {
  const LeadSignal* lead;
  double base;
  std::int64_t on, off;
  double fs;
  double x(std::int64_t k) const { return double(lead->uv[std::size_t(k)]) - base; }
};
/// nullopt when the lead is not recorded, the median beat has no QRS bounds or the lead ends before the QRS does.
std::optional<MedianLead> median_lead(const Analysis& a, Lead lead);
/// A regular oscillation that every chest lead carries alike: a limb electrode's tremor, through Wilson's central
/// terminal (limb_tremor.cpp). `hz` its frequency, `uv` its amplitude in the chest leads (a third of the moving
/// electrodes' summed potential), `coherence` how alike the six leads carry it (1: identical).
struct LimbTremor {
  double hz = 0, uv = 0, coherence = 0;
};
/// Thresholds: the QRS-T-cancelled residual's strongest component in 3-12 Hz shared by the six chest leads is at
/// least kTremorUv, carried with a coherence of kTremorCoherence or more, and by every lead at more than
/// 1/kTremorSpread of the strongest one's size. LUDB's 51 development records as recorded: at most 9 µV with a
/// coherence of 0.77 (16 µV at 0.43, PVCs that the median beat does not cancel); their flutter (LUDB 52) 6 µV at
/// 0.60. A synthetic 5-Hz tremor of 50 µV at the left arm and 25 at the right, where named (14 of the 51; 49 at
/// twice that): coherence 0.8-1, sizes within 1 : 2.6 (`teledx-ecg eval electrodes`; docs/ecg.md, "Limb electrode
/// tremor").
inline constexpr double kTremorUv = 10, kTremorCoherence = 0.8, kTremorSpread = 3;
/// The tremor, when the six chest leads are there and carry it (limb_tremor.cpp).
std::optional<LimbTremor> limb_electrode_tremor(const Analysis& a, const LeadSet& conditioned);
/// The patient's age at the recording: whole years, and days where a birth date or an age stated in days, weeks or
/// months gives them (an infant's limits change within weeks). From the birth date (YYYYMMDD) and the ISO
/// acquisition time when both are given and well formed, else the age the file states; nullopt when neither.
struct PatientAge {
  int years = 0;
  std::optional<int> days;
};
std::optional<PatientAge> patient_age_at(const PatientInfo& patient, const std::string& acquisition_time);
/// A normal range at an age, and the age in words for the statement that cites it ("3 months" / "3 个月", "age 7" /
/// "7 岁"; empty for an adult or an unknown age, which get the adult range).
struct AgeRange {
  double low = 0, high = 0;
  std::string age_en, age_zh;
};
/// Normal sinus rates (/min): Davignon et al. 1979's 2nd-98th percentiles over their age bands, 60-100 from 16 years.
AgeRange sinus_rate_range(const std::optional<PatientAge>& age);
/// Normal QRS frontal axis (degrees): AHA/ACCF/HRS 2009's limits by age, -30 to +90 from 16 years.
AgeRange qrs_axis_range(const std::optional<PatientAge>& age);
/// Normal PR interval (ms): Garson's limits by age, 120-200 from 16 years.
AgeRange pr_range(const std::optional<PatientAge>& age);
/// The QRS width (ms) of a bundle branch block at an age (AHA/ACCF/HRS 2009): complete from `complete` (adults:
/// 120 ms or more; children: over it), incomplete right from `incomplete`.
struct BundleBranchWidths {
  double complete = 120;
  bool inclusive = true;
  double incomplete = 110;
  std::string age_en, age_zh;
  bool is_complete(double qrs_ms) const { return inclusive ? qrs_ms >= complete : qrs_ms > complete; }
};
BundleBranchWidths bundle_branch_widths(const std::optional<PatientAge>& age);
/// The ventricular rate (/min, in `low`) under which bradycardia is critical: 60 under 5 years, else the
/// consensus's 35; the age is named for a child's.
AgeRange critical_low_rate(const std::optional<PatientAge>& age);
/// `tremor`: limb_electrode_tremor(); with it, atrial flutter is not stated (the tremor's waves look like flutter's).
/// `age`: patient_age_at(); a child's sinus rate and PR are judged against the limits of its age.
void rhythm_statements(Analysis& a, const LeadSet& conditioned, const std::optional<LimbTremor>& tremor,
                       const std::optional<PatientAge>& age = std::nullopt);
/// Peaks (samples) of the atrial waves left in the inferior leads once the median QRS-T is subtracted from every beat
/// (av_conduction.cpp), found on first use: the second-degree check and av_conduction() (2:1, high-grade and
/// complete block) read the same ones, and most ECGs need neither.
class AtrialWaves {
 public:
  AtrialWaves(const Analysis& a, const LeadSet& conditioned) : a_(a), s_(conditioned) {}
  const std::vector<std::int64_t>& peaks();

 private:
  const Analysis& a_;
  const LeadSet& s_;
  std::optional<std::vector<std::int64_t>> peaks_;
};
/// AV block read from regular atrial waves against a slower ventricular rate (under 60/min): 2:1 (one wave blocked
/// between each two QRS, at a fixed PR, the intervals regular), high grade (3:1 or worse somewhere, every QRS at a
/// fixed PR from a wave; the intervals may be irregular) or complete (regular intervals, the waves marching through
/// them). Found before the rhythm is stated, so that sinus rhythm is named by the atrial rate; stated after it.
struct AvConduction {
  enum Kind { TwoToOne, HighGrade, Complete } kind;
  double atrial_rate = 0;             ///< /min
  int fewest_waves_per_qrs = 0;       ///< the conduction ratio's range (3 and 3 for 3:1; 2 and 3 for 2:1 to 3:1)
  int most_waves_per_qrs = 0;
};
std::optional<AvConduction> av_conduction(const Analysis& a, AtrialWaves& atrial, double rr_irregularity);
void say_av_conduction(Analysis& a, const AvConduction& c);
/// Second-degree AV block: regular atrial waves, some not followed by a QRS before the next one, with at least two
/// conducted beats for each blocked wave (2:1 and worse are av_conduction()'s). The type from the P-R distance (P
/// wave's peak to R) of the beats around each drop: longer before it, shorter after (Mobitz I, Wenckebach), or the
/// same (Mobitz II).
struct SecondDegreeBlock {
  enum Type { MobitzI, MobitzII, Undetermined } type = Undetermined;
  int blocked = 0;          ///< atrial waves not conducted
  double atrial_rate = 0;   ///< /min
  double pr_before_ms = 0;  ///< the longest P-R before a drop
  double pr_after_ms = 0;   ///< the shortest P-R after one
};
std::optional<SecondDegreeBlock> second_degree_block(const Analysis& a, AtrialWaves& atrial);
/// ST levels per lead and the ST statements (st_segment.cpp): elevation in contiguous leads at the Fourth Universal
/// Definition of MI's thresholds, which in V2-V3 depend on the patient's sex and age (the men's 40 and over when
/// either is not known), and depression.
void st_statements(Analysis& a, const PatientInfo& patient, const std::string& acquisition_time);
/// R and S amplitudes of each lead's median QRS (Analysis::qrs_amplitudes), and RV5 / SV1 among the measurements.
void qrs_amplitudes(Analysis& a);
/// The median beat's QRS amplitudes of one lead (Analysis::qrs_amplitudes), null when it has none.
const QrsAmplitude* qrs_amplitude_of(const Analysis& a, Lead lead);
/// Whether the quality statements already said this lead is off or noisy (quality.cpp).
bool lead_off_or_noisy(const Analysis& a, Lead lead);
/// The patient's age in whole years at the recording (patient_age_at()'s years; age_norms.cpp).
std::optional<int> patient_age(const PatientInfo& patient, const std::string& acquisition_time);
/// "Low QRS voltage" (limb leads, chest leads or both) and "left ventricular high voltage" when the QRS amplitudes
/// meet an adult's voltage criteria (thresholds by the patient's sex where they differ; none for a wide or paced
/// QRS, nor under 18 years at the recording). After quality_statements: a lead off or noisy is not low.
void voltage_statements(Analysis& a, const PatientInfo& patient, const std::string& acquisition_time);
/// "Pathological Q waves" in a wall's contiguous leads (Fourth Universal Definition of MI; q_waves.cpp): not beside
/// pacing, left bundle branch block, a wide QRS other than a right bundle branch block, left ventricular high voltage
/// or a short PR, nor in a lead off or noisy. After voltage_statements.
void q_wave_statements(Analysis& a);
/// An ectopic atrial or junctional rhythm in place of the sinus statement when the median beat's P wave, at a steady
/// PR, is inverted in II, III and aVF (P axis from -30° to -90°; not beside an AV block, with a limb lead off or noisy,
/// swapped limb electrodes or an unsteady tracing). After quality_statements (atrial_origin.cpp).
void atrial_origin_statements(Analysis& a);
/// Left or right axis deviation, or an indeterminate axis, from the QRS frontal axis (not with pacing, a limb lead
/// off or swapped limb electrodes, which the quality statements name). After quality_statements.
/// `age`: patient_age_at(); a child's axis is judged against the limits of its age.
void axis_statements(Analysis& a, const std::optional<PatientAge>& age = std::nullopt);
/// Complete right or left bundle branch block from a QRS of 120 ms or more (a child's: bundle_branch_widths()) and
/// the direction of its deflections in V1, I and V6 (not with pacing, nor with one of those leads off or noisy).
/// After quality_statements.
void bundle_branch_statements(Analysis& a, const std::optional<PatientAge>& age = std::nullopt);
/// "T wave changes": a flat (under a tenth of R) or inverted T in I, II, V4-V6 where R dominates the lead's QRS, on a
/// standard 12-lead ECG (not with a QRS of 120 ms or more, pacing, or that lead off, noisy or swapped). `age`:
/// patient_age_at(); a child's V4 is not judged under 12 years, nor any lead in the first 28 days. After
/// quality_statements.
void t_wave_statements(Analysis& a, const std::optional<PatientAge>& age = std::nullopt);
/// RMS of what a 40 Hz low-pass removes from each conditioned lead (`smooth`: the leads low-passed; analyze()).
std::vector<double> high_frequency_rms(const LeadSet& conditioned, const std::vector<std::vector<float>>& smooth);
/// Above this RMS over 40 Hz (the median over the leads), fast "beats" are a burst of noise, not a tachycardia: five
/// times what quality_statements calls a noisy lead over a whole recording (40 µV). A VT's wide complexes carry
/// next to nothing above 40 Hz; movement and electrode noise while the patient settles carry hundreds of µV.
inline constexpr double kBurstNoiseUv = 200;
/// Or above this fraction of the run's complexes' size (the median lead's peak-to-peak within 60 ms of R): "beats"
/// picked out of noise are its largest swings, about five times its RMS, and most of it lies above 40 Hz; 100 µV of
/// white noise on every lead made a run at 212/min and a VT flag (hf 88 µV, complexes 460 µV: 0.19). The ten MIT-BIH
/// records' real runs of three or more ventricular beats are at most 0.073. Under muscle noise at +6 and 0 dB
/// (`teledx-ecg eval noise`) this takes three VT flags off MIT-BIH and two off LUDB, and none off electrode motion.
inline constexpr double kBurstNoiseOfQrs = 0.12;
/// Drops the beats found inside signal gaps, types those a gap may have cut (within 100 ms of it) Unknown and counts
/// each gap's samples into the next beat's Beat::unrecorded_before (signal_gaps.cpp).
void mark_beats_after_gaps(std::vector<Beat>& beats, const std::vector<SignalGap>& gaps, double fs);
/// Whether the time before beats[i] is an RR interval: not before the first beat, nor across a signal gap.
inline bool rr_before(const std::vector<Beat>& beats, std::size_t i) { return i > 0 && beats[i].unrecorded_before == 0; }
/// The time before beats[i] without a beat while the recording had signal (samples): the RR interval, less any gap in
/// it. A pause is this long at least; a break in the recording is not one (a real pause that holds every lead still
/// for a moment, as a coarsely quantised, smoothed recording can, keeps the rest of its length).
inline std::int64_t beatless_before(const std::vector<Beat>& beats, std::size_t i) {
  return i > 0 ? beats[i].r - beats[i - 1].r - beats[i].unrecorded_before : 0;
}
/// The longest pause (s): the largest beatless_before() over the beats. The `pause` statement and the critical flag
/// read the same one.
inline double longest_pause_s(const std::vector<Beat>& beats, double fs) {
  std::int64_t longest = 0;
  for (std::size_t i = 1; i < beats.size(); ++i) longest = std::max(longest, beatless_before(beats, i));
  return double(longest) / fs;
}
/// The same ratio over the whole recording (the median lead's RMS above 40 Hz against the median lead's complexes,
/// over all beats): above kBurstNoiseOfQrs the "beats" may be the noise's own largest swings. White noise alone, 25-200
/// µV RMS on 2 or 12 leads at 250-1000 Hz, is at 0.17-0.20 (with no other warning at 25-40 µV: under the 40-µV
/// noisy-lead level, over the 0.1-mV QRS floor); LUDB's 51 development records at most 0.034, MIT-BIH 100-109's 1,800
/// 10-s windows 0.068 (real ECGs under 0-dB muscle noise reach it too, beside the noise warnings).
inline constexpr double kIndistinctQrsNoiseOfQrs = kBurstNoiseOfQrs;
/// The median over the leads of the RMS above 40 Hz over samples [from, to) (0 when 40 Hz is near Nyquist).
double burst_noise_uv(const LeadSet& conditioned, std::int64_t from, std::int64_t to);
/// The median lead's noise above 40 Hz and complexes (µV) of a recording whose complexes are indistinct from its
/// noise (kIndistinctQrsNoiseOfQrs or more, over the leads not flat); nullopt otherwise, or with under two beats.
struct IndistinctQrs {
  double noise_uv, qrs_uv;
};
std::optional<IndistinctQrs> indistinct_qrs(const Analysis& a, const LeadSet& conditioned, const std::vector<double>& hf_rms);
/// A stretch of noise whose "beats" were typed ventricular, in seconds, and its burst_noise_uv().
struct NoiseBurst {
  double from_s, to_s, uv;
};
/// Runs of three or more ventricular beats that are a burst of noise (over kBurstNoiseUv or kBurstNoiseOfQrs) become
/// Unknown beats (noise, unclassifiable): they are no PVCs, run or VT. Returns those stretches.
std::vector<NoiseBurst> untype_noise_runs(std::vector<Beat>& beats, const LeadSet& conditioned);
/// How much each lead changes from beat to beat outside the QRS: the median over the beats of the median beat of
/// the RMS difference from it (P, ST and T), as a fraction of the lead's QRS peak-to-peak amplitude
/// (beat_stability.cpp); nullopt for a lead without a QRS (off, nearly flat), and for all with fewer than four beats.
std::vector<std::optional<double>> beat_to_beat_variation(const Analysis& a, const LeadSet& conditioned);
/// The tracing is unsteady (electrode motion, poor contact) when beat_to_beat_variation() exceeds these: in the
/// median lead of three or more with a QRS, or in the steadier of two (a Holter's second lead is often small and
/// noisy). Clean ECGs stay below: LUDB's 51 development 12-lead records' median lead at most 0.041 (AF 0.025-0.029,
/// paced 0.033-0.038); the ten MIT-BIH 2-lead records' 10-s windows, steadier lead, 0.021 median and 0.10 at the 97th
/// percentile, those over it in stretches of real noise and of paced or fusion beats. Synthetic electrode motion at
/// 6 dB on every lead of a 12-lead ECG gives a median lead of 0.10-0.13 (`teledx-ecg eval noise` for 2 leads).
inline constexpr double kUnsteadyMedianLead = 0.08;
inline constexpr double kUnsteadySteadierOfTwo = 0.10;
/// Gaps between beats of at least this long (s) are checked for what lies in them (busy_pause()).
inline constexpr double kBusyPauseMinGapS = 1.5;
/// A gap whose steepest rise (over 20 ms) reaches this fraction of the QRS complexes' steepest, in the median lead,
/// is not quiet: beats may be hidden in noise there.
inline constexpr double kBusyPauseOfQrs = 0.5;
/// A long gap between beats that is not quiet: where it starts (s), how long it is (s), and its steepest rise as a
/// fraction of the QRS complexes' in the median lead.
struct BusyPause {
  double at_s, length_s, of_qrs;
};
/// The least quiet gap of kBusyPauseMinGapS or longer over kBusyPauseOfQrs (busy_pauses.cpp); nullopt when none is.
std::optional<BusyPause> busy_pause(const Analysis& a, const LeadSet& conditioned);
/// A conditioned lead whose samples span less than this (µV) is flat: an electrode off or not connected. A real
/// ECG's smallest lead still carries a QRS of 100 µV or more; a disconnected input carries the amplifier's noise.
inline constexpr float kFlatLeadRangeUv = 40;
/// Whether a conditioned lead is flat (kFlatLeadRangeUv); an empty lead is.
bool lead_is_flat(const std::vector<float>& conditioned_uv);
/// The smallest QRS a recording of a heart shows in its largest lead (µV, peak to peak of the median beat). Low
/// voltage is under 500 µV in every limb lead and 800 µV in every chest lead; the dev sets' smallest largest lead is
/// 694 µV (QTDB sel30), LUDB's 710 (90).
inline constexpr double kMinQrsUv = 100;
/// Largest peak-to-peak amplitude over the leads of `median` within 60 ms of its R fiducial `r`.
double largest_qrs_uv(const LeadSet& median, std::int64_t r);
/// `hf_rms`: high_frequency_rms() of each conditioned lead (0 when 40 Hz is near Nyquist; analyze()); `bursts`:
/// untype_noise_runs().
/// What analyze() learnt of the signal on the way, for the quality statements.
struct SignalFindings {
  bool no_qrs = false;                ///< beats were found but dropped, none reaching kMinQrsUv
  ConditioningFindings conditioning;  ///< leads at their rail, calibration pulses and pops taken out of the raw leads
};
void quality_statements(Analysis& a, const Waveform& raw, const LeadSet& conditioned, const std::vector<double>& hf_rms,
                        const std::vector<NoiseBurst>& bursts, const std::optional<LimbTremor>& tremor,
                        const SignalFindings& found);
/// Critical values per the Chinese ECG critical-value consensus; reads the statements already made. `hf_rms` as for
/// quality_statements; `age`: patient_age_at(), for a young child's critical rate (critical_low_rate).
void critical_flags(Analysis& a, const LeadSet& conditioned, const std::vector<double>& hf_rms,
                    const std::optional<PatientAge>& age = std::nullopt);
/// How a critical flag's sentences begin (critical_flags), in English and in Chinese: the JSON's consumers see it is
/// the machine's; a page or paper that labels the flags already takes it off.
inline constexpr std::string_view kMachineFlagPrefix = "Machine flag (unconfirmed): ";
inline constexpr std::string_view kMachineFlagPrefixZh = "机器提示（未经确认）：";

/// Whether `list` holds a statement of that code.
bool has_statement(const std::vector<Statement>& list, const std::string& code);
/// The quality statements found the tracing unsteady or asked for a repeat: the median beat's shape (its axis,
/// amplitudes, the directions of its deflections) is then the noise's as much as the heart's, and the statements
/// read from it are not made (LUDB dev under electrode motion or muscle noise at 6 dB: a right bundle branch block
/// on an incomplete one, an axis deviation, otherwise).
bool tracing_unreliable(const Analysis& a);
/// Median of a copy (0 for an empty vector).
double median_of(std::vector<double> v);
std::string fmt(double v, int decimals = 0);

}  // namespace teledx::ecg::detail
