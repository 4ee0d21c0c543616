// Delivery cursors of the event streams, and the outbox head the stream registry starts from.
#include "teledx/worklist/delivery.hpp"

namespace teledx::worklist {

std::vector<db::Migration> delivery_migrations() {
  return {{1, "delivery cursors of the event streams",
           "CREATE TABLE delivery_cursors (user_id INTEGER PRIMARY KEY, institution_id INTEGER NOT NULL, "
           "seq INTEGER NOT NULL, updated_ms INTEGER NOT NULL);"
           "CREATE INDEX delivery_cursors_institution ON delivery_cursors (institution_id, seq);"}};
}

Result<std::int64_t> outbox_head(db::Database& db) {
  auto rows = db.query("SELECT COALESCE(MAX(seq), 0) FROM outbox");
  TELEDX_TRY(rows);
  return rows->empty() ? std::int64_t{0} : rows->front().integer(0);
}

Result<std::int64_t> advance_delivery_cursor(db::Database& db, std::int64_t user_id, std::int64_t institution_id,
                                             std::int64_t seq, std::int64_t now_ms) {
  if (seq < 0) return make_error(ErrorCode::BadRequest, "A sequence number is never negative.");
  std::int64_t stored = seq;
  TELEDX_TRY(db.write([&](db::Txn& txn) -> Result<void> {
    // Monotonic: a late or repeated acknowledgement never moves the cursor back.
    TELEDX_TRY(txn.exec(
        "INSERT INTO delivery_cursors (user_id, institution_id, seq, updated_ms) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (user_id) DO UPDATE SET institution_id = excluded.institution_id, updated_ms = excluded.updated_ms, "
        "seq = CASE WHEN excluded.seq > delivery_cursors.seq THEN excluded.seq ELSE delivery_cursors.seq END",
        {user_id, institution_id, seq, now_ms}));
    auto rows = txn.query("SELECT seq FROM delivery_cursors WHERE user_id = ?", {user_id});
    TELEDX_TRY(rows);
    if (!rows->empty()) stored = rows->front().integer(0);
    return ok();
  }));
  return stored;
}

Result<std::optional<DeliveryCursor>> delivery_cursor(db::Database& db, std::int64_t user_id) {
  auto rows = db.query("SELECT user_id, institution_id, seq, updated_ms FROM delivery_cursors WHERE user_id = ?",
                       {user_id});
  TELEDX_TRY(rows);
  if (rows->empty()) return std::optional<DeliveryCursor>{};
  const auto& r = rows->front();
  return std::optional<DeliveryCursor>{DeliveryCursor{r.integer(0), r.integer(1), r.integer(2), r.integer(3)}};
}

Result<std::vector<DeliveryCursor>> delivery_cursors(db::Database& db, std::int64_t institution_id) {
  auto rows = db.query(
      "SELECT user_id, institution_id, seq, updated_ms FROM delivery_cursors WHERE institution_id = ? "
      "ORDER BY seq, user_id",
      {institution_id});
  TELEDX_TRY(rows);
  std::vector<DeliveryCursor> out;
  for (const auto& r : *rows) out.push_back({r.integer(0), r.integer(1), r.integer(2), r.integer(3)});
  return out;
}

}  // namespace teledx::worklist
