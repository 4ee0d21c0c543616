#pragma once
// A county for worklist tests: one hospital with an imaging and an ECG reading center, two clinics, and the
// people who work there; a manual clock; the task store and reports on a fresh index.
#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>
#include <string>

#include "teledx/core/consortium.hpp"
#include "teledx/worklist/reports.hpp"
#include "teledx/worklist/task_store.hpp"

namespace teledx::test {

class ManualClock final : public Clock {
 public:
  std::int64_t now_ms() const override { return now_; }
  void advance_minutes(double m) { now_ += static_cast<std::int64_t>(m * 60'000); }
  void set(std::int64_t ms) { now_ = ms; }

 private:
  std::int64_t now_ = 1'796'000'400'000;  // Monday 2026-11-30 09:00 in China (01:00 UTC)
};

inline std::unique_ptr<db::Database> open_worklist_index(const std::filesystem::path& file = ":memory:") {
  auto db = db::open_sqlite(file);
  REQUIRE(db.ok());
  REQUIRE((*db)->migrate("consortium", Consortium::migrations()).ok());
  REQUIRE((*db)->migrate("worklist", worklist::TaskStore::migrations()).ok());
  REQUIRE((*db)->migrate("audit", AuditLog::migrations()).ok());  // task changes are audited in their transaction
  return std::move(*db);
}

struct County {
  ManualClock clock;
  std::unique_ptr<db::Database> db;
  Consortium consortium;
  worklist::TaskStore tasks;
  worklist::Reports reports;
  Institution hospital, imaging, ecg, clinic1, clinic2;
  User img_reader1, img_reader2, img_senior, img_lead, ecg_reader, ecg_lead, tech1, doctor1, tech2, admin;
  int next_study = 1;

  explicit County(const std::filesystem::path& file = ":memory:")
      : db(open_worklist_index(file)), consortium(*db, clock), tasks(*db, clock, consortium), reports(tasks) {
    hospital = institution({"COUNTY", "County Hospital", InstitutionKind::Hospital, CenterType::None, std::nullopt});
    imaging = institution({"IMG", "Imaging Center", InstitutionKind::ReadingCenter, CenterType::Imaging, hospital.id});
    ecg = institution({"ECG", "ECG Center", InstitutionKind::ReadingCenter, CenterType::Ecg, hospital.id});
    clinic1 = institution({"CLINIC1", "Chengguan", InstitutionKind::Clinic, CenterType::None, hospital.id});
    clinic2 = institution({"CLINIC2", "Hekou", InstitutionKind::Clinic, CenterType::None, hospital.id});
    img_reader1 = user("img-reader1", Role::ImagingReader, imaging);
    img_reader2 = user("img-reader2", Role::ImagingReader, imaging);
    img_senior = user("img-senior", Role::SeniorReader, imaging);
    img_lead = user("img-lead", Role::CenterLead, imaging);
    ecg_reader = user("ecg-reader", Role::EcgReader, ecg);
    ecg_lead = user("ecg-lead", Role::CenterLead, ecg);
    tech1 = user("clinic1-tech", Role::ClinicTech, clinic1);
    doctor1 = user("clinic1-doctor", Role::ClinicDoctor, clinic1);
    tech2 = user("clinic2-tech", Role::ClinicTech, clinic2);
    admin = user("admin", Role::Admin, hospital);
  }

  Institution institution(const NewInstitution& in) {
    auto r = consortium.create_institution(in);
    REQUIRE(r.ok());
    return *r;
  }

  // Users go straight into the index: hashing ten argon2id passwords per test case would cost about a second,
  // and the worklist never logs anyone in.
  User user(const std::string& name, Role role, const Institution& inst) {
    auto id = db->query("SELECT COALESCE(MAX(id), 0) + 1 FROM users");
    REQUIRE(id.ok());
    User u{id->front().integer(0), name, name, role, inst.id, true};
    REQUIRE(db->exec("INSERT INTO users (id, username, display_name, password_hash, role, institution_id) "
                     "VALUES (?, ?, ?, 'test-fixture-no-login', ?, ?)",
                     {u.id, u.username, u.display_name, std::string(to_string(role)), inst.id})
                .ok());
    return u;
  }

  static worklist::Actor as(const User& u) {
    return {u.id, u.role, u.institution_id, u.display_name, false, u.username, ""};
  }

  /// A completed study of clinic1 for the imaging center (or ECG when kind says so); returns its task.
  worklist::Task study(worklist::Priority p = worklist::Priority::Routine, std::string modality = "CT",
                       std::string body_part = "HEAD", const Institution* clinic = nullptr,
                       worklist::TaskKind kind = worklist::TaskKind::Imaging) {
    worklist::StudyForReading s;
    s.study_uid = "1.2.826.0.1.3680043.10." + std::to_string(next_study++);
    s.clinic_id = (clinic ? *clinic : clinic1).id;
    s.center_id = kind == worklist::TaskKind::Ecg ? ecg.id : imaging.id;
    s.kind = kind;
    s.request = {"chest pain", "hypertension", p};
    s.patient = {"张三", "P" + std::to_string(next_study), "M", "19600101", "066Y", ""};
    s.modality = std::move(modality);
    s.body_part = std::move(body_part);
    s.description = "test exam";
    auto created = tasks.create_or_update_for_study(s);
    REQUIRE(created.ok());
    REQUIRE(*created == worklist::StudyOutcome::Created);
    auto t = tasks.find_by_study(s.study_uid, s.center_id);
    REQUIRE(t);
    return *t;
  }

  worklist::Task reload(const worklist::Task& t) {
    auto r = tasks.get(t.id);
    REQUIRE(r.ok());
    return *r;
  }

  void set_two_level(bool on) {
    auto s = tasks.settings(imaging.id);
    REQUIRE(s.ok());
    s->two_level_signing = on;
    REQUIRE(tasks.set_settings(imaging.id, *s).ok());
  }

  /// Claims and drafts a report as `reader`.
  void draft(const worklist::Task& t, const User& reader, const std::string& impression = "No acute findings.") {
    REQUIRE(tasks.claim(t.id, as(reader)).ok());
    auto d = reports.save_draft(t.id, 0, {"Normal brain parenchyma.", impression, {}, std::nullopt}, as(reader));
    REQUIRE(d.ok());
  }
};

}  // namespace teledx::test
