#include <catch2/catch.hpp>

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
