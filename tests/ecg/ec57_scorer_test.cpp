#include "teledx/ecg/evaluation.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "ecg_test_data.hpp"
#include "support/temp_dir.hpp"
#include "teledx/ecg/processing.hpp"

using namespace teledx::ecg;

namespace {

constexpr int k_normal = 1, k_pvc = 5, k_rhythm = 28, k_vf_on = 32, k_vf_off = 33, k_pwave = 24;

Annotation mark(std::int64_t sample, int code = k_normal) { return {sample, code, 0, 0, 0, {}}; }

/// A beat every second at 360 Hz, from 1 s to `seconds`.
std::vector<Annotation> regular_beats(int seconds, std::int64_t shift = 0) {
  std::vector<Annotation> out;
  for (int s = 1; s <= seconds; ++s) out.push_back(mark(std::int64_t(s) * 360 + shift));
  return out;
}

Ec57Options from_start() {
  Ec57Options o;
  o.start_s = 0;
  return o;
}

}  // namespace

TEST_CASE("EC57 scoring pairs beats within 150 ms and counts the others as missed and extra", "[ecg][ec57]") {
  const auto ref = regular_beats(20);
  CHECK(score_ec57(ref, regular_beats(20, 54), 360, from_start()).tp == 20);  // 150 ms at 360 Hz is 54 samples
  auto test = regular_beats(20);
  test[5].sample += 55;  // 153 ms late: no longer the same beat
  test.erase(test.begin() + 12);
  const auto t = score_ec57(ref, test, 360, from_start());
  CHECK(t.tp == 18);
  CHECK(t.fn == 2);
  CHECK(t.fp == 1);
  CHECK(*t.sensitivity() == Approx(90.0));
  CHECK(*t.positive_predictivity() == Approx(100.0 * 18 / 19));
}

TEST_CASE("EC57 scoring pairs the closer of two detections and counts the other one as extra", "[ecg][ec57]") {
  const auto ref = regular_beats(10);
  auto test = regular_beats(10);
  test.insert(test.begin() + 4, mark(ref[4].sample - 30));  // a double detection 83 ms before beat 5
  std::sort(test.begin(), test.end(), [](auto& a, auto& b) { return a.sample < b.sample; });
  const auto t = score_ec57(ref, test, 360, from_start());
  CHECK(t.tp == 10);
  CHECK(t.fn == 0);
  CHECK(t.fp == 1);
}

TEST_CASE("EC57 scoring skips the learning period, non-beat marks and reference VF episodes", "[ecg][ec57]") {
  // 400 s of beats; the detector misses every beat of the first 5 minutes, which EC57 does not score.
  auto ref = regular_beats(400);
  std::vector<Annotation> test;
  for (const auto& b : ref)
    if (b.sample >= 300 * 360) test.push_back(b);
  // Rhythm and P-wave marks in the reference are not beats; a PVC is.
  ref.push_back(mark(350 * 360 + 100, k_rhythm));
  ref.push_back(mark(351 * 360 + 100, k_pwave));
  ref.push_back(mark(352 * 360 + 180, k_pvc));
  test.push_back(mark(352 * 360 + 180));
  // Reference VF from 380.5 s to 390.5 s: its beats are not scored, and detections inside it are not extra.
  ref.push_back(mark(380 * 360 + 180, k_vf_on));
  ref.push_back(mark(390 * 360 + 180, k_vf_off));
  test.push_back(mark(385 * 360 + 90));
  for (auto* v : {&ref, &test}) std::sort(v->begin(), v->end(), [](auto& a, auto& b) { return a.sample < b.sample; });
  const auto t = score_ec57(ref, test, 360);
  CHECK(t.fn == 0);
  CHECK(t.fp == 0);
  CHECK(t.tp == 101 + 1 - 10);  // beats 300..400 s, the PVC, less the ten beats inside VF
}

TEST_CASE("EC57 gross pools the counts and average is the mean of the records' percentages", "[ecg][ec57]") {
  const std::vector<Ec57Tally> records{{90, 10, 0}, {10, 0, 10}, {0, 0, 0}};
  const auto s = summarize_ec57(records);
  CHECK(s.tp == 100);
  CHECK(*s.gross_se == Approx(100.0 * 100 / 110));
  CHECK(*s.gross_ppv == Approx(100.0 * 100 / 110));
  CHECK(*s.average_se == Approx((90.0 + 100.0) / 2));  // the empty record has no Se and is left out
  CHECK(*s.average_ppv == Approx((100.0 + 50.0) / 2));
}

TEST_CASE("EC57 scoring agrees beat for beat with the reference scorer on the MIT-BIH development records",
          "[ecg][ec57]") {
  ECG_REQUIRE_SHARED("mitdb/RECORDS");
  const auto scorer = test::shared_data() / "../../tools/qrs_score.py";
  if (!std::filesystem::exists(scorer) || std::system("python3 -c 'import json' >/dev/null 2>&1") != 0) {
    WARN("skipped: python3 or " + scorer.string() + " not present");
    return;
  }
  teledx::test::TempDir tmp("teledx-ec57");
  const auto& dir = tmp.path();
  // Our detections, and a damaged copy of them that exercises the pairing rules: every 37th beat dropped, every
  // 41st moved 140-160 ms, an extra beat 60-100 ms after every 53rd. Scored from 0 s and from 300 s.
  std::map<std::string, std::vector<Ec57Tally>> ours;  // variant -> per record
  std::vector<std::string> records;
  std::ifstream list(test::shared_data() / "mitdb/RECORDS");
  for (std::string rec; list >> rec;) {
    auto w = read_wfdb_file(test::shared_data() / "mitdb" / (rec + ".hea"));
    auto bytes = read_file_bytes(test::shared_data() / "mitdb" / (rec + ".atr"));
    REQUIRE(w.ok());
    REQUIRE(bytes.ok());
    auto ref = read_wfdb_annotations(*bytes);
    REQUIRE(ref.ok());
    LeadSet c = *w;
    condition_signals(c);
    const auto r = detect_qrs(c);
    std::vector<Annotation> clean, damaged;
    for (std::size_t i = 0; i < r.size(); ++i) {
      clean.push_back(mark(r[i]));
      if (i % 37 == 5) continue;
      damaged.push_back(mark(r[i] + (i % 41 == 7 ? std::int64_t(50 + i % 9) : 0)));
      if (i % 53 == 11) damaged.push_back(mark(r[i] + std::int64_t(22 + i % 15)));
    }
    std::sort(damaged.begin(), damaged.end(), [](auto& a, auto& b) { return a.sample < b.sample; });
    for (const auto& [name, beats] : {std::pair{"clean", &clean}, std::pair{"damaged", &damaged}}) {
      std::filesystem::create_directories(dir / name);
      std::ofstream f(dir / name / (rec + ".txt"));
      for (const auto& b : *beats) f << b.sample << "\n";
      for (double start : {0.0, 300.0}) {
        Ec57Options o;
        o.start_s = start;
        o.end_sample = std::int64_t(w->sample_count());
        ours[std::string(name) + (start > 0 ? "/300" : "/0")].push_back(score_ec57(*ref, *beats, w->sample_rate_hz, o));
      }
    }
    records.push_back(rec);
  }
  REQUIRE(records.size() >= 5);
  long compared = 0, damaged_errors = 0;
  for (const auto& [variant, tallies] : ours) {
    const auto name = variant.substr(0, variant.find('/'));
    const auto start = variant.substr(variant.find('/') + 1);
    const auto json_path = dir / (name + "-" + start + ".json");
    const std::string cmd = "python3 '" + scorer.string() + "' --ref-dir '" + (test::shared_data() / "mitdb").string() +
                            "' --test-dir '" + (dir / name).string() + "' --test-ext txt --start " + start +
                            " --json '" + json_path.string() + "' >/dev/null";
    REQUIRE(std::system(cmd.c_str()) == 0);
    std::ifstream in(json_path);
    const auto j = nlohmann::json::parse(in);
    REQUIRE(j["records"].size() == tallies.size());
    for (std::size_t i = 0; i < tallies.size(); ++i) {
      INFO(variant << " record " << records[i]);
      CHECK(j["records"][i]["record"] == records[i]);
      CHECK(j["records"][i]["TP"] == tallies[i].tp);
      CHECK(j["records"][i]["FN"] == tallies[i].fn);
      CHECK(j["records"][i]["FP"] == tallies[i].fp);
      ++compared;
      if (name == "damaged") damaged_errors += tallies[i].fn + tallies[i].fp;
    }
  }
  CHECK(compared == long(records.size()) * 4);
  CHECK(damaged_errors > 1000);  // the damaged copies did exercise the unmatched paths
}

TEST_CASE("Wave marks become waves, and a per-lead set becomes global waves of earliest onset and latest end",
          "[ecg][ec57]") {
  constexpr int on = 39, end = 40, p = 24, t = 27;
  // Lead A: a P wave 100-140-180, a QRS without its onset 300-330, a T wave 400-460-520; a stray end mark.
  const std::vector<Annotation> a{mark(100, on), mark(140, p), mark(180, end), mark(330, k_normal), mark(360, end),
                                  mark(370, end), mark(400, on), mark(460, t), mark(520, end)};
  const auto wa = annotated_waves(a);
  REQUIRE(wa.size() == 3);
  CHECK((wa[0].sym == 'p' && wa[0].on == 100 && wa[0].peak == 140 && wa[0].off == 180));
  CHECK((wa[1].sym == 'N' && wa[1].on == -1 && wa[1].off == 360));  // the second end mark belongs to no wave
  CHECK((wa[2].sym == 't' && wa[2].on == 400 && wa[2].off == 520));
  // Lead B marks the same P earlier and the T later; its QRS peak is too far from A's to be the same wave.
  const auto wb = annotated_waves({mark(90, on), mark(150, p), mark(175, end), mark(300, on), mark(380, k_normal),
                                   mark(400, end), mark(410, on), mark(470, t), mark(540, end)});
  const auto g = global_waves({wa, wb}, 0, 20);
  REQUIRE(g.size() == 3);
  CHECK((g[0].on == 90 && g[0].off == 180));
  CHECK((g[1].on == -1 && g[1].off == 360));
  CHECK((g[2].on == 400 && g[2].off == 540));
}
