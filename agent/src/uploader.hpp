#pragma once
// Exams out: watches a folder for DICOM files, waits until each is complete (unchanged for settle_seconds),
// sends them per study to the server with STOW-RS, retries with jittered back-off, and moves a study's files
// away only once the server confirmed every one of them.
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "http_client.hpp"
#include "teledx/agent/config.hpp"
#include "teledx/agent/state.hpp"

namespace teledx::agent {

class Uploader {
 public:
  Uploader(const AgentConfig& cfg, AgentState& state, const HttpClient& http, std::function<std::string()> token);
  ~Uploader();
  void start();
  void stop();
  /// One round: scan, send what is ready, finish confirmed studies. `now_ms` is wall-clock time.
  void round(std::int64_t now_ms);

 private:
  void scan(std::int64_t now_ms);
  void send_ready(std::int64_t now_ms);
  void finish_studies(std::int64_t now_ms);
  void retry_later(std::vector<UploadRecord>& batch, std::int64_t now_ms, const std::string& why);

  const AgentConfig& cfg_;
  AgentState& state_;
  const HttpClient& http_;
  std::function<std::string()> token_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

}  // namespace teledx::agent
