// A lead whose electrode comes off during the recording: the cart's amplifier runs to the end of its range and
// its samples stay there. The jump looked like an electrode pop and the rail like a level the ECG came back from.
// On LUDB's records with V2 at +5 mV from 4 s on, seven gained a chest-electrode swap, two a critical long QTc.
// With V2 at the rail for 2 s and back, one raised a critical pause. Such a lead is taken out of a short recording
// as a whole (one that is flat from the start is already a lead off). In a long one only the stretch at the rail
// is flattened, with half a second either side.
#include <algorithm>
#include <cmath>

#include "filters_internal.hpp"

namespace teledx::ecg::detail {
namespace {

/// Where a lead sits at its rail: runs of identical samples (within 0.5 µV: an amplifier's saturated output does
/// not move by one unit) of 200 ms or more, at least 2 mV from the median of the lead's other samples. Identical
/// samples alone do not tell: LUDB's quiet T-P segments repeat one value for up to 780 ms, at the baseline.
std::vector<std::pair<std::size_t, std::size_t>> rail_runs(const std::vector<float>& x, double fs) {
  std::vector<std::pair<std::size_t, std::size_t>> runs, railed;
  const std::size_t shortest = std::max<std::size_t>(2, std::size_t(std::lround(0.2 * fs)));
  if (x.size() < shortest) return runs;
  // A run of 2h samples or more holds two probes h apart: only where two such probes agree is the run sought
  // (every sample compared took 3 ms per 30-minute two-lead record; this, a tenth of that).
  const std::size_t h = shortest / 2;
  for (std::size_t p = 0; p + h < x.size(); p += h) {
    if (std::abs(x[p + h] - x[p]) >= 0.5f) continue;
    std::size_t a = p, b = p + 1;
    while (a > 0 && std::abs(x[a - 1] - x[p]) < 0.5f) --a;
    while (b < x.size() && std::abs(x[b] - x[p]) < 0.5f) ++b;
    if (b - a >= shortest && (runs.empty() || a >= runs.back().second)) runs.emplace_back(a, b);
    p = std::max(p, (b - 1) / h * h);
  }
  if (runs.empty()) return runs;
  // The level of the rest of the lead, every eighth sample outside the runs.
  std::vector<float> rest;
  std::size_t next = 0;
  for (std::size_t k = 0; k < x.size(); k += 8) {
    while (next < runs.size() && runs[next].second <= k) ++next;
    if (next < runs.size() && k >= runs[next].first) continue;
    rest.push_back(x[k]);
  }
  if (rest.empty()) return railed;  // stuck throughout: a flat lead, said as one
  std::nth_element(rest.begin(), rest.begin() + std::ptrdiff_t(rest.size() / 2), rest.end());
  const double level = rest[rest.size() / 2];
  for (const auto& run : runs)
    if (std::abs(double(x[run.first]) - level) >= 2000) railed.push_back(run);
  return railed;
}

}  // namespace

std::vector<RailedLead> take_out_railed_leads(LeadSet& set) {
  const double fs = set.sample_rate_hz;
  std::vector<RailedLead> out;
  if (fs <= 0) return out;
  const bool short_recording = double(set.sample_count()) <= 60 * fs;
  const auto margin = std::size_t(std::lround(0.5 * fs));
  for (std::size_t l = 0; l < set.leads.size(); ++l) {
    auto& x = set.leads[l].uv;
    const auto runs = rail_runs(x, fs);
    if (runs.empty()) continue;
    std::size_t stuck = 0;
    for (const auto& [from, to] : runs) stuck += to - from;
    out.push_back({l, std::int64_t(runs.front().first), double(x[runs.front().first]), std::int64_t(stuck)});
    if (short_recording) {
      std::fill(x.begin(), x.end(), 0.f);
      continue;
    }
    for (const auto& [from, to] : runs) {
      const std::size_t a = from > margin ? from - margin : 0, b = std::min(x.size(), to + margin);
      const float level = a > 0 ? x[a - 1] : (b < x.size() ? x[b] : 0.f);
      std::fill(x.begin() + std::ptrdiff_t(a), x.begin() + std::ptrdiff_t(b), level);
    }
  }
  return out;
}

}  // namespace teledx::ecg::detail
