// Readers confirm or dismiss ECG machine flags; the decisions feed the machine/reader agreement statistic.
#include "teledx/worklist/flag_decisions.hpp"

#include <catch2/catch.hpp>
#include <map>

#include "worklist/county.hpp"

using namespace teledx;
using namespace teledx::worklist;
using teledx::test::County;

namespace {

// The shape the ECG analysis writes (ecg::to_json): statements in "critical" and "rhythm" lists.
const char* kVtFlags = R"({"machine_generated": true,
  "critical": [{"code": "critical_vt", "text": "Ventricular tachycardia 180/min", "severity": "critical"}],
  "rhythm": [{"code": "ventricular_tachycardia_suspected", "text": "VT suspected", "severity": "critical"},
             {"code": "frequent_pvcs", "text": "Frequent PVCs", "severity": "warning"}]})";
const char* kStemiFlags = R"({"critical": [
  {"code": "critical_stemi", "text": "ST elevation V2", "severity": "critical", "lead": "V2"},
  {"code": "critical_stemi", "text": "ST elevation V3", "severity": "critical", "lead": "V3"}],
  "rhythm": [{"code": "sinus_rhythm", "text": "Sinus rhythm", "severity": "info"}]})";

struct EcgCounty : County {
  EcgCounty() { REQUIRE(db->migrate("ecg_flags", flag_decision_migrations()).ok()); }
  Task ecg_task(const char* flags) {
    auto t = study(Priority::Routine, "ECG", "", nullptr, TaskKind::Ecg);
    auto f = tasks.set_machine_flags(t.id, flags, Priority::Stat);
    REQUIRE(f.ok());
    return *f;
  }
  Result<FlagDecision> decide(const Task& t, const char* code, FlagVerdict v, const User& u, std::string note = {}) {
    return decide_flag(tasks, t.id, code, v, std::move(note), as(u));
  }
};

}  // namespace

TEST_CASE("machine flags are read from the critical and rhythm lists, one per code", "[worklist][ecg_flags]") {
  EcgCounty c;
  auto flags = machine_flags_of(c.ecg_task(kStemiFlags));
  REQUIRE(flags.size() == 2);
  CHECK(flags[0].code == "critical_stemi");
  CHECK(flags[0].category == "critical");
  CHECK(flags[1].code == "sinus_rhythm");
  CHECK(flags[1].category == "rhythm");
  // An imaging task has no machine flags to decide on, whatever its column holds.
  CHECK(machine_flags_of(c.study()).empty());
}

TEST_CASE("the reader holding an ECG confirms and dismisses its flags, with who, when and a comment",
          "[worklist][ecg_flags]") {
  EcgCounty c;
  auto t = c.ecg_task(kVtFlags);
  REQUIRE(c.tasks.claim(t.id, County::as(c.ecg_reader)).ok());
  auto conf = c.decide(t, "critical_vt", FlagVerdict::Confirmed, c.ecg_reader, "wide-complex run, 12 beats");
  REQUIRE(conf.ok());
  CHECK(conf->decided_by == c.ecg_reader.id);
  CHECK(conf->decided_ms == c.clock.now_ms());
  CHECK(conf->category == "critical");
  c.clock.advance_minutes(1);
  REQUIRE(c.decide(t, "frequent_pvcs", FlagVerdict::Dismissed, c.ecg_reader, "artefact").ok());
  // Changing one's mind overwrites the verdict (the audit log keeps the history).
  c.clock.advance_minutes(1);
  REQUIRE(c.decide(t, "frequent_pvcs", FlagVerdict::Confirmed, c.ecg_reader).ok());
  auto all = flag_decisions(*c.db, t.id);
  REQUIRE(all.ok());
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].code == "critical_vt");
  CHECK((*all)[0].comment == "wide-complex run, 12 beats");
  CHECK((*all)[1].code == "frequent_pvcs");
  CHECK((*all)[1].verdict == FlagVerdict::Confirmed);
  CHECK((*all)[1].comment.empty());
  // Each decision reached the real-time streams.
  auto events = c.tasks.outbox_after(0, 1000);
  REQUIRE(events.ok());
  int decided = 0;
  for (const auto& e : *events) decided += e.type == "ecg_flag.decided" && e.task_id == t.id;
  CHECK(decided == 3);
  // ... and the audit log, in the same transaction, with who and which flag.
  auto confirmed = c.tasks.audit_log().list(100, 0, "", "ecg_flag_confirmed");
  REQUIRE(confirmed.ok());
  REQUIRE(confirmed->size() == 2);
  CHECK(confirmed->back().event.target == "task:" + std::to_string(t.id));
  bool vt = false;
  for (const auto& e : *confirmed) vt |= e.event.detail == "critical_vt: wide-complex run, 12 beats";
  CHECK(vt);
}

TEST_CASE("flag decisions are refused to others, before the claim, after signing and for unknown codes",
          "[worklist][ecg_flags]") {
  EcgCounty c;
  auto t = c.ecg_task(kVtFlags);
  // Waiting: a reader must claim first; the center lead may decide already (triage of a critical ECG).
  CHECK(c.decide(t, "critical_vt", FlagVerdict::Confirmed, c.ecg_reader).error().code == ErrorCode::Forbidden);
  CHECK(c.decide(t, "critical_vt", FlagVerdict::Confirmed, c.ecg_lead).ok());
  REQUIRE(c.tasks.claim(t.id, County::as(c.ecg_reader)).ok());
  // Another center's lead and a clinic user are not the task's readers.
  CHECK(c.decide(t, "critical_vt", FlagVerdict::Dismissed, c.img_lead).error().code == ErrorCode::Forbidden);
  CHECK(c.decide(t, "critical_vt", FlagVerdict::Dismissed, c.tech1).error().code == ErrorCode::Forbidden);
  auto unknown = c.decide(t, "critical_vf", FlagVerdict::Dismissed, c.ecg_reader);
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().code == ErrorCode::NotFound);
  CHECK(unknown.error().message.find("critical_vt") != std::string::npos);  // names the flags it did raise
  CHECK(c.decide(t, "critical_vt", FlagVerdict::Dismissed, c.ecg_reader, std::string(2001, 'x')).error().code ==
        ErrorCode::BadRequest);
  REQUIRE(c.reports.save_draft(t.id, 0, {"VT", "VT", {}, std::nullopt}, County::as(c.ecg_reader)).ok());
  REQUIRE(c.reports.sign(t.id, County::as(c.ecg_reader)).ok());
  CHECK(c.decide(t, "critical_vt", FlagVerdict::Dismissed, c.ecg_reader).error().code == ErrorCode::Conflict);
  // The refused attempts changed nothing: only the lead's confirmation is stored.
  auto all = flag_decisions(*c.db, t.id);
  REQUIRE(all.ok());
  REQUIRE(all->size() == 1);
  CHECK((*all)[0].decided_by == c.ecg_lead.id);
}

TEST_CASE("agreement per flag type counts raised, confirmed, dismissed and pending flags in range",
          "[worklist][ecg_flags]") {
  EcgCounty c;
  const auto start = c.clock.now_ms();
  auto a = c.ecg_task(kVtFlags);
  auto b = c.ecg_task(kVtFlags);
  auto s = c.ecg_task(kStemiFlags);
  // The lead confirms each task's critical flag (the first flag: critical_vt, critical_vt, critical_stemi).
  for (const auto& t : {a, b, s})
    REQUIRE(c.decide(t, machine_flags_of(t)[0].code.c_str(), FlagVerdict::Confirmed, c.ecg_lead).ok());
  // a: VT confirmed, PVCs dismissed; b: VT confirmed only (the rest pending); s: STEMI confirmed, sinus dismissed.
  REQUIRE(c.decide(a, "frequent_pvcs", FlagVerdict::Dismissed, c.ecg_lead).ok());
  REQUIRE(c.decide(s, "sinus_rhythm", FlagVerdict::Dismissed, c.ecg_lead).ok());
  c.clock.advance_minutes(60 * 24);
  auto later = c.ecg_task(kVtFlags);  // received a day later: outside the range below
  REQUIRE(c.decide(later, "critical_vt", FlagVerdict::Dismissed, c.ecg_lead).ok());

  StatsFilter f;
  f.center_id = c.ecg.id;
  f.from_ms = start;
  f.to_ms = start + 60'000 * 60;
  auto rows = flag_agreement(*c.db, f);
  REQUIRE(rows.ok());
  std::map<std::string, FlagAgreementRow> by;
  for (const auto& r : *rows) by[r.code] = r;
  REQUIRE(by.count("critical_vt"));
  CHECK(by["critical_vt"].raised == 2);
  CHECK(by["critical_vt"].confirmed == 2);
  CHECK(*by["critical_vt"].agreement == Approx(1.0));
  CHECK(by["frequent_pvcs"].raised == 2);
  CHECK(by["frequent_pvcs"].dismissed == 1);
  CHECK(by["frequent_pvcs"].pending == 1);
  CHECK(*by["frequent_pvcs"].agreement == Approx(0.0));
  CHECK(by["ventricular_tachycardia_suspected"].pending == 2);
  CHECK_FALSE(by["ventricular_tachycardia_suspected"].agreement.has_value());
  CHECK(by["critical_stemi"].confirmed == 1);
  CHECK(rows->back().code == "all");
  CHECK(rows->back().raised == 8);
  CHECK(rows->back().confirmed == 3);
  CHECK(rows->back().dismissed == 2);
  CHECK(rows->back().pending == 3);
  CHECK(*rows->back().agreement == Approx(0.6));
  // Without a range the later task's dismissed VT counts too.
  f.from_ms.reset();
  f.to_ms.reset();
  auto everything = flag_agreement(*c.db, f);
  REQUIRE(everything.ok());
  for (const auto& r : *everything)
    if (r.code == "critical_vt") CHECK(*r.agreement == Approx(2.0 / 3.0));
  // Another center has no ECG tasks: only the empty "all" row.
  f.center_id = c.imaging.id;
  auto none = flag_agreement(*c.db, f);
  REQUIRE(none.ok());
  REQUIRE(none->size() == 1);
  CHECK(none->front().raised == 0);
  CHECK_FALSE(none->front().agreement.has_value());
}
