// JSON summary of a waveform for the exam record (no samples: those stay in the stored file).
#include <nlohmann/json.hpp>

#include "teledx/ecg/waveform.hpp"

namespace teledx::ecg {

nlohmann::json to_json(const Waveform& w) {
  using nlohmann::json;
  json leads = json::array();
  for (const auto& l : w.leads) leads.push_back(l.lead == Lead::Other ? l.label : std::string(lead_name(l.lead)));
  json filters = json::object();
  if (w.filters.highpass_hz) filters["highpass_hz"] = *w.filters.highpass_hz;
  if (w.filters.lowpass_hz) filters["lowpass_hz"] = *w.filters.lowpass_hz;
  if (w.filters.notch_hz) filters["notch_hz"] = *w.filters.notch_hz;
  json unconnected = json::array();
  for (Lead l : w.unconnected_leads) unconnected.push_back(std::string(lead_name(l)));
  json measurements = json::array();
  for (const auto& m : w.device_measurements) measurements.push_back({{"name", m.name}, {"value", m.value}, {"unit", m.unit}});
  return {{"source_format", w.source_format},
          {"sample_rate_hz", w.sample_rate_hz},
          {"samples_per_lead", w.sample_count()},
          {"duration_s", w.duration_s()},
          {"leads", std::move(leads)},
          {"acquisition_time", w.acquisition_time},
          {"device", w.device},
          {"device_filters", std::move(filters)},
          {"device_measurements", std::move(measurements)},
          {"device_statements", w.device_statements},
          {"device_median_beat", w.device_median.has_value()},
          {"unconnected_leads", std::move(unconnected)}};
}

}  // namespace teledx::ecg
