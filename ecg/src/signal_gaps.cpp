// Signal gaps: stretches where the recording holds every lead still, sample for sample, because no signal reached
// it (a wireless cart's lost packets, a transfer that filled a break with zeros or the last value, an amplifier
// resetting after an overload). Read as an ECG, a 3.5-s gap was a 3.5-s pause on every LUDB record: a critical
// flag, a sinus bradycardia, a "dropped beat", with nothing to say the tracing had stopped.
#include <algorithm>
#include <cmath>

#include "analysis_internal.hpp"
#include "filters_internal.hpp"

namespace teledx::ecg::detail {
namespace {

/// Whether every lead holds at sample k the value it had at k - 1.
bool all_still(const LeadSet& set, std::size_t k) {
  for (const auto& l : set.leads)
    if (l.uv[k] != l.uv[k - 1]) return false;
  return true;
}

}  // namespace

std::vector<SignalGap> bridge_signal_gaps(LeadSet& set, const std::vector<CalibrationPulse>& pulses) {
  std::vector<SignalGap> gaps;
  const std::size_t n = set.sample_count();
  const double fs = set.sample_rate_hz;
  if (n < 2 || set.leads.empty() || fs <= 0) return gaps;
  const auto shortest = std::size_t(std::llround(kMinSignalGapS * fs));
  // The still stretches [from, to) of 0.3 s or more (the first held sample included), and how many samples the
  // shorter ones hold still.
  std::vector<std::pair<std::size_t, std::size_t>> still;
  std::size_t briefly_still = 0, run_from = 0;
  for (std::size_t k = 1; k <= n; ++k) {
    if (k < n && all_still(set, k)) continue;
    if (k - run_from >= shortest) still.emplace_back(run_from, k);
    else briefly_still += k - run_from - 1;
    run_from = k;
  }
  // A real recording moves nearly all the time (its amplifier's noise moves the last bit: LUDB, QTDB and MIT-BIH
  // hold every lead still at most 17% of the time, in stretches of 90 ms at most), and a break in it is a rare
  // event: there every still stretch is a gap. A noise-free ECG (a simulator's file, a synthetic strip: 25-50%)
  // holds still on its baseline between its beats and through a real pause, and moves off it as a wave sets off;
  // there a gap must show where the signal stopped and resumed: a jump in some lead at one end or the other. A jump
  // is more than two of the lead's quantisation steps (its smallest change) and 3 µV, and four times the lead's next
  // move beyond it (a synthetic P wave at 500 Hz sets off by 9 µV and then 9 µV more).
  std::size_t held = 0, inner = 0;
  for (auto [from, to] : still) held += to - from, inner += from > 0 && to < n;
  const bool moving = double(briefly_still) < kStillShareOfRealEcg * double(n - std::min(n, held)) &&
                      double(inner) * kRecurringStillEveryS <= double(n) / fs;
  std::vector<float> step(set.leads.size(), 0);
  for (std::size_t l = 0; l < set.leads.size() && !moving; ++l) {
    const auto& x = set.leads[l].uv;
    float smallest = 0;
    for (std::size_t k = 1; k < n; ++k)
      if (const float d = std::abs(x[k] - x[k - 1]); d > 0 && (smallest == 0 || d < smallest)) smallest = d;
    step[l] = std::max(3.0f, 2 * smallest);
  }
  // Some lead jumps between k - 1 and k; `beyond` is the next pair of samples on the moving side.
  auto jumps = [&](std::size_t k, std::size_t beyond) {
    for (std::size_t l = 0; l < set.leads.size(); ++l) {
      const auto& x = set.leads[l].uv;
      const float jump = std::abs(x[k] - x[k - 1]), next = std::abs(x[beyond] - x[beyond - 1]);
      if (jump > step[l] && jump > 4 * next) return true;
    }
    return false;
  };
  for (auto [from, to] : still) {
    if (from == 0 && to == n) continue;  // every lead flat throughout: lead off, said so
    if (!moving && !(from >= 2 && jumps(from, from - 1)) && !(to + 1 < n && jumps(to, to + 1))) continue;
    // A pulse's top held 0.3 s or more in every lead: the pulse, said as such. A still stretch that reaches beyond
    // a pulse is a gap with the pulse in it (a break filled with the cart's calibration, or a flat lead-in).
    if (std::any_of(pulses.begin(), pulses.end(), [&](const CalibrationPulse& p) {
          return std::int64_t(from) >= p.from && std::int64_t(to) <= p.to + 1;
        }))
      continue;
    gaps.push_back({std::int64_t(from), std::int64_t(to), from == 0 || to == n});
  }
  // A line from the last sample before the gap to the first after it: no step at either end for the filters and the
  // detector to take for a beat, and nothing in it to detect. A gap at either end of the recording is left as it
  // is: it holds still already, and the first or last samples it holds may be the ECG's own (a flat lead-in
  // bridged to the next sample moved LUDB 10's PR, 200 ms to the sample, over the first-degree block's limit).
  for (const auto& g : gaps) {
    if (g.at_edge) continue;
    for (auto& l : set.leads) {
      auto& x = l.uv;
      const double a = x[std::size_t(g.from - 1)], b = x[std::size_t(g.to)];
      const double span = double(g.to - g.from + 1);
      for (std::int64_t k = g.from; k < g.to; ++k) x[std::size_t(k)] = float(a + (b - a) * double(k - g.from + 1) / span);
    }
  }
  return gaps;
}

void mark_beats_after_gaps(std::vector<Beat>& beats, const std::vector<SignalGap>& gaps, double fs) {
  // A gap at either end of the recording splits no interval, and a complex it cuts is cut as by the recording's end.
  std::vector<SignalGap> inner;
  for (const auto& g : gaps)
    if (!g.at_edge) inner.push_back(g);
  if (inner.empty()) return;
  // A complex within 100 ms of a gap may be cut by it (a dropout at 4.0 s halved LUDB 149's QRS there, and the half
  // was typed ventricular): it is counted as a beat, but of no type.
  const auto near = std::int64_t(std::llround(0.1 * fs));
  for (auto& b : beats)
    for (const auto& g : inner)
      if (b.r >= g.from - near && b.r < g.to + near) b.type = BeatType::Unknown;
  // Nothing was recorded inside a gap: a beat found there is the bridge's edge, not a QRS.
  std::erase_if(beats, [&](const Beat& b) {
    return std::any_of(inner.begin(), inner.end(), [&](const SignalGap& g) { return b.r >= g.from && b.r < g.to; });
  });
  for (std::size_t i = 1; i < beats.size(); ++i)
    for (const auto& g : inner)
      if (beats[i - 1].r < g.from && beats[i].r >= g.to) beats[i].unrecorded_before += g.to - g.from;
}

}  // namespace teledx::ecg::detail
