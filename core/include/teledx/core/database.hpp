#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "teledx/core/result.hpp"

namespace teledx::db {

/// A bound parameter or a column value. SQL uses positional `?` placeholders and portable SQL
/// (INSERT ... ON CONFLICT DO NOTHING, no SQLite-only syntax) so a PostgreSQL backend can run the same text.
using Value = std::variant<std::nullptr_t, std::int64_t, double, std::string>;
using Params = std::vector<Value>;

/// One result row; accessors convert where SQLite's dynamic typing allows it.
struct Row {
  std::vector<Value> values;
  bool is_null(std::size_t i) const;
  std::int64_t integer(std::size_t i) const;  // null -> 0
  double real(std::size_t i) const;           // null -> 0
  std::string text(std::size_t i) const;      // null -> ""
};

/// Statements inside one open transaction. Valid only during the callback it was passed to.
class Txn {
 public:
  virtual ~Txn() = default;
  /// Runs a statement; returns the number of rows it changed. Constraint violations map to ErrorCode::Conflict.
  virtual Result<std::int64_t> exec(std::string_view sql, const Params& params = {}) = 0;
  /// Runs a query and returns all its rows.
  virtual Result<std::vector<Row>> query(std::string_view sql, const Params& params = {}) = 0;
  /// Id of the row inserted by the last INSERT on this transaction (SQLite rowid).
  virtual std::int64_t last_insert_id() = 0;
};

/// A versioned schema step of one module. Versions start at 1 and increase by one.
struct Migration {
  int version;
  std::string description;
  std::string sql;  // may hold several statements separated by ';'
};

enum class Durability { Immediate, Deferred };

/// The index: transactional storage behind which SQLite (now) and PostgreSQL (later) sit.
class Database {
 public:
  virtual ~Database() = default;
  /// Runs fn in a write transaction: commit (durable on return) if fn returns ok, roll back otherwise.
  /// Writers are serialised; readers are never blocked by them.
  Result<void> write(const std::function<Result<void>(Txn&)>& fn) { return write(fn, Durability::Immediate); }
  /// Deferred: the commit is visible at once but reaches the disk only with the next Immediate commit or
  /// flush() (commits become durable in order). Only for writers whose data has a durable record of its own
  /// that start-up recovery replays (e.g. DICOM landing slots); PostgreSQL: synchronous_commit = off.
  virtual Result<void> write(const std::function<Result<void>(Txn&)>& fn, Durability durability) = 0;
  /// Makes every commit so far durable (no-op when nothing deferred is pending).
  virtual Result<void> flush() = 0;
  /// Runs fn on a consistent read snapshot; many reads run concurrently.
  virtual Result<void> read(const std::function<Result<void>(Txn&)>& fn) = 0;
  /// Applies the module's migrations newer than its recorded version, each with its record in one transaction.
  /// Returns how many were applied (0 when already up to date).
  virtual Result<int> migrate(std::string_view module, const std::vector<Migration>& migrations) = 0;
  /// Current schema version of a module (0 when none applied).
  virtual Result<int> schema_version(std::string_view module) = 0;
  /// Calls `listener` after each write transaction this process commits that inserted, updated or deleted rows of
  /// one of `tables` (any write transaction when `tables` is empty), on the committing thread, once the commit is
  /// visible to readers; it must be quick and must not use the database. One listener at a time; an empty function
  /// removes it. A transaction may be reported that changed a watched table only inside a savepoint it rolled back;
  /// one that only emptied a watched table with an unconditional DELETE may not be (SQLite's truncation).
  /// Commits by other processes are not seen: a follower keeps a (slower) timed poll.
  virtual void set_commit_listener(std::function<void()> listener, std::vector<std::string> tables = {}) = 0;

  /// Convenience: one query in its own read transaction.
  Result<std::vector<Row>> query(std::string_view sql, const Params& params = {});
  /// Convenience: one statement in its own write transaction; returns rows changed.
  Result<std::int64_t> exec(std::string_view sql, const Params& params = {});
};

/// Opens or creates an SQLite index at `file` with WAL, foreign keys on, synchronous=FULL and a busy timeout.
/// ":memory:" gives a private in-memory database (tests).
Result<std::unique_ptr<Database>> open_sqlite(const std::filesystem::path& file);

}  // namespace teledx::db
