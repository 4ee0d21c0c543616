#include "study_routing.hpp"

#include "teledx/core/log.hpp"
#include <nlohmann/json.hpp>

#include "teledx/ecg/analysis.hpp"
#include "teledx/ecg/readers.hpp"
#include "teledx/worklist/task_store.hpp"

namespace teledx::server {
namespace {

worklist::Priority to_task_priority(dicom::ExamPriority p) {
  switch (p) {
    case dicom::ExamPriority::Stat: return worklist::Priority::Stat;
    case dicom::ExamPriority::Urgent: return worklist::Priority::Urgent;
    case dicom::ExamPriority::Routine: break;
  }
  return worklist::Priority::Routine;
}

// Machine analysis of the study's ECG: its statements become the task's machine flags, and a critical finding
// (the Chinese ECG critical-value list) raises the task to stat. A flag for the reader to confirm or dismiss,
// never a diagnosis; an unreadable waveform leaves the task as it was.
void analyze_ecg(Services& s, const std::string& study_uid, std::int64_t center_id) {
  dicom::InstanceQuery q;
  q.study_uid = study_uid;
  auto instances = s.instances->find_instances(q);
  if (!instances.ok()) return;
  auto task = s.tasks->find_by_study(study_uid, center_id);
  if (!task) return;
  for (const auto& m : *instances) {
    if (!dicom::InstanceStore::is_ecg_sop_class(m.sop_class_uid)) continue;
    auto wave = ecg::read_ecg_file(s.files->path_of(m.file_key));
    if (!wave.ok()) {
      log::warn("ecg", "study " + study_uid + ": waveform not analysed: " + wave.error().message);
      continue;
    }
    auto analysis = ecg::analyze(*wave);
    auto flags = ecg::to_json(analysis);
    flags["source_sop_instance_uid"] = m.sop_uid;
    std::optional<worklist::Priority> raise;
    if (analysis.has_critical()) raise = worklist::Priority::Stat;
    if (auto r = s.tasks->set_machine_flags(task->id, flags.dump(), raise); !r.ok())
      log::warn("ecg", "study " + study_uid + ": machine flags not stored: " + r.error().message);
    else if (raise)
      log::info("ecg", "study " + study_uid + ": machine flags a critical ECG; task raised to stat");
    return;  // one analysed waveform per exam
  }
}

// Who performed the exam, for quality feedback per technician: the clinic user who sent it (browser upload or
// STOW-RS, named in the instances' source), else the Operators' Name (0008,1070) or Performing Physician's
// Name (0008,1050) the modality wrote into the files (C-STORE); "unknown" when neither is there. The clinic's
// agent (agent-<code>) only forwards what the modality sent, so the files' operator comes before it.
void find_technician(Services& s, const std::string& study_uid, std::int64_t clinic_id, worklist::StudyForReading& r) {
  r.technician_name = "unknown";
  std::optional<User> agent;
  auto rows = s.db->query(
      "SELECT i.source, m.json FROM dicom_instances i LEFT JOIN dicom_instance_metadata m ON m.sop_uid = i.sop_uid "
      "WHERE i.study_uid = ? ORDER BY i.received_ms, i.sop_uid LIMIT 20",
      {study_uid});
  if (!rows.ok()) return;
  for (const auto& row : *rows) {
    const std::string source = row.text(0);
    for (std::string_view prefix : {"upload:", "stow:"}) {
      if (source.rfind(prefix, 0) != 0) continue;
      auto u = s.consortium->user_by_name(source.substr(prefix.size()));
      if (u && u->institution_id == clinic_id && is_clinic_role(u->role) && u->username.rfind("agent-", 0) == 0) {
        agent = u;
      } else if (u && u->institution_id == clinic_id && is_clinic_role(u->role)) {
        r.technician_id = u->id;
        r.technician_name = u->display_name;
        return;
      }
    }
  }
  for (const auto& row : *rows) {
    if (row.is_null(1)) continue;
    auto j = nlohmann::json::parse(row.text(1), nullptr, false);
    if (!j.is_object()) continue;
    for (const char* tag : {"00081070", "00081050"}) {
      if (!j.contains(tag) || !j[tag].is_object() || !j[tag].contains("Value") || !j[tag]["Value"].is_array() ||
          j[tag]["Value"].empty())
        continue;
      const auto& v = j[tag]["Value"][0];
      std::string name = v.is_object() ? v.value("Alphabetic", "") : v.is_string() ? v.get<std::string>() : "";
      for (auto& ch : name) ch = ch == '^' ? ' ' : ch;  // "WANG^LI" reads "WANG LI"
      while (!name.empty() && name.back() == ' ') name.pop_back();
      if (!name.empty()) {
        r.technician_name = name;
        return;
      }
    }
  }
  if (agent) {
    r.technician_id = agent->id;
    r.technician_name = agent->display_name;
  }
}

Result<void> create_task(Services& s, const dicom::CompletedStudy& c, const dicom::StudyRecord& rec, CenterType type) {
  auto center = s.consortium->center_for_clinic(c.clinic_id, type);
  if (!center) {
    log::warn("routing", "study " + c.study_uid + " needs a " + std::string(to_string(type)) +
                             " reading center, but the clinic's hospital has none; no task created");
    return {};
  }
  worklist::StudyForReading r;
  r.study_uid = c.study_uid;
  r.clinic_id = c.clinic_id;
  r.center_id = center->id;
  r.kind = type == CenterType::Ecg ? worklist::TaskKind::Ecg : worklist::TaskKind::Imaging;
  r.request = {c.request.reason, c.request.history, to_task_priority(c.request.priority)};
  r.patient = {rec.patient_name, rec.patient_id, rec.patient_sex, rec.patient_birth_date, rec.patient_age, ""};
  // The national ID comes with a browser upload's exam request (uploads.national_id), when the clinic gave one.
  if (auto nid = s.db->query("SELECT u.national_id FROM uploads u JOIN upload_studies us ON us.upload_id = u.id "
                             "WHERE us.study_uid = ? AND u.clinic_id = ? AND u.national_id != '' "
                             "ORDER BY u.created_ms DESC LIMIT 1",
                             {c.study_uid, c.clinic_id});
      nid.ok() && !nid->empty())
    r.patient.national_id = nid->front().text(0);
  // One primary modality: the worklist matches readers' subspecialties on it. Documents and presentation
  // states ride along with the images they belong to.
  for (const auto& m : rec.modalities)
    if (m != "SR" && m != "PR" && m != "KO" && m != "DOC") {
      r.modality = m;
      break;
    }
  if (r.modality.empty() && !rec.modalities.empty()) r.modality = rec.modalities.front();
  r.description = rec.study_description;
  r.accession = rec.accession;
  r.received_ms = rec.first_received_ms;
  find_technician(s, c.study_uid, c.clinic_id, r);
  dicom::SeriesQuery sq;
  sq.study_uid = c.study_uid;
  auto series = s.instances->find_series(sq);
  if (series.ok())
    for (const auto& se : *series)
      if (!se.body_part.empty()) {
        r.body_part = se.body_part;
        break;
      }
  auto outcome = s.tasks->create_or_update_for_study(r);
  if (!outcome.ok()) return outcome.error();
  if (type == CenterType::Ecg) analyze_ecg(s, c.study_uid, center->id);
  log::info("routing", "study " + c.study_uid + (*outcome == worklist::StudyOutcome::Created ? " -> new task at "
                                                                                               : " -> task updated at ") +
                           center->code);
  return {};
}

}  // namespace

Result<void> create_reading_tasks(Services& s, const dicom::CompletedStudy& c) {
  auto rec = s.instances->study(c.study_uid);
  if (!rec.ok()) return rec.error();
  if (c.has_images) TELEDX_TRY(create_task(s, c, *rec, CenterType::Imaging));
  if (c.has_ecg) TELEDX_TRY(create_task(s, c, *rec, CenterType::Ecg));
  return {};
}

Result<int> reconcile_reading_tasks(Services& s) {
  auto studies = s.instances->find_studies({});
  if (!studies.ok()) return studies.error();
  int created = 0;
  for (const auto& st : *studies) {
    if (st.completed_ms == 0) continue;
    auto missing = [&](CenterType type) {
      auto center = s.consortium->center_for_clinic(st.clinic_id, type);
      return center && !s.tasks->find_by_study(st.study_uid, center->id);
    };
    if ((st.has_images && missing(CenterType::Imaging)) || (st.has_ecg && missing(CenterType::Ecg))) {
      dicom::CompletedStudy c{st.study_uid, st.clinic_id, st.has_images, st.has_ecg, st.request, false,
                              st.completed_ms, st.instance_count};
      TELEDX_TRY(create_reading_tasks(s, c));
      ++created;
    }
  }
  return created;
}

void BackgroundLoop::tick() {
  auto now = s_.clock.now_ms();
  auto done = s_.instances->complete_stable_studies(now, std::int64_t{s_.config.study_stable_seconds} * 1000);
  if (!done.ok()) {
    log::error("routing", "study completion failed: " + done.error().message + " " + done.error().detail);
  } else {
    for (const auto& c : *done)
      if (auto r = create_reading_tasks(s_, c); !r.ok())
        log::error("routing", "tasks for study " + c.study_uid + " failed: " + r.error().message + " " + r.error().detail);
  }
  if (auto r = s_.tasks->expire_leases(now); !r.ok()) log::error("worklist", "lease expiry failed: " + r.error().detail);
  if (auto r = s_.tasks->deadline_events(now); !r.ok()) log::error("worklist", "SLA events failed: " + r.error().detail);
}

void BackgroundLoop::start() {
  thread_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      tick();
      lock.lock();
      cv_.wait_for(lock, std::chrono::milliseconds(500), [this] { return stopping_; });
    }
  });
}

void BackgroundLoop::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace teledx::server
