// `teledx-ecg eval noise`: the detector and the whole analysis under noise. A township clinic's ECG is often
// recorded on a restless or cold patient with poor electrode contact; what must hold then is that beats are still
// found, that the technician is told the recording is noisy, and above all that noise does not raise a critical flag
// (which puts the exam at the top of the ECG center's queue as stat) without saying so.
//
// Noise of the MIT-BIH Noise Stress Test Database's three kinds (synthesised: stress_noise()) is added to both leads
// of each record from its first sample, at SNRs from 24 to -6 dB, each lead's signal power taken from its own QRS
// peak-to-peak amplitude. Scored per condition: QRS detection per EC57 over the whole record (from 300 s), and
// analyze() on every 10-s window against the same window without noise.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <set>
#include <string>

#include "eval.hpp"
#include "teledx/ecg/analysis.hpp"
#include "teledx/ecg/evaluation.hpp"
#include "teledx/ecg/processing.hpp"
#include "teledx/ecg/readers.hpp"

namespace fs = std::filesystem;

namespace teledx::ecg::eval {

bool warns_of_signal(const Analysis& a) {
  for (const auto& q : a.quality)
    if (q.code == "noise" || q.code == "noise_burst" || q.code == "unsteady_tracing" || q.code == "limb_tremor" ||
        q.code == "baseline_wander" || q.code == "repeat_recording" || q.code == "lead_off" ||
        q.code == "busy_pause" || q.code == "indistinct_qrs" || q.code == "signal_gap")
      return true;
  return false;
}

std::set<std::string> critical_codes(const Analysis& a) {
  std::set<std::string> codes;
  for (const auto& c : a.critical) codes.insert(c.code);
  return codes;
}

namespace {

struct Condition {
  std::string label;
  std::vector<Ec57Tally> qrs;
  long windows = 0, warned = 0, new_critical = 0, silent_critical = 0;
  std::map<std::string, long> new_codes;
};

std::string label_of(StressNoise kind, double snr) {
  char label[32];
  std::snprintf(label, sizeof label, "%s %+3.0f dB", stress_noise_name(kind), snr);
  return label;
}

/// A record's reference beats and the span EC57 scores: MIT-BIH's .atr from 300 s (a shorter record whole), or for
/// a 12-lead LUDB record the QRS complexes marked in lead II, from 200 ms before the first mark to 200 ms after the
/// last (LUDB leaves the beats cut by its first and last second unmarked).
struct RecordReference {
  std::vector<Annotation> annotations;  // as EC57 reads them (beats, and for MIT-BIH its VF episodes' marks)
  std::vector<std::int64_t> beats;      // the beats' samples
  Ec57Options span;
};
Result<RecordReference> reference_of(const fs::path& db, const std::string& rec, double fs, std::int64_t samples) {
  const bool atr = fs::exists(db / (rec + ".atr"));
  auto bytes = read_file_bytes(db / (rec + (atr ? ".atr" : ".ii")));
  if (!bytes) return bytes.error();
  auto marks = read_wfdb_annotations(*bytes);
  if (!marks) return marks.error();
  RecordReference r;
  r.span.end_sample = samples;
  if (double(samples) < 600 * fs) r.span.start_s = 0;
  if (atr) {
    r.annotations = std::move(*marks);
    for (const auto& a : r.annotations)
      if (is_beat_annotation(a.code)) r.beats.push_back(a.sample);
    return r;
  }
  for (const auto& wave : annotated_waves(*marks))
    if (wave.sym == 'N') r.annotations.push_back({wave.peak, 1, 0, 0, 0, {}}), r.beats.push_back(wave.peak);
  if (!r.beats.empty()) {
    r.span.start_s = std::max(0.0, double(r.beats.front()) / fs - 0.2);
    r.span.end_sample = std::min(samples, r.beats.back() + std::int64_t(0.2 * fs));
  }
  return r;
}

void print_row(const char* label, const Condition& c) {
  const auto s = summarize_ec57(c.qrs);
  auto pct = [](std::optional<double> v) { return v ? *v : 0.0; };
  std::printf("%-12s %7.3f %7.3f %6ld %6ld   %5.1f %%  %5ld  %5ld  ", label, pct(s.gross_se), pct(s.gross_ppv), s.fn,
              s.fp, c.windows ? 100.0 * double(c.warned) / double(c.windows) : 0.0, c.new_critical, c.silent_critical);
  for (const auto& [code, n] : c.new_codes) std::printf(" %s:%ld", code.c_str(), n);
  std::printf("\n");
}

}  // namespace

int run_noise(const fs::path& db, const std::vector<std::string>& records) {
  std::vector<std::string> scored;
  for (const auto& r : records)
    if (fs::exists(db / (r + ".atr")) || fs::exists(db / (r + ".ii"))) scored.push_back(r);
  if (scored.empty()) {
    std::fprintf(stderr, "%s: no record with reference beat annotations (.atr, or LUDB's lead II marks .ii) to score\n",
                 db.c_str());
    return 2;
  }
  const StressNoise kinds[] = {StressNoise::BaselineWander, StressNoise::Muscle, StressNoise::ElectrodeMotion};
  const double snrs[] = {24, 18, 12, 6, 0, -6};
  Condition clean;
  std::map<std::pair<int, double>, Condition> rows;
  const double t0 = cpu_ms();
  for (const auto& rec : scored) {
    auto w = read_wfdb_file(db / (rec + ".hea"));
    auto ref = reference_of(db, rec, w ? w->sample_rate_hz : 0, w ? std::int64_t(w->sample_count()) : 0);
    if (!w || !ref) {
      std::fprintf(stderr, "%s: %s\n", rec.c_str(), (!w ? w.error() : ref.error()).message.c_str());
      return 2;
    }
    const double fs = w->sample_rate_hz;
    const Ec57Options& eo = ref->span;
    const std::vector<std::int64_t>& beats = ref->beats;
    std::vector<Measurements> clean_m;
    auto score = [&](const Waveform& x, Condition& c, const std::vector<std::set<std::string>>* base,
                     std::vector<std::set<std::string>>* keep) {
      LeadSet s = x;
      condition_signals(s);
      std::vector<Annotation> test;
      for (auto t : detect_qrs(s)) test.push_back({t, 1, 0, 0, 0, {}});
      c.qrs.push_back(score_ec57(ref->annotations, test, fs, eo));
      const auto wins = ten_second_windows(x);
      for (std::size_t i = 0; i < wins.size(); ++i) {
        const auto a = analyze(wins[i]);
        const auto codes = critical_codes(a);
        ++c.windows;
        const bool warned = warns_of_signal(a);
        c.warned += warned;
        if (keep) keep->push_back(codes), clean_m.push_back(a.measurements);
        if (!base) continue;
        bool added = false;
        for (const auto& code : codes)
          if (!(*base)[i].count(code)) {
            ++c.new_codes[code], added = true;
            // NOISE_VERBOSE=1: each new critical flag with the window's HR, QRS and QTc with and without noise.
            if (std::getenv("NOISE_VERBOSE"))
              std::printf("NEW %s %s window at %zu s: %s  HR %.0f/%.0f QRS %.0f/%.0f QT %.0f/%.0f QTc %.0f/%.0f%s\n",
                          rec.c_str(), c.label.c_str(), i * 10, code.c_str(), clean_m[i].heart_rate.value_or(-1),
                          a.measurements.heart_rate.value_or(-1), clean_m[i].qrs.value_or(-1), a.measurements.qrs.value_or(-1),
                          clean_m[i].qt.value_or(-1), a.measurements.qt.value_or(-1),
                          clean_m[i].qtc_bazett.value_or(-1), a.measurements.qtc_bazett.value_or(-1), warned ? " (warned)" : "");
          }
        c.new_critical += added;
        c.silent_critical += added && !warned;
      }
    };
    std::vector<std::set<std::string>> clean_codes;
    score(*w, clean, nullptr, &clean_codes);
    for (std::size_t ki = 0; ki < std::size(kinds); ++ki) {
      // One noise realisation per record, kind and lead, scaled to each SNR (as the NSTDB's records are made).
      std::vector<std::vector<float>> noise;
      std::vector<double> pp;
      for (std::size_t l = 0; l < w->leads.size(); ++l) {
        const auto seed = std::uint32_t(std::hash<std::string>{}(rec) * 31 + ki * 7 + l);
        noise.push_back(stress_noise(kinds[ki], w->sample_count(), fs, seed));
        pp.push_back(qrs_peak_to_peak(w->leads[l].uv, fs, beats));
      }
      for (double snr : snrs) {
        Waveform x = *w;
        for (std::size_t l = 0; l < x.leads.size(); ++l) add_noise_at_snr(x.leads[l].uv, noise[l], pp[l], snr);
        Condition& c = rows[{int(ki), snr}];
        c.label = label_of(kinds[ki], snr);
        score(x, c, &clean_codes, nullptr);
      }
    }
  }
  std::printf("Noise stress, %zu records (synthetic noise of the MIT-BIH Noise Stress Test's kinds, added to every lead\n"
              "from the first sample; SNR from each lead's QRS peak-to-peak amplitude, pp^2/8 over the noise variance):\n"
              "  QRS: EC57, from 300 s (10-s records within their marked beats). 10-s windows: analyze() on each on its\n"
              "  own; warned = a quality statement says noise, an unsteady tracing, baseline wander, a lead off or repeat;\n"
              "  new critical = a critical flag the same window without noise does not raise; silent = of those, raised\n"
              "  with no warning.\n",
              scored.size());
  std::printf("%-12s %7s %7s %6s %6s   %7s  %5s  %5s   codes of new critical flags\n", "noise", "Se %", "+P %", "FN",
              "FP", "warned", "new", "silent");
  print_row("clean", clean);
  for (std::size_t ki = 0; ki < std::size(kinds); ++ki)
    for (double snr : snrs) print_row(label_of(kinds[ki], snr).c_str(), rows[{int(ki), snr}]);
  std::printf("CPU %.1f s\n", (cpu_ms() - t0) / 1000);
  return 0;
}

}  // namespace teledx::ecg::eval
