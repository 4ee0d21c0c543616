// The worklist module's schema and seeded report templates. Portable SQL (no SQLite-only syntax).
#include <nlohmann/json.hpp>

#include "teledx/worklist/task_store.hpp"

namespace teledx::worklist {
namespace {

constexpr const char* kSchemaV1 = R"SQL(
CREATE TABLE reading_tasks (
  id INTEGER PRIMARY KEY,
  study_uid TEXT NOT NULL,
  clinic_id INTEGER NOT NULL,
  center_id INTEGER NOT NULL,
  kind TEXT NOT NULL,
  priority INTEGER NOT NULL,
  state TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  history TEXT NOT NULL DEFAULT '',
  patient_name TEXT NOT NULL DEFAULT '',
  patient_id TEXT NOT NULL DEFAULT '',
  patient_sex TEXT NOT NULL DEFAULT '',
  patient_birth_date TEXT NOT NULL DEFAULT '',
  patient_age TEXT NOT NULL DEFAULT '',
  patient_national_id TEXT NOT NULL DEFAULT '',
  modality TEXT NOT NULL DEFAULT '',
  body_part TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  accession TEXT NOT NULL DEFAULT '',
  assignee_id INTEGER,
  assignee_name TEXT NOT NULL DEFAULT '',
  lease_expires_ms INTEGER NOT NULL DEFAULT 0,
  deadline_ms INTEGER NOT NULL,
  warn_ms INTEGER NOT NULL,
  sla_alert INTEGER NOT NULL DEFAULT 0,
  machine_flags TEXT NOT NULL DEFAULT '{}',
  updated INTEGER NOT NULL DEFAULT 0,
  submitted_by INTEGER,
  return_reason TEXT NOT NULL DEFAULT '',
  critical_category TEXT,
  critical_note TEXT,
  critical_marked_ms INTEGER,
  critical_marked_by INTEGER,
  critical_ack_by INTEGER,
  critical_ack_name TEXT,
  critical_ack_ms INTEGER,
  critical_alert INTEGER NOT NULL DEFAULT 0,
  quality_grade TEXT,
  quality_reasons TEXT,
  quality_comment TEXT,
  quality_by INTEGER,
  quality_ms INTEGER,
  received_ms INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  claimed_ms INTEGER NOT NULL DEFAULT 0,
  signed_ms INTEGER NOT NULL DEFAULT 0,
  delivered_ms INTEGER NOT NULL DEFAULT 0,
  acknowledged_ms INTEGER NOT NULL DEFAULT 0,
  updated_ms INTEGER NOT NULL,
  row_version INTEGER NOT NULL DEFAULT 1,
  UNIQUE (study_uid, center_id)
);
CREATE INDEX reading_tasks_queue ON reading_tasks (center_id, state, priority, deadline_ms, id);
CREATE INDEX reading_tasks_assignee ON reading_tasks (assignee_id, state);
CREATE INDEX reading_tasks_clinic ON reading_tasks (clinic_id, received_ms);
CREATE INDEX reading_tasks_center_received ON reading_tasks (center_id, received_ms);
CREATE INDEX reading_tasks_lease ON reading_tasks (state, lease_expires_ms);
CREATE INDEX reading_tasks_warn ON reading_tasks (state, sla_alert, warn_ms);
CREATE INDEX reading_tasks_deadline ON reading_tasks (state, sla_alert, deadline_ms);
CREATE INDEX reading_tasks_critical ON reading_tasks (critical_alert, critical_ack_ms, critical_marked_ms);

CREATE TABLE task_events (
  seq INTEGER PRIMARY KEY,
  task_id INTEGER NOT NULL REFERENCES reading_tasks (id),
  action TEXT NOT NULL,
  from_state TEXT NOT NULL,
  to_state TEXT NOT NULL,
  actor_id INTEGER NOT NULL,
  actor_name TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX task_events_task ON task_events (task_id, seq);

CREATE TABLE outbox (
  seq INTEGER PRIMARY KEY,
  stream TEXT NOT NULL,
  center_id INTEGER NOT NULL,
  clinic_id INTEGER NOT NULL,
  task_id INTEGER NOT NULL,
  type TEXT NOT NULL,
  payload TEXT NOT NULL,
  at_ms INTEGER NOT NULL
);

CREATE TABLE center_settings (
  center_id INTEGER PRIMARY KEY,
  body TEXT NOT NULL,
  updated_ms INTEGER NOT NULL
);

CREATE TABLE reader_shifts (
  center_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  weekday INTEGER NOT NULL,
  start_minute INTEGER NOT NULL,
  end_minute INTEGER NOT NULL
);
CREATE INDEX reader_shifts_center ON reader_shifts (center_id, weekday);

CREATE TABLE reader_profiles (
  user_id INTEGER PRIMARY KEY,
  center_id INTEGER NOT NULL,
  modalities TEXT NOT NULL DEFAULT '',
  body_parts TEXT NOT NULL DEFAULT ''
);

CREATE TABLE report_templates (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  modality TEXT NOT NULL DEFAULT '',
  body_part TEXT NOT NULL DEFAULT '',
  body TEXT NOT NULL
);
CREATE INDEX report_templates_kind ON report_templates (kind, modality, body_part);

CREATE TABLE report_drafts (
  task_id INTEGER PRIMARY KEY REFERENCES reading_tasks (id),
  version INTEGER NOT NULL,
  body TEXT NOT NULL,
  author_id INTEGER NOT NULL,
  author_name TEXT NOT NULL,
  updated_ms INTEGER NOT NULL
);

CREATE TABLE report_versions (
  task_id INTEGER NOT NULL REFERENCES reading_tasks (id),
  version INTEGER NOT NULL,
  kind TEXT NOT NULL,
  body TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  author_id INTEGER NOT NULL,
  author_name TEXT NOT NULL,
  approver_id INTEGER,
  approver_name TEXT NOT NULL DEFAULT '',
  signed_ms INTEGER NOT NULL,
  verification_code TEXT NOT NULL UNIQUE,
  PRIMARY KEY (task_id, version)
)
)SQL";

struct SeedTemplate {
  const char* name;
  TaskKind kind;
  const char* modality;
  const char* body_part;
  std::vector<std::array<const char*, 3>> fields;  // key, label, unit
  const char* findings;
  const char* impression;
};

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

std::string seed_templates_sql() {
  const std::vector<SeedTemplate> seeds{
      {"胸部X线 Chest X-ray", TaskKind::Imaging, "DX", "CHEST", {},
       "胸廓对称，气管居中。双肺纹理清晰，未见明确实变影。心影大小形态未见异常。双膈面光整，肋膈角锐利。",
       "心肺膈未见明显异常。"},
      {"头颅CT Head CT", TaskKind::Imaging, "CT", "HEAD", {},
       "脑实质密度未见异常，灰白质分界清楚。脑室系统未见扩张，中线结构居中。颅骨未见骨折。",
       "颅脑CT平扫未见明显异常。"},
      {"胸部CT Chest CT", TaskKind::Imaging, "CT", "CHEST", {},
       "双肺野清晰，未见结节及实变。纵隔未见肿大淋巴结。心脏大小正常。无胸腔积液。", "胸部CT平扫未见明显异常。"},
      {"腹部超声 Abdominal ultrasound", TaskKind::Imaging, "US", "ABDOMEN", {},
       "肝脏大小形态正常，实质回声均匀。胆囊壁光滑。胰腺、脾脏、双肾未见异常。", "肝胆胰脾双肾未见明显异常。"},
      {"常规心电图 12-lead ECG", TaskKind::Ecg, "ECG", "",
       {{"rhythm", "心律 Rhythm", ""},
        {"heart_rate", "心率 Heart rate", "bpm"},
        {"pr", "PR间期 PR interval", "ms"},
        {"qrs", "QRS时限 QRS duration", "ms"},
        {"qt", "QT间期 QT interval", "ms"},
        {"qtc", "QTc", "ms"},
        {"axis", "电轴 Axis", "°"},
        {"conclusion", "结论 Conclusion", ""}},
       "窦性心律。", "正常心电图。"},
  };
  std::string sql;
  std::int64_t id = 1;
  for (const auto& s : seeds) {
    nlohmann::json fields = nlohmann::json::array();
    for (const auto& f : s.fields) fields.push_back({{"key", f[0]}, {"label", f[1]}, {"unit", f[2]}});
    nlohmann::json body{{"fields", fields}, {"findings", s.findings}, {"impression", s.impression}};
    sql += "INSERT INTO report_templates (id, name, kind, modality, body_part, body) VALUES (" + std::to_string(id++) +
           ", " + quote(s.name) + ", " + quote(std::string(to_string(s.kind))) + ", " + quote(s.modality) + ", " +
           quote(s.body_part) + ", " + quote(body.dump()) + ");\n";
  }
  return sql;
}

}  // namespace

std::vector<db::Migration> TaskStore::migrations() {
  return {{1, "reading tasks, events, outbox, settings, rota, reports", kSchemaV1},
          {2, "seed report templates (chest X-ray, head CT, chest CT, abdominal US, 12-lead ECG)",
           seed_templates_sql()},
          // Without it a center-wide view by urgency (no state filter) sorts the whole center: 70 ms at 100k.
          {3, "index: a center's tasks in urgency order",
           "CREATE INDEX reading_tasks_urgency ON reading_tasks (center_id, priority, deadline_ms, id)"},
          // Quality feedback per technician: who performed the exam, and a clinic's graded exams newest first.
          {4, "exam technician; SLA time paused while returned; index of a clinic's quality grades",
           "ALTER TABLE reading_tasks ADD COLUMN technician_id INTEGER;\n"
           "ALTER TABLE reading_tasks ADD COLUMN technician_name TEXT NOT NULL DEFAULT '';\n"
           "ALTER TABLE reading_tasks ADD COLUMN sla_paused_ms INTEGER NOT NULL DEFAULT 0;\n"
           "CREATE INDEX reading_tasks_quality ON reading_tasks (clinic_id, quality_ms)"},
          // The ECG template's heart-rate unit was seeded as "bpm", which then printed on the Chinese report; units
          // are bilingual like the labels ("次/分 bpm": the web shows the half of the reader's language, the printed
          // report the Chinese one). replace() on the stored text leaves a center's own edits of that template alone.
          {5, "bilingual heart-rate unit in the 12-lead ECG template",
           "UPDATE report_templates SET body = replace(body, '\"unit\":\"bpm\"', '\"unit\":\"次/分 bpm\"') "
           "WHERE kind = 'ecg'"},
          // A Chinese ECG report gives RV5/SV1 and their sum after the axis; the machine analysis prefills them
          // (template_fields rv5_sv1, rv5_plus_sv1). Inserted after the seeded axis field, so a center's own edits of
          // that field leave its template as it is.
          {6, "RV5/SV1 and RV5+SV1 in the 12-lead ECG template",
           "UPDATE report_templates SET body = replace(body, '{\"key\":\"axis\",\"label\":\"电轴 Axis\",\"unit\":\"°\"}', "
           "'{\"key\":\"axis\",\"label\":\"电轴 Axis\",\"unit\":\"°\"},"
           "{\"key\":\"rv5_sv1\",\"label\":\"RV5/SV1\",\"unit\":\"mV\"},"
           "{\"key\":\"rv5_plus_sv1\",\"label\":\"RV5+SV1\",\"unit\":\"mV\"}') WHERE kind = 'ecg'"}};
}

}  // namespace teledx::worklist
