#pragma once
// Internal: group commit. Concurrent ingests (one per association) share one write transaction, so the index
// pays one WAL fsync for a batch instead of one per instance, and every caller still returns only after the
// transaction holding its rows is durable.
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

#include "teledx/core/database.hpp"

namespace teledx::dicom::detail {

class GroupCommitter {
 public:
  explicit GroupCommitter(db::Database& db) : db_(db) {}
  using Work = std::function<Result<void>(db::Txn&)>;
  /// Runs `work` in a write transaction, possibly shared with concurrent callers (each in its own savepoint,
  /// so one caller's failure rolls back only its own rows). Returns once that transaction committed or failed.
  /// Deferred jobs share a batch with Immediate ones; the batch is Immediate if any of its jobs is.
  Result<void> run(const Work& work, db::Durability durability = db::Durability::Immediate);

 private:
  struct Job {
    const Work* work;
    db::Durability durability;
    std::optional<Result<void>> result;
  };
  void commit(const std::vector<Job*>& batch);

  db::Database& db_;
  std::mutex mutex_;
  std::condition_variable done_;
  std::vector<Job*> queue_;
  bool committing_ = false;
};

}  // namespace teledx::dicom::detail
