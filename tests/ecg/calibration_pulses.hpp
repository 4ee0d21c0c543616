#pragma once
// Test helpers: a cart's calibration pulse written into a recording's samples (add_calibration_pulse,
// write_calibration_pulses, evaluation.hpp), before or after the ECG or at the start of each printed column.
#include <vector>

#include "teledx/ecg/evaluation.hpp"
#include "teledx/ecg/waveform.hpp"

namespace teledx::ecg::test {

struct Pulse {
  double uv = 1000, ms = 200;
  double edge_ms = 0;   ///< time constant of the cart's low-pass on the edges (0: a step)
  bool at_end = false;  ///< after the ECG instead of before it
};

/// `w` with half a second of the cart's calibration recorded before (or after) it; with p.uv 0, flat.
inline Waveform with_pulse(Waveform w, const Pulse& p) {
  add_calibration_pulse(w, {p.uv, p.ms, p.edge_ms}, p.at_end);
  return w;
}

/// `w` with the half second of calibration written over it at each of `starts_s`.
inline Waveform with_pulses_over(Waveform w, const std::vector<double>& starts_s, const Pulse& p = {}) {
  write_calibration_pulses(w, starts_s, {p.uv, p.ms, p.edge_ms});
  return w;
}

}  // namespace teledx::ecg::test
