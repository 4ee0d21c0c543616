// `teledx-ecg eval beats`: beat typing and AF statements against MIT-BIH-style .atr labels (issue 6).
// The scoring is the one the figures were first measured with, kept as it was so the numbers stay comparable:
//  - reference classes from the .atr beat labels: V, and "N" = every supraventricular or paced beat
//    (N L R A a J S e j /); fusion (F), ventricular escape (E), unclassifiable (Q) and the rest are not scored;
//  - each of our beats takes the nearest reference beat within 150 ms (no one-to-one pairing: a double detection
//    of one beat scores twice, as it would show twice to the reader);
//  - beats within 200 ms of a window's edges are not scored: the window cuts them and the reference does not;
//  - V Se = V typed V / all V matched, V +P = V typed V / all typed V among matched beats.
// 10-s windows are what a resting ECG is; whole 30-min records show what typing does with all the context.
// Environment: ECG_BEATS_VERBOSE=1 lists each false-AF window (labels, types, RR series, statements);
// ECG_BEATS_CODES=1 prints every window's rhythm codes and critical flags ("CODES <start s> <code>...").
#include "eval.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <utility>

#include "teledx/ecg/analysis.hpp"
#include "teledx/ecg/readers.hpp"

namespace fs = std::filesystem;

namespace teledx::ecg::eval {
namespace {

/// Confusion counts: first letter the reference class, second what we typed (V, N, U = unknown).
struct Counts {
  long vv = 0, vn = 0, vu = 0, nv = 0, nn = 0, nu = 0;
  long windows = 0, false_af = 0;  // windows (or records) scored for rhythm; AF stated where the reference has none
  long af_windows = 0, af_found = 0;  // windows wholly inside a reference AF/flutter episode; AF or flutter stated there
  // Durations (s) as EC57 scores AF: reference AF/flutter time, the part of it in windows where we state AF or
  // flutter, and the time of those windows.
  double af_ref_s = 0, af_hit_s = 0, af_stated_s = 0;
  // Windows holding a premature supraventricular beat (A a J S) and those where we state one; both.
  long s_windows = 0, s_stated = 0, s_found = 0;
  void add(const Counts& o) {
    s_windows += o.s_windows, s_stated += o.s_stated, s_found += o.s_found;
    vv += o.vv, vn += o.vn, vu += o.vu, nv += o.nv, nn += o.nn, nu += o.nu;
    windows += o.windows, false_af += o.false_af, af_windows += o.af_windows, af_found += o.af_found;
    af_ref_s += o.af_ref_s, af_hit_s += o.af_hit_s, af_stated_s += o.af_stated_s;
  }
  double af_duration_se() const { return af_ref_s > 0 ? 100.0 * af_hit_s / af_ref_s : -1; }
  double af_duration_ppv() const { return af_stated_s > 0 ? 100.0 * af_hit_s / af_stated_s : -1; }
  double se() const { return vv + vn + vu ? 100.0 * double(vv) / double(vv + vn + vu) : -1; }
  double ppv() const { return vv + nv ? 100.0 * double(vv) / double(vv + nv) : -1; }
};

struct RefBeat {
  std::int64_t sample;
  char cls;  // 'V', 'N' or '?' (not scored)
  char sym;  // the .atr label's first character, for the verbose listing
};

/// Reference for one record: scored beat labels and the stretches the rhythm annotations call AF or flutter.
struct Reference {
  std::vector<RefBeat> beats;
  std::vector<std::pair<std::int64_t, std::int64_t>> af;  // [from, to) samples
  bool af_overlaps(std::int64_t lo, std::int64_t hi) const {
    for (const auto& [a, b] : af)
      if (a < hi && b > lo) return true;
    return false;
  }
  std::int64_t af_overlap(std::int64_t lo, std::int64_t hi) const {
    std::int64_t n = 0;
    for (const auto& [a, b] : af) n += std::max<std::int64_t>(0, std::min(b, hi) - std::max(a, lo));
    return n;
  }
  bool af_covers(std::int64_t lo, std::int64_t hi) const {
    for (const auto& [a, b] : af)
      if (a <= lo && b >= hi) return true;
    return false;
  }
};

char class_of(std::string_view s) {
  if (s == "V") return 'V';
  for (std::string_view n : {"N", "L", "R", "A", "a", "J", "S", "e", "j", "/"})
    if (s == n) return 'N';
  return '?';
}

Reference reference_of(const std::vector<Annotation>& ann, std::int64_t record_end) {
  Reference ref;
  std::int64_t af_from = -1;  // start of the AF stretch in effect, -1 outside one
  for (const auto& a : ann) {
    const auto sym = annotation_symbol(a.code);
    if (is_beat_annotation(a.code)) ref.beats.push_back({a.sample, class_of(sym), sym.empty() ? '?' : sym[0]});
    if (annotation_symbol(a.code) != "+") continue;  // rhythm change: aux "(AFIB", "(AFL", "(N", ...
    if (af_from >= 0) ref.af.emplace_back(af_from, a.sample);
    af_from = a.aux.rfind("(AFIB", 0) == 0 || a.aux.rfind("(AFL", 0) == 0 ? a.sample : -1;
  }
  if (af_from >= 0) ref.af.emplace_back(af_from, record_end);
  return ref;
}

/// Scores the beats of one analysed stretch [lo, hi) of the record; `off` maps their sample indices onto it.
void score(const std::vector<Beat>& beats, const std::vector<RefBeat>& ref, std::int64_t off, std::int64_t lo,
           std::int64_t hi, double fs, Counts& c) {
  const auto tol = std::int64_t(0.15 * fs), edge = std::int64_t(0.2 * fs);
  std::size_t j = 0;
  for (const auto& b : beats) {
    const std::int64_t t = b.r + off;
    if (t < lo + edge || t > hi - edge) continue;
    while (j < ref.size() && ref[j].sample < t - tol) ++j;
    std::size_t best = ref.size();
    for (std::size_t k = j; k < ref.size() && ref[k].sample <= t + tol; ++k)
      if (best == ref.size() || std::llabs(ref[k].sample - t) < std::llabs(ref[best].sample - t)) best = k;
    if (best == ref.size()) continue;
    const bool v = b.type == BeatType::Ventricular, n = b.type == BeatType::Normal;
    if (ref[best].cls == 'V') (v ? c.vv : n ? c.vn : c.vu)++;
    else if (ref[best].cls == 'N') (v ? c.nv : n ? c.nn : c.nu)++;
  }
}

bool states_af(const Analysis& a) {
  for (const auto& st : a.rhythm)
    if (st.code == "atrial_fibrillation") return true;
  return false;
}

/// Inside a reference AF or flutter episode either statement counts as found: the reader sees an atrial
/// tachyarrhythmia flagged, and MIT-BIH's own labels switch between the two within one episode.
bool states_af_or_flutter(const Analysis& a) {
  for (const auto& st : a.rhythm)
    if (st.code == "atrial_fibrillation" || st.code == "atrial_flutter") return true;
  return false;
}

/// ECG_BEATS_VERBOSE=1: a false-AF window's reference labels and our types (N V U), both RR series (a fiducial that
/// jumps between beats shows at once) and our rhythm statements.
void print_window(const Analysis& a, const Reference& ref, std::int64_t lo, std::int64_t hi) {
  std::string r, t;
  for (const auto& b : ref.beats)
    if (b.sample >= lo && b.sample < hi) r += b.sym;
  for (const auto& b : a.beats) t += b.type == BeatType::Ventricular ? 'V' : b.type == BeatType::Normal ? 'N' : 'U';
  std::printf("    false AF at %.0f s: ref %s\n                       ours %s\n", double(lo) / a.sample_rate_hz, r.c_str(),
              t.c_str());
  std::printf("      ref RR ms:");
  const RefBeat* prev = nullptr;
  for (const auto& b : ref.beats)
    if (b.sample >= lo && b.sample < hi) {
      if (prev) std::printf(" %.0f", double(b.sample - prev->sample) * 1000 / a.sample_rate_hz);
      prev = &b;
    }
  std::printf("\n      RR ms:");
  for (std::size_t i = 1; i < a.beats.size(); ++i)
    std::printf(" %.0f", double(a.beats[i].r - a.beats[i - 1].r) * 1000 / a.sample_rate_hz);
  std::printf("\n");
  for (const auto& st : a.rhythm) std::printf("      %s: %s\n", st.code.c_str(), st.text.c_str());
}

/// analyze() on every whole 10-s window of the record, each on its own as a resting ECG would be.
Counts score_windows(const Waveform& w, const Reference& ref) {
  Counts c;
  const auto seg = std::int64_t(10 * w.sample_rate_hz);
  const auto windows = ten_second_windows(w);
  for (std::size_t i = 0; i < windows.size(); ++i) {
    const auto a = analyze(windows[i]);
    const auto lo = std::int64_t(i) * seg, hi = lo + seg;
    score(a.beats, ref.beats, lo, lo, hi, w.sample_rate_hz, c);
    ++c.windows;
    const bool false_af = states_af(a) && !ref.af_overlaps(lo, hi);
    c.false_af += false_af;
    const bool stated = states_af_or_flutter(a);
    if (ref.af_covers(lo, hi)) ++c.af_windows, c.af_found += stated;
    const double overlap_s = double(ref.af_overlap(lo, hi)) / w.sample_rate_hz;
    c.af_ref_s += overlap_s;
    if (stated) c.af_hit_s += overlap_s, c.af_stated_s += double(hi - lo) / w.sample_rate_hz;
    if (false_af && std::getenv("ECG_BEATS_VERBOSE")) print_window(a, ref, lo, hi);
    const bool s_ref = std::any_of(ref.beats.begin(), ref.beats.end(), [&](const RefBeat& b) {
      return b.sample >= lo && b.sample < hi && (b.sym == 'A' || b.sym == 'a' || b.sym == 'J' || b.sym == 'S');
    });
    const bool s_said = std::any_of(a.rhythm.begin(), a.rhythm.end(),
                                    [](const Statement& st) { return st.code == "supraventricular_premature_beats"; });
    c.s_windows += s_ref, c.s_stated += s_said, c.s_found += s_ref && s_said;
    if (std::getenv("ECG_BEATS_CODES")) {  // every window's rhythm codes, to compare two builds' statements
      std::printf("CODES %.0f", double(lo) / w.sample_rate_hz);
      for (const auto* group : {&a.rhythm, &a.critical})
        for (const auto& st : *group) std::printf(" %s", st.code.c_str());
      std::printf("\n");
    }
  }
  return c;
}

Counts score_record(const Waveform& w, const Reference& ref) {
  Counts c;
  const auto a = analyze(w);
  const auto n = std::int64_t(w.sample_count());
  score(a.beats, ref.beats, 0, 0, n, w.sample_rate_hz, c);
  c.windows = 1;
  c.false_af = states_af(a) && !ref.af_overlaps(0, n);
  if (ref.af_covers(0, n)) c.af_windows = 1, c.af_found = states_af_or_flutter(a);
  return c;
}

/// A percentage, or "n/a" where there is nothing to divide by (a record without V beats, or none typed V).
std::string pct(double p) {
  if (p < 0) return "  n/a  ";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%5.1f %%", p);
  return buf;
}

void print(const char* name, const Counts& c, const char* unit) {
  std::printf("  %-6s V->V %4ld V->N %3ld V->U %2ld | N->V %3ld N->N %5ld N->U %3ld | V Se %s +P %s | "
              "false AF %ld/%ld %s | AF found %ld/%ld\n",
              name, c.vv, c.vn, c.vu, c.nv, c.nn, c.nu, pct(c.se()).c_str(), pct(c.ppv()).c_str(), c.false_af,
              c.windows, unit, c.af_found, c.af_windows);
}

}  // namespace

int run_beats(const fs::path& db, const std::vector<std::string>& records) {
  if (records.empty()) {
    std::cerr << db.string() << ": no records given and no RECORDS file listing them\n";
    return 2;
  }
  Counts win_total, rec_total;
  std::vector<std::pair<Counts, Counts>> rows;
  for (const auto& rec : records) {
    auto w = read_wfdb_file(db / (rec + ".hea"));
    if (!w) {
      std::cerr << rec << ": " << w.error().message << "\n";
      return 2;
    }
    auto bytes = read_file_bytes(db / (rec + ".atr"));
    if (!bytes) {
      std::cerr << rec << ": " << bytes.error().message << "\n";
      return 2;
    }
    auto ann = read_wfdb_annotations(*bytes);
    if (!ann) {
      std::cerr << rec << ": " << ann.error().message << "\n";
      return 2;
    }
    const auto ref = reference_of(*ann, std::int64_t(w->sample_count()));
    rows.emplace_back(score_windows(*w, ref), score_record(*w, ref));
    win_total.add(rows.back().first);
    rec_total.add(rows.back().second);
  }
  std::printf("Beat typing, 10-s windows (reference .atr: V, N = supraventricular or paced; 150 ms match):\n");
  for (std::size_t i = 0; i < rows.size(); ++i) print(records[i].c_str(), rows[i].first, "windows");
  print("total", win_total, "windows");
  std::printf("Beat typing, whole records:\n");
  for (std::size_t i = 0; i < rows.size(); ++i) print(records[i].c_str(), rows[i].second, "records");
  print("total", rec_total, "records");
  std::printf("summary: 10-s windows V Se %.1f %%, +P %.1f %%, N typed V %ld, false AF %ld, AF found in %ld of %ld "
              "AF/flutter windows; whole records V Se %.1f %%, +P %.1f %%, N typed V %ld, false AF %ld\n",
              win_total.se(), win_total.ppv(), win_total.nv, win_total.false_af, win_total.af_found,
              win_total.af_windows, rec_total.se(), rec_total.ppv(), rec_total.nv, rec_total.false_af);
  std::printf("AF/flutter duration by 10-s windows: reference %.0f s, stated %.0f s, both %.0f s; duration Se %s, +P %s\n",
              win_total.af_ref_s, win_total.af_stated_s, win_total.af_hit_s, pct(win_total.af_duration_se()).c_str(),
              pct(win_total.af_duration_ppv()).c_str());
  // Supraventricular premature beats by 10-s window: a window holds one in the reference (A a J S) and we state them.
  std::printf("supraventricular premature beats by 10-s windows:");
  for (std::size_t i = 0; i < rows.size(); ++i)
    if (rows[i].first.s_windows || rows[i].first.s_stated)
      std::printf(" %s %ld/%ld (stated %ld)", records[i].c_str(), rows[i].first.s_found, rows[i].first.s_windows,
                  rows[i].first.s_stated);
  std::printf("\n  total: found in %ld of %ld windows with one, stated in %ld windows without one (of %ld)\n",
              win_total.s_found, win_total.s_windows, win_total.s_stated - win_total.s_found,
              win_total.windows - win_total.s_windows);
  return 0;
}

}  // namespace teledx::ecg::eval
