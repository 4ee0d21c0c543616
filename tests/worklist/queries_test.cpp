#include <catch2/catch.hpp>

#include "teledx/worklist/task_store.hpp"
#include "worklist/county.hpp"

using namespace teledx;
using namespace teledx::worklist;
using teledx::test::County;

namespace {

std::vector<std::int64_t> ids(const Result<TaskPage>& page) {
  REQUIRE(page.ok());
  std::vector<std::int64_t> out;
  for (const auto& t : page->tasks) out.push_back(t.id);
  return out;
}

/// Six imaging exams and one ECG, a minute apart:
///   a routine CT clinic1 (waiting)     b stat DX clinic1 (claimed by reader2)
///   c urgent CT clinic2 (waiting)      d routine DX clinic2 (claimed by reader1)
///   e stat CT clinic1 (waiting)        f routine US clinic1 (signed by reader1)
///   g ECG routine clinic1
struct Board {
  County c;
  Task a, b, cc, d, e, f, g;
  Board() {
    auto s = *c.tasks.settings(c.imaging.id);
    s.fairness = FairnessMode::Off;
    REQUIRE(c.tasks.set_settings(c.imaging.id, s).ok());
    a = next(Priority::Routine, "CT", "HEAD", c.clinic1);
    b = next(Priority::Stat, "DX", "CHEST", c.clinic1);
    cc = next(Priority::Urgent, "CT", "CHEST", c.clinic2);
    d = next(Priority::Routine, "DX", "CHEST", c.clinic2);
    e = next(Priority::Stat, "CT", "HEAD", c.clinic1);
    f = next(Priority::Routine, "US", "ABDOMEN", c.clinic1);
    g = c.study(Priority::Routine, "ECG", "", &c.clinic1, TaskKind::Ecg);
    REQUIRE(c.tasks.claim(b.id, County::as(c.img_reader2)).ok());
    REQUIRE(c.tasks.claim(d.id, County::as(c.img_reader1)).ok());
    c.draft(f, c.img_reader1);
    REQUIRE(c.reports.sign(f.id, County::as(c.img_reader1)).ok());
  }
  Task next(Priority p, const char* mod, const char* part, const Institution& clinic) {
    auto t = c.study(p, mod, part, &clinic);
    c.clock.advance_minutes(1);
    return t;
  }
};

}  // namespace

TEST_CASE("a reader's worklist holds the center's waiting tasks and their own, most urgent first", "[worklist]") {
  Board w;
  auto& c = w.c;
  // e and b are stat (b is reader2's), c urgent, a and d routine (d is reader1's); f is signed.
  CHECK(ids(c.tasks.worklist(County::as(c.img_reader1), {})) == std::vector<std::int64_t>{w.e.id, w.cc.id, w.a.id, w.d.id});
  CHECK(ids(c.tasks.worklist(County::as(c.img_reader2), {})) == std::vector<std::int64_t>{w.b.id, w.e.id, w.cc.id, w.a.id});
  TaskFilter signed_only;
  signed_only.states = {TaskState::Signed};
  CHECK(ids(c.tasks.worklist(County::as(c.img_reader1), signed_only)) == std::vector<std::int64_t>{w.f.id});
  CHECK(ids(c.tasks.worklist(County::as(c.ecg_reader), {})) == std::vector<std::int64_t>{w.g.id});
}

TEST_CASE("the lead sees the whole center and can filter by reader and overdue", "[worklist]") {
  Board w;
  auto& c = w.c;
  CHECK(ids(c.tasks.worklist(County::as(c.img_lead), {})).size() == 6);
  TaskFilter by_reader;
  by_reader.assignee_id = c.img_reader1.id;
  CHECK(ids(c.tasks.worklist(County::as(c.img_lead), by_reader)) == std::vector<std::int64_t>{w.d.id, w.f.id});

  TaskFilter overdue;
  overdue.overdue_only = true;
  CHECK(ids(c.tasks.worklist(County::as(c.img_lead), overdue)).empty());
  c.clock.advance_minutes(31);  // the stat tasks (30 min) are now past their deadline
  CHECK(ids(c.tasks.worklist(County::as(c.img_lead), overdue)) == std::vector<std::int64_t>{w.b.id, w.e.id});
}

TEST_CASE("a clinic sees only its own exams, newest first, admins see no worklist", "[worklist]") {
  Board w;
  auto& c = w.c;
  TaskFilter newest;
  newest.sort = TaskSort::NewestFirst;
  CHECK(ids(c.tasks.worklist(County::as(c.tech1), newest)) ==
        std::vector<std::int64_t>{w.g.id, w.f.id, w.e.id, w.b.id, w.a.id});
  CHECK(ids(c.tasks.worklist(County::as(c.tech2), newest)) == std::vector<std::int64_t>{w.d.id, w.cc.id});
  TaskFilter other_clinic;
  other_clinic.clinic_id = c.clinic2.id;  // asking for another clinic's exams yields nothing
  CHECK(ids(c.tasks.worklist(County::as(c.tech1), other_clinic)).empty());
  CHECK(c.tasks.worklist(County::as(c.admin), {}).error().code == ErrorCode::Forbidden);

  CHECK(TaskStore::may_view(County::as(c.tech1), w.a));
  CHECK_FALSE(TaskStore::may_view(County::as(c.tech2), w.a));
  CHECK(TaskStore::may_view(County::as(c.img_reader2), w.a));
  CHECK_FALSE(TaskStore::may_view(County::as(c.ecg_reader), w.a));
  CHECK_FALSE(TaskStore::may_view(County::as(c.admin), w.a));
}

TEST_CASE("worklist filters combine: modality, priority, clinic, received time and state", "[worklist]") {
  Board w;
  auto& c = w.c;
  const Actor lead = County::as(c.img_lead);
  TaskFilter f;
  f.modality = "ct";
  CHECK(ids(c.tasks.worklist(lead, f)) == std::vector<std::int64_t>{w.e.id, w.cc.id, w.a.id});
  f.priority = Priority::Stat;
  CHECK(ids(c.tasks.worklist(lead, f)) == std::vector<std::int64_t>{w.e.id});
  TaskFilter by_clinic;
  by_clinic.clinic_id = c.clinic2.id;
  CHECK(ids(c.tasks.worklist(lead, by_clinic)) == std::vector<std::int64_t>{w.cc.id, w.d.id});
  TaskFilter window;
  window.from_ms = w.b.received_ms;
  window.to_ms = w.d.received_ms + 1;
  window.sort = TaskSort::NewestFirst;
  CHECK(ids(c.tasks.worklist(lead, window)) == std::vector<std::int64_t>{w.d.id, w.cc.id, w.b.id});
  TaskFilter claimed;
  claimed.states = {TaskState::Claimed};
  CHECK(ids(c.tasks.worklist(lead, claimed)) == std::vector<std::int64_t>{w.b.id, w.d.id});
}

TEST_CASE("worklist pages with limit and offset and says whether more follow", "[worklist]") {
  Board w;
  auto& c = w.c;
  TaskFilter f;
  f.limit = 4;
  auto p1 = c.tasks.worklist(County::as(c.img_lead), f);
  REQUIRE(p1.ok());
  CHECK(p1->tasks.size() == 4);
  CHECK(p1->has_more);
  f.offset = 4;
  auto p2 = c.tasks.worklist(County::as(c.img_lead), f);
  REQUIRE(p2.ok());
  CHECK(p2->tasks.size() == 2);
  CHECK_FALSE(p2->has_more);
  f.limit = 0;
  CHECK(c.tasks.worklist(County::as(c.img_lead), f).error().code == ErrorCode::BadRequest);
}

TEST_CASE("a senior reader's worklist includes reports awaiting review", "[worklist]") {
  County c;
  c.set_two_level(true);
  auto t = c.study();
  c.draft(t, c.img_reader1);
  REQUIRE(c.reports.submit_for_review(t.id, County::as(c.img_reader1)).ok());
  CHECK(ids(c.tasks.worklist(County::as(c.img_senior), {})) == std::vector<std::int64_t>{t.id});
  CHECK(ids(c.tasks.worklist(County::as(c.img_reader2), {})).empty());
}
