// STOW-RS (PS3.18 10.5): multipart/related bodies of DICOM instances from agents and DICOMweb tools. The HTTP
// server writes each part into a landing slot while the body arrives; the body is never held in memory.
#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

#include "dicomweb.hpp"
#include "ingest_http.hpp"
#include "multipart.hpp"
#include "routes.hpp"
#include "teledx/server/services.hpp"

namespace teledx::server {
namespace {

constexpr std::size_t kStowParallelParts = 4;

HttpResponse stow(RequestContext& ctx) {
  auto clinic = uploading_clinic(ctx);
  auto ct = ctx.req.header("content-type").value_or("");
  if (ct.rfind("multipart/related", 0) != 0)
    throw HttpError(ErrorCode::UnsupportedMediaType, "STOW-RS takes multipart/related; type=\"application/dicom\".");
  // The HTTP server split a body with a boundary into landing slots as it arrived (part_file below).
  if (!content_type_param(ct, "boundary") || !ctx.req.parts)
    throw HttpError(ErrorCode::BadRequest, "The Content-Type has no multipart boundary.");
  const auto& parts = *ctx.req.parts;
  if (parts.empty()) throw HttpError(ErrorCode::BadRequest, "The multipart body holds no instance.");
  std::string expected = ctx.params.count("study") ? ctx.param("study") : std::string();
  auto& s = ctx.services;
  auto base = dicomweb_base(ctx);
  nlohmann::json referenced = nlohmann::json::array(), failed = nlohmann::json::array();
  std::set<std::string> studies;
  // Each part is in a slot and pays one flush; a few threads let those flushes overlap (and share index
  // commits), so a large request is not one fsync after another. Answers keep the parts' order.
  std::vector<nlohmann::json> results(parts.size());
  std::atomic<std::size_t> next{0};
  std::atomic<bool> write_failed{false};
  const std::string source = "stow:" + ctx.who().user.username;
  const auto ingest_parts = [&] {
    for (std::size_t i; (i = next++) < parts.size();) {
      const auto& part = parts[i];
      if (!part.content_type.empty() && part.content_type.find("application/dicom") != 0) {
        results[i] = {{"status", "failed"}, {"failure_reason", 0xC000}};
        continue;  // its file is removed with the request
      }
      if (part.write_failed) {
        write_failed = true;
        results[i] = {{"status", "failed"}, {"failure_reason", 0xA700}};  // out of resources
        continue;
      }
      results[i] = ingest_one(s, ctx.req.take_part_file(i), clinic, source, "part " + std::to_string(i + 1), expected);
    }
  };
  {
    std::vector<std::jthread> helpers;
    for (std::size_t k = 1; k < std::min<std::size_t>(kStowParallelParts, parts.size()); ++k)
      helpers.emplace_back(ingest_parts);
    ingest_parts();
  }
  if (write_failed && std::none_of(results.begin(), results.end(), [](const auto& r) { return r["status"] != "failed"; }))
    throw HttpError(ErrorCode::StorageFailure, "The server could not write the upload to its storage (disk full?).");
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const nlohmann::json& r = results[i];
    nlohmann::json item = nlohmann::json::object();
    put_attr(item, "00081150", "UI", r.value("sop_class_uid", ""));
    put_attr(item, "00081155", "UI", r.value("sop_instance_uid", ""));
    if (r["status"] == "failed") {
      item["00081197"] = {{"vr", "US"}, {"Value", {r["failure_reason"]}}};
      failed.push_back(item);
    } else {
      std::string study = r["study_instance_uid"];
      studies.insert(study);
      put_attr(item, "00081190", "UR",
               base + "/studies/" + study + "/series/" + r["series_instance_uid"].get<std::string>() + "/instances/" +
                   r["sop_instance_uid"].get<std::string>());
      if (r["status"] == "duplicate_different") item["00081196"] = {{"vr", "US"}, {"Value", {0xB007}}};
      referenced.push_back(item);
    }
  }
  nlohmann::json body = nlohmann::json::object();
  if (studies.size() == 1) put_attr(body, "00081190", "UR", base + "/studies/" + *studies.begin());
  if (!referenced.empty()) body["00081199"] = {{"vr", "SQ"}, {"Value", referenced}};
  if (!failed.empty()) body["00081198"] = {{"vr", "SQ"}, {"Value", failed}};
  // Deferred like the index rows of the instances it records (an Immediate commit was a second flush per
  // request): should both be lost in a crash, recovery indexes the landed instances again and audits them then.
  // Without a newly stored instance nothing would be recovered, so the entry is made durable itself.
  const bool stored_new = std::any_of(results.begin(), results.end(), [](const auto& r) { return r["status"] == "stored"; });
  const auto audit_durability = stored_new ? db::Durability::Deferred : db::Durability::Immediate;
  for (const auto& st : studies)
    (void)s.audit->append({ctx.who().user.username, "store", "study:" + st, ctx.req.remote, "stow-rs"}, audit_durability);
  // PS3.18: 200 all stored, 202 some failed, 409 none stored.
  int status = failed.empty() ? 200 : referenced.empty() ? 409 : 202;
  auto res = HttpResponse::json(status, body);
  res.content_type = "application/dicom+json";
  return res;
}

}  // namespace

void add_stow_routes(Router& router) {
  // Parts go straight into landing slots: one write and one flush per instance, the body never whole anywhere.
  // Asked for on the connection's I/O thread, so never a slot made on the spot (that syncs a directory).
  const auto part_file = [](Services& s) { return s.instances->ready_landing_path(); };
  router.add({.method = "POST", .pattern = "/dicom-web/studies", .roles = kClinicStaff, .body_limit = kMaxUpload,
              .stream_body_to_file = true, .part_file = part_file},
             stow);
  router.add({.method = "POST", .pattern = "/dicom-web/studies/{study}", .roles = kClinicStaff,
              .body_limit = kMaxUpload, .stream_body_to_file = true, .part_file = part_file},
             stow);
}

}  // namespace teledx::server
