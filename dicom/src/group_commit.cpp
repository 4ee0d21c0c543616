#include "group_commit.hpp"

#include <exception>

namespace teledx::dicom::detail {

Result<void> GroupCommitter::run(const Work& work, db::Durability durability) {
  Job job{&work, durability, std::nullopt};
  std::unique_lock lock(mutex_);
  queue_.push_back(&job);
  while (!job.result) {
    if (committing_) {
      done_.wait(lock);
      continue;
    }
    // Leader: commit everything queued so far (including our own job), then wake the others. Jobs queued
    // meanwhile get a new leader among their own callers.
    committing_ = true;
    std::vector<Job*> batch;
    batch.swap(queue_);
    lock.unlock();
    commit(batch);
    lock.lock();
    committing_ = false;
    done_.notify_all();
  }
  return *job.result;
}

void GroupCommitter::commit(const std::vector<Job*>& batch) {
  std::vector<Result<void>> results(batch.size());
  const bool single = batch.size() == 1;
  Result<void> committed;
  db::Durability durability = db::Durability::Deferred;
  for (const Job* j : batch)
    if (j->durability == db::Durability::Immediate) durability = db::Durability::Immediate;
  try {
    committed = db_.write([&](db::Txn& txn) -> Result<void> {
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (single) {
        results[i] = (*batch[i]->work)(txn);
        return results[i];
      }
      TELEDX_TRY(txn.exec("SAVEPOINT teledx_group_commit"));
      results[i] = (*batch[i]->work)(txn);
      if (!results[i].ok()) TELEDX_TRY(txn.exec("ROLLBACK TO SAVEPOINT teledx_group_commit"));
      TELEDX_TRY(txn.exec("RELEASE SAVEPOINT teledx_group_commit"));
    }
    return ok();
    }, durability);
  } catch (const std::exception& e) {
    // Every waiter must get an answer, or they would wait forever for a leader that is gone.
    committed = make_error(ErrorCode::Internal, "Internal error; the instance was not stored.", e.what());
    for (auto& r : results) r = committed;
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    // A job's own failure is its answer; otherwise it shares the fate of the commit.
    batch[i]->result = !results[i].ok() ? results[i] : committed;
  }
}

}  // namespace teledx::dicom::detail
