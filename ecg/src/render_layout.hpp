#pragma once
// Panel layout shared by the JSON and PNG renderers.
#include <string>
#include <vector>

#include "teledx/ecg/render.hpp"

namespace teledx::ecg::detail {

struct Panel {
  const LeadSignal* lead;  // nullptr when the ECG lacks that lead (the panel stays empty)
  std::string label;
  int row, col;
  double t0_s, t1_s;       // span of the recording shown
};

struct PageLayout {
  int rows = 0, cols = 0;
  double column_s = 0;     // seconds per column
  std::vector<Panel> panels;
};

/// Panels for `set` (already filtered for display). Standard lead order; the rhythm strip is the last row.
PageLayout layout_panels(const LeadSet& set, const RenderOptions& o);
/// Baseline-corrected (and mains-filtered) copy of the ECG for display.
LeadSet display_signals(const Waveform& ecg);
/// "HR 72/min  PR 160 ms  QRS 90 ms  QT/QTc 380/416 ms  P/QRS/T 60/45/40°" (empty parts left out).
std::string measurement_line(const Analysis& a);

}  // namespace teledx::ecg::detail
