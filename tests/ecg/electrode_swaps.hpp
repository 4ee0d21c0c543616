#pragma once
// Limb electrodes swapped in software, as a cart records them: what each limb lead shows with two electrodes
// exchanged (electrode_reversal_test.cpp, and the statements that must not read a swap as the heart's).
#include <stdexcept>
#include <utility>
#include <vector>

#include "teledx/ecg/waveform.hpp"

namespace teledx::ecg::test {

inline std::vector<float>& lead_of(Waveform& w, Lead l) {
  for (auto& x : w.leads)
    if (x.lead == l) return x.uv;
  throw std::logic_error("lead missing");
}

inline void invert(std::vector<float>& v) {
  for (auto& x : v) x = -x;
}

/// Left and right arm swapped: I inverted, II <-> III, aVR <-> aVL.
inline Waveform arms_swapped(Waveform w) {
  invert(lead_of(w, Lead::I));
  std::swap(lead_of(w, Lead::II), lead_of(w, Lead::III));
  std::swap(lead_of(w, Lead::aVR), lead_of(w, Lead::aVL));
  return w;
}

/// Right arm and left leg swapped: I reads -III, II inverted, III reads -I, aVR <-> aVF.
inline Waveform right_arm_left_leg_swapped(Waveform w) {
  auto i = lead_of(w, Lead::I);
  lead_of(w, Lead::I) = lead_of(w, Lead::III);
  invert(lead_of(w, Lead::I));
  lead_of(w, Lead::III) = i;
  invert(lead_of(w, Lead::III));
  invert(lead_of(w, Lead::II));
  std::swap(lead_of(w, Lead::aVR), lead_of(w, Lead::aVF));
  return w;
}

}  // namespace teledx::ecg::test
