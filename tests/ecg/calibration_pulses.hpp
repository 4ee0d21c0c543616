#pragma once
// A cart's calibration pulse (its 1 mV standardisation rectangle) written into a recording's samples, as some
// carts export it: before or after the ECG, or at the start of each printed column.
#include <cmath>
#include <vector>

#include "teledx/ecg/waveform.hpp"

namespace teledx::ecg::test {

struct Pulse {
  double uv = 1000, ms = 200;
  double edge_ms = 0;   ///< time constant of the cart's low-pass on the edges (0: a step)
  bool at_end = false;  ///< after the ECG instead of before it
};

/// The rectangle's gain in each lead: I, II and V1-V6 are recorded and pulsed; III, aVR, aVL and aVF show what
/// the cart derives from I and II: nothing, -uv, uv/2, uv/2.
inline double pulse_gain(Lead lead) {
  return lead == Lead::III ? 0 : lead == Lead::aVR ? -1 : lead == Lead::aVL || lead == Lead::aVF ? 0.5 : 1;
}

/// Half a second: the level 0 until 0.1 s, then the rectangle of p.uv for p.ms, through the edge low-pass.
inline std::vector<double> pulse_shape(double fs, const Pulse& p) {
  std::vector<double> shape(std::size_t(0.5 * fs), 0.0);
  for (std::size_t k = std::size_t(0.1 * fs); k < std::size_t((0.1 + p.ms / 1000) * fs); ++k) shape[k] = p.uv;
  if (p.edge_ms > 0) {
    const double a = std::exp(-1000.0 / (p.edge_ms * fs));
    double y = 0;
    for (auto& v : shape) v = y = a * y + (1 - a) * v;
  }
  return shape;
}

/// `w` with half a second of the cart's calibration recorded before (or after) it, at the lead's level there.
/// With p.uv 0, the same half second flat.
inline Waveform with_pulse(const Waveform& w, const Pulse& p) {
  Waveform out = w;
  const auto shape = pulse_shape(w.sample_rate_hz, p);
  for (auto& l : out.leads) {
    const double gain = pulse_gain(l.lead);
    const float level = p.at_end ? l.uv.back() : l.uv.front();
    std::vector<float> part(shape.size());
    for (std::size_t k = 0; k < shape.size(); ++k) part[k] = level + float(gain * shape[k]);
    l.uv.insert(p.at_end ? l.uv.end() : l.uv.begin(), part.begin(), part.end());
  }
  return out;
}

/// `w` with the half second of calibration written over it at each of `starts_s` (the start of each column of a
/// 3x4 printout), at the lead's level there.
inline Waveform with_pulses_over(const Waveform& w, const std::vector<double>& starts_s, const Pulse& p = {}) {
  Waveform out = w;
  const auto shape = pulse_shape(w.sample_rate_hz, p);
  for (auto& l : out.leads)
    for (double s : starts_s) {
      const auto from = std::size_t(s * w.sample_rate_hz);
      const float level = l.uv[from];
      for (std::size_t k = 0; k < shape.size() && from + k < l.uv.size(); ++k)
        l.uv[from + k] = level + float(pulse_gain(l.lead) * shape[k]);
    }
  return out;
}

}  // namespace teledx::ecg::test
