#pragma once
// From complete studies to reading tasks: images go to the imaging center, ECG waveforms to the ECG
// center of the clinic's hospital; a background loop completes stable studies and runs the SLA clocks.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "teledx/server/services.hpp"

namespace teledx::server {

/// Creates (or marks updated) the task of each center the study needs. Logs and skips a center the
/// consortium lacks (the study stays visible to the clinic).
Result<void> create_reading_tasks(Services& s, const dicom::CompletedStudy& study);

/// Completed studies whose tasks are missing (a crash between completion and task creation): creates them.
Result<int> reconcile_reading_tasks(Services& s);

/// Once a second: completes stable studies, expires claim leases, emits SLA events.
class BackgroundLoop {
 public:
  explicit BackgroundLoop(Services& s) : s_(s) {}
  ~BackgroundLoop() { stop(); }
  void start();
  void stop();
  /// Runs one round now (also used by tests through the server's behaviour).
  void tick();

 private:
  Services& s_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

}  // namespace teledx::server
