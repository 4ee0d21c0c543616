#include "teledx/core/consortium.hpp"

#include <array>
#include <stdexcept>
#include <utility>

#include "consortium_internal.hpp"
#include "teledx/core/log.hpp"

namespace teledx {

namespace cd = consortium_detail;

namespace {

constexpr std::array<std::pair<InstitutionKind, std::string_view>, 3> kKinds{{
    {InstitutionKind::Hospital, "hospital"},
    {InstitutionKind::ReadingCenter, "reading_center"},
    {InstitutionKind::Clinic, "clinic"},
}};
constexpr std::array<std::pair<CenterType, std::string_view>, 3> kCenterTypes{{
    {CenterType::None, "none"},
    {CenterType::Imaging, "imaging"},
    {CenterType::Ecg, "ecg"},
}};
constexpr std::array<std::pair<Role, std::string_view>, 7> kRoles{{
    {Role::ClinicTech, "clinic_tech"},
    {Role::ClinicDoctor, "clinic_doctor"},
    {Role::ImagingReader, "imaging_reader"},
    {Role::EcgReader, "ecg_reader"},
    {Role::SeniorReader, "senior_reader"},
    {Role::CenterLead, "center_lead"},
    {Role::Admin, "admin"},
}};

template <class E, std::size_t N>
std::string_view name_of(const std::array<std::pair<E, std::string_view>, N>& table, E e) {
  for (const auto& [value, name] : table)
    if (value == e) return name;
  return "unknown";
}

template <class E, std::size_t N>
std::optional<E> parse(const std::array<std::pair<E, std::string_view>, N>& table, std::string_view s) {
  for (const auto& [value, name] : table)
    if (name == s) return value;
  return std::nullopt;
}

template <class E>
E require(std::optional<E> v, std::string_view what, const std::string& text) {
  if (!v)
    throw std::runtime_error("consortium index holds an invalid " + std::string(what) + " '" + text + "'");
  return *v;
}

Error bad_request(std::string message) {
  return make_error(ErrorCode::BadRequest, std::move(message));
}

std::string trim_spaces(std::string_view s) {
  const auto b = s.find_first_not_of(' ');
  if (b == std::string_view::npos) return {};
  return std::string(s.substr(b, s.find_last_not_of(' ') - b + 1));
}

bool is_code_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-';
}

Result<void> check_identifier(std::string_view value, std::string_view field, std::size_t max_len,
                              bool allow_at) {
  if (value.empty() || value.size() > max_len)
    return bad_request(std::string(field) + " must be 1 to " + std::to_string(max_len) + " characters long.");
  for (char c : value)
    if (!is_code_char(c) && !(allow_at && c == '@'))
      return bad_request(std::string(field) + " may contain only letters, digits and . _ -" +
                         (allow_at ? " @" : "") + ".");
  return ok();
}

Result<std::string> check_display_text(std::string_view value, std::string_view field) {
  std::string trimmed = trim_spaces(value);
  if (trimmed.empty() || trimmed.size() > 200)
    return bad_request(std::string(field) + " must be 1 to 200 characters long.");
  for (unsigned char c : trimmed)
    if (c < 0x20 || c == 0x7f)
      return bad_request(std::string(field) + " may not contain control characters.");
  return trimmed;
}

/// Ids are allocated inside the caller's write transaction instead of relying on SQLite's rowid aliasing,
/// so the same SQL runs on PostgreSQL (where a concurrent allocation fails serialisation and is retried).
Result<std::int64_t> next_id(db::Txn& txn, std::string_view table) {
  auto rows = txn.query("SELECT COALESCE(MAX(id), 0) + 1 FROM " + std::string(table));
  TELEDX_TRY(rows);
  return rows->empty() ? std::int64_t{1} : rows->front().integer(0);
}

Result<void> check_role_fits(Role role, const Institution& inst) {
  const auto mismatch = [&](std::string_view needs) {
    return bad_request("role " + std::string(to_string(role)) + " needs " + std::string(needs) + "; " +
                       inst.code + " is a " + std::string(to_string(inst.kind)) + ".");
  };
  if (is_clinic_role(role) && inst.kind != InstitutionKind::Clinic) return mismatch("a clinic");
  if (is_reader_role(role) && inst.kind != InstitutionKind::ReadingCenter)
    return mismatch("a reading center");
  if (role == Role::ImagingReader && inst.center_type != CenterType::Imaging)
    return mismatch("an imaging reading center");
  if (role == Role::EcgReader && inst.center_type != CenterType::Ecg)
    return mismatch("an ECG reading center");
  return ok();
}

}  // namespace

std::string_view to_string(InstitutionKind k) {
  return name_of(kKinds, k);
}
std::string_view to_string(CenterType t) {
  return name_of(kCenterTypes, t);
}
std::string_view to_string(Role r) {
  return name_of(kRoles, r);
}
std::optional<InstitutionKind> institution_kind_from(std::string_view s) {
  return parse(kKinds, s);
}
std::optional<CenterType> center_type_from(std::string_view s) {
  return parse(kCenterTypes, s);
}
std::optional<Role> role_from(std::string_view s) {
  return parse(kRoles, s);
}
bool is_clinic_role(Role r) {
  return r == Role::ClinicTech || r == Role::ClinicDoctor;
}
bool is_reader_role(Role r) {
  return r == Role::ImagingReader || r == Role::EcgReader || r == Role::SeniorReader || r == Role::CenterLead;
}

namespace consortium_detail {

Institution institution_from_row(const db::Row& row, std::size_t first) {
  Institution i;
  i.id = row.integer(first);
  i.code = row.text(first + 1);
  i.name = row.text(first + 2);
  const std::string kind = row.text(first + 3), type = row.text(first + 4);
  i.kind = require(institution_kind_from(kind), "institution kind", kind);
  i.center_type = require(center_type_from(type), "center type", type);
  if (!row.is_null(first + 5)) i.parent_id = row.integer(first + 5);
  return i;
}

User user_from_row(const db::Row& row, std::size_t first) {
  User u;
  u.id = row.integer(first);
  u.username = row.text(first + 1);
  u.display_name = row.text(first + 2);
  const std::string role = row.text(first + 3);
  u.role = require(role_from(role), "role", role);
  u.institution_id = row.integer(first + 4);
  u.active = row.integer(first + 5) != 0;
  return u;
}

Result<std::optional<Institution>> find_institution(db::Txn& txn, std::int64_t id) {
  auto rows =
      txn.query("SELECT " + std::string(kInstitutionColumns) + " FROM institutions i WHERE i.id = ?", {id});
  TELEDX_TRY(rows);
  if (rows->empty()) return std::optional<Institution>{};
  return std::optional<Institution>{institution_from_row(rows->front())};
}

Error no_institution(std::int64_t id) {
  return make_error(ErrorCode::NotFound, "Institution " + std::to_string(id) + " does not exist.");
}

void log_failure(std::string_view what, const Error& error) {
  log::error("consortium", std::string(what) + " failed: " + error.message + " " + error.detail);
}

}  // namespace consortium_detail

Consortium::Consortium(db::Database& db, const Clock& clock, LockoutPolicy lockout,
                       std::int64_t session_ttl_ms)
    : db_(db), clock_(clock), lockout_(lockout), session_ttl_ms_(session_ttl_ms) {}

std::vector<db::Migration> Consortium::migrations() {
  // Portable DDL: the PostgreSQL backend runs the same text. Booleans are 0/1, times ms since the epoch.
  return {{1, "institutions, users, AE titles and sessions", R"sql(
CREATE TABLE institutions (
  id INTEGER PRIMARY KEY,
  code TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('hospital', 'reading_center', 'clinic')),
  center_type TEXT NOT NULL DEFAULT 'none' CHECK (center_type IN ('none', 'imaging', 'ecg')),
  parent_id INTEGER REFERENCES institutions(id)
);
CREATE INDEX institutions_parent ON institutions(parent_id);
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('clinic_tech', 'clinic_doctor', 'imaging_reader', 'ecg_reader',
                                     'senior_reader', 'center_lead', 'admin')),
  institution_id INTEGER NOT NULL REFERENCES institutions(id),
  active INTEGER NOT NULL DEFAULT 1,
  failed_logins INTEGER NOT NULL DEFAULT 0,
  locked_until_ms BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX users_institution ON users(institution_id);
CREATE TABLE ae_titles (
  ae_title TEXT PRIMARY KEY,
  institution_id INTEGER NOT NULL REFERENCES institutions(id)
);
CREATE INDEX ae_titles_institution ON ae_titles(institution_id);
CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  user_id INTEGER NOT NULL REFERENCES users(id),
  created_ms BIGINT NOT NULL,
  expires_ms BIGINT NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sessions_user ON sessions(user_id)
)sql"}};
}

Result<Institution> Consortium::create_institution(const NewInstitution& in) {
  TELEDX_TRY(check_identifier(in.code, "code", 32, false));
  auto name = check_display_text(in.name, "name");
  TELEDX_TRY(name);
  const bool is_center = in.kind == InstitutionKind::ReadingCenter;
  if (is_center && in.center_type == CenterType::None)
    return bad_request("center_type must be imaging or ecg for a reading center.");
  if (!is_center && in.center_type != CenterType::None)
    return bad_request("center_type must be none unless the institution is a reading center.");
  if (in.kind == InstitutionKind::Hospital && in.parent_id)
    return bad_request("parent_id must be empty for a hospital.");
  if (in.kind != InstitutionKind::Hospital && !in.parent_id)
    return bad_request("parent_id must name the hospital a clinic or reading center belongs to.");

  Institution out{0, in.code, *name, in.kind, in.center_type, in.parent_id};
  TELEDX_TRY(db_.write([&](db::Txn& txn) -> Result<void> {
    if (in.parent_id) {
      auto parent = cd::find_institution(txn, *in.parent_id);
      TELEDX_TRY(parent);
      if (!*parent || (*parent)->kind != InstitutionKind::Hospital)
        return bad_request("parent_id " + std::to_string(*in.parent_id) + " is not a hospital.");
      if (is_center) {
        auto existing = txn.query(
            "SELECT code FROM institutions WHERE parent_id = ? AND kind = 'reading_center' AND center_type = "
            "?",
            {*in.parent_id, std::string(to_string(in.center_type))});
        TELEDX_TRY(existing);
        if (!existing->empty())
          return make_error(ErrorCode::Conflict, "Hospital " + (*parent)->code + " already has an " +
                                                     std::string(to_string(in.center_type)) +
                                                     " reading center (" + existing->front().text(0) + ").");
      }
    }
    auto id = next_id(txn, "institutions");
    TELEDX_TRY(id);
    out.id = *id;
    const db::Value parent = in.parent_id ? db::Value{*in.parent_id} : db::Value{nullptr};
    auto inserted = txn.exec(
        "INSERT INTO institutions (id, code, name, kind, center_type, parent_id) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (code) DO NOTHING",
        {out.id, out.code, out.name, std::string(to_string(out.kind)),
         std::string(to_string(out.center_type)), parent});
    TELEDX_TRY(inserted);
    if (*inserted == 0)
      return make_error(ErrorCode::Conflict, "Institution code " + out.code + " is already in use.");
    return ok();
  }));
  return out;
}

Result<Institution> Consortium::institution(std::int64_t id) const {
  std::optional<Institution> found;
  TELEDX_TRY(db_.read([&](db::Txn& txn) -> Result<void> {
    auto r = cd::find_institution(txn, id);
    TELEDX_TRY(r);
    found = std::move(*r);
    return ok();
  }));
  if (!found) return cd::no_institution(id);
  return *found;
}

std::optional<Institution> Consortium::institution_by_code(std::string_view code) const {
  auto rows =
      db_.query("SELECT " + std::string(cd::kInstitutionColumns) + " FROM institutions i WHERE i.code = ?",
                {std::string(code)});
  if (!rows.ok()) {
    cd::log_failure("institution_by_code", rows.error());
    return std::nullopt;
  }
  if (rows->empty()) return std::nullopt;
  return cd::institution_from_row(rows->front());
}

Result<std::vector<Institution>> Consortium::institutions() const {
  auto rows =
      db_.query("SELECT " + std::string(cd::kInstitutionColumns) + " FROM institutions i ORDER BY i.id");
  TELEDX_TRY(rows);
  std::vector<Institution> out;
  out.reserve(rows->size());
  for (const auto& row : *rows) out.push_back(cd::institution_from_row(row));
  return out;
}

std::optional<Institution> Consortium::center_for_clinic(std::int64_t clinic_id, CenterType type) const {
  if (type == CenterType::None) return std::nullopt;
  auto rows = db_.query("SELECT " + std::string(cd::kInstitutionColumns) +
                            " FROM institutions c JOIN institutions i ON i.parent_id = c.parent_id "
                            "WHERE c.id = ? AND c.kind = 'clinic' AND i.kind = 'reading_center' "
                            "AND i.center_type = ? ORDER BY i.id",
                        {clinic_id, std::string(to_string(type))});
  if (!rows.ok()) {
    cd::log_failure("center_for_clinic", rows.error());
    return std::nullopt;
  }
  if (rows->empty()) return std::nullopt;
  return cd::institution_from_row(rows->front());
}

Result<User> Consortium::create_user(const NewUser& in) {
  TELEDX_TRY(check_identifier(in.username, "username", 64, true));
  auto display = check_display_text(in.display_name, "display_name");
  TELEDX_TRY(display);
  TELEDX_TRY(cd::check_password_rules(in.password));
  // Hashing takes ~0.1 s and 64 MiB: do it before taking the writer.
  auto hash = cd::hash_password(in.password);
  TELEDX_TRY(hash);

  User out{0, in.username, *display, in.role, in.institution_id, true};
  TELEDX_TRY(db_.write([&](db::Txn& txn) -> Result<void> {
    auto inst = cd::find_institution(txn, in.institution_id);
    TELEDX_TRY(inst);
    if (!*inst)
      return bad_request("institution_id " + std::to_string(in.institution_id) + " does not exist.");
    TELEDX_TRY(check_role_fits(in.role, **inst));
    auto id = next_id(txn, "users");
    TELEDX_TRY(id);
    out.id = *id;
    auto inserted = txn.exec(
        "INSERT INTO users (id, username, display_name, password_hash, role, institution_id, active, "
        "failed_logins, locked_until_ms) VALUES (?, ?, ?, ?, ?, ?, 1, 0, 0) ON CONFLICT (username) DO "
        "NOTHING",
        {out.id, out.username, out.display_name, *hash, std::string(to_string(out.role)),
         out.institution_id});
    TELEDX_TRY(inserted);
    if (*inserted == 0)
      return make_error(ErrorCode::Conflict, "Username " + out.username + " is already taken.");
    return ok();
  }));
  return out;
}

Result<User> Consortium::user(std::int64_t id) const {
  auto rows = db_.query("SELECT " + std::string(cd::kUserColumns) + " FROM users u WHERE u.id = ?", {id});
  TELEDX_TRY(rows);
  if (rows->empty())
    return make_error(ErrorCode::NotFound, "User " + std::to_string(id) + " does not exist.");
  return cd::user_from_row(rows->front());
}

std::optional<User> Consortium::user_by_name(std::string_view username) const {
  auto rows = db_.query("SELECT " + std::string(cd::kUserColumns) + " FROM users u WHERE u.username = ?",
                        {std::string(username)});
  if (!rows.ok()) {
    cd::log_failure("user_by_name", rows.error());
    return std::nullopt;
  }
  if (rows->empty()) return std::nullopt;
  return cd::user_from_row(rows->front());
}

Result<std::vector<User>> Consortium::users(std::optional<std::int64_t> institution_id) const {
  const std::string select = "SELECT " + std::string(cd::kUserColumns) + " FROM users u";
  auto rows = institution_id
                  ? db_.query(select + " WHERE u.institution_id = ? ORDER BY u.id", {*institution_id})
                  : db_.query(select + " ORDER BY u.id");
  TELEDX_TRY(rows);
  std::vector<User> out;
  out.reserve(rows->size());
  for (const auto& row : *rows) out.push_back(cd::user_from_row(row));
  return out;
}

Result<User> Consortium::set_user_active(std::int64_t id, bool active) {
  TELEDX_TRY(db_.write([&](db::Txn& txn) -> Result<void> {
    auto changed = txn.exec("UPDATE users SET active = ? WHERE id = ?", {std::int64_t{active ? 1 : 0}, id});
    TELEDX_TRY(changed);
    if (*changed == 0)
      return make_error(ErrorCode::NotFound, "User " + std::to_string(id) + " does not exist.");
    // authenticate() checks `active` anyway; revoking keeps the session list truthful.
    if (!active)
      TELEDX_TRY(txn.exec("UPDATE sessions SET revoked = 1 WHERE user_id = ? AND revoked = 0", {id}));
    return ok();
  }));
  return user(id);
}

Result<void> Consortium::set_password(std::int64_t id, std::string_view password) {
  TELEDX_TRY(cd::check_password_rules(password));
  auto hash = cd::hash_password(password);
  TELEDX_TRY(hash);
  return db_.write([&](db::Txn& txn) -> Result<void> {
    auto changed =
        txn.exec("UPDATE users SET password_hash = ?, failed_logins = 0, locked_until_ms = 0 WHERE id = ?",
                 {*hash, id});
    TELEDX_TRY(changed);
    if (*changed == 0)
      return make_error(ErrorCode::NotFound, "User " + std::to_string(id) + " does not exist.");
    // A new password ends every session opened with the old one.
    TELEDX_TRY(txn.exec("UPDATE sessions SET revoked = 1 WHERE user_id = ? AND revoked = 0", {id}));
    return ok();
  });
}

}  // namespace teledx
