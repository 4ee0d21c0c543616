// Electrode motion and poor contact: noise in the ECG's own band, which the 40 Hz noise measure misses, makes
// beats, pauses and "VT" out of nothing. The quality check names it (unsteady_tracing) so that the technician
// repeats the ECG and the reader knows why a flag may be false; clean ECGs, AF and paced rhythms are not named.
#include <catch2/catch.hpp>
#include <fstream>

#include "ecg_test_data.hpp"
#include "statement_checks.hpp"
#include "synthetic_ecg.hpp"
#include "teledx/ecg/analysis.hpp"
#include "teledx/ecg/evaluation.hpp"
#include "teledx/ecg/processing.hpp"

using namespace teledx::ecg;
using teledx::ecg::test::has;

namespace {

/// The waveform with electrode-motion noise on every lead at `snr_db` (against each lead's own QRS amplitude).
Waveform with_electrode_motion(Waveform w, double snr_db, std::uint32_t seed) {
  const auto beats = detect_qrs(w);
  for (std::size_t l = 0; l < w.leads.size(); ++l) {
    const auto noise = stress_noise(StressNoise::ElectrodeMotion, w.sample_count(), w.sample_rate_hz, seed + std::uint32_t(l));
    add_noise_at_snr(w.leads[l].uv, noise, qrs_peak_to_peak(w.leads[l].uv, w.sample_rate_hz, beats), snr_db);
  }
  return w;
}

}  // namespace

TEST_CASE("Electrode motion on a 12-lead ECG is named an unsteady tracing, the same ECG without it is not", "[ecg][noise]") {
  const Waveform clean = teledx::ecg::test::synth_ecg({});
  CHECK_FALSE(has(analyze(clean).quality, "unsteady_tracing"));
  for (std::uint32_t seed : {40u, 50u, 60u}) {
    INFO("seed " << seed);
    const auto a = analyze(with_electrode_motion(clean, 6, seed));
    REQUIRE(has(a.quality, "unsteady_tracing"));
    for (const auto& q : a.quality)
      if (q.code == "unsteady_tracing") {
        CHECK(q.severity == Severity::Warning);
        CHECK(q.text.find("median lead") != std::string::npos);
        CHECK(q.text.find("repeat the ECG") != std::string::npos);
        CHECK(q.text_zh.find("重新描记") != std::string::npos);
      }
    // At 18 dB the tracing is still readable: not named.
    CHECK_FALSE(has(analyze(with_electrode_motion(clean, 18, seed)).quality, "unsteady_tracing"));
  }
}

TEST_CASE("No LUDB development record, AF and paced ones included, is named an unsteady tracing", "[ecg][noise]") {
  ECG_REQUIRE_SHARED("ludb/data/96.hea");
  std::ifstream list(teledx::ecg::test::shared_data() / "ludb/RECORDS.dev");
  int scored = 0;
  for (std::string rec; list >> rec;) {
    auto w = read_ecg_file(teledx::ecg::test::shared_data() / "ludb/data" / (rec + ".hea"));
    if (!w) continue;
    INFO("LUDB " << rec);
    CHECK_FALSE(has(analyze(*w).quality, "unsteady_tracing"));
    ++scored;
  }
  CHECK(scored >= 51);
}

TEST_CASE("2-lead Holter windows under heavy electrode motion are named unsteady, in their steadier lead", "[ecg][noise]") {
  ECG_REQUIRE_SHARED("mitdb/100.atr");
  auto rec = teledx::ecg::test::read_annotated_record("mitdb", "100", "atr");
  Waveform& w = rec.waveform;
  for (auto& l : w.leads) l.uv.resize(std::size_t(10 * w.sample_rate_hz));
  CHECK_FALSE(has(analyze(w).quality, "unsteady_tracing"));
  // Twelve noise realisations (fixed seeds) at 0 and 6 dB: a floor on how many are named, as noise sometimes leaves
  // the steadier lead steady enough.
  int named_0db = 0, named_6db = 0;
  for (std::uint32_t seed = 1; seed <= 12; ++seed) {
    const auto a = analyze(with_electrode_motion(w, 0, seed));
    named_0db += has(a.quality, "unsteady_tracing");
    for (const auto& q : a.quality)
      if (q.code == "unsteady_tracing") CHECK(q.text.find("steadier lead") != std::string::npos);
    named_6db += has(analyze(with_electrode_motion(w, 6, seed)).quality, "unsteady_tracing");
  }
  CHECK(named_0db >= 11);
  CHECK(named_6db >= 8);
}
