#include "task_ecg.hpp"

#include <optional>

#include <nlohmann/json.hpp>

#include "teledx/core/log.hpp"
#include "teledx/ecg/readers.hpp"
#include "teledx/worklist/print_text.hpp"

namespace teledx::server {
namespace {

/// The analysis stored with the task when the exam arrived (study_routing.cpp), if it was made of this waveform:
/// the page then prints what the reader saw, confirmed or dismissed, even after an upgrade that would analyse the
/// ECG differently, and a download does not analyse it again. Otherwise (an older task, another waveform of the
/// exam, a stored analysis that cannot be read) the waveform is analysed now.
ecg::Analysis stored_or_new_analysis(const worklist::Task& t, const std::string& sop_uid, const ecg::Waveform& wave) {
  const auto stored = nlohmann::json::parse(t.machine_flags, nullptr, false);
  if (stored.is_object() && stored.contains("source_sop_instance_uid") && stored["source_sop_instance_uid"] == sop_uid) {
    if (auto a = ecg::analysis_from_json(stored); a.ok()) return std::move(*a);
    else log::warn("ecg", "task " + std::to_string(t.id) + ": stored analysis not used: " + a.error().message);
  }
  return ecg::analyze(wave);
}

}  // namespace

Result<TaskEcg> load_task_ecg(Services& s, const worklist::Task& t) {
  dicom::InstanceQuery q;
  q.study_uid = t.study_uid;
  auto instances = s.instances->find_instances(q);
  if (!instances.ok()) return instances.error();
  std::optional<ecg::Waveform> wave;
  std::string problem = "the exam holds no ECG waveform", sop_uid;
  for (const auto& m : *instances) {
    if (!dicom::InstanceStore::is_ecg_sop_class(m.sop_class_uid)) continue;
    auto w = ecg::read_ecg_file(s.files->path_of(m.file_key));
    if (w.ok()) {
      wave = std::move(*w);
      sop_uid = m.sop_uid;
      break;
    }
    problem = w.error().message;
  }
  if (!wave)
    return make_error(ErrorCode::NotFound,
                      "The ECG of task " + std::to_string(t.id) + " cannot be printed: " + problem + ".");
  TaskEcg out{std::move(*wave), {}, {}};
  out.analysis = stored_or_new_analysis(t, sop_uid, out.wave);
  std::string clinic;
  if (auto c = s.consortium->institution(t.clinic_id); c.ok()) clinic = c->name;
  // As the report PDF writes them: the clinic files this page with it.
  using worklist::or_dash;
  int utc_offset = 480;
  if (auto c = s.tasks->settings(t.center_id); c.ok()) utc_offset = c->utc_offset_minutes;
  out.title_lines = {
      "姓名 " + or_dash(worklist::person_name_text(t.patient.name)) + "   患者编号 " + or_dash(t.patient.id) +
          "   性别 " + worklist::sex_text(t.patient.sex) + "   年龄 " + worklist::age_text(t.patient.age, t.patient.birth_date, t.received_ms, utc_offset) +
          "   出生日期 " + or_dash(worklist::birth_date_text(t.patient.birth_date)),
      or_dash(clinic) + "   " + or_dash(t.description) + "   接收时间 " +
          worklist::local_time_text(t.received_ms, utc_offset)};
  return out;
}

}  // namespace teledx::server
