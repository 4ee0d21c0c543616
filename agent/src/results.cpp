#include "results.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <sstream>

#include "teledx/core/clock.hpp"
#include "teledx/core/log.hpp"

namespace teledx::agent {
namespace {

using nlohmann::json;

std::string str(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

Result<void> write_atomic(const std::filesystem::path& path, const std::string& bytes) {
  const auto tmp = path.parent_path() / ("." + path.filename().string() + ".tmp");
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return make_error(ErrorCode::StorageFailure, "Cannot write " + tmp.string() + ": " + std::strerror(errno));
  std::string_view rest(bytes);
  bool ok = true;
  while (ok && !rest.empty()) {
    ssize_t n = ::write(fd, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) rest.remove_prefix(static_cast<std::size_t>(n));
  }
  // Durable before it is acknowledged to the server: data, then the rename, then the directory entry.
  ok = ok && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    return make_error(ErrorCode::StorageFailure, "Cannot write " + path.string() + ": " + why);
  }
  int dfd = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

}  // namespace

std::string render_report_text(const json& event) {
  const json& d = event.contains("data") ? event["data"] : json::object();
  const json& exam = d.contains("exam") ? d["exam"] : json::object();
  const json& patient = exam.contains("patient") ? exam["patient"] : json::object();
  const json& r = d.contains("report") ? d["report"] : json::object();
  std::ostringstream o;
  o << "远程诊断报告 Tele-diagnosis report\n";
  o << "==================================\n";
  o << "患者 Patient:    " << str(patient, "name") << "  ID " << str(patient, "id") << "  " << str(patient, "sex") << "  "
    << str(patient, "birth_date") << "\n";
  o << "检查 Exam:       " << str(exam, "modality") << " " << str(exam, "body_part") << " " << str(exam, "description")
    << "\n";
  o << "检查号 Accession: " << str(exam, "accession") << "\n";
  o << "申请 Reason:     " << str(exam, "reason") << "\n";
  o << "任务 Task:       " << event.value("task_id", std::int64_t{0}) << "   版本 Version " << r.value("version", std::int64_t{0})
    << " (" << str(r, "kind") << ")\n";
  o << "签发 Signed:     " << str(r, "signed_at");
  if (r.contains("author")) o << "  " << str(r["author"], "name");
  if (r.contains("approver") && r["approver"].is_object()) o << "  审核 approved by " << str(r["approver"], "name");
  o << "\n验证码 Verification code: " << str(r, "verification_code") << "\n";
  o << "----------------------------------\n";
  if (str(r, "kind") == "addendum") {
    o << "补充报告 Addendum:\n" << str(r, "addendum") << "\n";
  } else {
    o << "所见 Findings:\n" << str(r, "findings") << "\n\n";
    o << "印象 Impression:\n" << str(r, "impression") << "\n";
    if (r.contains("fields") && r["fields"].is_object() && !r["fields"].empty()) {
      o << "\n";
      for (const auto& [k, v] : r["fields"].items()) o << k << ": " << (v.is_string() ? v.get<std::string>() : v.dump()) << "\n";
    }
  }
  return o.str();
}

Result<ResultFiles> write_result_files(const std::filesystem::path& dir, const json& event, const std::string* pdf) {
  const auto task = event.value("task_id", std::int64_t{0});
  const auto version = event["data"].value("version", std::int64_t{0});
  const std::string base = "task" + std::to_string(task) + "_v" + std::to_string(version);
  ResultFiles f{dir / (base + ".json"), dir / (base + ".txt"), {}};
  if (pdf) {
    f.pdf = dir / (base + ".pdf");
    TELEDX_TRY(write_atomic(f.pdf, *pdf));
  }
  json doc{{"task_id", task},
           {"version", version},
           {"seq", event.value("seq", std::int64_t{0})},
           {"clinic_id", event.value("clinic_id", std::int64_t{0})},
           {"center_id", event.value("center_id", std::int64_t{0})},
           {"signed_event_at", event.value("at", "")},
           {"exam", event["data"].value("exam", json::object())},
           {"report", event["data"]["report"]},
           {"pdf", f.pdf.empty() ? json(nullptr) : json(f.pdf.filename().string())}};
  TELEDX_TRY(write_atomic(f.json, doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n"));
  TELEDX_TRY(write_atomic(f.text, render_report_text(event)));
  return f;
}

std::filesystem::path alert_file_path(const std::filesystem::path& dir, std::int64_t task_id) {
  return dir / ("CRITICAL_task" + std::to_string(task_id) + ".txt");
}

void write_alert_file(const std::filesystem::path& dir, const AlertRecord& a) {
  std::ostringstream o;
  o << "危急值 CRITICAL VALUE — call the patient's doctor now\n";
  o << "Task " << a.task_id << "  " << a.patient << "\n";
  o << "Category: " << a.category << "\n";
  if (!a.note.empty()) o << "Note: " << a.note << "\n";
  o << "Raised: " << format_iso8601(a.raised_ms) << "\n\n";
  o << "When a person has taken it, confirm (read-back name):\n";
  o << "  teledx-agent confirm " << a.task_id << " --name \"<name>\"   (or in the browser)\n";
  if (auto r = write_atomic(alert_file_path(dir, a.task_id), o.str()); !r.ok())
    log::error("alert", "cannot write the alert file: " + r.error().message);
}

void remove_alert_file(const std::filesystem::path& dir, std::int64_t task_id) {
  std::error_code ec;
  std::filesystem::remove(alert_file_path(dir, task_id), ec);
}

}  // namespace teledx::agent
