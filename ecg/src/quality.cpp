// Signal quality, so a technician can repeat the ECG before the patient leaves: lead off, noise, baseline wander,
// mains interference, suspected limb-electrode reversal.
#include <algorithm>
#include <cmath>

#include "analysis_internal.hpp"
#include "teledx/ecg/processing.hpp"

namespace teledx::ecg::detail {
namespace {

void say(Analysis& a, std::string code, std::string text, Severity sev, std::optional<Lead> lead = std::nullopt) {
  a.quality.push_back({std::move(code), std::move(text), sev, lead});
}

double net_qrs(const LeadSet& m, Lead l, const Fiducials& f) {
  const LeadSignal* s = m.find(l);
  if (!s || !f.qrs_on || !f.qrs_off) return 0;
  double v = 0;
  const double base = s->uv[std::size_t(*f.qrs_on)];
  for (std::int64_t k = *f.qrs_on; k <= *f.qrs_off; ++k) v += s->uv[std::size_t(k)] - base;
  return v;
}

}  // namespace

void quality_statements(Analysis& a, const Waveform& raw, const LeadSet& cond,
                        const std::vector<std::vector<float>>& smooth_all) {
  const double fs = raw.sample_rate_hz;
  int bad_leads = 0;
  for (std::size_t li = 0; li < raw.leads.size() && li < cond.leads.size(); ++li) {
    const auto& l = raw.leads[li];
    const std::string name = l.lead == Lead::Other ? l.label : std::string(lead_name(l.lead));
    auto [mn, mx] = std::minmax_element(cond.leads[li].uv.begin(), cond.leads[li].uv.end());
    if (mn == cond.leads[li].uv.end() || *mx - *mn < 40) {
      say(a, "lead_off", "Lead " + name + " is flat: electrode off or disconnected", Severity::Warning, l.lead);
      ++bad_leads;
      continue;
    }
    // High-frequency noise: RMS of what a 40 Hz low-pass removes (muscle tremor, poor contact).
    const auto& smooth = smooth_all[li];
    double hf = 0;
    for (std::size_t k = 0; k < smooth.size(); ++k) hf += double(cond.leads[li].uv[k] - smooth[k]) * (cond.leads[li].uv[k] - smooth[k]);
    hf = std::sqrt(hf / double(smooth.size()));
    if (hf > 40) {
      say(a, "noise", "Lead " + name + " is noisy (" + fmt(hf) + " µV RMS above 40 Hz)", Severity::Warning, l.lead);
      ++bad_leads;
    }
    // Baseline wander: what the baseline filter removed, peak to peak.
    double lo = 1e9, hi = -1e9;
    for (std::size_t k = 0; k < l.uv.size(); k += 4) {
      const double w = l.uv[k] - cond.leads[li].uv[k];
      lo = std::min(lo, w), hi = std::max(hi, w);
    }
    if (hi - lo > 2000 && l.uv.size() < std::size_t(120 * fs))
      say(a, "baseline_wander", "Lead " + name + " has strong baseline wander (" + fmt((hi - lo) / 1000, 1) + " mV)", Severity::Info, l.lead);
  }
  if (a.mains_removed_hz > 0)
    say(a, "mains_interference", fmt(a.mains_removed_hz) + " Hz mains interference was present and filtered out", Severity::Info);
  if (bad_leads * 2 > int(raw.leads.size()))
    say(a, "repeat_recording", "More than half of the leads are unusable: repeat the ECG", Severity::Warning);
  // LA/RA reversal: lead I inverted (negative P, QRS and T) while aVR is upright.
  const Fiducials& f = a.median_fiducials;
  if (a.median.find(Lead::I) && a.median.find(Lead::aVR) && f.qrs_on && f.qrs_off) {
    const double qi = net_qrs(a.median, Lead::I, f), qavr = net_qrs(a.median, Lead::aVR, f);
    double pi = 0;
    if (f.p_on && f.p_off) {
      const auto& s = a.median.find(Lead::I)->uv;
      for (std::int64_t k = *f.p_on; k <= *f.p_off; ++k) pi += s[std::size_t(k)] - s[std::size_t(*f.qrs_on)];
    }
    if (qi < 0 && qavr > 0 && pi < 0)
      say(a, "limb_lead_reversal_suspected",
          "Lead I is inverted and aVR upright: left/right arm electrodes may be reversed; check and repeat", Severity::Warning);
  }
}

}  // namespace teledx::ecg::detail
