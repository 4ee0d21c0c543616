// `teledx-ecg eval robustness`: LUDB's records changed in ways that should not change their reading. A clinic's
// cart adds a calibration pulse, the technician's hand pops an electrode as the recording starts or stops, an
// electrode comes off halfway, the recording starts a little later. For each change: the records whose beats,
// rhythm statements or critical flags differ from the record as recorded (those named).
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "eval.hpp"

namespace fs = std::filesystem;

namespace teledx::ecg::eval {
namespace {

struct Change {
  const char* name;
  std::function<void(Waveform&)> apply;
};

/// A step of `uv` at `t0_s` fading with a 1.5-s time constant, in each lead as the right-arm electrode's potential
/// enters it (I and II inverted in full, aVR in full, the other augmented leads half, the chest leads a third).
void right_arm_pop(Waveform& w, double t0_s, double uv) {
  for (auto& l : w.leads) {
    const double gain = l.lead == Lead::I || l.lead == Lead::II ? -1.0
                        : l.lead == Lead::III                   ? 0.0
                        : l.lead == Lead::aVR                   ? 1.0
                        : l.lead == Lead::aVL || l.lead == Lead::aVF ? -0.5
                                                                     : -1.0 / 3;
    const auto from = std::size_t(t0_s * w.sample_rate_hz);
    for (std::size_t k = from; k < l.uv.size(); ++k)
      l.uv[k] += float(gain * uv * std::exp(-double(k - from) / w.sample_rate_hz / 1.5));
  }
}

/// Half a second before the ECG at each lead's first level, with a 1-mV, 200-ms rectangle from 0.1 s in the leads a
/// cart records (I, II, V1-V6) and what it derives from them in III, aVR, aVL, aVF (0, -1, 1/2, 1/2); `uv` 0: flat.
void before_it(Waveform& w, double uv) {
  const double fs = w.sample_rate_hz;
  for (auto& l : w.leads) {
    const double gain = l.lead == Lead::III ? 0 : l.lead == Lead::aVR ? -1 : l.lead == Lead::aVL || l.lead == Lead::aVF ? 0.5 : 1;
    std::vector<float> part(std::size_t(0.5 * fs), l.uv.front());
    for (std::size_t k = std::size_t(0.1 * fs); k < std::size_t(0.3 * fs); ++k) part[k] += float(gain * uv);
    l.uv.insert(l.uv.begin(), part.begin(), part.end());
  }
}

std::vector<Change> changes() {
  return {
      {"1 mV offset", [](Waveform& w) { for (auto& l : w.leads) for (auto& v : l.uv) v += 1000; }},
      {"0.2 s cut off the start", [](Waveform& w) { for (auto& l : w.leads) l.uv.erase(l.uv.begin(), l.uv.begin() + std::ptrdiff_t(0.2 * w.sample_rate_hz)); }},
      {"0.2 s cut off the end", [](Waveform& w) { for (auto& l : w.leads) l.uv.resize(l.uv.size() - std::size_t(0.2 * w.sample_rate_hz)); }},
      {"flat 0.5 s before", [](Waveform& w) { before_it(w, 0); }},
      {"calibration pulse before", [](Waveform& w) { before_it(w, 1000); }},
      {"right-arm pop at 0.3 s", [](Waveform& w) { right_arm_pop(w, 0.3, 2000); }},
      {"right-arm pop at 9.7 s", [](Waveform& w) { right_arm_pop(w, 9.7, 2000); }},
      {"V2 to the rail at 4 s", [](Waveform& w) {
         for (auto& l : w.leads)
           if (l.lead == Lead::V2) std::fill(l.uv.begin() + std::ptrdiff_t(4 * w.sample_rate_hz), l.uv.end(), 5000.f);
       }},
  };
}

std::string codes_of(const std::vector<Statement>& v) {
  std::string out;
  for (const auto& s : v) out += s.code + " ";
  return out;
}

}  // namespace

int run_robustness(const fs::path& data) {
  const auto list = changes();
  struct Tally {
    int beats = 0, rhythm = 0, critical = 0;
    std::string which;
  };
  std::vector<Tally> tally(list.size());
  int n = 0;
  const int rc = for_each_ludb_ecg(data, "robustness", [&](const std::string& rec, const Waveform& w) {
    ++n;
    const Analysis as_recorded = analyze(w);
    for (std::size_t i = 0; i < list.size(); ++i) {
      Waveform changed = w;
      list[i].apply(changed);
      const Analysis a = analyze(changed);
      const bool beats = a.beats.size() != as_recorded.beats.size();
      const bool rhythm = codes_of(a.rhythm) != codes_of(as_recorded.rhythm);
      const bool critical = codes_of(a.critical) != codes_of(as_recorded.critical);
      tally[i].beats += beats, tally[i].rhythm += rhythm, tally[i].critical += critical;
      if (critical) tally[i].which += " " + rec + " (" + codes_of(as_recorded.critical) + "-> " + codes_of(a.critical) + ")";
    }
  });
  if (rc != 0) return rc;
  std::printf("Robustness, %d LUDB records: records whose beat count / rhythm statements / critical flags differ from\n"
              "the record as recorded (the critical ones named):\n", n);
  for (std::size_t i = 0; i < list.size(); ++i)
    std::printf("  %-26s %3d %3d %3d%s\n", list[i].name, tally[i].beats, tally[i].rhythm, tally[i].critical,
                tally[i].which.c_str());
  return 0;
}

}  // namespace teledx::ecg::eval
