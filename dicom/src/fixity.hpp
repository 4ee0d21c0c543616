#pragma once
// Internal: the stored files' SHA-256 (fixity), computed after the instance was acknowledged.
//
// Why not before: nothing in the acknowledgement needs it. Durability is the fsync's; a duplicate SOP Instance
// UID is judged by comparing the two files byte for byte. On two cores busy with four associations the hash was a
// fifth of the server's CPU per instance, paid while the modality waited. Here it runs on one thread at idle
// priority (SCHED_IDLE: it gets only CPU nobody else wants). An idle thread must never hold a lock a busy thread
// waits for: ingest threads hand items to an inbox this thread never locks, and one normal-priority thread (the
// owner's) moves them on and writes the results into the index (pump), so this one never holds the write lock.
// A row whose hash is still "" is found again by a sweep after a restart, or when the in-memory queue overflowed.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "teledx/core/database.hpp"
#include "teledx/core/file_store.hpp"
#include "teledx/core/result.hpp"

namespace teledx::dicom::detail {

/// SHA-256 of a file as lowercase hex, streamed (a multi-frame ultrasound may be hundreds of MB).
Result<std::string> file_sha256(const std::filesystem::path& p);

/// True when both files hold the same bytes (sizes first, then the content, streamed).
Result<bool> same_content(const std::filesystem::path& a, const std::filesystem::path& b);

class Fixity {
 public:
  struct Item {
    std::string sop_uid, file_key;
  };
  struct Done {
    std::string sop_uid, file_key, sha256;
  };
  Fixity(db::Database& db, FileStore& files) : db_(db), files_(files) {}
  ~Fixity();  // stop()
  Fixity(const Fixity&) = delete;
  Fixity& operator=(const Fixity&) = delete;

  /// Starts the thread. The first pump() sweeps the index for rows left without a hash.
  void start();
  void stop();
  /// Queues a stored instance whose row has sha256 "" (any thread; never waits for the fixity thread).
  void add(Item item);
  /// For the owner's normal-priority thread: moves added items to the fixity thread (and, when everything is
  /// written, sweeps the index for rows still without a hash) and returns the hashes computed so far, for the
  /// caller to write into the index and then report with written().
  std::vector<Done> pump();
  /// After the caller wrote results from pump(): they no longer count as pending.
  void written(std::size_t n);
  /// Instances added, being hashed, or hashed but not yet written (0: everything is checksummed).
  std::size_t pending() const;

  /// How many instances the in-memory queue holds before it relies on a sweep instead.
  static constexpr std::size_t kQueueLimit = 8192;

 private:
  void loop();
  std::vector<Item> find_unsummed();  // queues (and returns) rows whose hash is "", at most kQueueLimit

  db::Database& db_;
  FileStore& files_;
  mutable std::mutex inbox_mutex_;  // ingest threads and the owner's thread; never the fixity thread
  std::vector<Item> inbox_;
  bool inbox_overflow_ = false;
  mutable std::mutex mutex_;  // the fixity thread and the owner's thread
  std::condition_variable wake_;
  std::deque<Item> queue_;
  std::vector<Done> done_;
  std::size_t in_flight_ = 0;  // taken off the queue, not yet written by the caller
  bool sweep_needed_ = true, stopping_ = false;
  std::thread thread_;
};

}  // namespace teledx::dicom::detail
