#pragma once
// Non-DICOM ECG uploads (HL7 aECG, SCP-ECG, GE MUSE XML, Philips XML, WFDB, CSV): each ECG is read with the ecg
// readers and converted into a DICOM ECG waveform instance (original kept inside), which then takes the same
// ingest path as a DICOM upload, so routing, completion and the machine analysis are unchanged.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "teledx/ecg/dicom_writer.hpp"
#include "teledx/server/services.hpp"

namespace teledx::server {

/// The upload session's exam data that a converted ECG needs.
struct EcgUploadSession {
  std::string id;
  std::int64_t clinic_id = 0;
  ecg::PatientInfo patient;  // from the session's form; the file's own demographics take precedence
  std::string study_uid;     // the session's ECG study, once its first ECG was converted ("" before)
};

/// One uploaded file (a request body, a zip entry or a form part).
struct UploadedFile {
  std::string name;
  std::vector<std::uint8_t> bytes;
};

/// Schema of the "ecg_uploads" module: the patient an upload session's form names, and the session's ECG study.
std::vector<db::Migration> ecg_upload_migrations();
/// Records the form's patient of a new upload session (inside the transaction creating it).
Result<void> save_ecg_session_patient(db::Txn& txn, const std::string& upload_id, const ecg::PatientInfo& p);
/// The session as the ECG conversion needs it (empty patient and study when the form gave none).
EcgUploadSession load_ecg_session(Services& s, const std::string& upload_id, std::int64_t clinic_id);

/// A DICOM Part 10 file (the "DICM" marker at byte 128).
bool is_dicom_part10(std::span<const std::uint8_t> head);
/// Whether the first bytes (up to 4 KiB) and the name look like a non-DICOM ECG format: the web front end posts
/// every single file as application/dicom, so the content type alone cannot tell.
bool looks_like_ecg(std::span<const std::uint8_t> head, std::string_view name);
/// Largest non-DICOM ECG file accepted (read whole into memory by the readers).
inline constexpr std::size_t kMaxEcgFileBytes = std::size_t{64} << 20;

/// A converted ECG ready for ingest, or the per-file JSON result of a refusal.
struct ConvertedEcg {
  bool ok = false;
  std::filesystem::path dicom;  // in tmp/, to be handed to the instance store
  nlohmann::json info;          // {"converted_from", "source_files", "leads", "duration_s", "patient_from"}
  nlohmann::json failure;       // per-file result with status "failed" and the reason, when !ok
};

/// Groups the files into ECGs (a WFDB .hea with the signal files it names; every other file alone; WFDB
/// annotation files beside a record are reported as skipped) and converts each one. Never throws for bad input:
/// every problem is a "failed" entry naming the file and what is wrong. Stores the session's ECG study UID on
/// first use so that all ECGs of one session form one exam.
std::vector<ConvertedEcg> convert_ecg_files(Services& s, EcgUploadSession& session, std::vector<UploadedFile> files);

}  // namespace teledx::server
