// Complete bundle branch block statements: on ECGs built with the textbook's shapes, and against LUDB's labels.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <string>

#include "ecg_test_data.hpp"
#include "synthetic_ecg.hpp"
#include "teledx/ecg/analysis.hpp"
#include "teledx/ecg/readers.hpp"

using namespace teledx::ecg;
using teledx::ecg::test::hann;
using teledx::ecg::test::Synth;
using teledx::ecg::test::synth_ecg;

namespace {

std::string bbb_codes(const Analysis& a) {
  std::string out;
  for (const auto& s : a.rhythm)
    if (s.code == "complete_rbbb" || s.code == "complete_lbbb") out += s.code + " ";
  return out;
}

/// A sinus ECG whose QRS (90 ms) gets a late 60 ms wave after it, pointing right and forward (frontal 180°, toward
/// V1 and away from V6): the right ventricle depolarising last, a QRS of about 150 ms with a terminal R' in V1 and a
/// terminal S in I and V6. The wave projects on every lead as a heart's vector does (aVF: none).
Waveform right_block(const std::vector<Lead>& off = {}) {
  Synth s;
  s.seconds = 10;
  for (double t = 0.5; t < 9.4; t += 0.8) s.r_times.push_back(t);
  s.flat = off;
  Waveform w = synth_ecg(s);
  const std::map<Lead, double> weight{{Lead::I, -1},    {Lead::II, -0.5}, {Lead::III, 0.5}, {Lead::aVR, 0.87},
                                      {Lead::aVL, -0.87}, {Lead::aVF, 0},  {Lead::V1, 1},    {Lead::V2, 0.7},
                                      {Lead::V3, 0.2},    {Lead::V4, -0.2}, {Lead::V5, -0.4}, {Lead::V6, -0.5}};
  for (auto& l : w.leads) {
    const double k = 500 * weight.at(l.lead);
    if (k == 0 || std::find(off.begin(), off.end(), l.lead) != off.end()) continue;
    for (std::size_t n = 0; n < l.uv.size(); ++n) {
      const double t = double(n) / s.fs;
      for (double q : s.r_times) l.uv[n] += float(k * hann(t, q + 0.08, q + 0.14));
    }
  }
  return w;
}

}  // namespace

TEST_CASE("a wide QRS with a terminal R in V1 and a terminal S in I and V6 is complete right bundle branch block") {
  const auto a = analyze(right_block());
  REQUIRE(a.measurements.qrs);
  CHECK(*a.measurements.qrs >= 120);
  CHECK(bbb_codes(a) == "complete_rbbb ");
  for (const auto& s : a.rhythm)
    if (s.code == "complete_rbbb") CHECK(s.text_zh.rfind("完全性右束支传导阻滞（疑似）：QRS ", 0) == 0);
}

TEST_CASE("a wide QRS negative in V1 and upright without q in I and V6 is complete left bundle branch block") {
  const auto a = analyze(synth_ecg(teledx::ecg::test::left_bundle_branch_block()));
  REQUIRE(a.measurements.qrs);
  CHECK(*a.measurements.qrs >= 120);
  CHECK(bbb_codes(a) == "complete_lbbb ");
}

TEST_CASE("ST depression beside a wide QRS is stated as possibly secondary, beside a narrow one bare") {
  // LBBB moves the ST segment against the QRS's main deflection: depressed in V5 and V6, where its R stands.
  Synth lbbb = teledx::ecg::test::left_bundle_branch_block();
  lbbb.st_uv = {{Lead::V5, -150}, {Lead::V6, -150}};
  Synth narrow;
  narrow.st_uv = lbbb.st_uv;
  for (const auto& [s, wide] : {std::pair{lbbb, true}, std::pair{narrow, false}}) {
    const auto a = analyze(synth_ecg(s));
    int depressions = 0;
    for (const auto& st : a.rhythm)
      if (st.code == "st_depression") {
        INFO(st.text << " | " << st.text_zh);
        ++depressions;
        CHECK((st.text.find("(QRS >= 120 ms: may be secondary to bundle branch block or pacing)") != std::string::npos) == wide);
        CHECK((st.text_zh.find("（QRS ≥120 ms：可为束支传导阻滞或起搏所致继发性改变）") != std::string::npos) == wide);
      }
    CHECK(depressions == 2);
  }
}

TEST_CASE("no bundle branch block on a narrow QRS nor when V1 is off") {
  CHECK(bbb_codes(analyze(synth_ecg(Synth{}))).empty());
  CHECK(bbb_codes(analyze(right_block({Lead::V1}))).empty());
}

TEST_CASE("complete bundle branch blocks are stated on exactly the LUDB development records labelled so") {
  ECG_REQUIRE_SHARED("ludb/RECORDS.dev");
  const auto dir = teledx::ecg::test::shared_data() / "ludb";
  std::ifstream list(dir / "RECORDS.dev");
  int records = 0, labelled = 0;
  for (std::string rec; list >> rec;) {
    std::ifstream hea(dir / "data" / (rec + ".hea"));
    std::string line, want;
    while (std::getline(hea, line)) {
      if (line.find("Complete right bundle branch block") != std::string::npos) want += "complete_rbbb ";
      if (line.find("Complete left bundle branch block") != std::string::npos) want += "complete_lbbb ";
    }
    auto w = read_ecg_file(dir / "data" / (rec + ".hea"));
    REQUIRE(w.ok());
    INFO("LUDB " << rec);
    CHECK(bbb_codes(analyze(*w)) == want);
    ++records, labelled += !want.empty();
  }
  CHECK(records == 51);
  CHECK(labelled == 3);  // 10 and 116 right, 44 left
}
