#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "teledx/core/clock.hpp"
#include "teledx/core/database.hpp"
#include "teledx/core/file_store.hpp"
#include "teledx/core/latency_histogram.hpp"
#include "teledx/core/result.hpp"

namespace teledx::dicom {

/// Where the time of each stored instance goes, for /metrics: an operator can tell a slow disk (flush) from a
/// slow network (receive) or a busy index. Stored instances only; refusals and duplicates are not timed.
struct IngestTimings {
  LatencyHistogram receive;  // a C-STORE dataset from its first PDU to its last (recorded by the SCP)
  LatencyHistogram check;    // parse, validation and the duplicate lookup
  LatencyHistogram flush;    // making the bytes durable: a landing slot's seal, or a temp file's fsync and rename
  LatencyHistogram index;    // the index transaction, including any wait for the flush to finish
  LatencyHistogram total;    // from the file received to the answer allowed (check + flush/index)
};

/// Exam priority given by the sending clinic with its request.
enum class ExamPriority { Routine, Urgent, Stat };
std::string_view to_string(ExamPriority p);                     // "routine", "urgent", "stat"
std::optional<ExamPriority> exam_priority_from(std::string_view s);

/// What the clinic asks the reading center (entered at upload, or later).
struct ExamRequest {
  std::string reason;   // reason for exam
  std::string history;  // clinical history
  ExamPriority priority = ExamPriority::Routine;
};

/// Everything the index keeps about one stored instance (texts as in the file, trimmed; "" when absent).
struct InstanceMeta {
  std::string patient_name, patient_id, patient_sex, patient_birth_date;  // birth date YYYYMMDD
  std::string patient_age;  // AS "067Y": carts and modalities often state an age and no birth date
  std::string study_uid, series_uid, sop_uid, sop_class_uid;
  std::string accession, modality, body_part, study_description, series_description;
  std::string study_date, study_time;  // DA "YYYYMMDD", TM "HHMMSS[.ffffff]"
  std::string study_id, referring_physician;
  std::int64_t series_number = 0, instance_number = 0;  // 0 when absent
  std::int64_t number_of_frames = 1, rows = 0, columns = 0;  // rows/columns 0 without pixel data
  std::string transfer_syntax;  // UID from the file meta header
  std::int64_t size = 0;        // bytes of the stored file
  std::string sha256;           // lowercase hex of the stored file; "" until computed (after a slot's ingest)
  std::int64_t clinic_id = 0;   // from the association / uploading user, never from the file
  std::string source;           // e.g. "dimse:CLINIC1", "stow:clinic1-tech", "upload:clinic1-tech"
  std::int64_t received_ms = 0;
  std::string file_key;         // FileStore key of the Part 10 file
};

struct IngestOutcome {
  enum class Status {
    Stored,              // new instance, durable and indexed
    AlreadyStored,       // same SOP Instance UID with identical bytes: nothing new written (success)
    DuplicateDifferent,  // same SOP Instance UID, different bytes: the first kept, the new bytes dropped (warning)
    OtherStudy,          // not stored: not of the study the caller required (meta describes the refused file)
  };
  Status status = Status::Stored;
  InstanceMeta meta;     // of the instance now in the index (for duplicates: the one kept)
  std::string warning;   // sentence for DuplicateDifferent, "" otherwise
};

/// What to do when a SOP Instance UID arrives again with different bytes.
enum class DuplicatePolicy {
  KeepFirstWarn,   // keep the first; ingest succeeds with Status::DuplicateDifferent (C-STORE warning)
  KeepFirstError,  // keep the first; ingest fails with ErrorCode::DuplicateDifferent
};

struct InstanceStoreOptions {
  DuplicatePolicy duplicates = DuplicatePolicy::KeepFirstWarn;
  /// Files larger than this are refused as InvalidDicom before parsing (absurd sizes).
  std::int64_t max_file_bytes = 4LL << 30;
};

/// Which clinics' data a caller may see: nullopt = every clinic (admin, system); otherwise only these
/// (an empty list sees nothing). Out-of-scope records answer NotFound, as if they did not exist.
using ClinicScope = std::optional<std::vector<std::int64_t>>;

struct StudyRecord {
  std::string study_uid;
  std::int64_t clinic_id = 0;
  std::string patient_name, patient_id, patient_sex, patient_birth_date;
  std::string patient_age;  // the first instance's PatientAge ("067Y"), "" when none states one
  std::string accession, study_date, study_time, study_description, study_id, referring_physician;
  std::vector<std::string> modalities;  // distinct modalities of its series, sorted
  std::int64_t series_count = 0, instance_count = 0;
  std::int64_t first_received_ms = 0, last_received_ms = 0;
  ExamRequest request;
  std::int64_t completed_ms = 0;   // 0 while not yet complete; time of the latest completion otherwise
  bool has_images = false, has_ecg = false;
};

struct SeriesRecord {
  std::string study_uid, series_uid;
  std::int64_t clinic_id = 0;
  std::string modality, series_description, body_part;
  std::int64_t series_number = 0, instance_count = 0;
};

/// QIDO-style filters; every set field must match. Text fields match exactly unless they contain the
/// DICOM wildcards '*' or '?' (patient_name always matches case-insensitively).
struct StudyQuery {
  ClinicScope scope;
  std::vector<std::string> study_uids;  // any of (empty: no filter)
  std::string patient_name, patient_id, accession, study_description, modality;  // modality: in study
  std::string study_date_from, study_date_to;  // inclusive YYYYMMDD bounds, "" = open
  std::int64_t limit = 0, offset = 0;          // limit 0 = no limit
};

struct SeriesQuery {
  ClinicScope scope;
  std::string study_uid;                 // "" = any study
  std::vector<std::string> series_uids;  // any of
  std::string modality, series_description;
  std::optional<std::int64_t> series_number;
  std::int64_t limit = 0, offset = 0;
};

struct InstanceQuery {
  ClinicScope scope;
  std::string study_uid, series_uid;  // "" = any
  std::vector<std::string> sop_uids;  // any of
  std::string sop_class_uid;
  std::optional<std::int64_t> instance_number;
  std::int64_t limit = 0, offset = 0;  // ordered by series, instance number, SOP UID
};

/// A study found complete: stable for the configured time, or declared done by an upload.
struct CompletedStudy {
  std::string study_uid;
  std::int64_t clinic_id = 0;
  bool has_images = false;  // pixel data, encapsulated PDF or SR -> imaging center
  bool has_ecg = false;     // 12-lead / general / ambulatory ECG waveform SOP classes -> ECG center
  ExamRequest request;
  bool updated = false;     // it had been completed before: instances arrived after completion
  std::int64_t completed_ms = 0;
  std::int64_t instance_count = 0;
};

/// The DICOM index (patient -> study -> series -> instance) over the FileStore. Thread-safe.
class InstanceStore {
 public:
  InstanceStore(db::Database& db, FileStore& files, const Clock& clock, InstanceStoreOptions options = {});
  ~InstanceStore();
  InstanceStore(const InstanceStore&) = delete;
  InstanceStore& operator=(const InstanceStore&) = delete;

  /// Schema of module "dicom" (apply after blob_migrations()).
  static std::vector<db::Migration> migrations();

  /// A fresh temp path in the store's tmp/ directory for a producer to write a received file into.
  std::filesystem::path new_temp_path() const;

  /// Where a producer should write the next received file: a landing slot when slots are enabled (one flush
  /// per stored instance), else a fresh temp path. The producer may overwrite (O_TRUNC) but never rename onto
  /// it; either way the path is then given to ingest_file (or removed).
  std::filesystem::path new_landing_path();
  /// As new_landing_path(), but never blocks on the disk: a slot when one is ready, else a temp path (whose
  /// ingest then pays the temp file's flushes on the ingesting thread). For producers on an I/O thread.
  std::filesystem::path ready_landing_path();

  /// Turns landing slots on (under blobs/dicom/); free_slots are the empty slots recovery found. Unavailable
  /// when the filesystem cannot keep a slot's note: the store then keeps using temp files.
  Result<void> enable_landing_slots(const std::vector<std::string>& free_slots);

  /// Parses, validates and stores the Part 10 file at `temp_file` (from new_temp_path() or
  /// new_landing_path()), which is always consumed. Durable before returning ok:
  ///  - temp file: fsynced and renamed, then blob and index rows in one transaction;
  ///  - landing slot: sealed (sender noted, one fsync), then the index rows commit Deferred: should they not
  ///    reach the disk, recover_landed() indexes the sealed slot at the next start.
  /// Errors: InvalidDicom (sentence says what is wrong), Conflict (study belongs to another clinic),
  /// DuplicateDifferent (with KeepFirstError), StorageFailure. Nothing is left behind on error.
  /// With `required_study`, an instance of any other study is not stored (Status::OtherStudy).
  Result<IngestOutcome> ingest_file(const std::filesystem::path& temp_file, std::int64_t clinic_id,
                                    std::string source, std::string_view required_study = {});

  /// Start-up recovery of a sealed slot without index row (see recover_store): indexes it with the clinic and
  /// source of its note, or empties it when its content cannot be stored. True when done either way.
  /// `indexed` hears of each instance indexed this way (the server audits it: the entry written when it was
  /// received may have been lost with the index rows).
  bool recover_landed(const std::string& key,
                      const std::function<void(const InstanceMeta&)>& indexed = {});

  /// Stored instances whose SHA-256 is not in the index yet (computed at idle priority after acknowledgement).
  std::size_t checksums_pending() const;

  /// Stage timings of the instances stored since start (mutable: the SCP records its receive time here).
  IngestTimings& timings() const;

  /// Reads and checks the metadata of a file without storing it (InvalidDicom as ingest_file would).
  Result<InstanceMeta> inspect_file(const std::filesystem::path& file) const;

  // ---- read side (NotFound when unknown or out of scope) ----
  Result<StudyRecord> study(std::string_view study_uid, const ClinicScope& scope = std::nullopt) const;
  Result<SeriesRecord> series(std::string_view series_uid, const ClinicScope& scope = std::nullopt) const;
  Result<InstanceMeta> instance(std::string_view sop_uid, const ClinicScope& scope = std::nullopt) const;
  /// Newest study date first (then most recently received).
  Result<std::vector<StudyRecord>> find_studies(const StudyQuery& q) const;
  /// Ordered by study, series number, series UID.
  Result<std::vector<SeriesRecord>> find_series(const SeriesQuery& q) const;
  Result<std::vector<InstanceMeta>> find_instances(const InstanceQuery& q) const;
  /// FileStore key of an instance's Part 10 file.
  Result<std::string> instance_file_key(std::string_view sop_uid, const ClinicScope& scope = std::nullopt) const;
  /// DICOM JSON (PS3.18 F.2) of each matching instance's dataset, one object per instance, cached at ingest.
  /// Bulk data (pixel data and other binary values over 1 KiB) appear as
  /// "BulkDataURI": "{{instance}}/bulk/<8 hex tag>": replace "{{instance}}" with the instance's WADO-RS URL.
  Result<std::vector<std::string>> metadata_json(const InstanceQuery& q) const;

  // ---- exam request and study completion (the worklist builds reading tasks on these) ----
  /// Records the exam request of a study of this clinic (creates the study row if no instance arrived yet).
  /// NotFound if the study belongs to another clinic.
  Result<void> set_exam_request(std::string_view study_uid, std::int64_t clinic_id, const ExamRequest& request);

  /// Called inside the completion's write transaction: task rows written here commit with the completion.
  /// Returning an error rolls the whole completion back (it is found again next time).
  using CompletionHook = std::function<Result<void>(db::Txn&, const CompletedStudy&)>;
  /// Completes every study with instances not yet covered by a completion whose last instance arrived at
  /// least stable_ms before now_ms; marks them completed at now_ms in one transaction with on_complete.
  Result<std::vector<CompletedStudy>> complete_stable_studies(std::int64_t now_ms, std::int64_t stable_ms,
                                                              const CompletionHook& on_complete = {});
  /// An upload says the study is done: completes it now if it has instances not yet covered by a completion
  /// (nullopt otherwise). NotFound when the study is unknown or belongs to another clinic.
  Result<std::optional<CompletedStudy>> mark_study_done(std::string_view study_uid, std::int64_t clinic_id,
                                                        const CompletionHook& on_complete = {});

  /// True for the waveform SOP classes read by the ECG center.
  static bool is_ecg_sop_class(std::string_view sop_class_uid);

 private:
  Result<IngestOutcome> ingest(const std::filesystem::path& file, const std::optional<std::string>& slot,
                               std::int64_t clinic_id, std::string source, std::int64_t received_ms, bool recovering,
                               std::string_view required_study = {});
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace teledx::dicom
