#include "teledx/worklist/stats.hpp"

#include <catch2/catch.hpp>

#include "worklist/county.hpp"

using namespace teledx;
using namespace teledx::worklist;
using teledx::test::County;

namespace {

constexpr std::int64_t kMin = 60'000;

/// Five routine CTs received together at T. Claimed at T+1..T+4 (t1, t3 by reader1, t2 by reader2, t4 by the
/// senior), signed at T+10, T+20, T+40 (t1..t3); t1 delivered at T+41 and acknowledged at T+45; t5 returned.
struct KnownDay {
  County c;
  std::int64_t T = 0;
  Task t[5];
  KnownDay() {
    auto s = *c.tasks.settings(c.imaging.id);
    s.fairness = FairnessMode::Off;
    REQUIRE(c.tasks.set_settings(c.imaging.id, s).ok());
    T = c.clock.now_ms();
    for (auto& x : t) x = c.study(Priority::Routine, "CT", "HEAD");
    const User* who[4] = {&c.img_reader1, &c.img_reader2, &c.img_reader1, &c.img_senior};
    for (int i = 0; i < 4; ++i) {
      at(i + 1);
      REQUIRE(c.tasks.claim(t[i].id, County::as(*who[i])).ok());
      REQUIRE(c.reports.save_draft(t[i].id, 0, {"f", "i", {}, std::nullopt}, County::as(*who[i])).ok());
    }
    REQUIRE(c.tasks.transition(t[4].id, TaskAction::ReturnToClinic, County::as(c.img_lead), "wrong patient").ok());
    const int sign_at[3] = {10, 20, 40};
    for (int i = 0; i < 3; ++i) {
      at(sign_at[i]);
      REQUIRE(c.reports.sign(t[i].id, County::as(*who[i])).ok());
    }
    at(41);
    REQUIRE(c.tasks.transition(t[0].id, TaskAction::MarkDelivered, Actor::server()).ok());
    at(45);
    REQUIRE(c.tasks.transition(t[0].id, TaskAction::Acknowledge, County::as(c.tech1)).ok());
  }
  void at(int minutes) { c.clock.set(T + minutes * kMin); }
};

}  // namespace

TEST_CASE("nearest-rank percentiles of a known set", "[worklist]") {
  CHECK(percentile({}, 50) == 0);
  CHECK(percentile({7}, 90) == 7);
  CHECK(percentile({4, 1, 3, 2}, 50) == 2);
  CHECK(percentile({4, 1, 3, 2}, 90) == 4);
  CHECK(percentile({10, 20, 30, 40, 50, 60, 70, 80, 90, 100}, 90) == 90);
}

TEST_CASE("turnaround on a known day gives the expected stage percentiles and SLA compliance", "[worklist]") {
  KnownDay d;
  StatsFilter f;
  f.center_id = d.c.imaging.id;
  auto rows = turnaround(*d.c.db, f, d.T + 50 * kMin);
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 1);
  const auto& r = rows->front();
  CHECK(r.key == "all");
  CHECK(r.tasks == 5);
  CHECK(r.signed_count == 3);
  CHECK(r.returned == 1);
  CHECK(r.received_to_claimed.count == 4);
  CHECK(r.received_to_claimed.p50_ms == 2 * kMin);
  CHECK(r.received_to_claimed.p90_ms == 4 * kMin);
  CHECK(r.claimed_to_signed.p50_ms == 18 * kMin);
  CHECK(r.claimed_to_signed.p90_ms == 37 * kMin);
  CHECK(r.received_to_signed.p50_ms == 20 * kMin);
  CHECK(r.received_to_signed.p90_ms == 40 * kMin);
  CHECK(r.signed_to_delivered.p50_ms == 31 * kMin);
  CHECK(r.delivered_to_acknowledged.p50_ms == 4 * kMin);
  CHECK(r.sla_compliance == 1.0);

  // Five hours later the open task (routine CT, 240 min) is overdue and counts against compliance.
  auto later = turnaround(*d.c.db, f, d.T + 300 * kMin);
  REQUIRE(later.ok());
  CHECK(later->front().open_overdue == 1);
  CHECK(later->front().sla_compliance == Approx(0.75));
}

TEST_CASE("turnaround groups by reader, day and clinic, and exports CSV", "[worklist]") {
  KnownDay d;
  StatsFilter f;
  f.group = StatsGroup::Reader;
  auto rows = turnaround(*d.c.db, f, d.T + 50 * kMin);
  REQUIRE(rows.ok());
  std::map<std::string, TurnaroundRow> by;
  for (const auto& r : *rows) by[r.label] = r;
  CHECK(by.at("img-reader1").signed_count == 2);
  CHECK(by.at("img-reader1").received_to_signed.p90_ms == 40 * kMin);
  CHECK(by.at("img-reader2").signed_count == 1);
  CHECK(by.at("img-senior").signed_count == 0);
  CHECK(by.at("unassigned").tasks == 1);  // the returned exam

  f.group = StatsGroup::Day;
  auto days = turnaround(*d.c.db, f, d.T + 50 * kMin);
  REQUIRE(days->size() == 1);
  CHECK(days->front().key == "2026-11-30");

  f.group = StatsGroup::Clinic;
  f.clinic_id = d.c.clinic2.id;
  CHECK(turnaround(*d.c.db, f, d.T)->empty());

  auto csv = turnaround_csv(*rows);
  CHECK(csv.rfind("key,label,tasks,signed,", 0) == 0);
  CHECK(std::count(csv.begin(), csv.end(), '\n') == static_cast<long>(rows->size()) + 1);
  CHECK(stats_group_from("modality") == StatsGroup::Modality);
  CHECK_FALSE(stats_group_from("planet"));
}
