// A tremor at a limb electrode (Parkinsonian, essential, shivering) draws regular 4-12 Hz waves in the limb leads,
// which the analysis took for atrial flutter waves. It is named (limb_tremor) by what only a limb electrode makes:
// the same oscillation, at the same size, in all six chest leads (through Wilson's central terminal); flutter is then
// not stated from those waves, and the P-axis check for swapped limb electrodes is not made.
#include <catch2/catch.hpp>
#include <fstream>
#include <random>

#include "ecg_test_data.hpp"
#include "statement_checks.hpp"
#include "synthetic_ecg.hpp"
#include "teledx/ecg/analysis.hpp"
#include "teledx/ecg/evaluation.hpp"

using namespace teledx::ecg;
using teledx::ecg::test::has;
using teledx::ecg::test::synth_ecg;

namespace {

const Statement* find(const std::vector<Statement>& list, const std::string& code) {
  for (const auto& s : list)
    if (s.code == code) return &s;
  return nullptr;
}

}  // namespace

TEST_CASE("A 5-Hz tremor at the left arm is named limb tremor and not called atrial flutter", "[ecg][tremor]") {
  const Waveform clean = synth_ecg({});
  const auto before = analyze(clean);
  CHECK_FALSE(has(before.quality, "limb_tremor"));
  REQUIRE(has(before.rhythm, "sinus_rhythm"));

  Waveform shaking = clean;
  add_limb_tremor(shaking, 5.0, 150);
  const auto a = analyze(shaking);
  const Statement* q = find(a.quality, "limb_tremor");
  REQUIRE(q != nullptr);
  CHECK(q->severity == Severity::Warning);
  CHECK(q->text.find("5.0 Hz") != std::string::npos);
  CHECK(q->text_zh.find("5.0 Hz") != std::string::npos);
  CHECK(q->text_zh.find("肢体震颤干扰") == 0);
  CHECK_FALSE(has(a.rhythm, "atrial_flutter"));
  CHECK_FALSE(has(a.quality, "limb_lead_reversal_suspected"));
}

TEST_CASE("Tremor at either arm or the left leg, from 4 to 10 Hz, is named", "[ecg][tremor]") {
  const Waveform clean = synth_ecg({});
  for (const LimbElectrodes moving : {LimbElectrodes{true, false, false}, LimbElectrodes{false, true, false},
                                      LimbElectrodes{false, false, true}, LimbElectrodes{true, true, true}})
    for (double hz : {4.0, 6.0, 8.0, 10.0}) {
      INFO("LA " << moving.left_arm << " RA " << moving.right_arm << " LL " << moving.left_leg << ", " << hz << " Hz");
      Waveform w = clean;
      add_limb_tremor(w, hz, 150, moving);
      const auto a = analyze(w);
      CHECK(has(a.quality, "limb_tremor"));
      CHECK_FALSE(has(a.rhythm, "atrial_flutter"));
    }
}

TEST_CASE("Atrial fibrillation waves, which differ from V1 to V6, are not taken for a tremor", "[ecg][tremor]") {
  teledx::ecg::test::Synth s;
  s.p_waves = false, s.fibrillation_uv = 40;
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> rr(0.24, 0.38);  // rapid: the T waves are left uncancelled, alike in V1-V6
  for (double t = 0.4; t < 9.5; t += rr(rng)) s.r_times.push_back(t);
  const auto a = analyze(synth_ecg(s));
  CHECK(has(a.rhythm, "atrial_fibrillation"));
  CHECK_FALSE(has(a.quality, "limb_tremor"));
}

TEST_CASE("LUDB development records are not named limb tremor, and with an arm tremor added they are instead of flutter",
          "[ecg][tremor]") {
  ECG_REQUIRE_SHARED("ludb/RECORDS.dev");
  std::ifstream list(teledx::ecg::test::shared_data() / "ludb/RECORDS.dev");
  std::string rec;
  int records = 0, named_clean = 0, named = 0, flutter_clean = 0, flutter = 0;
  while (list >> rec) {
    auto w = read_ecg_file(teledx::ecg::test::shared_data() / "ludb/data" / (rec + ".hea"));
    REQUIRE(w.ok());
    ++records;
    const auto clean = analyze(*w);
    named_clean += has(clean.quality, "limb_tremor");
    flutter_clean += has(clean.rhythm, "atrial_flutter");
    add_limb_tremor(*w, 5.0, 150, {}, double(records) * 0.7);
    const auto shaking = analyze(*w);
    named += has(shaking.quality, "limb_tremor");
    flutter += has(shaking.rhythm, "atrial_flutter");
  }
  REQUIRE(records == 51);
  CHECK(named_clean == 0);
  CHECK(flutter_clean == 1);  // LUDB 52, atrial flutter
  // Before the check: 0 named, and 10 of the 51 called atrial flutter (now 49 named, 1 flutter).
  CHECK(named >= 47);
  CHECK(flutter <= 2);
}
