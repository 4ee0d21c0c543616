#pragma once
// The files a clinic gets: each signed report version as JSON (everything the event carried) and as plain text
// for printing, written atomically (temp file, fsync, rename, directory fsync) under deterministic names, so
// writing the same version again replaces a file with identical content instead of adding one.
#include <filesystem>

#include <nlohmann/json.hpp>

#include "teledx/agent/state.hpp"
#include "teledx/core/result.hpp"

namespace teledx::agent {

struct ResultFiles {
  std::filesystem::path json, text, pdf;  // pdf empty when the server gave none
};

/// Writes "task<id>_v<version>.json", ".txt" and, when `pdf` is given, ".pdf" for a report.signed event.
/// StorageFailure on a disk error.
Result<ResultFiles> write_result_files(const std::filesystem::path& dir, const nlohmann::json& event,
                                       const std::string* pdf = nullptr);
/// The human-readable rendering of a report event (UTF-8).
std::string render_report_text(const nlohmann::json& event);

/// "CRITICAL_task<id>.txt": present while a critical value is unconfirmed.
std::filesystem::path alert_file_path(const std::filesystem::path& dir, std::int64_t task_id);
void write_alert_file(const std::filesystem::path& dir, const AlertRecord& a);
void remove_alert_file(const std::filesystem::path& dir, std::int64_t task_id);

}  // namespace teledx::agent
