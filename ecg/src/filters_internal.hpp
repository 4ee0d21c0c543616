#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "teledx/ecg/processing.hpp"

namespace teledx::ecg::detail {

/// Normalised biquad: y = b0 x + b1 x1 + b2 x2 - a1 y1 - a2 y2.
struct Biquad {
  double b0, b1, b2, a1, a2;
  static Biquad lowpass(double fs, double fc, double q);
  static Biquad highpass(double fs, double fc, double q);
  static Biquad notch(double fs, double f0, double q);
};

void run(const Biquad& f, std::vector<float>& x, bool reverse);
/// Forward then backward: zero phase, squared magnitude response.
void filtfilt(const Biquad& f, std::vector<float>& x);
/// filtfilt on several signals of length n at once: up to four recursions interleaved in one loop run about as fast
/// as one (each is bound by its own feedback latency, not by arithmetic).
void filtfilt_batch(const Biquad& f, const std::vector<float*>& xs, std::size_t n);
/// One signal of length n and the filter to run over it, in place.
struct FilterChain {
  const Biquad* filter;
  float* x;
};
/// filtfilt on several signals at once, each with its own filter (groups of four run interleaved): lets unrelated
/// filters over the same record share a loop (analyze(): the QRS detector's 5 Hz high-pass and the quality
/// check's 40 Hz low-pass, both over the conditioned leads). Each result is bit-identical to filtfilt alone.
void filtfilt_chains(std::span<const FilterChain> chains, std::size_t n);

/// detect_qrs()'s first stage: the leads it uses band-passed to 5-18 Hz, running the filter chains `along` (signals
/// of the record's length) together with its own first filter: the caller's unrelated filtering then costs almost
/// nothing (qrs_detector.cpp). Empty when the record is too short to detect on.
std::vector<std::vector<float>> qrs_bands_along(const LeadSet& set, const QrsOptions& o, std::span<const FilterChain> along);
/// detect_qrs() on the bands of qrs_bands_along(). Two steps so that analyze() can use and free its `along` results
/// before the detector allocates its working arrays, which then reuse that memory instead of fresh pages.
std::vector<std::int64_t> detect_qrs_in(const LeadSet& set, const QrsOptions& o, std::vector<std::vector<float>> band);

/// Takes a loose electrode's pops out of one raw lead: each abrupt step that holds (electrode_pops.cpp) is
/// subtracted from every later sample, leaving its slow return as baseline wander. Returns how many were found.
std::size_t remove_electrode_steps(std::vector<float>& x, double fs);
/// A cart's calibration rectangle in the raw leads: samples [from, to] flattened; it rises through half its height
/// at `starts` and stays above it for `width` samples; `uv` high (in the first lead that has it).
struct CalibrationPulse {
  std::int64_t from, to, starts, width;
  double uv;
};
/// Finds the calibration pulses in the raw leads and flattens each (calibration_pulses.cpp).
std::vector<CalibrationPulse> remove_calibration_pulses(LeadSet& set);
/// A lead that ran to the end of its range (electrode off) during the recording: `lead` (index in the set), from
/// sample `from` at `uv`, `samples` in all at the rail.
struct RailedLead {
  std::size_t lead;
  std::int64_t from;
  double uv;
  std::int64_t samples;
};
/// Finds leads stuck at their rail; a short recording's (60 s or less) is flattened whole, a long one's only
/// around the stretches at the rail (railed_leads.cpp).
std::vector<RailedLead> take_out_railed_leads(LeadSet& set);
/// A stretch [from, to) in which every lead holds its value sample for sample: no signal reached the recording.
struct SignalGap {
  std::int64_t from, to;
  bool at_edge = false;  ///< at the start or the end of the recording: it splits nothing
};
/// The shortest such stretch taken for a gap (s). Real ECGs hold every lead still for 90 ms at most on the development
/// data (LUDB 42, whose 12 leads are quantised to 1 µV; QTDB 80 ms, MIT-BIH 22 ms); a QRS is 80-120 ms long.
inline constexpr double kMinSignalGapS = 0.3;
/// A recording that holds every lead still (in stretches shorter than that) less than this share of its other
/// samples, and has such a stretch at most once every kRecurringStillEveryS between its ends, moves like a real one:
/// each still stretch is a gap. Otherwise it is noise-free, and a still stretch must start or end with a jump.
inline constexpr double kStillShareOfRealEcg = 0.2;
inline constexpr double kRecurringStillEveryS = 4.0;
/// Finds the signal gaps in the raw leads (still stretches entered or left by a step) and bridges each with a line
/// between the samples either side of it; a still stretch within a calibration pulse already flattened (its top) is
/// none (signal_gaps.cpp).
std::vector<SignalGap> bridge_signal_gaps(LeadSet& set, const std::vector<CalibrationPulse>& pulses);
/// What conditioning took out of the raw leads before filtering.
struct ConditioningFindings {
  std::vector<RailedLead> railed;           ///< leads stuck at their rail
  std::vector<std::size_t> pops;            ///< electrode steps remove_electrode_steps() took out of each lead
  std::vector<CalibrationPulse> pulses;     ///< calibration pulses flattened
  std::vector<SignalGap> gaps;              ///< stretches without signal in any lead, bridged
};
/// condition_signals(), and with `found` what it took out of the raw leads.
double condition_signals_with_findings(LeadSet& set, ConditioningFindings* found);

/// Level of the quadratic-spline wavelet transform at `fs` that matches level `at_250hz` at 250 Hz (1..8).
int spline_wt_scale(double fs, int at_250hz);
/// Quadratic-spline dyadic wavelet transform of x[0, n) at scale 2^k, zero phase, written to out[from, to) (out has
/// n entries, zero elsewhere): the slope of x smoothed over about 2^k samples (wavelet.cpp).
void spline_wt(const float* x, std::size_t n, int k, std::size_t from, std::size_t to, std::vector<float>& out);
/// One lead's P wave onset and end on its wavelet transform `wt` at scale 2^4 (at 250 Hz; entry k - lo for sample
/// k), around the wave's `peak` of the given polarity (+1 upright, -1 inverted), within [from, to); the modulus
/// maxima are sought `lobe_before` / `lobe_after` samples around the peak (wavelet.cpp).
std::pair<std::int64_t, std::int64_t> p_bounds_wt(const std::vector<float>& wt, std::int64_t lo, double polarity,
                                                  std::int64_t peak, std::int64_t from, std::int64_t to,
                                                  std::int64_t lobe_before, std::int64_t lobe_after, std::int64_t skip);

}  // namespace teledx::ecg::detail
