// Global measurements: rate, RR/PP, PR, P duration, QRS, QT, QTc (Bazett, Fridericia) and frontal axes.
#include <cmath>
#include <numbers>

#include "analysis_internal.hpp"

namespace teledx::ecg::detail {
namespace {

/// Net area (µV·samples) of a lead over [a, b] above the PR baseline.
double net_area(const LeadSignal& l, std::int64_t a, std::int64_t b, double base) {
  double s = 0;
  for (std::int64_t k = std::max<std::int64_t>(0, a); k <= b && k < std::int64_t(l.uv.size()); ++k) s += l.uv[std::size_t(k)] - base;
  return s;
}

/// Frontal axis from net areas in I and aVF (aVF = II - I/2 when only I and II exist), each above the level
/// `base_of` gives the lead.
template <class BaseOf>
std::optional<double> axis(const LeadSet& m, std::int64_t a, std::int64_t b, BaseOf&& base_of) {
  const LeadSignal* i = m.find(Lead::I);
  const LeadSignal* avf = m.find(Lead::aVF);
  const LeadSignal* ii = m.find(Lead::II);
  if (!i || (!avf && !ii) || b <= a) return std::nullopt;
  const double x = net_area(*i, a, b, base_of(*i));
  double y;
  if (avf) y = net_area(*avf, a, b, base_of(*avf));
  else y = net_area(*ii, a, b, base_of(*ii)) - x / 2;
  if (x == 0 && y == 0) return std::nullopt;
  return std::round(std::atan2(y, x) * 180 / std::numbers::pi);
}

}  // namespace

double pr_baseline_uv(const LeadSignal& l, std::int64_t qrs_on, double fs) {
  const std::int64_t a = std::max<std::int64_t>(0, qrs_on - std::int64_t(0.02 * fs));
  double s = 0;
  for (std::int64_t k = a; k <= qrs_on; ++k) s += l.uv[std::size_t(k)];
  return s / double(qrs_on - a + 1);
}

double isoelectric_uv(const LeadSignal& l, const Fiducials& f, double fs) {
  if (!f.level_before_p) return pr_baseline_uv(l, *f.qrs_on, fs);
  const auto [a, b] = *f.level_before_p;
  double s = 0;
  for (std::int64_t k = a; k < b; ++k) s += l.uv[std::size_t(k)];
  return s / double(b - a);
}

std::optional<MedianLead> median_lead(const Analysis& a, Lead lead) {
  const LeadSignal* l = a.median.find(lead);
  const Fiducials& f = a.median_fiducials;
  if (!l || !f.qrs_on || !f.qrs_off || *f.qrs_off >= std::int64_t(l->uv.size())) return std::nullopt;
  const double fs = a.median.sample_rate_hz;
  return MedianLead{l, pr_baseline_uv(*l, *f.qrs_on, fs), *f.qrs_on, *f.qrs_off, fs};
}

Measurements measure(const Analysis& a) {
  Measurements m;
  const double fs = a.sample_rate_hz;
  auto ms = [&](std::int64_t samples) { return std::round(double(samples) * 1000.0 / fs); };
  std::vector<double> rr_all, rr_to_n;
  for (std::size_t i = 1; i < a.beats.size(); ++i) {
    if (!rr_before(a.beats, i)) continue;
    const double d = double(a.beats[i].r - a.beats[i - 1].r);
    rr_all.push_back(d);
    if (a.beats[i].type == BeatType::Normal) rr_to_n.push_back(d);
  }
  // The RR that goes with the median beat's QT is the one before the normal beats it is made of, whatever came
  // before them: the N-N interval in a mostly normal rhythm, the compensatory pause in bigeminy. (Choosing N-N
  // intervals once there were a quarter as many as normal beats flipped QTc between the two when noise made one
  // ectopic beat look normal: MIT-BIH 106 under noise, 372 -> 586 ms at the same QT; `teledx-ecg eval noise`.)
  const auto& rr_dom = !rr_to_n.empty() ? rr_to_n : rr_all;
  if (!rr_all.empty()) {
    double mean = 0;
    for (double d : rr_all) mean += d;
    mean /= double(rr_all.size());
    m.heart_rate = std::round(60.0 * fs / mean);
    m.rr = std::round(median_of(rr_dom) * 1000.0 / fs);
  }
  const Fiducials& f = a.median_fiducials;
  if (a.median.leads.empty() || !f.qrs_on || !f.qrs_off) return m;
  m.qrs = ms(*f.qrs_off - *f.qrs_on);
  // The QRS and T waves from the level the QRS starts at; the P wave from the isoelectric line, which is the level
  // before the P wave where the P runs into the QRS (an inverted retrograde P measured from its own tail read as
  // upright). The T axis keeps the PR level: the electrode checks were built on it.
  const double mfs = a.median.sample_rate_hz;
  auto pr_level = [&](const LeadSignal& l) { return pr_baseline_uv(l, *f.qrs_on, mfs); };
  auto isoelectric = [&](const LeadSignal& l) { return isoelectric_uv(l, f, mfs); };
  if (f.p_on && f.p_off) {
    m.pr = ms(*f.qrs_on - *f.p_on);
    m.p_duration = ms(*f.p_off - *f.p_on);
    m.pp = m.rr;  // one P per QRS when a median P wave exists
    m.p_axis = axis(a.median, *f.p_on, *f.p_off, isoelectric);
  }
  if (f.t_off) {
    m.qt = ms(*f.t_off - *f.qrs_on);
    if (m.rr && *m.rr > 0) {
      const double rr_s = *m.rr / 1000.0;
      m.qtc_bazett = std::round(*m.qt / std::sqrt(rr_s));
      m.qtc_fridericia = std::round(*m.qt / std::cbrt(rr_s));
    }
    m.t_axis = axis(a.median, *f.qrs_off, *f.t_off, pr_level);
  }
  m.qrs_axis = axis(a.median, *f.qrs_on, *f.qrs_off, pr_level);
  return m;
}

std::pair<std::optional<double>, std::optional<double>> qt_of_halves(const LeadSet& conditioned, const std::vector<Beat>& beats) {
  auto qt_of = [&](const std::vector<Beat>& part) -> std::optional<double> {
    std::int64_t r = 0;
    const LeadSet m = median_beat(conditioned, part, r);
    if (m.leads.empty()) return std::nullopt;
    const Fiducials f = delineate_median(m, r, part);
    if (!f.qrs_on || !f.t_off) return std::nullopt;
    return std::round(double(*f.t_off - *f.qrs_on) * 1000.0 / conditioned.sample_rate_hz);
  };
  const auto mid = beats.begin() + std::ptrdiff_t(beats.size() / 2);
  return {qt_of({beats.begin(), mid}), qt_of({mid, beats.end()})};
}

}  // namespace teledx::ecg::detail
