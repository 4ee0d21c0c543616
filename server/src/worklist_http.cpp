#include "worklist_http.hpp"

#include <charconv>

namespace teledx::server::wl {

using nlohmann::json;

namespace {

json time_or_null(std::int64_t ms) { return ms ? json(format_iso8601(ms)) : json(nullptr); }

json user_ref(std::optional<std::int64_t> id, const std::string& name) {
  if (!id) return nullptr;
  return {{"id", *id}, {"name", name}};
}

}  // namespace

worklist::Task visible_task(RequestContext& ctx, std::int64_t id) {
  auto t = ctx.services.tasks->get(id);
  // Another institution's task answers exactly like a missing one: its existence is not disclosed.
  if (!t.ok() || !worklist::TaskStore::may_view(actor(ctx), *t))
    throw HttpError(ErrorCode::NotFound, "There is no reading task " + std::to_string(id) + ".");
  return std::move(*t);
}

std::int64_t own_center(RequestContext& ctx, bool allow_admin) {
  const auto id = id_param(ctx, "id");
  const auto& who = ctx.who();
  const bool admin = allow_admin && who.user.role == Role::Admin;
  if (!admin && !(is_reader_role(who.user.role) && who.institution.id == id))
    throw HttpError(ErrorCode::NotFound, "There is no such reading center: " + std::to_string(id) + ".");
  if (admin) {
    auto inst = ctx.services.consortium->institution(id);
    if (!inst.ok() || inst->kind != InstitutionKind::ReadingCenter)
      throw HttpError(ErrorCode::NotFound, "There is no such reading center: " + std::to_string(id) + ".");
  }
  return id;
}

void audit(RequestContext& ctx, const std::string& action, std::int64_t task_id, const std::string& detail) {
  (void)ctx.services.audit->append({ctx.who().user.username, action, "task:" + std::to_string(task_id),
                                    ctx.req.remote, detail});
}

std::string body_string(const json& body, const char* field, bool required) {
  if (!body.contains(field) || body[field].is_null()) {
    if (required) throw HttpError(ErrorCode::BadRequest, std::string("The field '") + field + "' is required.");
    return {};
  }
  if (!body[field].is_string()) throw HttpError(ErrorCode::BadRequest, std::string("'") + field + "' must be a string.");
  return body[field];
}

std::optional<std::int64_t> query_int(const RequestContext& ctx, const char* name) {
  auto v = ctx.req.query_param(name);
  if (!v || v->empty()) return std::nullopt;
  std::int64_t out = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || p != v->data() + v->size())
    throw HttpError(ErrorCode::BadRequest, std::string("'") + name + "' must be a whole number.");
  return out;
}

std::vector<worklist::TemplateField> report_field_labels(const worklist::Task& t,
                                                         const std::vector<worklist::ReportVersion>& versions,
                                                         worklist::Reports& reports) {
  if (versions.empty() || !versions.front().content.template_id) return {};
  auto list = reports.templates(t.kind, t.modality, t.body_part);
  if (!list.ok()) return {};
  for (const auto& tpl : *list)
    if (tpl.id == *versions.front().content.template_id) return tpl.fields;
  return {};
}

json to_json(const worklist::Task& t, std::int64_t now_ms) {
  auto flags = json::parse(t.machine_flags, nullptr, false);
  json j{{"id", t.id},
         {"study_uid", t.study_uid},
         {"clinic_id", t.clinic_id},
         {"center_id", t.center_id},
         {"kind", to_string(t.kind)},
         {"priority", to_string(t.priority)},
         {"state", to_string(t.state)},
         {"request", {{"reason", t.request.reason}, {"history", t.request.history}}},
         {"patient",
          {{"name", t.patient.name},
           {"id", t.patient.id},
           {"sex", t.patient.sex},
           {"birth_date", t.patient.birth_date},
           {"age", t.patient.age}}},
         {"modality", t.modality},
         {"body_part", t.body_part},
         {"description", t.description},
         {"accession", t.accession},
         {"assignee", user_ref(t.assignee_id, t.assignee_name)},
         {"lease_expires", time_or_null(t.lease_expires_ms)},
         {"deadline", format_iso8601(t.deadline_ms)},
         {"deadline_ms", t.deadline_ms},
         {"overdue", t.overdue(now_ms)},
         {"nearing_deadline", worklist::is_open(t.state) && t.warn_ms <= now_ms},
         {"updated", t.updated},
         {"machine_flags", flags.is_discarded() ? json::object() : flags},
         {"return_reason", t.return_reason},
         {"technician",
          {{"key", worklist::technician_key(t.technician_id, t.technician_name)},
           {"id", t.technician_id ? json(*t.technician_id) : json(nullptr)},
           {"name", t.technician_name.empty() ? "unknown" : t.technician_name}}},
         {"critical", nullptr},
         {"quality", nullptr},
         {"times",
          {{"received", time_or_null(t.received_ms)},
           {"created", time_or_null(t.created_ms)},
           {"claimed", time_or_null(t.claimed_ms)},
           {"signed", time_or_null(t.signed_ms)},
           {"delivered", time_or_null(t.delivered_ms)},
           {"acknowledged", time_or_null(t.acknowledged_ms)},
           {"updated", time_or_null(t.updated_ms)}}},
         {"row_version", t.row_version}};
  if (t.critical) {
    const auto& c = *t.critical;
    j["critical"] = {{"category", c.category},
                     {"note", c.note},
                     {"marked_at", format_iso8601(c.marked_ms)},
                     {"marked_by", c.marked_by},
                     {"acknowledged_by", c.acknowledged_by ? json(*c.acknowledged_by) : json(nullptr)},
                     {"acknowledged_name", c.acknowledged_name},
                     {"acknowledged_at", c.acknowledged_by ? time_or_null(c.acknowledged_ms) : json(nullptr)}};
  }
  if (t.quality)
    j["quality"] = {{"grade", t.quality->grade},
                    {"reasons", t.quality->reasons},
                    {"comment", t.quality->comment},
                    {"graded_by", t.quality->graded_by},
                    {"graded_at", time_or_null(t.quality->graded_ms)}};
  return j;
}

json to_json(const worklist::TaskEvent& e) {
  return {{"seq", e.seq},
          {"action", to_string(e.action)},
          {"from", to_string(e.from)},
          {"to", to_string(e.to)},
          {"actor", {{"id", e.actor_id}, {"name", e.actor_name}}},
          {"at", format_iso8601(e.at_ms)},
          {"note", e.note}};
}

json to_json(const worklist::ReportVersion& v) {
  json j{{"version", v.version},
         {"kind", v.kind == worklist::VersionKind::Addendum ? "addendum" : "original"},
         {"author", {{"id", v.author_id}, {"name", v.author_name}}},
         {"approver", user_ref(v.approver_id, v.approver_name)},
         {"signed_at", format_iso8601(v.signed_ms)},
         {"verification_code", v.verification_code},
         {"sha256", v.sha256}};
  if (v.kind == worklist::VersionKind::Addendum) {
    j["addendum"] = v.addendum;
  } else {
    j["findings"] = v.content.findings;
    j["impression"] = v.content.impression;
    j["fields"] = v.content.fields;
  }
  return j;
}

json to_json(const worklist::ReportDraft& d) {
  return {{"version", d.version},
          {"findings", d.content.findings},
          {"impression", d.content.impression},
          {"fields", d.content.fields},
          {"template_id", d.content.template_id ? json(*d.content.template_id) : json(nullptr)},
          {"author", {{"id", d.author_id}, {"name", d.author_name}}},
          {"updated_at", format_iso8601(d.updated_ms)}};
}

json to_json(const worklist::TemplateField& f) { return {{"key", f.key}, {"label", f.label}, {"unit", f.unit}}; }

json to_json(const worklist::ReportTemplate& t) {
  json fields = json::array();
  for (const auto& f : t.fields) fields.push_back(to_json(f));
  return {{"id", t.id},         {"name", t.name},           {"kind", to_string(t.kind)},
          {"modality", t.modality}, {"body_part", t.body_part}, {"fields", fields},
          {"findings", t.findings}, {"impression", t.impression}};
}

json to_json(const worklist::TurnaroundRow& r) {
  const auto stage = [](const worklist::Percentiles& p) {
    return json{{"count", p.count}, {"p50_seconds", p.p50_ms / 1000.0}, {"p90_seconds", p.p90_ms / 1000.0}};
  };
  return {{"key", r.key},
          {"label", r.label},
          {"tasks", r.tasks},
          {"signed", r.signed_count},
          {"open_overdue", r.open_overdue},
          {"within_sla", r.within_sla},
          {"sla_compliance", r.sla_compliance},
          {"returned", r.returned},
          {"returned_rate", r.tasks ? double(r.returned) / double(r.tasks) : 0.0},
          {"critical", r.critical},
          {"quality_poor", r.quality_poor},
          {"quality",
           {{"graded", r.quality_graded},
            {"good", r.quality_good},
            {"acceptable", r.quality_acceptable},
            {"poor", r.quality_poor},
            {"good_rate", r.quality_graded ? json(double(r.quality_good) / double(r.quality_graded)) : json(nullptr)},
            {"poor_rate", r.quality_graded ? json(double(r.quality_poor) / double(r.quality_graded)) : json(nullptr)}}},
          {"stages",
           {{"received_to_claimed", stage(r.received_to_claimed)},
            {"claimed_to_signed", stage(r.claimed_to_signed)},
            {"signed_to_delivered", stage(r.signed_to_delivered)},
            {"delivered_to_acknowledged", stage(r.delivered_to_acknowledged)},
            {"received_to_signed", stage(r.received_to_signed)},
            {"critical_acknowledgement", stage(r.critical_acknowledgement)}}}};
}

}  // namespace teledx::server::wl
