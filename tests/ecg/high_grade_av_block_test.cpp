// High-grade AV block (高度房室传导阻滞) and the sinus rate beside any AV block: ECGs built with P waves at known
// times, conducted at a fixed PR in patterns of 3:1, 2:1 and both, and the look-alikes that are not (complete block's
// own checks: analysis_test.cpp).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "statement_checks.hpp"
#include "synthetic_ecg.hpp"
#include "teledx/ecg/analysis.hpp"

using namespace teledx::ecg;
using teledx::ecg::test::conduction_pattern;
using teledx::ecg::test::find_statement;
using teledx::ecg::test::has;
using teledx::ecg::test::Synth;
using teledx::ecg::test::synth_ecg;

namespace {

std::string rhythm_of(const Analysis& a) {
  std::string out;
  for (const auto& s : a.rhythm) out += s.code + ": " + s.text + " | " + s.text_zh + "\n";
  return out;
}

}  // namespace

TEST_CASE("3:1 conduction is high-grade AV block at the P waves' sinus rate, not sinus bradycardia") {
  // Atria at 91/min, every third P wave conducted: ventricles at 30/min, which read as sinus bradycardia before.
  const auto a = analyze(synth_ecg(conduction_pattern(0.66, {true, false, false}, 12)));
  INFO(rhythm_of(a));
  const Statement* block = find_statement(a.rhythm, "high_grade_av_block");
  REQUIRE(block);
  CHECK(block->text == "High-grade AV block suspected: 3:1 conduction, two or more P waves in a row not conducted; atrial "
                       "rate 91/min, ventricular rate 30/min");
  CHECK(block->text_zh == "高度房室传导阻滞（疑似）：3:1 下传，连续 2 个及以上 P 波未下传；心房率 91 次/分，心室率 30 次/分");
  CHECK(block->severity == Severity::Warning);
  const Statement* sinus = find_statement(a.rhythm, "sinus_rhythm");
  REQUIRE(sinus);
  CHECK(sinus->text == "Sinus rhythm, atrial rate 91/min");
  CHECK_FALSE(has(a.rhythm, "sinus_bradycardia"));
  CHECK_FALSE(has(a.rhythm, "second_degree_av_block_2to1"));
  CHECK_FALSE(has(a.rhythm, "third_degree_av_block_suspected"));
  // The ventricular rate under 35/min is the consensus's critical bradycardia (高度房室阻滞, 心室率 ≤35), and the
  // flag names the block.
  const Statement* flag = find_statement(a.critical, "critical_bradycardia");
  REQUIRE(flag);
  CHECK(flag->text.find("ventricular rate 30/min (< 35/min), high-grade AV block suspected") != std::string::npos);
  CHECK(flag->text_zh.find("严重心动过缓：心室率 30 次/分（<35 次/分），高度房室传导阻滞（疑似）") != std::string::npos);
}

TEST_CASE("2:1 and 3:1 conduction mixed is high-grade AV block, not premature beats, sinus arrhythmia or AF") {
  // Atria at 100/min; conducted, blocked, conducted, blocked, blocked: intervals of 1.2 and 1.8 s in turn.
  const auto a = analyze(synth_ecg(conduction_pattern(0.6, {true, false, true, false, false})));
  INFO(rhythm_of(a));
  const Statement* block = find_statement(a.rhythm, "high_grade_av_block");
  REQUIRE(block);
  CHECK(block->text.rfind("High-grade AV block suspected: 2:1 to 3:1 conduction", 0) == 0);
  CHECK(block->text_zh.rfind("高度房室传导阻滞（疑似）：2:1～3:1 下传", 0) == 0);
  CHECK(has(a.rhythm, "sinus_rhythm"));
  CHECK_FALSE(has(a.rhythm, "supraventricular_premature_beats"));
  CHECK_FALSE(has(a.rhythm, "sinus_arrhythmia"));
  CHECK_FALSE(has(a.rhythm, "atrial_fibrillation"));
  CHECK_FALSE(has(a.critical, "critical_bradycardia"));  // 40/min
}

TEST_CASE("2:1 block stays 2:1 and names sinus rhythm by the atrial rate") {
  const auto a = analyze(synth_ecg(conduction_pattern(0.8, {true, false}, 12)));
  INFO(rhythm_of(a));
  CHECK(has(a.rhythm, "second_degree_av_block_2to1"));
  CHECK_FALSE(has(a.rhythm, "high_grade_av_block"));
  const Statement* sinus = find_statement(a.rhythm, "sinus_rhythm");
  REQUIRE(sinus);
  CHECK(sinus->text == "Sinus rhythm, atrial rate 75/min");
  CHECK(sinus->text_zh == "窦性心律，心房率 75 次/分");
  // At an atrial rate of 110/min the sinus node runs fast, while the ventricles are at 55.
  const auto fast = analyze(synth_ecg(conduction_pattern(0.545, {true, false}, 12)));
  INFO(rhythm_of(fast));
  CHECK(has(fast.rhythm, "second_degree_av_block_2to1"));
  CHECK(has(fast.rhythm, "sinus_tachycardia"));
}

TEST_CASE("slow sinus rhythm, a sinus pause and complete block are not high-grade AV block") {
  // Sinus bradycardia at 40/min: one P wave to each QRS, named by the ventricular rate as before.
  Synth slow;
  slow.seconds = 12, slow.hr = 40;
  const auto a = analyze(synth_ecg(slow));
  INFO(rhythm_of(a));
  CHECK_FALSE(has(a.rhythm, "high_grade_av_block"));
  const Statement* sinus = find_statement(a.rhythm, "sinus_bradycardia");
  REQUIRE(sinus);
  CHECK(sinus->text == "Sinus bradycardia, 40/min");
  // The sinus node silent for 2.4 s between conducted beats: no P waves in the pause, so none blocked.
  Synth pause;
  pause.seconds = 12, pause.r_times = {0.5, 1.5, 2.5, 3.5, 5.9, 6.9, 7.9, 8.9, 9.9, 10.9};
  const auto p = analyze(synth_ecg(pause));
  INFO(rhythm_of(p));
  CHECK_FALSE(has(p.rhythm, "high_grade_av_block"));
  // Atria at 88/min and ventricles at 40/min, unrelated: the P-R changes from beat to beat (third degree).
  Synth complete;
  complete.seconds = 12, complete.hr = 40, complete.qrs_ms = 110, complete.qt_ms = 440;
  for (double t = 0.2; t < 11.8; t += 0.68) complete.p_times.push_back(t);
  const auto c = analyze(synth_ecg(complete));
  INFO(rhythm_of(c));
  CHECK(has(c.rhythm, "third_degree_av_block_suspected"));
  CHECK_FALSE(has(c.rhythm, "high_grade_av_block"));
  CHECK(has(c.rhythm, "sinus_rhythm"));  // at the P waves' 88/min
}
