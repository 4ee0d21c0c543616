// Issue 6: rhythms that are not atrial fibrillation but were called so. On MIT-BIH 102 (paced) the detector's
// fiducial flipped between the two lobes of the wide paced QRS, so a steady paced rhythm looked irregular (32
// of 180 10-s windows called AF); on 106 premature beats close to the sinus shape and without a P wave
// counted as sinus beats without one; on 105 and 108 a single pause or misplaced beat made the whole ECG
// "irregular".
#include <catch2/catch.hpp>
#include <cmath>
#include <numbers>
#include <random>
#include <string>

#include "ecg_test_data.hpp"
#include "statement_checks.hpp"
#include "synthetic_ecg.hpp"
#include "teledx/ecg/analysis.hpp"
#include "teledx/ecg/readers.hpp"

using namespace teledx::ecg;
using teledx::ecg::test::hann;
using teledx::ecg::test::has;
using teledx::ecg::test::Synth;
using teledx::ecg::test::synth_ecg;

namespace {

/// Ventricular paced beats every `rr` s with no stimulus artefact left (the recorder's band limit removes it,
/// as at MIT-BIH's 360 Hz): a wide QRS of two lobes of opposite sign and about equal size, each beat's lobes
/// differing at random by up to 15 % (`second` scales the second lobe), so the largest deflection is now the
/// first lobe, now the second.
Waveform paced(double fs, std::size_t leads, double rr, double second) {
  Waveform w;
  w.sample_rate_hz = fs;
  w.source_format = "synthetic";
  const std::size_t n = std::size_t(10 * fs);
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> size(0.85, 1.15);
  std::normal_distribution<double> noise(0, 8);
  std::vector<double> q, up, down;
  for (double t = 0.4; t < 9.5; t += rr)
    q.push_back(t), up.push_back(size(rng)), down.push_back(size(rng) * second);
  static const Lead names[] = {Lead::I,  Lead::II, Lead::III, Lead::aVR, Lead::aVL, Lead::aVF,
                               Lead::V1, Lead::V2, Lead::V3,  Lead::V4,  Lead::V5,  Lead::V6};
  for (std::size_t l = 0; l < leads; ++l) {
    const double gain = leads == 2 ? (l ? -0.6 : 1.0) : std::cos(0.5 * double(l) + 0.3);  // lead projection
    LeadSignal s{leads == 2 ? (l ? Lead::V1 : Lead::MLII) : names[l], std::vector<float>(n), ""};
    for (std::size_t k = 0; k < n; ++k) {
      const double t = double(k) / fs;
      double v = noise(rng);
      for (std::size_t i = 0; i < q.size(); ++i) {
        if (t < q[i] || t > q[i] + 0.5) continue;
        v += gain *
             (1000 * up[i] * hann(t, q[i], q[i] + 0.08) - 1000 * down[i] * hann(t, q[i] + 0.07, q[i] + 0.15) -
              300 * hann(t, q[i] + 0.22, q[i] + 0.48));
      }
      s.uv[k] = float(v);
    }
    w.leads.push_back(std::move(s));
  }
  return w;
}

std::string types_and_codes(const Analysis& a) {
  std::string s;
  for (const auto& b : a.beats)
    s += b.type == BeatType::Normal ? 'N' : b.type == BeatType::Ventricular ? 'V' : 'U';
  s += " |";
  for (const auto& st : a.rhythm) s += " " + st.code;
  return s;
}

}  // namespace

TEST_CASE("Paced beats whose largest deflection alternates between lobes keep one fiducial and are not AF",
          "[ecg][af_mimics]") {
  for (double fs : {360.0, 500.0})
    for (std::size_t leads : {std::size_t(2), std::size_t(12)})
      for (double second : {0.9, 1.0, 1.1}) {
        const double rr = 0.83;
        const auto a = analyze(paced(fs, leads, rr, second));
        INFO(fs << " Hz, " << leads << " leads, second lobe x" << second << ": " << types_and_codes(a));
        REQUIRE(a.beats.size() >= 10);
        CHECK_FALSE(has(a.rhythm, "atrial_fibrillation"));
        CHECK_FALSE(has(a.rhythm, "atrial_flutter"));
        // Every interval is the pacing interval: the fiducial sits on the same point of every beat (a lobe is
        // 70-80 ms away from the other, so a flip shows as an interval 70 ms off).
        for (std::size_t i = 1; i < a.beats.size(); ++i)
          CHECK(double(a.beats[i].r - a.beats[i - 1].r) / fs == Approx(rr).margin(0.012));
        for (const auto& b : a.beats) CHECK(b.type == BeatType::Normal);
      }
}

TEST_CASE("Sinus rhythm with premature P-less beats of the sinus shape is not AF", "[ecg][af_mimics]") {
  // Every third beat comes 0.6 s after a sinus beat, narrow and like the others but without a P wave (a
  // junctional or ventricular premature beat close to the dominant shape, as in MIT-BIH 106), then a
  // compensatory pause.
  Synth o;
  for (double t = 0.5; t < 9.3; t += 2.0) {
    o.r_times.push_back(t), o.p_times.push_back(t - 0.16);
    o.r_times.push_back(t + 1.0), o.p_times.push_back(t + 1.0 - 0.16);
    if (t + 1.6 < 9.3) o.r_times.push_back(t + 1.6);
  }
  const auto a = analyze(synth_ecg(o));
  INFO(types_and_codes(a));
  CHECK_FALSE(has(a.rhythm, "atrial_fibrillation"));
  CHECK(has(a.rhythm, "sinus_rhythm"));
}

TEST_CASE(
    "A regular rhythm without visible P waves and one dropped beat is not AF, a fibrillating one still is",
    "[ecg][af_mimics]") {
  // 75/min with sinus-arrhythmia-like jitter of up to 20 ms and no P wave (too small to see, or junctional),
  // one interval of 1.6 s: the only large successive differences are the two around the pause.
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> jitter(-0.02, 0.02);
  Synth o;
  o.p_waves = false;
  for (double t = 0.5; t < 9.3; t += 0.8) {
    if (std::abs(t - 4.5) < 0.01) continue;  // the dropped beat
    o.r_times.push_back(t + jitter(rng));
  }
  const auto a = analyze(synth_ecg(o));
  INFO(types_and_codes(a));
  CHECK_FALSE(has(a.rhythm, "atrial_fibrillation"));

  // The same P-less ECG with intervals at random between 0.5 and 1.1 s and fibrillation waves is AF.
  std::uniform_real_distribution<double> interval(0.5, 1.1);
  Synth f;
  f.p_waves = false;
  f.fibrillation_uv = 40;
  for (double t = 0.5; t < 9.3; t += interval(rng)) f.r_times.push_back(t);
  const auto af = analyze(synth_ecg(f));
  INFO(types_and_codes(af));
  CHECK(has(af.rhythm, "atrial_fibrillation"));
}

TEST_CASE(
    "MIT-BIH development records in 10-s windows: AF is stated in at most 5 of 1,800, never on paced 102",
    "[ecg][af_mimics]") {
  // None of records 100-109 has AF or flutter anywhere (their .atr rhythm labels), so every AF statement is
  // false. Before the fiducial alignment and the ectopy-aware rhythm rules: 51 (102: 32, 106: 8, 104: 7);
  // now 3.
  ECG_REQUIRE_SHARED("mitdb/109.dat");
  int false_af = 0, false_af_102 = 0;
  for (const char* rec : {"100", "101", "102", "103", "104", "105", "106", "107", "108", "109"}) {
    auto w = read_ecg_file(teledx::ecg::test::shared_data() / "mitdb" / (std::string(rec) + ".hea"));
    REQUIRE(w);
    const auto seg = std::size_t(10 * w->sample_rate_hz);
    for (std::size_t s0 = 0; s0 + seg <= w->sample_count(); s0 += seg) {
      Waveform x;
      x.sample_rate_hz = w->sample_rate_hz;
      for (const auto& l : w->leads)
        x.leads.push_back(
            {l.lead,
             std::vector<float>(l.uv.begin() + std::ptrdiff_t(s0), l.uv.begin() + std::ptrdiff_t(s0 + seg)),
             l.label});
      const bool af = has(analyze(x).rhythm, "atrial_fibrillation");
      false_af += af;
      if (std::string(rec) == "102") false_af_102 += af;
    }
  }
  CHECK(false_af <= 5);
  CHECK(false_af_102 == 0);
}
