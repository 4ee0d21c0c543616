#pragma once
// Internal: state and SQL helpers shared by the InstanceStore translation units.
#include <array>
#include <atomic>
#include <condition_variable>
#include <thread>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "fixity.hpp"
#include "group_commit.hpp"
#include "side_threads.hpp"
#include "teledx/core/database.hpp"
#include "teledx/core/slot_pool.hpp"
#include "teledx/dicom/instance_store.hpp"

namespace teledx::dicom {

struct InstanceStore::Impl {
  Impl(db::Database& d, FileStore& f, const Clock& c, InstanceStoreOptions o)
      : db(d), files(f), clock(c), options(o), committer(d), slots(f, SlotPool::Options{"dicom", 48, 64}) {}
  ~Impl() { stop_flusher(); }
  db::Database& db;
  FileStore& files;
  const Clock& clock;
  InstanceStoreOptions options;
  detail::GroupCommitter committer;
  SlotPool slots;  // started by enable_landing_slots()
  mutable IngestTimings timings;

  // Deferred index commits (landing slots) are flushed within kFlushIntervalMs, so that recovery after a
  // crash has little to redo; correctness does not depend on it (sealed slots are recovered either way).
  // The same thread writes the checksums the fixity thread computed (see fixity.hpp).
  static constexpr int kFlushIntervalMs = 200;
  std::atomic<bool> deferred_pending{false};
  std::mutex flush_mutex;
  std::condition_variable flush_wake;
  bool flusher_stopping = false;
  std::thread flusher;
  void start_flusher();
  void stop_flusher();
  void write_checksums();
  detail::Fixity fixity{db, files};  // started with the flusher: slot ingests leave their checksum to it

  // Ingests of one SOP Instance UID are serialised: identical bytes share one file key, so a failing ingest
  // must never remove the file a concurrent identical ingest has just acknowledged.
  std::array<std::mutex, 64> sop_locks;
  std::mutex& lock_for(std::string_view sop_uid) {
    return sop_locks[std::hash<std::string_view>{}(sop_uid) % sop_locks.size()];
  }

  // Seals landing slots and hashes files beside the ingest that parses them. Last member: it is
  // destroyed first, while the slots its jobs use still exist.
  detail::SideThreads side_jobs{128};
};

namespace detail {

/// Columns of a study row, in the order study_from_row reads them.
extern const std::string_view kStudyColumns;
StudyRecord study_from_row(const db::Row& row);
/// Columns of an instance joined with its series (s) and study (t), in the order instance_from_row reads them.
extern const std::string_view kInstanceColumns;
InstanceMeta instance_from_row(const db::Row& row);

/// Appends " AND <column> IN (?, ...)" for a scope; returns false when the scope sees nothing at all.
bool append_scope(std::string& sql, db::Params& params, std::string_view column, const ClinicScope& scope);
/// Appends a text match: exact, or LIKE when the pattern holds DICOM wildcards '*' / '?'.
void append_match(std::string& sql, db::Params& params, std::string_view column, const std::string& pattern,
                  bool case_insensitive = false);
/// Appends " AND <column> IN (?, ...)" for a non-empty list.
void append_in(std::string& sql, db::Params& params, std::string_view column, const std::vector<std::string>& values);
/// Appends ORDER BY-independent LIMIT/OFFSET (portable: no LIMIT -1).
void append_page(std::string& sql, std::int64_t limit, std::int64_t offset);

Error not_found(std::string_view what, std::string_view uid);

}  // namespace detail
}  // namespace teledx::dicom
