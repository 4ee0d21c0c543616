#pragma once
// Exams out: watches a folder for DICOM files (and the local SCP's spool), waits until each is complete
// (unchanged for settle_seconds; spooled instances are whole when they appear),
// sends them per study to the server with STOW-RS, retries with jittered back-off, and moves a study's files
// away only once the server confirmed every one of them.
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "http_client.hpp"
#include "teledx/agent/config.hpp"
#include "teledx/agent/state.hpp"

namespace teledx::agent {

/// ECG files that are not DICOM, by name: .xml (HL7 aECG, MUSE, Philips), .scp (SCP-ECG), .hea/.dat (WFDB).
bool is_ecg_file(const std::filesystem::path& p);
/// The queue groups an ECG's files under "ecg:<folder>/<name without extension>" in place of a study UID.
std::string ecg_group(const std::filesystem::path& p);
bool is_ecg_group(const std::string& study);

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
  /// settle: wait until a file has been unchanged for settle_seconds (the watch folder, written by others).
  void scan_folder(const std::filesystem::path& root, bool settle, std::int64_t now_ms, std::set<std::string>& present);
  void send_ready(std::int64_t now_ms);
  void finish_studies(std::int64_t now_ms);
  void retry_later(std::vector<UploadRecord>& batch, std::int64_t now_ms, const std::string& why);
  /// One ECG (a file, or a WFDB record's .hea and .dat) through the upload API (ecg_forward.cpp).
  void send_ecg(std::vector<UploadRecord>& files, std::int64_t now_ms);

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
