// The link between the index (`blobs` table) and the files of a FileStore: recording a durable blob,
// checking both agree, and start-up recovery after a crash.
#include <algorithm>
#include <filesystem>
#include <map>
#include <system_error>

#include "teledx/core/file_store.hpp"
#include "teledx/core/log.hpp"
#include "teledx/core/slot_pool.hpp"

namespace teledx {
namespace fs = std::filesystem;
namespace {

std::size_t count_temp_files(const FileStore& files) {
  std::size_t n = 0;
  std::error_code ec;
  for (fs::directory_iterator it(files.root() / "tmp", ec), end; !ec && it != end; it.increment(ec)) ++n;
  return n;
}

bool is_sha256_hex(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

std::vector<db::Migration> blob_migrations() {
  return {
      {1, "blobs: one row per durable stored file",
       "CREATE TABLE blobs ("
       " key TEXT PRIMARY KEY,"
       " size INTEGER NOT NULL,"
       " sha256 TEXT NOT NULL,"
       " created_ms INTEGER NOT NULL)"},
  };
}

Result<void> record_blob(db::Txn& txn, std::string_view key, std::int64_t size, std::string_view sha256_hex,
                         std::int64_t created_ms) {
  // "" is a checksum not computed yet (a DICOM landing slot's, after its acknowledgement).
  if (!FileStore::valid_key(key) || size < 0 || !(sha256_hex.empty() || is_sha256_hex(sha256_hex))) {
    return make_error(ErrorCode::Internal, "The server could not record a stored file.",
                      "record_blob: bad arguments for key '" + std::string(key) + "'");
  }
  // FileStore::put replaces a key's content atomically, so the row follows the latest durable write.
  auto r = txn.exec(
      "INSERT INTO blobs (key, size, sha256, created_ms) VALUES (?, ?, ?, ?) "
      "ON CONFLICT (key) DO UPDATE SET size = excluded.size, sha256 = excluded.sha256, "
      "created_ms = excluded.created_ms",
      {std::string(key), size, std::string(sha256_hex), created_ms});
  if (!r.ok()) return r.error();
  return ok();
}

Result<StoreCheckReport> check_store(db::Database& db, const FileStore& files) {
  StoreCheckReport report;
  // Index first, then the disk: a write makes its file durable before its row commits, so a write racing
  // with this check can only show up as an orphan, never as a (false) missing file.
  auto rows = db.query("SELECT key, size, CASE WHEN sha256 = '' THEN 1 ELSE 0 END FROM blobs");
  if (!rows.ok()) return rows.error();
  std::map<std::string, std::int64_t, std::less<>> indexed;
  for (const auto& row : *rows) {
    indexed.emplace(row.text(0), row.integer(1));
    report.checksums_pending += row.integer(2);
  }
  report.blobs_indexed = static_cast<std::int64_t>(indexed.size());

  const std::vector<std::string> on_disk = files.list_keys();  // sorted
  report.files_on_disk = static_cast<std::int64_t>(on_disk.size());
  for (const auto& key : on_disk) {
    const auto it = indexed.find(key);
    if (it == indexed.end()) {
      std::error_code size_ec;
      const auto size = fs::file_size(files.path_of(key), size_ec);
      if (!size_ec && size == 0) {
        report.free_slots.push_back(key);
      } else if (SlotPool::note_of(files.path_of(key))) {
        report.landed_files.push_back(key);
      } else {
        report.orphan_files.push_back(key);
      }
      continue;
    }
    std::error_code ec;
    const auto size = fs::file_size(files.path_of(key), ec);
    if (ec || static_cast<std::int64_t>(size) != it->second) report.size_mismatch.push_back(key);
  }
  for (const auto& [key, size] : indexed) {
    if (!std::binary_search(on_disk.begin(), on_disk.end(), key)) report.missing_files.push_back(key);
  }
  report.temp_files = count_temp_files(files);
  return report;
}

// Runs at start-up, before anything writes: an orphan then can only be a write that crashed before its
// index row committed, which was never acknowledged and is safe to delete. Do not call it while writing.
Result<StoreCheckReport> recover_store(db::Database& db, FileStore& files, const LandedRecovery& landed) {
  auto checked = check_store(db, files);
  if (!checked.ok()) return checked.error();
  StoreCheckReport report = std::move(*checked);

  std::vector<std::string> still_landed;
  for (const auto& key : report.landed_files) {
    bool done = false;
    try {
      done = landed && landed(key);
    } catch (const std::exception& e) {
      log::error("store_check", "recovering landed file " + key + " failed: " + e.what());
    }
    // Its sender may have been told it is stored: keep it for the next attempt, never delete it.
    if (!done) {
      log::error("store_check", "landed file not indexed yet (kept): " + key);
      still_landed.push_back(key);
    }
  }
  report.landed_files = std::move(still_landed);

  report.temp_files = files.clean_temp();
  for (const auto& key : report.orphan_files) {
    if (FileStore::valid_key(key)) {
      TELEDX_TRY(files.remove(key));
    } else {
      // A file whose name no key could have: nothing references it either.
      std::error_code ec;
      fs::remove(files.root() / "blobs" / key, ec);
      if (ec) {
        return make_error(ErrorCode::StorageFailure,
                          "The server could not clean up its storage; check the data disk permissions.",
                          "remove " + key + ": " + ec.message());
      }
    }
    log::info("store_check", "removed unacknowledged file " + key);
  }
  if (report.temp_files > 0) {
    log::info("store_check", "removed " + std::to_string(report.temp_files) + " temp file(s)");
  }
  // These cannot be repaired here: acknowledged data is gone or changed. Report them loudly and keep them
  // in the returned report so the caller can refuse to start or alert.
  for (const auto& key : report.missing_files) log::error("store_check", "indexed file missing: " + key);
  for (const auto& key : report.size_mismatch) log::error("store_check", "indexed file has wrong size: " + key);
  return report;
}

}  // namespace teledx
