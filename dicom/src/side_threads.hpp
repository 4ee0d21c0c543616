#pragma once
// Internal: threads kept for short side jobs of an ingest (sealing a landing slot while the caller parses and
// hashes). std::async started and ended a thread per instance: on two cores busy with four associations that
// clone/exit cost showed in the profile. Threads are made as concurrency needs them and then reused.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "teledx/core/result.hpp"

namespace teledx::dicom::detail {

class SideThreads {
 public:
  /// At most `max_threads` threads; beyond that, jobs wait for a free one.
  explicit SideThreads(std::size_t max_threads) : max_threads_(max_threads) {}
  /// Runs the jobs still queued, then joins.
  ~SideThreads();
  SideThreads(const SideThreads&) = delete;
  SideThreads& operator=(const SideThreads&) = delete;

  std::future<Result<void>> run(std::function<Result<void>()> job);
  std::size_t thread_count() const;

 private:
  void loop();

  const std::size_t max_threads_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::packaged_task<Result<void>()>> queue_;
  std::vector<std::thread> threads_;
  std::size_t idle_ = 0;
  bool stopping_ = false;
};

}  // namespace teledx::dicom::detail
