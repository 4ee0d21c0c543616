// Quality feedback to the clinics: every exam records who performed it, the readers' grades become quality
// rates per clinic and per technician (also over time), and the graded exams form a feedback history that
// can be narrowed to one clinic, technician or grade.
#include <catch2/catch.hpp>

#include "teledx/worklist/stats.hpp"
#include "worklist/county.hpp"

using namespace teledx;
using namespace teledx::worklist;
using teledx::test::County;

namespace {

constexpr std::int64_t kDay = 86'400'000;

/// A completed CT of `clinic` performed by `tech` (a user), or by an operator named in the files (no id).
Task exam(County& c, const Institution& clinic, std::optional<std::int64_t> tech_id, const std::string& tech_name) {
  StudyForReading s;
  s.study_uid = "1.2.826.0.1.3680043.10.q." + std::to_string(c.next_study++);
  s.clinic_id = clinic.id;
  s.center_id = c.imaging.id;
  s.patient = {"赵六", "Q" + std::to_string(c.next_study), "F", "19800101", "046Y", ""};
  s.modality = "CT";
  s.body_part = "CHEST";
  s.technician_id = tech_id;
  s.technician_name = tech_name;
  REQUIRE(c.tasks.create_or_update_for_study(s).ok());
  auto t = c.tasks.find_by_study(s.study_uid, s.center_id);
  REQUIRE(t);
  return *t;
}

void graded(County& c, const Task& t, const std::string& grade, std::vector<std::string> reasons = {}) {
  REQUIRE(c.tasks.claim(t.id, County::as(c.img_reader1)).ok());
  REQUIRE(c.reports.grade_quality(t.id, {grade, std::move(reasons), "comment " + grade, 0, 0},
                                  County::as(c.img_reader1))
              .ok());
  REQUIRE(c.tasks.transition(t.id, TaskAction::Release, County::as(c.img_reader1)).ok());
}

/// Clinic 1: the tech graded A, B, C on day one and C on day two; an operator "WANG LI" (C-STORE) C once;
/// one exam of an unknown operator ungraded. Clinic 2: one A by its tech.
struct QualityCounty {
  County c;
  std::int64_t day1 = 0;
  Task a, b, poor1, poor2, wang, nobody, other;
  QualityCounty() {
    auto s = *c.tasks.settings(c.imaging.id);
    s.fairness = FairnessMode::Off;
    REQUIRE(c.tasks.set_settings(c.imaging.id, s).ok());
    day1 = c.clock.now_ms();
    a = exam(c, c.clinic1, c.tech1.id, c.tech1.display_name);
    b = exam(c, c.clinic1, c.tech1.id, c.tech1.display_name);
    poor1 = exam(c, c.clinic1, c.tech1.id, c.tech1.display_name);
    wang = exam(c, c.clinic1, std::nullopt, "WANG LI");
    nobody = exam(c, c.clinic1, std::nullopt, "");
    other = exam(c, c.clinic2, c.tech2.id, c.tech2.display_name);
    graded(c, a, "A");
    graded(c, b, "B");
    graded(c, poor1, "C", {"motion"});
    graded(c, wang, "C", {"positioning", "exposure"});
    graded(c, other, "A");
    c.clock.set(day1 + kDay);
    poor2 = exam(c, c.clinic1, c.tech1.id, c.tech1.display_name);
    graded(c, poor2, "C", {"artefact"});
  }
};

}  // namespace

TEST_CASE("a task keeps who performed the exam, a missing operator reads unknown", "[worklist][quality]") {
  County c;
  auto t = exam(c, c.clinic1, c.tech1.id, c.tech1.display_name);
  CHECK(t.technician_id == c.tech1.id);
  CHECK(t.technician_name == "clinic1-tech");
  CHECK(technician_key(t.technician_id, t.technician_name) == "user:" + std::to_string(c.tech1.id));
  auto op = exam(c, c.clinic1, std::nullopt, "WANG LI");
  CHECK_FALSE(op.technician_id);
  CHECK(technician_key(op.technician_id, op.technician_name) == "name:WANG LI");
  auto none = exam(c, c.clinic1, std::nullopt, "");
  CHECK(none.technician_name == "unknown");
  CHECK(technician_key(none.technician_id, none.technician_name) == "unknown");
}

TEST_CASE("quality rates per technician within a clinic, and per clinic for the lead", "[worklist][quality]") {
  QualityCounty q;
  StatsFilter f;
  f.clinic_id = q.c.clinic1.id;
  f.group = StatsGroup::Technician;
  auto rows = turnaround(*q.c.db, f, q.c.clock.now_ms());
  REQUIRE(rows.ok());
  std::map<std::string, TurnaroundRow> by;
  for (const auto& r : *rows) by[r.key] = r;
  REQUIRE(by.size() == 3);
  const auto& tech = by.at("user:" + std::to_string(q.c.tech1.id));
  CHECK(tech.label == "clinic1-tech");
  CHECK(tech.tasks == 4);
  CHECK(tech.quality_graded == 4);
  CHECK(tech.quality_good == 1);
  CHECK(tech.quality_acceptable == 1);
  CHECK(tech.quality_poor == 2);
  const auto& wang = by.at("name:WANG LI");
  CHECK(wang.quality_graded == 1);
  CHECK(wang.quality_poor == 1);
  CHECK(by.at("unknown").tasks == 1);
  CHECK(by.at("unknown").quality_graded == 0);

  // The lead's view: per clinic.
  StatsFilter lead;
  lead.center_id = q.c.imaging.id;
  lead.group = StatsGroup::Clinic;
  auto clinics = turnaround(*q.c.db, lead, q.c.clock.now_ms());
  REQUIRE(clinics.ok());
  std::map<std::string, TurnaroundRow> per;
  for (const auto& r : *clinics) per[r.key] = r;
  CHECK(per.at(std::to_string(q.c.clinic1.id)).quality_graded == 5);
  CHECK(per.at(std::to_string(q.c.clinic1.id)).quality_poor == 3);
  CHECK(per.at(std::to_string(q.c.clinic2.id)).quality_good == 1);

  // One technician's rate over time: by day.
  StatsFilter days;
  days.clinic_id = q.c.clinic1.id;
  days.technician = "user:" + std::to_string(q.c.tech1.id);
  days.group = StatsGroup::Day;
  auto over_time = turnaround(*q.c.db, days, q.c.clock.now_ms());
  REQUIRE(over_time.ok());
  REQUIRE(over_time->size() == 2);
  CHECK(over_time->at(0).key == "2026-11-30");
  CHECK(over_time->at(0).quality_graded == 3);
  CHECK(over_time->at(0).quality_poor == 1);
  CHECK(over_time->at(1).key == "2026-12-01");
  CHECK(over_time->at(1).quality_poor == 1);

  auto csv = turnaround_csv(*rows);
  CHECK(csv.find("quality_graded,quality_good,quality_acceptable") != std::string::npos);
  CHECK(stats_group_from("technician") == StatsGroup::Technician);
}

TEST_CASE("the quality feedback history lists graded exams newest first, scoped and filtered", "[worklist][quality]") {
  QualityCounty q;
  QualityQuery mine;
  mine.clinic_id = q.c.clinic1.id;
  auto page = quality_feedback(*q.c.db, mine);
  REQUIRE(page.ok());
  REQUIRE(page->items.size() == 5);  // the ungraded exam is not feedback; clinic 2's grade is not ours
  CHECK(page->items.front().task_id == q.poor2.id);
  CHECK(page->items.front().grade == "C");
  CHECK(page->items.front().reasons == std::vector<std::string>{"artefact"});
  CHECK(page->items.front().comment == "comment C");
  CHECK(page->items.front().graded_by == q.c.img_reader1.id);
  CHECK(page->items.front().technician_name == "clinic1-tech");
  for (const auto& item : page->items) CHECK(item.clinic_id == q.c.clinic1.id);

  QualityQuery poor = mine;
  poor.grade = "C";
  poor.technician = "name:WANG LI";
  auto wang = quality_feedback(*q.c.db, poor);
  REQUIRE(wang.ok());
  REQUIRE(wang->items.size() == 1);
  CHECK(wang->items.front().task_id == q.wang.id);
  CHECK(wang->items.front().reasons == std::vector<std::string>{"positioning", "exposure"});

  QualityQuery paged = mine;
  paged.limit = 2;
  auto first = quality_feedback(*q.c.db, paged);
  REQUIRE(first.ok());
  CHECK(first->items.size() == 2);
  CHECK(first->has_more);
  paged.offset = 4;
  CHECK_FALSE(quality_feedback(*q.c.db, paged)->has_more);

  QualityQuery day_two = mine;
  day_two.from_ms = q.day1 + kDay;
  CHECK(quality_feedback(*q.c.db, day_two)->items.size() == 1);

  QualityQuery bad = mine;
  bad.grade = "D";
  CHECK(quality_feedback(*q.c.db, bad).error().code == ErrorCode::BadRequest);
  bad = mine;
  bad.limit = 0;
  CHECK(quality_feedback(*q.c.db, bad).error().code == ErrorCode::BadRequest);
}
