// Read side of the index: lookups and QIDO-style listings, always filtered by the caller's clinic scope.
#include <algorithm>
#include <cstdint>
#include <string>

#include "store_internal.hpp"

namespace teledx::dicom {
namespace detail {

const std::string_view kStudyColumns =
    "study_uid, clinic_id, patient_name, patient_id, patient_sex, patient_birth_date, accession, study_date, "
    "study_time, study_description, study_id, referring_physician, modalities, series_count, instance_count, "
    "first_received_ms, last_received_ms, request_reason, request_history, request_priority, completed_ms, "
    "has_images, has_ecg, patient_age";

StudyRecord study_from_row(const db::Row& r) {
  StudyRecord s;
  s.study_uid = r.text(0);
  s.clinic_id = r.integer(1);
  s.patient_name = r.text(2);
  s.patient_id = r.text(3);
  s.patient_sex = r.text(4);
  s.patient_birth_date = r.text(5);
  s.accession = r.text(6);
  s.study_date = r.text(7);
  s.study_time = r.text(8);
  s.study_description = r.text(9);
  s.study_id = r.text(10);
  s.referring_physician = r.text(11);
  const std::string modalities = r.text(12);
  for (std::size_t start = 0; start < modalities.size();) {
    const std::size_t end = std::min(modalities.find('\\', start), modalities.size());
    if (end > start) s.modalities.push_back(modalities.substr(start, end - start));
    start = end + 1;
  }
  s.series_count = r.integer(13);
  s.instance_count = r.integer(14);
  s.first_received_ms = r.integer(15);
  s.last_received_ms = r.integer(16);
  s.request.reason = r.text(17);
  s.request.history = r.text(18);
  s.request.priority = exam_priority_from(r.text(19)).value_or(ExamPriority::Routine);
  s.completed_ms = r.integer(20);
  s.has_images = r.integer(21) != 0;
  s.has_ecg = r.integer(22) != 0;
  s.patient_age = r.text(23);
  return s;
}

const std::string_view kInstanceColumns =
    "t.patient_name, t.patient_id, t.patient_sex, t.patient_birth_date, i.study_uid, i.series_uid, i.sop_uid, "
    "i.sop_class_uid, t.accession, s.modality, s.body_part, t.study_description, s.series_description, "
    "t.study_date, t.study_time, t.study_id, t.referring_physician, s.series_number, i.instance_number, "
    "i.number_of_frames, i.rows_count, i.columns_count, i.transfer_syntax, i.size, i.sha256, i.clinic_id, "
    "i.source, i.received_ms, i.file_key";

InstanceMeta instance_from_row(const db::Row& r) {
  InstanceMeta m;
  m.patient_name = r.text(0);
  m.patient_id = r.text(1);
  m.patient_sex = r.text(2);
  m.patient_birth_date = r.text(3);
  m.study_uid = r.text(4);
  m.series_uid = r.text(5);
  m.sop_uid = r.text(6);
  m.sop_class_uid = r.text(7);
  m.accession = r.text(8);
  m.modality = r.text(9);
  m.body_part = r.text(10);
  m.study_description = r.text(11);
  m.series_description = r.text(12);
  m.study_date = r.text(13);
  m.study_time = r.text(14);
  m.study_id = r.text(15);
  m.referring_physician = r.text(16);
  m.series_number = r.integer(17);
  m.instance_number = r.integer(18);
  m.number_of_frames = r.integer(19);
  m.rows = r.integer(20);
  m.columns = r.integer(21);
  m.transfer_syntax = r.text(22);
  m.size = r.integer(23);
  m.sha256 = r.text(24);
  m.clinic_id = r.integer(25);
  m.source = r.text(26);
  m.received_ms = r.integer(27);
  m.file_key = r.text(28);
  return m;
}

bool append_scope(std::string& sql, db::Params& params, std::string_view column, const ClinicScope& scope) {
  if (!scope) return true;
  if (scope->empty()) return false;
  sql += " AND " + std::string(column) + " IN (";
  for (std::size_t i = 0; i < scope->size(); ++i) {
    sql += i ? ", ?" : "?";
    params.emplace_back((*scope)[i]);
  }
  sql += ")";
  return true;
}

void append_match(std::string& sql, db::Params& params, std::string_view column, const std::string& pattern,
                  bool case_insensitive) {
  if (pattern.empty()) return;
  const std::string col = case_insensitive ? "LOWER(" + std::string(column) + ")" : std::string(column);
  const std::string arg = case_insensitive ? "LOWER(?)" : "?";
  if (pattern.find_first_of("*?") == std::string::npos) {
    sql += " AND " + col + " = " + arg;
    params.emplace_back(pattern);
    return;
  }
  // DICOM wildcards -> LIKE, with LIKE's own metacharacters escaped.
  std::string like;
  for (const char c : pattern) {
    if (c == '*') like += '%';
    else if (c == '?') like += '_';
    else if (c == '%' || c == '_' || c == '\\') (like += '\\') += c;
    else like += c;
  }
  sql += " AND " + col + " LIKE " + arg + " ESCAPE '\\'";
  params.emplace_back(like);
}

void append_in(std::string& sql, db::Params& params, std::string_view column, const std::vector<std::string>& values) {
  if (values.empty()) return;
  sql += " AND " + std::string(column) + " IN (";
  for (std::size_t i = 0; i < values.size(); ++i) {
    sql += i ? ", ?" : "?";
    params.emplace_back(values[i]);
  }
  sql += ")";
}

void append_page(std::string& sql, std::int64_t limit, std::int64_t offset) {
  // Both backends accept LIMIT n OFFSET m; "no limit" with an offset needs a large n (no LIMIT -1 / ALL).
  if (limit <= 0 && offset <= 0) return;
  sql += " LIMIT " + std::to_string(limit > 0 ? limit : INT64_MAX) + " OFFSET " + std::to_string(std::max<std::int64_t>(offset, 0));
}

Error not_found(std::string_view what, std::string_view uid) {
  return make_error(ErrorCode::NotFound, std::string(what) + " " + std::string(uid) + " was not found.");
}

}  // namespace detail

using namespace detail;

namespace {

// Builds the WHERE of an instance listing (tables i, s, t as in kInstanceColumns); false: nothing visible.
bool instance_where(const InstanceQuery& q, std::string& sql, db::Params& params) {
  sql += " WHERE 1 = 1";
  if (!append_scope(sql, params, "i.clinic_id", q.scope)) return false;
  if (!q.study_uid.empty()) {
    sql += " AND i.study_uid = ?";
    params.emplace_back(q.study_uid);
  }
  if (!q.series_uid.empty()) {
    sql += " AND i.series_uid = ?";
    params.emplace_back(q.series_uid);
  }
  append_in(sql, params, "i.sop_uid", q.sop_uids);
  append_match(sql, params, "i.sop_class_uid", q.sop_class_uid);
  if (q.instance_number) {
    sql += " AND i.instance_number = ?";
    params.emplace_back(*q.instance_number);
  }
  sql += " ORDER BY s.series_number, i.series_uid, i.instance_number, i.sop_uid";
  append_page(sql, q.limit, q.offset);
  return true;
}

constexpr std::string_view kInstanceFrom =
    " FROM dicom_instances i JOIN dicom_series s ON s.series_uid = i.series_uid"
    " JOIN dicom_studies t ON t.study_uid = i.study_uid";

}  // namespace

Result<StudyRecord> InstanceStore::study(std::string_view study_uid, const ClinicScope& scope) const {
  StudyQuery q;
  q.scope = scope;
  q.study_uids = {std::string(study_uid)};
  auto found = find_studies(q);
  TELEDX_TRY(found);
  if (found->empty()) return not_found("Study", study_uid);
  return std::move(found->front());
}

Result<SeriesRecord> InstanceStore::series(std::string_view series_uid, const ClinicScope& scope) const {
  SeriesQuery q;
  q.scope = scope;
  q.series_uids = {std::string(series_uid)};
  auto found = find_series(q);
  TELEDX_TRY(found);
  if (found->empty()) return not_found("Series", series_uid);
  return std::move(found->front());
}

Result<InstanceMeta> InstanceStore::instance(std::string_view sop_uid, const ClinicScope& scope) const {
  InstanceQuery q;
  q.scope = scope;
  q.sop_uids = {std::string(sop_uid)};
  auto found = find_instances(q);
  TELEDX_TRY(found);
  if (found->empty()) return not_found("Instance", sop_uid);
  return std::move(found->front());
}

Result<std::vector<StudyRecord>> InstanceStore::find_studies(const StudyQuery& q) const {
  // A study row made by set_exam_request before any instance arrived is not a study yet.
  std::string sql = "SELECT " + std::string(kStudyColumns) + " FROM dicom_studies WHERE instance_count > 0";
  db::Params params;
  if (!append_scope(sql, params, "clinic_id", q.scope)) return std::vector<StudyRecord>{};
  append_in(sql, params, "study_uid", q.study_uids);
  append_match(sql, params, "patient_name", q.patient_name, true);
  append_match(sql, params, "patient_id", q.patient_id);
  append_match(sql, params, "accession", q.accession);
  append_match(sql, params, "study_description", q.study_description, true);
  if (!q.modality.empty()) {
    // modalities is a sorted backslash-separated list: match one whole entry.
    sql += " AND ('\\' || modalities || '\\') LIKE ? ESCAPE '!'";
    std::string like = "%\\";
    for (const char c : q.modality) {
      if (c == '%' || c == '_' || c == '!') like += '!';
      like += c;
    }
    params.emplace_back(like + "\\%");
  }
  if (!q.study_date_from.empty()) {
    sql += " AND study_date >= ?";
    params.emplace_back(q.study_date_from);
  }
  if (!q.study_date_to.empty()) {
    sql += " AND study_date <= ? AND study_date <> ''";
    params.emplace_back(q.study_date_to);
  }
  sql += " ORDER BY study_date DESC, last_received_ms DESC, study_uid";
  append_page(sql, q.limit, q.offset);
  auto rows = impl_->db.query(sql, params);
  TELEDX_TRY(rows);
  std::vector<StudyRecord> out;
  out.reserve(rows->size());
  for (const auto& r : *rows) out.push_back(study_from_row(r));
  return out;
}

Result<std::vector<SeriesRecord>> InstanceStore::find_series(const SeriesQuery& q) const {
  std::string sql =
      "SELECT study_uid, series_uid, clinic_id, modality, series_description, body_part, series_number, "
      "instance_count FROM dicom_series WHERE 1 = 1";
  db::Params params;
  if (!append_scope(sql, params, "clinic_id", q.scope)) return std::vector<SeriesRecord>{};
  if (!q.study_uid.empty()) {
    sql += " AND study_uid = ?";
    params.emplace_back(q.study_uid);
  }
  append_in(sql, params, "series_uid", q.series_uids);
  append_match(sql, params, "modality", q.modality);
  append_match(sql, params, "series_description", q.series_description, true);
  if (q.series_number) {
    sql += " AND series_number = ?";
    params.emplace_back(*q.series_number);
  }
  sql += " ORDER BY study_uid, series_number, series_uid";
  append_page(sql, q.limit, q.offset);
  auto rows = impl_->db.query(sql, params);
  TELEDX_TRY(rows);
  std::vector<SeriesRecord> out;
  out.reserve(rows->size());
  for (const auto& r : *rows) {
    out.push_back(SeriesRecord{r.text(0), r.text(1), r.integer(2), r.text(3), r.text(4), r.text(5), r.integer(6),
                               r.integer(7)});
  }
  return out;
}

Result<std::vector<InstanceMeta>> InstanceStore::find_instances(const InstanceQuery& q) const {
  std::string sql = "SELECT " + std::string(kInstanceColumns) + std::string(kInstanceFrom);
  db::Params params;
  if (!instance_where(q, sql, params)) return std::vector<InstanceMeta>{};
  auto rows = impl_->db.query(sql, params);
  TELEDX_TRY(rows);
  std::vector<InstanceMeta> out;
  out.reserve(rows->size());
  for (const auto& r : *rows) out.push_back(instance_from_row(r));
  return out;
}

Result<std::string> InstanceStore::instance_file_key(std::string_view sop_uid, const ClinicScope& scope) const {
  std::string sql = "SELECT file_key FROM dicom_instances WHERE sop_uid = ?";
  db::Params params{std::string(sop_uid)};
  if (!append_scope(sql, params, "clinic_id", scope)) return not_found("Instance", sop_uid);
  auto rows = impl_->db.query(sql, params);
  TELEDX_TRY(rows);
  if (rows->empty()) return not_found("Instance", sop_uid);
  return rows->front().text(0);
}

Result<std::vector<std::string>> InstanceStore::metadata_json(const InstanceQuery& q) const {
  std::string sql = "SELECT m.json" + std::string(kInstanceFrom) +
                    " JOIN dicom_instance_metadata m ON m.sop_uid = i.sop_uid";
  db::Params params;
  if (!instance_where(q, sql, params)) return std::vector<std::string>{};
  auto rows = impl_->db.query(sql, params);
  TELEDX_TRY(rows);
  std::vector<std::string> out;
  out.reserve(rows->size());
  for (const auto& r : *rows) out.push_back(r.text(0));
  return out;
}

}  // namespace teledx::dicom
