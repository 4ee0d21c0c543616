#include <catch2/catch.hpp>

#include "teledx/worklist/task_store.hpp"
#include "worklist/county.hpp"

using namespace teledx;
using namespace teledx::worklist;
using teledx::test::County;

namespace {

constexpr int kMonday = 1, kSunday = 7;

/// Readers 1 and 2 work Monday 08:00-17:00; the senior covers the Sunday night shift 20:00-08:00.
void day_and_night_rota(County& c) {
  REQUIRE(c.tasks
              .set_shifts(c.imaging.id, {{c.img_reader1.id, kMonday, 8 * 60, 17 * 60},
                                         {c.img_reader2.id, kMonday, 8 * 60, 17 * 60},
                                         {c.img_senior.id, kSunday, 20 * 60, 8 * 60}})
              .ok());
}

}  // namespace

TEST_CASE("the center lead assigns and reassigns a task to a reader of the center", "[worklist]") {
  County c;
  auto t = c.study();
  auto assigned = c.tasks.assign(t.id, c.img_reader2.id, County::as(c.img_lead));
  REQUIRE(assigned.ok());
  CHECK(assigned->state == TaskState::Claimed);
  CHECK(assigned->assignee_id == c.img_reader2.id);
  CHECK(assigned->lease_expires_ms > c.clock.now_ms());

  auto moved = c.tasks.assign(t.id, c.img_reader1.id, County::as(c.img_lead));
  REQUIRE(moved.ok());
  CHECK(moved->state == TaskState::Claimed);
  CHECK(moved->assignee_id == c.img_reader1.id);
  auto events = *c.tasks.events(t.id);
  REQUIRE(events.size() == 2);
  CHECK(events[1].action == TaskAction::Assign);
  CHECK(events[1].note == "assigned to img-reader1");

  CHECK(c.tasks.assign(t.id, c.img_reader2.id, County::as(c.img_reader1)).error().code == ErrorCode::Forbidden);
  CHECK(c.tasks.assign(t.id, c.img_reader2.id, County::as(c.ecg_lead)).error().code == ErrorCode::Forbidden);
  CHECK(c.tasks.assign(t.id, c.ecg_reader.id, County::as(c.img_lead)).error().code == ErrorCode::BadRequest);
  CHECK(c.tasks.assign(t.id, c.tech1.id, County::as(c.img_lead)).error().code == ErrorCode::BadRequest);
  CHECK(c.tasks.assign(t.id, 9999, County::as(c.img_lead)).error().code == ErrorCode::NotFound);
}

TEST_CASE("the rota tells who is on duty, including a night shift that spans midnight", "[worklist]") {
  County c;
  day_and_night_rota(c);
  const std::int64_t monday_0900 = c.clock.now_ms();
  const std::int64_t hour = 3600'000;
  CHECK(*c.tasks.on_duty(c.imaging.id, monday_0900) == std::vector<std::int64_t>{c.img_reader1.id, c.img_reader2.id});
  CHECK(*c.tasks.on_duty(c.imaging.id, monday_0900 - 2 * hour) == std::vector<std::int64_t>{c.img_senior.id});
  CHECK(*c.tasks.on_duty(c.imaging.id, monday_0900 - 12 * hour) == std::vector<std::int64_t>{c.img_senior.id});
  CHECK(c.tasks.on_duty(c.imaging.id, monday_0900 + 9 * hour)->empty());  // Monday 18:00
  CHECK(c.tasks.on_duty(c.imaging.id, monday_0900 - 14 * hour)->empty()); // Sunday 19:00

  auto shifts = c.tasks.shifts(c.imaging.id);
  REQUIRE(shifts.ok());
  CHECK(shifts->size() == 3);
}

TEST_CASE("automatic assignment picks the on-duty reader with the fewest open tasks", "[worklist]") {
  County c;
  day_and_night_rota(c);
  auto busy = c.study();
  REQUIRE(c.tasks.claim(busy.id, County::as(c.img_reader1)).ok());

  auto t = c.study();
  auto r = c.tasks.auto_assign(t.id, County::as(c.img_lead));
  REQUIRE(r.ok());
  CHECK(r->assignee_id == c.img_reader2.id);  // reader1 already holds one

  auto t2 = c.study();
  auto r2 = c.tasks.auto_assign(t2.id, Actor::server());  // tie (one each): lowest id wins
  REQUIRE(r2.ok());
  CHECK(r2->assignee_id == c.img_reader1.id);
  CHECK_THAT(c.tasks.events(t2.id)->back().note, Catch::Contains("auto-assigned to img-reader1"));

  auto loads = c.tasks.reader_loads(c.imaging.id);
  REQUIRE(loads.ok());
  REQUIRE(loads->size() == 4);  // two readers, the senior and the lead
  CHECK(loads->front().user_id == c.img_reader1.id);
  CHECK(loads->front().open == 2);
}

TEST_CASE("automatic assignment prefers a reader of the exam's subspecialty over a less loaded one",
          "[worklist]") {
  County c;
  day_and_night_rota(c);
  REQUIRE(c.tasks.set_profile(c.imaging.id, {c.img_reader1.id, {"dx"}, {"chest"}}).ok());
  REQUIRE(c.tasks.set_profile(c.imaging.id, {c.img_reader2.id, {"CT", "MR"}, {}}).ok());
  auto held = c.study(Priority::Routine, "DX", "CHEST");
  REQUIRE(c.tasks.claim(held.id, County::as(c.img_reader1)).ok());

  auto chest = c.study(Priority::Routine, "DX", "CHEST");
  CHECK(c.tasks.auto_assign(chest.id, County::as(c.img_lead))->assignee_id == c.img_reader1.id);
  auto head = c.study(Priority::Routine, "CT", "HEAD");
  CHECK(c.tasks.auto_assign(head.id, County::as(c.img_lead))->assignee_id == c.img_reader2.id);
  // Nobody on duty reads ultrasound: anyone on duty will, by load.
  auto us = c.study(Priority::Routine, "US", "ABDOMEN");
  CHECK(c.tasks.auto_assign(us.id, County::as(c.img_lead))->assignee_id == c.img_reader2.id);

  auto p = c.tasks.profile(c.img_reader1.id);
  REQUIRE(p.ok());
  CHECK(p->modalities == std::vector<std::string>{"DX"});
  CHECK(p->body_parts == std::vector<std::string>{"CHEST"});
}

TEST_CASE("automatic assignment with nobody on duty is refused with a clear sentence", "[worklist]") {
  County c;
  day_and_night_rota(c);
  c.clock.advance_minutes(9 * 60);  // Monday 18:00
  auto t = c.study();
  auto r = c.tasks.auto_assign(t.id, County::as(c.img_lead));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::Conflict);
  CHECK(r.error().message == "No reader of the center is on duty now; assign the task by hand.");
}

TEST_CASE("a rota only accepts readers of the center and valid times", "[worklist]") {
  County c;
  CHECK(c.tasks.set_shifts(c.imaging.id, {{c.ecg_reader.id, 1, 0, 60}}).error().code == ErrorCode::BadRequest);
  CHECK(c.tasks.set_shifts(c.imaging.id, {{c.img_reader1.id, 8, 0, 60}}).error().code == ErrorCode::BadRequest);
  CHECK(c.tasks.set_shifts(c.imaging.id, {{c.img_reader1.id, 1, 60, 60}}).error().code == ErrorCode::BadRequest);
  CHECK(c.tasks.set_profile(c.imaging.id, {c.tech1.id, {}, {}}).error().code == ErrorCode::BadRequest);
}
