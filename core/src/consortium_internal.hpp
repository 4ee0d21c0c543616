#pragma once
// Shared by consortium.cpp, ae_titles.cpp and sessions.cpp: row mapping, lookups, password hashing.
// Not a public header.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "teledx/core/consortium.hpp"
#include "teledx/core/database.hpp"
#include "teledx/core/result.hpp"

namespace teledx::consortium_detail {

/// Column lists matching institution_from_row / user_from_row, for a table aliased `i` or `u`.
inline constexpr std::string_view kInstitutionColumns =
    "i.id, i.code, i.name, i.kind, i.center_type, i.parent_id";
inline constexpr std::size_t kInstitutionColumnCount = 6;
inline constexpr std::string_view kUserColumns =
    "u.id, u.username, u.display_name, u.role, u.institution_id, u.active";
inline constexpr std::size_t kUserColumnCount = 6;

/// Reads kInstitutionColumns starting at column `first`. Throws std::runtime_error on a value the schema's
/// CHECK constraints forbid (a corrupted index).
Institution institution_from_row(const db::Row& row, std::size_t first = 0);
/// Reads kUserColumns starting at column `first`; throws like institution_from_row.
User user_from_row(const db::Row& row, std::size_t first = 0);

/// The institution with `id`, or nullopt when there is none.
Result<std::optional<Institution>> find_institution(db::Txn& txn, std::int64_t id);
/// NotFound naming the institution id.
Error no_institution(std::int64_t id);
/// Logs a database failure that a std::optional-returning lookup cannot report.
void log_failure(std::string_view what, const Error& error);

/// BadRequest unless the password has at least 8 characters (UTF-8 code points) and at most 1024 bytes.
Result<void> check_password_rules(std::string_view password);
/// argon2id hash in libsodium's string format; Internal when libsodium fails (out of memory).
Result<std::string> hash_password(std::string_view password);
/// True when `password` matches `stored_hash`; constant work for a given hash's parameters.
bool verify_password(std::string_view stored_hash, std::string_view password);
/// Burns the time of one verification, for unknown usernames.
void verify_dummy_password(std::string_view password);
/// True when the stored hash uses weaker parameters than the current ones.
bool password_needs_rehash(std::string_view stored_hash);

}  // namespace teledx::consortium_detail
