// Consortium: password hashing, login with lockout, session tokens.
#include <sodium.h>

#include <algorithm>
#include <string>

#include "consortium_internal.hpp"
#include "teledx/core/consortium.hpp"
#include "teledx/core/ids.hpp"

namespace teledx {

namespace cd = consortium_detail;

namespace {

constexpr unsigned long long kOpsLimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
constexpr std::size_t kMemLimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;

Error wrong_credentials() {
  return make_error(ErrorCode::Unauthenticated, "Wrong username or password.");
}

Error locked_out(std::int64_t remaining_ms) {
  const std::int64_t seconds = std::max<std::int64_t>(1, (remaining_ms + 999) / 1000);
  return make_error(ErrorCode::TooManyAttempts,
                    "Too many failed logins; try again in " + std::to_string(seconds) + " s.");
}

Error session_invalid() {
  return make_error(ErrorCode::Unauthenticated, "Your session has ended; sign in again.");
}

Error crypto_unusable() {
  return make_error(ErrorCode::Internal, "The server cannot check passwords right now.",
                    "libsodium init failed");
}

bool is_token_shape(std::string_view token) {
  return token.size() == 64 && std::all_of(token.begin(), token.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

/// Lock duration after `failures` consecutive failures, per LockoutPolicy; 0 while attempts are free.
std::int64_t lock_duration_ms(const LockoutPolicy& p, std::int64_t failures) {
  if (failures <= p.free_attempts) return 0;
  const std::int64_t exponent = failures - p.free_attempts;
  if (exponent >= 40 || p.base_lock_ms > (p.max_lock_ms >> exponent)) return p.max_lock_ms;
  return std::min(p.base_lock_ms << exponent, p.max_lock_ms);
}

}  // namespace

namespace consortium_detail {

Result<void> check_password_rules(std::string_view password) {
  const auto code_points = std::count_if(password.begin(), password.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  });
  if (code_points < 8)
    return make_error(ErrorCode::BadRequest, "password must be at least 8 characters long.");
  if (password.size() > 1024)
    return make_error(ErrorCode::BadRequest, "password must be at most 1024 bytes long.");
  return ok();
}

Result<std::string> hash_password(std::string_view password) {
  if (!crypto_init()) return crypto_unusable();
  char out[crypto_pwhash_STRBYTES];
  // Explicit algorithm: crypto_pwhash_str defaults to argon2id in libsodium 1.0.18, but that default may
  // move.
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), kOpsLimit, kMemLimit,
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    return make_error(ErrorCode::Internal, "The server is short of memory; try again.",
                      "crypto_pwhash_str failed");
  return std::string(out);
}

bool verify_password(std::string_view stored_hash, std::string_view password) {
  const std::string hash(stored_hash);  // libsodium wants a NUL-terminated string
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

void verify_dummy_password(std::string_view password) {
  // Same parameters as real hashes, so an unknown username costs what a wrong password costs.
  static const std::string dummy = [] {
    auto h = hash_password("teledx-timing-equaliser");
    return h.ok() ? *h : std::string();
  }();
  if (!dummy.empty()) (void)verify_password(dummy, password);
}

bool password_needs_rehash(std::string_view stored_hash) {
  const std::string hash(stored_hash);
  return crypto_pwhash_str_needs_rehash(hash.c_str(), kOpsLimit, kMemLimit) != 0;
}

}  // namespace consortium_detail

namespace {

Result<Principal> load_principal(db::Txn& txn, std::int64_t user_id, std::string session_id) {
  auto rows =
      txn.query("SELECT " + std::string(cd::kUserColumns) + ", " + std::string(cd::kInstitutionColumns) +
                    " FROM users u JOIN institutions i ON i.id = u.institution_id WHERE u.id = ?",
                {user_id});
  TELEDX_TRY(rows);
  if (rows->empty()) return wrong_credentials();
  return Principal{cd::user_from_row(rows->front()),
                   cd::institution_from_row(rows->front(), cd::kUserColumnCount), std::move(session_id)};
}

}  // namespace

Result<Session> Consortium::login(std::string_view username, std::string_view password) {
  if (!crypto_init()) return crypto_unusable();
  const std::int64_t now = clock_.now_ms();
  auto rows = db_.query("SELECT id, password_hash, locked_until_ms FROM users WHERE username = ?",
                        {std::string(username)});
  TELEDX_TRY(rows);
  if (rows->empty()) {
    cd::verify_dummy_password(password);
    return wrong_credentials();
  }
  const std::int64_t user_id = rows->front().integer(0);
  const std::string stored_hash = rows->front().text(1);
  if (const std::int64_t until = rows->front().integer(2); until > now) return locked_out(until - now);

  // Verified outside the write transaction: argon2id takes ~0.1 s and must not hold the writer.
  const bool password_ok = cd::verify_password(stored_hash, password);
  std::optional<std::string> rehash;
  if (password_ok && cd::password_needs_rehash(stored_hash)) {
    auto h = cd::hash_password(password);
    if (h.ok()) rehash = std::move(*h);
  }

  Result<Session> outcome = wrong_credentials();
  TELEDX_TRY(db_.write([&](db::Txn& txn) -> Result<void> {
    // Re-read the counters under the writer: concurrent attempts on one account must all count.
    auto cur = txn.query("SELECT failed_logins, locked_until_ms, active FROM users WHERE id = ?", {user_id});
    TELEDX_TRY(cur);
    if (cur->empty()) return ok();  // deleted meanwhile: wrong_credentials
    const db::Row& row = cur->front();
    if (row.integer(1) > now) {
      outcome = locked_out(row.integer(1) - now);
      return ok();
    }
    if (!password_ok) {
      const std::int64_t failures = row.integer(0) + 1;
      const std::int64_t lock_ms = lock_duration_ms(lockout_, failures);
      TELEDX_TRY(txn.exec("UPDATE users SET failed_logins = ?, locked_until_ms = ? WHERE id = ?",
                          {failures, lock_ms > 0 ? now + lock_ms : std::int64_t{0}, user_id}));
      if (lock_ms > 0) outcome = locked_out(lock_ms);
      return ok();
    }
    if (row.integer(2) == 0) {
      outcome = make_error(ErrorCode::Unauthenticated, "This account is disabled; ask your administrator.");
      return ok();
    }
    TELEDX_TRY(txn.exec("UPDATE users SET failed_logins = 0, locked_until_ms = 0 WHERE id = ?", {user_id}));
    if (rehash) TELEDX_TRY(txn.exec("UPDATE users SET password_hash = ? WHERE id = ?", {*rehash, user_id}));
    TELEDX_TRY(txn.exec("DELETE FROM sessions WHERE user_id = ? AND expires_ms <= ?", {user_id, now}));

    Session session;
    session.token = random_hex(32);
    session.expires_ms = now + session_ttl_ms_;
    const std::string session_id = new_id();
    // Only the token's hash is stored: a copy of the index does not let anyone act as a user.
    TELEDX_TRY(
        txn.exec("INSERT INTO sessions (id, token_hash, user_id, created_ms, expires_ms, revoked) VALUES (?, "
                 "?, ?, ?, ?, 0)",
                 {session_id, sha256_hex(session.token), user_id, now, session.expires_ms}));
    auto principal = load_principal(txn, user_id, session_id);
    TELEDX_TRY(principal);
    session.principal = std::move(*principal);
    outcome = std::move(session);
    return ok();
  }));
  return outcome;
}

Result<Principal> Consortium::authenticate(std::string_view token) const {
  if (!is_token_shape(token)) return session_invalid();
  const std::int64_t now = clock_.now_ms();
  auto rows = db_.query("SELECT s.id, s.expires_ms, s.revoked, " + std::string(cd::kUserColumns) + ", " +
                            std::string(cd::kInstitutionColumns) +
                            " FROM sessions s JOIN users u ON u.id = s.user_id"
                            " JOIN institutions i ON i.id = u.institution_id WHERE s.token_hash = ?",
                        {sha256_hex(token)});
  TELEDX_TRY(rows);
  if (rows->empty()) return session_invalid();
  const db::Row& row = rows->front();
  if (row.integer(2) != 0 || row.integer(1) <= now) return session_invalid();
  Principal p{cd::user_from_row(row, 3), cd::institution_from_row(row, 3 + cd::kUserColumnCount),
              row.text(0)};
  if (!p.user.active)
    return make_error(ErrorCode::Unauthenticated, "This account is disabled; ask your administrator.");
  return p;
}

Result<void> Consortium::logout(std::string_view token) {
  // Idempotent: an unknown or already revoked token is already logged out.
  if (!is_token_shape(token)) return ok();
  auto changed = db_.exec("UPDATE sessions SET revoked = 1 WHERE token_hash = ?", {sha256_hex(token)});
  TELEDX_TRY(changed);
  return ok();
}

}  // namespace teledx
