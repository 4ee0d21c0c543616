#pragma once
// The agent's durable state in <state_dir>/agent.sqlite: the stream cursor, the ledger of written results (what
// makes writing exactly-once), critical-value alerts and the upload queue. Shared by the running agent and the
// status/confirm commands (separate processes; SQLite WAL).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "teledx/core/database.hpp"
#include "teledx/core/result.hpp"

namespace teledx::agent {

struct ResultRecord {
  std::int64_t task_id = 0, version = 0, seq = 0;
  std::string json_path, text_path;
  std::int64_t written_ms = 0;
  bool hook_done = false;
  std::int64_t acked_ms = 0;  // 0: the server has not confirmed the acknowledgement yet
  std::string ack_note;       // why an acknowledgement was given up (the server refused it)
};

struct AlertRecord {
  std::int64_t task_id = 0, seq = 0;
  std::string category, note, patient;
  std::int64_t raised_ms = 0, last_alert_ms = 0;
  std::string confirm_name;          // set by `teledx-agent confirm`
  std::int64_t confirmed_ms = 0;     // the server took the confirmation
  std::int64_t cleared_ms = 0;       // confirmed (here or in the browser): no longer alerting
  std::string cleared_by;
};

enum class UploadState { Pending, Sent, Rejected, Done };

struct UploadRecord {
  std::string path;
  std::string study_uid, sop_uid;
  std::int64_t size = 0, mtime_ms = 0;
  UploadState state = UploadState::Pending;
  int attempts = 0;
  std::int64_t next_try_ms = 0;
  std::string last_error;
};

class AgentState {
 public:
  /// Opens (creating) <state_dir>/agent.sqlite. StorageFailure when the directory is unusable.
  static Result<std::unique_ptr<AgentState>> open(const std::filesystem::path& state_dir);

  std::optional<std::string> get(const std::string& key) const;
  Result<void> set(const std::string& key, const std::string& value);

  /// Last event sequence number fully processed; moves only forward.
  std::int64_t cursor() const;
  Result<void> advance_cursor(std::int64_t seq);

  std::optional<ResultRecord> result(std::int64_t task_id, std::int64_t version) const;
  Result<void> add_result(const ResultRecord& r);
  Result<void> mark_hook_done(std::int64_t task_id, std::int64_t version);
  Result<void> mark_acked(std::int64_t task_id, std::int64_t version, std::int64_t now_ms, const std::string& note = {});
  std::vector<ResultRecord> results(bool unacked_only) const;

  /// Records a new alert; false when the task already had one (a replayed event).
  Result<bool> raise_alert(const AlertRecord& a);
  std::optional<AlertRecord> alert(std::int64_t task_id) const;
  std::vector<AlertRecord> open_alerts() const;
  Result<void> touch_alert(std::int64_t task_id, std::int64_t now_ms);
  /// A person confirmed at this PC: remembered until the server has taken it.
  Result<void> request_confirmation(std::int64_t task_id, const std::string& name);
  Result<void> clear_alert(std::int64_t task_id, const std::string& by, std::int64_t now_ms, bool confirmed_here);

  std::optional<UploadRecord> upload(const std::string& path) const;
  Result<void> put_upload(const UploadRecord& u);
  Result<void> remove_upload(const std::string& path);
  std::vector<UploadRecord> uploads(std::optional<UploadState> state = std::nullopt) const;

  db::Database& database() { return *db_; }

 private:
  explicit AgentState(std::unique_ptr<db::Database> db) : db_(std::move(db)) {}
  std::unique_ptr<db::Database> db_;
};

std::string_view to_string(UploadState s);

}  // namespace teledx::agent
