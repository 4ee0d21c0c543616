// ECG files that are not DICOM (HL7 aECG and vendor XML, SCP-ECG, Contec .ECG, CSV, WFDB header + signal) go up through the server's
// upload API (docs/api.md, "Browser upload"): one upload session per ECG, the file(s) posted, then "complete" so
// the ECG becomes a reading task at once. The server converts them to DICOM ECG waveforms; STOW-RS would refuse
// them. Like DICOM files, they stay in the folder until the server has answered "stored" for them.
#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "teledx/core/log.hpp"
#include "uploader.hpp"

namespace teledx::agent {
namespace {

namespace fs = std::filesystem;
constexpr const char* kEcgPrefix = "ecg:";

std::string lower_ext(const fs::path& p) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return e;
}

std::string url_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

// The file name as a quoted-string in a form-data header: quotes, backslashes and line breaks cannot appear.
std::string header_safe(std::string name) {
  for (auto& c : name)
    if (c == '"' || c == '\\' || c == '\r' || c == '\n') c = '_';
  return name;
}

std::string form_data_body(const std::vector<fs::path>& files, std::vector<BodyPart>& out) {
  const std::string boundary = "teledx-ecg-" + std::to_string(std::hash<std::string>{}(files.front().string()));
  for (const auto& f : files) {
    out.push_back({"--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" +
                       header_safe(f.filename().string()) + "\"\r\nContent-Type: application/octet-stream\r\n\r\n",
                   {}});
    out.push_back({{}, f});
    out.push_back({"\r\n", {}});
  }
  out.push_back({"--" + boundary + "--\r\n", {}});
  return "multipart/form-data; boundary=" + boundary;
}

}  // namespace

bool is_ecg_file(const fs::path& p) {
  const auto e = lower_ext(p);
  // .ecg: the Contec ECG90A cart's own files, common in township clinics; .csv: exported strips.
  return e == ".xml" || e == ".scp" || e == ".hea" || e == ".dat" || e == ".ecg" || e == ".csv";
}

std::string ecg_group(const fs::path& p) { return kEcgPrefix + (p.parent_path() / p.stem()).string(); }

bool is_ecg_group(const std::string& study) { return study.rfind(kEcgPrefix, 0) == 0; }

void Uploader::send_ecg(std::vector<UploadRecord>& files, std::int64_t now_ms) {
  bool header = false, signal = false;
  for (const auto& u : files) {
    header |= lower_ext(u.path) == ".hea";
    signal |= lower_ext(u.path) == ".dat";
  }
  // A WFDB signal file means nothing without its header: it waits for it (the header alone goes, and the server
  // says which signal file is missing).
  if (signal && !header) return;
  const std::string auth = "Bearer " + token_();
  auto created = http_.request("POST", "/api/uploads", {{"Authorization", auth}, {"Content-Type", "application/json"}},
                               {{"{}", {}}});
  if (!created.ok()) return retry_later(files, now_ms, created.error().message);
  const auto session = nlohmann::json::parse(created->body, nullptr, false);
  if (created->status != 201 || !session.is_object() || !session.contains("upload_id"))
    return retry_later(files, now_ms, "opening an upload answered HTTP " + std::to_string(created->status));
  const std::string base = "/api/uploads/" + session["upload_id"].get<std::string>();

  std::vector<BodyPart> body;
  std::string content_type = "application/octet-stream", target = base + "/files";
  if (files.size() == 1) {
    body.push_back({{}, files.front().path});
    target += "?name=" + url_encode(fs::path(files.front().path).filename().string());
  } else {
    std::vector<fs::path> paths;
    for (const auto& u : files) paths.emplace_back(u.path);
    content_type = form_data_body(paths, body);
  }
  auto reply = http_.request("POST", target, {{"Authorization", auth}, {"Content-Type", content_type}}, body);
  if (!reply.ok()) return retry_later(files, now_ms, reply.error().message);
  if (reply->status == 401 || reply->status == 403 || reply->status == 413 || reply->status >= 500)
    return retry_later(files, now_ms, "the server answered HTTP " + std::to_string(reply->status));
  const auto j = nlohmann::json::parse(reply->body, nullptr, false);
  int stored = 0;
  std::string refusal;
  if (j.is_object() && j.contains("files") && j["files"].is_array())
    for (const auto& f : j["files"]) {
      const std::string st = f.value("status", "");
      if (st == "stored" || st == "already_stored" || st == "duplicate_different") ++stored;
      if (st == "failed" && f.contains("error") && f["error"].is_object()) refusal = f["error"].value("message", "");
    }
  if (stored == 0) {
    if (refusal.empty() && j.is_object() && j.contains("error") && j["error"].is_object())
      refusal = j["error"].value("message", "");
    // Refused for what it is (unreadable, unknown format, a server without ECG support): left for a person to see.
    for (auto& u : files) {
      u.state = UploadState::Rejected;
      u.last_error = "the server refused the ECG (HTTP " + std::to_string(reply->status) + ")" +
                     (refusal.empty() ? "" : ": " + refusal) + "; left in place";
      (void)state_.put_upload(u);
      log::warn("upload", u.path + ": " + u.last_error);
    }
    return;
  }
  for (auto& u : files) {
    u.state = UploadState::Sent;
    u.last_error.clear();
    (void)state_.put_upload(u);
  }
  // The ECG is complete as posted: make it a reading task now rather than after the server's stability wait
  // (which still completes it if this request is lost).
  auto done = http_.request("POST", base + "/complete", {{"Authorization", auth}, {"Content-Type", "application/json"}},
                            {{"{}", {}}});
  log::info("upload", "ECG " + fs::path(files.front().path).filename().string() + " stored by the server" +
                          (done.ok() && done->status == 200 ? " and sent for reading" : ""));
}

}  // namespace teledx::agent
