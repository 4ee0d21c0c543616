#pragma once
// A latency histogram that many threads record into without a lock (for /metrics).
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>

namespace teledx {

class LatencyHistogram {
 public:
  /// Upper bounds in seconds: fine below 10 ms, where one instance's parse, flush and index commit fall.
  static constexpr std::array<double, 12> kBounds = {0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01,
                                                    0.025,   0.05,   0.1,   0.25,  1,     10};
  struct Snapshot {
    std::array<std::uint64_t, kBounds.size()> cumulative{};  // observations <= each bound
    std::uint64_t count = 0;
    double sum_seconds = 0;
  };

  void observe(std::chrono::steady_clock::duration d) {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
    const double s = static_cast<double>(ns) * 1e-9;
    for (std::size_t i = 0; i < kBounds.size(); ++i) {
      if (s <= kBounds[i]) {
        buckets_[i].fetch_add(1, std::memory_order_relaxed);
        break;
      }
    }
    sum_ns_.fetch_add(ns, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
  }

  /// Not atomic as a whole: a scrape may see an observation in `count` before its bucket, which Prometheus
  /// tolerates (the next scrape is consistent again).
  Snapshot snapshot() const {
    Snapshot s;
    std::uint64_t running = 0;
    for (std::size_t i = 0; i < kBounds.size(); ++i) {
      running += buckets_[i].load(std::memory_order_relaxed);
      s.cumulative[i] = running;
    }
    s.count = count_.load(std::memory_order_relaxed);
    s.sum_seconds = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) * 1e-9;
    return s;
  }

 private:
  std::array<std::atomic<std::uint64_t>, kBounds.size()> buckets_{};  // non-cumulative; above the last: count
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::int64_t> sum_ns_{0};
};

}  // namespace teledx
