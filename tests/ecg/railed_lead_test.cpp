// An electrode that comes off during the recording: its lead runs to the end of the amplifier's range and stays
// there. It is taken out of a short recording as a whole and read like a lead that was off from the start, and the
// technician is told when it happened; in a long recording only the stretch at the rail is left out.
#include <catch2/catch.hpp>
#include <string>

#include "ecg_test_data.hpp"
#include "statement_checks.hpp"
#include "synthetic_ecg.hpp"
#include "teledx/ecg/analysis.hpp"

using namespace teledx::ecg;

namespace {

/// `w` with `lead` at `uv` (the rail) from `from_s` for `seconds` (to the end when 0).
Waveform railed(Waveform w, Lead lead, double from_s, double seconds, float uv) {
  for (auto& l : w.leads)
    if (l.lead == lead) {
      const auto from = std::size_t(from_s * w.sample_rate_hz);
      const auto to = seconds > 0 ? std::min(l.uv.size(), from + std::size_t(seconds * w.sample_rate_hz)) : l.uv.size();
      std::fill(l.uv.begin() + std::ptrdiff_t(from), l.uv.begin() + std::ptrdiff_t(to), uv);
    }
  return w;
}

/// `w` with `lead` flat from the start: the lead off as the cart would have recorded it.
Waveform off_from_start(Waveform w, Lead lead) {
  for (auto& l : w.leads)
    if (l.lead == lead) std::fill(l.uv.begin(), l.uv.end(), 0.f);
  return w;
}

std::string rhythm_and_critical(const Analysis& a) {
  std::string out;
  for (const auto* v : {&a.rhythm, &a.critical})
    for (const auto& s : *v) out += s.code + " ";
  return out;
}

}  // namespace

TEST_CASE("A chest electrode that comes off mid-recording is named with the time and read as a lead off", "[ecg]") {
  const Waveform ecg = test::synth_ecg(test::Synth{});
  const auto clean = analyze(ecg), off = analyze(off_from_start(ecg, Lead::V2));
  struct Case {
    const char* what;
    double from_s, seconds;
    float uv;
    const char* text;
  };
  for (const Case& c : {Case{"to the end", 4.0, 0, 5000, "Lead V2 ran to the end of its range (5.0 mV) at 4.0 s"},
                        Case{"for 2 s and back", 4.0, 2.0, -5000, "Lead V2 ran to the end of its range (-5.0 mV) at 4.0 s"}}) {
    const auto a = analyze(railed(ecg, Lead::V2, c.from_s, c.seconds, c.uv));
    INFO(c.what << ": " << test::statement_codes(a));
    const Statement* said = test::find_statement(a.quality, "lead_off");
    REQUIRE(said);
    REQUIRE(said->lead);
    CHECK(*said->lead == Lead::V2);
    CHECK(said->text.rfind(c.text, 0) == 0);
    CHECK(said->text.find("the lead is left out of the analysis") != std::string::npos);
    CHECK(said->text_zh.find("V2 导联于 4.0 s 起饱和") != std::string::npos);
    CHECK(a.beats.size() == clean.beats.size());
    CHECK(a.critical.empty());
    CHECK_FALSE(test::has(a.quality, "chest_lead_swap_suspected"));
    CHECK_FALSE(test::has(a.quality, "electrode_pop"));
    CHECK(rhythm_and_critical(a) == rhythm_and_critical(off));
  }
}

TEST_CASE("In a long recording only the stretch at the rail is left out", "[ecg]") {
  test::Synth s;
  s.seconds = 90;
  const Waveform ecg = test::synth_ecg(s);
  const auto a = analyze(railed(ecg, Lead::V2, 30.0, 3.0, 5000));
  INFO(test::statement_codes(a));
  const Statement* said = test::find_statement(a.quality, "lead_off");
  REQUIRE(said);
  CHECK(said->text == "Lead V2 ran to the end of its range (5.0 mV) at 30.0 s: electrode off for 3.0 s; that stretch is "
                      "left out of the analysis");
  CHECK(a.beats.size() == analyze(ecg).beats.size());
  CHECK(a.critical.empty());
  CHECK_FALSE(test::has(a.quality, "baseline_wander"));  // the stretch taken out is not the baseline moving
  // V2 still takes part: its median complex is there.
  bool v2_measured = false;
  for (const auto& q : a.qrs_amplitudes) v2_measured = v2_measured || (q.lead == Lead::V2 && q.pp_uv > 300);
  CHECK(v2_measured);
}

TEST_CASE("LUDB's records with V2 at the rail from 4 s read as with V2 off from the start", "[ecg][ludb]") {
  if (!test::shared_has("ludb/RECORDS.dev")) {
    WARN("shared ECG data not found (set TELEDX_ECG_DATA): skipped");
    return;
  }
  int records = 0;
  test::for_each_ludb_dev([&](const std::string& rec, const Waveform& w) {
    INFO("LUDB " << rec);
    const auto a = analyze(railed(w, Lead::V2, 4.0, 0, 5000)), off = analyze(off_from_start(w, Lead::V2));
    CHECK(test::has(a.quality, "lead_off"));
    CHECK(a.beats.size() == off.beats.size());
    CHECK(rhythm_and_critical(a) == rhythm_and_critical(off));
    CHECK_FALSE(test::has(a.quality, "chest_lead_swap_suspected"));
    ++records;
  });
  CHECK(records == 51);
}

TEST_CASE("No recording without a lead at its rail is said to have one", "[ecg][ludb][mitdb]") {
  auto check = [](const std::string& what, const Waveform& w) {
    INFO(what);
    for (const auto& q : analyze(w).quality) CHECK(q.text.find("ran to the end of its range") == std::string::npos);
  };
  for (const char* file : {"Example_aECG.xml", "minimum_aecg.xml", "philips_129DYPRG.xml", "waveform_ecg.dcm", "ludb/52.hea"}) {
    auto w = read_ecg_file(test::local_data() / file);
    REQUIRE(w.ok());
    check(file, *w);
  }
  if (!test::shared_has("ludb/RECORDS.dev") || !test::shared_has("mitdb/100.hea")) {
    WARN("shared ECG data not found (set TELEDX_ECG_DATA): the development records skipped");
    return;
  }
  test::for_each_ludb_dev([&](const std::string& rec, const Waveform& w) { check("LUDB " + rec, w); });
  test::for_each_mitdb_dev([&](int rec, const test::AnnotatedRecord& r) { check("MIT-BIH " + std::to_string(rec), r.waveform); });
}
