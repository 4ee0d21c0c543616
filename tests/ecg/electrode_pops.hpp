#pragma once
// Test helpers: a loose electrode's pops added to a waveform (add_electrode_pop / add_limb_pop, evaluation.hpp).
#include <string>
#include <vector>

#include "teledx/ecg/evaluation.hpp"
#include "teledx/ecg/waveform.hpp"

namespace teledx::ecg::test {

/// `w` with pops at `at_s` (seconds) in lead `lead`: steps of `uv`, alternating in sign.
inline Waveform with_pops(Waveform w, std::size_t lead, const std::vector<double>& at_s, double uv) {
  double sign = 1;
  for (double t0 : at_s) add_electrode_pop(w.leads[lead].uv, w.sample_rate_hz, t0, sign * uv), sign = -sign;
  return w;
}

/// `w` with pops at `at_s` at a limb electrode ("RA", "LA" or "LL"), alternating in sign.
inline Waveform with_limb_pops(Waveform w, const std::string& electrode, const std::vector<double>& at_s, double uv) {
  const LimbElectrode e = electrode == "RA"   ? LimbElectrode::RightArm
                          : electrode == "LA" ? LimbElectrode::LeftArm
                                              : LimbElectrode::LeftLeg;
  double sign = 1;
  for (double t0 : at_s) add_limb_pop(w, e, t0, sign * uv), sign = -sign;
  return w;
}

}  // namespace teledx::ecg::test
