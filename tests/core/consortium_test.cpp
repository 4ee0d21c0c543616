#include "teledx/core/consortium.hpp"

#include <catch2/catch.hpp>

#include <memory>

#include "teledx/core/ids.hpp"

namespace {

using namespace teledx;

class ManualClock final : public Clock {
 public:
  std::int64_t now_ms() const override { return now_; }
  void advance(std::int64_t ms) { now_ += ms; }

 private:
  std::int64_t now_ = 1'764'000'000'000;
};

std::unique_ptr<db::Database> open_index() {
  auto db = db::open_sqlite(":memory:");
  REQUIRE(db.ok());
  auto applied = (*db)->migrate("consortium", Consortium::migrations());
  REQUIRE(applied.ok());
  return std::move(*db);
}

/// One county: a hospital with an imaging and an ECG reading center, and one clinic with a technician.
struct County {
  ManualClock clock;
  std::unique_ptr<db::Database> db = open_index();
  Consortium consortium;
  Institution hospital, imaging, ecg, clinic;
  User tech;

  explicit County(LockoutPolicy lockout = {}, std::int64_t ttl_ms = 12 * 3600'000)
      : consortium(*db, clock, lockout, ttl_ms) {
    hospital = make({"HOSP1", "County Hospital", InstitutionKind::Hospital, CenterType::None, std::nullopt});
    imaging =
        make({"IMG1", "Imaging Center", InstitutionKind::ReadingCenter, CenterType::Imaging, hospital.id});
    ecg = make({"ECG1", "ECG Center", InstitutionKind::ReadingCenter, CenterType::Ecg, hospital.id});
    clinic = make({"CLINIC1", "Township Clinic", InstitutionKind::Clinic, CenterType::None, hospital.id});
    auto u = consortium.create_user({"tech1", "Li Tech", "correct horse", Role::ClinicTech, clinic.id});
    REQUIRE(u.ok());
    tech = *u;
  }

  Institution make(const NewInstitution& in) {
    auto r = consortium.create_institution(in);
    REQUIRE(r.ok());
    return *r;
  }
};

}  // namespace

TEST_CASE("institutions and users are created with validated fields", "[core]") {
  County c;
  CHECK(c.hospital.id > 0);
  CHECK(c.clinic.parent_id == c.hospital.id);
  auto by_code = c.consortium.institution_by_code("IMG1");
  REQUIRE(by_code);
  CHECK(by_code->center_type == CenterType::Imaging);
  CHECK(c.consortium.institution(c.ecg.id)->code == "ECG1");
  CHECK(c.consortium.institution(9999).error().code == ErrorCode::NotFound);
  CHECK(c.consortium.institutions()->size() == 4);

  auto dup =
      c.consortium.create_institution({"HOSP1", "Again", InstitutionKind::Hospital, CenterType::None, {}});
  CHECK(dup.error().code == ErrorCode::Conflict);
  auto bad_code =
      c.consortium.create_institution({"A B", "x", InstitutionKind::Hospital, CenterType::None, {}});
  CHECK(bad_code.error().code == ErrorCode::BadRequest);
  CHECK_THAT(bad_code.error().message, Catch::Contains("code"));
  auto untyped = c.consortium.create_institution(
      {"RC2", "Center", InstitutionKind::ReadingCenter, CenterType::None, c.hospital.id});
  CHECK_THAT(untyped.error().message, Catch::Contains("center_type"));
  auto under_clinic = c.consortium.create_institution(
      {"C2", "Clinic 2", InstitutionKind::Clinic, CenterType::None, c.clinic.id});
  CHECK(under_clinic.error().code == ErrorCode::BadRequest);
  CHECK_THAT(under_clinic.error().message, Catch::Contains("parent_id"));
  auto second_imaging = c.consortium.create_institution(
      {"IMG2", "Imaging 2", InstitutionKind::ReadingCenter, CenterType::Imaging, c.hospital.id});
  CHECK(second_imaging.error().code == ErrorCode::Conflict);

  CHECK(c.tech.username == "tech1");
  CHECK(c.tech.active);
  CHECK(c.consortium.user_by_name("tech1")->id == c.tech.id);
  CHECK_FALSE(c.consortium.user_by_name("nobody"));
  auto dup_user = c.consortium.create_user({"tech1", "Other", "another pass", Role::ClinicTech, c.clinic.id});
  CHECK(dup_user.error().code == ErrorCode::Conflict);
  auto short_pw = c.consortium.create_user({"tech2", "Short", "1234567", Role::ClinicTech, c.clinic.id});
  CHECK(short_pw.error().code == ErrorCode::BadRequest);
  CHECK_THAT(short_pw.error().message, Catch::Contains("password"));
  auto wrong_place = c.consortium.create_user({"reader", "R", "long enough", Role::EcgReader, c.imaging.id});
  CHECK(wrong_place.error().code == ErrorCode::BadRequest);
  CHECK_THAT(wrong_place.error().message, Catch::Contains("role"));
  auto reader = c.consortium.create_user({"reader", "R", "long enough", Role::ImagingReader, c.imaging.id});
  REQUIRE(reader.ok());
  CHECK(c.consortium.users()->size() == 2);
  CHECK(c.consortium.users(c.imaging.id)->size() == 1);

  auto stored = c.db->query("SELECT password_hash FROM users WHERE username = 'tech1'");
  REQUIRE(stored.ok());
  CHECK_THAT(stored->front().text(0), Catch::StartsWith("$argon2id$"));
}

TEST_CASE("login with the right password opens a session for the user's principal", "[core]") {
  County c;
  auto s = c.consortium.login("tech1", "correct horse");
  REQUIRE(s.ok());
  CHECK(s->token.size() == 64);
  CHECK(s->expires_ms == c.clock.now_ms() + 12 * 3600'000);
  CHECK(s->principal.user.id == c.tech.id);
  CHECK(s->principal.institution.code == "CLINIC1");
  CHECK_FALSE(s->principal.session_id.empty());

  auto p = c.consortium.authenticate(s->token);
  REQUIRE(p.ok());
  CHECK(p->user.role == Role::ClinicTech);
  CHECK(p->session_id == s->principal.session_id);
}

TEST_CASE("a wrong password and an unknown user get the same answer", "[core]") {
  County c;
  auto wrong = c.consortium.login("tech1", "wrong horse");
  auto unknown = c.consortium.login("ghost", "wrong horse");
  REQUIRE_FALSE(wrong.ok());
  REQUIRE_FALSE(unknown.ok());
  CHECK(wrong.error().code == ErrorCode::Unauthenticated);
  CHECK(unknown.error().code == ErrorCode::Unauthenticated);
  CHECK(wrong.error().message == "Wrong username or password.");
  CHECK(unknown.error().message == wrong.error().message);
  CHECK(c.consortium.authenticate("not-a-token").error().code == ErrorCode::Unauthenticated);
  CHECK(c.consortium.authenticate(random_hex(32)).error().code == ErrorCode::Unauthenticated);
}

TEST_CASE("repeated failures lock the account with growing back-off until time passes", "[core]") {
  County c(LockoutPolicy{2, 1'000, 5'000});
  CHECK(c.consortium.login("tech1", "bad password").error().code == ErrorCode::Unauthenticated);
  CHECK(c.consortium.login("tech1", "bad password").error().code == ErrorCode::Unauthenticated);

  // Third failure: 1 s * 2^(3-2) = 2 s.
  auto third = c.consortium.login("tech1", "bad password");
  CHECK(third.error().code == ErrorCode::TooManyAttempts);
  CHECK(third.error().message == "Too many failed logins; try again in 2 s.");
  auto while_locked = c.consortium.login("tech1", "correct horse");
  CHECK(while_locked.error().code == ErrorCode::TooManyAttempts);
  c.clock.advance(1'500);
  CHECK(c.consortium.login("tech1", "correct horse").error().message ==
        "Too many failed logins; try again in 1 s.");

  c.clock.advance(500);
  CHECK(c.consortium.login("tech1", "bad password").error().message ==
        "Too many failed logins; try again in 4 s.");
  c.clock.advance(4'000);
  CHECK(c.consortium.login("tech1", "bad password").error().message ==
        "Too many failed logins; try again in 5 s.");  // 8 s capped at max_lock_ms
  c.clock.advance(5'000);

  REQUIRE(c.consortium.login("tech1", "correct horse").ok());
  // Success reset the counter: the next failures are free again.
  CHECK(c.consortium.login("tech1", "bad password").error().code == ErrorCode::Unauthenticated);
  CHECK(c.consortium.login("tech1", "bad password").error().code == ErrorCode::Unauthenticated);
}

TEST_CASE("a session expires after its time to live", "[core]") {
  County c({}, 60'000);
  auto s = c.consortium.login("tech1", "correct horse");
  REQUIRE(s.ok());
  c.clock.advance(59'999);
  CHECK(c.consortium.authenticate(s->token).ok());
  c.clock.advance(1);
  auto expired = c.consortium.authenticate(s->token);
  REQUIRE_FALSE(expired.ok());
  CHECK(expired.error().code == ErrorCode::Unauthenticated);
}

TEST_CASE("logout revokes only the session it names", "[core]") {
  County c;
  auto a = c.consortium.login("tech1", "correct horse");
  auto b = c.consortium.login("tech1", "correct horse");
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->token != b->token);
  REQUIRE(c.consortium.logout(a->token).ok());
  CHECK(c.consortium.authenticate(a->token).error().code == ErrorCode::Unauthenticated);
  CHECK(c.consortium.authenticate(b->token).ok());
  CHECK(c.consortium.logout(a->token).ok());  // idempotent
}

TEST_CASE("an inactive user can neither log in nor use an open session", "[core]") {
  County c;
  auto s = c.consortium.login("tech1", "correct horse");
  REQUIRE(s.ok());
  auto off = c.consortium.set_user_active(c.tech.id, false);
  REQUIRE(off.ok());
  CHECK_FALSE(off->active);
  CHECK(c.consortium.authenticate(s->token).error().code == ErrorCode::Unauthenticated);
  CHECK(c.consortium.login("tech1", "correct horse").error().code == ErrorCode::Unauthenticated);

  REQUIRE(c.consortium.set_user_active(c.tech.id, true).ok());
  CHECK(c.consortium.login("tech1", "correct horse").ok());
  CHECK(c.consortium.set_user_active(9999, true).error().code == ErrorCode::NotFound);
}

TEST_CASE("a new password replaces the old one and ends open sessions", "[core]") {
  County c;
  auto s = c.consortium.login("tech1", "correct horse");
  REQUIRE(s.ok());
  CHECK(c.consortium.set_password(c.tech.id, "short").error().code == ErrorCode::BadRequest);
  REQUIRE(c.consortium.set_password(c.tech.id, "battery staple").ok());
  CHECK_FALSE(c.consortium.authenticate(s->token).ok());
  CHECK(c.consortium.login("tech1", "correct horse").error().code == ErrorCode::Unauthenticated);
  CHECK(c.consortium.login("tech1", "battery staple").ok());
}

TEST_CASE("AE titles are registered to clinics and unique across the consortium", "[core]") {
  County c;
  auto clinic2 =
      c.make({"CLINIC2", "Second Clinic", InstitutionKind::Clinic, CenterType::None, c.hospital.id});
  REQUIRE(c.consortium.add_ae_title(c.clinic.id, "  Clinic1_US ").ok());
  REQUIRE(c.consortium.add_ae_title(c.clinic.id, "CLINIC1_ECG").ok());

  auto owner = c.consortium.clinic_by_ae_title("Clinic1_US");
  REQUIRE(owner);
  CHECK(owner->id == c.clinic.id);
  CHECK_FALSE(c.consortium.clinic_by_ae_title("CLINIC1_US"));  // AE titles are case-sensitive
  CHECK(c.consortium.ae_titles(c.clinic.id).value() == std::vector<std::string>{"CLINIC1_ECG", "Clinic1_US"});

  auto taken = c.consortium.add_ae_title(clinic2.id, "Clinic1_US");
  CHECK(taken.error().code == ErrorCode::Conflict);
  CHECK_THAT(taken.error().message, Catch::Contains("CLINIC1"));
  CHECK(c.consortium.add_ae_title(c.hospital.id, "HOSP").error().code == ErrorCode::BadRequest);
  CHECK(c.consortium.add_ae_title(9999, "X").error().code == ErrorCode::NotFound);
  for (const char* bad : {"", "    ", "SEVENTEEN_CHARS_X", "BACK\\SLASH", "TAB\tX"}) {
    auto r = c.consortium.add_ae_title(clinic2.id, bad);
    CHECK(r.error().code == ErrorCode::BadRequest);
    CHECK_THAT(r.error().message, Catch::Contains("ae_title"));
  }
  REQUIRE(c.consortium.add_ae_title(clinic2.id, "SIXTEEN_CHARS_XY").ok());

  REQUIRE(c.consortium.remove_ae_title("Clinic1_US").ok());
  CHECK(c.consortium.remove_ae_title("Clinic1_US").error().code == ErrorCode::NotFound);
  CHECK(c.consortium.add_ae_title(clinic2.id, "Clinic1_US").ok());
}

TEST_CASE("center_for_clinic finds the reading center under the clinic's hospital", "[core]") {
  County c;
  auto h2 = c.make({"HOSP2", "Second Hospital", InstitutionKind::Hospital, CenterType::None, std::nullopt});
  auto img2 = c.make({"IMG2", "Imaging 2", InstitutionKind::ReadingCenter, CenterType::Imaging, h2.id});
  auto clinic2 = c.make({"CLINIC2", "Clinic 2", InstitutionKind::Clinic, CenterType::None, h2.id});

  CHECK(c.consortium.center_for_clinic(c.clinic.id, CenterType::Imaging)->id == c.imaging.id);
  CHECK(c.consortium.center_for_clinic(c.clinic.id, CenterType::Ecg)->id == c.ecg.id);
  CHECK(c.consortium.center_for_clinic(clinic2.id, CenterType::Imaging)->id == img2.id);
  CHECK_FALSE(c.consortium.center_for_clinic(clinic2.id, CenterType::Ecg));  // hospital 2 has no ECG center
  CHECK_FALSE(c.consortium.center_for_clinic(c.clinic.id, CenterType::None));
  CHECK_FALSE(c.consortium.center_for_clinic(c.imaging.id, CenterType::Imaging));  // not a clinic
}

TEST_CASE("the raw session token is never stored in the index", "[core]") {
  County c;
  auto s = c.consortium.login("tech1", "correct horse");
  REQUIRE(s.ok());
  auto rows = c.db->query("SELECT id, token_hash, user_id, created_ms, expires_ms, revoked FROM sessions");
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 1);
  const db::Row& row = rows->front();
  CHECK(row.text(1) == sha256_hex(s->token));
  for (std::size_t i = 0; i < row.values.size(); ++i) CHECK(row.text(i).find(s->token) == std::string::npos);
  auto users = c.db->query("SELECT * FROM users");
  REQUIRE(users.ok());
  for (const auto& u : *users)
    for (std::size_t i = 0; i < u.values.size(); ++i) CHECK(u.text(i).find(s->token) == std::string::npos);
}
