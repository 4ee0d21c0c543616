#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "teledx/worklist/task_store.hpp"
#include "worklist/county.hpp"

using namespace teledx;
using namespace teledx::worklist;
using teledx::test::County;

namespace {

std::vector<std::string> types(const std::vector<DeadlineEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.type);
  return out;
}

}  // namespace

TEST_CASE("a task nearing its deadline and then past it emits each event exactly once", "[worklist]") {
  County c;
  auto t = c.study(Priority::Stat, "ECG", "", nullptr, TaskKind::Ecg);  // 10 min SLA, warning at 8 min
  CHECK(c.tasks.deadline_events(c.clock.now_ms())->empty());

  c.clock.advance_minutes(7.9);
  CHECK(c.tasks.deadline_events(c.clock.now_ms())->empty());
  c.clock.advance_minutes(0.2);
  auto warn = c.tasks.deadline_events(c.clock.now_ms());
  REQUIRE(warn.ok());
  CHECK(types(*warn) == std::vector<std::string>{"sla.warning"});
  CHECK(warn->front().task_id == t.id);
  CHECK(warn->front().center_id == c.ecg.id);
  CHECK(c.tasks.deadline_events(c.clock.now_ms())->empty());

  c.clock.advance_minutes(2);
  CHECK(types(*c.tasks.deadline_events(c.clock.now_ms())) == std::vector<std::string>{"sla.overdue"});
  c.clock.advance_minutes(60);
  CHECK(c.tasks.deadline_events(c.clock.now_ms())->empty());

  auto out = c.tasks.outbox_after(0, 100);
  REQUIRE(out.ok());
  CHECK(out->back().type == "sla.overdue");
  CHECK(c.reload(t).overdue(c.clock.now_ms()));
}

TEST_CASE("a task found already past its deadline gets only the overdue event", "[worklist]") {
  County c;
  c.study(Priority::Urgent);
  c.clock.advance_minutes(61);
  CHECK(types(*c.tasks.deadline_events(c.clock.now_ms())) == std::vector<std::string>{"sla.overdue"});
  CHECK(c.tasks.deadline_events(c.clock.now_ms())->empty());
}

TEST_CASE("signed tasks raise no deadline events", "[worklist]") {
  County c;
  auto t = c.study(Priority::Stat);
  c.draft(t, c.img_reader1);
  REQUIRE(c.reports.sign(t.id, County::as(c.img_reader1)).ok());
  c.clock.advance_minutes(120);
  CHECK(c.tasks.deadline_events(c.clock.now_ms())->empty());
}

TEST_CASE("the SLA table is configurable per center and kind", "[worklist]") {
  County c;
  auto s = *c.tasks.settings(c.ecg.id);
  CHECK(s.sla_for(TaskKind::Ecg, Priority::Stat) == 10);
  CHECK(s.sla_for(TaskKind::Ecg, Priority::Urgent) == 15);
  CHECK(s.sla_for(TaskKind::Ecg, Priority::Routine) == 30);
  CHECK(s.sla_for(TaskKind::Imaging, Priority::Stat) == 30);
  CHECK(s.sla_for(TaskKind::Imaging, Priority::Routine) == 240);
  s.sla_minutes[static_cast<int>(TaskKind::Ecg)][static_cast<int>(Priority::Stat)] = 5;
  REQUIRE(c.tasks.set_settings(c.ecg.id, s).ok());
  auto t = c.study(Priority::Stat, "ECG", "", nullptr, TaskKind::Ecg);
  CHECK(t.deadline_ms == t.created_ms + 5 * 60'000);
  // Other centers keep the defaults.
  CHECK(c.tasks.settings(c.imaging.id)->sla_for(TaskKind::Ecg, Priority::Stat) == 10);
}

TEST_CASE("an unacknowledged critical value escalates at each threshold, once", "[worklist]") {
  County c;
  auto t = c.study(Priority::Routine);  // 240 min SLA: no SLA events in this window
  c.draft(t, c.img_reader1);
  REQUIRE(c.reports.mark_critical(t.id, "intracranial_hemorrhage", "left temporal", County::as(c.img_reader1)).ok());

  c.clock.advance_minutes(9);
  CHECK(c.tasks.deadline_events(c.clock.now_ms())->empty());
  c.clock.advance_minutes(1.5);
  CHECK(types(*c.tasks.deadline_events(c.clock.now_ms())) == std::vector<std::string>{"critical.escalation1"});
  CHECK(c.tasks.deadline_events(c.clock.now_ms())->empty());
  c.clock.advance_minutes(10);
  CHECK(types(*c.tasks.deadline_events(c.clock.now_ms())) == std::vector<std::string>{"critical.escalation2"});
  c.clock.advance_minutes(30);
  CHECK(c.tasks.deadline_events(c.clock.now_ms())->empty());
}

TEST_CASE("an acknowledged critical value does not escalate", "[worklist]") {
  County c;
  auto t = c.study(Priority::Routine);
  c.draft(t, c.img_reader1);
  REQUIRE(c.reports.mark_critical(t.id, "pneumothorax", "", County::as(c.img_reader1)).ok());
  c.clock.advance_minutes(3);
  REQUIRE(c.reports.acknowledge_critical(t.id, "Dr. Wang", County::as(c.doctor1)).ok());
  c.clock.advance_minutes(60);
  CHECK(c.tasks.deadline_events(c.clock.now_ms())->empty());
}

TEST_CASE("changing the SLA table moves the deadlines of unsigned tasks, each with an outbox event",
          "[worklist][sla]") {
  County c;
  auto s = *c.tasks.settings(c.imaging.id);
  s.fairness = FairnessMode::Off;
  REQUIRE(c.tasks.set_settings(c.imaging.id, s).ok());
  auto waiting = c.study(Priority::Routine);
  auto claimed = c.study(Priority::Routine);
  auto returned = c.study(Priority::Routine);
  auto done = c.study(Priority::Routine);
  auto ecg = c.study(Priority::Routine, "ECG", "", nullptr, TaskKind::Ecg);  // another center
  REQUIRE(c.tasks.claim(claimed.id, County::as(c.img_reader1)).ok());
  REQUIRE(c.tasks.transition(returned.id, TaskAction::ReturnToClinic, County::as(c.img_lead), "no images").ok());
  c.draft(done, c.img_reader2);
  REQUIRE(c.reports.sign(done.id, County::as(c.img_reader2)).ok());
  const auto seq = c.tasks.outbox_after(0, 1000)->back().seq;

  s.sla_minutes[static_cast<int>(TaskKind::Imaging)][static_cast<int>(Priority::Routine)] = 120;
  auto moved = c.tasks.set_settings(c.imaging.id, s, County::as(c.img_lead));
  REQUIRE(moved.ok());
  CHECK(*moved == 3);
  for (const auto* t : {&waiting, &claimed, &returned}) {
    auto now = c.reload(*t);
    CHECK(now.deadline_ms == now.created_ms + 120 * 60'000);
    CHECK(now.warn_ms == now.created_ms + 96 * 60'000);
  }
  CHECK(c.reload(claimed).state == TaskState::Claimed);  // only the clock moved
  CHECK(c.reload(done).deadline_ms == done.deadline_ms);  // signed: its SLA is settled
  CHECK(c.reload(ecg).deadline_ms == ecg.deadline_ms);

  auto events = c.tasks.outbox_after(seq, 100);
  REQUIRE(events.ok());
  REQUIRE(events->size() == 3);
  for (const auto& e : *events) {
    CHECK(e.type == "task.deadline_changed");
    auto payload = nlohmann::json::parse(e.payload);
    CHECK(payload["from_deadline_ms"] == waiting.created_ms + 240 * 60'000);
    CHECK(payload["deadline_ms"] == waiting.created_ms + 120 * 60'000);
    CHECK(payload["reason"] == "sla_table");
  }

  // Settings that leave the SLA alone move nothing.
  s.lease_minutes = 20;
  CHECK(*c.tasks.set_settings(c.imaging.id, s) == 0);
  CHECK(c.tasks.outbox_after(seq, 100)->size() == 3);
}

TEST_CASE("after an SLA change the nearing and overdue events follow the new deadline, each still once",
          "[worklist][sla]") {
  County c;
  auto t = c.study(Priority::Routine);  // 240 min, warning at 192
  auto s = *c.tasks.settings(c.imaging.id);
  c.clock.advance_minutes(100);
  CHECK(c.tasks.deadline_events(c.clock.now_ms())->empty());

  // Shortened below the time already spent: overdue at the next round, and only once.
  s.sla_minutes[0][2] = 90;
  REQUIRE(c.tasks.set_settings(c.imaging.id, s).ok());
  CHECK(types(*c.tasks.deadline_events(c.clock.now_ms())) == std::vector<std::string>{"sla.overdue"});
  CHECK(c.tasks.deadline_events(c.clock.now_ms())->empty());
  CHECK(c.reload(t).overdue(c.clock.now_ms()));

  // Lengthened again: no longer overdue, and the events re-arm for the new deadline (warning at 240).
  s.sla_minutes[0][2] = 300;
  REQUIRE(c.tasks.set_settings(c.imaging.id, s).ok());
  CHECK_FALSE(c.reload(t).overdue(c.clock.now_ms()));
  CHECK(c.tasks.deadline_events(c.clock.now_ms())->empty());
  c.clock.advance_minutes(141);
  CHECK(types(*c.tasks.deadline_events(c.clock.now_ms())) == std::vector<std::string>{"sla.warning"});
  c.clock.advance_minutes(60);
  CHECK(types(*c.tasks.deadline_events(c.clock.now_ms())) == std::vector<std::string>{"sla.overdue"});

  // A change while the task is still overdue under the new table sends nothing again.
  s.sla_minutes[0][2] = 200;
  REQUIRE(c.tasks.set_settings(c.imaging.id, s).ok());
  CHECK(c.tasks.deadline_events(c.clock.now_ms())->empty());
}

TEST_CASE("the SLA clock stops while the exam is back at the clinic and runs on when it is sent again",
          "[worklist][sla]") {
  County c;
  auto t = c.study(Priority::Urgent);  // 60 min SLA
  c.clock.advance_minutes(20);
  REQUIRE(c.tasks.transition(t.id, TaskAction::ReturnToClinic, County::as(c.img_reader1), "motion blur").ok());
  c.clock.advance_minutes(90);  // the clinic takes its time
  CHECK(c.tasks.deadline_events(c.clock.now_ms())->empty());  // returned: no alerts
  StudyForReading resend;
  resend.study_uid = t.study_uid;
  resend.clinic_id = t.clinic_id;
  resend.center_id = t.center_id;
  REQUIRE(c.tasks.create_or_update_for_study(resend).ok());
  auto resumed = c.reload(t);
  CHECK(resumed.state == TaskState::Waiting);
  CHECK(resumed.sla_paused_ms == 90 * 60'000);
  CHECK(resumed.deadline_ms == t.deadline_ms + 90 * 60'000);  // 40 minutes left, as when it was returned
  CHECK_FALSE(resumed.overdue(c.clock.now_ms()));
  c.clock.advance_minutes(30);
  CHECK(types(*c.tasks.deadline_events(c.clock.now_ms())) == std::vector<std::string>{"sla.warning"});
  c.clock.advance_minutes(11);
  CHECK(types(*c.tasks.deadline_events(c.clock.now_ms())) == std::vector<std::string>{"sla.overdue"});

  // A later SLA change keeps the paused time.
  auto s = *c.tasks.settings(c.imaging.id);
  s.sla_minutes[0][1] = 120;
  REQUIRE(c.tasks.set_settings(c.imaging.id, s).ok());
  CHECK(c.reload(t).deadline_ms == t.created_ms + (90 + 120) * 60'000);
}
