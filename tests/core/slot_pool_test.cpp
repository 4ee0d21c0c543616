#include "teledx/core/slot_pool.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <memory>
#include <chrono>
#include <optional>
#include <set>
#include <thread>

#include "support/temp_dir.hpp"
#include "teledx/core/ids.hpp"

namespace fs = std::filesystem;
using namespace teledx;

namespace {

struct Node {
  test::TempDir dir{"teledx-slots"};
  std::unique_ptr<db::Database> db;
  std::unique_ptr<FileStore> files;
  Node() {
    auto opened = db::open_sqlite(dir.path() / "index.db");
    REQUIRE(opened.ok());
    db = std::move(*opened);
    REQUIRE(db->migrate("blobs", blob_migrations()).ok());
    files = std::make_unique<FileStore>(dir.path() / "store");
  }
};

void write_bytes(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);  // in place, as DCMTK writes a received file
  out << bytes;
}

StoreCheckReport check(Node& n) {
  auto r = check_store(*n.db, *n.files);
  REQUIRE(r.ok());
  return *r;
}

}  // namespace

TEST_CASE("Landing slots are empty files ready ahead of need, and a free slot is not an orphan", "[core]") {
  Node n;
  SlotPool pool(*n.files, {"land", 4, 8});
  REQUIRE(pool.start({}).ok());
  auto key = pool.take();
  REQUIRE(key.ok());
  CHECK(pool.owns(*key));
  CHECK(key->rfind("land/", 0) == 0);
  CHECK(fs::file_size(n.files->path_of(*key)) == 0);
  CHECK(pool.key_of(n.files->path_of(*key)) == *key);
  CHECK_FALSE(pool.key_of(n.files->new_temp_path()).has_value());

  const auto report = check(n);
  CHECK(report.clean());
  CHECK(report.orphan_files.empty());
  CHECK(report.free_slots.size() >= 1);
  pool.stop();
}

TEST_CASE("A sealed slot carries its note, an emptied slot loses it and goes back to the pool", "[core]") {
  Node n;
  SlotPool pool(*n.files, {"land", 2, 4});
  REQUIRE(pool.start({}).ok());
  auto key = pool.take();
  REQUIRE(key.ok());
  const fs::path p = n.files->path_of(*key);
  write_bytes(p, "received bytes");
  CHECK_FALSE(SlotPool::note_of(p).has_value());
  REQUIRE(pool.seal(*key, "clinic=7\nsource=dimse:CLINIC7").ok());
  CHECK(SlotPool::note_of(p) == std::optional<std::string>("clinic=7\nsource=dimse:CLINIC7"));

  // Sealed but not indexed: acknowledged data that recovery must index, never an orphan to delete.
  auto report = check(n);
  CHECK(report.landed_files == std::vector<std::string>{*key});
  CHECK(report.orphan_files.empty());
  CHECK_FALSE(report.clean());

  pool.give_back(*key);
  CHECK(fs::file_size(p) == 0);
  CHECK_FALSE(SlotPool::note_of(p).has_value());
  report = check(n);
  CHECK(report.clean());
}

TEST_CASE("Recovery hands sealed slots to the owner and keeps them when it cannot index them", "[core]") {
  Node n;
  SlotPool pool(*n.files, {"land", 2, 4});
  REQUIRE(pool.start({}).ok());
  auto sealed = pool.take();
  auto unsealed = pool.take();
  REQUIRE((sealed.ok() && unsealed.ok()));
  write_bytes(n.files->path_of(*sealed), "acknowledged");
  REQUIRE(pool.seal(*sealed, "clinic=1").ok());
  write_bytes(n.files->path_of(*unsealed), "crashed before its seal: never acknowledged");
  pool.stop();

  SECTION("the owner cannot index it yet: the file is kept") {
    auto r = recover_store(*n.db, *n.files, [](const std::string&) { return false; });
    REQUIRE(r.ok());
    CHECK(r->landed_files == std::vector<std::string>{*sealed});
    CHECK(n.files->exists(*sealed));
    CHECK_FALSE(n.files->exists(*unsealed));  // an unsealed write was never acknowledged: removed
  }
  SECTION("the owner indexes it") {
    std::vector<std::string> seen;
    auto r = recover_store(*n.db, *n.files, [&](const std::string& key) {
      seen.push_back(key);
      const std::string bytes = *n.files->read(key);
      return n.db->write([&](db::Txn& t) {
        return record_blob(t, key, static_cast<std::int64_t>(bytes.size()), sha256_hex(bytes), 1);
      }).ok();
    });
    REQUIRE(r.ok());
    CHECK(seen == std::vector<std::string>{*sealed});
    CHECK(r->landed_files.empty());
    CHECK(check(n).clean());
  }
}

TEST_CASE("A slot pool run dry still hands out slots, made on the spot", "[core]") {
  Node n;
  SlotPool pool(*n.files, {"land", 1, 1});
  REQUIRE(pool.start({}).ok());
  std::set<std::string> keys;
  for (int i = 0; i < 20; ++i) {
    auto k = pool.take();
    REQUIRE(k.ok());
    keys.insert(*k);
  }
  CHECK(keys.size() == 20);
}

TEST_CASE("take_ready hands out only slots made ahead, and nothing from a pool not started", "[core]") {
  Node n;
  SlotPool stopped(*n.files, {"land", 4, 8});
  CHECK_FALSE(stopped.take_ready().has_value());  // not started: nothing to hand out
  SlotPool pool(*n.files, {"land", 4, 8});
  REQUIRE(pool.start({}).ok());
  std::optional<std::string> key;
  for (int i = 0; i < 100 && !(key = pool.take_ready()); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  REQUIRE(key.has_value());  // the refill made some in the background
  CHECK(pool.owns(*key));
  CHECK(fs::file_size(n.files->path_of(*key)) == 0);
  pool.stop();
}

TEST_CASE("A deferred commit is visible at once and durable after flush, across a reopen", "[core]") {
  test::TempDir dir{"teledx-deferred"};
  {
    auto opened = db::open_sqlite(dir.path() / "index.db");
    REQUIRE(opened.ok());
    auto& d = **opened;
    REQUIRE(d.exec("CREATE TABLE t (v INTEGER)").ok());
    REQUIRE(d.write([](db::Txn& t) -> Result<void> {
                TELEDX_TRY(t.exec("INSERT INTO t (v) VALUES (42)"));
                return ok();
              }, db::Durability::Deferred).ok());
    auto rows = d.query("SELECT v FROM t");
    REQUIRE(rows.ok());
    REQUIRE(rows->size() == 1);
    CHECK(rows->front().integer(0) == 42);
    REQUIRE(d.flush().ok());
    REQUIRE(d.flush().ok());  // nothing pending: a no-op
  }
  auto reopened = db::open_sqlite(dir.path() / "index.db");
  REQUIRE(reopened.ok());
  auto rows = (*reopened)->query("SELECT v FROM t");
  REQUIRE(rows.ok());
  CHECK(rows->size() == 1);
}
