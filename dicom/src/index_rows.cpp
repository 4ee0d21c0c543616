// Why the statements look as they do: each instance's transaction is on the acknowledgement's path, and every
// B-tree page it touches is one more 4 KiB WAL frame. SQLite rewrites the entry of every index whose column an
// UPDATE names, whether or not the value changes, so the study row is updated with only the columns that do
// change, and the patient row not at all when nothing about the patient changed.
#include "index_rows.hpp"

#include <algorithm>
#include <array>
#include <set>
#include <tuple>
#include <utility>

namespace teledx::dicom::detail {
namespace {

std::string join_modalities(const std::set<std::string>& set) {
  std::string out;
  for (const auto& m : set) out += (out.empty() ? "" : "\\") + m;
  return out;
}

std::set<std::string> split_modalities(const std::string& s) {
  std::set<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    const std::size_t end = std::min(s.find('\\', start), s.size());
    if (end > start) out.insert(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// Study columns read before the update, in this order.
constexpr const char* kStudyNow =
    "clinic_id, modalities, instance_count, patient_id, patient_name, patient_sex, patient_birth_date, accession, "
    "study_date, study_time, study_description, study_id, referring_physician, has_images, has_ecg, "
    "first_received_ms, last_received_ms, pending, patient_age";
enum StudyNow {
  kClinic, kModalities, kInstanceCount, kPatientId, kPatientName, kPatientSex, kBirthDate, kAccession,
  kStudyDate, kStudyTime, kStudyDescription, kStudyId, kReferring, kHasImages, kHasEcg, kFirstReceived,
  kLastReceived, kPending, kPatientAge
};

Result<void> insert_study(db::Txn& txn, const InstanceMeta& m, std::int64_t image, std::int64_t ecg) {
  auto r = txn.exec(
      "INSERT INTO dicom_studies (study_uid, clinic_id, patient_id, patient_name, patient_sex, "
      "patient_birth_date, accession, study_date, study_time, study_description, study_id, referring_physician, "
      "modalities, series_count, instance_count, has_images, has_ecg, first_received_ms, last_received_ms, "
      "pending, patient_age) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 1, ?, ?, ?, ?, 1, ?)",
      {m.study_uid, m.clinic_id, m.patient_id, m.patient_name, m.patient_sex, m.patient_birth_date, m.accession,
       m.study_date, m.study_time, m.study_description, m.study_id, m.referring_physician, m.modality, image, ecg,
       m.received_ms, m.received_ms, m.patient_age});
  if (!r.ok()) return r.error();
  return ok();
}

// A row made by set_exam_request before any instance has empty attributes: the first instance fills them, and
// any later one fills those still empty. Counts always move; the rest only when it changes.
Result<void> update_study(db::Txn& txn, const db::Row& now, const InstanceMeta& m, bool new_series,
                          std::int64_t image, std::int64_t ecg) {
  std::string sql = "UPDATE dicom_studies SET instance_count = instance_count + 1";
  db::Params params;
  const auto set = [&](const char* column, db::Value v) {
    sql += std::string(", ") + column + " = ?";
    params.push_back(std::move(v));
  };
  if (new_series) sql += ", series_count = series_count + 1";
  if (now.integer(kInstanceCount) == 0 && now.text(kPatientId) != m.patient_id) set("patient_id", m.patient_id);
  const std::array<std::tuple<const char*, int, const std::string*>, 10> fill{{
      {"patient_name", kPatientName, &m.patient_name},
      {"patient_age", kPatientAge, &m.patient_age},
      {"patient_sex", kPatientSex, &m.patient_sex},
      {"patient_birth_date", kBirthDate, &m.patient_birth_date},
      {"accession", kAccession, &m.accession},
      {"study_date", kStudyDate, &m.study_date},
      {"study_time", kStudyTime, &m.study_time},
      {"study_description", kStudyDescription, &m.study_description},
      {"study_id", kStudyId, &m.study_id},
      {"referring_physician", kReferring, &m.referring_physician},
  }};
  for (const auto& [column, index, value] : fill) {
    if (!value->empty() && now.text(index).empty()) set(column, *value);
  }
  std::set<std::string> modalities = split_modalities(now.text(kModalities));
  if (!m.modality.empty() && modalities.insert(m.modality).second) set("modalities", join_modalities(modalities));
  if (image && now.integer(kHasImages) == 0) set("has_images", std::int64_t{1});
  if (ecg && now.integer(kHasEcg) == 0) set("has_ecg", std::int64_t{1});
  if (now.integer(kFirstReceived) == 0) set("first_received_ms", m.received_ms);
  // The latest arrival counts (recovery may replay an older one after newer ones).
  if (m.received_ms > now.integer(kLastReceived)) set("last_received_ms", m.received_ms);
  if (now.integer(kPending) != 1) set("pending", std::int64_t{1});
  sql += " WHERE study_uid = ?";
  params.push_back(m.study_uid);
  auto r = txn.exec(sql, params);
  if (!r.ok()) return r.error();
  return ok();
}

}  // namespace

Result<void> insert_rows(db::Txn& txn, const InstanceMeta& m, ContentKind kind, const std::string& json) {
  // Another clinic's study must not receive this clinic's instances (the clinic comes from the sender).
  auto study = txn.query(std::string("SELECT ") + kStudyNow + " FROM dicom_studies WHERE study_uid = ?",
                         {m.study_uid});
  TELEDX_TRY(study);
  if (!study->empty() && study->front().integer(kClinic) != m.clinic_id) {
    return make_error(ErrorCode::Conflict,
                      "Study " + m.study_uid + " was already sent by another clinic; this instance was not stored.");
  }
  auto series = txn.query("SELECT study_uid FROM dicom_series WHERE series_uid = ?", {m.series_uid});
  TELEDX_TRY(series);
  if (!series->empty() && series->front().text(0) != m.study_uid) {
    return make_error(ErrorCode::InvalidDicom, "Series " + m.series_uid + " already belongs to another study (" +
                                                   series->front().text(0) + "); this instance was not stored.");
  }
  // last_seen_ms moves at most once a minute: it says when the patient was last seen, not which instance.
  TELEDX_TRY(txn.exec(
      "INSERT INTO dicom_patients (clinic_id, patient_id, patient_name, patient_sex, patient_birth_date, "
      "last_seen_ms) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (clinic_id, patient_id) DO UPDATE SET "
      "patient_name = excluded.patient_name, patient_sex = excluded.patient_sex, "
      "patient_birth_date = excluded.patient_birth_date, last_seen_ms = excluded.last_seen_ms "
      "WHERE dicom_patients.patient_name <> excluded.patient_name OR dicom_patients.patient_sex <> "
      "excluded.patient_sex OR dicom_patients.patient_birth_date <> excluded.patient_birth_date OR "
      "dicom_patients.last_seen_ms < excluded.last_seen_ms - 60000",
      {m.clinic_id, m.patient_id, m.patient_name, m.patient_sex, m.patient_birth_date, m.received_ms}));

  const bool new_series = series->empty();
  const std::int64_t image = kind == ContentKind::Image ? 1 : 0;
  const std::int64_t ecg = kind == ContentKind::Ecg ? 1 : 0;
  if (study->empty()) {
    TELEDX_TRY(insert_study(txn, m, image, ecg));
  } else {
    TELEDX_TRY(update_study(txn, study->front(), m, new_series, image, ecg));
  }
  if (new_series) {
    TELEDX_TRY(txn.exec(
        "INSERT INTO dicom_series (series_uid, study_uid, clinic_id, modality, series_number, series_description, "
        "body_part, instance_count, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)",
        {m.series_uid, m.study_uid, m.clinic_id, m.modality, m.series_number, m.series_description, m.body_part,
         m.received_ms}));
  } else {
    TELEDX_TRY(txn.exec("UPDATE dicom_series SET instance_count = instance_count + 1 WHERE series_uid = ?",
                        {m.series_uid}));
  }
  TELEDX_TRY(txn.exec(
      "INSERT INTO dicom_instances (sop_uid, series_uid, study_uid, clinic_id, sop_class_uid, instance_number, "
      "number_of_frames, rows_count, columns_count, transfer_syntax, size, sha256, file_key, source, received_ms, "
      "content_kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {m.sop_uid, m.series_uid, m.study_uid, m.clinic_id, m.sop_class_uid, m.instance_number, m.number_of_frames,
       m.rows, m.columns, m.transfer_syntax, m.size, m.sha256, m.file_key, m.source, m.received_ms,
       std::string(to_string(kind))}));
  if (!json.empty()) {
    TELEDX_TRY(txn.exec("INSERT INTO dicom_instance_metadata (sop_uid, json) VALUES (?, ?)", {m.sop_uid, json}));
  }
  return ok();
}

}  // namespace teledx::dicom::detail
