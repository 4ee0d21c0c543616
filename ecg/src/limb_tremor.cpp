// Tremor at a limb electrode: Parkinsonian (4-6 Hz) and essential (4-12 Hz) tremor, shivering. In the limb leads it
// is a regular oscillation of 240-720/min; at 4-6 Hz that is what atrial flutter waves look like, and tremor has long
// been known to pass for flutter, and for VT, on real ECGs. It is told apart by where it shows: the chest leads are measured
// against Wilson's central terminal, the mean of the three limb electrodes, so a limb electrode's movement enters
// all six of them identically (a third of it), while the heart's own waves, flutter waves included, differ from
// V1 to V6 in size and timing.
#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>

#include "analysis_internal.hpp"

namespace teledx::ecg::detail {
namespace {

constexpr Lead kChest[6] = {Lead::V1, Lead::V2, Lead::V3, Lead::V4, Lead::V5, Lead::V6};
/// The tremor band searched (Hz), and its step: 0.1 Hz is the resolution of 10 s.
constexpr double kLowestHz = 3.0, kHighestHz = 12.0, kStepHz = 0.1;

/// A Hann window of n points, scaled so that a sine of amplitude A under it comes out of tone() as A.
std::vector<double> hann_window(std::size_t n) {
  std::vector<double> w(n);
  double sum = 0;
  for (std::size_t k = 0; k < n; ++k) sum += w[k] = 0.5 - 0.5 * std::cos(2 * std::numbers::pi * double(k) / double(n - 1));
  for (auto& v : w) v *= 2 / sum;
  return w;
}

/// The `hz` component of a windowed series sampled at `rate` (Goertzel: one multiply-add per sample).
std::complex<double> tone(const std::vector<double>& xw, double rate, double hz) {
  const double w = 2 * std::numbers::pi * hz / rate, coeff = 2 * std::cos(w);
  double s1 = 0, s2 = 0;
  for (double v : xw) {
    const double s0 = v + coeff * s1 - s2;
    s2 = s1, s1 = s0;
  }
  // The component up to a phase that depends only on the frequency and the series' length: the same for every lead
  // compared at one frequency, so sizes and the coherence below come out right.
  return {s1 - std::cos(w) * s2, std::sin(w) * s2};
}

}  // namespace

std::optional<LimbTremor> limb_electrode_tremor(const Analysis& a, const LeadSet& cond) {
  const double fs = a.sample_rate_hz;
  if (a.median.leads.empty() || a.beats.size() < 2 || fs < 100) return std::nullopt;
  // The QRS-T-cancelled residual of each chest lead (as the flutter search takes it), averaged over blocks of 20 ms:
  // the band searched lies under 12 Hz (a 20-ms mean keeps 91% of 12 Hz), and a 30-min recording then costs what
  // 10 s at full rate would. The first and last second are left out (beats cut by the record's ends), and a long
  // recording (a 12-lead Holter) is judged on its first minute.
  const std::size_t step = std::max<std::size_t>(1, std::size_t(std::lround(fs / 50)));
  const double rate = fs / double(step);
  const std::size_t skip = std::size_t(fs);
  std::vector<std::vector<double>> res;
  std::vector<double> window;
  std::vector<float> r;
  for (Lead want : kChest) {
    const LeadSignal* l = cond.find(want);
    const LeadSignal* m = a.median.find(want);
    if (!l || !m || l->uv.size() < std::size_t(4 * fs)) return std::nullopt;
    r = qrs_t_cancelled(*l, *m, a, 0.08, 0.45, std::size_t(62 * fs));
    if (window.empty()) window = hann_window((r.size() - 2 * skip) / step);
    std::vector<double> d(window.size());
    for (std::size_t i = 0; i < d.size(); ++i) {
      double block = 0;
      for (std::size_t k = skip + i * step; k < skip + (i + 1) * step; ++k) block += r[k];
      d[i] = block / double(step) * window[i];
    }
    res.push_back(std::move(d));
  }
  const std::size_t n = res.front().size();
  std::vector<double> common(n, 0.0);
  for (const auto& r : res)
    for (std::size_t k = 0; k < n; ++k) common[k] += r[k] / 6;
  // The strongest oscillation of what the six leads share (their windowed mean is the window of their mean). Four
  // frequencies a pass: each Goertzel recursion waits on its previous step, four side by side cost about one.
  std::vector<double> hz;
  for (int i = 0; kLowestHz + i * kStepHz <= kHighestHz + 1e-9; ++i) hz.push_back(kLowestHz + i * kStepHz);
  std::vector<double> amp(hz.size());
  for (std::size_t i = 0; i < hz.size(); i += 4) {
    double c[4], s1[4], s2[4];
    for (int j = 0; j < 4; ++j) c[j] = 2 * std::cos(2 * std::numbers::pi * hz[std::min(i + j, hz.size() - 1)] / rate);
    // Named locals, so that the four states stay in registers (through arrays they went to memory every sample).
    double a1 = 0, a2 = 0, b1 = 0, b2 = 0, d1 = 0, d2 = 0, e1 = 0, e2 = 0;
    for (double v : common) {
      const double a0 = v + c[0] * a1 - a2, b0 = v + c[1] * b1 - b2, d0 = v + c[2] * d1 - d2, e0 = v + c[3] * e1 - e2;
      a2 = a1, a1 = a0, b2 = b1, b1 = b0, d2 = d1, d1 = d0, e2 = e1, e1 = e0;
    }
    s1[0] = a1, s1[1] = b1, s1[2] = d1, s1[3] = e1, s2[0] = a2, s2[1] = b2, s2[2] = d2, s2[3] = e2;
    for (std::size_t j = 0; j < 4 && i + j < hz.size(); ++j)
      amp[i + j] = std::sqrt(std::max(0.0, s1[j] * s1[j] + s2[j] * s2[j] - c[j] * s1[j] * s2[j]));
  }
  // The three strongest peaks of the shared spectrum are tried, strongest first: beats the median beat does not
  // cancel (frequent PVCs) can share a larger, but unequal, component elsewhere in the band.
  std::vector<std::size_t> peaks;
  for (std::size_t i = 0; i < amp.size(); ++i)
    if (amp[i] >= kTremorUv && (i == 0 || amp[i] >= amp[i - 1]) && (i + 1 == amp.size() || amp[i] > amp[i + 1]))
      peaks.push_back(i);
  std::sort(peaks.begin(), peaks.end(), [&](std::size_t x, std::size_t y) { return amp[x] > amp[y]; });
  if (peaks.size() > 3) peaks.resize(3);
  // How alike the six leads carry it: |mean of their components|^2 over the mean of their squared sizes is 1 for the
  // same oscillation in all six, about 1/6 for unrelated noise; and the weakest lead's size against the strongest's.
  // A heart's wave can be coherent without being equal: the T waves of V1-V6, alike in shape but not in size, which
  // a fast, irregular rhythm leaves uncancelled (coherence 0.87, sizes 1 : 5.3 in a synthetic AF at 190/min).
  for (std::size_t p : peaks) {
    std::complex<double> mean = 0;
    double power = 0, smallest = 1e300, largest = 0;
    for (const auto& r : res) {
      const auto z = tone(r, rate, hz[p]);
      mean += z / 6.0, power += std::norm(z) / 6;
      smallest = std::min(smallest, std::abs(z)), largest = std::max(largest, std::abs(z));
    }
    const double coherence = power > 0 ? std::norm(mean) / power : 0;
    if (coherence >= kTremorCoherence && smallest * kTremorSpread >= largest) return LimbTremor{hz[p], amp[p], coherence};
  }
  return std::nullopt;
}

}  // namespace teledx::ecg::detail
