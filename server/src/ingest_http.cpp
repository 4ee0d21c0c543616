// Handing files received over HTTP to the instance store (shared by STOW-RS and the browser upload API).
#include "ingest_http.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "dicomweb.hpp"
#include "routes.hpp"

namespace teledx::server {

bool write_file(const std::filesystem::path& path, std::string_view bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  bool ok = true;
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = false;
      break;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  ::close(fd);
  return ok;
}

nlohmann::json ingest_one(Services& s, const std::filesystem::path& temp, std::int64_t clinic, const std::string& source,
                          const std::string& name, const std::string& expected_study) {
  nlohmann::json r{{"file", name}};
  auto out = s.instances->ingest_file(temp, clinic, source, expected_study);
  if (!out.ok()) {
    r["status"] = "failed";
    r["error"] = {{"code", error_code_name(out.error().code)}, {"message", out.error().message}};
    r["failure_reason"] = dimse_status(out.error().code);
    return r;
  }
  if (out->status == dicom::IngestOutcome::Status::OtherStudy) {
    r["status"] = "failed";
    r["error"] = {{"code", "bad_request"}, {"message", "This instance belongs to another study than the URL names."}};
    r["failure_reason"] = 0xA900;
    r["sop_instance_uid"] = out->meta.sop_uid;
    r["sop_class_uid"] = out->meta.sop_class_uid;
    return r;
  }
  const auto& m = out->meta;
  r["sop_instance_uid"] = m.sop_uid;
  r["sop_class_uid"] = m.sop_class_uid;
  r["study_instance_uid"] = m.study_uid;
  r["series_instance_uid"] = m.series_uid;
  switch (out->status) {
    case dicom::IngestOutcome::Status::Stored: r["status"] = "stored"; break;
    case dicom::IngestOutcome::Status::AlreadyStored: r["status"] = "already_stored"; break;
    case dicom::IngestOutcome::Status::DuplicateDifferent:
      r["status"] = "duplicate_different";
      r["warning"] = out->warning;
      break;
    case dicom::IngestOutcome::Status::OtherStudy: break;  // answered above
  }
  return r;
}

}  // namespace teledx::server
