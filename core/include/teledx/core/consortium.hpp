#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "teledx/core/clock.hpp"
#include "teledx/core/database.hpp"
#include "teledx/core/result.hpp"

namespace teledx {

enum class InstitutionKind { Hospital, ReadingCenter, Clinic };
/// What a reading center reads (ReadingCenter only).
enum class CenterType { None, Imaging, Ecg };
enum class Role { ClinicTech, ClinicDoctor, ImagingReader, EcgReader, SeniorReader, CenterLead, Admin };

std::string_view to_string(InstitutionKind k);
std::string_view to_string(CenterType t);
std::string_view to_string(Role r);
std::optional<InstitutionKind> institution_kind_from(std::string_view s);
std::optional<CenterType> center_type_from(std::string_view s);
std::optional<Role> role_from(std::string_view s);  // "clinic_tech", "imaging_reader", "center_lead", ...
bool is_clinic_role(Role r);   // ClinicTech, ClinicDoctor
bool is_reader_role(Role r);   // ImagingReader, EcgReader, SeniorReader, CenterLead

struct Institution {
  std::int64_t id = 0;
  std::string code;  // short stable code, e.g. "CLINIC1"
  std::string name;
  InstitutionKind kind = InstitutionKind::Clinic;
  CenterType center_type = CenterType::None;
  std::optional<std::int64_t> parent_id;  // reading center -> hospital; clinic -> the hospital it belongs to
};

struct User {
  std::int64_t id = 0;
  std::string username;
  std::string display_name;
  Role role = Role::ClinicTech;
  std::int64_t institution_id = 0;
  bool active = true;
};

/// Who is calling, resolved from a session token.
struct Principal {
  User user;
  Institution institution;
  std::string session_id;  // public id of the session (not the token)
};

struct Session {
  std::string token;  // secret; shown once at login
  std::int64_t expires_ms = 0;
  Principal principal;
};

struct NewInstitution {
  std::string code, name;
  InstitutionKind kind = InstitutionKind::Clinic;
  CenterType center_type = CenterType::None;
  std::optional<std::int64_t> parent_id;
};

struct NewUser {
  std::string username, display_name, password;
  Role role = Role::ClinicTech;
  std::int64_t institution_id = 0;
};

/// Login throttling: after `free_attempts` failures, each further failure locks the account for
/// base_lock_ms * 2^(failures - free_attempts), capped at max_lock_ms.
struct LockoutPolicy {
  int free_attempts = 5;
  std::int64_t base_lock_ms = 30'000;
  std::int64_t max_lock_ms = 15 * 60'000;
};

/// Institutions, users, AE titles and sessions. Thread-safe (all state in the database).
class Consortium {
 public:
  Consortium(db::Database& db, const Clock& clock, LockoutPolicy lockout = {},
             std::int64_t session_ttl_ms = 12 * 3600'000);
  static std::vector<db::Migration> migrations();

  Result<Institution> create_institution(const NewInstitution& in);
  Result<Institution> institution(std::int64_t id) const;
  std::optional<Institution> institution_by_code(std::string_view code) const;
  Result<std::vector<Institution>> institutions() const;
  /// The reading center of the given type serving a clinic (the center under the clinic's parent hospital).
  std::optional<Institution> center_for_clinic(std::int64_t clinic_id, CenterType type) const;

  /// Password must be at least 8 characters; stored as argon2id (libsodium crypto_pwhash_str).
  Result<User> create_user(const NewUser& in);
  Result<User> user(std::int64_t id) const;
  std::optional<User> user_by_name(std::string_view username) const;
  /// All users, or only those of one institution.
  Result<std::vector<User>> users(std::optional<std::int64_t> institution_id = std::nullopt) const;
  Result<User> set_user_active(std::int64_t id, bool active);
  Result<void> set_password(std::int64_t id, std::string_view password);

  /// Registers a DICOM calling AE title for a clinic (unique across the consortium, 1-16 chars).
  Result<void> add_ae_title(std::int64_t clinic_id, std::string_view ae_title);
  Result<void> remove_ae_title(std::string_view ae_title);
  std::optional<Institution> clinic_by_ae_title(std::string_view ae_title) const;
  Result<std::vector<std::string>> ae_titles(std::int64_t clinic_id) const;

  /// Verifies the password and opens a session. Failures are counted per user; a locked account answers
  /// TooManyAttempts with the seconds to wait, an unknown user or wrong password Unauthenticated (same text).
  Result<Session> login(std::string_view username, std::string_view password);
  /// Resolves a bearer token or cookie value; Unauthenticated when unknown, expired or the user is inactive.
  Result<Principal> authenticate(std::string_view token) const;
  Result<void> logout(std::string_view token);

 private:
  db::Database& db_;
  const Clock& clock_;
  LockoutPolicy lockout_;
  std::int64_t session_ttl_ms_;
};

}  // namespace teledx
