// Paper layouts (3x4 + rhythm strip, 6x2) and the viewer JSON.
#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "analysis_internal.hpp"
#include "render_layout.hpp"
#include "teledx/ecg/processing.hpp"

namespace teledx::ecg::detail {

LeadSet display_signals(const Waveform& ecg) {
  LeadSet s = ecg;
  condition_signals(s);
  return s;
}

namespace {

/// The leads recorded beyond the standard twelve, one group per family: the right-sided leads (V2R-V6R), the
/// posterior ones (V7-V9), then any other (Frank X Y Z, a research channel). An 18-lead ECG, usual in Chinese chest
/// pain work-ups, adds V3R-V5R and V7-V9: the analysis reads right ventricular and posterior ST elevation on them, so
/// the page a reader confirms that on must show them.
std::vector<std::vector<const LeadSignal*>> additional_lead_groups(const LeadSet& set) {
  std::vector<std::vector<const LeadSignal*>> groups(3);
  for (const auto& l : set.leads) {
    if (is_standard_lead(l.lead)) continue;
    const bool right = l.lead >= Lead::V2R && l.lead <= Lead::V6R, posterior = l.lead >= Lead::V7 && l.lead <= Lead::V9;
    groups[right ? 0 : posterior ? 1 : 2].push_back(&l);
  }
  std::erase_if(groups, [](const auto& g) { return g.empty(); });
  return groups;
}

std::string panel_label(const LeadSignal& l) { return l.lead == Lead::Other ? l.label : std::string(lead_name(l.lead)); }

}  // namespace

PageLayout layout_panels(const LeadSet& set, const RenderOptions& o) {
  PageLayout p;
  const double dur = set.duration_s() - o.start_s;
  auto add = [&](Lead l, int row, int col, double t0, double t1) {
    const LeadSignal* s = set.find(l);
    p.panels.push_back({s, std::string(lead_name(l)), row, col, o.start_s + t0, o.start_s + std::min(t1, dur)});
  };
  const bool standard = set.find(Lead::I) && set.find(Lead::V1);
  if (!standard) {  // research or ambulatory leads: one full-width row per lead
    p.rows = int(set.leads.size());
    p.cols = 1;
    p.column_s = std::min(10.0, dur);
    for (std::size_t i = 0; i < set.leads.size(); ++i)
      p.panels.push_back({&set.leads[i], panel_label(set.leads[i]), int(i), 0, o.start_s, o.start_s + p.column_s});
    return p;
  }
  const auto extra = additional_lead_groups(set);
  auto add_extra = [&](const LeadSignal* l, int row, int col) {
    p.panels.push_back({l, panel_label(*l), row, col, o.start_s + col * p.column_s,
                        o.start_s + std::min((col + 1) * p.column_s, dur)});
  };
  if (o.layout == Layout::SixByTwo) {
    const Lead order[2][6] = {{Lead::I, Lead::II, Lead::III, Lead::aVR, Lead::aVL, Lead::aVF},
                              {Lead::V1, Lead::V2, Lead::V3, Lead::V4, Lead::V5, Lead::V6}};
    p.rows = 6, p.cols = 2, p.column_s = 5;
    for (int c = 0; c < 2; ++c)
      for (int r = 0; r < 6; ++r) add(order[c][r], r, c, c * 5.0, c * 5.0 + 5.0);
    // Below, one family per column (right-sided left, posterior right); more families share the two columns.
    std::vector<std::vector<const LeadSignal*>> cols(2);
    if (extra.size() <= 2) {
      for (std::size_t g = 0; g < extra.size(); ++g) cols[g] = extra[g];
    } else {
      std::vector<const LeadSignal*> all;
      for (const auto& g : extra) all.insert(all.end(), g.begin(), g.end());
      const std::size_t half = (all.size() + 1) / 2;
      cols[0].assign(all.begin(), all.begin() + std::ptrdiff_t(half));
      cols[1].assign(all.begin() + std::ptrdiff_t(half), all.end());
    }
    for (int c = 0; c < 2; ++c)
      for (std::size_t r = 0; r < cols[std::size_t(c)].size(); ++r) add_extra(cols[std::size_t(c)][r], 6 + int(r), c);
    p.rows += int(std::max(cols[0].size(), cols[1].size()));
    return p;
  }
  const Lead order[4][3] = {{Lead::I, Lead::II, Lead::III},
                            {Lead::aVR, Lead::aVL, Lead::aVF},
                            {Lead::V1, Lead::V2, Lead::V3},
                            {Lead::V4, Lead::V5, Lead::V6}};
  p.rows = 4, p.cols = 4, p.column_s = 2.5;
  for (int c = 0; c < 4; ++c)
    for (int r = 0; r < 3; ++r) add(order[c][r], r, c, c * 2.5, c * 2.5 + 2.5);
  // Additional leads in rows of four under the standard ones, each family starting its own row.
  int row = 3;
  for (const auto& g : extra)
    for (std::size_t i = 0; i < g.size(); i += 4, ++row)
      for (std::size_t c = 0; c < 4 && i + c < g.size(); ++c) add_extra(g[i + c], row, int(c));
  p.rows = row + 1;
  add(set.find(o.rhythm_lead) ? o.rhythm_lead : set.leads.front().lead, row, 0, 0, 10);
  p.panels.back().col = 0;
  return p;
}

std::string measurement_line(const Analysis& a) {
  const auto& m = a.measurements;
  std::string s;
  auto part = [&](const std::string& t) { s += (s.empty() ? "" : "   ") + t; };
  if (m.heart_rate) part("HR " + fmt(*m.heart_rate) + "/min");
  if (m.pr) part("PR " + fmt(*m.pr) + " ms");
  if (m.qrs) part("QRS " + fmt(*m.qrs) + " ms");
  if (m.qt) part("QT/QTc " + fmt(*m.qt) + "/" + (m.qtc_bazett ? fmt(*m.qtc_bazett) : std::string("-")) + " ms");
  if (m.qrs_axis)
    part("P/QRS/T " + (m.p_axis ? fmt(*m.p_axis) : std::string("-")) + "/" + fmt(*m.qrs_axis) + "/" +
         (m.t_axis ? fmt(*m.t_axis) : std::string("-")) + " deg");
  if (m.rv5 && m.sv1) {
    auto mv = [](double uv) { return fmt(uv / 1000.0, 3); };
    part("RV5/SV1 " + mv(*m.rv5) + "/" + mv(*m.sv1) + " mV");
  }
  return s;
}

}  // namespace teledx::ecg::detail

namespace teledx::ecg {

nlohmann::json render_json(const Waveform& ecg, const RenderOptions& o, const Analysis* analysis) {
  using nlohmann::json;
  const LeadSet s = detail::display_signals(ecg);
  const auto page = detail::layout_panels(s, o);
  // Decimate to <= 250 Hz after a 100 Hz low-pass (enough for the eye at 25 mm/s).
  const int step = std::max(1, int(std::floor(s.sample_rate_hz / 250.0)));
  json leads = json::object();
  for (const auto& l : s.leads) {
    std::vector<float> x = step > 1 ? lowpass_filter(l.uv, s.sample_rate_hz, std::min(100.0, s.sample_rate_hz / step * 0.4)) : l.uv;
    std::vector<int> d;
    d.reserve(x.size() / std::size_t(step) + 1);
    for (std::size_t k = 0; k < x.size(); k += std::size_t(step)) d.push_back(int(std::lround(x[k])));
    leads[l.lead == Lead::Other ? l.label : std::string(lead_name(l.lead))] = std::move(d);
  }
  json panels = json::array();
  for (const auto& p : page.panels)
    panels.push_back({{"lead", p.label}, {"row", p.row}, {"col", p.col}, {"t0_s", p.t0_s}, {"t1_s", p.t1_s}, {"present", p.lead != nullptr}});
  json j{{"layout", o.layout == Layout::SixByTwo ? "6x2" : "3x4+rhythm"},
         {"paper", {{"mm_per_s", o.mm_per_s}, {"mm_per_mv", o.mm_per_mv}, {"minor_grid_mm", 1}, {"major_grid_mm", 5}}},
         {"calibration", {{"mv", 1.0}, {"width_ms", 200}}},
         {"rows", page.rows},
         {"cols", page.cols},
         {"column_s", page.column_s},
         {"sample_rate_hz", s.sample_rate_hz / step},
         {"units", "uV"},
         {"panels", std::move(panels)},
         {"leads", std::move(leads)},
         {"acquisition_time", ecg.acquisition_time},
         {"device", ecg.device}};
  if (ecg.filters.highpass_hz) j["device_filters"]["highpass_hz"] = *ecg.filters.highpass_hz;
  if (ecg.filters.lowpass_hz) j["device_filters"]["lowpass_hz"] = *ecg.filters.lowpass_hz;
  if (ecg.filters.notch_hz) j["device_filters"]["notch_hz"] = *ecg.filters.notch_hz;
  if (analysis) {
    j["header"] = detail::measurement_line(*analysis);
    j["analysis"] = to_json(*analysis);
  }
  return j;
}

}  // namespace teledx::ecg
