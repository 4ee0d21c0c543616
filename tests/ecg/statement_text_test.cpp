// The machine's statements in Chinese: the county ECG center reads in Chinese and the clinic files a Chinese paper,
// so every statement carries a Chinese sentence with the same details as its English text.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <numbers>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <set>
#include <string>

#include "calibration_pulses.hpp"
#include "ecg_test_data.hpp"
#include "electrode_pops.hpp"
#include "synthetic_ecg.hpp"
#include "teledx/ecg/analysis.hpp"
#include "teledx/ecg/evaluation.hpp"
#include "teledx/ecg/processing.hpp"
#include "teledx/ecg/readers.hpp"

using namespace teledx::ecg;
using teledx::ecg::test::Synth;
using teledx::ecg::test::synth_ecg;

namespace {

/// ECGs that between them make most statements: the critical cases of the consensus, rhythms, signal faults.
std::vector<std::pair<std::string, Waveform>> varied_ecgs() {
  std::vector<std::pair<std::string, Waveform>> out;
  auto add = [&](std::string name, const Synth& s) { out.emplace_back(std::move(name), synth_ecg(s)); };
  add("sinus", Synth{});
  Synth s;
  s.hr = 50, add("bradycardia", s);
  s = {}, s.hr = 115, s.qt_ms = 320, add("tachycardia", s);
  s = {}, s.seconds = 12, s.r_times = {0.5, 1.3, 2.1, 2.9, 6.4, 7.2, 8.0, 8.8, 9.6, 10.4}, add("pause", s);
  s = {}, s.hr = 30, s.seconds = 12, add("rate 30", s);
  s = {}, s.hr = 180, s.p_waves = false, s.wide_monophasic = true, s.qrs_ms = 160, s.qt_ms = 300, add("VT", s);
  s = {}, s.seconds = 12, s.hr = 40, s.qrs_ms = 110, s.qt_ms = 440;
  for (double t = 0.2; t < 11.8; t += 0.68) s.p_times.push_back(t);
  add("complete block", s);
  s = {}, s.st_uv = {{Lead::V1, 150}, {Lead::V2, 300}, {Lead::V3, 350}, {Lead::V4, 250}}, add("anterior STEMI", s);
  s = {}, s.st_uv = {{Lead::V5, -200}, {Lead::V6, -200}}, add("ST depression", s);
  s = {}, s.hr = 60, s.qt_ms = 580, add("long QTc", s);
  s = {}, s.pr_ms = 260, add("long PR", s);
  s = {}, s.p_waves = false, s.fibrillation_uv = 40;
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> rr(0.24, 0.38);
  for (double t = 0.4; t < 9.5; t += rr(rng)) s.r_times.push_back(t);
  add("rapid AF", s);
  s = {}, s.hr = 240, s.p_waves = false, s.qt_ms = 200, s.qrs_ms = 70, s.t_uv = 150, add("SVT", s);
  s = {}, s.flat = {Lead::V4}, s.mains_hz = 50, s.mains_uv = 150, add("lead off, mains", s);
  s = {}, s.flat = {Lead::aVL, Lead::V1, Lead::V2, Lead::V3, Lead::V4, Lead::V5, Lead::V6}, add("most leads off", s);
  s = {}, s.p_axis = 150, add("arms swapped", s);
  s = {}, s.r_uv = 2700, add("high QRS voltage, sex unknown", s);
  s = {}, s.r_uv = 2250, out.emplace_back("high QRS voltage for a woman", synth_ecg(s));
  out.back().second.patient.sex = "F";
  s = {}, s.r_uv = 350, s.t_uv = 120, s.p_uv = 60, add("low QRS voltage", s);
  s = {}, s.qrs_axis = -40, add("left axis", s);
  s = {}, s.qrs_axis = -60, s.initial_axis = 120, add("left anterior fascicular block", s);
  s = {}, s.p_axis = -60, add("ectopic atrial rhythm", s);
  s = {}, s.p_axis = -60, s.pr_ms = 100, s.p_ms = 60, s.hr = 50, add("junctional escape rhythm", s);
  s = {}, s.q_ms = {{Lead::II, 40}, {Lead::III, 40}, {Lead::aVF, 40}}, add("inferior Q waves", s);
  s = {}, s.pr_ms = 100, s.p_ms = 60, add("short PR", s);
  out.emplace_back("right bundle branch block", teledx::ecg::test::right_bundle_branch_block());
  out.emplace_back("incomplete right bundle branch block", teledx::ecg::test::right_bundle_branch_block({}, 20, 300));
  s = {}, s.qrs_axis = 120, add("right axis", s);
  s = {}, s.qrs_axis = -150, add("indeterminate axis", s);
  s = {}, s.t_axis = 150, add("T waves turned: inverted in I, flat in II", s);
  s = {}, s.seconds = 12, s.pr_ms = 0;
  for (int i = 0; i < 14; ++i) {  // 4:3 Wenckebach: PR 160, 240, 280 ms, then a P wave not conducted
    s.p_times.push_back(0.3 + 0.8 * i);
    if (i % 4 != 3) s.r_times.push_back(0.3 + 0.8 * i + (i % 4 == 0 ? 0.16 : i % 4 == 1 ? 0.24 : 0.28));
  }
  add("Wenckebach", s);
  // Atria at 100/min, some P waves conducted.
  add("2:1 block", teledx::ecg::test::conduction_pattern(0.6, {true, false}));
  add("2:1 and 3:1 block", teledx::ecg::test::conduction_pattern(0.6, {true, false, true, false, false}));
  s = {}, s.seconds = 12;
  for (double t = 0.5; t < 11.2; t += 0.9 + 0.1 * std::sin(2 * std::numbers::pi * t / 4.0)) s.r_times.push_back(t);
  add("sinus arrhythmia", s);
  s = {}, s.r_times = {0.5, 1.3, 2.1, 2.9, 3.7, 4.5, 5.05, 6.05, 6.85, 7.65, 8.45, 9.25}, add("premature beat", s);
  add("left bundle branch block", teledx::ecg::test::left_bundle_branch_block());
  // Sinus at 60/min with three wide beats in a row at 90/min: a run of ventricular beats, not a tachycardia.
  Synth sinus, run;
  sinus.seconds = run.seconds = 12;
  sinus.r_times = {0.5, 1.5, 2.5, 3.5, 4.5, 8.0, 9.0, 10.0, 11.0};
  run.r_times = {5.5, 6.17, 6.84};
  run.p_waves = false, run.wide_monophasic = true, run.qrs_ms = 150, run.qt_ms = 420, run.noise_uv = 0;
  Waveform slow_run = synth_ecg(sinus);
  teledx::ecg::test::add_signals(slow_run, synth_ecg(run));
  out.emplace_back("slow ventricular run", std::move(slow_run));
  // The long-QT beats spliced onto normal ones: a QT the halves of the recording do not reproduce.
  s = {}, s.hr = 60, s.qt_ms = 600;
  const Waveform long_qt = synth_ecg(s);
  s.qt_ms = 400;
  Waveform spliced = synth_ecg(s);
  for (std::size_t l = 0; l < spliced.leads.size(); ++l)
    std::copy(long_qt.leads[l].uv.begin(), long_qt.leads[l].uv.begin() + 3125, spliced.leads[l].uv.begin());
  out.emplace_back("QT not reproducible", std::move(spliced));
  // A loose left-leg electrode: two pops of 2 mV, in each lead as the electrode enters it.
  Waveform popping = teledx::ecg::test::with_limb_pops(synth_ecg(Synth{}), "LL", {2.3, 6.1}, 2000);
  out.emplace_back("loose left-leg electrode", std::move(popping));
  // Electrode motion at 6 dB: an unsteady tracing.
  Waveform moving = synth_ecg(Synth{});
  const auto beats = detect_qrs(moving);
  for (std::size_t l = 0; l < moving.leads.size(); ++l) {
    const auto noise = stress_noise(StressNoise::ElectrodeMotion, moving.sample_count(), moving.sample_rate_hz, 40 + l);
    add_noise_at_snr(moving.leads[l].uv, noise, qrs_peak_to_peak(moving.leads[l].uv, moving.sample_rate_hz, beats), 6);
  }
  out.emplace_back("electrode motion", std::move(moving));
  // A 5-Hz tremor at the left arm: limb tremor.
  Waveform shaking = synth_ecg(Synth{});
  teledx::ecg::add_limb_tremor(shaking, 5.0, 150);
  out.emplace_back("limb tremor", std::move(shaking));
  // A cart's calibration pulse before the ECG, and one at the start of each printed column.
  out.emplace_back("calibration pulse", teledx::ecg::test::with_pulse(synth_ecg(Synth{}), {}));
  out.emplace_back("column pulses", teledx::ecg::test::with_pulses_over(synth_ecg(Synth{}), {2.32, 4.82, 7.32}));
  // V2's electrode off at 4 s, its lead at the rail (+5 mV) to the end.
  Waveform railed = synth_ecg(Synth{});
  for (auto& l : railed.leads)
    if (l.lead == Lead::V2) std::fill(l.uv.begin() + std::ptrdiff_t(4 * railed.sample_rate_hz), l.uv.end(), 5000.f);
  out.emplace_back("V2 at the rail", std::move(railed));
  // Every electrode off, 30 uV of noise on each lead: "complexes" indistinct from the noise.
  Waveform noise_only = synth_ecg(Synth{});
  std::mt19937 noise_rng(10);
  std::normal_distribution<double> g(0, 30);
  for (auto& l : noise_only.leads)
    for (auto& v : l.uv) v = float(g(noise_rng));
  out.emplace_back("noise alone", std::move(noise_only));
  // A break in the recording: every lead at zero from 4.0 to 7.5 s.
  Waveform broken = synth_ecg(Synth{});
  for (auto& l : broken.leads) std::fill(l.uv.begin() + 2000, l.uv.begin() + 3750, 0.f);
  out.emplace_back("signal gap", std::move(broken));
  out.emplace_back("empty", Waveform{});
  for (const char* f : {"philips_129DYPRG.xml", "Example_aECG.xml", "waveform_ecg.dcm", "ludb/3.hea"}) {
    auto w = read_ecg_file(teledx::ecg::test::local_data() / f);
    REQUIRE(w.ok());
    out.emplace_back(f, std::move(*w));
  }
  return out;
}

/// The numbers of a sentence ("Pause of 3.5 s (>= 3.0 s)" -> 3.5, 3.0), as written.
std::multiset<std::string> numbers_in(const std::string& text) {
  static const std::regex number(R"(\d+(\.\d+)?)");
  std::multiset<std::string> out;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), number); it != std::sregex_iterator(); ++it)
    out.insert(it->str());
  return out;
}

/// Whether the UTF-8 text holds a CJK ideograph (U+4E00-U+9FFF: lead bytes E4-E9).
bool has_cjk(const std::string& text) {
  for (std::size_t i = 0; i + 2 < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0xE4 && c <= 0xE9) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("Every machine statement has a Chinese sentence with the same numbers as its English text", "[ecg]") {
  std::map<std::string, int> codes_seen;
  // English words left in a Chinese sentence: three lowercase letters or more ("min", "the"), Bazett's name aside.
  static const std::regex english(R"([a-z]{3,})");
  for (const auto& [name, w] : varied_ecgs()) {
    const Analysis a = analyze(w);
    for (const auto* list : {&a.rhythm, &a.quality, &a.critical})
      for (const Statement& st : *list) {
        INFO(name << ": " << st.code << ": " << st.text << " | " << st.text_zh);
        ++codes_seen[st.code];
        // Under 100/min a run of ventricular beats is not a tachycardia, in either language.
        if (st.code == "ventricular_run") CHECK(st.text_zh.find("心动过速") == std::string::npos);
        REQUIRE_FALSE(st.text_zh.empty());
        CHECK(has_cjk(st.text_zh));
        const std::string without_bazett = std::regex_replace(st.text_zh, std::regex("Bazett"), "");
        CHECK_FALSE(std::regex_search(without_bazett, english));
        // Each number of the English text (a rate, a lead's digit, a level) is in the Chinese one: the details
        // are the same, not left out.
        const auto zh_numbers = numbers_in(st.text_zh);
        for (const auto& n : numbers_in(st.text)) CHECK(zh_numbers.count(n) > 0);
      }
  }
  // The cases above make these (a change that stops one from being made shows here, not as a silently smaller test).
  for (const char* code :
       {"sinus_rhythm", "sinus_bradycardia", "sinus_tachycardia", "pause", "critical_pause", "critical_bradycardia",
        "critical_vt", "third_degree_av_block_suspected", "critical_complete_av_block", "stemi_pattern",
        "critical_stemi", "st_depression", "critical_long_qtc", "first_degree_av_block", "atrial_fibrillation",
        "critical_af_rapid", "critical_svt", "lead_off", "mains_interference", "repeat_recording",
        "limb_lead_reversal_suspected", "too_short", "ventricular_run", "qt_uncertain", "unsteady_tracing",
        "limb_tremor", "left_ventricular_high_voltage", "low_qrs_voltage",
        "left_axis_deviation", "right_axis_deviation", "indeterminate_axis", "complete_lbbb", "sinus_arrhythmia",
        "supraventricular_premature_beats", "t_wave_changes", "second_degree_av_block_mobitz_i",
        "second_degree_av_block_2to1", "high_grade_av_block", "left_anterior_fascicular_block", "complete_rbbb",
        "incomplete_rbbb", "ectopic_atrial_rhythm", "junctional_rhythm", "short_pr", "pathological_q_waves",
        "electrode_pop", "calibration_pulse", "indistinct_qrs", "signal_gap", "intraventricular_conduction_delay"}) {
    INFO(code);
    CHECK(codes_seen.count(code) == 1);
  }
}

TEST_CASE("The analysis JSON carries each statement's Chinese sentence beside its English text", "[ecg]") {
  Synth s;
  s.hr = 50;
  const auto j = to_json(analyze(synth_ecg(s)));
  bool found = false;
  for (const auto& st : j["rhythm"])
    if (st["code"] == "sinus_bradycardia") {
      found = true;
      CHECK(st["text"].get<std::string>().rfind("Sinus bradycardia, ", 0) == 0);
      CHECK(st["text_zh"].get<std::string>().rfind("窦性心动过缓，", 0) == 0);
      CHECK(st["text_zh"].get<std::string>().find(" 次/分") != std::string::npos);
    }
  CHECK(found);
}
