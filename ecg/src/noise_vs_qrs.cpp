// Noise against the size of the QRS complexes found in it: "beats" that are the noise's own largest swings are a few
// times its RMS, where a real QRS stands ten times above its noise and more. Used on a run of ventricular beats
// (untype_noise_runs) and on the whole recording (indistinct_qrs).
#include <algorithm>
#include <cmath>
#include <numbers>
#include <optional>
#include <vector>

#include "analysis_internal.hpp"
#include "filters_internal.hpp"

namespace teledx::ecg::detail {

// The stretch is low-passed again here: analyze() frees the whole leads' 40 Hz copies (high_frequency_rms) before
// detection, for the detector's arrays to reuse their memory, and a run of ventricular beats is rare and short.
double burst_noise_uv(const LeadSet& s, std::int64_t from, std::int64_t to) {
  from = std::max<std::int64_t>(0, from);
  to = std::min<std::int64_t>(std::int64_t(s.sample_count()), to);
  const double fs = s.sample_rate_hz;
  if (to - from < 8 || s.leads.empty() || 40 >= fs * 0.45) return 0;
  const Biquad lp = Biquad::lowpass(fs, 40, std::numbers::sqrt2 / 2);
  std::vector<double> per_lead;
  for (const auto& l : s.leads) {
    std::vector<float> smooth(l.uv.begin() + from, l.uv.begin() + to);
    filtfilt_batch(lp, {smooth.data()}, smooth.size());
    double sum = 0;
    for (std::size_t k = 0; k < smooth.size(); ++k) {
      const double d = double(l.uv[std::size_t(from) + k]) - smooth[k];
      sum += d * d;
    }
    per_lead.push_back(std::sqrt(sum / double(smooth.size())));
  }
  std::nth_element(per_lead.begin(), per_lead.begin() + std::ptrdiff_t(per_lead.size() / 2), per_lead.end());
  return per_lead[per_lead.size() / 2];
}

namespace {

/// The upper of the two middle values of an even count (median_of() averages them): the run check has always used it.
double upper_median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(v.size() / 2), v.end());
  return v[v.size() / 2];
}

/// The size of the complexes of beats [i, j) in one lead: the median over the beats of the peak-to-peak amplitude
/// within 60 ms of each R (µV; 0 for none).
double lead_qrs_uv(const std::vector<Beat>& beats, std::size_t i, std::size_t j, const std::vector<float>& x, double fs) {
  const std::int64_t h = std::llround(0.06 * fs);
  std::vector<double> per_beat;
  for (std::size_t k = i; k < j; ++k) {
    const std::int64_t from = std::max<std::int64_t>(0, beats[k].r - h),
                       to = std::min<std::int64_t>(std::int64_t(x.size()), beats[k].r + h);
    if (to <= from) continue;
    const auto [mn, mx] = std::minmax_element(x.begin() + from, x.begin() + to);
    per_beat.push_back(double(*mx - *mn));
  }
  return upper_median(std::move(per_beat));
}

/// The size of the complexes of beats [i, j): the median over the leads of lead_qrs_uv() (µV).
double beats_qrs_uv(const std::vector<Beat>& beats, std::size_t i, std::size_t j, const LeadSet& s) {
  std::vector<double> per_lead;
  for (const auto& l : s.leads) per_lead.push_back(lead_qrs_uv(beats, i, j, l.uv, s.sample_rate_hz));
  return upper_median(std::move(per_lead));
}

}  // namespace

std::vector<NoiseBurst> untype_noise_runs(std::vector<Beat>& beats, const LeadSet& s) {
  std::vector<NoiseBurst> out;
  const double fs = s.sample_rate_hz;
  const std::int64_t margin = std::int64_t(0.1 * fs);
  for (std::size_t i = 0; i < beats.size();) {
    std::size_t j = i;
    while (j < beats.size() && beats[j].type == BeatType::Ventricular) ++j;
    if (j - i >= 3) {
      const double uv = burst_noise_uv(s, beats[i].r - margin, beats[j - 1].r + margin);
      const double qrs = beats_qrs_uv(beats, i, j, s);
      if (uv > kBurstNoiseUv || uv > kBurstNoiseOfQrs * qrs) {
        for (std::size_t k = i; k < j; ++k) beats[k].type = BeatType::Unknown;
        out.push_back({double(beats[i].r) / fs, double(beats[j - 1].r) / fs, uv});
      }
    }
    i = j > i ? j : i + 1;
  }
  return out;
}

std::optional<IndistinctQrs> indistinct_qrs(const Analysis& a, const LeadSet& cond, const std::vector<double>& hf_rms) {
  if (a.beats.size() < 2 || 40 >= cond.sample_rate_hz * 0.45) return std::nullopt;
  std::vector<double> noise, qrs;
  for (std::size_t l = 0; l < cond.leads.size() && l < hf_rms.size(); ++l)
    if (!lead_is_flat(cond.leads[l].uv)) {
      noise.push_back(hf_rms[l]);
      qrs.push_back(lead_qrs_uv(a.beats, 0, a.beats.size(), cond.leads[l].uv, cond.sample_rate_hz));
    }
  const double noise_uv = upper_median(std::move(noise)), qrs_uv = upper_median(std::move(qrs));
  if (noise_uv <= 0 || noise_uv < kIndistinctQrsNoiseOfQrs * qrs_uv) return std::nullopt;
  return IndistinctQrs{noise_uv, qrs_uv};
}

}  // namespace teledx::ecg::detail
