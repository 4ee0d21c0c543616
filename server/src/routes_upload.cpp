// The browser upload API: an exam request (reason, history, priority, patient) plus any number of file, form
// or zip posts, then "complete". DICOM goes to the instance store; ECG files in other formats are converted
// first. Bodies are spooled to disk by the HTTP server, never held in memory.
#include <zip.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "dicomweb.hpp"
#include "ecg_upload.hpp"
#include "ingest_http.hpp"
#include "multipart.hpp"
#include "routes.hpp"
#include "study_routing.hpp"
#include "teledx/core/ids.hpp"
#include "teledx/server/services.hpp"

namespace teledx::server {
namespace {

bool skip_zip_entry(const std::string& name) {
  auto base = name.substr(name.find_last_of('/') + 1);
  return name.find("__MACOSX/") != std::string::npos || base.empty() || base[0] == '.' || base == "DICOMDIR" ||
         base == "Thumbs.db" || base == "desktop.ini";
}

/// Converts the non-DICOM ECG files of an upload and ingests each converted instance like a DICOM file.
void ingest_ecg_files(Services& s, EcgUploadSession& session, std::vector<UploadedFile> files, const std::string& source,
                      nlohmann::json& results) {
  if (files.empty()) return;
  for (auto& c : convert_ecg_files(s, session, std::move(files))) {
    if (!c.ok) {
      results.push_back(c.failure);
      continue;
    }
    auto r = ingest_one(s, c.dicom, session.clinic_id, source, c.info["source_files"][0]);
    for (auto& [k, v] : c.info.items()) r[k] = v;
    results.push_back(r);
  }
}

/// Reads a file the server spooled (an ECG, at most kMaxEcgFileBytes) into memory.
std::vector<std::uint8_t> read_spooled(const std::filesystem::path& path, std::size_t limit) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec) throw HttpError(ErrorCode::StorageFailure, "The server could not read back the upload.");
  if (size > limit) throw HttpError(ErrorCode::PayloadTooLarge, "This file is neither DICOM nor an ECG of at most 64 MB.");
  std::vector<std::uint8_t> bytes(size);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  std::size_t got = 0;
  while (fd >= 0 && got < size) {
    ssize_t n = ::read(fd, bytes.data() + got, size - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  if (fd >= 0) ::close(fd);
  if (got != size) throw HttpError(ErrorCode::StorageFailure, "The server could not read back the upload.");
  return bytes;
}

constexpr std::uint64_t kMaxHeldEcgBytes = std::uint64_t{256} << 20;

nlohmann::json zip_limit_error(std::uint64_t limit) {
  return {{"code", "payload_too_large"},
          {"message", "The zip unpacks to more than " + std::to_string(limit >> 20) +
                          " MiB; this entry and the ones after it were not stored. Send the folder in smaller zips."}};
}

void ingest_zip(RequestContext& ctx, EcgUploadSession& session, const std::string& source, nlohmann::json& results) {
  const std::int64_t clinic = session.clinic_id;
  std::vector<UploadedFile> ecg_files;
  int err = 0;
  zip_t* z = zip_open(ctx.req.body_file.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &err);
  if (!z) throw HttpError(ErrorCode::BadRequest, "The upload is not a readable zip archive (damaged or incomplete?).");
  auto& s = ctx.services;
  zip_int64_t n = zip_get_num_entries(z, 0);
  // Unpacked bytes are counted as written, not taken from the entries' stated sizes (a zip bomb states anything):
  // past the limit the entry is dropped and the rest of the archive refused, so one upload cannot fill the disk.
  const std::uint64_t limit = std::uint64_t(s.config.zip_expand_limit_mb) << 20;
  std::uint64_t unpacked = 0, ecg_held = 0;
  bool over_limit = false;
  for (zip_int64_t i = 0; i < n; ++i) {
    zip_stat_t st;
    if (zip_stat_index(z, i, 0, &st) != 0) continue;
    std::string name = st.name ? st.name : "";
    if (name.empty() || name.back() == '/' || skip_zip_entry(name)) continue;
    if (over_limit) {
      results.push_back({{"file", name}, {"status", "failed"}, {"error", zip_limit_error(limit)}});
      continue;
    }
    zip_file_t* f = zip_fopen_index(z, i, 0);
    if (!f) {
      results.push_back({{"file", name}, {"status", "failed"},
                         {"error", {{"code", "bad_request"}, {"message", "This entry of the zip cannot be read."}}}});
      continue;
    }
    auto temp = s.instances->new_landing_path();
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    bool written = fd >= 0;
    char buf[1 << 16];
    zip_int64_t got = 0;
    std::uint64_t entry_bytes = 0;
    while (written && !over_limit && (got = zip_fread(f, buf, sizeof buf)) > 0) {
      entry_bytes += static_cast<std::uint64_t>(got);
      unpacked += static_cast<std::uint64_t>(got);
      over_limit = unpacked > limit;
      written = !over_limit && ::write(fd, buf, static_cast<std::size_t>(got)) == got;
    }
    const bool damaged = got < 0;
    if (fd >= 0 && ::close(fd) != 0) written = false;
    zip_fclose(f);
    if (over_limit || damaged || !written) {
      std::error_code ec;
      std::filesystem::remove(temp, ec);
      nlohmann::json error = over_limit ? zip_limit_error(limit)
                             : damaged  ? nlohmann::json{{"code", "bad_request"}, {"message", "This entry of the zip is damaged."}}
                                        : nlohmann::json{{"code", "storage_failure"},
                                                         {"message", "The server could not write this entry to its disk "
                                                                     "(full?); nothing of it was stored. Send it again later."}};
      results.push_back({{"file", name}, {"status", "failed"}, {"error", std::move(error)}});
      continue;
    }
    // DICOM entries go straight to the store; anything else is offered to the ECG readers (aECG, SCP, WFDB...).
    std::uint8_t head[132] = {};
    int hfd = ::open(temp.c_str(), O_RDONLY | O_CLOEXEC);
    const ssize_t hn = hfd >= 0 ? ::read(hfd, head, sizeof head) : 0;
    if (hfd >= 0) ::close(hfd);
    // The size written, not the entry's stated one: a lying entry made read_spooled throw with the zip open and the
    // file left behind.
    if (is_dicom_part10({head, static_cast<std::size_t>(std::max<ssize_t>(hn, 0))}) ||
        entry_bytes > kMaxEcgFileBytes) {
      results.push_back(ingest_one(s, temp, clinic, source, name));
      continue;
    }
    // ECG files wait in memory until the zip has been read (a WFDB record's files belong together): 256 MiB at most.
    ecg_held += entry_bytes;
    if (ecg_held > kMaxHeldEcgBytes) {
      results.push_back({{"file", name}, {"status", "failed"},
                         {"error", {{"code", "payload_too_large"},
                                    {"message", "The zip holds more than 256 MiB of files that are not DICOM; send ECG "
                                                "recordings in smaller zips."}}}});
    } else {
      ecg_files.push_back({name, read_spooled(temp, kMaxEcgFileBytes)});
    }
    std::error_code ec;
    std::filesystem::remove(temp, ec);
  }
  zip_discard(z);
  ingest_ecg_files(s, session, std::move(ecg_files), source, results);
}

/// multipart/form-data: several files in one request (a WFDB record's .hea and .dat, or a few ECGs).
void ingest_form(RequestContext& ctx, EcgUploadSession& session, const std::string& ct, const std::string& source,
                 nlohmann::json& results) {
  auto boundary = content_type_param(ct, "boundary");
  if (!boundary) throw HttpError(ErrorCode::BadRequest, "The Content-Type has no multipart boundary.");
  auto mapped = unwrap(MappedFile::open(ctx.req.body_file));
  auto parts = unwrap(split_multipart(mapped.view(), *boundary));
  auto& s = ctx.services;
  std::vector<UploadedFile> ecg_files;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto& p = parts[i];
    auto name = content_type_param(p.disposition, "filename").value_or("part " + std::to_string(i + 1));
    auto bytes = std::span(reinterpret_cast<const std::uint8_t*>(p.body.data()), p.body.size());
    if (!is_dicom_part10(bytes) && p.body.size() <= kMaxEcgFileBytes) {
      ecg_files.push_back({name, {bytes.begin(), bytes.end()}});
      continue;
    }
    auto temp = s.instances->new_temp_path();
    if (!write_file(temp, p.body))
      throw HttpError(ErrorCode::StorageFailure, "The server could not write the upload to its storage (disk full?).");
    results.push_back(ingest_one(s, temp, session.clinic_id, source, name));
  }
  ingest_ecg_files(s, session, std::move(ecg_files), source, results);
}

/// The optional "patient" object of an upload session: who a non-DICOM ECG without demographics is of.
ecg::PatientInfo upload_patient(const nlohmann::json& body) {
  ecg::PatientInfo p;
  if (!body.contains("patient") || body["patient"].is_null()) return p;
  const auto& j = body["patient"];
  if (!j.is_object()) throw HttpError(ErrorCode::BadRequest, "'patient' must be an object (name, id, sex, birth_date).");
  for (auto [key, field, max] : {std::tuple{"name", &p.name, 64}, std::tuple{"id", &p.id, 64},
                                 std::tuple{"sex", &p.sex, 16}, std::tuple{"birth_date", &p.birth_date, 10}}) {
    if (!j.contains(key) || j[key].is_null()) continue;
    if (!j[key].is_string() || j[key].get<std::string>().size() > std::size_t(max))
      throw HttpError(ErrorCode::BadRequest, std::string("'patient.") + key + "' must be a string of at most " +
                                                 std::to_string(max) + " characters.");
    *field = j[key];
  }
  if (!p.sex.empty() && p.sex != "M" && p.sex != "F" && p.sex != "O")
    throw HttpError(ErrorCode::BadRequest, "'patient.sex' must be M, F or O.");
  std::string d;
  for (char c : p.birth_date)
    if (c != '-') d.push_back(c);
  if (!p.birth_date.empty() && (d.size() != 8 || d.find_first_not_of("0123456789") != std::string::npos))
    throw HttpError(ErrorCode::BadRequest, "'patient.birth_date' must be a date, YYYY-MM-DD or YYYYMMDD.");
  p.birth_date = d;
  return p;
}

}  // namespace

void add_upload_routes(Router& router) {

  router.add({.method = "POST", .pattern = "/api/uploads", .roles = kClinicStaff}, [](RequestContext& ctx) {
    auto clinic = uploading_clinic(ctx);
    auto body = ctx.req.body.empty() ? nlohmann::json::object() : ctx.json_body();
    auto priority = dicom::exam_priority_from(body.value("priority", "routine"));
    if (!priority) throw HttpError(ErrorCode::BadRequest, "'priority' must be stat, urgent or routine.");
    // The patient's national ID (身份证号, 15 or 18 characters, digits and a final X) for prior-exam matching
    // across clinics; optional.
    std::string national_id = body.contains("national_id") && body["national_id"].is_string()
                                  ? body["national_id"].get<std::string>() : std::string();
    for (auto& ch : national_id) ch = static_cast<char>(ch == 'x' ? 'X' : ch);
    if (!national_id.empty() &&
        ((national_id.size() != 15 && national_id.size() != 18) ||
         national_id.find_first_not_of("0123456789") < national_id.size() - 1 ||
         national_id.find_first_not_of("0123456789X", national_id.size() - 1) != std::string::npos))
      throw HttpError(ErrorCode::BadRequest, "'national_id' must be a 15- or 18-character resident ID number.");
    auto patient = upload_patient(body);
    std::string id = new_id();
    auto& s = ctx.services;
    auto r = s.db->write([&](db::Txn& t) -> Result<void> {
      TELEDX_TRY(t.exec(
          "INSERT INTO uploads (id, clinic_id, user_id, reason, history, priority, created_ms, completed_ms, "
          "national_id) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)",
          {id, clinic, ctx.who().user.id, body.value("reason", ""), body.value("history", ""),
           std::string(dicom::to_string(*priority)), s.clock.now_ms(), national_id}));
      return patient.empty() ? ok() : save_ecg_session_patient(t, id, patient);
    });
    if (!r.ok()) throw HttpError(r.error());
    return HttpResponse::json(201, {{"upload_id", id}, {"priority", dicom::to_string(*priority)}});
  });

  router.add({.method = "POST", .pattern = "/api/uploads/{id}/files", .roles = kClinicStaff, .body_limit = kMaxUpload,
              .stream_body_to_file = true},
             [](RequestContext& ctx) {
               auto clinic = uploading_clinic(ctx);
               auto& s = ctx.services;
               auto up = unwrap(s.db->query(
                   "SELECT completed_ms, reason, history, priority FROM uploads WHERE id = ? AND clinic_id = ?",
                   {ctx.param("id"), clinic}));
               if (up.empty()) throw HttpError(ErrorCode::NotFound, "There is no such upload for your clinic.");
               auto ct = ctx.req.header("content-type").value_or("application/dicom");
               std::string name = ctx.req.query_param("name").value_or("upload");
               std::error_code size_ec;  // the size is taken before ingest moves the spooled body away
               const auto body_size = static_cast<std::int64_t>(std::filesystem::file_size(ctx.req.body_file, size_ec));
               std::string source = "upload:" + ctx.who().user.username;
               nlohmann::json results = nlohmann::json::array();
               auto session = load_ecg_session(s, ctx.param("id"), clinic);
               std::uint8_t head[4096] = {};
               std::size_t head_n = 0;
               if (int fd = ::open(ctx.req.body_file.c_str(), O_RDONLY | O_CLOEXEC); fd >= 0) {
                 head_n = static_cast<std::size_t>(std::max<ssize_t>(::read(fd, head, sizeof head), 0));
                 ::close(fd);
               }
               if (ct.find("zip") != std::string::npos) {
                 ingest_zip(ctx, session, source, results);
               } else if (ct.rfind("multipart/form-data", 0) == 0) {
                 ingest_form(ctx, session, ct, source, results);
               } else if (is_dicom_part10({head, head_n}) ||
                          (ct.find("application/dicom") == 0 && !looks_like_ecg({head, head_n}, name))) {
                 // The spooled body is the file: hand it over instead of copying it.
                 auto temp = s.instances->new_temp_path();
                 std::error_code ec;
                 std::filesystem::rename(ctx.req.body_file, temp, ec);
                 if (ec) throw HttpError(ErrorCode::StorageFailure, "The server could not keep the upload (disk full?).");
                 results.push_back(ingest_one(s, temp, clinic, source, name));
               } else if (ct.rfind("application/", 0) == 0 || ct.rfind("text/", 0) == 0) {
                 // Not DICOM: an ECG file (aECG/MUSE/Philips XML, SCP-ECG, CSV); its format is told by content.
                 ingest_ecg_files(s, session, {{name, read_spooled(ctx.req.body_file, kMaxEcgFileBytes)}}, source,
                                  results);
               } else {
                 throw HttpError(ErrorCode::UnsupportedMediaType,
                                 "Upload a DICOM file as application/dicom, an ECG file (XML, SCP-ECG, CSV) as "
                                 "application/octet-stream, several files as multipart/form-data, or a folder as "
                                 "application/zip.");
               }
               std::map<std::string, int> per_study;
               int stored = 0, failed = 0;
               for (const auto& r : results) {
                 if (r["status"] == "failed") ++failed;
                 else if (r["status"] == "skipped") continue;
                 else {
                   ++stored;
                   ++per_study[r["study_instance_uid"]];
                 }
               }
               // The exam request travels with the study from its first file on, so a study completed by the
               // stable timer before the browser says "complete" still carries reason and priority.
               dicom::ExamRequest request{up[0].text(1), up[0].text(2),
                                          dicom::exam_priority_from(up[0].text(3)).value_or(dicom::ExamPriority::Routine)};
               for (const auto& [study, count] : per_study)
                 if (auto r = s.instances->set_exam_request(study, clinic, request); !r.ok()) throw HttpError(r.error());
               auto w = s.db->write([&](db::Txn& t) -> Result<void> {
                 for (const auto& [study, count] : per_study) {
                   auto r = t.exec("INSERT INTO upload_studies (upload_id, study_uid, instances) VALUES (?, ?, ?) "
                                   "ON CONFLICT (upload_id, study_uid) DO UPDATE SET instances = upload_studies.instances + excluded.instances",
                                   {ctx.param("id"), study, std::int64_t{count}});
                   if (!r.ok()) return r.error();
                 }
                 // Which files this session has received, so a browser that reloaded (or another one) resends
                 // only the rest: GET /api/uploads/{id}/files.
                 auto f = t.exec("INSERT INTO upload_files (upload_id, name, size, stored, failed, received_ms) "
                                 "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (upload_id, name) DO UPDATE SET "
                                 "size = excluded.size, stored = excluded.stored, failed = excluded.failed, "
                                 "received_ms = excluded.received_ms",
                                 {ctx.param("id"), name, size_ec ? std::int64_t{-1} : body_size, std::int64_t{stored},
                                  std::int64_t{failed}, s.clock.now_ms()});
                 if (!f.ok()) return f.error();
                 return {};
               });
               if (!w.ok()) throw HttpError(w.error());
               for (const auto& [study, count] : per_study)
                 (void)s.audit->append({ctx.who().user.username, "store", "study:" + study, ctx.req.remote,
                                        "upload " + std::to_string(count) + " instance(s)"});
               int status = failed == 0 ? 200 : stored == 0 ? 400 : 207;
               if (stored == 0 && failed == 0)
                 throw HttpError(ErrorCode::BadRequest, "The upload contained no DICOM or ECG files.");
               return HttpResponse::json(status, {{"stored", stored}, {"failed", failed}, {"files", results}});
             });

  router.add({.method = "GET", .pattern = "/api/uploads/{id}", .roles = kClinicStaff}, [](RequestContext& ctx) {
    auto clinic = uploading_clinic(ctx);
    auto& s = ctx.services;
    auto up = unwrap(s.db->query(
        "SELECT reason, history, priority, created_ms, completed_ms FROM uploads WHERE id = ? AND clinic_id = ?",
        {ctx.param("id"), clinic}));
    if (up.empty()) throw HttpError(ErrorCode::NotFound, "There is no such upload for your clinic.");
    auto studies = unwrap(s.db->query("SELECT study_uid, instances FROM upload_studies WHERE upload_id = ? ORDER BY study_uid",
                                      {ctx.param("id")}));
    nlohmann::json st = nlohmann::json::array();
    for (const auto& r : studies) st.push_back({{"study_instance_uid", r.text(0)}, {"instances", r.integer(1)}});
    return HttpResponse::json(200, {{"upload_id", ctx.param("id")},
                                    {"reason", up[0].text(0)},
                                    {"history", up[0].text(1)},
                                    {"priority", up[0].text(2)},
                                    {"created_at", format_iso8601(up[0].integer(3))},
                                    {"completed", up[0].integer(4) != 0},
                                    {"studies", st}});
  });

  router.add({.method = "GET", .pattern = "/api/uploads/{id}/files", .roles = kClinicStaff}, [](RequestContext& ctx) {
    auto clinic = uploading_clinic(ctx);
    auto& s = ctx.services;
    auto up = unwrap(s.db->query("SELECT completed_ms FROM uploads WHERE id = ? AND clinic_id = ?", {ctx.param("id"), clinic}));
    if (up.empty()) throw HttpError(ErrorCode::NotFound, "There is no such upload for your clinic.");
    auto rows = unwrap(s.db->query("SELECT name, size, stored, failed, received_ms FROM upload_files WHERE upload_id = ? "
                                   "ORDER BY name", {ctx.param("id")}));
    nlohmann::json files = nlohmann::json::array();
    for (const auto& r : rows)
      files.push_back({{"name", r.text(0)}, {"size", r.integer(1)}, {"stored", r.integer(2)}, {"failed", r.integer(3)},
                       {"received_at", format_iso8601(r.integer(4))}});
    return HttpResponse::json(200, {{"upload_id", ctx.param("id")}, {"completed", up[0].integer(0) != 0}, {"files", files}});
  });

  router.add({.method = "POST", .pattern = "/api/uploads/{id}/complete", .roles = kClinicStaff},
             [](RequestContext& ctx) {
               auto clinic = uploading_clinic(ctx);
               auto& s = ctx.services;
               auto up = unwrap(s.db->query("SELECT id FROM uploads WHERE id = ? AND clinic_id = ?",
                                            {ctx.param("id"), clinic}));
               if (up.empty()) throw HttpError(ErrorCode::NotFound, "There is no such upload for your clinic.");
               auto studies = unwrap(s.db->query("SELECT study_uid FROM upload_studies WHERE upload_id = ?", {ctx.param("id")}));
               if (studies.empty())
                 throw HttpError(ErrorCode::Conflict, "Nothing was stored in this upload yet; send the files first.");
               nlohmann::json done = nlohmann::json::array();
               for (const auto& row : studies) {
                 auto uid = row.text(0);
                 auto c = unwrap(s.instances->mark_study_done(uid, clinic));
                 if (c) {
                   if (auto r = create_reading_tasks(s, *c); !r.ok()) throw HttpError(r.error());
                 }
                 done.push_back(uid);
               }
               (void)s.db->exec("UPDATE uploads SET completed_ms = ? WHERE id = ?", {s.clock.now_ms(), ctx.param("id")});
               return HttpResponse::json(200, {{"upload_id", ctx.param("id")}, {"completed_studies", done}});
             });
}

std::vector<db::Migration> upload_migrations() {
  return {{1, "browser upload sessions",
           "CREATE TABLE uploads (id TEXT PRIMARY KEY, clinic_id INTEGER NOT NULL, user_id INTEGER NOT NULL, "
           "reason TEXT NOT NULL, history TEXT NOT NULL, priority TEXT NOT NULL, created_ms INTEGER NOT NULL, "
           "completed_ms INTEGER NOT NULL);"
           "CREATE TABLE upload_studies (upload_id TEXT NOT NULL REFERENCES uploads(id), study_uid TEXT NOT NULL, "
           "instances INTEGER NOT NULL, PRIMARY KEY (upload_id, study_uid));"},
          {2, "patient national ID on the exam request",
           "ALTER TABLE uploads ADD COLUMN national_id TEXT NOT NULL DEFAULT '';"
           "CREATE INDEX upload_studies_study ON upload_studies (study_uid);"},
          {3, "files received per upload (resuming in the browser)",
           "CREATE TABLE upload_files (upload_id TEXT NOT NULL REFERENCES uploads(id), name TEXT NOT NULL, "
           "size INTEGER NOT NULL, stored INTEGER NOT NULL, failed INTEGER NOT NULL, received_ms INTEGER NOT NULL, "
           "PRIMARY KEY (upload_id, name));"}};
}

}  // namespace teledx::server
