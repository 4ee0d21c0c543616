#pragma once
// Beat typing over long records (beats.cpp): what follows the record's drift in rate and in the dominant shape.
#include <cstdint>
#include <vector>

#include "teledx/ecg/waveform.hpp"

namespace teledx::ecg::detail {

/// A record this long (a Holter's minutes or hours, not a resting ECG's 10 s) drifts: the rate changes, and the
/// patient's position or an electrode changes the dominant beat's shape. Each beat is then judged against its own
/// stretch of the record as well as against the whole (MIT-BIH 108: its first two minutes show the QRS inverted in
/// MLII, its last three a rate 15% above the record's; against the whole record both were typed V or unknown).
constexpr double kDriftAwareSeconds = 60;

/// The typical RR about each beat: the median of the 16 intervals between two dominant-shape beats nearest to it
/// (intervals to or from a beat of another shape are coupling intervals and pauses, and bigeminy would halve the
/// median). The whole record's median where there are too few.
std::vector<double> local_typical_rr(const std::vector<std::int64_t>& at, const std::vector<char>& dominant,
                                     double fallback);

/// What the local dominant-template comparison needs of classify_beats().
struct LocalTemplates {
  const LeadSet& s;
  const std::vector<std::size_t>& leads;  // main leads
  const std::vector<std::int64_t>& at;    // aligned fiducials
  std::int64_t pre, len;
  const std::vector<char>& steady;        // dominant shape, not premature: what a local template is made of
  const std::vector<double>& widths;
};

/// For each 5-s block, a template from the 16 steady dominant beats nearest to its middle (8 on each side, within
/// 30 s; 8 at least); a beat of the block that is not premature, would not be typed normal against the record's
/// template (correlation under 0.8) and matches the local one better takes that correlation, and its block's
/// typical width. Nearest beats rather than a fixed reach: where the shape changes (MIT-BIH 108 at 140 s) a
/// template over ±30 s mixed both shapes. Premature beats keep the record's template: a local one near a run of
/// ectopic beats must not pass them as normal.
void match_local_templates(const LocalTemplates& t, const std::vector<char>& premature, std::vector<double>& corr,
                           std::vector<double>& typical_width);

}  // namespace teledx::ecg::detail
