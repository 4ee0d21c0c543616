#include "teledx/server/metrics.hpp"

#include <span>
#include <sstream>
#include <string_view>

namespace teledx::server {
namespace {
constexpr double kBounds[12] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10};

/// One series of a Prometheus histogram: its cumulative buckets, +Inf, sum and count.
void write_histogram(std::ostream& o, std::string_view name, const std::string& labels, std::span<const double> bounds,
                     std::span<const std::uint64_t> cumulative, std::uint64_t count, double sum) {
  for (std::size_t i = 0; i < bounds.size(); ++i)
    o << name << "_bucket{" << labels << ",le=\"" << bounds[i] << "\"} " << cumulative[i] << "\n";
  o << name << "_bucket{" << labels << ",le=\"+Inf\"} " << count << "\n";
  o << name << "_sum{" << labels << "} " << sum << "\n";
  o << name << "_count{" << labels << "} " << count << "\n";
}

std::string label_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') { out += "\\n"; continue; }
    out.push_back(c);
  }
  return out;
}
}  // namespace

void Metrics::observe(const std::string& route, const std::string& method, int status, double seconds) {
  std::lock_guard lock(mutex_);
  auto& s = series_[{route, method}];
  ++s.by_status[status];
  for (int i = 0; i < 12; ++i)
    if (seconds <= kBounds[i]) ++s.buckets[i];
  ++s.count;
  s.sum += seconds;
}

std::string Metrics::render() const {
  std::ostringstream o;
  std::lock_guard lock(mutex_);
  o << "# HELP teledx_http_requests_total HTTP requests answered, by route pattern, method and status.\n"
    << "# TYPE teledx_http_requests_total counter\n";
  for (const auto& [key, s] : series_)
    for (const auto& [status, n] : s.by_status)
      o << "teledx_http_requests_total{route=\"" << label_escape(key.first) << "\",method=\"" << key.second
        << "\",status=\"" << status << "\"} " << n << "\n";
  o << "# HELP teledx_http_request_duration_seconds Time from request header to response, by route.\n"
    << "# TYPE teledx_http_request_duration_seconds histogram\n";
  for (const auto& [key, s] : series_) {
    const std::string labels = "route=\"" + label_escape(key.first) + "\",method=\"" + key.second + "\"";
    write_histogram(o, "teledx_http_request_duration_seconds", labels, kBounds, s.buckets, s.count, s.sum);
  }
  o << "# HELP teledx_http_open_connections HTTP connections currently open.\n"
    << "# TYPE teledx_http_open_connections gauge\n"
    << "teledx_http_open_connections " << open_connections_.load() << "\n";
  return o.str();
}

std::string render_ingest_metrics(const dicom::IngestTimings& t) {
  std::ostringstream o;
  o << "# HELP teledx_ingest_stage_seconds Time per stored instance in each ingest stage: receive (C-STORE "
       "dataset), check (parse, validation, duplicate lookup), flush (bytes durable), index (index transaction, "
       "waiting for the flush), total (file received to answer allowed).\n"
    << "# TYPE teledx_ingest_stage_seconds histogram\n";
  const std::pair<const char*, const LatencyHistogram*> stages[] = {
      {"receive", &t.receive}, {"check", &t.check}, {"flush", &t.flush}, {"index", &t.index}, {"total", &t.total}};
  for (const auto& [stage, histogram] : stages) {
    const auto snap = histogram->snapshot();
    write_histogram(o, "teledx_ingest_stage_seconds", std::string("stage=\"") + stage + "\"", LatencyHistogram::kBounds,
                    snap.cumulative, snap.count, snap.sum_seconds);
  }
  return o.str();
}

}  // namespace teledx::server
