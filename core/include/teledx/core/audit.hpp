#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "teledx/core/clock.hpp"
#include "teledx/core/database.hpp"
#include "teledx/core/result.hpp"

namespace teledx {

/// What happened, by whom, to what, from where.
struct AuditEvent {
  std::string actor;   // username, "system", or "ae:CLINIC1"
  std::string action;  // e.g. "login", "login_failed", "view", "download", "create_user", "store", "sign"
  std::string target;  // e.g. "user:12", "study:1.2.3"
  std::string remote;  // client address
  std::string detail;  // free text / JSON
};

struct AuditEntry {
  std::int64_t seq = 0;
  std::int64_t at_ms = 0;
  AuditEvent event;
  std::string prev_hash;
  std::string hash;  // sha256 over prev_hash and the canonical JSON of (seq, at_ms, event)
};

struct AuditVerifyReport {
  std::int64_t entries = 0;
  std::optional<std::int64_t> first_broken_seq;  // first entry whose hash or link does not hold
  std::string reason;
  bool ok() const { return !first_broken_seq.has_value(); }
};

/// Append-only, hash-chained audit log in the index.
class AuditLog {
 public:
  AuditLog(db::Database& db, const Clock& clock) : db_(db), clock_(clock) {}
  static std::vector<db::Migration> migrations();

  /// Appends in its own write transaction. Deferred suits entries whose subject is recovered anyway should
  /// the last moments before a crash be lost (a landed instance is audited again when recovery indexes it).
  Result<AuditEntry> append(const AuditEvent& event, db::Durability durability = db::Durability::Immediate);
  /// Appends inside the caller's write transaction, so the entry commits with the change it records.
  Result<AuditEntry> append(db::Txn& txn, const AuditEvent& event);
  /// Newest first; optional filters on actor and action.
  Result<std::vector<AuditEntry>> list(std::int64_t limit, std::int64_t before_seq = 0,
                                       std::string_view actor = {}, std::string_view action = {}) const;
  /// Walks the chain from the first entry: a modified, deleted or reordered entry breaks it.
  Result<AuditVerifyReport> verify() const;

 private:
  db::Database& db_;
  const Clock& clock_;
};

}  // namespace teledx
