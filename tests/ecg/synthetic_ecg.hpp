#pragma once
// Synthetic 12-lead ECGs with known intervals: finite-support waves (half-sine P, Hann-pulse Q/R/S, asymmetric T)
// projected on the frontal leads by angle and on the precordial leads by fixed weights.
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "teledx/ecg/waveform.hpp"

namespace teledx::ecg::test {

struct Synth {
  double fs = 500, seconds = 10;
  double hr = 72;             // used when r_times is empty
  std::vector<double> r_times;  // QRS onsets (s); empty = regular at hr
  std::vector<double> p_times;  // P onsets (s); empty = pr_ms before each QRS
  bool p_waves = true;
  double pr_ms = 160, p_ms = 100, qrs_ms = 90, qt_ms = 380;
  double p_uv = 150, r_uv = 1200, t_uv = 350;
  double qrs_axis = 60, p_axis = 60, t_axis = 45;
  /// Frontal direction of the QRS's first small wave (the septum's and inferior wall's early forces); unset, it
  /// points opposite the main axis (a q where the R is tall).
  std::optional<double> initial_axis;
  bool wide_monophasic = false;  // ventricular morphology: one broad R, T of opposite polarity
  std::map<Lead, double> st_uv;  // ST shift per lead
  /// A Q wave of this duration (ms) and q_uv deep starting the lead's QRS, its R after it; a duration of qrs_ms or
  /// more makes a QS complex (the lead's QRS all negative).
  std::map<Lead, double> q_ms;
  double q_uv = 400;
  double noise_uv = 8, mains_hz = 0, mains_uv = 0, fibrillation_uv = 0;
  std::vector<Lead> flat;        // electrodes off
};

inline double hann(double t, double t0, double t1) {
  if (t <= t0 || t >= t1) return 0;
  const double s = std::sin(std::numbers::pi * (t - t0) / (t1 - t0));
  return s * s;
}

inline Waveform synth_ecg(const Synth& o) {
  static const Lead leads[] = {Lead::I, Lead::II, Lead::III, Lead::aVR, Lead::aVL, Lead::aVF,
                               Lead::V1, Lead::V2, Lead::V3, Lead::V4, Lead::V5, Lead::V6};
  static const double angle[] = {0, 60, 120, -150, -30, 90};
  static const double v_qrs[] = {-0.6, -0.3, 0.4, 0.9, 1.0, 0.8}, v_t[] = {0.2, 0.6, 0.8, 0.9, 0.8, 0.6}, v_p = 0.5;
  const std::size_t n = std::size_t(o.fs * o.seconds);
  std::vector<double> r = o.r_times;
  if (r.empty())
    for (double t = 0.5; t < o.seconds - 0.6; t += 60.0 / o.hr) r.push_back(t);
  std::vector<double> p = o.p_times;
  if (p.empty() && o.p_waves)
    for (double t : r) p.push_back(t - o.pr_ms / 1000);
  const double qrs = o.qrs_ms / 1000, qt = o.qt_ms / 1000, pd = o.p_ms / 1000;
  Waveform w;
  w.sample_rate_hz = o.fs;
  w.source_format = "synthetic";
  std::mt19937 rng(42);
  std::normal_distribution<double> gauss(0, 1);
  for (std::size_t li = 0; li < 12; ++li) {
    const double rad = std::numbers::pi / 180;
    const double kq = li < 6 ? std::cos((o.qrs_axis - angle[li]) * rad) : v_qrs[li - 6];
    const double kq0 = li < 6 && o.initial_axis ? -std::cos((*o.initial_axis - angle[li]) * rad) : kq;
    const double kt = li < 6 ? std::cos((o.t_axis - angle[li]) * rad) : v_t[li - 6];
    const double kp = li < 6 ? std::cos((o.p_axis - angle[li]) * rad) : v_p;
    const double st = o.st_uv.count(leads[li]) ? o.st_uv.at(leads[li]) : 0;
    static const double v_f1[] = {1.0, 0.6, 0.3, 0.1, -0.1, -0.2}, v_f2[] = {0.4, 0.6, 0.5, 0.3, 0.2, 0.1};
    const double kf1 = li < 6 ? std::cos((80 - angle[li]) * rad) : v_f1[li - 6];
    const double kf2 = li < 6 ? std::cos((20 - angle[li]) * rad) : v_f2[li - 6];
    LeadSignal s{leads[li], std::vector<float>(n), std::string(lead_name(leads[li]))};
    for (std::size_t k = 0; k < n; ++k) {
      const double t = double(k) / o.fs;
      double v = 0;
      for (double pt : p)
        if (t > pt && t < pt + pd) v += o.p_uv * kp * std::sin(std::numbers::pi * (t - pt) / pd);
      for (double q : r) {
        if (t < q - 0.01 || t > q + qt + 0.01) continue;
        if (o.wide_monophasic) {
          v += o.r_uv * kq * hann(t, q, q + qrs);
          v -= o.t_uv * 1.5 * kq * hann(t, q + qrs + 0.04, q + qt);
        } else {
          if (const auto q_wave = o.q_ms.find(leads[li]); q_wave != o.q_ms.end()) {
            const double qd = std::min(q_wave->second / 1000, qrs);
            if (t > q && t < q + qd) v -= o.q_uv * std::sin(std::numbers::pi * (t - q) / qd);
            if (qd < qrs) v += o.r_uv * std::abs(kq) * hann(t, q + qd, q + qrs);
          } else {
            v += o.r_uv * kq * (-0.12 * hann(t, q, q + 0.22 * qrs) + hann(t, q + 0.15 * qrs, q + 0.6 * qrs) -
                                0.3 * hann(t, q + 0.55 * qrs, q + qrs));
            if (kq0 != kq) v -= o.r_uv * 0.12 * (kq0 - kq) * hann(t, q, q + 0.22 * qrs);
          }
          const double t0 = q + qrs + 0.3 * (qt - qrs), peak = t0 + 0.6 * (q + qt - t0);
          if (t > t0 && t < q + qt)
            v += o.t_uv * kt * (t < peak ? hann(t, t0, 2 * peak - t0) : hann(t, 2 * peak - (q + qt), q + qt));
        }
        // ST shift from J to the T peak region, tapering to zero at the end of T.
        if (st != 0 && t >= q + qrs && t < q + qt) v += st * (t < q + qt - 0.1 ? 1.0 : (q + qt - t) / 0.1);
      }
      // Fibrillation waves: two wavefronts, each projected on the leads like a dipole (largest in V1 and the inferior
      // leads), so that the leads obey Einthoven's law and the chest leads differ, as the heart's own waves do. (The
      // same wave in all twelve leads is what only a limb electrode's tremor makes in the chest leads.)
      if (o.fibrillation_uv > 0)
        v += o.fibrillation_uv * (kf1 * std::sin(2 * std::numbers::pi * 6.1 * t + 0.7 * std::sin(2 * std::numbers::pi * 0.37 * t)) +
                                  kf2 * 0.5 * std::sin(2 * std::numbers::pi * 7.3 * t));
      if (o.mains_uv > 0) v += o.mains_uv * std::sin(2 * std::numbers::pi * o.mains_hz * t);
      v += o.noise_uv * gauss(rng);
      s.uv[k] = float(v);
    }
    for (Lead f : o.flat)
      if (f == leads[li]) std::fill(s.uv.begin(), s.uv.end(), 0.f);
    w.leads.push_back(std::move(s));
  }
  return w;
}

/// The onset (s) of the synthetic QRS nearest sample `r` of a regular synth_ecg(o): its first QRS starts at 0.5 s and
/// one follows every 60 / o.hr s.
inline double synthetic_qrs_onset(const Synth& o, std::int64_t r) {
  const double period = 60.0 / o.hr;
  return std::floor((double(r) / o.fs - 0.5) / period + 0.5) * period + 0.5;
}

/// A complete left bundle branch block's shape: one broad R of 150 ms at a frontal axis of 0°, its T the other way.
inline Synth left_bundle_branch_block() {
  Synth s;
  s.wide_monophasic = true, s.qrs_ms = 150, s.qrs_axis = 0, s.hr = 70, s.qt_ms = 440;
  return s;
}

/// A sinus ECG whose QRS (90 ms) gets a late 60 ms wave after it, pointing right and forward (frontal 180°, toward
/// V1 and away from V6): the right ventricle depolarising last, a QRS of about 150 ms with a terminal R' in V1 and a
/// terminal S in I and V6. The wave projects on every lead as a heart's vector does (aVF: none). `late_ms` and
/// `late_uv` shorten and shrink it (an incomplete block).
inline Waveform right_bundle_branch_block(const std::vector<Lead>& off = {}, double late_ms = 60, double late_uv = 500) {
  Synth s;
  s.seconds = 10;
  for (double t = 0.5; t < 9.4; t += 0.8) s.r_times.push_back(t);
  s.flat = off;
  Waveform w = synth_ecg(s);
  const std::map<Lead, double> weight{{Lead::I, -1},    {Lead::II, -0.5}, {Lead::III, 0.5}, {Lead::aVR, 0.87},
                                      {Lead::aVL, -0.87}, {Lead::aVF, 0},  {Lead::V1, 1},    {Lead::V2, 0.7},
                                      {Lead::V3, 0.2},    {Lead::V4, -0.2}, {Lead::V5, -0.4}, {Lead::V6, -0.5}};
  for (auto& l : w.leads) {
    const double k = late_uv * weight.at(l.lead);
    if (k == 0 || std::find(off.begin(), off.end(), l.lead) != off.end()) continue;
    for (std::size_t n = 0; n < l.uv.size(); ++n) {
      const double t = double(n) / s.fs;
      for (double q : s.r_times) l.uv[n] += float(k * hann(t, q + 0.08, q + 0.08 + late_ms / 1000));
    }
  }
  return w;
}

/// P waves every `pp` seconds over `seconds`; wave i reaches the ventricles (after 180 ms, P onset to QRS onset)
/// when conducted[i % size] is true: 2:1 as {true, false}, 3:1 as {true, false, false}.
inline Synth conduction_pattern(double pp, const std::vector<bool>& conducted, double seconds = 20) {
  Synth s;
  s.seconds = seconds, s.pr_ms = 0;
  std::size_t i = 0;
  for (double t = 0.3; t < seconds - 0.7; t += pp, ++i) {
    s.p_times.push_back(t);
    if (conducted[i % conducted.size()]) s.r_times.push_back(t + 0.18);
  }
  return s;
}

/// Adds `other`'s samples to `into`'s, lead by lead (two synthetic rhythms of one recording, e.g. sinus beats and
/// ectopic ones made by separate Synth settings).
inline void add_signals(Waveform& into, const Waveform& other) {
  for (std::size_t l = 0; l < into.leads.size(); ++l)
    for (std::size_t k = 0; k < into.leads[l].uv.size(); ++k) into.leads[l].uv[k] += other.leads[l].uv[k];
}

/// A waveform as the CSV a cart's export or a research tool writes: the sampling rate, the lead labels, then one row
/// of whole µV per sample (what the upload API's CSV reader takes).
inline std::string csv_of(const Waveform& w) {
  std::string csv = "# sample_rate=" + std::to_string(int(w.sample_rate_hz)) + "\n";
  for (std::size_t l = 0; l < w.leads.size(); ++l) csv += (l ? "," : "") + w.leads[l].label;
  csv += "\n";
  for (std::size_t k = 0; k < w.sample_count(); ++k) {
    for (std::size_t l = 0; l < w.leads.size(); ++l) csv += (l ? "," : "") + std::to_string(int(w.leads[l].uv[k]));
    csv += "\n";
  }
  return csv;
}

}  // namespace teledx::ecg::test
