// A floor on beat delineation over the LUDB development records: every annotated beat of lead II, its global
// reference (earliest onset / latest end over the 12 leads' own marks, the CSE convention), our boundaries on the
// beat the detector found there. Regressions in the P, QRS and T-end methods and in the handling of paced beats
// fail here, not only in the bench.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <numbers>
#include <optional>
#include <string>
#include <vector>

#include "ecg_test_data.hpp"
#include "synthetic_ecg.hpp"
#include "teledx/ecg/analysis.hpp"
#include "teledx/ecg/evaluation.hpp"
#include "teledx/ecg/processing.hpp"
#include "teledx/ecg/readers.hpp"

using namespace teledx::ecg;

namespace {

using Wave = AnnotatedWave;

std::vector<Wave> waves_of(const std::filesystem::path& file) {
  auto bytes = read_file_bytes(file);
  REQUIRE(bytes.ok());
  auto ann = read_wfdb_annotations(*bytes);
  REQUIRE(ann.ok());
  return annotated_waves(*ann);
}

struct Errors {
  std::vector<double> ms;
  void add(std::optional<std::int64_t> ours, std::int64_t ref, double fs) {
    if (ours && ref >= 0) ms.push_back(double(*ours - ref) * 1000.0 / fs);
  }
  double mean() const {
    double s = 0;
    for (double e : ms) s += e;
    return ms.empty() ? 0 : s / double(ms.size());
  }
  double sd() const {
    const double m = mean();
    double s = 0;
    for (double e : ms) s += (e - m) * (e - m);
    return ms.size() > 1 ? std::sqrt(s / double(ms.size() - 1)) : 0;
  }
};

/// A record's leads conditioned as analyze() does, with the beats the detector finds in them.
struct Detected {
  LeadSet s;
  std::vector<std::int64_t> r;
  double fs = 0;
};

Detected detect_in(LeadSet s) {
  condition_signals(s);
  auto r = detect_qrs(s);
  const double fs = s.sample_rate_hz;
  return {std::move(s), std::move(r), fs};
}

/// Our boundaries of detected beat k, its neighbours bounding the search as in analyze().
Fiducials delineate_at(const Detected& d, std::size_t k) {
  return delineate_beat(d.s, d.r[k], k ? std::optional(d.r[k - 1]) : std::nullopt,
                        k + 1 < d.r.size() ? std::optional(d.r[k + 1]) : std::nullopt);
}

/// The first detected beat within 100 ms of an annotated QRS peak, if any.
std::optional<std::size_t> beat_near(const Detected& d, std::int64_t peak) {
  const auto tol = std::int64_t(0.1 * d.fs);
  auto it = std::lower_bound(d.r.begin(), d.r.end(), peak - tol);
  if (it == d.r.end() || *it > peak + tol) return std::nullopt;
  return std::size_t(it - d.r.begin());
}

}  // namespace

TEST_CASE("Delineation over the LUDB development records stays within its measured accuracy", "[ecg]") {
  ECG_REQUIRE_SHARED("ludb/RECORDS.dev");
  std::ifstream list(test::shared_data() / "ludb/RECORDS.dev");
  std::string rec;
  Errors qrs_on, qrs_off, t_end, p_on, p_off, paced_on, lead_p_on, lead_p_off, lead_qrs_on, lead_qrs_off, lead_t_end;
  std::size_t records = 0;
  const char* exts[] = {"i", "ii", "iii", "avr", "avl", "avf", "v1", "v2", "v3", "v4", "v5", "v6"};
  while (list >> rec) {
    const auto dir = test::shared_data() / "ludb/data";
    auto w = read_ecg_file(dir / (rec + ".hea"));
    REQUIRE(w.ok());
    const auto d = detect_in(*w);
    const double fs = d.fs;
    std::vector<std::vector<Wave>> per;
    for (auto e : exts) per.push_back(waves_of(dir / (rec + "." + e)));
    const auto global = global_waves(per, 1, std::int64_t(0.08 * fs));
    for (std::size_t i = 0; i < global.size(); ++i) {
      if (global[i].sym != 'N') continue;
      const auto k = beat_near(d, global[i].peak);
      if (!k) continue;
      const auto f = delineate_at(d, *k);
      qrs_on.add(f.qrs_on, global[i].on, fs);
      qrs_off.add(f.qrs_off, global[i].off, fs);
      // Each lead's boundaries against that lead's marks of the same wave (LUDB's own convention).
      auto per_lead = [&](char sym, std::int64_t peak, auto&& add) {
        for (std::size_t l = 0; l < per.size() && l < f.per_lead.size(); ++l)
          for (const auto& x : per[l])
            if (x.sym == sym && std::llabs(x.peak - peak) <= std::int64_t(0.08 * fs)) add(f.per_lead[l], x);
      };
      per_lead('N', global[i].peak, [&](const LeadBoundaries& b, const Wave& x) {
        lead_qrs_on.add(b.qrs_on, x.on, fs);
        lead_qrs_off.add(b.qrs_off, x.off, fs);
      });
      // LUDB's paced dev records: the stimulus is a spike (34) or blanked by the recorder (90, 111).
      if (rec == "34" || rec == "90" || rec == "111") paced_on.add(f.qrs_on, global[i].on, fs);
      if (i > 0 && global[i - 1].sym == 'p' && global[i].peak - global[i - 1].peak < std::int64_t(0.4 * fs)) {
        p_on.add(f.p_on, global[i - 1].on, fs);
        p_off.add(f.p_off, global[i - 1].off, fs);
        per_lead('p', global[i - 1].peak, [&](const LeadBoundaries& b, const Wave& x) {
          lead_p_on.add(b.p_on, x.on, fs);
          lead_p_off.add(b.p_off, x.off, fs);
        });
      }
      if (i + 1 < global.size() && global[i + 1].sym == 't' && global[i + 1].peak - global[i].peak < std::int64_t(0.7 * fs)) {
        t_end.add(f.t_off, global[i + 1].off, fs);
        per_lead('t', global[i + 1].peak, [&](const LeadBoundaries& b, const Wave& x) { lead_t_end.add(b.t_off, x.off, fs); });
      }
    }
    ++records;
  }
  INFO(records << " records; QRS on " << qrs_on.mean() << " +- " << qrs_on.sd() << " ms (n " << qrs_on.ms.size()
                << "), QRS off " << qrs_off.mean() << " +- " << qrs_off.sd() << ", T end " << t_end.mean() << " +- "
                << t_end.sd() << " (n " << t_end.ms.size() << "), P on " << p_on.mean() << " +- " << p_on.sd()
                << ", P off " << p_off.mean() << " +- " << p_off.sd() << " (n " << p_on.ms.size()
                << "); paced records' QRS on " << paced_on.mean() << " +- " << paced_on.sd() << " (n "
                << paced_on.ms.size() << "); per lead P on " << lead_p_on.mean() << " +- " << lead_p_on.sd()
                << ", P off " << lead_p_off.mean() << " +- " << lead_p_off.sd() << " (n " << lead_p_on.ms.size()
                << "), QRS on " << lead_qrs_on.mean() << " +- " << lead_qrs_on.sd() << ", QRS off " << lead_qrs_off.mean()
                << " +- " << lead_qrs_off.sd() << " (n " << lead_qrs_on.ms.size() << "), T end " << lead_t_end.mean()
                << " +- " << lead_t_end.sd() << " (n " << lead_t_end.ms.size() << ")");
  REQUIRE(records >= 40);
  REQUIRE(qrs_on.ms.size() >= 400);
  REQUIRE(t_end.ms.size() >= 350);
  REQUIRE(p_on.ms.size() >= 300);
  REQUIRE(paced_on.ms.size() >= 20);
  REQUIRE(lead_p_on.ms.size() >= 2000);
  REQUIRE(lead_qrs_on.ms.size() >= 5000);
  REQUIRE(lead_t_end.ms.size() >= 4000);
  // Measured on 2026-11-29 after the P wave rework (wavelet-transform bounds per lead): QRS on 7.8 +- 8.0, QRS off
  // -7.5 +- 10.5, T end -3.7 +- 28.8, P on 5.8 +- 16.6 (before: -4.2 +- 17.2), P off 0.4 +- 13.6 (6.9 +- 17.1) ms;
  // per lead P on -6.6 +- 12.5, P off 10.9 +- 13.3 (the bench's per-lead scoring, before: -15 +- 16.4, 16.5 +- 17.6);
  // paced records' QRS on -0.3 +- 3.7. With each lead's boundaries held within the global ones (same day), per
  // lead: P on -6.0 +- 12.1, P off 10.2 +- 12.8, QRS on 1.2 +- 11.7, QRS off -0.5 +- 12.8, T end 5.6 +- 25.5 (before:
  // T end 51 ms SD in the bench's scoring). CSE 2-sigma tolerances for the SD: QRS on 6.5, QRS off 11.6, T end 30.6,
  // P on 10.2, P off 12.7 (QRS on and P are not met yet). The floors sit a little above what was measured. P end no
  // later than the leads' settling at the PR level (same day): P off -3.9 +- 13.0, per lead 7.5 +- 12.6. The P wave
  // sought without the largest lead's deviation at each sample (same day; LUDB 64's V6 artefact had been taken for
  // a P wave 140 ms early): P on 6.2 +- 14.8, P off -3.7 +- 10.8, per lead -6.0 +- 12.7 and 7.5 +- 12.4.
  // T end with the area method's window from the wave's own time scale (2026-12-02): -2.8 +- 28.7 -> -9.6 +- 24.9,
  // per lead 5.6 +- 25.5 -> 2.1 +- 22.5 (the global end, the latest agreeing lead's, now sits 10 ms early).
  CHECK(std::abs(qrs_on.mean()) <= 10);
  CHECK(qrs_on.sd() <= 8.5);
  CHECK(std::abs(qrs_off.mean()) <= 10);
  CHECK(qrs_off.sd() <= 11.0);
  CHECK(std::abs(t_end.mean()) <= 12);
  CHECK(t_end.sd() <= 26.5);
  CHECK(std::abs(p_on.mean()) <= 10);
  CHECK(p_on.sd() <= 15.5);
  CHECK(std::abs(p_off.mean()) <= 10);
  CHECK(p_off.sd() <= 11.5);
  CHECK(std::abs(lead_p_on.mean()) <= 10);
  CHECK(lead_p_on.sd() <= 13.0);
  CHECK(std::abs(lead_p_off.mean()) <= 10);
  CHECK(lead_p_off.sd() <= 13.0);
  CHECK(std::abs(lead_qrs_on.mean()) <= 5);
  CHECK(lead_qrs_on.sd() <= 12.5);
  CHECK(std::abs(lead_qrs_off.mean()) <= 5);
  CHECK(lead_qrs_off.sd() <= 12.5);
  CHECK(std::abs(lead_t_end.mean()) <= 10);
  CHECK(lead_t_end.sd() <= 24.0);
  // A paced QRS starts after the stimulus, not 20-30 ms before it where the low-pass spreads the spike.
  CHECK(std::abs(paced_on.mean()) <= 6);
  CHECK(paced_on.sd() <= 8);
}

TEST_CASE("Delineation over the QTDB development records has no gross QRS-end failures", "[ecg]") {
  // QTDB (250 Hz, two leads, annotator 1's q1c marks) as the bench scores it: each annotated QRS against the
  // detected beat nearest its peak, with the P before it and the T after it. Its paced records (MIT-BIH 102 and 104)
  // show the stimulus as a one-to-three-sample spike, and their T waves rise straight out of the S waves: the QRS
  // ends there were 100 ms late or early before the low-rate stimulus rule and the trough rule.
  ECG_REQUIRE_SHARED("qtdb/RECORDS");
  std::ifstream list(test::shared_data() / "qtdb/RECORDS");
  std::string rec;
  Errors qrs_on, qrs_off, t_end, p_on, p_off, paced_off, paced_lead_off;
  std::size_t records = 0, t_marked = 0;
  while (list >> rec) {
    const auto dir = test::shared_data() / "qtdb";
    auto w = read_ecg_file(dir / (rec + ".hea"));
    REQUIRE(w.ok());
    const auto d = detect_in(*w);
    const auto& r = d.r;
    const double fs = d.fs;
    const auto ref = waves_of(dir / (rec + ".q1c"));
    for (std::size_t i = 0; i < ref.size(); ++i) {
      if (ref[i].sym != 'N' || r.empty()) continue;
      auto it = std::lower_bound(r.begin(), r.end(), ref[i].peak);
      if (it == r.end() || (it != r.begin() && ref[i].peak - *(it - 1) < *it - ref[i].peak)) --it;
      if (std::llabs(*it - ref[i].peak) > std::int64_t(0.1 * fs)) continue;
      const auto f = delineate_at(d, std::size_t(it - r.begin()));
      qrs_on.add(f.qrs_on, ref[i].on, fs);
      qrs_off.add(f.qrs_off, ref[i].off, fs);
      if (rec == "sel102" || rec == "sel104") {
        paced_off.add(f.qrs_off, ref[i].off, fs);
        // Each lead's own end, the closer of the two to the mark (as Martinez et al. 2004 scored QTDB).
        std::optional<std::int64_t> closest;
        for (const auto& lead : f.per_lead)
          if (lead.qrs_off && (!closest || std::llabs(*lead.qrs_off - ref[i].off) < std::llabs(*closest - ref[i].off)))
            closest = lead.qrs_off;
        paced_lead_off.add(closest, ref[i].off, fs);
      }
      if (i > 0 && ref[i - 1].sym == 'p' && ref[i].peak - ref[i - 1].peak < std::int64_t(0.4 * fs)) {
        p_on.add(f.p_on, ref[i - 1].on, fs);
        p_off.add(f.p_off, ref[i - 1].off, fs);
      }
      if (i + 1 < ref.size() && ref[i + 1].sym == 't' && ref[i + 1].peak - ref[i].peak < std::int64_t(0.7 * fs) &&
          ref[i + 1].off >= 0) {
        ++t_marked;
        t_end.add(f.t_off, ref[i + 1].off, fs);
      }
    }
    ++records;
  }
  INFO(records << " records; QRS on " << qrs_on.mean() << " +- " << qrs_on.sd() << " ms (n " << qrs_on.ms.size()
                << "), QRS off " << qrs_off.mean() << " +- " << qrs_off.sd() << ", paced records' QRS off "
                << paced_off.mean() << " +- " << paced_off.sd() << " (n " << paced_off.ms.size()
                << "), their closer lead's own QRS off " << paced_lead_off.mean() << " +- " << paced_lead_off.sd()
                << ", T end "
                << t_end.mean() << " +- " << t_end.sd() << " (n " << t_end.ms.size() << " of " << t_marked
                << "), P on " << p_on.mean() << " +- " << p_on.sd() << ", P off " << p_off.mean() << " +- " << p_off.sd()
                << " (n " << p_on.ms.size() << ")");
  REQUIRE(records >= 10);
  REQUIRE(qrs_off.ms.size() >= 380);
  REQUIRE(paced_off.ms.size() >= 140);
  // Measured on 2026-11-29: QRS on 2.9 +- 10.3, QRS off 7.7 +- 12.7 (before: 10.7 +- 26.4), paced records' QRS off
  // 7.1 +- 17.2 (14.3 +- 40.2), T end -29.1 +- 44.2 with every marked T end delineated (47.9, 13 missed: the late
  // QRS end put the T search past the T wave), P on -5.5 +- 16.4 (before the two-lead onset rule: -15.2 +- 20.5),
  // P off 11.5 +- 18.3 (11.7 +- 18.7). T end since the T wave rising out of a shifted ST segment: -19.1 +- 37.3
  // (sel301 -103 +- 22 -> 0 +- 14). CSE 2-sigma tolerances for the SD: QRS on 6.5, QRS off 11.6, T end 30.6, P on
  // 10.2, P off 12.7. The floors keep a margin. QRS on since the two-lead onset on the spatial velocity: 3.9 +- 8.9.
  // P end no later than the leads' settling at the PR level (same day): P off 5.5 +- 17.6. T end with the two-lead
  // choice between ends by the expected QT (same day): -19.8 +- 35.6 (sel100 -2 +- 41 -> -12 +- 16). With the area
  // method's window from the wave's own time scale (2026-12-02): -16.2 +- 30.8 (sel104 -43 +- 55 -> -30 +- 52).
  CHECK(qrs_on.sd() <= 9.5);
  CHECK(std::abs(qrs_off.mean()) <= 12);
  CHECK(qrs_off.sd() <= 15);
  CHECK(paced_off.sd() <= 20);
  // A lead's own end once stopped on the flat top or trough inside a wide paced QRS (2026-11-30: -26.0 +- 43.6
  // ms); it now resumes when the lead moves steeply again before the complex ends: 0.3 +- 15.8.
  REQUIRE(paced_lead_off.ms.size() >= 140);
  CHECK(std::abs(paced_lead_off.mean()) <= 8);
  CHECK(paced_lead_off.sd() <= 20);
  CHECK(t_end.ms.size() + 3 >= t_marked);
  CHECK(t_end.sd() <= 32.0);
  CHECK(std::abs(p_on.mean()) <= 10);
  CHECK(p_on.sd() <= 17.5);
  CHECK(p_off.sd() <= 18.5);
}

/// LUDB's dev records reduced to leads II and V5 (MIT-BIH's MLII and V5), as a Holter records them: fn gets each
/// record's detections, lead II's marks and the earlier / later of the two leads' marks of each wave.
template <class Fn>
void for_each_two_lead_ludb(Fn&& fn) {
  std::ifstream list(test::shared_data() / "ludb/RECORDS.dev");
  std::string rec;
  while (list >> rec) {
    const auto dir = test::shared_data() / "ludb/data";
    auto w = read_ecg_file(dir / (rec + ".hea"));
    REQUIRE(w.ok());
    LeadSet two = *w;
    REQUIRE(two.leads.size() == 12);
    two.leads = {two.leads[1], two.leads[10]};
    const auto d = detect_in(std::move(two));
    const auto ii = waves_of(dir / (rec + ".ii"));
    fn(d, ii, global_waves({ii, waves_of(dir / (rec + ".v5"))}, 0, std::int64_t(0.08 * d.fs)));
  }
}

TEST_CASE("P boundaries on LUDB reduced to two leads, as a Holter records them, stay within their accuracy", "[ecg]") {
  // The rule for fewer than three clear leads is set on QTDB's ten dev records (250 Hz, one annotator); here it is
  // checked on other records, another rate and other annotators: LUDB's dev records reduced to leads II and V5
  // (MIT-BIH's MLII and V5), against the earlier / later of those two leads' own marks.
  ECG_REQUIRE_SHARED("ludb/RECORDS.dev");
  Errors p_on, p_off;
  std::size_t marked = 0;
  for_each_two_lead_ludb([&](const Detected& d, const std::vector<Wave>& ii, const std::vector<Wave>& both) {
    const double fs = d.fs;
    for (std::size_t i = 1; i < ii.size(); ++i) {
      if (ii[i].sym != 'N' || ii[i - 1].sym != 'p' || ii[i].peak - ii[i - 1].peak >= std::int64_t(0.4 * fs)) continue;
      const Wave& p = both[i - 1];
      const auto k = beat_near(d, ii[i].peak);
      if (!k) continue;
      const auto f = delineate_at(d, *k);
      ++marked;
      p_on.add(f.p_on, p.on, fs);
      p_off.add(f.p_off, p.off, fs);
    }
  });
  INFO("two-lead LUDB: P on " << p_on.mean() << " +- " << p_on.sd() << ", P off " << p_off.mean() << " +- "
                               << p_off.sd() << " (n " << p_on.ms.size() << " of " << marked << ")");
  REQUIRE(marked >= 340);
  // Measured on 2026-11-29: P on -5.7 +- 20.3 (before, the summed-slope walk's onset alone: -12.5 +- 22.8), P off
  // 5.9 +- 23.9, 352 of 359 P waves delineated; P off -0.4 +- 23.1 with the end no later than the leads' settling;
  // with the two-lead QRS onset on the spatial velocity as well (the PR baseline follows it): P on -4.3 +- 14.9,
  // P off 2.1 +- 18.2, 353 of 359.
  CHECK(p_on.ms.size() + 15 >= marked);
  CHECK(std::abs(p_on.mean()) <= 10);
  CHECK(p_on.sd() <= 21.5);
  CHECK(std::abs(p_off.mean()) <= 10);
  CHECK(p_off.sd() <= 24);
}

TEST_CASE("The QRS onset and T end on LUDB reduced to two leads stay within their accuracy", "[ecg]") {
  // With fewer than three clear leads the onset is the spatial velocity's, its 5% taken from Martinez 2004 and checked
  // on QTDB's dev records (250 Hz, one annotator); here on other records, rate and annotators: LUDB's dev records
  // reduced to leads II and V5, against the earlier of those two leads' marks (where the velocity's floor is needed).
  // The T end, against the later of the two marks, checks the two-lead choice between T ends by the expected QT.
  ECG_REQUIRE_SHARED("ludb/RECORDS.dev");
  Errors qrs_on, t_end;
  for_each_two_lead_ludb([&](const Detected& d, const std::vector<Wave>& ii, const std::vector<Wave>& both) {
    for (std::size_t i = 0; i < ii.size(); ++i)
      if (ii[i].sym == 'N')
        if (const auto k = beat_near(d, ii[i].peak)) {
          const auto f = delineate_at(d, *k);
          qrs_on.add(f.qrs_on, both[i].on, d.fs);
          if (i + 1 < ii.size() && ii[i + 1].sym == 't') t_end.add(f.t_off, both[i + 1].off, d.fs);
        }
  });
  INFO("two-lead LUDB: QRS on " << qrs_on.mean() << " +- " << qrs_on.sd() << " (n " << qrs_on.ms.size() << "), T end "
                                 << t_end.mean() << " +- " << t_end.sd() << " (n " << t_end.ms.size() << ")");
  REQUIRE((qrs_on.ms.size() >= 400 && t_end.ms.size() >= 400));
  // Measured on 2026-11-29: 3.7 +- 13.4 ms, 472 beats (before, the summed-slope walk's onset: -0.4 +- 16.4; the
  // spatial velocity without its floor: 0.4 +- 18.4).
  // T end (same day): 4.3 +- 30.6 with the largest lead's end, 1.8 +- 25.0 with the choice by the expected QT;
  // -4.2 +- 24.3 with the area method's window from the wave's own time scale (2026-12-02).
  CHECK(std::abs(qrs_on.mean()) <= 6);
  CHECK(qrs_on.sd() <= 14);
  CHECK(std::abs(t_end.mean()) <= 8);
  CHECK(t_end.sd() <= 25.5);
}

TEST_CASE("A pacemaker spike before the QRS does not pull the QRS onset earlier", "[ecg]") {
  test::Synth o;
  o.seconds = 6;
  auto clean = test::synth_ecg(o);
  auto paced = clean;
  // A one-sample 2 mV spike 20 ms before each QRS onset, in every lead, as a 500 Hz recorder shows a pacemaker.
  for (double t = 0.5; t < o.seconds - 0.6; t += 60.0 / o.hr)
    for (auto& l : paced.leads) l.uv[std::size_t((t - 0.02) * o.fs)] += 2000;
  const auto r = detect_qrs(clean);
  REQUIRE(r.size() >= 5);
  for (std::size_t k = 1; k + 1 < r.size(); ++k) {
    const auto a = delineate_beat(clean, r[k], r[k - 1], r[k + 1]);
    const auto b = delineate_beat(paced, r[k], r[k - 1], r[k + 1]);
    REQUIRE((a.qrs_on && b.qrs_on));
    INFO("beat " << k << ": onset " << *a.qrs_on << " without the spike, " << *b.qrs_on << " with it");
    CHECK(std::llabs(*b.qrs_on - *a.qrs_on) <= 2);  // 4 ms
  }
}

TEST_CASE("A pacemaker spike at 250 Hz does not end the paced QRS before the complex", "[ecg]") {
  // As QTDB's paced records (MIT-BIH 102 and 104 resampled to 250 Hz) show the stimulus in two leads: a rise of 1 mV
  // over two samples, a fall over two more onto a tail the recorder lets decay, then a broad, low paced QRS. The
  // spike's slope set the QRS's thresholds and its still tail ended the QRS before the complex had begun (76 ms
  // early on four of the seven beats); bridged, the QRS ends where the synthetic complex does.
  test::Synth o;
  o.fs = 250;
  o.seconds = 8;
  o.p_waves = false;
  o.wide_monophasic = true;
  o.qrs_ms = 140;
  o.r_uv = 400;
  auto w = test::synth_ecg(o);
  w.leads = {w.leads[1], w.leads[10]};  // II and V5, as a two-lead Holter records them
  std::vector<std::size_t> onsets;
  for (double t = 0.5; t < o.seconds - 0.6; t += 60.0 / o.hr) onsets.push_back(std::size_t(std::lround(t * o.fs)));
  for (auto q : onsets)
    for (auto& l : w.leads) {
      const float spike[] = {250, 1000, 600, 250, 150, 80};  // from 24 ms before the QRS
      for (std::size_t j = 0; j < 6; ++j) l.uv[q - 6 + j] += spike[j];
    }
  LeadSet s = w;
  condition_signals(s);
  const auto r = detect_qrs(s);
  REQUIRE(r.size() >= 6);
  for (std::size_t k = 1; k + 1 < r.size(); ++k) {
    // The beat's QRS: the one starting nearest the detection, which may lie on the spike just before it.
    const auto it = std::lower_bound(onsets.begin(), onsets.end(), std::size_t(r[k]) - std::size_t(0.1 * o.fs));
    REQUIRE(it != onsets.end());
    const auto end = std::int64_t(*it) + std::llround(o.qrs_ms / 1000 * o.fs);
    const auto f = delineate_beat(s, r[k], r[k - 1], r[k + 1]);
    REQUIRE(f.qrs_off);
    INFO("beat " << k << ": QRS ends at " << end << ", found at " << *f.qrs_off);
    CHECK(std::llabs(*f.qrs_off - end) <= 2);  // 8 ms
  }
}

TEST_CASE("A T wave rising out of a depressed ST segment ends after the T wave, not where the ST returns", "[ecg]") {
  // As QTDB sel301 (ST-change database) shows it at 250 Hz in two leads: the ST segment depressed 240 µV after the
  // J point and sloping down to 400 µV, then a T wave rising out of it to 150 µV above the baseline and ending 430
  // ms after the QRS onset. The largest deviation from the PR baseline is the ST segment; taken for the T wave, it
  // ended the T wave where the ST segment returns: 113-115 ms early here before the hump rule, within 2 ms with it
  // (sel301: -103 ms on every beat).
  test::Synth o;
  o.fs = 250;
  o.seconds = 8;
  o.t_uv = 0;
  auto w = test::synth_ecg(o);
  w.leads = {w.leads[1], w.leads[10]};  // II and V5, as a two-lead Holter records them
  // Seconds after the QRS onset: the J point, the deepest ST, the T peak, the T end.
  const double qrs = o.qrs_ms / 1000, deep_s = 0.23, top_s = 0.33, end_s = 0.43;
  auto st_t = [&](double u) {  // u: seconds after the QRS onset
    const double depth = 400, top = 150;
    auto rise = [](double x) { return (1 - std::cos(std::numbers::pi * std::clamp(x, 0.0, 1.0))) / 2; };
    if (u < qrs || u >= end_s) return 0.0;
    if (u < deep_s) return -depth * (0.6 + 0.4 * (u - qrs) / (deep_s - qrs)) * rise((u - qrs) / 0.02);
    if (u < top_s) return -depth + (depth + top) * rise((u - deep_s) / (top_s - deep_s));
    return top * (1 - rise((u - top_s) / (end_s - top_s)));
  };
  std::vector<double> onsets;
  for (double t = 0.5; t < o.seconds - 0.6; t += 60.0 / o.hr) onsets.push_back(t);
  for (double q : onsets)
    for (auto& l : w.leads)
      for (auto k = std::size_t(q * o.fs); k < std::size_t((q + end_s) * o.fs) + 2; ++k)
        l.uv[k] += float(st_t(double(k) / o.fs - q));
  LeadSet s = w;
  condition_signals(s);
  const auto r = detect_qrs(s);
  REQUIRE(r.size() >= 6);
  for (std::size_t k = 1; k + 1 < r.size(); ++k) {
    const auto it = std::upper_bound(onsets.begin(), onsets.end(), double(r[k]) / o.fs);
    REQUIRE(it != onsets.begin());
    const double truth = (*(it - 1) + end_s) * o.fs;
    const auto f = delineate_beat(s, r[k], r[k - 1], r[k + 1]);
    REQUIRE(f.t_off);
    const double err = (double(*f.t_off) - truth) * 1000 / o.fs;
    INFO("beat " << k << ": T ends at " << truth << ", found at " << *f.t_off << " (" << err << " ms)");
    CHECK(std::abs(err) <= 30);
  }
}

TEST_CASE("A recorder's blanking of the pacemaker stimulus ends the search for the QRS onset", "[ecg]") {
  // As LUDB 90 and 111 show it: a slow rise into the stimulus, every lead held still for 16 ms (the recorder
  // blanking the spike), then the paced QRS. Without the hold rule the rise is taken for the start of the QRS.
  test::Synth o;
  o.seconds = 6;
  o.noise_uv = 0;  // a hold is exactly still; noise would be blanked too
  auto paced = test::synth_ecg(o);
  const auto at = [&](double t) { return std::int64_t(std::llround(t * o.fs)); };
  std::vector<std::int64_t> onsets;
  for (double t = 0.5; t < o.seconds - 0.6; t += 60.0 / o.hr) onsets.push_back(at(t));
  for (auto q : onsets)
    for (auto& l : paced.leads) {
      const std::int64_t rise = q - at(0.040), hold = q - at(0.016);
      for (std::int64_t k = rise; k < hold; ++k) l.uv[std::size_t(k)] += 250.0f * float(k - rise) / float(hold - rise);
      for (std::int64_t k = hold; k < q; ++k) l.uv[std::size_t(k)] = l.uv[std::size_t(hold - 1)];
    }
  const auto r = detect_qrs(paced);
  REQUIRE(r.size() >= 5);
  std::size_t checked = 0;
  for (std::size_t k = 1; k + 1 < r.size(); ++k) {
    const auto it = std::upper_bound(onsets.begin(), onsets.end(), r[k]);
    REQUIRE(it != onsets.begin());
    const std::int64_t q = *(it - 1);
    const auto f = delineate_beat(paced, r[k], r[k - 1], r[k + 1]);
    REQUIRE(f.qrs_on);
    INFO("beat " << k << ": QRS starts at " << q << ", onset found at " << *f.qrs_on);
    CHECK(*f.qrs_on >= q);
    CHECK(*f.qrs_on <= q + 5);  // 10 ms: the synthetic QRS rises slowly from its start
    ++checked;
  }
  CHECK(checked >= 4);
}

TEST_CASE("P wave boundaries on a synthetic ECG lie at the wave's true onset and end, in every lead that shows it", "[ecg]") {
  // Half-sine P waves of known onset and length (upright in II, inverted in aVR), at 500 Hz and at QTDB's 250 Hz:
  // the wavelet scale follows the sampling rate, and each lead is bounded on its own transform. Measured: onsets
  // 5-18 ms early and ends 7-13 ms late at either rate (the transform at scale 2^4 spreads the corner where a
  // half-sine starts); a walk that ran into the PR segment or the QRS would be 30 ms off or more.
  for (double fs : {500.0, 250.0}) {
    for (double p_ms : {80.0, 120.0}) {
      test::Synth o;
      o.fs = fs;
      o.seconds = 6;
      o.p_ms = p_ms;
      auto w = test::synth_ecg(o);
      LeadSet s = w;
      condition_signals(s);
      const auto r = detect_qrs(s);
      REQUIRE(r.size() >= 5);
      std::size_t checked = 0;
      for (std::size_t k = 1; k + 1 < r.size(); ++k) {
        const auto f = delineate_beat(s, r[k], r[k - 1], r[k + 1]);
        REQUIRE((f.p_on && f.p_off && f.qrs_on));
        // The true P onset: pr_ms before the QRS onset that precedes this R peak.
        const double qrs_start = std::floor((double(r[k]) / fs - 0.5) * o.hr / 60.0 + 0.5) * 60.0 / o.hr + 0.5;
        const double p_on = (qrs_start - o.pr_ms / 1000) * fs, p_off = p_on + p_ms / 1000 * fs;
        const auto err = [&](std::int64_t ours, double truth) { return (double(ours) - truth) * 1000.0 / fs; };
        INFO("fs " << fs << ", P " << p_ms << " ms, beat " << k << ": P on " << err(*f.p_on, p_on) << " ms, P off "
                   << err(*f.p_off, p_off) << " ms");
        CHECK(std::abs(err(*f.p_on, p_on)) <= 20);
        CHECK(std::abs(err(*f.p_off, p_off)) <= 16);
        for (std::size_t l : {std::size_t(1), std::size_t(3)}) {  // II upright, aVR inverted
          const auto& b = f.per_lead[l];
          REQUIRE((b.p_on && b.p_off));
          INFO("lead " << l << ": P on " << err(*b.p_on, p_on) << " ms, P off " << err(*b.p_off, p_off) << " ms");
          CHECK(std::abs(err(*b.p_on, p_on)) <= 20);
          CHECK(std::abs(err(*b.p_off, p_off)) <= 16);
        }
        ++checked;
      }
      CHECK(checked >= 4);
    }
  }
}
