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

void SideThreads::post(std::function<void()> job) {
  std::lock_guard lock(mutex_);
  queue_.push_back(std::move(job));
  // Every queued job needs a thread of its own now: its caller is about to wait for it.
  if (queue_.size() > idle_ && threads_.size() < max_threads_) {
    threads_.emplace_back([this] { loop(); });
  } else {
    wake_.notify_one();
  }
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
    task();
    lock.lock();
  }
}

}  // namespace teledx::dicom::detail
