// What a cart and a hand add to a recording, made in software for the evaluations and the tests: a loose
// electrode's pops and the cart's calibration pulse (evaluation.hpp).
#include <cmath>

#include "teledx/ecg/evaluation.hpp"

namespace teledx::ecg {
namespace {

/// How much of a limb electrode's potential each lead carries.
double limb_weight(Lead l, LimbElectrode e) {
  const bool ra = e == LimbElectrode::RightArm, la = e == LimbElectrode::LeftArm;
  switch (l) {
    case Lead::I:
      return ra ? -1.0 : la ? 1.0 : 0.0;
    case Lead::II:
      return ra ? -1.0 : la ? 0.0 : 1.0;
    case Lead::III:
      return ra ? 0.0 : la ? -1.0 : 1.0;
    case Lead::aVR:
      return ra ? 1.0 : -0.5;
    case Lead::aVL:
      return la ? 1.0 : -0.5;
    case Lead::aVF:
      return ra || la ? -0.5 : 1.0;
    default:
      return -1.0 / 3;
  }
}

/// The pulse's share in each lead: the recorded leads in full, the derived ones as derived from I and II.
double pulse_gain(Lead l) {
  return l == Lead::III ? 0 : l == Lead::aVR ? -1 : l == Lead::aVL || l == Lead::aVF ? 0.5 : 1;
}

/// Half a second: 0 until 0.1 s, then the pulse, through the edge low-pass.
std::vector<double> pulse_shape(double fs, const CalibrationPulseShape& p) {
  std::vector<double> shape(std::size_t(0.5 * fs), 0.0);
  for (std::size_t k = std::size_t(0.1 * fs); k < std::size_t((0.1 + p.ms / 1000) * fs) && k < shape.size(); ++k)
    shape[k] = p.uv;
  if (p.edge_ms > 0) {
    const double a = std::exp(-1000.0 / (p.edge_ms * fs));
    double y = 0;
    for (auto& v : shape) v = y = a * y + (1 - a) * v;
  }
  return shape;
}

}  // namespace

void add_electrode_pop(std::vector<float>& x, double fs, double t0_s, double uv) {
  const auto from = std::size_t(t0_s * fs);
  for (std::size_t k = from; k < x.size(); ++k) x[k] += float(uv * std::exp(-double(k - from) / fs / 1.5));
}

void add_limb_pop(Waveform& w, LimbElectrode electrode, double t0_s, double uv) {
  for (auto& l : w.leads) add_electrode_pop(l.uv, w.sample_rate_hz, t0_s, uv * limb_weight(l.lead, electrode));
}

void add_calibration_pulse(Waveform& w, const CalibrationPulseShape& p, bool at_end) {
  const auto shape = pulse_shape(w.sample_rate_hz, p);
  for (auto& l : w.leads) {
    if (l.uv.empty()) continue;
    const double gain = pulse_gain(l.lead);
    const float level = at_end ? l.uv.back() : l.uv.front();
    std::vector<float> part(shape.size());
    for (std::size_t k = 0; k < shape.size(); ++k) part[k] = level + float(gain * shape[k]);
    l.uv.insert(at_end ? l.uv.end() : l.uv.begin(), part.begin(), part.end());
  }
}

void write_calibration_pulses(Waveform& w, const std::vector<double>& starts_s, const CalibrationPulseShape& p) {
  const auto shape = pulse_shape(w.sample_rate_hz, p);
  for (auto& l : w.leads)
    for (double s : starts_s) {
      const auto from = std::size_t(s * w.sample_rate_hz);
      if (from >= l.uv.size()) continue;
      const float level = l.uv[from];
      for (std::size_t k = 0; k < shape.size() && from + k < l.uv.size(); ++k)
        l.uv[from + k] = level + float(pulse_gain(l.lead) * shape[k]);
    }
}

}  // namespace teledx::ecg
