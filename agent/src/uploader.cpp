#include "uploader.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <set>

#include <nlohmann/json.hpp>

#include "dicom_probe.hpp"
#include "teledx/core/log.hpp"

namespace teledx::agent {
namespace {

namespace fs = std::filesystem;

std::int64_t mtime_ms(const fs::path& p, std::error_code& ec) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) {
    ec = std::error_code(errno, std::generic_category());
    return 0;
  }
  return std::int64_t{st.st_mtim.tv_sec} * 1000 + st.st_mtim.tv_nsec / 1'000'000;
}

bool skipped_name(const fs::path& p) {
  const auto name = p.filename().string();
  if (name.empty() || name[0] == '.') return true;
  for (const char* suffix : {".part", ".tmp", ".partial", ".crdownload"})
    if (name.size() > std::string(suffix).size() && name.rfind(suffix) == name.size() - std::string(suffix).size())
      return true;
  return name == "DICOMDIR";
}

/// Jittered exponential back-off: 2^attempts s (at most 5 min), drawn from [50 %, 100 %].
std::int64_t backoff_ms(int attempts) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const std::int64_t base = std::min<std::int64_t>(300'000, std::int64_t{1000} << std::min(attempts, 9));
  return std::uniform_int_distribution<std::int64_t>(base / 2, base)(rng);
}

/// SOP Instance UIDs listed under a STOW-RS answer's sequence (referenced 00081199 or failed 00081198).
std::map<std::string, int> sop_uids(const nlohmann::json& body, const char* tag) {
  std::map<std::string, int> out;
  if (!body.is_object() || !body.contains(tag) || !body[tag].contains("Value")) return out;
  for (const auto& item : body[tag]["Value"]) {
    std::string uid;
    if (item.contains("00081155") && item["00081155"].contains("Value") && !item["00081155"]["Value"].empty())
      uid = item["00081155"]["Value"][0].get<std::string>();
    int reason = 0;
    if (item.contains("00081197") && item["00081197"].contains("Value") && !item["00081197"]["Value"].empty())
      reason = item["00081197"]["Value"][0].get<int>();
    if (!uid.empty()) out[uid] = reason;
  }
  return out;
}

}  // namespace

Uploader::Uploader(const AgentConfig& cfg, AgentState& state, const HttpClient& http,
                   std::function<std::string()> token)
    : cfg_(cfg), state_(state), http_(http), token_(std::move(token)) {}

Uploader::~Uploader() { stop(); }

void Uploader::start() {
  if (cfg_.watch_dir.empty() && cfg_.scp_port == 0) return;
  std::error_code ec;
  if (!cfg_.watch_dir.empty()) {
    fs::create_directories(cfg_.watch_dir, ec);
    log::info("upload", "watching " + cfg_.watch_dir.string() + " for DICOM and ECG files");
  }
  thread_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      round(std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count());
      lock.lock();
      cv_.wait_for(lock, std::chrono::seconds(cfg_.scan_seconds), [this] { return stopping_; });
    }
  });
}

void Uploader::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Uploader::round(std::int64_t now_ms) {
  scan(now_ms);
  send_ready(now_ms);
  finish_studies(now_ms);
}

void Uploader::scan(std::int64_t now_ms) {
  std::set<std::string> present;
  if (!cfg_.watch_dir.empty()) scan_folder(cfg_.watch_dir, true, now_ms, present);
  // The local SCP's spool holds only whole instances (written aside, then renamed): nothing to wait for.
  if (cfg_.scp_port != 0) scan_folder(cfg_.scp_spool(), false, now_ms, present);
  // Files that disappeared before they were sent (removed by a person) leave the queue.
  for (const auto& u : state_.uploads())
    if (!present.count(u.path) && u.state != UploadState::Done) (void)state_.remove_upload(u.path);
}

void Uploader::scan_folder(const fs::path& root, bool settle, std::int64_t now_ms, std::set<std::string>& present) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec) && it->path().filename().string().rfind('.', 0) == 0) {
      it.disable_recursion_pending();  // hidden folders: the SCP's instances in transit, editors' caches
      continue;
    }
    if (!it->is_regular_file(ec) || skipped_name(it->path())) continue;
    const auto path = it->path().string();
    present.insert(path);
    const auto size = static_cast<std::int64_t>(it->file_size(ec));
    const auto mtime = mtime_ms(it->path(), ec);
    if (ec) continue;
    auto known = state_.upload(path);
    if (known && known->size == size && known->mtime_ms == mtime && known->state != UploadState::Done) continue;
    // Still being written (a modality or a copy in progress): wait until it has been quiet for a while.
    if (settle && now_ms - mtime < std::int64_t{cfg_.settle_seconds} * 1000) continue;
    UploadRecord u;
    u.path = path;
    u.size = size;
    u.mtime_ms = mtime;
    if (auto ids = probe_dicom(it->path())) {
      u.study_uid = ids->study_uid;
      u.sop_uid = ids->sop_uid;
      u.state = UploadState::Pending;
    } else if (is_ecg_file(it->path())) {
      u.study_uid = ecg_group(it->path());
      u.sop_uid = it->path().filename().string();
      u.state = UploadState::Pending;
    } else {
      u.state = UploadState::Rejected;
      u.last_error = "neither a DICOM file (with Study/SOP Instance UID) nor an ECG file; left in place";
      log::warn("upload", path + ": " + u.last_error);
    }
    if (auto r = state_.put_upload(u); !r.ok()) log::error("upload", "cannot record " + path + ": " + r.error().message);
  }
}

void Uploader::retry_later(std::vector<UploadRecord>& batch, std::int64_t now_ms, const std::string& why) {
  for (auto& u : batch) {
    ++u.attempts;
    u.next_try_ms = now_ms + backoff_ms(u.attempts);
    u.last_error = why;
    (void)state_.put_upload(u);
  }
  log::warn("upload", std::to_string(batch.size()) + " file(s) of study " + batch.front().study_uid +
                          " will be retried: " + why);
}

void Uploader::send_ready(std::int64_t now_ms) {
  std::map<std::string, std::vector<UploadRecord>> studies;
  for (auto& u : state_.uploads(UploadState::Pending))
    if (u.next_try_ms <= now_ms) studies[u.study_uid].push_back(std::move(u));
  for (auto& [study, files] : studies) {
    if (is_ecg_group(study)) {
      send_ecg(files, now_ms);
      continue;
    }
    for (std::size_t i = 0; i < files.size(); i += static_cast<std::size_t>(cfg_.upload_batch_files)) {
      {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
      }
      std::vector<UploadRecord> batch(files.begin() + static_cast<std::ptrdiff_t>(i),
                                      files.begin() + static_cast<std::ptrdiff_t>(std::min(
                                                          files.size(), i + static_cast<std::size_t>(cfg_.upload_batch_files))));
      std::vector<fs::path> paths;
      for (const auto& u : batch) paths.emplace_back(u.path);
      std::vector<BodyPart> body;
      const auto content_type = stow_body(paths, body);
      auto reply = http_.request("POST", "/dicom-web/studies/" + study,
                                 {{"Authorization", "Bearer " + token_()},
                                  {"Content-Type", content_type},
                                  {"Accept", "application/dicom+json"}},
                                 body);
      if (!reply.ok()) {
        retry_later(batch, now_ms, reply.error().message);
        continue;
      }
      if (reply->status == 401 || reply->status == 403 || reply->status >= 500 || reply->status == 413) {
        retry_later(batch, now_ms, "the server answered HTTP " + std::to_string(reply->status));
        continue;
      }
      auto j = nlohmann::json::parse(reply->body, nullptr, false);
      auto stored = sop_uids(j, "00081199");
      auto failed = sop_uids(j, "00081198");
      std::vector<UploadRecord> unanswered;
      int sent = 0;
      for (auto& u : batch) {
        if (stored.count(u.sop_uid)) {
          // Confirmed: the server has the instance durably (it answers only after storing it).
          u.state = UploadState::Sent;
          u.last_error.clear();
          (void)state_.put_upload(u);
          ++sent;
        } else if (failed.count(u.sop_uid)) {
          u.state = UploadState::Rejected;
          char code[16];
          std::snprintf(code, sizeof code, "0x%04X", failed[u.sop_uid]);
          u.last_error = std::string("the server refused the instance (status ") + code + "); left in place";
          (void)state_.put_upload(u);
          log::warn("upload", u.path + ": " + u.last_error);
        } else {
          unanswered.push_back(u);
        }
      }
      if (!unanswered.empty())
        retry_later(unanswered, now_ms, "no per-instance answer (HTTP " + std::to_string(reply->status) + ")");
      if (sent) log::info("upload", "study " + study + ": " + std::to_string(sent) + " instance(s) confirmed");
    }
  }
}

void Uploader::finish_studies(std::int64_t now_ms) {
  std::map<std::string, std::vector<UploadRecord>> studies;
  for (auto& u : state_.uploads())
    if (!u.study_uid.empty()) studies[u.study_uid].push_back(std::move(u));
  for (auto& [study, files] : studies) {
    bool pending = false;
    std::int64_t newest = 0;
    std::vector<UploadRecord> sent;
    for (auto& u : files) {
      pending |= u.state == UploadState::Pending;
      newest = std::max(newest, u.mtime_ms);
      if (u.state == UploadState::Sent) sent.push_back(u);
    }
    // The whole study first: nothing moves while one of its files is unconfirmed or another may still arrive.
    if (pending || sent.empty() || now_ms - newest < 2 * std::int64_t{cfg_.settle_seconds} * 1000) continue;
    const auto target = is_ecg_group(study) ? cfg_.sent() / "ecg" : cfg_.sent() / study;
    std::error_code ec;
    if (!cfg_.delete_after_upload) fs::create_directories(target, ec);
    for (const auto& u : sent) {
      fs::path from(u.path);
      if (cfg_.delete_after_upload) {
        fs::remove(from, ec);
      } else {
        fs::path to = target / from.filename();
        fs::rename(from, to, ec);
        if (ec) {  // another file system: copy, then remove
          ec.clear();
          fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
          if (!ec) fs::remove(from, ec);
        }
      }
      if (ec) {
        log::warn("upload", "cannot move " + u.path + " out of the watch folder: " + ec.message());
        ec.clear();
        continue;
      }
      (void)state_.remove_upload(u.path);
      // The SCP made one spool folder per study: gone with its last file (remove fails while others remain).
      if (cfg_.scp_port != 0 && from.parent_path().parent_path() == cfg_.scp_spool()) fs::remove(from.parent_path(), ec);
      ec.clear();
    }
    log::info("upload", "study " + study + " done: " + std::to_string(sent.size()) + " instance(s) confirmed by the server" +
                            (cfg_.delete_after_upload ? "; files deleted" : "; files moved to " + target.string()));
  }
}

}  // namespace teledx::agent
