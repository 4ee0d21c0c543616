#include "teledx/core/database.hpp"

#include <catch2/catch.hpp>

#include "support/temp_dir.hpp"
#include "teledx/core/audit.hpp"
#include "teledx/core/consortium.hpp"
#include "teledx/core/file_store.hpp"

using namespace teledx;

namespace {
std::vector<db::Migration> notes_v1() {
  return {{1, "notes", "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL UNIQUE)"}};
}
std::vector<db::Migration> notes_v2() {
  auto m = notes_v1();
  m.push_back({2, "note authors", "ALTER TABLE notes ADD COLUMN author TEXT NOT NULL DEFAULT ''"});
  return m;
}

/// Runs `body(database, path)` on a file index and on an in-memory one, each with the notes schema.
template <class Body>
void on_file_and_memory_notes(Body&& body) {
  test::TempDir dir;
  for (const std::string file : {(dir / "index.sqlite").string(), std::string(":memory:")}) {
    CAPTURE(file);
    auto d = db::open_sqlite(file).value();
    REQUIRE(*d->migrate("notes", notes_v1()) == 1);
    body(d.get(), file);
  }
}
}  // namespace

TEST_CASE("migrations apply from an empty database and not again on an up-to-date one", "[core][db]") {
  test::TempDir dir;
  auto file = dir / "index.sqlite";
  {
    auto d = db::open_sqlite(file).value();
    for (auto [module, m] : {std::pair{"blobs", blob_migrations()}, std::pair{"consortium", Consortium::migrations()},
                             std::pair{"audit", AuditLog::migrations()}, std::pair{"notes", notes_v1()}}) {
      auto applied = d->migrate(module, m);
      REQUIRE(applied.ok());
      CHECK(*applied == static_cast<int>(m.size()));
      CHECK(*d->schema_version(module) == m.back().version);
    }
  }
  // Reopened (a restart): everything is up to date, nothing re-runs, data survives.
  auto d = db::open_sqlite(file).value();
  REQUIRE(d->exec("INSERT INTO notes (body) VALUES (?)", {std::string("kept")}).ok());
  for (auto [module, m] : {std::pair{"blobs", blob_migrations()}, std::pair{"consortium", Consortium::migrations()},
                           std::pair{"audit", AuditLog::migrations()}, std::pair{"notes", notes_v1()}})
    CHECK(*d->migrate(module, m) == 0);
  // A newer release adds a step: only that step runs.
  CHECK(*d->migrate("notes", notes_v2()) == 1);
  CHECK(*d->schema_version("notes") == 2);
  auto rows = d->query("SELECT body, author FROM notes").value();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].text(0) == "kept");
}

TEST_CASE("a failing migration leaves the schema at the last good version", "[core][db]") {
  auto d = db::open_sqlite(":memory:").value();
  REQUIRE(*d->migrate("notes", notes_v1()) == 1);
  auto bad = notes_v1();
  bad.push_back({2, "broken", "CREATE TABLE half (x INTEGER); THIS IS NOT SQL"});
  auto r = d->migrate("notes", bad);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::StorageFailure);
  CHECK(*d->schema_version("notes") == 1);
  // The statement before the error was rolled back with it.
  CHECK_FALSE(d->query("SELECT * FROM half").ok());
}

TEST_CASE("the commit listener hears every commit once it is readable, and nothing else", "[core][db]") {
  on_file_and_memory_notes([](db::Database* d, const std::string& file) {
    // Another connection to the same file (a listener must not use its own database) reads the rows when
    // each call comes: the commit must already be visible to it.
    std::unique_ptr<db::Database> observer;
    if (file != ":memory:") observer = db::open_sqlite(file).value();
    std::vector<std::int64_t> seen;
    d->set_commit_listener([&] {
      seen.push_back(observer ? observer->query("SELECT COUNT(*) FROM notes").value()[0].integer(0) : -1);
    });
    REQUIRE(d->exec("INSERT INTO notes (body) VALUES ('a')").ok());
    CHECK(seen.size() == 1);
    REQUIRE(d->write([](db::Txn& t) -> Result<void> {
                TELEDX_TRY(t.exec("INSERT INTO notes (body) VALUES ('b')"));
                return ok();
              },
              db::Durability::Deferred)
                .ok());
    CHECK(seen.size() == 2);
    if (observer) CHECK(seen == std::vector<std::int64_t>{1, 2});
    // A rolled-back write, a constraint violation and reads are no commits.
    CHECK_FALSE(d->write([](db::Txn& t) -> Result<void> {
                   TELEDX_TRY(t.exec("INSERT INTO notes (body) VALUES ('c')"));
                   return make_error(ErrorCode::BadRequest, "caller changed its mind");
                 }).ok());
    CHECK_FALSE(d->exec("INSERT INTO notes (body) VALUES ('a')").ok());
    REQUIRE(d->query("SELECT COUNT(*) FROM notes").ok());
    CHECK(seen.size() == 2);
    // Removed: no more calls.
    d->set_commit_listener({});
    REQUIRE(d->exec("INSERT INTO notes (body) VALUES ('d')").ok());
    CHECK(seen.size() == 2);
  });
}

TEST_CASE("a commit listener watching tables hears only the commits that changed one of them", "[core][db]") {
  on_file_and_memory_notes([](db::Database* d, const std::string&) {
    REQUIRE(d->exec("CREATE TABLE other (x INTEGER)").ok());
    int heard = 0;
    d->set_commit_listener([&] { ++heard; }, {"notes"});
    REQUIRE(d->exec("INSERT INTO other (x) VALUES (1)").ok());
    CHECK(heard == 0);
    REQUIRE(d->exec("INSERT INTO notes (body) VALUES ('a')").ok());
    CHECK(heard == 1);
    REQUIRE(d->exec("UPDATE notes SET body = 'b'").ok());
    REQUIRE(d->exec("DELETE FROM notes WHERE body = 'b'").ok());
    CHECK(heard == 3);
    // A change to a watched table in a rolled-back transaction is no commit; the next transaction starts afresh.
    CHECK_FALSE(d->write([](db::Txn& t) -> Result<void> {
                   TELEDX_TRY(t.exec("INSERT INTO notes (body) VALUES ('c')"));
                   return make_error(ErrorCode::BadRequest, "caller changed its mind");
                 }).ok());
    REQUIRE(d->exec("INSERT INTO other (x) VALUES (2)").ok());
    CHECK(heard == 3);
    // Watching nothing in particular: every commit again.
    d->set_commit_listener([&] { ++heard; });
    REQUIRE(d->exec("INSERT INTO other (x) VALUES (3)").ok());
    CHECK(heard == 4);
  });
}

TEST_CASE("a write transaction commits all or nothing and constraint violations are conflicts", "[core][db]") {
  auto d = db::open_sqlite(":memory:").value();
  REQUIRE(*d->migrate("notes", notes_v1()) == 1);
  auto failed = d->write([](db::Txn& t) -> Result<void> {
    TELEDX_TRY(t.exec("INSERT INTO notes (body) VALUES ('a')"));
    return make_error(ErrorCode::BadRequest, "caller changed its mind");
  });
  CHECK_FALSE(failed.ok());
  CHECK(d->query("SELECT * FROM notes").value().empty());
  REQUIRE(d->exec("INSERT INTO notes (body) VALUES ('a')").ok());
  auto dup = d->exec("INSERT INTO notes (body) VALUES ('a')");
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.error().code == ErrorCode::Conflict);
  auto rows = d->query("SELECT COUNT(*) FROM notes WHERE body = ?", {std::string("a")}).value();
  CHECK(rows[0].integer(0) == 1);
}
