#include "side_threads.hpp"

namespace teledx::dicom::detail {

SideThreads::~SideThreads() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
}

std::future<Result<void>> SideThreads::run(std::function<Result<void>()> job) {
  std::packaged_task<Result<void>()> task(std::move(job));
  auto future = task.get_future();
  std::lock_guard lock(mutex_);
  queue_.push_back(std::move(task));
  // Every queued job needs a thread of its own now: its caller is about to wait for it.
  if (queue_.size() > idle_ && threads_.size() < max_threads_) {
    threads_.emplace_back([this] { loop(); });
  } else {
    wake_.notify_one();
  }
  return future;
}

std::size_t SideThreads::thread_count() const {
  std::lock_guard lock(mutex_);
  return threads_.size();
}

void SideThreads::loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (queue_.empty()) {
      if (stopping_) return;
      ++idle_;
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      --idle_;
      continue;
    }
    auto task = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    task();  // a packaged_task keeps the job's exception in its future
    lock.lock();
  }
}

}  // namespace teledx::dicom::detail
