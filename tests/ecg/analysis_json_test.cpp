// The analysis as JSON for a record too long for the beat-by-beat list (over 2,000 beats: a fast 30-min record, a
// Holter): the reader's viewer still steps through its ventricular beats, from their times kept on their own.
#include <catch2/catch.hpp>
#include <algorithm>
#include <vector>

#include <nlohmann/json.hpp>

#include "synthetic_ecg.hpp"
#include "teledx/ecg/analysis.hpp"

using namespace teledx::ecg;
using teledx::ecg::test::Synth;
using teledx::ecg::test::synth_ecg;

TEST_CASE("a record of more than 2000 beats keeps its ventricular beats' times instead of the whole beat list", "[ecg]") {
  // One minute of sinus rhythm at 75/min with a wide premature beat every 10 s, in II and V1 at 250 Hz...
  Synth sinus, ventricular;
  for (Synth* s : {&sinus, &ventricular}) s->fs = 250, s->seconds = 60;
  ventricular.p_waves = false, ventricular.wide_monophasic = true, ventricular.qrs_ms = 140, ventricular.qt_ms = 420;
  ventricular.noise_uv = 0;
  std::vector<double> pvc_in_minute;
  for (double t = 0.5; t < 59; t += 0.8) {
    if (int(t / 0.8) % 12 == 11) {  // every twelfth beat comes at half the interval, then a compensatory pause
      ventricular.r_times.push_back(t - 0.4);
      pvc_in_minute.push_back(t - 0.4);
      continue;
    }
    sinus.r_times.push_back(t);
  }
  auto minute = synth_ecg(sinus);
  test::add_signals(minute, synth_ecg(ventricular));
  std::erase_if(minute.leads, [](const LeadSignal& l) { return l.lead != Lead::II && l.lead != Lead::V1; });
  // ...repeated for 35 minutes: about 2,600 beats.
  Waveform w = minute;
  std::vector<double> pvcs;
  for (int m = 0; m < 35; ++m) {
    for (double t : pvc_in_minute) pvcs.push_back(60.0 * m + t);
    if (m == 0) continue;
    for (std::size_t l = 0; l < w.leads.size(); ++l)
      w.leads[l].uv.insert(w.leads[l].uv.end(), minute.leads[l].uv.begin(), minute.leads[l].uv.end());
  }

  const auto a = analyze(w);
  const auto j = to_json(a);
  REQUIRE(j["beats"]["count"].get<int>() > 2000);
  CHECK_FALSE(j["beats"].contains("list"));
  REQUIRE(j["beats"].contains("ventricular_t_s"));
  const auto times = j["beats"]["ventricular_t_s"].get<std::vector<double>>();
  CHECK(times.size() == j["beats"]["ventricular"].get<std::size_t>());
  CHECK(std::is_sorted(times.begin(), times.end()));
  // The machine's ventricular beats are the premature ones, to within 100 ms of their onsets, and most are found.
  for (double s : times)
    CHECK(std::any_of(pvcs.begin(), pvcs.end(), [&](double p) { return std::abs(p - s) < 0.1; }));
  CHECK(times.size() >= pvcs.size() * 9 / 10);

  // A 10-s ECG keeps its whole list and needs no separate times.
  const auto short_j = to_json(analyze(synth_ecg(Synth{})));
  CHECK(short_j["beats"].contains("list"));
  CHECK_FALSE(short_j["beats"].contains("ventricular_t_s"));
}

// A printed ECG shows the analysis stored when the exam arrived, which the reader saw and decided on: read back from
// its JSON, it prints the same measurements and statements.
TEST_CASE("a stored analysis reads back with its measurements, ST levels and statements in both languages", "[ecg]") {
  Synth s;
  s.flat = {Lead::V4};                                       // a quality statement with a lead
  s.st_uv = {{Lead::V2, 300}, {Lead::V3, 350}};              // a STEMI pattern and its critical flag
  s.mains_hz = 50, s.mains_uv = 100;
  const Analysis a = analyze(synth_ecg(s));
  REQUIRE_FALSE(a.critical.empty());
  // Through text, as the task stores it.
  const auto back = analysis_from_json(nlohmann::json::parse(to_json(a).dump()));
  REQUIRE(back.ok());
  CHECK(back->sample_rate_hz == a.sample_rate_hz);
  CHECK(back->sample_count == a.sample_count);
  CHECK(back->mains_removed_hz == 50);
  CHECK(back->measurements.heart_rate == a.measurements.heart_rate);
  CHECK(back->measurements.qtc_bazett == a.measurements.qtc_bazett);
  CHECK(back->measurements.t_axis == a.measurements.t_axis);
  REQUIRE(back->st.size() == a.st.size());
  for (const auto& level : a.st) {  // (back in the standard lead order)
    auto it = std::find_if(back->st.begin(), back->st.end(), [&](const StLevel& x) { return x.lead == level.lead; });
    REQUIRE(it != back->st.end());
    CHECK(it->j60_uv == level.j60_uv);
    CHECK(it->j_uv == level.j_uv);
  }
  for (auto [mine, theirs] : {std::pair{&a.rhythm, &back->rhythm}, {&a.quality, &back->quality}, {&a.critical, &back->critical}}) {
    REQUIRE(mine->size() == theirs->size());
    for (std::size_t i = 0; i < mine->size(); ++i) {
      CHECK((*theirs)[i].code == (*mine)[i].code);
      CHECK((*theirs)[i].text == (*mine)[i].text);
      CHECK((*theirs)[i].text_zh == (*mine)[i].text_zh);
      CHECK((*theirs)[i].severity == (*mine)[i].severity);
      CHECK((*theirs)[i].lead == (*mine)[i].lead);
    }
  }
  CHECK(back->has_critical());
  // Beats are not restored: the JSON keeps their times, not the signal the median beat was made of.
  CHECK(back->beats.empty());
  CHECK(back->median.leads.empty());
}

TEST_CASE("JSON that is not a stored analysis is refused naming what is wrong", "[ecg]") {
  using nlohmann::json;
  const json good = to_json(analyze(synth_ecg(Synth{})));
  auto refused = [](const json& j) {
    auto r = analysis_from_json(j);
    return r.ok() ? std::string() : r.error().message;
  };
  CHECK(refused(good).empty());
  CHECK(refused(json::array()).find("not a machine analysis") != std::string::npos);
  CHECK(refused(json{{"suspected_stemi", true}}).find("not a machine analysis") != std::string::npos);
  CHECK(refused(json{{"machine_generated", "yes"}}).find("not a machine analysis") != std::string::npos);
  json j = good;
  j.erase("sample_rate_hz");
  CHECK(refused(j).find("no sample rate") != std::string::npos);
  j = good, j["measurements"]["qt_ms"] = "long";
  CHECK(refused(j).find("'qt_ms' is not a number") != std::string::npos);
  j = good, j["rhythm"] = "sinus";
  CHECK(refused(j).find("'rhythm' is not a list") != std::string::npos);
  j = good, j["quality"] = json::array({{{"code", "lead_off"}, {"severity", "loud"}}});
  CHECK(refused(j).find("no code or severity") != std::string::npos);
  j = good, j["quality"] = json::array({{{"code", "lead_off"}, {"severity", "warning"}, {"lead", "V9x"}}});
  CHECK(refused(j).find("unknown lead 'V9x'") != std::string::npos);
}

TEST_CASE("a stored analysis with a statement on a research channel reads back", "[ecg]") {
  // A WFDB upload may hold channels with free-text labels ("ECG1"); their quality statements name Lead::Other, which
  // the JSON writes "?". Found by the wfdb_record fuzz target: such an analysis did not read back.
  Waveform w = synth_ecg(Synth{});
  LeadSignal research = w.leads[1];
  research.lead = Lead::Other;
  research.label = "ECG1";
  for (std::size_t k = 0; k < research.uv.size(); ++k)
    research.uv[k] += float(3000 * std::sin(2 * 3.14159265 * 0.3 * double(k) / w.sample_rate_hz));
  w.leads = {w.leads[1], research};
  const Analysis a = analyze(w);
  const auto on_research = std::find_if(a.quality.begin(), a.quality.end(),
                                        [](const Statement& s) { return s.lead == Lead::Other; });
  REQUIRE(on_research != a.quality.end());
  CHECK(on_research->text.find("ECG1") != std::string::npos);
  const auto back = analysis_from_json(nlohmann::json::parse(to_json(a).dump()));
  REQUIRE(back.ok());
  REQUIRE(back->quality.size() == a.quality.size());
  for (std::size_t i = 0; i < a.quality.size(); ++i) CHECK(back->quality[i].lead == a.quality[i].lead);
}

TEST_CASE("the analysis JSON gives the normal ranges its statements judged by, named by a child's age", "[ecg]") {
  Waveform w = synth_ecg(Synth{});
  const auto adult = to_json(analyze(w));
  REQUIRE(adult.contains("normal_ranges"));
  const auto& a = adult["normal_ranges"];
  CHECK(a["heart_rate_bpm"]["low"] == 60);
  CHECK(a["heart_rate_bpm"]["high"] == 100);
  CHECK(a["pr_ms"]["low"] == 120);
  CHECK(a["pr_ms"]["high"] == 200);
  CHECK(a["qrs_axis_deg"]["low"] == -30);
  CHECK(a["qrs_axis_deg"]["high"] == 90);
  CHECK(a["heart_rate_bpm"]["age"] == "");  // an unknown age gets the adult's, which need no age named
  w.patient.birth_date = "20260601";
  w.acquisition_time = "2026-08-05T08:00:00";
  const auto infant = to_json(analyze(w))["normal_ranges"];
  CHECK(infant["heart_rate_bpm"]["low"] == 121);
  CHECK(infant["heart_rate_bpm"]["high"] == 179);
  CHECK(infant["heart_rate_bpm"]["age"] == "2 个月");
  CHECK(infant["heart_rate_bpm"]["age_en"] == "2 months");
  CHECK(infant["pr_ms"]["high"] == 150);
  CHECK(infant["qrs_axis_deg"]["high"] == 120);
}
