#pragma once
// Delivery cursors of the real-time event streams: how far each subscriber (a clinic's agent, a browser) has
// confirmed processing the outbox, persisted per user and institution.
#include <cstdint>
#include <optional>
#include <vector>

#include "teledx/core/database.hpp"
#include "teledx/core/result.hpp"

namespace teledx::worklist {

struct DeliveryCursor {
  std::int64_t user_id = 0;
  std::int64_t institution_id = 0;
  std::int64_t seq = 0;  // every outbox event up to here was processed by the subscriber
  std::int64_t updated_ms = 0;
};

/// Schema of the "delivery" module (one table of cursors).
std::vector<db::Migration> delivery_migrations();

/// The table every event is written to, in the transaction of the change it reports: a commit listener that
/// watches it hears of every new event and of nothing else (Database::set_commit_listener).
inline constexpr const char* kOutboxTable = "outbox";

/// The highest outbox sequence number written so far (0 for an empty outbox).
Result<std::int64_t> outbox_head(db::Database& db);

/// Moves the user's cursor forward to `seq` (never backwards); returns the stored value.
/// BadRequest for a negative sequence.
Result<std::int64_t> advance_delivery_cursor(db::Database& db, std::int64_t user_id, std::int64_t institution_id,
                                             std::int64_t seq, std::int64_t now_ms);
/// The user's cursor, if it ever acknowledged anything.
Result<std::optional<DeliveryCursor>> delivery_cursor(db::Database& db, std::int64_t user_id);
/// The cursors of one institution's users (a clinic's agents and browsers), lowest first.
Result<std::vector<DeliveryCursor>> delivery_cursors(db::Database& db, std::int64_t institution_id);

}  // namespace teledx::worklist
