// Pacemaker stimuli in the ECG: found and bridged before QRS boundaries are sought, so that neither the spike nor a
// recorder's handling of it is taken for the start or the end of the QRS (delineation.cpp).
#pragma once
#include <cstddef>
#include <tuple>
#include <utility>
#include <vector>

namespace teledx::ecg::detail {

/// Spikes of one lead as (first sample, width); at 400 Hz and more only (pacing_spikes.cpp says why).
std::vector<std::pair<std::size_t, std::size_t>> find_pacing_spikes(const std::vector<float>& x, double fs);

/// Finds spikes in every lead and bridges each, in every lead, by the line joining its neighbours there. Returns
/// the spikes as (first sample, width, number of leads it was found in).
std::vector<std::tuple<std::size_t, std::size_t, std::size_t>> bridge_pacing_spikes(std::vector<std::vector<float>>& leads,
                                                                                    double fs);

/// Below 400 Hz: bridges, in this lead, the stimuli told apart by their surroundings. Returns whether any was.
bool bridge_low_rate_spikes(std::vector<float>& x, double fs);

}  // namespace teledx::ecg::detail
