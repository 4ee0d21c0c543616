// teledx-ecg: the ECG module's command line. `eval` runs the detector, typing, delineator and rhythm statements over
// WFDB databases and scores them (EC57 for QRS, with its own scorer); `measure` prints our intervals next to a
// device's. Usage: see usage() below or `teledx-ecg help`.
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "eval.hpp"
#include "teledx/core/process_memory.hpp"
#include "teledx/ecg/analysis.hpp"
#include "teledx/ecg/evaluation.hpp"
#include "teledx/ecg/processing.hpp"
#include "teledx/ecg/readers.hpp"

namespace fs = std::filesystem;

namespace teledx::ecg::eval {

double cpu_ms() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return double(t.tv_sec) * 1e3 + double(t.tv_nsec) / 1e6;
}

std::vector<std::string> records_in(const fs::path& dir, std::vector<std::string> given, const fs::path& data_dir) {
  const fs::path where = data_dir.empty() ? dir : data_dir;
  auto present_of = [&](const std::vector<std::string>& listed) {
    std::vector<std::string> present;
    for (const auto& r : listed)
      if (fs::exists(where / (r + ".hea"))) present.push_back(r);
    return present;
  };
  auto read_list = [](const fs::path& file) {
    std::vector<std::string> listed;
    std::ifstream in(file);
    for (std::string r; in >> r;) listed.push_back(r);
    return listed;
  };
  if (given.empty()) {
    // The development split's list when its records are here, else the database's full list: a copy of another
    // split (the holdout) keeps both lists but only its own records.
    given = read_list(dir / "RECORDS.dev");
    auto all = read_list(dir / "RECORDS");
    if (present_of(all).size() > present_of(given).size()) given = std::move(all);
  }
  auto present = present_of(given);
  if (present.size() < given.size())
    std::fprintf(stderr, "%s: %zu of %zu listed records are present; the others are left out\n", where.c_str(),
                 present.size(), given.size());
  return present;
}

fs::path ludb_records_dir(const fs::path& ludb) { return fs::exists(ludb / "data") ? ludb / "data" : ludb; }

int for_each_ludb_ecg(const fs::path& data, const char* what,
                      const std::function<void(const std::string&, const Waveform&)>& each) {
  const fs::path ludb = data / "ludb";
  const fs::path dir = ludb_records_dir(ludb);
  const auto records = records_in(ludb, {}, dir);
  if (records.empty()) {
    std::fprintf(stderr, "%s: no LUDB records under %s\n", what, ludb.c_str());
    return 2;
  }
  for (const auto& rec : records) {
    auto w = read_wfdb_file(dir / (rec + ".hea"));
    if (!w) {
      std::fprintf(stderr, "%s: %s\n", rec.c_str(), w.error().message.c_str());
      return 2;
    }
    if (w->leads.size() == 12) each(rec, *w);
  }
  return 0;
}

std::vector<Waveform> ten_second_windows(const Waveform& w) {
  std::vector<Waveform> out;
  const auto seg = std::size_t(10 * w.sample_rate_hz);
  Waveform shell = w;  // metadata without the samples, copied once per window
  for (auto& l : shell.leads) l.uv.clear();
  for (std::size_t s0 = 0; seg > 0 && s0 + seg <= w.sample_count(); s0 += seg) {
    Waveform x = shell;
    for (std::size_t i = 0; i < x.leads.size(); ++i)
      x.leads[i].uv.assign(w.leads[i].uv.begin() + std::ptrdiff_t(s0), w.leads[i].uv.begin() + std::ptrdiff_t(s0 + seg));
    out.push_back(std::move(x));
  }
  return out;
}

namespace {

std::string pct(std::optional<double> v) {
  char b[16];
  if (!v) return "    -   ";
  std::snprintf(b, sizeof b, "%8.3f", *v);
  return b;
}

}  // namespace

int run_qrs(const fs::path& db, const fs::path& out, bool first_lead, double start_s, const std::vector<std::string>& records) {
  if (records.empty()) {
    std::fprintf(stderr, "%s: no records given and no RECORDS file listing them\n", db.c_str());
    return 2;
  }
  if (!out.empty()) fs::create_directories(out);
  std::vector<Ec57Tally> tallies;
  double detect_total = 0, analyze_total = 0, analyze_max = 0;
  std::string slowest;
  // QTDB, for one, has beat labels for only some of its records: those without are listed, not scored.
  std::vector<std::string> annotated, unannotated;
  for (const auto& rec : records) (fs::exists(db / (rec + ".atr")) ? annotated : unannotated).push_back(rec);
  std::printf("QRS detection, ANSI/AAMI EC57 (150 ms window, scored from %.0f s, beat labels only), %zu records:\n",
              start_s, annotated.size());
  std::printf("%-8s %7s %7s %5s %5s %8s %8s   CPU ms: detection analyze()\n", "record", "refbeat", "TP", "FN", "FP",
              "Se%", "+P%");
  for (const auto& rec : annotated) {
    auto w = read_wfdb_file(db / (rec + ".hea"));
    if (!w) {
      std::fprintf(stderr, "%s: %s\n", rec.c_str(), w.error().message.c_str());
      return 2;
    }
    auto bytes = read_file_bytes(db / (rec + ".atr"));
    if (!bytes) {
      std::fprintf(stderr, "%s: reference annotations: %s\n", rec.c_str(), bytes.error().message.c_str());
      return 2;
    }
    auto ref = read_wfdb_annotations(*bytes);
    if (!ref) {
      std::fprintf(stderr, "%s: reference annotations: %s\n", rec.c_str(), ref.error().message.c_str());
      return 2;
    }
    QrsOptions o;
    o.all_leads = !first_lead;
    LeadSet conditioned = *w;
    const double t0 = cpu_ms();
    condition_signals(conditioned);
    const auto r = detect_qrs(conditioned, o);
    const double detect_ms = cpu_ms() - t0;
    const double t1 = cpu_ms();
    (void)analyze(*w);
    const double analyze_ms = cpu_ms() - t1;
    detect_total += detect_ms, analyze_total += analyze_ms;
    if (analyze_ms > analyze_max) analyze_max = analyze_ms, slowest = rec;
    std::vector<Annotation> test;
    for (auto s : r) test.push_back({s, 1, 0, 0, 0, {}});
    Ec57Options eo;
    eo.start_s = start_s;
    eo.end_sample = std::int64_t(w->sample_count());
    const auto t = score_ec57(*ref, test, w->sample_rate_hz, eo);
    tallies.push_back(t);
    std::printf("%-8s %7ld %7ld %5ld %5ld %s %s   %6.1f %6.1f\n", rec.c_str(), t.tp + t.fn, t.tp, t.fn, t.fp,
                pct(t.sensitivity()).c_str(), pct(t.positive_predictivity()).c_str(), detect_ms, analyze_ms);
    if (!out.empty()) {
      std::ofstream f(out / (rec + ".txt"));
      for (auto s : r) f << s << "\n";
    }
  }
  if (!unannotated.empty()) {
    std::string list;
    for (const auto& r : unannotated) list += " " + r;
    std::printf("not scored, no reference beat annotations (.atr):%s\n", list.c_str());
  }
  if (tallies.empty()) {
    std::fprintf(stderr, "%s: none of the records has reference beat annotations (.atr)\n", db.c_str());
    return 2;
  }
  const auto s = summarize_ec57(tallies);
  const auto n = double(tallies.size());
  std::printf("%-8s %7ld %7ld %5ld %5ld %s %s\n", "Gross", s.tp + s.fn, s.tp, s.fn, s.fp, pct(s.gross_se).c_str(),
              pct(s.gross_ppv).c_str());
  std::printf("%-8s %35s %s\n", "Average", pct(s.average_se).c_str(), pct(s.average_ppv).c_str());
  std::printf("CPU per record: detection %.1f ms mean; full analyze() %.1f ms mean, %.1f ms max (%s)\n",
              detect_total / n, analyze_total / n, analyze_max, slowest.c_str());
  return 0;
}

int run_measure(const std::vector<std::string>& files) {
  int rc = 0;  // every file is tried; an unreadable one is named with the reason, and the exit status says so
  for (const auto& file : files) {
    auto w = read_ecg_file(file);
    if (!w) {
      std::fprintf(stderr, "%s: %s\n", file.c_str(), w.error().message.c_str());
      rc = 2;
      continue;
    }
    const auto a = analyze(*w);
    const auto& m = a.measurements;
    std::printf("%s\n  ours: PR %.0f  P %.0f  QRS %.0f  QT %.0f ms\n  device:", file.c_str(), m.pr.value_or(-1),
                m.p_duration.value_or(-1), m.qrs.value_or(-1), m.qt.value_or(-1));
    for (const auto& d : w->device_measurements) std::printf("  %s %g", d.name.c_str(), d.value);
    std::printf("\n  device, as the viewer lists it:");
    for (const auto& [key, value] : a.device_measurements) std::printf("  %s %g", key.c_str(), value);
    std::printf("\n  ours, R/S amplitudes (uV):");
    for (const auto& q : a.qrs_amplitudes) std::printf("  %s %.0f/%.0f", std::string(lead_name(q.lead)).c_str(), q.r_uv, q.s_uv);
    std::printf("\n");
    // What the reader would see flagged: the machine statements, quality findings and critical flags, one per line.
    for (const auto* group : {&a.rhythm, &a.quality, &a.critical})
      for (const auto& st : *group)
        std::printf("  %s %s: %s\n", group == &a.critical ? "CRITICAL" : group == &a.quality ? "quality" : "statement",
                    st.code.c_str(), st.text.c_str());
  }
  return rc;
}

}  // namespace teledx::ecg::eval

namespace {

int usage() {
  std::cerr <<
      "usage: teledx-ecg eval qrs DB_DIR [--start SECONDS] [--out DIR] [--first-lead] [RECORD...]\n"
      "         QRS detection per EC57 (default learning period 300 s; --out writes DIR/<record>.txt for another scorer)\n"
      "       teledx-ecg eval beats DB_DIR [RECORD...]\n"
      "         ventricular-beat typing and AF statements against the .atr labels (10-s windows, whole records)\n"
      "       teledx-ecg eval noise DB_DIR [RECORD...]   (MIT-BIH: .atr; LUDB: lead II's marks)\n"
      "         QRS detection and analyze() under synthetic baseline wander, muscle noise and electrode motion\n"
      "         (24 to -6 dB): Se/+P, quality warnings, and critical flags the noise raised in 10-s windows\n"
      "       teledx-ecg eval delineation DATA_DIR\n"
      "         wave boundaries against DATA_DIR/qtdb (q1c) and DATA_DIR/ludb (per-lead marks)\n"
      "       teledx-ecg eval rhythm DATA_DIR\n"
      "         rhythm statements and median-beat intervals against DATA_DIR/ludb\n"
      "       teledx-ecg eval electrodes DATA_DIR\n"
      "         limb and chest electrodes misplaced in software on DATA_DIR/ludb: how often the quality check calls them;\n"
      "         a tremor at the limb electrodes: how often it is named, and flutter or a critical flag raised from it\n"
      "       teledx-ecg eval robustness DATA_DIR\n"
      "         DATA_DIR/ludb changed as a cart, a hand or a loose electrode changes it (calibration pulse, pops near\n"
      "         the ends, a lead at its rail, cut or padded ends): the records whose beats, rhythm or critical flags move\n"
      "       teledx-ecg eval all DATA_DIR\n"
      "         every evaluation above over DATA_DIR/mitdb, qtdb and ludb (those present)\n"
      "       teledx-ecg measure ECG_FILE...\n"
      "         our PR, P, QRS and QT next to the device's own measurements in each file, then the machine's\n"
      "         statements, quality findings and critical flags\n"
      "Records default to DB_DIR/RECORDS.dev, or DB_DIR/RECORDS when more of its records are present; listed records\n"
      "not present are left out.\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace teledx::ecg::eval;
  const std::vector<std::string> args(argv + 1, argv + argc);
  // As the server does: one analysis after another reuses the memory of the one before.
  teledx::keep_freed_memory_for_reuse();
  if (args.size() >= 2 && args[0] == "measure") return run_measure({args.begin() + 1, args.end()});
  if (args.size() < 3 || args[0] != "eval") return usage();
  const std::string& what = args[1];
  const fs::path dir = args[2];
  if (!fs::is_directory(dir)) {
    std::fprintf(stderr, "%s: not a directory\n", dir.c_str());
    return 2;
  }
  if (what == "noise") {
    std::vector<std::string> recs(args.begin() + 3, args.end());
    for (const auto& r : recs)
      if (r.rfind("--", 0) == 0) return usage();
    const fs::path data = ludb_records_dir(dir);  // LUDB's data/ layout; MIT-BIH's records beside its RECORDS
    return run_noise(data, records_in(dir, recs, data));
  }
  if (what == "qrs" || what == "beats") {
    bool first = false;
    double start_s = 300;
    fs::path out;
    std::vector<std::string> recs;
    for (std::size_t i = 3; i < args.size(); ++i) {
      if (args[i] == "--first-lead") first = true;
      else if (args[i] == "--start" && i + 1 < args.size()) start_s = std::stod(args[++i]);
      else if (args[i] == "--out" && i + 1 < args.size()) out = args[++i];
      else if (args[i].rfind("--", 0) == 0) return usage();
      else recs.push_back(args[i]);
    }
    const auto records = records_in(dir, recs);
    return what == "qrs" ? run_qrs(dir, out, first, start_s, records) : run_beats(dir, records);
  }
  if (args.size() != 3) return usage();
  if (what == "delineation") return run_delineation(dir);
  if (what == "rhythm") return run_rhythm(dir);
  if (what == "electrodes") return run_electrodes(dir);
  if (what == "robustness") return run_robustness(dir);
  if (what == "all") {
    int rc = 0, ran = 0;
    if (fs::is_directory(dir / "mitdb")) {
      const auto records = records_in(dir / "mitdb");
      rc |= run_qrs(dir / "mitdb", {}, false, 300, records);
      std::printf("\n");
      rc |= run_beats(dir / "mitdb", records);
      std::printf("\n");
      ++ran;
    }
    if (fs::is_directory(dir / "qtdb") || fs::is_directory(dir / "ludb")) {
      rc |= run_delineation(dir);
      ++ran;
    }
    if (fs::is_directory(dir / "ludb")) {
      std::printf("\n");
      rc |= run_rhythm(dir);
      std::printf("\n");
      rc |= run_electrodes(dir);
      std::printf("\n");
      rc |= run_robustness(dir);
    }
    if (!ran) std::fprintf(stderr, "%s: none of mitdb/, qtdb/, ludb/ is there\n", dir.c_str());
    return ran ? rc : 2;
  }
  return usage();
}
