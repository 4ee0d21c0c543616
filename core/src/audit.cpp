#include "teledx/core/audit.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "teledx/core/ids.hpp"

namespace teledx {

namespace {

using nlohmann::json;

const std::string kGenesisHash(64, '0');
constexpr std::string_view kColumns = "seq, at_ms, actor, action, target, remote, detail, prev_hash, hash";
constexpr std::int64_t kVerifyPage = 1000;
constexpr std::int64_t kMaxListLimit = 1000;

/// Invalid UTF-8 is replaced by U+FFFD before storing, so the stored text is exactly what was hashed
/// (nlohmann's dump() refuses invalid UTF-8, and a lenient dump would let two byte strings share one hash).
std::string valid_utf8(const std::string& s) {
  try {
    (void)json(s).dump();
    return s;
  } catch (const json::type_error&) {
    return json::parse(json(s).dump(-1, ' ', false, json::error_handler_t::replace)).get<std::string>();
  }
}

/// sha256(prev_hash || [seq, at_ms, actor, action, target, remote, detail] as compact JSON).
/// Throws json::type_error when a field is not valid UTF-8 (only possible if the table was edited).
std::string entry_hash(const AuditEntry& e) {
  const json canonical = json::array(
      {e.seq, e.at_ms, e.event.actor, e.event.action, e.event.target, e.event.remote, e.event.detail});
  return sha256_hex(e.prev_hash + canonical.dump());
}

AuditEntry entry_from_row(const db::Row& row) {
  AuditEntry e;
  e.seq = row.integer(0);
  e.at_ms = row.integer(1);
  e.event = AuditEvent{row.text(2), row.text(3), row.text(4), row.text(5), row.text(6)};
  e.prev_hash = row.text(7);
  e.hash = row.text(8);
  return e;
}

/// First problem with `e` given the entry before it, or an empty string when it links and hashes correctly.
std::string check_entry(const AuditEntry& e, std::int64_t expected_seq, const std::string& expected_prev) {
  if (e.seq != expected_seq) {
    if (e.seq > expected_seq)
      return "entries " + std::to_string(expected_seq) +
             (e.seq - 1 > expected_seq ? " to " + std::to_string(e.seq - 1) : std::string()) +
             " are missing before this one (deleted)";
    return "sequence number out of order (expected " + std::to_string(expected_seq) + ")";
  }
  if (e.prev_hash != expected_prev)
    return expected_seq == 1
               ? "the first entry does not start the chain (entries before it deleted or replaced)"
               : "prev_hash does not match the hash of entry " + std::to_string(expected_seq - 1) +
                     " (entries deleted, inserted or reordered)";
  try {
    if (entry_hash(e) != e.hash) return "contents do not match the stored hash (entry modified)";
  } catch (const json::exception&) {
    return "a field holds invalid UTF-8 (entry modified)";
  }
  return {};
}

}  // namespace

std::vector<db::Migration> AuditLog::migrations() {
  // seq is assigned by append() inside the write transaction (not an autoincrement), so the chain order is
  // exactly the commit order and the DDL is portable.
  return {{1, "hash-chained audit log", R"sql(
CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY,
  at_ms BIGINT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  remote TEXT NOT NULL,
  detail TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX audit_log_actor ON audit_log(actor, seq);
CREATE INDEX audit_log_action ON audit_log(action, seq)
)sql"}};
}

Result<AuditEntry> AuditLog::append(const AuditEvent& event, db::Durability durability) {
  std::optional<AuditEntry> out;
  TELEDX_TRY(db_.write(
      [&](db::Txn& txn) -> Result<void> {
        auto e = append(txn, event);
        TELEDX_TRY(e);
        out = std::move(*e);
        return ok();
      },
      durability));
  return std::move(*out);
}

Result<AuditEntry> AuditLog::append(db::Txn& txn, const AuditEvent& event) {
  if (event.actor.empty())
    return make_error(ErrorCode::BadRequest, "actor of an audit event must not be empty.");
  if (event.action.empty())
    return make_error(ErrorCode::BadRequest, "action of an audit event must not be empty.");
  // Reading the head inside the caller's write transaction serialises appends: two writers cannot both
  // extend the same entry (SQLite has one writer; PostgreSQL would fail one with a key conflict and retry).
  auto head = txn.query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1");
  TELEDX_TRY(head);
  AuditEntry e;
  e.seq = head->empty() ? 1 : head->front().integer(0) + 1;
  e.prev_hash = head->empty() ? kGenesisHash : head->front().text(1);
  e.at_ms = clock_.now_ms();
  e.event = AuditEvent{valid_utf8(event.actor), valid_utf8(event.action), valid_utf8(event.target),
                       valid_utf8(event.remote), valid_utf8(event.detail)};
  e.hash = entry_hash(e);
  TELEDX_TRY(
      txn.exec("INSERT INTO audit_log (" + std::string(kColumns) + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
               {e.seq, e.at_ms, e.event.actor, e.event.action, e.event.target, e.event.remote, e.event.detail,
                e.prev_hash, e.hash}));
  return e;
}

Result<std::vector<AuditEntry>> AuditLog::list(std::int64_t limit, std::int64_t before_seq,
                                               std::string_view actor, std::string_view action) const {
  std::string sql = "SELECT " + std::string(kColumns) + " FROM audit_log WHERE 1 = 1";
  db::Params params;
  if (before_seq > 0) {
    sql += " AND seq < ?";
    params.emplace_back(before_seq);
  }
  if (!actor.empty()) {
    sql += " AND actor = ?";
    params.emplace_back(std::string(actor));
  }
  if (!action.empty()) {
    sql += " AND action = ?";
    params.emplace_back(std::string(action));
  }
  sql += " ORDER BY seq DESC LIMIT ?";
  params.emplace_back(std::clamp<std::int64_t>(limit, 1, kMaxListLimit));
  auto rows = db_.query(sql, params);
  TELEDX_TRY(rows);
  std::vector<AuditEntry> out;
  out.reserve(rows->size());
  for (const auto& row : *rows) out.push_back(entry_from_row(row));
  return out;
}

Result<AuditVerifyReport> AuditLog::verify() const {
  AuditVerifyReport report;
  // One read snapshot for the whole walk, paged so a long log is not held in memory at once.
  TELEDX_TRY(db_.read([&](db::Txn& txn) -> Result<void> {
    report = AuditVerifyReport{};
    std::int64_t expected_seq = 1;
    std::string expected_prev = kGenesisHash;
    std::int64_t after = std::numeric_limits<std::int64_t>::min();  // an edited seq may be 0 or negative
    for (;;) {
      auto rows =
          txn.query("SELECT " + std::string(kColumns) + " FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?",
                    {after, kVerifyPage});
      TELEDX_TRY(rows);
      for (const auto& row : *rows) {
        const AuditEntry e = entry_from_row(row);
        ++report.entries;
        if (!report.first_broken_seq) {
          std::string problem = check_entry(e, expected_seq, expected_prev);
          if (!problem.empty()) {
            report.first_broken_seq = e.seq;
            report.reason = "Audit entry " + std::to_string(e.seq) + ": " + problem + ".";
          }
        }
        expected_seq = e.seq + 1;
        expected_prev = e.hash;
        after = e.seq;
      }
      if (static_cast<std::int64_t>(rows->size()) < kVerifyPage) break;
    }
    return ok();
  }));
  return report;
}

}  // namespace teledx
