#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace teledx {

/// Wall-clock source; tests substitute a manual clock to drive deadlines and leases.
class Clock {
 public:
  virtual ~Clock() = default;
  /// Milliseconds since the Unix epoch (UTC).
  virtual std::int64_t now_ms() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::int64_t now_ms() const override;
};

/// ISO-8601 UTC with milliseconds, e.g. "2026-11-28T23:47:06.123Z".
std::string format_iso8601(std::int64_t ms_since_epoch);

}  // namespace teledx
