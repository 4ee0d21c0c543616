// Reference wave boundaries from delineation annotations, shared by `teledx-ecg eval` and the accuracy tests.
#include <algorithm>
#include <cstdlib>

#include "teledx/ecg/evaluation.hpp"

namespace teledx::ecg {

std::vector<AnnotatedWave> annotated_waves(const std::vector<Annotation>& annotations) {
  constexpr int k_onset = 39, k_end = 40, k_p = 24, k_t = 27;
  std::vector<AnnotatedWave> out;
  std::int64_t open = -1;
  bool want_end = false;  // an end mark belongs to the wave just marked, and to no later one
  for (const auto& a : annotations) {
    if (a.code == k_onset) {
      open = a.sample, want_end = false;
      continue;
    }
    if (a.code == k_end) {
      if (want_end && !out.empty() && out.back().off < 0) out.back().off = a.sample;
      want_end = false;
      continue;
    }
    const char sym = a.code == k_p ? 'p' : a.code == k_t ? 't' : is_beat_annotation(a.code) ? 'N' : 0;
    if (!sym) continue;
    out.push_back({sym, open, a.sample, -1});
    open = -1, want_end = true;
  }
  return out;
}

std::vector<AnnotatedWave> global_waves(const std::vector<std::vector<AnnotatedWave>>& leads, std::size_t reference,
                                        std::int64_t tolerance) {
  if (reference >= leads.size()) return {};
  std::vector<AnnotatedWave> global = leads[reference];
  for (auto& g : global)
    for (const auto& lead : leads)
      for (const auto& x : lead)
        if (x.sym == g.sym && std::llabs(x.peak - g.peak) <= tolerance) {
          if (x.on >= 0 && (g.on < 0 || x.on < g.on)) g.on = x.on;
          g.off = std::max(g.off, x.off);
        }
  return global;
}

}  // namespace teledx::ecg
