#pragma once
// The QRS detector's per-lead features (qrs_features.cpp): the band-passed lead's normalised absolute slope, its
// centred moving-window integral, and the candidate peaks of that integral; the decision rules that pick beats
// among the candidates are in qrs_detector.cpp.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace teledx::ecg::detail {

/// A candidate QRS: a local maximum of a lead's integral.
struct Peak {
  std::int64_t t;  // sample
  double h;        // the integral there
  double slope;    // the largest normalised absolute slope within +-60 ms
  double pitch = -1;  // dominant frequency of the band-passed complex (Hz); -1 until the search-back asks
};

/// One lead's features for the decision rules.
struct Feature {
  double scale = 1;                    // the lead's typical slope (µV/sample), before normalisation
  std::vector<float> mwi;             // centred moving-window integral of the normalised absolute slope
  std::vector<std::vector<float>> bp;  // band-passed leads (for the fiducial)
  std::vector<Peak> cand;             // local maxima of the integral that dominate +-100 ms
  /// The record's typical beat size in the integral: the median over the record of each 3 s's largest value. 3 s,
  /// because a second of a slow rhythm or of an AV block's run of blocked P waves holds no QRS, and with 1-s maxima
  /// the median fell to the P waves' size (a synthetic 2:1-4:1 block then had its P waves taken for beats).
  double typical = 0;
};

/// The largest of [first, last) (non-empty), the value *std::max_element gives, NaN included: max_element compares
/// through the current best's address, so every step waited for the previous one. Four running maxima by value,
/// each starting from the first element (a NaN there is kept, later NaNs are skipped, as max_element does).
inline float max_of(const float* first, const float* last) {
  float m0 = *first, m1 = m0, m2 = m0, m3 = m0;
  const float* p = first + 1;
  for (; last - p >= 4; p += 4) {
    if (m0 < p[0]) m0 = p[0];
    if (m1 < p[1]) m1 = p[1];
    if (m2 < p[2]) m2 = p[2];
    if (m3 < p[3]) m3 = p[3];
  }
  for (; p != last; ++p)
    if (m0 < *p) m0 = *p;
  if (m0 < m1) m0 = m1;
  if (m0 < m2) m0 = m2;
  if (m0 < m3) m0 = m3;
  return m0;
}

/// Slope features of one lead whose band-passed (5-18 Hz) copy is `x` (moved in) at `fs` Hz.
Feature lead_feature(std::vector<float> x, double fs);

}  // namespace teledx::ecg::detail
