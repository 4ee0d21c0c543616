#include "teledx/worklist/reports.hpp"

#include <catch2/catch.hpp>

#include <regex>

#include "teledx/core/ids.hpp"

#include "worklist/county.hpp"

using namespace teledx;
using namespace teledx::worklist;
using teledx::test::County;

TEST_CASE("seeded templates include an ECG template with the standard measurements", "[worklist]") {
  County c;
  auto ecg = c.reports.templates(TaskKind::Ecg);
  REQUIRE(ecg.ok());
  REQUIRE(ecg->size() == 1);
  std::vector<std::string> keys;
  for (const auto& f : ecg->front().fields) keys.push_back(f.key);
  CHECK(keys == std::vector<std::string>{"rhythm", "heart_rate", "pr", "qrs", "qt", "qtc", "axis", "rv5_sv1", "rv5_plus_sv1",
                                         "conclusion"});

  auto chest_ct = c.reports.templates(TaskKind::Imaging, "ct", "chest");
  REQUIRE(chest_ct.ok());
  REQUIRE(chest_ct->size() >= 4);
  CHECK(chest_ct->front().modality == "CT");
  CHECK(chest_ct->front().body_part == "CHEST");

  auto added = c.reports.add_template({0, "Knee MR", TaskKind::Imaging, "mr", "knee", {{"effusion", "", ""}}, "", ""});
  REQUIRE(added.ok());
  CHECK(c.reports.templates(TaskKind::Imaging, "MR", "KNEE")->front().id == added->id);
}

TEST_CASE("draft autosave is versioned and refuses a stale editor", "[worklist]") {
  County c;
  auto t = c.study();
  REQUIRE(c.tasks.claim(t.id, County::as(c.img_reader1)).ok());
  auto v1 = c.reports.save_draft(t.id, 0, {"first", "", {}, std::nullopt}, County::as(c.img_reader1));
  REQUIRE(v1.ok());
  CHECK(v1->version == 1);
  CHECK(c.reload(t).state == TaskState::InReport);  // the first save starts the report
  auto v2 = c.reports.save_draft(t.id, 1, {"second", "ok", {{"size_mm", "12"}}, 3}, County::as(c.img_reader1));
  REQUIRE(v2.ok());
  CHECK(v2->version == 2);
  auto stale = c.reports.save_draft(t.id, 1, {"from another tab", "", {}, std::nullopt}, County::as(c.img_reader1));
  REQUIRE_FALSE(stale.ok());
  CHECK(stale.error().code == ErrorCode::Conflict);

  auto d = c.reports.draft(t.id);
  REQUIRE(d.ok());
  REQUIRE(*d);
  CHECK((*d)->content.findings == "second");
  CHECK((*d)->content.fields.at("size_mm") == "12");
  CHECK((*d)->content.template_id == 3);

  CHECK(c.reports.save_draft(t.id, 2, {"x", "", {}, std::nullopt}, County::as(c.img_reader2)).error().code ==
        ErrorCode::Conflict);
  CHECK(c.reports.save_draft(t.id, 2, {"x", "", {}, std::nullopt}, County::as(c.tech1)).error().code ==
        ErrorCode::Forbidden);
}

TEST_CASE("signing freezes the report as version 1 with a verification code", "[worklist]") {
  County c;
  auto t = c.study();
  REQUIRE(c.tasks.claim(t.id, County::as(c.img_reader1)).ok());
  CHECK(c.reports.sign(t.id, County::as(c.img_reader1)).error().code == ErrorCode::Conflict);  // not in report
  REQUIRE(c.reports.save_draft(t.id, 0, {"", "", {}, std::nullopt}, County::as(c.img_reader1)).ok());
  CHECK(c.reports.sign(t.id, County::as(c.img_reader1)).error().code == ErrorCode::BadRequest);  // empty
  REQUIRE(c.reports.save_draft(t.id, 1, {"Normal.", "No acute findings.", {}, std::nullopt},
                               County::as(c.img_reader1))
              .ok());
  auto v = c.reports.sign(t.id, County::as(c.img_reader1));
  REQUIRE(v.ok());
  CHECK(v->version == 1);
  CHECK(v->kind == VersionKind::Original);
  CHECK(v->content.impression == "No acute findings.");
  CHECK(v->author_id == c.img_reader1.id);
  CHECK(std::regex_match(v->verification_code, std::regex("[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}")));
  CHECK(c.reload(t).state == TaskState::Signed);
  CHECK(c.reload(t).signed_ms == c.clock.now_ms());

  auto found = c.reports.by_verification_code(v->verification_code);
  REQUIRE(found);
  CHECK(found->task_id == t.id);
  CHECK_FALSE(c.reports.by_verification_code("0000-0000-0000"));
  // The draft can no longer change the report.
  CHECK(c.reports.save_draft(t.id, 2, {"edit", "", {}, std::nullopt}, County::as(c.img_reader1)).error().code ==
        ErrorCode::Conflict);
}

TEST_CASE("an addendum is a new version and leaves the signed version byte-identical", "[worklist]") {
  County c;
  auto t = c.study();
  c.draft(t, c.img_reader1);
  auto v1 = c.reports.sign(t.id, County::as(c.img_reader1));
  REQUIRE(v1.ok());
  auto raw_before = c.db->query("SELECT body, sha256, verification_code FROM report_versions WHERE version = 1");

  c.clock.advance_minutes(30);
  CHECK(c.reports.add_addendum(t.id, " ", County::as(c.img_reader1)).error().code == ErrorCode::BadRequest);
  auto v2 = c.reports.add_addendum(t.id, "Small lacunar infarct, left basal ganglia.", County::as(c.img_senior));
  REQUIRE(v2.ok());
  CHECK(v2->version == 2);
  CHECK(v2->kind == VersionKind::Addendum);
  CHECK(v2->verification_code != v1->verification_code);
  CHECK(c.reload(t).state == TaskState::Amended);
  CHECK(c.reports.add_addendum(t.id, "again", County::as(c.tech1)).error().code == ErrorCode::Forbidden);

  auto raw_after = c.db->query("SELECT body, sha256, verification_code FROM report_versions WHERE version = 1");
  REQUIRE(raw_after->size() == 1);
  CHECK(raw_after->front().values == raw_before->front().values);
  auto all = c.reports.versions(t.id);
  REQUIRE(all->size() == 2);
  CHECK(all->at(0).body == v1->body);
  CHECK(all->at(0).sha256 == sha256_hex(v1->body));
}

TEST_CASE("two-level signing: the junior submits, the senior returns with a comment, then approves",
          "[worklist]") {
  County c;
  c.set_two_level(true);
  auto t = c.study();
  c.draft(t, c.img_reader1, "Possible fracture.");
  CHECK(c.reports.sign(t.id, County::as(c.img_reader1)).error().code == ErrorCode::Forbidden);
  auto submitted = c.reports.submit_for_review(t.id, County::as(c.img_reader1));
  REQUIRE(submitted.ok());
  CHECK(submitted->state == TaskState::PendingReview);

  CHECK(c.reports.return_for_revision(t.id, County::as(c.img_senior), "").error().code == ErrorCode::BadRequest);
  CHECK(c.reports.approve(t.id, County::as(c.img_reader2)).error().code == ErrorCode::Forbidden);
  auto back = c.reports.return_for_revision(t.id, County::as(c.img_senior), "Describe the fracture line.");
  REQUIRE(back.ok());
  CHECK(back->state == TaskState::InReport);
  CHECK(back->assignee_id == c.img_reader1.id);
  CHECK(c.tasks.events(t.id)->back().note == "Describe the fracture line.");

  REQUIRE(c.reports.save_draft(t.id, 1, {"Fracture line, distal radius.", "Distal radius fracture.", {}, std::nullopt},
                               County::as(c.img_reader1))
              .ok());
  REQUIRE(c.reports.submit_for_review(t.id, County::as(c.img_reader1)).ok());
  auto v = c.reports.approve(t.id, County::as(c.img_senior));
  REQUIRE(v.ok());
  CHECK(v->author_id == c.img_reader1.id);
  CHECK(v->approver_id == c.img_senior.id);
  CHECK(v->content.impression == "Distal radius fracture.");
  CHECK(c.reload(t).state == TaskState::Signed);
}

TEST_CASE("a signed report is delivered, then acknowledged by the clinic that sent the exam", "[worklist]") {
  County c;
  auto t = c.study();
  c.draft(t, c.img_reader1);
  REQUIRE(c.reports.sign(t.id, County::as(c.img_reader1)).ok());
  CHECK(c.tasks.transition(t.id, TaskAction::Acknowledge, County::as(c.tech1)).error().code == ErrorCode::Conflict);
  CHECK(c.tasks.transition(t.id, TaskAction::MarkDelivered, County::as(c.tech2)).error().code ==
        ErrorCode::Forbidden);
  REQUIRE(c.tasks.transition(t.id, TaskAction::MarkDelivered, Actor::server()).ok());
  c.clock.advance_minutes(2);
  auto acked = c.tasks.transition(t.id, TaskAction::Acknowledge, County::as(c.doctor1));
  REQUIRE(acked.ok());
  CHECK(acked->state == TaskState::Acknowledged);
  CHECK(acked->acknowledged_ms == c.clock.now_ms());
  CHECK(c.tasks.events(t.id)->back().actor_id == c.doctor1.id);
}

TEST_CASE("a critical value is flagged with a category and closed by the clinic's read-back", "[worklist]") {
  County c;
  auto t = c.study();
  CHECK(c.reports.mark_critical(t.id, "pneumothorax", "", County::as(c.img_reader1)).error().code ==
        ErrorCode::Conflict);  // waiting: claim first
  c.draft(t, c.img_reader1);
  CHECK(c.reports.mark_critical(t.id, "broken_heart", "", County::as(c.img_reader1)).error().code ==
        ErrorCode::BadRequest);
  CHECK(c.reports.mark_critical(t.id, "pneumothorax", "", County::as(c.tech1)).error().code == ErrorCode::Forbidden);
  auto marked = c.reports.mark_critical(t.id, "pneumothorax", "right, 40%", County::as(c.img_reader1));
  REQUIRE(marked.ok());
  REQUIRE(marked->critical);
  CHECK(marked->critical->category == "pneumothorax");
  CHECK(c.reports.mark_critical(t.id, "pneumothorax", "", County::as(c.img_reader1)).error().code ==
        ErrorCode::Conflict);

  c.clock.advance_minutes(4);
  CHECK(c.reports.acknowledge_critical(t.id, "Dr. Li", County::as(c.tech2)).error().code == ErrorCode::Forbidden);
  CHECK(c.reports.acknowledge_critical(t.id, "", County::as(c.tech1)).error().code == ErrorCode::BadRequest);
  auto acked = c.reports.acknowledge_critical(t.id, "Dr. Li", County::as(c.tech1));
  REQUIRE(acked.ok());
  CHECK(acked->critical->acknowledged_by == c.tech1.id);
  CHECK(acked->critical->acknowledged_name == "Dr. Li");
  CHECK(acked->critical->acknowledged_ms - acked->critical->marked_ms == 4 * 60'000);
  CHECK(c.reports.acknowledge_critical(t.id, "Dr. Li", County::as(c.tech1)).error().code == ErrorCode::Conflict);
  auto out = c.tasks.outbox_after(0, 100);
  CHECK(out->back().type == "critical.acknowledged");
}

TEST_CASE("the reader grades the exam's quality, a poor grade needs a reason", "[worklist]") {
  County c;
  auto t = c.study();
  c.draft(t, c.img_reader1);
  CHECK(c.reports.grade_quality(t.id, {"C", {}, "", 0, 0}, County::as(c.img_reader1)).error().code ==
        ErrorCode::BadRequest);
  CHECK(c.reports.grade_quality(t.id, {"D", {}, "", 0, 0}, County::as(c.img_reader1)).error().code ==
        ErrorCode::BadRequest);
  CHECK(c.reports.grade_quality(t.id, {"A", {}, "", 0, 0}, County::as(c.tech1)).error().code == ErrorCode::Forbidden);
  auto g = c.reports.grade_quality(t.id, {"C", {"motion", "positioning"}, "patient moved", 0, 0},
                                   County::as(c.img_reader1));
  REQUIRE(g.ok());
  REQUIRE(g->quality);
  CHECK(g->quality->grade == "C");
  CHECK(g->quality->reasons == std::vector<std::string>{"motion", "positioning"});
  CHECK(c.reload(t).quality->graded_by == c.img_reader1.id);
}
