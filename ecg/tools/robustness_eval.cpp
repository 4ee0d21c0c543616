// `teledx-ecg eval robustness`: LUDB's records changed in ways that should not change their reading. A clinic's
// cart adds a calibration pulse, the technician's hand pops an electrode as the recording starts or stops, an
// electrode comes off halfway, the recording starts a little later, the transfer breaks off for a few seconds. For
// each change: the records whose beats, rhythm statements or critical flags differ from the record as recorded
// (those named; a break takes its beats away, so their count changes on every record).
#include <algorithm>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "eval.hpp"
#include "teledx/ecg/evaluation.hpp"

namespace fs = std::filesystem;

namespace teledx::ecg::eval {
namespace {

struct Change {
  const char* name;
  std::function<void(Waveform&)> apply;
};

std::vector<Change> changes() {
  return {
      {"1 mV offset", [](Waveform& w) { for (auto& l : w.leads) for (auto& v : l.uv) v += 1000; }},
      {"0.2 s cut off the start", [](Waveform& w) { for (auto& l : w.leads) l.uv.erase(l.uv.begin(), l.uv.begin() + std::ptrdiff_t(0.2 * w.sample_rate_hz)); }},
      {"0.2 s cut off the end", [](Waveform& w) { for (auto& l : w.leads) l.uv.resize(l.uv.size() - std::size_t(0.2 * w.sample_rate_hz)); }},
      {"flat 0.5 s before", [](Waveform& w) { add_calibration_pulse(w, {.uv = 0}); }},
      {"calibration pulse before", [](Waveform& w) { add_calibration_pulse(w); }},
      {"right-arm pop at 0.3 s", [](Waveform& w) { add_limb_pop(w, LimbElectrode::RightArm, 0.3, 2000); }},
      {"right-arm pop at 9.7 s", [](Waveform& w) { add_limb_pop(w, LimbElectrode::RightArm, 9.7, 2000); }},
      {"V2 to the rail at 4 s", [](Waveform& w) {
         for (auto& l : w.leads)
           if (l.lead == Lead::V2) std::fill(l.uv.begin() + std::ptrdiff_t(4 * w.sample_rate_hz), l.uv.end(), 5000.f);
       }},
      {"no signal 4.0-7.5 s", [](Waveform& w) {
         for (auto& l : w.leads)
           std::fill(l.uv.begin() + std::ptrdiff_t(4 * w.sample_rate_hz), l.uv.begin() + std::ptrdiff_t(7.5 * w.sample_rate_hz), 0.f);
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
