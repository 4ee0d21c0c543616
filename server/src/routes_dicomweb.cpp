// DICOMweb read side: QIDO-RS searches and WADO-RS retrieval, scoped to the clinics the caller may see.
#include <charconv>

#include "dicomweb.hpp"
#include "multipart.hpp"
#include "routes.hpp"
#include "teledx/dicom/bulk_data.hpp"
#include "teledx/server/services.hpp"

namespace teledx::server {
namespace {


const std::vector<Role> kDicomReaders{Role::ClinicTech,  Role::ClinicDoctor, Role::ImagingReader, Role::EcgReader,
                                      Role::SeniorReader, Role::CenterLead};

// A QIDO key may come by keyword or by tag ("PatientName" or "00100010").
std::string qido_param(const RequestContext& ctx, const char* keyword, const char* tag) {
  if (auto v = ctx.req.query_param(keyword)) return *v;
  if (auto v = ctx.req.query_param(tag)) return *v;
  return {};
}

std::int64_t int_param(const RequestContext& ctx, const char* name, std::int64_t fallback, std::int64_t max) {
  auto v = ctx.req.query_param(name);
  if (!v || v->empty()) return fallback;
  std::int64_t out = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || p != v->data() + v->size() || out < 0)
    throw HttpError(ErrorCode::BadRequest, std::string("'") + name + "' must be a non-negative number.");
  return std::min(out, max);
}

void split_date_range(const std::string& v, std::string& from, std::string& to) {
  auto dash = v.find('-');
  if (dash == std::string::npos) {
    from = to = v;
  } else {
    from = v.substr(0, dash);
    to = v.substr(dash + 1);
  }
}

std::vector<std::string> uid_list(const std::string& v) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= v.size() && !v.empty()) {
    auto c = v.find_first_of(",\\", pos);
    out.push_back(v.substr(pos, c == std::string::npos ? std::string::npos : c - pos));
    if (c == std::string::npos) break;
    pos = c + 1;
  }
  return out;
}

HttpResponse dicom_json(const nlohmann::json& array) {
  auto r = HttpResponse::json(200, array);
  r.content_type = "application/dicom+json";
  return r;
}

void audit(RequestContext& ctx, const char* action, const std::string& target) {
  (void)ctx.services.audit->append({ctx.who().user.username, action, target, ctx.req.remote, ""});
}

HttpResponse search_studies(RequestContext& ctx) {
  dicom::StudyQuery q;
  q.scope = clinic_scope(ctx);
  if (auto uids = qido_param(ctx, "StudyInstanceUID", "0020000D"); !uids.empty()) q.study_uids = uid_list(uids);
  if (ctx.params.count("study")) q.study_uids = {ctx.param("study")};
  q.patient_name = qido_param(ctx, "PatientName", "00100010");
  q.patient_id = qido_param(ctx, "PatientID", "00100020");
  q.accession = qido_param(ctx, "AccessionNumber", "00080050");
  q.study_description = qido_param(ctx, "StudyDescription", "00081030");
  q.modality = qido_param(ctx, "ModalitiesInStudy", "00080061");
  if (auto d = qido_param(ctx, "StudyDate", "00080020"); !d.empty()) split_date_range(d, q.study_date_from, q.study_date_to);
  q.limit = int_param(ctx, "limit", 1000, 10000);
  q.offset = int_param(ctx, "offset", 0, INT64_MAX);
  auto base = dicomweb_base(ctx);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : unwrap(ctx.services.instances->find_studies(q))) out.push_back(study_json(s, base));
  return dicom_json(out);
}

HttpResponse search_series(RequestContext& ctx) {
  dicom::SeriesQuery q;
  q.scope = clinic_scope(ctx);
  if (ctx.params.count("study")) {
    q.study_uid = ctx.param("study");
    (void)unwrap(ctx.services.instances->study(q.study_uid, q.scope));  // unknown study: 404, not []
  } else {
    q.study_uid = qido_param(ctx, "StudyInstanceUID", "0020000D");
  }
  if (auto uids = qido_param(ctx, "SeriesInstanceUID", "0020000E"); !uids.empty()) q.series_uids = uid_list(uids);
  q.modality = qido_param(ctx, "Modality", "00080060");
  q.series_description = qido_param(ctx, "SeriesDescription", "0008103E");
  if (auto n = qido_param(ctx, "SeriesNumber", "00200011"); !n.empty()) q.series_number = std::atoll(n.c_str());
  q.limit = int_param(ctx, "limit", 1000, 10000);
  q.offset = int_param(ctx, "offset", 0, INT64_MAX);
  auto base = dicomweb_base(ctx);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : unwrap(ctx.services.instances->find_series(q))) out.push_back(series_json(s, base));
  return dicom_json(out);
}

dicom::InstanceQuery instance_query(RequestContext& ctx) {
  dicom::InstanceQuery q;
  q.scope = clinic_scope(ctx);
  if (ctx.params.count("study")) q.study_uid = ctx.param("study");
  if (ctx.params.count("series")) q.series_uid = ctx.param("series");
  if (ctx.params.count("instance")) q.sop_uids = {ctx.param("instance")};
  return q;
}

HttpResponse search_instances(RequestContext& ctx) {
  auto q = instance_query(ctx);
  if (q.study_uid.empty()) q.study_uid = qido_param(ctx, "StudyInstanceUID", "0020000D");
  if (q.series_uid.empty()) q.series_uid = qido_param(ctx, "SeriesInstanceUID", "0020000E");
  if (auto uids = qido_param(ctx, "SOPInstanceUID", "00080018"); !uids.empty()) q.sop_uids = uid_list(uids);
  q.sop_class_uid = qido_param(ctx, "SOPClassUID", "00080016");
  if (auto n = qido_param(ctx, "InstanceNumber", "00200013"); !n.empty()) q.instance_number = std::atoll(n.c_str());
  q.limit = int_param(ctx, "limit", 5000, 50000);
  q.offset = int_param(ctx, "offset", 0, INT64_MAX);
  auto base = dicomweb_base(ctx);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& m : unwrap(ctx.services.instances->find_instances(q))) out.push_back(instance_json(m, base));
  return dicom_json(out);
}

// The instances a retrieve names, checked to exist within the caller's scope (else 404).
std::vector<dicom::InstanceMeta> instances_for_retrieve(RequestContext& ctx) {
  auto q = instance_query(ctx);
  auto found = unwrap(ctx.services.instances->find_instances(q));
  if (found.empty()) throw HttpError(ErrorCode::NotFound, "No such study, series or instance.");
  return found;
}

HttpResponse retrieve(RequestContext& ctx) {
  auto found = instances_for_retrieve(ctx);
  auto& files = *ctx.services.files;
  HttpResponse r;
  r.file = files.new_temp_path();
  r.delete_file_after = true;
  MultipartWriter w(r.file);
  auto base = dicomweb_base(ctx);
  for (const auto& m : found)
    w.add_file("application/dicom; transfer-syntax=" + m.transfer_syntax, files.path_of(m.file_key),
               base + "/studies/" + m.study_uid + "/series/" + m.series_uid + "/instances/" + m.sop_uid);
  if (!w.finish()) {
    std::error_code ec;
    std::filesystem::remove(r.file, ec);
    throw HttpError(ErrorCode::StorageFailure, "The server could not assemble the retrieved files (disk full?).");
  }
  r.content_type = "multipart/related; type=\"application/dicom\"; boundary=" + w.boundary();
  audit(ctx, "download", (ctx.params.count("instance") ? "instance:" + ctx.param("instance")
                          : ctx.params.count("series") ? "series:" + ctx.param("series")
                                                       : "study:" + ctx.param("study")));
  return r;
}

HttpResponse metadata(RequestContext& ctx) {
  auto q = instance_query(ctx);
  auto items = unwrap(ctx.services.instances->metadata_json(q));
  if (items.empty()) throw HttpError(ErrorCode::NotFound, "No such study, series or instance.");
  auto found = unwrap(ctx.services.instances->find_instances(q));
  auto base = dicomweb_base(ctx);
  std::string body = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    std::string item = items[i];
    if (i < found.size()) {
      const auto& m = found[i];
      std::string url = base + "/studies/" + m.study_uid + "/series/" + m.series_uid + "/instances/" + m.sop_uid;
      for (std::size_t p = item.find("{{instance}}"); p != std::string::npos; p = item.find("{{instance}}", p))
        item.replace(p, 12, url);
    }
    body += (i ? "," : "") + item;
  }
  body += "]";
  audit(ctx, "view", ctx.params.count("series") ? "series:" + ctx.param("series") : "study:" + ctx.param("study"));
  return HttpResponse::text(200, std::move(body), "application/dicom+json");
}

std::filesystem::path instance_path(RequestContext& ctx) {
  // One scoped lookup: the instance record already names its file.
  auto m = unwrap(ctx.services.instances->instance(ctx.param("instance"), clinic_scope(ctx)));
  if (m.study_uid != ctx.param("study") || m.series_uid != ctx.param("series"))
    throw HttpError(ErrorCode::NotFound, "No such instance in this series.");
  return ctx.services.files->path_of(m.file_key);
}

HttpResponse frames(RequestContext& ctx) {
  std::vector<std::int64_t> numbers;
  for (const auto& n : uid_list(ctx.param("frames"))) {
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), v);
    if (ec != std::errc() || p != n.data() + n.size() || v < 1)
      throw HttpError(ErrorCode::BadRequest, "Frame numbers are positive integers separated by commas.");
    numbers.push_back(v);
  }
  auto list = unwrap(dicom::read_frames(instance_path(ctx), numbers));
  HttpResponse r;
  r.file = ctx.services.files->new_temp_path();
  r.delete_file_after = true;
  MultipartWriter w(r.file);
  for (const auto& f : list) w.add("application/octet-stream; transfer-syntax=" + f.transfer_syntax, f.bytes);
  if (!w.finish()) throw HttpError(ErrorCode::StorageFailure, "The server could not assemble the frames (disk full?).");
  r.content_type = "multipart/related; type=\"application/octet-stream\"; boundary=" + w.boundary();
  return r;
}

HttpResponse bulk(RequestContext& ctx) {
  const auto& t = ctx.param("tag");
  std::uint32_t tag = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), tag, 16);
  if (t.size() != 8 || ec != std::errc() || p != t.data() + t.size())
    throw HttpError(ErrorCode::NotFound, "Bulk data is addressed by an 8-digit hexadecimal tag.");
  int occurrence = 1;
  if (auto it = ctx.params.find("occurrence"); it != ctx.params.end()) {
    const std::string& n = it->second;
    auto [q, oc] = std::from_chars(n.data(), n.data() + n.size(), occurrence);
    if (oc != std::errc() || q != n.data() + n.size() || occurrence < 1)
      throw HttpError(ErrorCode::NotFound, "The occurrence of a bulk data element is a number from 1.");
  }
  auto bytes = unwrap(dicom::read_bulk_data(instance_path(ctx), tag, occurrence));
  auto accept = ctx.req.header("accept").value_or("");
  // Viewers asking for application/octet-stream want the raw bytes as a single part.
  if (accept.find("multipart/related") != std::string::npos) {
    HttpResponse r;
    r.file = ctx.services.files->new_temp_path();
    r.delete_file_after = true;
    MultipartWriter w(r.file);
    w.add("application/octet-stream", bytes);
    if (!w.finish()) throw HttpError(ErrorCode::StorageFailure, "The server could not assemble the bulk data.");
    r.content_type = "multipart/related; type=\"application/octet-stream\"; boundary=" + w.boundary();
    return r;
  }
  return HttpResponse::text(200, std::move(bytes), "application/octet-stream");
}

}  // namespace

void add_dicomweb_routes(Router& router) {
  auto get = [&](std::string pattern, Handler h) {
    router.add({.method = "GET", .pattern = std::move(pattern), .roles = kDicomReaders}, std::move(h));
  };
  get("/dicom-web/studies", search_studies);
  get("/dicom-web/series", search_series);
  get("/dicom-web/instances", search_instances);
  get("/dicom-web/studies/{study}/series", search_series);
  get("/dicom-web/studies/{study}/instances", search_instances);
  get("/dicom-web/studies/{study}/series/{series}/instances", search_instances);
  get("/dicom-web/studies/{study}", retrieve);
  get("/dicom-web/studies/{study}/series/{series}", retrieve);
  get("/dicom-web/studies/{study}/series/{series}/instances/{instance}", retrieve);
  get("/dicom-web/studies/{study}/metadata", metadata);
  get("/dicom-web/studies/{study}/series/{series}/metadata", metadata);
  get("/dicom-web/studies/{study}/series/{series}/instances/{instance}/metadata", metadata);
  get("/dicom-web/studies/{study}/series/{series}/instances/{instance}/frames/{frames}", frames);
  get("/dicom-web/studies/{study}/series/{series}/instances/{instance}/bulk/{tag}", bulk);
  get("/dicom-web/studies/{study}/series/{series}/instances/{instance}/bulk/{tag}/{occurrence}", bulk);
}

}  // namespace teledx::server
