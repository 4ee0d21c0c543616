#pragma once
// Scoring a QRS detector against reference annotations the ANSI/AAMI EC57 way (the rules of WFDB's `bxb`), for the
// `teledx-ecg eval` command and the detector's regression tests.
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "teledx/ecg/readers.hpp"

namespace teledx::ecg {

struct Ec57Options {
  double window_s = 0.15;  ///< a test beat matches a reference beat within this distance
  double start_s = 300;    ///< the learning period: beats before it are not scored (0 for a 10-s ECG)
  std::optional<std::int64_t> end_sample;  ///< end of the record; default: the last reference annotation
};

/// Counts of one record. TP counts every matched reference beat whatever its class.
struct Ec57Tally {
  long tp = 0, fn = 0, fp = 0;
  std::optional<double> sensitivity() const;            ///< TP / (TP + FN), percent
  std::optional<double> positive_predictivity() const;  ///< TP / (TP + FP), percent
};

/// Beat-by-beat comparison. Only beat codes count (is_beat_annotation); reference beats inside the reference's
/// ventricular flutter/fibrillation episodes ('[' ... ']') are not scored and test beats inside them are ignored;
/// when two candidates lie in the window the closer one is paired, including bxb's "the next pair matches better"
/// refinement. `test` holds the detector's beats (code 1, N, unless it types them).
Ec57Tally score_ec57(const std::vector<Annotation>& reference, const std::vector<Annotation>& test, double fs,
                     const Ec57Options& options = {});

/// EC57's two aggregates: gross pools the counts over the records, average is the mean of the per-record
/// percentages (records where a statistic is undefined are left out of that mean).
struct Ec57Summary {
  long tp = 0, fn = 0, fp = 0;
  std::optional<double> gross_se, gross_ppv, average_se, average_ppv;
};
Ec57Summary summarize_ec57(const std::vector<Ec57Tally>& records);

/// One wave as delineation annotations mark it (QTDB's q1c, LUDB's per-lead files): '(' onset, a peak labelled
/// 'p' (P), a beat code ('N', the QRS) or 't' (T), then ')' end. -1 where a boundary is not marked.
struct AnnotatedWave {
  char sym = 0;  ///< 'p', 'N' or 't'
  std::int64_t on = -1, peak = -1, off = -1;
};
std::vector<AnnotatedWave> annotated_waves(const std::vector<Annotation>& annotations);

/// The global waves of a record annotated lead by lead (the CSE convention): the waves of `leads[reference]`, each
/// with the earliest onset and latest end marked for the same wave in any lead (same symbol, peak within
/// `tolerance` samples).
std::vector<AnnotatedWave> global_waves(const std::vector<std::vector<AnnotatedWave>>& leads, std::size_t reference,
                                        std::int64_t tolerance);

/// The three kinds of noise the MIT-BIH Noise Stress Test Database adds to clean ECGs, synthesised here (that
/// database's noise recordings are not among our data): slow baseline wander (respiration and drift, under 0.5 Hz),
/// muscle noise (broadband 10-150 Hz, in bursts) and electrode motion (transients 15-80 ms wide, 2 a second, over a
/// 1-10 Hz background: the hardest, as it overlaps the QRS's band and shape).
enum class StressNoise { BaselineWander, Muscle, ElectrodeMotion };
const char* stress_noise_name(StressNoise kind);  ///< "bw", "ma", "em" (the NSTDB record names' letters)
/// n samples at fs of that noise, zero mean and unit variance; the same seed gives the same samples.
std::vector<float> stress_noise(StressNoise kind, std::size_t n, double fs, std::uint32_t seed);
/// The QRS amplitude a signal-to-noise ratio is stated against: the median over `beats` (sample positions) of the
/// lead's peak-to-peak amplitude within +-50 ms, after a 0.5 Hz baseline removal; 0 without beats.
double qrs_peak_to_peak(std::span<const float> x, double fs, const std::vector<std::int64_t>& beats);
/// Adds `unit_noise` (unit variance, at least x's length) to x scaled to `snr_db`: signal power taken as that of a
/// sine of the QRS's peak-to-peak amplitude `qrs_pp` (pp^2 / 8), noise power the scaled noise's variance.
void add_noise_at_snr(std::vector<float>& x, const std::vector<float>& unit_noise, double qrs_pp, double snr_db);

/// The limb electrodes a synthetic tremor moves (add_limb_tremor).
struct LimbElectrodes {
  bool left_arm = true, right_arm = false, left_leg = false;
};
/// Adds a tremor at limb electrodes (Parkinsonian, essential, shivering) to an ECG as the cart would record it. `uv`
/// is the amplitude of the left arm's and the left leg's movement, the right arm's is half of it; it waxes and wanes
/// (60 +- 40 % at 0.3 Hz), and the right arm moves at 1.03 and the left leg at 0.97 times `hz`, out of step with the
/// left arm by `phase` (radians) and twice that. Limb leads are differences of electrodes; the chest leads are
/// measured against Wilson's central terminal, the mean of the three, so each of them carries the same third of it.
/// Leads the waveform lacks are skipped.
void add_limb_tremor(Waveform& w, double hz, double uv, LimbElectrodes moving = {}, double phase = 0.4);

/// A loose electrode's pop added to one lead: a step of `uv` at `t0_s` that fades with a 1.5-s time constant, as a
/// popping electrode's contact potential does.
void add_electrode_pop(std::vector<float>& x, double fs, double t0_s, double uv);
enum class LimbElectrode { RightArm, LeftArm, LeftLeg };
/// A limb electrode's pop in every lead as its potential enters it: I and II in full (RA: both inverted; LA: I;
/// LL: II), III likewise, the augmented leads in full or half, the chest leads a third through Wilson's terminal.
void add_limb_pop(Waveform& w, LimbElectrode electrode, double t0_s, double uv);

/// A cart's calibration pulse as some carts export it: `uv` high for `ms`, its edges through a one-pole low-pass of
/// time constant `edge_ms` (0: a step).
struct CalibrationPulseShape {
  double uv = 1000, ms = 200, edge_ms = 0;
};
/// Half a second of the cart's calibration added before the ECG (or after it, `at_end`), at each lead's level there:
/// from 0.1 s the pulse, in I, II and V1-V6, which a cart records; III, aVR, aVL and aVF show what it derives from
/// I and II (nothing, -1, 1/2, 1/2 times the pulse). With `uv` 0, the same half second flat.
void add_calibration_pulse(Waveform& w, const CalibrationPulseShape& p = {}, bool at_end = false);
/// The same half second written over the ECG from each of `starts_s` (a pulse at each printed column).
void write_calibration_pulses(Waveform& w, const std::vector<double>& starts_s, const CalibrationPulseShape& p = {});

}  // namespace teledx::ecg
