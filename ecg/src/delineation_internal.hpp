#pragma once
// The parts of delineate_beat() (delineation.cpp): QRS boundaries (qrs_bounds.cpp), T wave (t_wave.cpp) and P wave
// (p_wave.cpp), each working on one beat's window through the context the beat's limits fix before any boundary is
// sought.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "teledx/ecg/analysis.hpp"

namespace teledx::ecg::detail {

struct BeatWindow {
  std::int64_t lo, hi;  // [lo, hi)
  std::vector<std::vector<float>> qrs_band;  // per lead, 40 Hz low-pass
  std::vector<std::vector<float>> slow;      // per lead, 12 Hz low-pass (P, T)
  std::vector<std::int64_t> spike_ends;      // first sample after each pacemaker spike seen in 2+ leads
  std::vector<std::vector<float>> bridged;   // below 400 Hz: 40 Hz band with stimuli bridged (empty: none found)
  float q(std::size_t l, std::int64_t k) const { return qrs_band[l][std::size_t(k - lo)]; }
  float qb(std::size_t l, std::int64_t k) const {
    return (bridged.empty() ? qrs_band : bridged)[l][std::size_t(k - lo)];
  }
  float s(std::size_t l, std::int64_t k) const { return slow[l][std::size_t(k - lo)]; }
};

/// One beat being delineated: its leads, filtered window and limits, shared by the parts below.
struct BeatContext {
  const LeadSet& set;
  const BeatWindow& w;
  double fs;
  std::size_t nl;                          // number of leads
  std::int64_t r, lo, hi;                  // the R peak; the window [lo, hi)
  std::optional<std::int64_t> previous_r;  // the previous beat's R peak, if any
  std::int64_t rr_prev, rr_next;           // RR before and after the beat (1 s without a neighbour)
  bool median_beat = false;                // the median beat (analysis.cpp's delineate_median), not one beat
  /// Milliseconds to samples, rounded.
  std::int64_t ms(double v) const { return std::int64_t(std::lround(v * fs / 1000.0)); }
};

/// The global QRS onset and end (also written to f.qrs_on / f.qrs_off, with each lead's in f.per_lead); nullopt
/// when the summed slope shows no QRS (f then unchanged).
struct QrsBounds { std::int64_t on, off; };
std::optional<QrsBounds> delineate_qrs(const BeatContext& c, Fiducials& f);

/// Each lead's PR baseline level and the window [b0, b_end] it is the mean of.
struct PrBaseline {
  std::vector<double> base;
  std::int64_t b0, b_end;
};

/// T peak and end, global and per lead, into f.
void delineate_t(const BeatContext& c, std::int64_t on, std::int64_t off, const std::vector<double>& base,
                 Fiducials& f);
/// P onset, peak and end, global and per lead, into f.
void delineate_p(const BeatContext& c, std::int64_t on, const PrBaseline& pr, Fiducials& f);

}  // namespace teledx::ecg::detail
