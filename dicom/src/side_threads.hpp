#pragma once
// Internal: threads kept for short side jobs of an ingest (sealing a landing slot and hashing the file while the
// caller parses it). std::async started and ended a thread per instance: on two cores busy with four associations that
// clone/exit cost showed in the profile. Threads are made as concurrency needs them and then reused.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace teledx::dicom::detail {

class SideThreads {
 public:
  /// At most `max_threads` threads; beyond that, jobs wait for a free one.
  explicit SideThreads(std::size_t max_threads) : max_threads_(max_threads) {}
  /// Runs the jobs still queued, then joins.
  ~SideThreads();
  SideThreads(const SideThreads&) = delete;
  SideThreads& operator=(const SideThreads&) = delete;

  template <class Job>
  auto run(Job job) -> std::future<decltype(job())> {
    auto task = std::make_shared<std::packaged_task<decltype(job())()>>(std::move(job));
    auto future = task->get_future();
    post([task] { (*task)(); });  // a packaged_task keeps the job's exception in its future
    return future;
  }
  std::size_t thread_count() const;

 private:
  void post(std::function<void()> job);
  void loop();

  const std::size_t max_threads_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;
  std::vector<std::thread> threads_;
  std::size_t idle_ = 0;
  bool stopping_ = false;
};

}  // namespace teledx::dicom::detail
