#include "teledx/core/file_store.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <memory>

#include "support/temp_dir.hpp"
#include "teledx/core/ids.hpp"

namespace fs = std::filesystem;
using teledx::ErrorCode;
using teledx::FailPoint;
using teledx::FileStore;
using teledx::Result;

namespace {

// What the server has on disk: an index file and a file store root, reopened as after a restart.
struct Node {
  std::unique_ptr<teledx::db::Database> db;
  std::unique_ptr<FileStore> files;

  explicit Node(const fs::path& dir) {
    auto opened = teledx::db::open_sqlite(dir / "index.db");
    REQUIRE(opened.ok());
    db = std::move(*opened);
    REQUIRE(db->migrate("blobs", teledx::blob_migrations()).ok());
    files = std::make_unique<FileStore>(dir / "store");
  }
};

// The server's write path: the file durable first, then its row in the index.
Result<void> store_blob(Node& n, std::string_view key, std::string_view bytes) {
  TELEDX_TRY(n.files->put(key, bytes));
  return n.db->write([&](teledx::db::Txn& t) -> Result<void> {
    return teledx::record_blob(t, key, static_cast<std::int64_t>(bytes.size()), teledx::sha256_hex(bytes), 1000);
  });
}

teledx::StoreCheckReport check(Node& n) {
  auto r = teledx::check_store(*n.db, *n.files);
  REQUIRE(r.ok());
  return *r;
}

using Keys = std::vector<std::string>;

}  // namespace

TEST_CASE("blob migrations apply once and the table starts empty", "[core]") {
  const teledx::test::TempDir dir("teledx-sc");
  Node n(dir.path());
  CHECK(n.db->schema_version("blobs").value() == 1);
  CHECK(n.db->migrate("blobs", teledx::blob_migrations()).value() == 0);
  CHECK(n.db->query("SELECT COUNT(*) FROM blobs").value().at(0).integer(0) == 0);
}

TEST_CASE("check_store is clean when every file has its index row", "[core]") {
  const teledx::test::TempDir dir("teledx-sc");
  Node n(dir.path());
  REQUIRE(store_blob(n, "dicom/aa/1.dcm", "one").ok());
  REQUIRE(store_blob(n, "dicom/bb/2.dcm", "two!").ok());
  const auto rep = check(n);
  CHECK(rep.clean());
  CHECK(rep.blobs_indexed == 2);
  CHECK(rep.files_on_disk == 2);

  const auto rows = n.db->query("SELECT size, sha256, created_ms FROM blobs WHERE key = ?",
                                {std::string("dicom/bb/2.dcm")}).value();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].integer(0) == 4);
  CHECK(rows[0].text(1) == teledx::sha256_hex("two!"));
  CHECK(rows[0].integer(2) == 1000);
}

TEST_CASE("A blob recorded before its checksum is computed is clean and counted as pending", "[core]") {
  const teledx::test::TempDir dir("teledx-sc");
  Node n(dir.path());
  REQUIRE(store_blob(n, "dicom/aa/1.dcm", "one").ok());
  REQUIRE(n.files->put("dicom/bb/2.dcm", "two!").ok());
  REQUIRE(n.db->write([&](teledx::db::Txn& t) { return teledx::record_blob(t, "dicom/bb/2.dcm", 4, "", 1000); }).ok());
  // Anything else than 64 lowercase hex digits or "" is still refused.
  CHECK_FALSE(n.db->write([&](teledx::db::Txn& t) { return teledx::record_blob(t, "dicom/cc/3.dcm", 1, "abc", 1); })
                  .ok());
  const auto rep = check(n);
  CHECK(rep.clean());
  CHECK(rep.blobs_indexed == 2);
  CHECK(rep.checksums_pending == 1);
}

TEST_CASE("check_store reports orphan, missing and size-mismatched files and leftover temp files", "[core]") {
  const teledx::test::TempDir dir("teledx-sc");
  Node n(dir.path());
  REQUIRE(store_blob(n, "ok.bin", "fine").ok());
  REQUIRE(n.files->put("orphan.bin", "no row").ok());                 // file, no row
  REQUIRE(store_blob(n, "gone.bin", "was here").ok());
  REQUIRE(n.files->remove("gone.bin").ok());                          // row, no file
  REQUIRE(store_blob(n, "resized.bin", "short").ok());
  REQUIRE(n.files->put("resized.bin", "much longer now").ok());       // row with the old size
  { std::ofstream(n.files->new_temp_path()) << "partial"; }

  const auto rep = check(n);
  CHECK_FALSE(rep.clean());
  CHECK(rep.blobs_indexed == 3);
  CHECK(rep.files_on_disk == 3);
  CHECK(rep.orphan_files == Keys{"orphan.bin"});
  CHECK(rep.missing_files == Keys{"gone.bin"});
  CHECK(rep.size_mismatch == Keys{"resized.bin"});
  CHECK(rep.temp_files == 1);
}

TEST_CASE("record_blob refuses a key the file store would refuse", "[core]") {
  const teledx::test::TempDir dir("teledx-sc");
  Node n(dir.path());
  auto r = n.db->write([&](teledx::db::Txn& t) -> Result<void> {
    return teledx::record_blob(t, "../etc/passwd", 1, teledx::sha256_hex("x"), 0);
  });
  CHECK_FALSE(r.ok());
  CHECK(n.db->query("SELECT COUNT(*) FROM blobs").value().at(0).integer(0) == 0);
}

TEST_CASE("a write interrupted at any step leaves a consistent store after restart, committed blobs intact",
          "[core]") {
  const teledx::test::TempDir dir("teledx-sc");
  const std::string old_a(70'000, 'a');
  const std::string old_b = "second committed blob";
  const std::string incoming(50'000, 'n');
  const std::string new_key = "dicom/cc/dd/new.dcm";
  std::size_t expect_orphans = 0;
  std::size_t expect_temp = 0;

  {
    Node n(dir.path());
    REQUIRE(store_blob(n, "dicom/aa/bb/a.dcm", old_a).ok());
    REQUIRE(store_blob(n, "dicom/aa/bb/b.dcm", old_b).ok());

    SECTION("crash after the temp file is written") {
      n.files->set_fail_point(FailPoint::AfterTempWrite);
      CHECK_FALSE(store_blob(n, new_key, incoming).ok());
      // Replacing a committed key and crashing before the rename must leave the old bytes.
      CHECK_FALSE(store_blob(n, "dicom/aa/bb/a.dcm", incoming).ok());
      expect_temp = 2;
    }
    SECTION("crash after the rename, before the directory fsync") {
      n.files->set_fail_point(FailPoint::AfterRename);
      CHECK_FALSE(store_blob(n, new_key, incoming).ok());
      CHECK(n.files->exists(new_key));
      expect_orphans = 1;
    }
    SECTION("crash before the index commit: the file is durable, the transaction rolls back") {
      REQUIRE(n.files->put(new_key, incoming).ok());
      auto r = n.db->write([&](teledx::db::Txn& t) -> Result<void> {
        TELEDX_TRY(teledx::record_blob(t, new_key, static_cast<std::int64_t>(incoming.size()),
                                       teledx::sha256_hex(incoming), 2000));
        return teledx::make_error(ErrorCode::StorageFailure, "simulated crash before commit");
      });
      CHECK_FALSE(r.ok());
      expect_orphans = 1;
    }
    const auto before = check(n);
    CHECK(before.orphan_files.size() == expect_orphans);
    CHECK(before.temp_files == expect_temp);
    CHECK(before.missing_files.empty());
    CHECK(before.size_mismatch.empty());
  }  // "process exit": the database and the store are closed

  Node restarted(dir.path());
  auto recovered = teledx::recover_store(*restarted.db, *restarted.files);
  REQUIRE(recovered.ok());
  CHECK(recovered->orphan_files.size() == expect_orphans);
  CHECK(recovered->temp_files == expect_temp);
  CHECK(recovered->missing_files.empty());
  CHECK(recovered->size_mismatch.empty());

  const auto after = check(restarted);
  CHECK(after.clean());
  CHECK(after.blobs_indexed == 2);
  CHECK(after.files_on_disk == 2);
  CHECK_FALSE(restarted.files->exists(new_key));
  CHECK(restarted.files->read("dicom/aa/bb/a.dcm").value() == old_a);
  CHECK(restarted.files->read("dicom/aa/bb/b.dcm").value() == old_b);
  const auto rows = restarted.db->query("SELECT key, sha256 FROM blobs ORDER BY key").value();
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].text(1) == teledx::sha256_hex(old_a));
  CHECK(rows[1].text(1) == teledx::sha256_hex(old_b));

  // The restarted node writes normally again.
  REQUIRE(store_blob(restarted, new_key, incoming).ok());
  CHECK(check(restarted).clean());
}

TEST_CASE("recover_store on a clean store removes nothing", "[core]") {
  const teledx::test::TempDir dir("teledx-sc");
  Node n(dir.path());
  REQUIRE(store_blob(n, "x/y.bin", "kept").ok());
  auto r = teledx::recover_store(*n.db, *n.files);
  REQUIRE(r.ok());
  CHECK(r->clean());
  CHECK(n.files->read("x/y.bin").value() == "kept");
}
