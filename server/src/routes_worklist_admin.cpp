// Running a reading center: its settings (SLA table, leases, fairness, two-level signing), the rota, reader
// subspecialties and loads, and turnaround statistics. Leads manage their own center; admins only read.
#include <map>

#include "worklist_http.hpp"

namespace teledx::server {
namespace {

using nlohmann::json;
using namespace wl;

const std::vector<Role> kStatsRoles{Role::Admin, Role::CenterLead, Role::ClinicTech, Role::ClinicDoctor};

json shifts_json(const std::vector<worklist::Shift>& shifts) {
  json out = json::array();
  for (const auto& s : shifts)
    out.push_back({{"user_id", s.user_id}, {"weekday", s.weekday}, {"start_minute", s.start_minute},
                   {"end_minute", s.end_minute}});
  return out;
}

/// The reader {id} of the caller's center (a lead's); NotFound otherwise.
User reader_of_own_center(RequestContext& ctx) {
  auto u = ctx.services.consortium->user(id_param(ctx, "id"));
  const auto& who = ctx.who();
  const bool self = u.ok() && u->id == who.user.id;
  const bool lead = u.ok() && who.user.role == Role::CenterLead && u->institution_id == who.institution.id;
  if (!u.ok() || !is_reader_role(u->role) || !(self || lead))
    throw HttpError(ErrorCode::NotFound, "There is no such reader.");
  return *u;
}

worklist::StatsFilter stats_filter(RequestContext& ctx) {
  worklist::StatsFilter f;
  if (auto g = ctx.req.query_param("group"); g && !g->empty()) {
    auto group = worklist::stats_group_from(*g);
    if (!group)
      throw HttpError(ErrorCode::BadRequest,
                      "'group' must be none, center, clinic, modality, reader, priority, day or technician.");
    f.group = *group;
  }
  f.from_ms = query_int(ctx, "from");
  f.to_ms = query_int(ctx, "to");
  f.center_id = query_int(ctx, "center_id");
  f.clinic_id = query_int(ctx, "clinic_id");
  if (auto t = ctx.req.query_param("technician"); t && !t->empty()) f.technician = *t;
  const auto& who = ctx.who();
  // Scope by institution: a lead sees their center, a clinic its own exams; only admins choose freely.
  if (who.user.role == Role::CenterLead) {
    if (f.center_id && *f.center_id != who.institution.id)
      throw HttpError(ErrorCode::NotFound, "There is no such reading center: " + std::to_string(*f.center_id) + ".");
    f.center_id = who.institution.id;
    auto s = ctx.services.tasks->settings(who.institution.id);
    if (s.ok()) f.utc_offset_minutes = s->utc_offset_minutes;
  } else if (is_clinic_role(who.user.role)) {
    if (f.clinic_id && *f.clinic_id != who.institution.id)
      throw HttpError(ErrorCode::NotFound, "There is no such clinic: " + std::to_string(*f.clinic_id) + ".");
    f.clinic_id = who.institution.id;
  }
  return f;
}

json feedback_json(const worklist::QualityFeedback& f, std::map<std::int64_t, std::string>& names,
                   RequestContext& ctx) {
  if (!names.count(f.graded_by)) {
    auto u = ctx.services.consortium->user(f.graded_by);
    names[f.graded_by] = u.ok() ? u->display_name : "";
  }
  return {{"task_id", f.task_id},
          {"study_uid", f.study_uid},
          {"clinic_id", f.clinic_id},
          {"center_id", f.center_id},
          {"modality", f.modality},
          {"body_part", f.body_part},
          {"description", f.description},
          {"accession", f.accession},
          {"patient", {{"name", f.patient_name}, {"id", f.patient_id}}},
          {"technician", {{"key", f.technician_key}, {"name", f.technician_name}}},
          {"grade", f.grade},
          {"reasons", f.reasons},
          {"comment", f.comment},
          {"graded_by", {{"id", f.graded_by}, {"name", names[f.graded_by]}}},
          {"graded_at", format_iso8601(f.graded_ms)},
          {"received_at", format_iso8601(f.received_ms)}};
}

}  // namespace

void add_worklist_admin_routes(Router& router) {
  router.add({.method = "GET", .pattern = "/api/centers/{id}/settings",
              .roles = {Role::Admin, Role::ImagingReader, Role::EcgReader, Role::SeniorReader, Role::CenterLead}},
             [](RequestContext& ctx) {
               auto s = unwrap(ctx.services.tasks->settings(own_center(ctx, true)));
               return HttpResponse::json(200, json::parse(worklist::settings_to_json_text(s)));
             });

  router.add({.method = "PUT", .pattern = "/api/centers/{id}/settings", .roles = kLead}, [](RequestContext& ctx) {
    const auto center = own_center(ctx, false);
    auto body = ctx.json_body();
    auto current = unwrap(ctx.services.tasks->settings(center));
    auto next = unwrap(worklist::settings_from_json_text(body.dump(), current));
    // Audited, and the deadlines of the center's unsigned tasks moved to the new SLA table, in one transaction.
    const int moved = unwrap(ctx.services.tasks->set_settings(center, next, actor(ctx)));
    auto out = json::parse(worklist::settings_to_json_text(next));
    out["deadlines_moved"] = moved;
    return HttpResponse::json(200, out);
  });

  router.add({.method = "GET", .pattern = "/api/centers/{id}/shifts", .roles = {Role::Admin, Role::ImagingReader,
              Role::EcgReader, Role::SeniorReader, Role::CenterLead}},
             [](RequestContext& ctx) {
               const auto center = own_center(ctx, true);
               auto shifts = unwrap(ctx.services.tasks->shifts(center));
               auto duty = unwrap(ctx.services.tasks->on_duty(center, ctx.services.clock.now_ms()));
               return HttpResponse::json(200, {{"shifts", shifts_json(shifts)}, {"on_duty_now", duty}});
             });

  router.add({.method = "PUT", .pattern = "/api/centers/{id}/shifts", .roles = kLead}, [](RequestContext& ctx) {
    const auto center = own_center(ctx, false);
    auto body = ctx.json_body();
    if (!body.contains("shifts") || !body["shifts"].is_array())
      throw HttpError(ErrorCode::BadRequest, "The field 'shifts' is required (a list).");
    std::vector<worklist::Shift> shifts;
    for (const auto& s : body["shifts"]) {
      for (const char* k : {"user_id", "weekday", "start_minute", "end_minute"})
        if (!s.is_object() || !s.contains(k) || !s[k].is_number_integer())
          throw HttpError(ErrorCode::BadRequest, std::string("Each shift needs a whole-number '") + k + "'.");
      shifts.push_back({s["user_id"].get<std::int64_t>(), s["weekday"].get<int>(), s["start_minute"].get<int>(),
                        s["end_minute"].get<int>()});
    }
    unwrap(ctx.services.tasks->set_shifts(center, shifts));
    (void)ctx.services.audit->append({ctx.who().user.username, "center_shifts",
                                      "institution:" + std::to_string(center), ctx.req.remote,
                                      std::to_string(shifts.size()) + " shift(s)"});
    return HttpResponse::json(200, {{"shifts", shifts_json(unwrap(ctx.services.tasks->shifts(center)))}});
  });

  router.add({.method = "GET", .pattern = "/api/centers/{id}/readers", .roles = {Role::Admin, Role::CenterLead}},
             [](RequestContext& ctx) {
               auto loads = unwrap(ctx.services.tasks->reader_loads(own_center(ctx, true)));
               json out = json::array();
               for (const auto& l : loads)
                 out.push_back({{"user_id", l.user_id}, {"name", l.name}, {"open", l.open}, {"overdue", l.overdue}});
               return HttpResponse::json(200, {{"readers", out}});
             });

  router.add({.method = "GET", .pattern = "/api/readers/{id}/profile", .roles = kReaders}, [](RequestContext& ctx) {
    auto u = reader_of_own_center(ctx);
    auto p = unwrap(ctx.services.tasks->profile(u.id));
    return HttpResponse::json(200, {{"user_id", u.id}, {"modalities", p.modalities}, {"body_parts", p.body_parts}});
  });

  router.add({.method = "PUT", .pattern = "/api/readers/{id}/profile", .roles = kLead}, [](RequestContext& ctx) {
    auto u = reader_of_own_center(ctx);
    auto body = ctx.json_body();
    worklist::ReaderProfile p{u.id, {}, {}};
    for (auto [key, list] : {std::pair{"modalities", &p.modalities}, std::pair{"body_parts", &p.body_parts}}) {
      if (!body.contains(key)) continue;
      if (!body[key].is_array()) throw HttpError(ErrorCode::BadRequest, std::string("'") + key + "' must be a list.");
      for (const auto& v : body[key]) {
        if (!v.is_string()) throw HttpError(ErrorCode::BadRequest, std::string("'") + key + "' holds strings.");
        list->push_back(v);
      }
    }
    unwrap(ctx.services.tasks->set_profile(u.institution_id, p));
    auto saved = unwrap(ctx.services.tasks->profile(u.id));
    return HttpResponse::json(200,
                              {{"user_id", u.id}, {"modalities", saved.modalities}, {"body_parts", saved.body_parts}});
  });

  router.add({.method = "GET", .pattern = "/api/stats/turnaround", .roles = kStatsRoles}, [](RequestContext& ctx) {
    auto f = stats_filter(ctx);
    auto rows = unwrap(worklist::turnaround(*ctx.services.db, f, ctx.services.clock.now_ms()));
    if (ctx.req.query_param("format").value_or("json") == "csv") {
      auto r = HttpResponse::text(200, worklist::turnaround_csv(rows), "text/csv; charset=utf-8");
      r.headers.emplace_back("Content-Disposition", "attachment; filename=\"turnaround.csv\"");
      return r;
    }
    json out = json::array();
    for (const auto& r : rows) out.push_back(to_json(r));
    return HttpResponse::json(200, {{"rows", out}});
  });

  // Quality feedback to the grassroots: each graded exam with its grade and reasons, newest first. A clinic sees
  // only its own exams, a lead those of their center, an admin any (same scoping as the statistics).
  router.add({.method = "GET", .pattern = "/api/quality/feedback", .roles = kStatsRoles}, [](RequestContext& ctx) {
    const auto f = stats_filter(ctx);
    worklist::QualityQuery q;
    q.center_id = f.center_id;
    q.clinic_id = f.clinic_id;
    q.technician = f.technician;
    q.from_ms = f.from_ms;
    q.to_ms = f.to_ms;
    if (auto g = ctx.req.query_param("grade"); g && !g->empty()) q.grade = *g;
    q.limit = query_int(ctx, "limit").value_or(50);
    q.offset = query_int(ctx, "offset").value_or(0);
    auto page = unwrap(worklist::quality_feedback(*ctx.services.db, q));
    std::map<std::int64_t, std::string> names;
    json items = json::array();
    for (const auto& item : page.items) items.push_back(feedback_json(item, names, ctx));
    return HttpResponse::json(200, {{"items", items}, {"has_more", page.has_more}, {"limit", q.limit},
                                    {"offset", q.offset}});
  });
}

}  // namespace teledx::server
