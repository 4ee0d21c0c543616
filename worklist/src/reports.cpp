// Reports: templates, autosaved drafts, signing with verification codes, review, addenda.
#include "teledx/worklist/reports.hpp"

#include "task_rows.hpp"
#include "teledx/core/ids.hpp"

namespace teledx::worklist {

using nlohmann::json;

namespace {

constexpr std::size_t kMaxText = 20'000;
constexpr std::size_t kMaxFields = 60;

Error bad_request(std::string m) { return make_error(ErrorCode::BadRequest, std::move(m)); }

json content_json(const ReportContent& c) {
  json j{{"findings", c.findings}, {"impression", c.impression}, {"fields", c.fields}};
  j["template_id"] = c.template_id ? json(*c.template_id) : json(nullptr);
  return j;
}

ReportContent content_from(const json& j) {
  ReportContent c;
  c.findings = j.value("findings", "");
  c.impression = j.value("impression", "");
  if (j.contains("fields") && j["fields"].is_object())
    for (const auto& [k, v] : j["fields"].items()) c.fields[k] = v.is_string() ? v.get<std::string>() : v.dump();
  if (j.contains("template_id") && j["template_id"].is_number_integer()) c.template_id = j["template_id"].get<std::int64_t>();
  return c;
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

Result<void> check_content(const ReportContent& c) {
  if (c.findings.size() > kMaxText || c.impression.size() > kMaxText)
    return bad_request("Findings and impression are limited to 20,000 bytes each.");
  if (c.fields.size() > kMaxFields) return bad_request("A report has at most 60 structured fields.");
  for (const auto& [k, v] : c.fields)
    if (k.empty() || k.size() > 64 || v.size() > 2000)
      return bad_request("A structured field needs a name of 1-64 characters and a value of at most 2000.");
  return ok();
}

const char* const kVersionColumns =
    "task_id, version, kind, body, sha256, author_id, author_name, approver_id, approver_name, signed_ms, "
    "verification_code";

ReportVersion version_from_row(const db::Row& r) {
  ReportVersion v;
  v.task_id = r.integer(0);
  v.version = r.integer(1);
  v.kind = r.text(2) == "addendum" ? VersionKind::Addendum : VersionKind::Original;
  v.body = r.text(3);
  v.sha256 = r.text(4);
  v.author_id = r.integer(5);
  v.author_name = r.text(6);
  if (!r.is_null(7)) v.approver_id = r.integer(7);
  v.approver_name = r.text(8);
  v.signed_ms = r.integer(9);
  v.verification_code = r.text(10);
  auto j = json::parse(v.body, nullptr, false);
  if (v.kind == VersionKind::Addendum)
    v.addendum = j.is_object() ? j.value("addendum", "") : "";
  else if (j.is_object())
    v.content = content_from(j);
  return v;
}

Result<std::optional<ReportDraft>> load_draft(db::Txn& txn, std::int64_t task_id) {
  auto rows = txn.query(
      "SELECT task_id, version, body, author_id, author_name, updated_ms FROM report_drafts WHERE task_id = ?",
      {task_id});
  TELEDX_TRY(rows);
  if (rows->empty()) return std::optional<ReportDraft>{};
  const auto& r = rows->front();
  auto j = json::parse(r.text(2), nullptr, false);
  return std::optional<ReportDraft>{
      ReportDraft{r.integer(0), r.integer(1), content_from(j.is_object() ? j : json::object()), r.integer(3), r.text(4),
                  r.integer(5)}};
}

std::string new_verification_code() {
  std::string hex = random_hex(6);
  for (auto& c : hex) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return hex.substr(0, 4) + "-" + hex.substr(4, 4) + "-" + hex.substr(8, 4);
}

/// Writes the next signed version of a task. Never updates an existing version.
Result<ReportVersion> write_version(db::Txn& txn, const Task& t, VersionKind kind, const json& body,
                                    std::int64_t author_id, const std::string& author_name, const Actor* approver,
                                    std::int64_t now_ms) {
  auto next = txn.query("SELECT COALESCE(MAX(version), 0) + 1 FROM report_versions WHERE task_id = ?", {t.id});
  TELEDX_TRY(next);
  ReportVersion v;
  v.task_id = t.id;
  v.version = next->front().integer(0);
  v.kind = kind;
  v.body = dump(body);
  v.sha256 = sha256_hex(v.body);
  v.author_id = author_id;
  v.author_name = author_name;
  if (approver) {
    v.approver_id = approver->user_id;
    v.approver_name = approver->name;
  }
  v.signed_ms = now_ms;
  v.verification_code = new_verification_code();
  if (kind == VersionKind::Original) v.content = content_from(body);
  else v.addendum = body.value("addendum", "");
  auto ins = txn.exec(std::string("INSERT INTO report_versions (") + kVersionColumns +
                          ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      {v.task_id, v.version, std::string(kind == VersionKind::Addendum ? "addendum" : "original"),
                       v.body, v.sha256, v.author_id, v.author_name,
                       v.approver_id ? db::Value{*v.approver_id} : db::Value{nullptr}, v.approver_name, v.signed_ms,
                       v.verification_code});
  TELEDX_TRY(ins);
  TELEDX_TRY(detail::append_outbox(txn, t, "report.signed",
                                   {{"version", v.version},
                                    {"kind", kind == VersionKind::Addendum ? "addendum" : "original"},
                                    {"verification_code", v.verification_code}},
                                   now_ms));
  return v;
}

/// Signing and approving share this: move the task, then freeze the draft as version 1.
Result<ReportVersion> sign_draft(TaskStore& tasks, std::int64_t task_id, TaskAction action, const Actor& actor) {
  const std::int64_t now = tasks.clock().now_ms();
  return detail::write_value<ReportVersion>(tasks.database(), [&](db::Txn& txn) -> Result<ReportVersion> {
    auto t = detail::require_task(txn, task_id);
    TELEDX_TRY(t);
    auto settings = detail::load_settings(txn, t->center_id);
    TELEDX_TRY(settings);
    TELEDX_TRY(decide(facts_of(*t, settings->two_level_signing), action, actor));
    auto d = load_draft(txn, task_id);
    TELEDX_TRY(d);
    if (!*d || ((*d)->content.findings.empty() && (*d)->content.impression.empty()))
      return bad_request("Write the findings or the impression before signing.");
    const bool approving = action == TaskAction::Approve;
    const std::int64_t author_id = approving && t->assignee_id ? *t->assignee_id : actor.user_id;
    const std::string author_name = approving ? t->assignee_name : actor.name;
    auto moved = detail::apply(tasks.audit_log(), txn, *t, action, actor, *settings, {}, now);
    TELEDX_TRY(moved);
    return write_version(txn, *moved, VersionKind::Original, content_json((*d)->content), author_id, author_name,
                         approving ? &actor : nullptr, now);
  });
}

}  // namespace

const std::vector<std::string>& Reports::critical_categories() {
  static const std::vector<std::string> list{
      "acute_myocardial_infarction", "ventricular_fibrillation", "ventricular_tachycardia", "high_degree_av_block",
      "severe_bradycardia", "long_qt", "intracranial_hemorrhage", "large_cerebral_infarction", "pneumothorax",
      "aortic_dissection", "pulmonary_embolism", "free_abdominal_air", "ectopic_pregnancy_rupture", "other"};
  return list;
}

const std::vector<std::string>& Reports::quality_reasons() {
  static const std::vector<std::string> list{"positioning", "exposure", "motion", "artefact", "missing_leads",
                                             "noise", "wrong_patient_data", "incomplete_coverage", "other"};
  return list;
}

Result<std::vector<ReportTemplate>> Reports::templates(std::optional<TaskKind> kind, const std::string& modality,
                                                       const std::string& body_part) const {
  std::string sql = "SELECT id, name, kind, modality, body_part, body FROM report_templates";
  db::Params p;
  if (kind) {
    sql += " WHERE kind = ?";
    p.emplace_back(std::string(to_string(*kind)));
  }
  auto rows = tasks_.database().query(sql + " ORDER BY id", p);
  TELEDX_TRY(rows);
  std::string mod = modality, part = body_part;
  for (auto* s : {&mod, &part})
    for (auto& c : *s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::vector<std::pair<int, ReportTemplate>> scored;
  for (const auto& r : *rows) {
    ReportTemplate t;
    t.id = r.integer(0);
    t.name = r.text(1);
    t.kind = task_kind_from(r.text(2)).value_or(TaskKind::Imaging);
    t.modality = r.text(3);
    t.body_part = r.text(4);
    auto j = json::parse(r.text(5), nullptr, false);
    if (j.is_object()) {
      t.findings = j.value("findings", "");
      t.impression = j.value("impression", "");
      if (j.contains("fields") && j["fields"].is_array())
        for (const auto& f : j["fields"]) t.fields.push_back({f.value("key", ""), f.value("label", ""), f.value("unit", "")});
    }
    // Exact matches first, then templates open to any modality/body part, then the rest.
    int score = 0;
    if (!mod.empty()) score += t.modality == mod ? 2 : t.modality.empty() ? 1 : 0;
    if (!part.empty()) score += t.body_part == part ? 2 : t.body_part.empty() ? 1 : 0;
    scored.emplace_back(score, std::move(t));
  }
  std::stable_sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<ReportTemplate> out;
  for (auto& [s, t] : scored) out.push_back(std::move(t));
  return out;
}

Result<ReportTemplate> Reports::add_template(const ReportTemplate& in) {
  if (in.name.empty() || in.name.size() > 200) return bad_request("A template needs a name of 1-200 characters.");
  if (in.fields.size() > 40) return bad_request("A template has at most 40 structured fields.");
  json fields = json::array();
  for (const auto& f : in.fields) {
    if (f.key.empty() || f.key.size() > 64) return bad_request("Each template field needs a key of 1-64 characters.");
    fields.push_back({{"key", f.key}, {"label", f.label.empty() ? f.key : f.label}, {"unit", f.unit}});
  }
  ReportTemplate out = in;
  for (auto* s : {&out.modality, &out.body_part})
    for (auto& c : *s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  TELEDX_TRY(tasks_.database().write([&](db::Txn& txn) -> Result<void> {
    auto id = detail::next_id(txn, "report_templates", "id");
    TELEDX_TRY(id);
    out.id = *id;
    auto ins = txn.exec(
        "INSERT INTO report_templates (id, name, kind, modality, body_part, body) VALUES (?, ?, ?, ?, ?, ?)",
        {out.id, out.name, std::string(to_string(out.kind)), out.modality, out.body_part,
         dump({{"fields", fields}, {"findings", out.findings}, {"impression", out.impression}})});
    TELEDX_TRY(ins);
    return ok();
  }));
  return out;
}

Result<std::optional<ReportDraft>> Reports::draft(std::int64_t task_id) const {
  return detail::read_value<std::optional<ReportDraft>>(tasks_.database(),
                                                        [&](db::Txn& txn) { return load_draft(txn, task_id); });
}

Result<ReportDraft> Reports::save_draft(std::int64_t task_id, std::int64_t base_version, const ReportContent& content,
                                        const Actor& actor) {
  TELEDX_TRY(check_content(content));
  const std::int64_t now = tasks_.clock().now_ms();
  return detail::write_value<ReportDraft>(tasks_.database(), [&](db::Txn& txn) -> Result<ReportDraft> {
    auto t = detail::require_task(txn, task_id);
    TELEDX_TRY(t);
    auto settings = detail::load_settings(txn, t->center_id);
    TELEDX_TRY(settings);
    const bool of_center = !actor.system && is_reader_role(actor.role) && actor.institution_id == t->center_id;
    if (!of_center) return make_error(ErrorCode::Forbidden, "Only readers of the task's center write its report.");
    const bool holder = t->assignee_id == actor.user_id;
    Task current = *t;
    if (t->state == TaskState::Claimed && holder) {
      auto started = detail::apply(tasks_.audit_log(), txn, *t, TaskAction::StartReport, actor, *settings, {}, now);
      TELEDX_TRY(started);
      current = *started;
    } else if (t->state == TaskState::InReport && holder) {
      Task after = *t;
      after.lease_expires_ms = now + settings->lease_minutes * detail::kMinute;  // activity renews the lease
      TELEDX_TRY(detail::save_task(txn, *t, after));
    } else if (!(t->state == TaskState::PendingReview && is_senior(actor.role) && t->submitted_by != actor.user_id)) {
      return make_error(ErrorCode::Conflict,
                        "The report can be edited only by the reader holding the task (or the reviewing senior); "
                        "the task is " + std::string(to_string(t->state)) + ".");
    }
    auto existing = load_draft(txn, task_id);
    TELEDX_TRY(existing);
    const std::int64_t current_version = *existing ? (*existing)->version : 0;
    if (base_version != current_version)
      return make_error(ErrorCode::Conflict, "The draft was saved elsewhere since you opened it (now version " +
                                                 std::to_string(current_version) + "); reload it.");
    ReportDraft d{task_id, current_version + 1, content, actor.user_id, actor.name, now};
    TELEDX_TRY(txn.exec(
        "INSERT INTO report_drafts (task_id, version, body, author_id, author_name, updated_ms) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (task_id) DO UPDATE SET version = excluded.version, body = excluded.body, "
        "author_id = excluded.author_id, author_name = excluded.author_name, updated_ms = excluded.updated_ms",
        {task_id, d.version, dump(content_json(content)), d.author_id, d.author_name, now}));
    return d;
  });
}

Result<ReportVersion> Reports::sign(std::int64_t task_id, const Actor& actor) {
  return sign_draft(tasks_, task_id, TaskAction::Sign, actor);
}

Result<ReportVersion> Reports::approve(std::int64_t task_id, const Actor& senior) {
  return sign_draft(tasks_, task_id, TaskAction::Approve, senior);
}

Result<Task> Reports::submit_for_review(std::int64_t task_id, const Actor& junior) {
  const std::int64_t now = tasks_.clock().now_ms();
  return detail::write_value<Task>(tasks_.database(), [&](db::Txn& txn) -> Result<Task> {
    auto t = detail::require_task(txn, task_id);
    TELEDX_TRY(t);
    auto settings = detail::load_settings(txn, t->center_id);
    TELEDX_TRY(settings);
    TELEDX_TRY(decide(facts_of(*t, settings->two_level_signing), TaskAction::SubmitForReview, junior));
    auto d = load_draft(txn, task_id);
    TELEDX_TRY(d);
    if (!*d || ((*d)->content.findings.empty() && (*d)->content.impression.empty()))
      return bad_request("Write the findings or the impression before submitting the report for review.");
    return detail::apply(tasks_.audit_log(), txn, *t, TaskAction::SubmitForReview, junior, *settings, {}, now);
  });
}

Result<Task> Reports::return_for_revision(std::int64_t task_id, const Actor& senior, const std::string& comment) {
  if (comment.find_first_not_of(" \t\r\n") == std::string::npos || comment.size() > 4000)
    return bad_request("Returning a report for revision needs a comment (at most 4000 characters).");
  const std::int64_t now = tasks_.clock().now_ms();
  return detail::write_value<Task>(tasks_.database(), [&](db::Txn& txn) -> Result<Task> {
    auto t = detail::require_task(txn, task_id);
    TELEDX_TRY(t);
    auto settings = detail::load_settings(txn, t->center_id);
    TELEDX_TRY(settings);
    return detail::apply(tasks_.audit_log(), txn, *t, TaskAction::ReturnForRevision, senior, *settings, comment, now);
  });
}

Result<ReportVersion> Reports::add_addendum(std::int64_t task_id, const std::string& text, const Actor& reader) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos || text.size() > kMaxText)
    return bad_request("An addendum needs text (at most 20,000 bytes).");
  const std::int64_t now = tasks_.clock().now_ms();
  return detail::write_value<ReportVersion>(tasks_.database(), [&](db::Txn& txn) -> Result<ReportVersion> {
    auto t = detail::require_task(txn, task_id);
    TELEDX_TRY(t);
    auto settings = detail::load_settings(txn, t->center_id);
    TELEDX_TRY(settings);
    auto moved = detail::apply(tasks_.audit_log(), txn, *t, TaskAction::Amend, reader, *settings, "addendum", now);
    TELEDX_TRY(moved);
    return write_version(txn, *moved, VersionKind::Addendum, {{"addendum", text}}, reader.user_id, reader.name,
                         nullptr, now);
  });
}

Result<std::vector<ReportVersion>> Reports::versions(std::int64_t task_id) const {
  auto rows = tasks_.database().query(
      std::string("SELECT ") + kVersionColumns + " FROM report_versions WHERE task_id = ? ORDER BY version", {task_id});
  TELEDX_TRY(rows);
  std::vector<ReportVersion> out;
  for (const auto& r : *rows) out.push_back(version_from_row(r));
  return out;
}

std::optional<ReportVersion> Reports::by_verification_code(std::string_view code) const {
  std::string c(code);
  for (auto& ch : c) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  auto rows = tasks_.database().query(
      std::string("SELECT ") + kVersionColumns + " FROM report_versions WHERE verification_code = ?", {c});
  if (!rows.ok() || rows->empty()) return std::nullopt;
  return version_from_row(rows->front());
}

}  // namespace teledx::worklist
