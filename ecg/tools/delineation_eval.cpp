// `teledx-ecg eval delineation` and `eval rhythm`: wave boundaries against QTDB (annotator 1, q1c) and LUDB (every
// lead annotated on its own), rhythm statements against LUDB's diagnoses. Environment: DELINEATION_DUMP=1 prints
// every scored global boundary, QTDB_VERBOSE=1 the QTDB figures per record, LUDB_VERBOSE=1 LUDB's intervals per
// record, LUDB_SPLIT=odd|even scores alternate LUDB records only (the overfitting check of docs/ecg.md).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "eval.hpp"
#include "teledx/ecg/analysis.hpp"
#include "teledx/ecg/evaluation.hpp"
#include "teledx/ecg/processing.hpp"
#include "teledx/ecg/readers.hpp"

namespace fs = std::filesystem;

namespace teledx::ecg::eval {
namespace {

using Wave = AnnotatedWave;

/// A record's wave marks in one annotation file; none when it is missing or unreadable (that lead is not scored).
std::vector<Wave> waves_of(const fs::path& file) {
  auto bytes = read_file_bytes(file);
  if (!bytes) return {};
  auto ann = read_wfdb_annotations(*bytes);
  return ann ? annotated_waves(*ann) : std::vector<Wave>{};
}

/// True when most of a record's reference beats (.atr) are paced ('/'): QTDB's sel102 and sel104 (MIT-BIH 102 and
/// 104). A record without beat labels is taken as unpaced.
bool mostly_paced(const fs::path& atr) {
  auto bytes = read_file_bytes(atr);
  if (!bytes) return false;
  auto ann = read_wfdb_annotations(*bytes);
  if (!ann) return false;
  int beats = 0, paced = 0;
  for (const auto& a : *ann)
    if (is_beat_annotation(a.code)) ++beats, paced += annotation_symbol(a.code) == "/";
  return beats > 0 && 2 * paced > beats;
}

/// Record being scored, for the per-beat dump (DELINEATION_DUMP=1 prints "record point ref_sample error_ms" for the
/// global boundaries; empty while the per-lead comparison runs, which is not dumped).
std::string g_record;

struct Stat {
  explicit Stat(const char* point) : name(point) {}
  const char* name;
  std::vector<double> err;
  int missed = 0;
  void add(std::optional<std::int64_t> ours, std::int64_t ref, double fs) {
    if (ref < 0) return;
    if (!ours) { ++missed; return; }
    err.push_back((double(*ours) - double(ref)) * 1000.0 / fs);
    if (!g_record.empty() && std::getenv("DELINEATION_DUMP"))
      std::printf("dump %s %s %lld %.0f\n", g_record.c_str(), name, (long long)ref, err.back());
  }
  void print(const char* name, double tol) const {
    double m = 0, sd = 0;
    for (double e : err) m += e;
    if (!err.empty()) m /= double(err.size());
    for (double e : err) sd += (e - m) * (e - m);
    if (err.size() > 1) sd = std::sqrt(sd / double(err.size() - 1));
    std::vector<double> a;
    for (double e : err) a.push_back(std::abs(e));
    std::sort(a.begin(), a.end());
    const double med = a.empty() ? 0 : a[a.size() / 2], p90 = a.empty() ? 0 : a[a.size() * 9 / 10];
    std::printf("  %-8s n=%5zu missed=%4d  error mean %6.1f ms  SD %6.1f ms  |err| median %5.1f p90 %6.1f  (2sCSE tolerance %.1f ms)\n",
                name, err.size(), missed, m, sd, med, p90, tol);
  }
};

struct Stats {
  Stat p_on{"p_on"}, p_off{"p_off"}, qrs_on{"qrs_on"}, qrs_off{"qrs_off"}, t_off{"t_off"};
  void print() const {
    p_on.print("P on", 10.2);
    p_off.print("P off", 12.7);
    qrs_on.print("QRS on", 6.5);
    qrs_off.print("QRS off", 11.6);
    t_off.print("T end", 30.6);
  }
  /// Adds another record's errors and misses to these.
  void append(const Stats& other) {
    for (Stat Stats::*p : {&Stats::p_on, &Stats::p_off, &Stats::qrs_on, &Stats::qrs_off, &Stats::t_off}) {
      (this->*p).err.insert((this->*p).err.end(), (other.*p).err.begin(), (other.*p).err.end());
      (this->*p).missed += (other.*p).missed;
    }
  }
};

std::optional<std::size_t> nearest(const std::vector<std::int64_t>& r, std::int64_t t, std::int64_t tol) {
  auto it = std::lower_bound(r.begin(), r.end(), t);
  std::optional<std::size_t> best;
  for (auto c : {it, it == r.begin() ? it : it - 1})
    if (c != r.end() && std::llabs(*c - t) <= tol && (!best || std::llabs(*c - t) < std::llabs(r[*best] - t)))
      best = std::size_t(c - r.begin());
  return best;
}

/// Adds our boundaries `b` of the QRS ref[i] against it and against the P before / T after it that belong to the same
/// beat. B is Fiducials (global) or LeadBoundaries (one lead): the same member names.
template <class B>
void add_beat(const B& b, const std::vector<Wave>& ref, std::size_t i, double fs, Stats& st) {
  st.qrs_on.add(b.qrs_on, ref[i].on, fs);
  st.qrs_off.add(b.qrs_off, ref[i].off, fs);
  if (i > 0 && ref[i - 1].sym == 'p' && ref[i].peak - ref[i - 1].peak < std::int64_t(0.4 * fs)) {
    st.p_on.add(b.p_on, ref[i - 1].on, fs);
    st.p_off.add(b.p_off, ref[i - 1].off, fs);
  }
  if (i + 1 < ref.size() && ref[i + 1].sym == 't' && ref[i + 1].peak - ref[i].peak < std::int64_t(0.7 * fs))
    st.t_off.add(b.t_off, ref[i + 1].off, fs);
}

/// The lead whose own boundary lies closest to each of the annotator's marks of beat ref[i]: QTDB as Martínez et
/// al. (2004) scored it. It flatters any delineator, and is printed only to compare with figures measured so.
LeadBoundaries best_lead(const Fiducials& f, const std::vector<Wave>& ref, std::size_t i) {
  const std::int64_t p_on = i > 0 ? ref[i - 1].on : -1, p_off = i > 0 ? ref[i - 1].off : -1;
  const std::int64_t t_off = i + 1 < ref.size() ? ref[i + 1].off : -1;
  LeadBoundaries best;
  auto closest = [&](std::optional<std::int64_t> LeadBoundaries::*m, std::int64_t mark) {
    for (const auto& lead : f.per_lead)
      if ((lead.*m) && (!(best.*m) || std::llabs(*(lead.*m) - mark) < std::llabs(*(best.*m) - mark))) best.*m = lead.*m;
  };
  closest(&LeadBoundaries::p_on, p_on), closest(&LeadBoundaries::p_off, p_off);
  closest(&LeadBoundaries::qrs_on, ref[i].on), closest(&LeadBoundaries::qrs_off, ref[i].off);
  closest(&LeadBoundaries::t_off, t_off);
  return best;
}

/// Scores one record: `ref` holds global reference waves grouped per beat (p, N, t around one QRS). With
/// `best_of_leads`, each beat is also scored by its best lead (best_lead) there.
void score(const LeadSet& conditioned, const std::vector<std::int64_t>& r, const std::vector<Wave>& ref, Stats& st,
           Stats* best_of_leads = nullptr) {
  const double fs = conditioned.sample_rate_hz;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    if (ref[i].sym != 'N') continue;
    auto k = nearest(r, ref[i].peak, std::int64_t(0.1 * fs));
    if (!k) continue;
    auto f = delineate_beat(conditioned, r[*k], *k ? std::optional(r[*k - 1]) : std::nullopt,
                            *k + 1 < r.size() ? std::optional(r[*k + 1]) : std::nullopt);
    add_beat(f, ref, i, fs, st);
    if (best_of_leads) {
      const std::string record = std::exchange(g_record, {});  // the dump lists global boundaries only
      add_beat(best_lead(f, ref, i), ref, i, fs, *best_of_leads);
      g_record = record;
    }
  }
}

/// LUDB's own convention: every lead's boundaries against that lead's marks. A wave the lead's annotator marked but
/// our delineator did not bound in that lead (too small there to delineate alone) counts as missed.
void score_per_lead(const LeadSet& conditioned, const std::vector<std::int64_t>& r,
                    const std::vector<std::vector<Wave>>& per, const std::vector<std::string>& names, Stats& st) {
  const double fs = conditioned.sample_rate_hz;
  std::map<std::size_t, Fiducials> done;  // delineation of each detected beat, once
  auto fid = [&](std::size_t k) -> const Fiducials& {
    auto it = done.find(k);
    if (it == done.end())
      it = done.emplace(k, delineate_beat(conditioned, r[k], k ? std::optional(r[k - 1]) : std::nullopt,
                                          k + 1 < r.size() ? std::optional(r[k + 1]) : std::nullopt)).first;
    return it->second;
  };
  for (std::size_t li = 0; li < per.size(); ++li) {
    std::size_t lead = conditioned.leads.size();
    for (std::size_t j = 0; j < conditioned.leads.size(); ++j) {
      std::string label = conditioned.leads[j].label;
      for (auto& c : label) c = char(std::tolower(static_cast<unsigned char>(c)));
      if (label == names[li]) lead = j;
    }
    if (lead == conditioned.leads.size()) continue;
    const auto& ref = per[li];
    for (std::size_t i = 0; i < ref.size(); ++i) {
      if (ref[i].sym != 'N') continue;
      auto k = nearest(r, ref[i].peak, std::int64_t(0.1 * fs));
      if (!k) continue;
      const auto& f = fid(*k);
      const LeadBoundaries b = lead < f.per_lead.size() ? f.per_lead[lead] : LeadBoundaries{};
      add_beat(b, ref, i, fs, st);
    }
  }
}

/// How steady the reference itself is. Within a record of steady sinus rhythm a boundary keeps its distance to the
/// annotated R peak within a few ms from beat to beat (PR, QRS and QT hardly change at a steady rate), so the scatter
/// of that distance about the record's mean is mostly the annotators' own. A delineator's error SD cannot fall below
/// it unless the delineator errs with the annotator.
struct ReferenceJitter {
  std::vector<double> dev[5];  // P on, P off, QRS on, QRS off, T end: (mark - R mark) less the record's mean, ms
  int records = 0;
  void add_record(const std::vector<Wave>& ref, double fs) {
    std::vector<double> off[5];
    auto put = [&](int k, std::int64_t mark, std::int64_t r) {
      if (mark >= 0 && r >= 0) off[k].push_back(double(mark - r) * 1000.0 / fs);
    };
    for (std::size_t i = 0; i < ref.size(); ++i) {
      if (ref[i].sym != 'N') continue;
      put(2, ref[i].on, ref[i].peak), put(3, ref[i].off, ref[i].peak);
      if (i > 0 && ref[i - 1].sym == 'p' && ref[i].peak - ref[i - 1].peak < std::int64_t(0.4 * fs))
        put(0, ref[i - 1].on, ref[i].peak), put(1, ref[i - 1].off, ref[i].peak);
      if (i + 1 < ref.size() && ref[i + 1].sym == 't' && ref[i + 1].peak - ref[i].peak < std::int64_t(0.7 * fs))
        put(4, ref[i + 1].off, ref[i].peak);
    }
    for (int k = 0; k < 5; ++k) {
      if (off[k].size() < 2) continue;
      double m = 0;
      for (double x : off[k]) m += x;
      m /= double(off[k].size());
      for (double x : off[k]) dev[k].push_back(x - m);
    }
    ++records;
  }
  void print() const {
    const char* names[] = {"P on", "P off", "QRS on", "QRS off", "T end"};
    std::printf("  the reference's own scatter, %d records of steady sinus rhythm: SD of (mark - annotated R) about each\n"
                "  record's mean, ms:", records);
    for (int k = 0; k < 5; ++k) {
      double ss = 0;
      for (double x : dev[k]) ss += x * x;
      if (!dev[k].empty()) std::printf("  %s %.1f", names[k], std::sqrt(ss / double(dev[k].size())));
    }
    std::printf("\n");
  }
};

/// A record of steady sinus rhythm by its LUDB header: sinus rhythm, bradycardia or tachycardia, and neither
/// pacing, AV block nor extrasystoles among the diagnoses.
bool steady_sinus(const fs::path& hea) {
  std::ifstream in(hea);
  std::string line;
  bool sinus = false;
  while (std::getline(in, line)) {
    if (line.rfind("#Rhythm: Sinus rhythm", 0) == 0 || line.rfind("#Rhythm: Sinus brady", 0) == 0 ||
        line.rfind("#Rhythm: Sinus tachy", 0) == 0)
      sinus = true;
    for (const char* unsteady : {"pacing", "AV-block", "AV block", "xtrasystol"})
      if (line.find(unsteady) != std::string::npos) return false;
  }
  return sinus;
}

/// What a LUDB header says of the record: its rhythm ("Sinus rhythm.", after "#Rhythm: "), its complete bundle
/// branch block as our statement codes name it ("complete_rbbb ", "complete_lbbb ", or empty), and whether it names
/// a change of the ventricles' repolarisation (nonspecific, ischaemia, scar, STEMI, left ventricular overload: all
/// read on the ST segment and T wave; early repolarisation is not one). One read per record.
struct HeaderDiagnoses {
  std::string rhythm, bbb;
  bool repolarisation = false;
  std::string text;  ///< every header line, for the diagnosis labels below
};

/// LUDB's diagnosis labels next to the statement that would name them; LUDB's annotators did not read them by
/// the AHA criteria we state (its six "left anterior hemiblock" records have frontal axes of +4° to -51°, five of them
/// above -45°), so these lines show the distance, not a score to tune on.
constexpr std::pair<const char*, const char*> kDiagnosisLabels[] = {
    {"Left anterior hemiblock", "left_anterior_fascicular_block"},
    {"Incomplete right bundle branch block", "incomplete_rbbb"},
    {"Non-specific intravintricular conduction delay", "intraventricular_conduction_delay"},  // LUDB's spelling
    // LUDB's "scar formation" (of any wall) is the annotators' old infarct; their "undefined ischemia/scar" may be one.
    {"Scar formation", "pathological_q_waves"},
    // LUDB's "STEMI" of a wall includes evolving and old ones: on the 7 dev records so labelled the ST levels at J are
    // at most 0.09 mV in the labelled walls (several below the baseline), under the universal definition's 0.1 mV.
    {"STEMI", "stemi_pattern"},
};

HeaderDiagnoses header_diagnoses(const fs::path& hea) {
  std::ifstream in(hea);
  HeaderDiagnoses d;
  for (std::string line; std::getline(in, line);) {
    d.text += line + "\n";
    if (line.rfind("#Rhythm:", 0) == 0 && d.rhythm.empty()) d.rhythm = line.substr(9);
    if (line.find("Complete right bundle branch block") != std::string::npos) d.bbb += "complete_rbbb ";
    if (line.find("Complete left bundle branch block") != std::string::npos) d.bbb += "complete_lbbb ";
    for (const char* k : {"Non-specific repolarization", "Ischemia", "ischemia", "Scar formation", "STEMI",
                          "ventricular overload"})
      d.repolarisation = d.repolarisation || line.find(k) != std::string::npos;
  }
  return d;
}

/// Rhythm statements against LUDB's diagnoses: sinus family, AF, flutter; STEMI; every critical flag listed.
}  // namespace

int run_rhythm(const fs::path& data) {
  const fs::path dir = ludb_records_dir(data / "ludb");
  const auto records = records_in(data / "ludb", {}, dir);
  if (records.empty()) {
    std::fprintf(stderr, "rhythm: no LUDB records under %s\n", (data / "ludb").c_str());
    return 2;
  }
  int n = 0, agree = 0, bbb_found = 0, bbb_missed = 0, bbb_false = 0, bbb_none = 0;
  int sa_labelled = 0, sa_found = 0, sa_other_sinus = 0, sa_false = 0;
  int tw_labelled = 0, tw_found = 0, tw_others = 0, tw_false = 0;
  int label_tally[std::size(kDiagnosisLabels)][4] = {};  // labelled, stated on those; others, stated on those
  std::map<std::string, std::map<std::string, int>> confusion;
  std::vector<double> interval_err[3];
  std::printf("LUDB rhythm (reference from the record header) vs machine statements, %zu records:\n", records.size());
  for (const auto& rec : records) {
    auto w = read_wfdb_file(dir / (rec + ".hea"));
    if (!w) {
      std::fprintf(stderr, "%s: %s\n", rec.c_str(), w.error().message.c_str());
      return 2;
    }
    auto a = analyze(*w);
    const HeaderDiagnoses header = header_diagnoses(dir / (rec + ".hea"));
    const std::string& ref_text = header.rhythm;
    std::string ref = ref_text.find("fibrillation") != std::string::npos ? "AF"
                      : ref_text.find("flutter") != std::string::npos  ? "flutter"
                      : ref_text.find("inus") != std::string::npos     ? "sinus"
                                                                       : "other";
    std::string got = "other", codes, bbb;
    bool arrhythmia = false, t_changes = false, paced = false;
    for (const auto& st : a.rhythm) {
      codes += st.code + " ";
      t_changes = t_changes || st.code == "t_wave_changes";
      paced = paced || st.code == "paced_rhythm";
      if (st.code == "complete_rbbb" || st.code == "complete_lbbb") bbb += st.code + " ";
      if (st.code == "sinus_arrhythmia") arrhythmia = true;
      if (st.code == "atrial_fibrillation") got = "AF";
      else if (st.code == "atrial_flutter" && got == "other") got = "flutter";
      else if (st.code.rfind("sinus_", 0) == 0 && got == "other") got = "sinus";
    }
    // Reference global intervals from the annotations (median over beats) against the median-beat measurements.
    {
      const char* exts[] = {"i", "ii", "iii", "avr", "avl", "avf", "v1", "v2", "v3", "v4", "v5", "v6"};
      std::vector<std::vector<Wave>> per;
      for (auto e : exts) per.push_back(waves_of(dir / (rec + "." + e)));
      const auto g = global_waves(per, 1, std::int64_t(0.08 * w->sample_rate_hz));
      std::vector<double> pr, qrs, qt;
      const double k = 1000.0 / w->sample_rate_hz;
      for (std::size_t i = 0; i < g.size(); ++i) {
        if (g[i].sym != 'N' || g[i].on < 0 || g[i].off < 0) continue;
        qrs.push_back(double(g[i].off - g[i].on) * k);
        if (i > 0 && g[i - 1].sym == 'p' && g[i - 1].on >= 0) pr.push_back(double(g[i].on - g[i - 1].on) * k);
        if (i + 1 < g.size() && g[i + 1].sym == 't' && g[i + 1].off >= 0) qt.push_back(double(g[i + 1].off - g[i].on) * k);
      }
      auto med = [](std::vector<double> v) -> std::optional<double> {
        if (v.empty()) return std::nullopt;
        std::sort(v.begin(), v.end());
        return v[v.size() / 2];
      };
      auto cmp = [](std::vector<double>& errs, std::optional<double> ours, std::optional<double> ref) {
        if (ours && ref) errs.push_back(*ours - *ref);
      };
      const auto& m = a.measurements;
      cmp(interval_err[0], m.pr, med(pr));
      cmp(interval_err[1], m.qrs, med(qrs));
      cmp(interval_err[2], m.qt, med(qt));
      if (std::getenv("LUDB_VERBOSE"))
        std::printf("  %-4s HR %3.0f PR %4.0f/%4.0f QRS %4.0f/%4.0f QT %4.0f/%4.0f QTc %4.0f\n", rec.c_str(), m.heart_rate.value_or(-1),
                    m.pr.value_or(-1), med(pr).value_or(-1), m.qrs.value_or(-1), med(qrs).value_or(-1), m.qt.value_or(-1),
                    med(qt).value_or(-1), m.qtc_bazett.value_or(-1));
    }
    const std::string& bbb_ref = header.bbb;
    (bbb_ref.empty() ? (bbb.empty() ? bbb_none : bbb_false) : (bbb == bbb_ref ? bbb_found : bbb_missed))++;
    // LUDB names it "Sinus arrhythmia" or "Irregular sinus rhythm" in place of "Sinus rhythm".
    const bool sa_ref = ref_text.find("inus arrhythmia") != std::string::npos || ref_text.find("rregular sinus") != std::string::npos;
    if (sa_ref) ++sa_labelled, sa_found += arrhythmia;
    else if (ref == "sinus") ++sa_other_sinus, sa_false += arrhythmia;
    // T wave changes are read on narrow conducted beats only (t_wave_statements): the tally is over those records.
    if (!paced && a.measurements.qrs && *a.measurements.qrs < 120) {
      if (header.repolarisation) ++tw_labelled, tw_found += t_changes;
      else ++tw_others, tw_false += t_changes;
    }
    for (std::size_t i = 0; i < std::size(kDiagnosisLabels); ++i) {
      const bool labelled = header.text.find(kDiagnosisLabels[i].first) != std::string::npos;
      const bool stated = std::any_of(a.rhythm.begin(), a.rhythm.end(),
                                      [&](const Statement& st) { return st.code == kDiagnosisLabels[i].second; });
      ++label_tally[i][labelled ? 0 : 2], label_tally[i][labelled ? 1 : 3] += stated;
    }
    ++confusion[ref][got];
    ++n;
    agree += ref == got;
    std::string crit;
    for (const auto& c : a.critical) crit += c.code + " ";
    if (ref != got || !crit.empty())
      std::printf("  %-4s ref=%-30.30s got=%-8s %s%s%s\n", rec.c_str(), ref_text.c_str(), got.c_str(), codes.c_str(),
                  crit.empty() ? "" : " CRITICAL: ", crit.c_str());
  }
  const char* names[] = {"PR", "QRS", "QT"};
  for (int i = 0; i < 3; ++i) {
    double mean = 0, sd = 0;
    for (double e : interval_err[i]) mean += e;
    if (!interval_err[i].empty()) mean /= double(interval_err[i].size());
    for (double e : interval_err[i]) sd += (e - mean) * (e - mean);
    if (interval_err[i].size() > 1) sd = std::sqrt(sd / double(interval_err[i].size() - 1));
    std::printf("  median-beat %-3s vs annotated (median of beats): n=%zu mean %.1f ms SD %.1f ms\n", names[i],
                interval_err[i].size(), mean, sd);
  }
  std::printf("  complete bundle branch block (header's diagnoses): named right on %d of %d labelled, stated on %d of %d "
              "others\n", bbb_found, bbb_found + bbb_missed, bbb_false, bbb_false + bbb_none);
  std::printf("  sinus arrhythmia (header's rhythm): stated on %d of %d labelled, on %d of %d other sinus records\n",
              sa_found, sa_labelled, sa_false, sa_other_sinus);
  std::printf("  T wave changes (narrow unpaced QRS; header's repolarisation, ischaemia, scar, STEMI or LV overload): "
              "stated on %d of %d labelled, on %d of %d others\n", tw_found, tw_labelled, tw_false, tw_others);
  for (std::size_t i = 0; i < std::size(kDiagnosisLabels); ++i)
    std::printf("  %s (header's diagnoses): %s stated on %d of %d labelled, on %d of %d others\n", kDiagnosisLabels[i].first,
                kDiagnosisLabels[i].second, label_tally[i][1], label_tally[i][0], label_tally[i][3], label_tally[i][2]);
  std::printf("  agreement %d/%d;", agree, n);
  for (const auto& [r, row] : confusion)
    for (const auto& [g, c] : row) std::printf(" %s->%s:%d", r.c_str(), g.c_str(), c);
  std::printf("\n");
  return 0;
}

int run_delineation(const fs::path& data) {
  Stats qt, qt_best, qt_unpaced, qt_best_unpaced, lu, lu_lead;
  std::vector<std::string> paced_records;
  ReferenceJitter jitter;
  std::vector<double> spread[6];  // P on/off, QRS on/off, T on (unused)/end: per-lead annotation spread per wave
  double ms_total = 0;
  int n_records = 0;
  const auto qtdb = records_in(data / "qtdb");
  for (const auto& rec : qtdb) {
    auto w = read_wfdb_file(data / "qtdb" / (rec + ".hea"));
    if (!w) {
      std::fprintf(stderr, "%s: %s\n", rec.c_str(), w.error().message.c_str());
      return 2;
    }
    LeadSet s = *w;
    condition_signals(s);
    auto r = detect_qrs(s);
    g_record = rec;
    Stats one, one_best;
    const auto ref = waves_of(data / "qtdb" / (rec + ".q1c"));
    score(s, r, ref, one, &one_best);
    g_record.clear();
    if (std::getenv("QTDB_VERBOSE")) {
      std::printf("%s\n", rec.c_str());
      one.print();
      std::printf("%s, better of the two leads\n", rec.c_str());
      one_best.print();
    }
    qt.append(one);
    qt_best.append(one_best);
    if (mostly_paced(data / "qtdb" / (rec + ".atr"))) paced_records.push_back(rec);
    else qt_unpaced.append(one), qt_best_unpaced.append(one_best);
  }
  if (!qtdb.empty()) {
    std::printf("QTDB (q1c, annotator 1), %zu records, per annotated beat, global boundaries:\n", qtdb.size());
    qt.print();
    std::printf("QTDB, each boundary from the better of the two leads per beat (the convention of Martinez et al. 2004,\n"
                "whose figures are quoted as the anchor; a lead that did not bound the wave alone counts as missed):\n");
    qt_best.print();
    if (!paced_records.empty()) {
      // Paced beats have no intrinsic P wave and a stimulus before the QRS; the whole QTDB has two paced records, so
      // a subset without them shows what the unpaced rest of the database would.
      std::string names;
      for (const auto& r : paced_records) names += (names.empty() ? "" : ", ") + r;
      std::printf("QTDB without its paced records (%s: most .atr beats paced), global boundaries:\n", names.c_str());
      qt_unpaced.print();
      std::printf("QTDB without its paced records, better of the two leads per beat:\n");
      qt_best_unpaced.print();
    }
  }
  const fs::path ludb = ludb_records_dir(data / "ludb");
  const auto ludb_records = records_in(data / "ludb", {}, ludb);
  {
    const char* exts[] = {"i", "ii", "iii", "avr", "avl", "avf", "v1", "v2", "v3", "v4", "v5", "v6"};
    // LUDB_SPLIT=odd / even scores only the odd / even records of the list: the overfitting check of docs/ecg.md.
    const char* split = std::getenv("LUDB_SPLIT");
    for (std::size_t line = 1; line <= ludb_records.size(); ++line) {
      if (split && std::string(split) == (line % 2 ? "even" : "odd")) continue;
      const std::string& rec = ludb_records[line - 1];
      auto w = read_wfdb_file(ludb / (rec + ".hea"));
      if (!w) {
        std::fprintf(stderr, "%s: %s\n", rec.c_str(), w.error().message.c_str());
        return 2;
      }
      const double t0 = cpu_ms();
      auto a = analyze(*w);
      ms_total += cpu_ms() - t0;
      ++n_records;
      g_record = rec;
      LeadSet s = *w;
      condition_signals(s);
      // LUDB_LEADS=ii,v5 delineates on those leads only (a Holter's two), still against the 12-lead reference: a
      // check of the few-lead rules on other annotators and another sampling rate than QTDB's.
      if (const char* keep = std::getenv("LUDB_LEADS")) {
        const std::string wanted = std::string(",") + keep + ",";
        std::erase_if(s.leads, [&](const LeadSignal& l) {
          std::string name = l.label;
          for (auto& ch : name) ch = char(std::tolower(static_cast<unsigned char>(ch)));
          return wanted.find("," + name + ",") == std::string::npos;
        });
        if (s.leads.empty()) {
          std::fprintf(stderr, "LUDB_LEADS=%s: no such lead in %s\n", keep, rec.c_str());
          return 2;
        }
      }
      auto r = detect_qrs(s);
      // Global reference: earliest onset and latest end over the 12 leads, grouped on lead II's waves.
      std::vector<std::vector<Wave>> per;
      for (auto e : exts) per.push_back(waves_of(ludb / (rec + "." + e)));
      const std::int64_t tol = std::int64_t(0.08 * w->sample_rate_hz);
      const auto global = global_waves(per, 1, tol);
      const double to_ms = 1000.0 / w->sample_rate_hz;
      for (const auto& g : per[1]) {  // how far apart the leads' marks of each wave lie
        std::int64_t on_lo = -1, on_hi = -1, off_lo = -1, off_hi = -1;
        for (const auto& lead : per)
          for (const auto& x : lead)
            if (x.sym == g.sym && std::llabs(x.peak - g.peak) <= tol) {
              if (x.on >= 0) on_lo = on_lo < 0 ? x.on : std::min(on_lo, x.on), on_hi = std::max(on_hi, x.on);
              if (x.off >= 0) off_lo = off_lo < 0 ? x.off : std::min(off_lo, x.off), off_hi = std::max(off_hi, x.off);
            }
        const int i = g.sym == 'p' ? 0 : g.sym == 'N' ? 2 : 4;
        if (on_lo >= 0 && g.sym != 't') spread[i].push_back(double(on_hi - on_lo) * to_ms);
        if (off_lo >= 0) spread[i + 1].push_back(double(off_hi - off_lo) * to_ms);
      }
      score(s, r, global, lu);
      if (steady_sinus(ludb / (rec + ".hea"))) jitter.add_record(global, w->sample_rate_hz);
      g_record.clear();
      if (!std::getenv("LUDB_LEADS"))  // the per-lead marks are matched to the leads by their order
        score_per_lead(s, r, per, std::vector<std::string>(std::begin(exts), std::end(exts)), lu_lead);
    }
  }
  if (!n_records) {
    if (qtdb.empty()) std::fprintf(stderr, "delineation: no QTDB or LUDB records under %s\n", data.c_str());
    return qtdb.empty() ? 2 : 0;
  }
  const char* kept = std::getenv("LUDB_LEADS");
  std::printf("LUDB, %d records (%s%s, global boundaries = earliest onset / latest end over leads):\n", n_records,
              kept ? "delineated on " : "12 leads", kept ? kept : "");
  lu.print();
  // LUDB annotates every lead on its own: how far apart the leads' marks of one wave lie bounds how exactly an
  // earliest/latest-over-leads reference can be met (it is the extreme of twelve independent marks).
  {
    const char* names[] = {"P on", "P off", "QRS on", "QRS off", "", "T end"};
    std::printf("  spread of the per-lead annotations of one wave (latest - earliest mark), median / p90 ms:");
    for (int i = 0; i < 6; ++i) {
      if (i == 4) continue;
      auto v = spread[i];
      if (v.empty()) continue;
      std::sort(v.begin(), v.end());
      std::printf("  %s %.0f/%.0f", names[i], v[v.size() / 2], v[v.size() * 9 / 10]);
    }
    std::printf("\n");
  }
  jitter.print();
  std::printf("LUDB, per lead (each lead's own boundaries against that lead's marks; missed = marked in the lead\n"
              "but not delineated there alone, the wave being too small in that lead):\n");
  lu_lead.print();
  std::printf("analyze(): %.2f ms CPU per 10-s 12-lead 500-Hz ECG (mean over %d LUDB records)\n", ms_total / n_records, n_records);
  return 0;
}

}  // namespace teledx::ecg::eval
