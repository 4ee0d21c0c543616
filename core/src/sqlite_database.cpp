// SQLite backend of db::Database. One writer connection (SQLite serialises writers anyway) and a small
// pool of reader connections; WAL lets readers proceed while a write is in progress.
#include <sqlite3.h>

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "teledx/core/database.hpp"

namespace teledx::db {
namespace {

constexpr int kBusyTimeoutMs = 10'000;
constexpr std::size_t kMaxReaders = 8;

Error sqlite_error(sqlite3* c, std::string_view what, int rc) {
  ErrorCode code = ErrorCode::StorageFailure;
  int primary = rc & 0xff;
  if (primary == SQLITE_CONSTRAINT) code = ErrorCode::Conflict;
  std::string detail = std::string(what) + ": " + (c ? sqlite3_errmsg(c) : sqlite3_errstr(rc));
  std::string message = code == ErrorCode::Conflict ? "The record conflicts with one that already exists."
                                                    : "The server's index could not be read or written.";
  return make_error(code, message, detail);
}

class Statement {
 public:
  Statement(sqlite3* c, std::string_view sql) : c_(c) {
    rc_ = sqlite3_prepare_v2(c, sql.data(), static_cast<int>(sql.size()), &s_, nullptr);
  }
  ~Statement() { sqlite3_finalize(s_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  int prepare_rc() const { return rc_; }

  int bind(const Params& params) { return bind_to(s_, params); }
  static int bind_to(sqlite3_stmt* s_, const Params& params) {
    for (std::size_t i = 0; i < params.size(); ++i) {
      int idx = static_cast<int>(i + 1);
      int rc = std::visit(
          [&](const auto& v) -> int {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::nullptr_t>) return sqlite3_bind_null(s_, idx);
            else if constexpr (std::is_same_v<T, std::int64_t>) return sqlite3_bind_int64(s_, idx, v);
            else if constexpr (std::is_same_v<T, double>) return sqlite3_bind_double(s_, idx, v);
            else return sqlite3_bind_text(s_, idx, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
          },
          params[i]);
      if (rc != SQLITE_OK) return rc;
    }
    return SQLITE_OK;
  }

  Row row() const { return row_of(s_); }
  static Row row_of(sqlite3_stmt* s_) {
    Row r;
    int n = sqlite3_column_count(s_);
    r.values.reserve(n);
    for (int i = 0; i < n; ++i) {
      switch (sqlite3_column_type(s_, i)) {
        case SQLITE_NULL: r.values.emplace_back(nullptr); break;
        case SQLITE_INTEGER: r.values.emplace_back(static_cast<std::int64_t>(sqlite3_column_int64(s_, i))); break;
        case SQLITE_FLOAT: r.values.emplace_back(sqlite3_column_double(s_, i)); break;
        default: {
          const auto* p = reinterpret_cast<const char*>(sqlite3_column_blob(s_, i));
          r.values.emplace_back(std::string(p ? p : "", sqlite3_column_bytes(s_, i)));
        }
      }
    }
    return r;
  }
  sqlite3_stmt* get() const { return s_; }

 private:
  sqlite3* c_;
  sqlite3_stmt* s_ = nullptr;
  int rc_ = SQLITE_OK;
};

// Prepared statements of one connection, kept across transactions: parsing the same INSERT for every stored
// instance was a tenth of the ingest CPU. Used only by the thread holding the connection.
class StatementCache {
 public:
  explicit StatementCache(sqlite3* c) : c_(c) {}
  ~StatementCache() { clear(); }
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;

  /// A statement ready to bind (reset, no bindings); nullptr with rc set when it does not prepare.
  sqlite3_stmt* get(std::string_view sql, int& rc) {
    rc = SQLITE_OK;
    if (auto it = map_.find(sql); it != map_.end()) return it->second;
    // Queries built with variable IN-lists make many distinct texts: bound the cache simply.
    if (map_.size() >= kMaxStatements) clear();
    sqlite3_stmt* s = nullptr;
    rc = sqlite3_prepare_v3(c_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &s, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(s);
      return nullptr;
    }
    map_.emplace(std::string(sql), s);
    return s;
  }
  void clear() {
    for (auto& [sql, s] : map_) sqlite3_finalize(s);
    map_.clear();
  }

 private:
  static constexpr std::size_t kMaxStatements = 256;
  sqlite3* c_;
  std::map<std::string, sqlite3_stmt*, std::less<>> map_;
};

// Resets a cached statement when its use ends, so it holds no read snapshot or bound text afterwards.
struct ResetOnExit {
  sqlite3_stmt* s;
  ~ResetOnExit() {
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
  }
};

class SqliteTxn final : public Txn {
 public:
  explicit SqliteTxn(sqlite3* c, StatementCache* cache = nullptr) : c_(c), cache_(cache) {}
  Result<std::int64_t> exec(std::string_view sql, const Params& params) override {
    int rc = SQLITE_OK;
    return with_statement(sql, params, [&](sqlite3_stmt* st) -> Result<std::int64_t> {
      while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      }
      if (rc != SQLITE_DONE) return sqlite_error(c_, sql, rc);
      return static_cast<std::int64_t>(sqlite3_changes(c_));
    });
  }
  Result<std::vector<Row>> query(std::string_view sql, const Params& params) override {
    return with_statement(sql, params, [&](sqlite3_stmt* st) -> Result<std::vector<Row>> {
      std::vector<Row> rows;
      int rc;
      while ((rc = sqlite3_step(st)) == SQLITE_ROW) rows.push_back(Statement::row_of(st));
      if (rc != SQLITE_DONE) return sqlite_error(c_, sql, rc);
      return rows;
    });
  }
  std::int64_t last_insert_id() override { return sqlite3_last_insert_rowid(c_); }

 private:
  template <class Fn>
  auto with_statement(std::string_view sql, const Params& params, Fn&& fn) -> decltype(fn(nullptr)) {
    if (cache_ != nullptr) {
      int rc = SQLITE_OK;
      sqlite3_stmt* st = cache_->get(sql, rc);
      if (st == nullptr) return sqlite_error(c_, "prepare", rc);
      ResetOnExit reset{st};
      if (int b = Statement::bind_to(st, params); b != SQLITE_OK) return sqlite_error(c_, "bind", b);
      return fn(st);
    }
    Statement st(c_, sql);
    if (st.prepare_rc() != SQLITE_OK) return sqlite_error(c_, "prepare", st.prepare_rc());
    if (int rc = st.bind(params); rc != SQLITE_OK) return sqlite_error(c_, "bind", rc);
    return fn(st.get());
  }

  sqlite3* c_;
  StatementCache* cache_;
};

Result<void> exec_script(sqlite3* c, const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(c, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string detail = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    return make_error(ErrorCode::StorageFailure, "The server's index could not be read or written.", detail);
  }
  return {};
}

Result<sqlite3*> open_connection(const std::string& path, bool memory_shared_name) {
  sqlite3* c = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (memory_shared_name) flags |= SQLITE_OPEN_URI;
  int rc = sqlite3_open_v2(path.c_str(), &c, flags, nullptr);
  if (rc != SQLITE_OK) {
    Error e = sqlite_error(c, "open " + path, rc);
    sqlite3_close(c);
    return e;
  }
  sqlite3_busy_timeout(c, kBusyTimeoutMs);
  sqlite3_extended_result_codes(c, 1);
  // synchronous=FULL: a committed transaction survives power loss, the promise behind every success status.
  auto r = exec_script(c, "PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL;");
  if (!r.ok()) {
    sqlite3_close(c);
    return r.error();
  }
  return c;
}

class SqliteDatabase final : public Database {
 public:
  SqliteDatabase(std::string path, bool memory) : path_(std::move(path)), memory_(memory) {}
  ~SqliteDatabase() override {
    stop_checkpointer();
    caches_.clear();  // statements are finalized before their connections close
    for (auto* c : idle_readers_) sqlite3_close(c);
    if (writer_) sqlite3_close(writer_);
  }

  Result<void> init() {
    auto w = open_connection(path_, memory_);
    if (!w.ok()) return w.error();
    writer_ = *w;
    if (!memory_) {
      TELEDX_TRY(exec_script(writer_, "PRAGMA journal_mode=WAL;"));
      // Checkpoints run on their own thread and connection (PASSIVE: writers go on meanwhile), so that no
      // committer — above all not a C-STORE waiting for its answer — pays for copying the WAL back. The hook
      // replaces SQLite's automatic checkpoint on commit.
      sqlite3_wal_hook(writer_, &SqliteDatabase::on_wal_commit, this);
      checkpointer_ = std::thread([this] { checkpoint_loop(); });
    }
    sqlite3_update_hook(writer_, &SqliteDatabase::on_update, this);
    // Backend-private: flush() rewrites its one row (not part of any module's schema).
    TELEDX_TRY(exec_script(writer_, "CREATE TABLE IF NOT EXISTS teledx_flush_mark (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"));
    return {};
  }

  using Database::write;
  Result<void> write(const std::function<Result<void>(Txn&)>& fn, Durability durability) override {
    bool watched_change = false;
    auto r = write_locked(fn, durability, &watched_change);
    if (r.ok() && watched_change) committed();  // outside the write lock: a listener never holds up the next writer
    return r;
  }

  void set_commit_listener(std::function<void()> listener, std::vector<std::string> tables) override {
    std::lock_guard write_lock(write_mutex_);  // the update hook reads watched_ on the writer, under this lock
    std::lock_guard lock(listener_mutex_);
    listener_ = std::move(listener);
    watched_ = std::move(tables);
  }

  Result<void> flush() override {
    std::lock_guard lock(write_mutex_);
    if (!deferred_pending_ || memory_) return {};
    // A one-row FULL commit: its WAL fsync makes the deferred frames before it durable too.
    TELEDX_TRY(run_txn(writer_, "BEGIN IMMEDIATE", [](Txn& t) -> Result<void> {
      auto r = t.exec("INSERT INTO teledx_flush_mark (id, n) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET n = n + 1");
      if (!r.ok()) return r.error();
      return {};
    }));
    deferred_pending_ = false;
    return {};
  }

  Result<void> read(const std::function<Result<void>(Txn&)>& fn) override {
    // An in-memory database is private to its connection: reads share the writer.
    if (memory_) return write_locked(fn, Durability::Immediate);  // a read: no commit to tell anyone of
    auto c = acquire_reader();
    if (!c.ok()) return c.error();
    auto r = run_txn(*c, "BEGIN", fn);
    release_reader(*c);
    return r;
  }

  Result<int> migrate(std::string_view module, const std::vector<Migration>& migrations) override {
    TELEDX_TRY(write([&](Txn& t) -> Result<void> {
      auto r = t.exec(
          "CREATE TABLE IF NOT EXISTS schema_migrations (module TEXT NOT NULL, version INTEGER NOT NULL, "
          "description TEXT NOT NULL, applied_ms INTEGER NOT NULL, PRIMARY KEY (module, version))");
      if (!r.ok()) return r.error();
      return {};
    }));
    auto current = schema_version(module);
    if (!current.ok()) return current.error();
    int applied = 0;
    for (const auto& m : migrations) {
      if (m.version <= *current) continue;
      std::lock_guard lock(write_mutex_);
      // Each step and its record commit together: a crash leaves the schema at a known version.
      TELEDX_TRY(exec_script(writer_, "BEGIN IMMEDIATE"));
      auto r = exec_script(writer_, m.sql);
      if (r.ok()) {
        SqliteTxn t(writer_);
        auto ins = t.exec(
            "INSERT INTO schema_migrations (module, version, description, applied_ms) "
            "VALUES (?, ?, ?, CAST(strftime('%s','now') AS INTEGER) * 1000)",
            {std::string(module), static_cast<std::int64_t>(m.version), m.description});
        if (!ins.ok()) r = ins.error();
      }
      if (!r.ok()) {
        (void)exec_script(writer_, "ROLLBACK");
        Error e = r.error();
        e.detail = "migration " + std::string(module) + " v" + std::to_string(m.version) + ": " + e.detail;
        return e;
      }
      TELEDX_TRY(exec_script(writer_, "COMMIT"));
      ++applied;
    }
    return applied;
  }

  Result<int> schema_version(std::string_view module) override {
    auto rows = query(
        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE module = ?", {std::string(module)});
    if (!rows.ok()) return rows.error();
    return static_cast<int>(rows->at(0).integer(0));
  }

 private:
  /// `watched_change` (may be null) tells whether the transaction changed a table the commit listener watches.
  Result<void> write_locked(const std::function<Result<void>(Txn&)>& fn, Durability durability,
                            bool* watched_change = nullptr) {
    std::lock_guard lock(write_mutex_);
    touched_watched_ = false;
    auto r = [&]() -> Result<void> {
      if (durability == Durability::Immediate || memory_) return run_txn(writer_, "BEGIN IMMEDIATE", fn);
      // WAL + synchronous=NORMAL: the commit is appended to the WAL without an fsync; the next FULL commit
      // (or a checkpoint) syncs the WAL and with it every frame before it.
      TELEDX_TRY(exec_script(writer_, "PRAGMA synchronous=NORMAL"));
      auto txn = run_txn(writer_, "BEGIN IMMEDIATE", fn);
      auto restored = exec_script(writer_, "PRAGMA synchronous=FULL");
      if (txn.ok()) deferred_pending_ = true;
      if (!restored.ok()) return restored;
      return txn;
    }();
    if (watched_change) *watched_change = watched_.empty() || touched_watched_;
    return r;
  }

  // SQLite's update hook, on the writer under write_mutex_: notes a change to a watched table (rowid tables only,
  // which every table the listener watches is).
  static void on_update(void* self, int, const char*, const char* table, sqlite3_int64) {
    auto* db = static_cast<SqliteDatabase*>(self);
    if (db->touched_watched_ || table == nullptr) return;
    for (const auto& t : db->watched_)
      if (t == table) db->touched_watched_ = true;
  }

  static constexpr int kCheckpointPages = 1000;  // SQLite's own auto-checkpoint threshold

  void committed() {
    std::lock_guard lock(listener_mutex_);
    if (listener_) listener_();
  }

  static int on_wal_commit(void* self, sqlite3*, const char*, int pages) {
    if (pages >= kCheckpointPages) {
      auto* db = static_cast<SqliteDatabase*>(self);
      {
        std::lock_guard lock(db->checkpoint_mutex_);
        db->checkpoint_wanted_ = true;
      }
      db->checkpoint_cv_.notify_one();
    }
    return SQLITE_OK;
  }

  void checkpoint_loop() {
    auto c = open_connection(path_, false);
    if (!c.ok()) return;  // SQLite then checkpoints only on close; the WAL grows meanwhile but stays correct
    std::unique_lock lock(checkpoint_mutex_);
    while (!checkpoint_stop_) {
      checkpoint_cv_.wait(lock, [&] { return checkpoint_stop_ || checkpoint_wanted_; });
      if (checkpoint_stop_) break;
      checkpoint_wanted_ = false;
      lock.unlock();
      sqlite3_wal_checkpoint_v2(*c, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      lock.lock();
    }
    sqlite3_close(*c);
  }

  void stop_checkpointer() {
    if (!checkpointer_.joinable()) return;
    {
      std::lock_guard lock(checkpoint_mutex_);
      checkpoint_stop_ = true;
    }
    checkpoint_cv_.notify_one();
    checkpointer_.join();
  }

  Result<void> run_txn(sqlite3* c, const char* begin, const std::function<Result<void>(Txn&)>& fn) {
    TELEDX_TRY(exec_script(c, begin));
    SqliteTxn t(c, cache_for(c));
    Result<void> r = make_error(ErrorCode::Internal, "Internal error.", "transaction callback threw");
    try {
      r = fn(t);
    } catch (...) {
      (void)exec_script(c, "ROLLBACK");
      throw;
    }
    if (!r.ok()) {
      (void)exec_script(c, "ROLLBACK");
      return r;
    }
    auto commit = exec_script(c, "COMMIT");
    if (!commit.ok()) (void)exec_script(c, "ROLLBACK");
    return commit;
  }

  StatementCache* cache_for(sqlite3* c) {
    std::lock_guard lock(caches_mutex_);
    auto& cache = caches_[c];
    if (!cache) cache = std::make_unique<StatementCache>(c);
    return cache.get();
  }

  Result<sqlite3*> acquire_reader() {
    std::unique_lock lock(reader_mutex_);
    reader_cv_.wait(lock, [&] { return !idle_readers_.empty() || open_readers_ < kMaxReaders; });
    if (!idle_readers_.empty()) {
      sqlite3* c = idle_readers_.back();
      idle_readers_.pop_back();
      return c;
    }
    ++open_readers_;
    lock.unlock();
    auto c = open_connection(path_, false);
    if (!c.ok()) {
      std::lock_guard relock(reader_mutex_);
      --open_readers_;
      reader_cv_.notify_one();
    }
    return c;
  }

  void release_reader(sqlite3* c) {
    std::lock_guard lock(reader_mutex_);
    idle_readers_.push_back(c);
    reader_cv_.notify_one();
  }

  std::string path_;
  bool deferred_pending_ = false;  // guarded by write_mutex_
  bool memory_;
  sqlite3* writer_ = nullptr;
  std::mutex write_mutex_;
  std::mutex reader_mutex_;
  std::condition_variable reader_cv_;
  std::vector<sqlite3*> idle_readers_;
  std::size_t open_readers_ = 0;
  std::mutex checkpoint_mutex_;
  std::condition_variable checkpoint_cv_;
  bool checkpoint_wanted_ = false, checkpoint_stop_ = false;
  std::thread checkpointer_;
  std::mutex listener_mutex_;  // held while the listener runs, so that removing it waits for a call in progress
  std::function<void()> listener_;
  std::vector<std::string> watched_;  // tables whose changes the listener hears of (all when empty); write_mutex_
  bool touched_watched_ = false;      // the transaction in progress changed one of them; write_mutex_
  std::mutex caches_mutex_;
  std::map<sqlite3*, std::unique_ptr<StatementCache>> caches_;  // one per connection, used by its holder only
};

}  // namespace

bool Row::is_null(std::size_t i) const { return std::holds_alternative<std::nullptr_t>(values.at(i)); }

std::int64_t Row::integer(std::size_t i) const {
  const auto& v = values.at(i);
  if (auto p = std::get_if<std::int64_t>(&v)) return *p;
  if (auto p = std::get_if<double>(&v)) return static_cast<std::int64_t>(*p);
  if (auto p = std::get_if<std::string>(&v)) return p->empty() ? 0 : std::stoll(*p);
  return 0;
}

double Row::real(std::size_t i) const {
  const auto& v = values.at(i);
  if (auto p = std::get_if<double>(&v)) return *p;
  if (auto p = std::get_if<std::int64_t>(&v)) return static_cast<double>(*p);
  if (auto p = std::get_if<std::string>(&v)) return p->empty() ? 0 : std::stod(*p);
  return 0;
}

std::string Row::text(std::size_t i) const {
  const auto& v = values.at(i);
  if (auto p = std::get_if<std::string>(&v)) return *p;
  if (auto p = std::get_if<std::int64_t>(&v)) return std::to_string(*p);
  if (auto p = std::get_if<double>(&v)) return std::to_string(*p);
  return {};
}

Result<std::vector<Row>> Database::query(std::string_view sql, const Params& params) {
  std::vector<Row> out;
  TELEDX_TRY(read([&](Txn& t) -> Result<void> {
    auto r = t.query(sql, params);
    if (!r.ok()) return r.error();
    out = std::move(*r);
    return {};
  }));
  return out;
}

Result<std::int64_t> Database::exec(std::string_view sql, const Params& params) {
  std::int64_t changed = 0;
  TELEDX_TRY(write([&](Txn& t) -> Result<void> {
    auto r = t.exec(sql, params);
    if (!r.ok()) return r.error();
    changed = *r;
    return {};
  }));
  return changed;
}

Result<std::unique_ptr<Database>> open_sqlite(const std::filesystem::path& file) {
  bool memory = file == ":memory:";
  if (!memory && file.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
  }
  auto db = std::make_unique<SqliteDatabase>(file.string(), memory);
  TELEDX_TRY(db->init());
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace teledx::db
