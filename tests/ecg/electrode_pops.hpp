#pragma once
// Test helpers: a loose electrode's pops added to a waveform. Each pop is a step that fades with a 1.5-s time
// constant, as a popping electrode's contact potential does.
#include <cmath>
#include <string>
#include <vector>

#include "teledx/ecg/waveform.hpp"

namespace teledx::ecg::test {

/// One pop of `uv` at `t0_s` seconds added to `x`.
inline void add_pop(std::vector<float>& x, double fs, double t0_s, double uv) {
  const auto from = std::size_t(t0_s * fs);
  for (std::size_t k = from; k < x.size(); ++k) x[k] += float(uv * std::exp(-double(k - from) / fs / 1.5));
}

/// `w` with pops at `at_s` (seconds) in lead `lead`: steps of `uv`, alternating in sign.
inline Waveform with_pops(Waveform w, std::size_t lead, const std::vector<double>& at_s, double uv) {
  double sign = 1;
  for (double t0 : at_s) add_pop(w.leads[lead].uv, w.sample_rate_hz, t0, sign * uv), sign = -sign;
  return w;
}

/// `w` with pops at `at_s` at a limb electrode ("RA", "LA" or "LL"), alternating in sign: each lead gets the step
/// as the electrode's potential enters it (I and II in full, the augmented leads half, the chest leads a third
/// through Wilson's terminal).
inline Waveform with_limb_pops(Waveform w, const std::string& electrode, const std::vector<double>& at_s, double uv) {
  auto weight = [&](Lead l) {
    const bool ra = electrode == "RA", la = electrode == "LA";
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
  };
  for (auto& lead : w.leads) {
    double sign = 1;
    for (double t0 : at_s) add_pop(lead.uv, w.sample_rate_hz, t0, sign * uv * weight(lead.lead)), sign = -sign;
  }
  return w;
}

}  // namespace teledx::ecg::test
