#pragma once
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "teledx/dicom/instance_store.hpp"

namespace teledx::server {

/// Request counters and latency histograms by route, rendered in Prometheus text format.
class Metrics {
 public:
  void observe(const std::string& route, const std::string& method, int status, double seconds);
  void connection_opened() { ++open_connections_; }
  void connection_closed() { --open_connections_; }
  std::int64_t open_connections() const { return open_connections_; }
  std::string render() const;

 private:
  struct Series {
    std::map<int, std::uint64_t> by_status;
    std::uint64_t buckets[12] = {};
    std::uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, Series> series_;
  std::atomic<std::int64_t> open_connections_{0};
};

/// The ingest stage histograms (teledx_ingest_stage_seconds{stage=...}) in Prometheus text format.
std::string render_ingest_metrics(const dicom::IngestTimings& timings);

}  // namespace teledx::server
