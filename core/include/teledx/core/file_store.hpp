#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "teledx/core/database.hpp"
#include "teledx/core/result.hpp"

namespace teledx {

/// Where a simulated crash stops a write (crash-safety tests only). The write returns an error and leaves
/// the disk exactly as a process killed at that point would.
enum class FailPoint { None, AfterTempWrite, AfterRename };

/// Blob storage under <root>/blobs with atomic, durable writes: temp -> fsync -> rename -> fsync directory.
/// Keys are relative paths of [A-Za-z0-9._-] segments separated by '/', e.g. "dicom/1a/2b/<sha>.dcm".
class FileStore {
 public:
  /// Creates <root>/blobs and <root>/tmp when missing.
  explicit FileStore(std::filesystem::path root);

  /// Durably writes bytes under key (replacing any previous content atomically).
  Result<void> put(std::string_view key, std::string_view bytes);
  /// Durably moves a file written in new_temp_path() to key; the temp file is consumed.
  Result<void> commit_temp(const std::filesystem::path& temp, std::string_view key);
  /// A fresh unique path in <root>/tmp (same filesystem as the blobs, so rename is atomic).
  std::filesystem::path new_temp_path() const;

  Result<std::string> read(std::string_view key) const;
  bool exists(std::string_view key) const;
  /// Absolute path of key (no check that it exists). Precondition: valid_key(key).
  std::filesystem::path path_of(std::string_view key) const;
  /// Removes key durably; removing a missing key is ok.
  Result<void> remove(std::string_view key);
  /// Every key under blobs/, sorted.
  std::vector<std::string> list_keys() const;
  /// Creates a directory under blobs/ (e.g. "dicom/ab") durably, ahead of writes: a write into an existing
  /// directory pays no directory-creation syncs.
  Result<void> ensure_directory(std::string_view key_dir);
  /// Deletes leftover temp files of interrupted writes; returns how many.
  std::size_t clean_temp();

  static bool valid_key(std::string_view key);
  void set_fail_point(FailPoint fp) { fail_point_ = fp; }
  const std::filesystem::path& root() const { return root_; }

 private:
  std::filesystem::path root_;
  FailPoint fail_point_ = FailPoint::None;
};

/// The `blobs` table links every stored file to the index: a row exists only for a file that is durable.
std::vector<db::Migration> blob_migrations();
/// Records a durable blob in the caller's write transaction (same transaction as the rows that use it).
/// sha256_hex may be "" when its owner computes the checksum later (and updates the row then).
Result<void> record_blob(db::Txn& txn, std::string_view key, std::int64_t size, std::string_view sha256_hex,
                         std::int64_t created_ms);

/// Result of comparing the index with the files (`teledx check`).
struct StoreCheckReport {
  std::int64_t blobs_indexed = 0;
  std::int64_t files_on_disk = 0;
  std::vector<std::string> orphan_files;    // on disk, no index row (an unacknowledged write)
  std::vector<std::string> landed_files;    // sealed landing slot, no index row yet (recovery indexes it)
  std::vector<std::string> free_slots;      // empty landing slot, waiting for a write (not an orphan)
  std::vector<std::string> missing_files;   // index row, no file (must never happen)
  std::vector<std::string> size_mismatch;   // index size differs from file size
  std::size_t temp_files = 0;               // leftovers in tmp/
  std::int64_t checksums_pending = 0;       // blobs whose SHA-256 is not computed yet (not a fault)
  bool clean() const {
    return orphan_files.empty() && landed_files.empty() && missing_files.empty() && size_mismatch.empty() &&
           temp_files == 0;
  }
};
Result<StoreCheckReport> check_store(db::Database& db, const FileStore& files);
/// Indexes a sealed landing slot found without its index row (its acknowledgement may have gone out);
/// returns true once the slot is indexed or, if its content is unusable, emptied.
using LandedRecovery = std::function<bool(const std::string& key)>;
/// Start-up recovery: hands sealed landing slots to `landed` (kept, never deleted, when it is missing or
/// fails), then deletes temp files and orphan files (never acknowledged); returns what it found.
Result<StoreCheckReport> recover_store(db::Database& db, FileStore& files, const LandedRecovery& landed = {});

}  // namespace teledx
