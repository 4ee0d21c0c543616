#include "teledx/worklist/task_store.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/temp_dir.hpp"
#include "worklist/county.hpp"

using namespace teledx;
using namespace teledx::worklist;
using teledx::test::County;

TEST_CASE("a completed study becomes one waiting task whose deadline comes from the center's SLA table",
          "[worklist]") {
  County c;
  auto t = c.study(Priority::Urgent);
  CHECK(t.state == TaskState::Waiting);
  CHECK(t.center_id == c.imaging.id);
  CHECK(t.clinic_id == c.clinic1.id);
  CHECK(t.deadline_ms == t.created_ms + 60 * 60'000);  // imaging urgent: 60 min
  CHECK(t.warn_ms == t.created_ms + 48 * 60'000);      // 80 % of it
  CHECK(t.request.reason == "chest pain");
  CHECK(t.patient.name == "张三");
  CHECK_FALSE(t.updated);

  auto e = c.study(Priority::Stat, "ECG", "", nullptr, TaskKind::Ecg);
  CHECK(e.center_id == c.ecg.id);
  CHECK(e.deadline_ms == e.created_ms + 10 * 60'000);  // ECG stat: 10 min
}

TEST_CASE("completing the same study again marks its task updated instead of creating another", "[worklist]") {
  County c;
  auto t = c.study();
  StudyForReading again;
  again.study_uid = t.study_uid;
  again.clinic_id = t.clinic_id;
  again.center_id = t.center_id;
  auto r = c.tasks.create_or_update_for_study(again);
  REQUIRE(r.ok());
  CHECK(*r == StudyOutcome::Updated);
  CHECK(c.reload(t).updated);
  auto count = c.db->query("SELECT COUNT(*) FROM reading_tasks");
  CHECK(count->front().integer(0) == 1);

  StudyForReading bad = again;
  bad.study_uid.clear();
  CHECK(c.tasks.create_or_update_for_study(bad).error().code == ErrorCode::BadRequest);
}

TEST_CASE("a returned exam needs a reason and resumes when the clinic sends it again", "[worklist]") {
  County c;
  auto t = c.study();
  REQUIRE(c.tasks.claim(t.id, County::as(c.img_reader1)).ok());
  auto no_reason = c.tasks.transition(t.id, TaskAction::ReturnToClinic, County::as(c.img_reader1), "  ");
  CHECK(no_reason.error().code == ErrorCode::BadRequest);
  auto returned = c.tasks.transition(t.id, TaskAction::ReturnToClinic, County::as(c.img_reader1), "motion blur");
  REQUIRE(returned.ok());
  CHECK(returned->state == TaskState::Returned);
  CHECK(returned->return_reason == "motion blur");
  CHECK_FALSE(returned->assignee_id);

  StudyForReading resend;
  resend.study_uid = t.study_uid;
  resend.clinic_id = t.clinic_id;
  resend.center_id = t.center_id;
  REQUIRE(c.tasks.create_or_update_for_study(resend).ok());
  auto resumed = c.reload(t);
  CHECK(resumed.state == TaskState::Waiting);
  CHECK(resumed.updated);
  CHECK(resumed.return_reason.empty());
}

TEST_CASE("every transition is recorded with actor, time, from and to, and appends one outbox event",
          "[worklist]") {
  County c;
  auto t = c.study();
  auto before = c.tasks.outbox_after(0, 1000);
  REQUIRE(before.ok());
  REQUIRE(before->size() == 1);
  CHECK(before->front().type == "task.created");

  REQUIRE(c.tasks.claim(t.id, County::as(c.img_reader1)).ok());
  c.clock.advance_minutes(1);
  REQUIRE(c.tasks.transition(t.id, TaskAction::Release, County::as(c.img_reader1)).ok());

  auto events = c.tasks.events(t.id);
  REQUIRE(events.ok());
  REQUIRE(events->size() == 2);
  CHECK(events->at(0).action == TaskAction::Claim);
  CHECK(events->at(0).from == TaskState::Waiting);
  CHECK(events->at(0).to == TaskState::Claimed);
  CHECK(events->at(0).actor_id == c.img_reader1.id);
  CHECK(events->at(1).action == TaskAction::Release);
  CHECK(events->at(1).at_ms == events->at(0).at_ms + 60'000);

  auto out = c.tasks.outbox_after(before->back().seq, 1000);
  REQUIRE(out->size() == 2);
  CHECK(out->at(0).type == "task.claim");
  CHECK(out->at(1).type == "task.release");
  CHECK(out->at(0).center_id == c.imaging.id);
  CHECK(out->at(0).clinic_id == c.clinic1.id);
  auto payload = nlohmann::json::parse(out->at(0).payload);
  CHECK(payload["from"] == "waiting");
  CHECK(payload["to"] == "claimed");
  CHECK(payload["task_id"] == t.id);

  // A refused move changes nothing: no event, no outbox row.
  CHECK_FALSE(c.tasks.transition(t.id, TaskAction::Acknowledge, County::as(c.tech1)).ok());
  CHECK(c.tasks.events(t.id)->size() == 2);
  CHECK(c.tasks.outbox_after(out->back().seq, 10)->empty());
}

TEST_CASE("fifty threads claiming one task on a file-backed index: exactly one wins", "[worklist]") {
  test::TempDir dir("teledx-claim");
  County c(dir / "index.sqlite");
  std::vector<User> readers;
  for (int i = 0; i < 50; ++i) readers.push_back(c.user("racer" + std::to_string(i), Role::ImagingReader, c.imaging));
  auto t = c.study();

  std::atomic<int> wins{0}, conflicts{0}, other{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (const auto& r : readers)
    threads.emplace_back([&, actor = County::as(r)] {
      while (!go) std::this_thread::yield();
      auto res = c.tasks.claim(t.id, actor);
      if (res.ok()) ++wins;
      else if (res.error().code == ErrorCode::Conflict) ++conflicts;
      else ++other;
    });
  go = true;
  for (auto& th : threads) th.join();
  CHECK(wins == 1);
  CHECK(conflicts == 49);
  CHECK(other == 0);
  auto after = c.reload(t);
  CHECK(after.state == TaskState::Claimed);
  CHECK(after.row_version == t.row_version + 1);
  CHECK(c.tasks.events(t.id)->size() == 1);
}

TEST_CASE("an idle claim lapses back to waiting, activity renews the lease", "[worklist]") {
  County c;
  auto t = c.study();
  auto claimed = c.tasks.claim(t.id, County::as(c.img_reader1));
  REQUIRE(claimed.ok());
  CHECK(claimed->lease_expires_ms == c.clock.now_ms() + 15 * 60'000);

  c.clock.advance_minutes(10);
  REQUIRE(c.tasks.touch(t.id, County::as(c.img_reader1)).ok());
  c.clock.advance_minutes(10);  // 20 min after the claim, 10 after the renewal
  auto none = c.tasks.expire_leases(c.clock.now_ms());
  REQUIRE(none.ok());
  CHECK(none->empty());

  c.clock.advance_minutes(6);
  auto lapsed = c.tasks.expire_leases(c.clock.now_ms());
  REQUIRE(lapsed.ok());
  REQUIRE(lapsed->size() == 1);
  CHECK(lapsed->front().state == TaskState::Waiting);
  CHECK_FALSE(lapsed->front().assignee_id);
  CHECK(c.tasks.events(t.id)->back().action == TaskAction::ExpireLease);
  CHECK(c.tasks.touch(t.id, County::as(c.img_reader1)).error().code == ErrorCode::Conflict);
  // Someone else may take it now.
  CHECK(c.tasks.claim(t.id, County::as(c.img_reader2)).ok());
}

TEST_CASE("the lease length follows the center's settings", "[worklist]") {
  County c;
  auto s = c.tasks.settings(c.imaging.id);
  REQUIRE(s.ok());
  s->lease_minutes = 5;
  REQUIRE(c.tasks.set_settings(c.imaging.id, *s).ok());
  auto t = c.study();
  REQUIRE(c.tasks.claim(t.id, County::as(c.img_reader1)).ok());
  c.clock.advance_minutes(5.1);
  CHECK(c.tasks.expire_leases(c.clock.now_ms())->size() == 1);

  s->lease_minutes = 0;
  CHECK(c.tasks.set_settings(c.imaging.id, *s).error().code == ErrorCode::BadRequest);
  CHECK(c.tasks.set_settings(c.clinic1.id, CenterSettings{}).error().code == ErrorCode::NotFound);
}

TEST_CASE("in priority-band mode a reader cannot claim a routine task while a stat one of theirs waits",
          "[worklist]") {
  County c;
  auto routine = c.study(Priority::Routine);
  auto stat = c.study(Priority::Stat);
  auto routine2 = c.study(Priority::Routine);
  auto refused = c.tasks.claim(routine.id, County::as(c.img_reader1));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ErrorCode::Conflict);
  CHECK_THAT(refused.error().message, Catch::Contains("task " + std::to_string(stat.id)));

  REQUIRE(c.tasks.claim(stat.id, County::as(c.img_reader2)).ok());
  // Within the routine band any task may be taken, not only the oldest.
  CHECK(c.tasks.claim(routine2.id, County::as(c.img_reader1)).ok());
}

TEST_CASE("in top-of-queue mode only the first waiting task can be claimed", "[worklist]") {
  County c;
  auto s = *c.tasks.settings(c.imaging.id);
  s.fairness = FairnessMode::TopOfQueue;
  REQUIRE(c.tasks.set_settings(c.imaging.id, s).ok());
  auto first = c.study(Priority::Routine);
  c.clock.advance_minutes(1);
  auto second = c.study(Priority::Routine);
  CHECK(c.tasks.claim(second.id, County::as(c.img_reader1)).error().code == ErrorCode::Conflict);
  CHECK(c.tasks.claim(first.id, County::as(c.img_reader1)).ok());
  CHECK(c.tasks.claim(second.id, County::as(c.img_reader1)).ok());
}

TEST_CASE("fairness looks only at the reader's subspecialty, and can be switched off", "[worklist]") {
  County c;
  REQUIRE(c.tasks.set_profile(c.imaging.id, {c.img_reader1.id, {"DX"}, {}}).ok());
  auto stat_ct = c.study(Priority::Stat, "CT", "HEAD");
  auto routine_dx = c.study(Priority::Routine, "DX", "CHEST");
  // The waiting stat CT is outside reader1's subspecialty (DX): the routine chest film may be taken.
  CHECK(c.tasks.claim(routine_dx.id, County::as(c.img_reader1)).ok());

  auto routine_ct = c.study(Priority::Routine, "CT", "CHEST");
  CHECK(c.tasks.claim(routine_ct.id, County::as(c.img_reader2)).error().code == ErrorCode::Conflict);
  auto s = *c.tasks.settings(c.imaging.id);
  s.fairness = FairnessMode::Off;
  REQUIRE(c.tasks.set_settings(c.imaging.id, s).ok());
  CHECK(c.tasks.claim(routine_ct.id, County::as(c.img_reader2)).ok());
  (void)stat_ct;
}

TEST_CASE("raising the priority recomputes the deadline from the SLA table", "[worklist]") {
  County c;
  auto t = c.study(Priority::Routine);
  CHECK(t.deadline_ms == t.created_ms + 240 * 60'000);
  auto raised = c.tasks.set_priority(t.id, Priority::Stat, County::as(c.img_lead), "clinical call");
  REQUIRE(raised.ok());
  CHECK(raised->priority == Priority::Stat);
  CHECK(raised->deadline_ms == t.created_ms + 30 * 60'000);
  CHECK(c.tasks.set_priority(t.id, Priority::Urgent, County::as(c.tech1)).error().code == ErrorCode::Forbidden);

  auto flagged = c.tasks.set_machine_flags(t.id, R"({"stemi": true})", Priority::Stat);
  REQUIRE(flagged.ok());
  CHECK(nlohmann::json::parse(flagged->machine_flags)["stemi"] == true);
  CHECK(c.tasks.set_machine_flags(t.id, "[1]").error().code == ErrorCode::BadRequest);
}
