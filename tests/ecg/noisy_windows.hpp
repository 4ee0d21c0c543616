#pragma once
// Test helpers for the noise tests on MIT-BIH: 10-s windows of a record, and a record with electrode-motion noise
// (`teledx-ecg eval noise`'s kind, with seeds of the tests' own) at a given SNR.
#include <cstdint>
#include <string>
#include <vector>

#include "ecg_test_data.hpp"
#include "teledx/ecg/evaluation.hpp"

namespace teledx::ecg::test {

/// Samples [from, from + n) of every lead of `w`.
inline Waveform window(const Waveform& w, std::size_t from, std::size_t n) {
  Waveform out;
  out.sample_rate_hz = w.sample_rate_hz;
  for (const auto& l : w.leads)
    out.leads.push_back({l.lead, {l.uv.begin() + std::ptrdiff_t(from), l.uv.begin() + std::ptrdiff_t(from + n)}, l.label});
  return out;
}

/// MIT-BIH record `rec` (read_annotated_record) with electrode-motion noise on every lead at `snr_db` against the
/// lead's QRS peak-to-peak amplitude at the reference beats.
inline Waveform with_electrode_motion(const AnnotatedRecord& r, int rec, double snr_db) {
  const Waveform& w = r.waveform;
  const double fs = w.sample_rate_hz;
  std::vector<std::int64_t> beats;
  for (const auto& a : r.annotations)
    if (is_beat_annotation(a.code)) beats.push_back(a.sample);
  Waveform noisy = w;
  for (std::size_t l = 0; l < noisy.leads.size(); ++l) {
    const auto noise = stress_noise(StressNoise::ElectrodeMotion, w.sample_count(), fs, std::uint32_t(rec * 10 + l));
    add_noise_at_snr(noisy.leads[l].uv, noise, qrs_peak_to_peak(w.leads[l].uv, fs, beats), snr_db);
  }
  return noisy;
}

}  // namespace teledx::ecg::test
