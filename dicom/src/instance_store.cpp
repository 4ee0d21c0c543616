// Ingest: parse and validate, make the file durable, then index it in one transaction.
#include "teledx/dicom/instance_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <cerrno>
#include <memory>
#include <system_error>

#include "dicom_file.hpp"
#include "index_rows.hpp"
#include "store_internal.hpp"
#include "teledx/core/log.hpp"
#include "teledx/dicom/store_scp.hpp"

namespace teledx::dicom {
namespace fs = std::filesystem;
namespace {

constexpr const char* kStorageFailed =
    "The server could not store the instance (storage problem); nothing was kept. Send it again later.";

void remove_temp(const fs::path& p) {
  std::error_code ec;
  fs::remove(p, ec);
  if (ec) log::warn("dicom", "could not remove temp file " + p.string() + ": " + ec.message());
}

// What the index says about a SOP Instance UID already there.
Result<std::optional<InstanceMeta>> find_existing(db::Txn& txn, const std::string& sop_uid) {
  auto rows = txn.query("SELECT " + std::string(detail::kInstanceColumns) +
                            " FROM dicom_instances i JOIN dicom_series s ON s.series_uid = i.series_uid"
                            " JOIN dicom_studies t ON t.study_uid = i.study_uid WHERE i.sop_uid = ?",
                        {sop_uid});
  TELEDX_TRY(rows);
  if (rows->empty()) return std::optional<InstanceMeta>{};
  return std::optional<InstanceMeta>{detail::instance_from_row(rows->front())};
}

}  // namespace

std::string_view to_string(ExamPriority p) {
  switch (p) {
    case ExamPriority::Stat: return "stat";
    case ExamPriority::Urgent: return "urgent";
    case ExamPriority::Routine: break;
  }
  return "routine";
}

std::optional<ExamPriority> exam_priority_from(std::string_view s) {
  if (s == "routine") return ExamPriority::Routine;
  if (s == "urgent") return ExamPriority::Urgent;
  if (s == "stat") return ExamPriority::Stat;
  return std::nullopt;
}

InstanceStore::InstanceStore(db::Database& db, FileStore& files, const Clock& clock, InstanceStoreOptions options)
    : impl_(std::make_unique<Impl>(db, files, clock, options)) {
  // Parsing needs the data dictionary and quiet DCMTK logging even when no SCP runs (STOW, uploads, tools).
  if (auto r = init_dcmtk(); !r.ok()) log::error("dicom", r.error().message);
}

InstanceStore::~InstanceStore() = default;

std::vector<db::Migration> InstanceStore::migrations() {
  // Portable DDL (PostgreSQL runs the same text). Natural keys are the DICOM UIDs; times are ms since the epoch.
  // clinic_id names an institution of the consortium module; no foreign key, so the modules migrate independently.
  return {{1, "DICOM index: patients, studies, series, instances, cached metadata", R"sql(
CREATE TABLE dicom_patients (
  clinic_id INTEGER NOT NULL,
  patient_id TEXT NOT NULL,
  patient_name TEXT NOT NULL DEFAULT '',
  patient_sex TEXT NOT NULL DEFAULT '',
  patient_birth_date TEXT NOT NULL DEFAULT '',
  last_seen_ms BIGINT NOT NULL,
  PRIMARY KEY (clinic_id, patient_id)
);
CREATE TABLE dicom_studies (
  study_uid TEXT PRIMARY KEY,
  clinic_id INTEGER NOT NULL,
  patient_id TEXT NOT NULL DEFAULT '',
  patient_name TEXT NOT NULL DEFAULT '',
  patient_sex TEXT NOT NULL DEFAULT '',
  patient_birth_date TEXT NOT NULL DEFAULT '',
  accession TEXT NOT NULL DEFAULT '',
  study_date TEXT NOT NULL DEFAULT '',
  study_time TEXT NOT NULL DEFAULT '',
  study_description TEXT NOT NULL DEFAULT '',
  study_id TEXT NOT NULL DEFAULT '',
  referring_physician TEXT NOT NULL DEFAULT '',
  modalities TEXT NOT NULL DEFAULT '',
  series_count INTEGER NOT NULL DEFAULT 0,
  instance_count INTEGER NOT NULL DEFAULT 0,
  has_images INTEGER NOT NULL DEFAULT 0,
  has_ecg INTEGER NOT NULL DEFAULT 0,
  first_received_ms BIGINT NOT NULL DEFAULT 0,
  last_received_ms BIGINT NOT NULL DEFAULT 0,
  request_reason TEXT NOT NULL DEFAULT '',
  request_history TEXT NOT NULL DEFAULT '',
  request_priority TEXT NOT NULL DEFAULT 'routine' CHECK (request_priority IN ('routine', 'urgent', 'stat')),
  pending INTEGER NOT NULL DEFAULT 0,
  completed_ms BIGINT NOT NULL DEFAULT 0,
  completion_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX dicom_studies_pending ON dicom_studies(pending, last_received_ms);
CREATE INDEX dicom_studies_clinic ON dicom_studies(clinic_id, study_date);
CREATE INDEX dicom_studies_patient ON dicom_studies(clinic_id, patient_id);
CREATE TABLE dicom_series (
  series_uid TEXT PRIMARY KEY,
  study_uid TEXT NOT NULL REFERENCES dicom_studies(study_uid),
  clinic_id INTEGER NOT NULL,
  modality TEXT NOT NULL DEFAULT '',
  series_number INTEGER NOT NULL DEFAULT 0,
  series_description TEXT NOT NULL DEFAULT '',
  body_part TEXT NOT NULL DEFAULT '',
  instance_count INTEGER NOT NULL DEFAULT 0,
  created_ms BIGINT NOT NULL
);
CREATE INDEX dicom_series_study ON dicom_series(study_uid, series_number);
CREATE TABLE dicom_instances (
  sop_uid TEXT PRIMARY KEY,
  series_uid TEXT NOT NULL REFERENCES dicom_series(series_uid),
  study_uid TEXT NOT NULL REFERENCES dicom_studies(study_uid),
  clinic_id INTEGER NOT NULL,
  sop_class_uid TEXT NOT NULL,
  instance_number INTEGER NOT NULL DEFAULT 0,
  number_of_frames INTEGER NOT NULL DEFAULT 1,
  rows_count INTEGER NOT NULL DEFAULT 0,
  columns_count INTEGER NOT NULL DEFAULT 0,
  transfer_syntax TEXT NOT NULL,
  size BIGINT NOT NULL,
  sha256 TEXT NOT NULL,
  file_key TEXT NOT NULL REFERENCES blobs(key),
  source TEXT NOT NULL,
  received_ms BIGINT NOT NULL,
  content_kind TEXT NOT NULL CHECK (content_kind IN ('image', 'ecg', 'other'))
);
CREATE INDEX dicom_instances_series ON dicom_instances(series_uid, instance_number);
CREATE INDEX dicom_instances_study ON dicom_instances(study_uid);
CREATE TABLE dicom_instance_metadata (
  sop_uid TEXT PRIMARY KEY REFERENCES dicom_instances(sop_uid),
  json TEXT NOT NULL
)
)sql"},
          // Every instance moves its study's last_received_ms: indexed, that rewrote an index page per instance.
          // The completion query reads the few pending studies and orders them itself.
          {2, "DICOM index: the pending-study index holds the flag only", R"sql(
DROP INDEX dicom_studies_pending;
CREATE INDEX dicom_studies_pending ON dicom_studies(pending)
)sql"},
          // The age a cart or modality states without a birth date, for the worklist and the printed pages.
          {3, "DICOM index: studies keep the patient's stated age", R"sql(
ALTER TABLE dicom_studies ADD COLUMN patient_age TEXT NOT NULL DEFAULT ''
)sql"}};
}

fs::path InstanceStore::new_temp_path() const { return impl_->files.new_temp_path(); }

fs::path InstanceStore::new_landing_path() {
  if (impl_->slots.started()) {
    auto key = impl_->slots.take();
    if (key.ok()) return impl_->files.path_of(*key);
    log::warn("dicom", "no landing slot (" + key.error().detail + "); using a temp file");
  }
  return impl_->files.new_temp_path();
}

fs::path InstanceStore::ready_landing_path() {
  if (auto key = impl_->slots.take_ready()) return impl_->files.path_of(*key);
  return impl_->files.new_temp_path();
}

void InstanceStore::Impl::start_flusher() {
  std::lock_guard lock(flush_mutex);
  if (flusher.joinable()) return;
  flusher_stopping = false;
  fixity.start();
  flusher = std::thread([this] {
    std::unique_lock lock(flush_mutex);
    while (!flusher_stopping) {
      flush_wake.wait_for(lock, std::chrono::milliseconds(kFlushIntervalMs), [&] { return flusher_stopping; });
      lock.unlock();
      write_checksums();
      if (deferred_pending.exchange(false)) {
        if (auto r = db.flush(); !r.ok()) {
          log::error("dicom", "could not flush the index: " + r.error().detail);
          deferred_pending = true;
        }
      }
      lock.lock();
    }
  });
}

void InstanceStore::Impl::stop_flusher() {
  {
    std::lock_guard lock(flush_mutex);
    if (!flusher.joinable()) return;
    flusher_stopping = true;
  }
  flush_wake.notify_all();
  flusher.join();
  fixity.stop();  // what it has not hashed keeps "" in the index: the next start's sweep finds it
  write_checksums();
  if (auto r = db.flush(); !r.ok()) log::error("dicom", "could not flush the index: " + r.error().detail);
}

// Deferred, like the rows they complete: a checksum lost in a crash is computed again by the next sweep.
void InstanceStore::Impl::write_checksums() {
  const auto done = fixity.pump();
  if (done.empty()) return;
  const auto r = committer.run(
      [&](db::Txn& txn) -> Result<void> {
        for (const auto& d : done) {
          TELEDX_TRY(txn.exec("UPDATE blobs SET sha256 = ? WHERE key = ? AND sha256 = ''", {d.sha256, d.file_key}));
          TELEDX_TRY(txn.exec("UPDATE dicom_instances SET sha256 = ? WHERE sop_uid = ? AND sha256 = ''",
                              {d.sha256, d.sop_uid}));
        }
        return ok();
      },
      db::Durability::Deferred);
  if (r.ok()) {
    deferred_pending = true;
  } else {
    log::error("dicom", "could not record " + std::to_string(done.size()) + " checksum(s): " + r.error().detail);
  }
  fixity.written(done.size());
}

std::size_t InstanceStore::checksums_pending() const { return impl_->fixity.pending(); }

IngestTimings& InstanceStore::timings() const { return impl_->timings; }

Result<void> InstanceStore::enable_landing_slots(const std::vector<std::string>& free_slots) {
  TELEDX_TRY(impl_->slots.start(free_slots));
  impl_->start_flusher();
  return ok();
}

bool InstanceStore::is_ecg_sop_class(std::string_view sop_class_uid) { return detail::is_ecg_sop_class(sop_class_uid); }

Result<InstanceMeta> InstanceStore::inspect_file(const fs::path& file) const {
  auto parsed = detail::parse_file(file, false);
  TELEDX_TRY(parsed);
  return std::move(parsed->meta);
}

namespace {

// Who sent a landed file, kept with it (the slot's note) so recovery attributes it as ingest would have.
std::string landing_note(std::int64_t clinic_id, const std::string& source, std::int64_t received_ms) {
  return "clinic=" + std::to_string(clinic_id) + "\nreceived=" + std::to_string(received_ms) + "\nsource=" + source;
}

struct LandingNote {
  std::int64_t clinic_id = 0, received_ms = 0;
  std::string source;
};

std::optional<LandingNote> parse_landing_note(const std::string& note) {
  LandingNote n;
  bool has_clinic = false;
  std::size_t start = 0;
  while (start < note.size()) {
    const std::size_t end = std::min(note.find('\n', start), note.size());
    const std::string line = note.substr(start, end - start);
    const std::size_t eq = line.find('=');
    if (eq != std::string::npos) {
      const std::string key = line.substr(0, eq), value = line.substr(eq + 1);
      try {
        if (key == "clinic") n.clinic_id = std::stoll(value), has_clinic = true;
        if (key == "received") n.received_ms = std::stoll(value);
      } catch (const std::exception&) {
        return std::nullopt;
      }
      if (key == "source") n.source = value;
    }
    start = end + 1;
  }
  if (!has_clinic) return std::nullopt;
  return n;
}

}  // namespace

// One path for temp files and landing slots; `slot` is the slot's key, `recovering` replays a sealed slot.
Result<IngestOutcome> InstanceStore::ingest(const fs::path& temp, const std::optional<std::string>& slot,
                                            std::int64_t clinic_id, std::string source, std::int64_t received_ms,
                                            bool recovering, std::string_view required_study) {
  Impl& s = *impl_;
  using SteadyClock = std::chrono::steady_clock;
  const auto started = SteadyClock::now();
  // Nothing of a refused or duplicate file stays: a temp file is deleted, a slot emptied for reuse.
  // A slot is sealed (note + fsync) on another thread while this one parses and checks for a duplicate: who
  // sent it is known before its content is. Sealing content that is then refused is harmless: the slot is
  // emptied, and recovery would refuse it again. The index rows wait for the seal.
  std::future<Result<void>> sealing;
  const auto seal_time = std::make_shared<SteadyClock::duration>();
  if (slot && !recovering) {
    sealing = s.side_jobs.run([&s, key = *slot, note = landing_note(clinic_id, source, received_ms), seal_time] {
      const auto t0 = SteadyClock::now();
      auto r = s.slots.seal(key, note);
      *seal_time = SteadyClock::now() - t0;  // read once the future is ready
      return r;
    });
  }
  const auto sealed = [&]() -> Result<void> { return sealing.valid() ? sealing.get() : ok(); };
  // A slot's checksum is left to the fixity thread, after the acknowledgement. A temp file needs it now (its
  // key is its content's hash): computed beside the parse.
  const bool checksum_later = slot && !recovering;
  std::future<Result<std::string>> hashing;
  const auto discard = [&] {
    if (hashing.valid()) hashing.wait();  // it reads the file about to be emptied or removed
    if (slot) {
      // Wait for the seal first: a late note must never land on the slot's next use.
      if (sealing.valid()) (void)sealing.get();
      s.slots.give_back(*slot);
    } else {
      remove_temp(temp);
    }
  };
  std::error_code ec;
  const auto size = fs::file_size(temp, ec);
  if (ec) {
    discard();
    return make_error(ErrorCode::StorageFailure, kStorageFailed, "stat " + temp.string() + ": " + ec.message());
  }
  if (static_cast<std::int64_t>(size) > s.options.max_file_bytes) {
    discard();
    return make_error(ErrorCode::InvalidDicom, "The file is " + std::to_string(size) +
                                                   " bytes, more than this server accepts for one instance (" +
                                                   std::to_string(s.options.max_file_bytes) + ").");
  }
  if (!checksum_later) hashing = s.side_jobs.run([path = temp] { return detail::file_sha256(path); });
  auto parsed = detail::parse_file(temp, true);
  if (!parsed.ok()) {
    discard();
    return parsed.error();
  }
  if (!required_study.empty() && parsed->meta.study_uid != required_study) {
    discard();
    return IngestOutcome{IngestOutcome::Status::OtherStudy, std::move(parsed->meta), ""};
  }
  InstanceMeta m = std::move(parsed->meta);
  if (!checksum_later) {
    auto sha = hashing.get();
    if (!sha.ok()) {
      discard();
      return sha.error();
    }
    m.sha256 = std::move(*sha);
  }
  m.size = static_cast<std::int64_t>(size);
  m.clinic_id = clinic_id;
  m.source = std::move(source);
  m.received_ms = received_ms;
  // A temp file is content-addressed (identical bytes, same key); a slot keeps the key it landed under.
  // One level of 256 directories: each new directory costs an extra fsync of its parent.
  m.file_key = slot ? *slot : "dicom/" + m.sha256.substr(0, 2) + "/" + m.sha256 + ".dcm";

  std::lock_guard sop_lock(s.lock_for(m.sop_uid));
  const auto duplicate = [&](const InstanceMeta& e) -> Result<IngestOutcome> {
    if (e.clinic_id != clinic_id) {
      return make_error(ErrorCode::Conflict, "Instance " + m.sop_uid +
                                                 " was already sent by another clinic; this copy was not stored.");
    }
    // The bytes decide, not a checksum: either may not be computed yet.
    auto same = detail::same_content(temp, s.files.path_of(e.file_key));
    TELEDX_TRY(same);
    if (*same) return IngestOutcome{IngestOutcome::Status::AlreadyStored, e, ""};
    const std::string warning = "Instance " + m.sop_uid +
                                " was already stored with different content; the first copy was kept and this "
                                "one dropped.";
    log::warn("dicom", warning + " (from " + m.source + ")");
    if (s.options.duplicates == DuplicatePolicy::KeepFirstError) {
      return make_error(ErrorCode::DuplicateDifferent, warning);
    }
    return IngestOutcome{IngestOutcome::Status::DuplicateDifferent, e, warning};
  };

  // A duplicate is answered without writing to the blob store.
  std::optional<InstanceMeta> existing;
  if (auto r = s.db.read([&](db::Txn& txn) -> Result<void> {
        auto e = find_existing(txn, m.sop_uid);
        TELEDX_TRY(e);
        existing = std::move(*e);
        return ok();
      });
      !r.ok()) {
    discard();
    return r.error();
  }
  if (existing) {
    auto answer = duplicate(*existing);  // reads the new file: before it is discarded
    discard();
    return answer;
  }

  const auto checked = SteadyClock::now();
  // Durability point 1 (temp file): fsynced and renamed before any row refers to it.
  if (!slot) {
    TELEDX_TRY(s.files.commit_temp(temp, m.file_key));  // consumes the temp file
    *seal_time = SteadyClock::now() - checked;
  }
  const auto flushed = SteadyClock::now();
  // Durability point 2: blob and index rows commit together, for a slot only once its seal (bytes and sender
  // note, one fsync) is done: the rows are written while that flush runs and the commit waits for it, so no
  // row ever refers to bytes that are not durable. Only after the commit may success be answered. A slot's
  // rows may commit Deferred: its sealed file is the durable record that recovery indexes again.
  const auto durability = slot && !recovering ? db::Durability::Deferred : db::Durability::Immediate;
  const auto committed = s.committer.run(
      [&](db::Txn& txn) -> Result<void> {
        TELEDX_TRY(record_blob(txn, m.file_key, m.size, m.sha256, m.received_ms));
        TELEDX_TRY(detail::insert_rows(txn, m, parsed->kind, parsed->metadata_json));
        return sealed();
      },
      durability);
  if (!committed.ok()) {
    // The file was never acknowledged: remove it so storage and index stay in step.
    if (slot) {
      if (sealing.valid()) sealing.wait();  // a late note must never land on the slot's next use
      s.slots.give_back(*slot);
    } else if (auto r = s.files.remove(m.file_key); !r.ok()) {
      log::error("dicom", "could not remove unindexed file " + m.file_key + ": " + r.error().detail);
    }
    Error e = committed.error();
    if (e.code == ErrorCode::StorageFailure) e.message = kStorageFailed;
    return e;
  }
  if (durability == db::Durability::Deferred) {
    s.deferred_pending = true;
  }
  if (!recovering) {
    const auto done = SteadyClock::now();
    s.timings.check.observe(checked - started);
    s.timings.flush.observe(*seal_time);
    s.timings.index.observe(done - flushed);
    s.timings.total.observe(done - started);
  }
  if (checksum_later) s.fixity.add({m.sop_uid, m.file_key});
  return IngestOutcome{IngestOutcome::Status::Stored, std::move(m), ""};
}

Result<IngestOutcome> InstanceStore::ingest_file(const fs::path& temp, std::int64_t clinic_id, std::string source,
                                                 std::string_view required_study) {
  std::optional<std::string> slot = impl_->slots.key_of(temp);
  if (slot && !impl_->slots.owns(*slot)) slot.reset();
  return ingest(temp, slot, clinic_id, std::move(source), impl_->clock.now_ms(), false, required_study);
}

bool InstanceStore::recover_landed(const std::string& key, const std::function<void(const InstanceMeta&)>& indexed) {
  Impl& s = *impl_;
  if (!s.slots.owns(key)) return false;
  const fs::path path = s.files.path_of(key);
  const auto note = SlotPool::note_of(path);
  const auto parsed = note ? parse_landing_note(*note) : std::nullopt;
  if (!parsed) {
    log::warn("dicom", "landed file " + key + " has no readable sender note; emptying it");
    s.slots.give_back(key);
    return true;
  }
  auto r = ingest(path, key, parsed->clinic_id, parsed->source, parsed->received_ms, true);
  if (r.ok()) {
    log::info("dicom", "recovered landed instance " + r->meta.sop_uid + " (" + key + ")");
    if (indexed && r->status == IngestOutcome::Status::Stored) indexed(r->meta);
    return true;
  }
  if (r.error().code == ErrorCode::StorageFailure) return false;  // keep it; the next start tries again
  log::warn("dicom", "landed file " + key + " not kept: " + r.error().message);
  return true;  // refused content was emptied by ingest
}

}  // namespace teledx::dicom
