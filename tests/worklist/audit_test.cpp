// Every change of a reading task is audited in the transaction that makes it: no transition without its audit
// entry, and no audit entry for a move that did not happen.
#include <catch2/catch.hpp>

#include "teledx/core/audit.hpp"
#include "worklist/county.hpp"

using namespace teledx;
using namespace teledx::worklist;
using teledx::test::County;

namespace {

std::vector<AuditEntry> task_entries(County& c, std::int64_t task_id) {
  AuditLog log(*c.db, c.clock);
  auto all = log.list(1000);
  REQUIRE(all.ok());
  std::vector<AuditEntry> out;
  for (auto it = all->rbegin(); it != all->rend(); ++it)  // oldest first
    if (it->event.target == "task:" + std::to_string(task_id)) out.push_back(*it);
  return out;
}

std::int64_t count(County& c, const std::string& sql) {
  auto r = c.db->query(sql);
  REQUIRE(r.ok());
  return r->front().integer(0);
}

}  // namespace

TEST_CASE("each transition writes its audit entry: who, which move, from and to, from where", "[worklist][audit]") {
  County c;
  auto t = c.study(Priority::Urgent);
  auto reader = County::as(c.img_reader1);
  reader.username = "img-reader1";
  reader.remote = "10.1.2.3";
  REQUIRE(c.tasks.claim(t.id, reader).ok());
  REQUIRE(c.reports.save_draft(t.id, 0, {"f", "i", {}, std::nullopt}, reader).ok());
  REQUIRE(c.reports.sign(t.id, reader).ok());
  REQUIRE(c.reports.grade_quality(t.id, {"C", {"motion"}, "", 0, 0}, reader).ok());
  REQUIRE(c.tasks.transition(t.id, TaskAction::MarkDelivered, Actor::server()).ok());

  auto entries = task_entries(c, t.id);
  std::vector<std::string> actions;
  for (const auto& e : entries) actions.push_back(e.event.action);
  CHECK(actions == std::vector<std::string>{"claim", "start_report", "sign", "quality_grade", "mark_delivered"});
  CHECK(entries[0].event.actor == "img-reader1");
  CHECK(entries[0].event.remote == "10.1.2.3");
  CHECK(entries[0].event.detail == "waiting -> claimed");
  CHECK(entries[3].event.detail == "C: motion");
  CHECK(entries[4].event.actor == "system");
  // As many transitions recorded as audited, and the chain holds.
  CHECK(count(c, "SELECT COUNT(*) FROM task_events WHERE task_id = " + std::to_string(t.id)) == 4);
  auto verified = AuditLog(*c.db, c.clock).verify();
  REQUIRE(verified.ok());
  CHECK(verified->ok());
}

TEST_CASE("when the audit entry cannot be written the transition does not happen either", "[worklist][audit]") {
  County c;
  auto t = c.study();
  const auto events_before = count(c, "SELECT COUNT(*) FROM task_events");
  const auto outbox_before = count(c, "SELECT COUNT(*) FROM outbox");
  // The audit log refuses every new entry (as a full disk or a broken chain table would).
  REQUIRE(c.db->exec("CREATE TRIGGER audit_down BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit "
                     "log unavailable'); END")
              .ok());
  CHECK_FALSE(c.tasks.claim(t.id, County::as(c.img_reader1)).ok());
  CHECK_FALSE(c.tasks.transition(t.id, TaskAction::ReturnToClinic, County::as(c.img_lead), "blurred").ok());
  CHECK_FALSE(c.tasks.set_priority(t.id, Priority::Stat, County::as(c.img_lead)).ok());
  auto s = *c.tasks.settings(c.imaging.id);
  s.sla_minutes[0][2] = 60;
  CHECK_FALSE(c.tasks.set_settings(c.imaging.id, s).ok());

  auto still = c.reload(t);
  CHECK(still.state == TaskState::Waiting);
  CHECK_FALSE(still.assignee_id);
  CHECK(still.priority == Priority::Routine);
  CHECK(still.deadline_ms == t.deadline_ms);
  CHECK(c.tasks.settings(c.imaging.id)->sla_minutes[0][2] == 240);
  CHECK(count(c, "SELECT COUNT(*) FROM task_events") == events_before);
  CHECK(count(c, "SELECT COUNT(*) FROM outbox") == outbox_before);

  // With the audit log back, the same move goes through with its entry.
  REQUIRE(c.db->exec("DROP TRIGGER audit_down").ok());
  REQUIRE(c.tasks.claim(t.id, County::as(c.img_reader1)).ok());
  CHECK(task_entries(c, t.id).back().event.action == "claim");
}

TEST_CASE("lease expiry and resumption by the server are audited as the system", "[worklist][audit]") {
  County c;
  auto t = c.study();
  REQUIRE(c.tasks.claim(t.id, County::as(c.img_reader1)).ok());
  c.clock.advance_minutes(16);
  REQUIRE(c.tasks.expire_leases(c.clock.now_ms())->size() == 1);
  auto entries = task_entries(c, t.id);
  REQUIRE(entries.size() == 2);
  CHECK(entries[1].event.action == "expire_lease");
  CHECK(entries[1].event.actor == "system");
  CHECK(entries[1].event.detail.find("claimed -> waiting: lease lapsed") == 0);

  REQUIRE(c.tasks.transition(t.id, TaskAction::ReturnToClinic, County::as(c.img_lead), "no images").ok());
  StudyForReading resend;
  resend.study_uid = t.study_uid;
  resend.clinic_id = t.clinic_id;
  resend.center_id = t.center_id;
  REQUIRE(c.tasks.create_or_update_for_study(resend).ok());
  entries = task_entries(c, t.id);
  REQUIRE(entries.size() == 4);
  CHECK(entries[2].event.action == "return_to_clinic");
  CHECK(entries[2].event.actor == "img-lead");
  CHECK(entries[3].event.action == "resume");
  CHECK(entries[3].event.actor == "system");
  CHECK(entries[3].event.detail == "returned -> waiting: the clinic sent the exam again");
}
