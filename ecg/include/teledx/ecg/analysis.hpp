#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "teledx/core/result.hpp"
#include "teledx/ecg/waveform.hpp"

namespace teledx::ecg {

/// Beat class: Normal (dominant, supraventricular), Ventricular (ectopic), Unknown (noise or unclassifiable).
enum class BeatType { Normal, Ventricular, Unknown };

struct Beat {
  std::int64_t r = 0;  ///< sample index of the fiducial point
  BeatType type = BeatType::Normal;
  /// Samples since the previous beat in which the recording had no signal (a gap in every lead): the time between the
  /// two is then no RR interval (no rate, no irregularity), and only the time with signal can be a pause.
  std::int64_t unrecorded_before = 0;
};

/// One lead's own wave boundaries, from which the global ones are combined (nullopt where the lead does not show
/// the wave clearly enough to delineate it alone).
struct LeadBoundaries {
  std::optional<std::int64_t> p_on, p_off, qrs_on, qrs_off, t_off;
};

/// Wave boundaries in samples of the signal they were found on (nullopt when the wave is absent or not found).
struct Fiducials {
  std::optional<std::int64_t> p_on, p_peak, p_off, qrs_on, qrs_off, t_peak, t_off;
  /// End of a pacemaker stimulus that starts the QRS (a spike, or a recorder's blanking of it), when one was seen.
  std::optional<std::int64_t> pacing_stimulus;
  /// Where the P wave runs into the QRS, leaving no PR segment, the flat stretch before the P wave [first, last):
  /// the isoelectric level the ST segment and the P wave are measured from instead of the PR level.
  std::optional<std::pair<std::int64_t, std::int64_t>> level_before_p;
  std::vector<LeadBoundaries> per_lead;  ///< one entry per lead of the delineated set, in its order
};

/// Global measurements; durations in ms, rates in /min, axes in degrees (-180, 180].
struct Measurements {
  std::optional<double> heart_rate, rr, pp, pr, p_duration, qrs, qt, qtc_bazett, qtc_fridericia;
  std::optional<double> p_axis, qrs_axis, t_axis;
  /// R wave in V5 and S wave in V1, µV (qrs_amplitudes): the "RV5/SV1" of a Chinese ECG report, whose sum is the
  /// Sokolow-Lyon voltage.
  std::optional<double> rv5, sv1;
};

/// One lead's QRS wave amplitudes on the median beat, µV from the PR baseline, both >= 0: R the highest point
/// above it, S the deepest point below it after the first positive wave (the QS depth when there is none).
struct QrsAmplitude {
  Lead lead = Lead::I;
  double r_uv = 0;
  double s_uv = 0;
  double pp_uv = 0;  ///< the QRS's voltage: its highest point above the baseline plus its deepest below (R+S or R+Q)
};

/// ST level at the J point and at J+60 ms relative to the PR baseline, µV, on the median beat.
struct StLevel {
  Lead lead = Lead::I;
  double j_uv = 0;
  double j60_uv = 0;
};

enum class Severity { Info, Warning, Critical };

/// A machine statement: a stable `code` for software (e.g. "sinus_bradycardia", "critical_pause") and a sentence
/// for people. Statements are machine findings for a reader to confirm or dismiss, never diagnoses.
struct Statement {
  std::string code;
  std::string text;  ///< English, with the details (rates, leads, levels)
  Severity severity = Severity::Info;
  std::optional<Lead> lead;
  /// The same sentence in Chinese, for the Chinese pages and the printed ECG that a county clinic files: the
  /// statement's Chinese name, then the same details ("窦性心动过缓，56 次/分").
  std::string text_zh;
};

/// A measurement's normal limits at the patient's age; `age_en` / `age_zh` name the age when it is a child's (empty
/// for an adult or an unknown age, which get the adult limits).
struct NormalRange {
  double low = 0, high = 0;
  std::string age_en, age_zh;
};

struct Analysis {
  double sample_rate_hz = 0;
  std::int64_t sample_count = 0;
  double mains_removed_hz = 0;           ///< 0 when no notch was needed
  std::vector<Beat> beats;
  LeadSet median;                        ///< median beat per lead (dominant beats), conditioned signals
  std::int64_t median_r = 0;             ///< index of the R fiducial inside `median`
  Fiducials median_fiducials;            ///< boundaries on the median beat (global over leads)
  Measurements measurements;
  /// The limits the statements judged the measurements by, keyed as to_json's measurements: heart_rate_bpm (sinus
  /// rate), pr_ms, qrs_axis_deg (a neonate's upper limit past 180°: -170° is +190°). For the viewer to mark a value
  /// outside them.
  std::map<std::string, NormalRange> normal_ranges;
  /// The recording device's own measurements, for the reader to compare: standard_device_measurements().
  std::map<std::string, double> device_measurements;
  std::vector<StLevel> st;
  std::vector<QrsAmplitude> qrs_amplitudes;  ///< per lead of the median beat, in its order
  std::vector<Statement> rhythm;         ///< rhythm, conduction, voltage and ST statements
  std::vector<Statement> quality;        ///< lead off, noise, suspected electrode reversal
  std::vector<Statement> critical;       ///< critical-value flags (Chinese ECG critical-value consensus)
  bool has_critical() const { return !critical.empty(); }
};

struct AnalysisOptions {
  bool remove_baseline_and_mains = true;  ///< condition the signals first (off only for already-filtered input)
};

/// Full pipeline: conditioning, QRS detection, beat typing, median beat, delineation, measurements, rhythm,
/// ST, quality and critical flags. Never fails: an unusable ECG yields quality statements and no measurements.
Analysis analyze(const Waveform& ecg, const AnalysisOptions& options = {});

/// Machine-readable result for the viewer and the report template (units in the key names: _ms, _bpm, _deg, _uv).
nlohmann::json to_json(const Analysis& analysis);

/// What a printed page needs back from a stored to_json(): sample rate and length, mains filter, measurements, ST
/// levels and the statements with their texts. Beats, the median beat and its fiducials are not restored (the JSON
/// keeps their counts and times, not their samples). BadRequest naming the field when the JSON is not an analysis.
Result<Analysis> analysis_from_json(const nlohmann::json& stored);

/// Delineates one beat around R on a set of simultaneous leads (global boundaries). Exposed for evaluation.
Fiducials delineate_beat(const LeadSet& leads, std::int64_t r, std::optional<std::int64_t> previous_r,
                         std::optional<std::int64_t> next_r);

}  // namespace teledx::ecg
