#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "teledx/ecg/waveform.hpp"

namespace teledx::ecg {

/// Zero-phase high-pass (2nd-order Butterworth run forward and backward) removing baseline wander below `cutoff_hz`.
std::vector<float> remove_baseline(std::span<const float> x, double fs, double cutoff_hz = 0.5);
/// Zero-phase power-line notch at `mains_hz` (50 or 60) and, when below Nyquist, its 2nd harmonic.
std::vector<float> notch_filter(std::span<const float> x, double fs, double mains_hz);
/// Zero-phase 2nd-order Butterworth low-pass.
std::vector<float> lowpass_filter(std::span<const float> x, double fs, double cutoff_hz);
/// RMS amplitude (µV) of the `hz` component, measured with the Goertzel algorithm over the whole signal.
double tone_rms(std::span<const float> x, double fs, double hz);
/// tone_rms() at each of the frequencies `hz`, bit-identical to one call per frequency: eight frequencies share each
/// pass over the samples (each Goertzel recursion is bound by its own latency, so eight interleaved cost about what
/// one did). The VF and flutter checks' spectra of a 12-lead record took 100-200 ms one frequency at a time.
std::vector<double> tone_rms_many(std::span<const float> x, double fs, std::span<const double> hz);
/// Mains frequency to remove (50 or 60) when its interference clearly stands above the neighbouring band, else 0.
double detect_mains(const LeadSet& set);

/// Baseline removal on every lead, and a notch when mains interference is present. Returns the mains removed (0 if none).
double condition_signals(LeadSet& set);

struct QrsOptions {
  double refractory_s = 0.20;   ///< no second QRS within this time
  double t_wave_window_s = 0.36;  ///< a peak this close with half the slope is taken for a T wave
  bool all_leads = true;        ///< combine every lead's energy (false: first lead only)
};

/// R-peak sample indices (ascending) found by a Pan-Tompkins/Hamilton style detector with adaptive thresholds,
/// search-back, refractory period and T-wave rejection; polarity-independent. Works on raw or conditioned leads.
std::vector<std::int64_t> detect_qrs(const LeadSet& set, const QrsOptions& options = {});

}  // namespace teledx::ecg
