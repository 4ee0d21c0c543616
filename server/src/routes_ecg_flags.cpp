// ECG machine flags over HTTP: the reader's confirm/dismiss of each flag, and the machine/reader agreement
// statistic. The machine analysis is a suggestion; what the reader decided is what the statistics count.
#include "teledx/worklist/flag_decisions.hpp"
#include "worklist_http.hpp"

namespace teledx::server {

namespace wl {

nlohmann::json ecg_flags_json(RequestContext& ctx, const worklist::Task& t) {
  using nlohmann::json;
  auto decisions = unwrap(worklist::flag_decisions(*ctx.services.db, t.id));
  json flags = json::array();
  int pending = 0;
  for (const auto& f : worklist::machine_flags_of(t)) {
    json j{{"code", f.code}, {"category", f.category}, {"text", f.text}, {"severity", f.severity},
           {"decision", nullptr}};
    if (!f.text_zh.empty()) j["text_zh"] = f.text_zh;
    for (const auto& d : decisions)
      if (d.code == f.code)
        j["decision"] = {{"verdict", worklist::to_string(d.verdict)},
                         {"comment", d.comment},
                         {"by", {{"id", d.decided_by}, {"name", d.decided_name}}},
                         {"at", format_iso8601(d.decided_ms)}};
    if (j["decision"].is_null()) ++pending;
    flags.push_back(std::move(j));
  }
  return {{"flags", flags}, {"pending", pending}};
}

}  // namespace wl

namespace {

using nlohmann::json;
using namespace wl;

json agreement_json(const worklist::FlagAgreementRow& r) {
  return {{"code", r.code},
          {"category", r.category},
          {"raised", r.raised},
          {"confirmed", r.confirmed},
          {"dismissed", r.dismissed},
          {"pending", r.pending},
          {"agreement_rate", r.agreement ? json(*r.agreement) : json(nullptr)}};
}

}  // namespace

void add_ecg_print_routes(Router& router);  // routes_ecg_print.cpp

void add_ecg_flag_routes(Router& router) {
  add_ecg_print_routes(router);
  router.add({.method = "GET", .pattern = "/api/tasks/{id}/ecg-flags", .roles = kReadersAndClinic},
             [](RequestContext& ctx) {
               auto t = visible_task(ctx, id_param(ctx, "id"));
               auto j = ecg_flags_json(ctx, t);
               j["task_id"] = t.id;
               return HttpResponse::json(200, j);
             });

  router.add({.method = "POST", .pattern = "/api/tasks/{id}/ecg-flags/{code}", .roles = kReaders},
             [](RequestContext& ctx) {
               auto t = visible_task(ctx, id_param(ctx, "id"));
               auto body = ctx.json_body();
               auto verdict = worklist::flag_verdict_from(body_string(body, "decision", true));
               if (!verdict) throw HttpError(ErrorCode::BadRequest, "'decision' must be confirm or dismiss.");
               auto comment = body_string(body, "comment", false);
               // The decision and its audit entry commit together (worklist module).
               unwrap(worklist::decide_flag(*ctx.services.tasks, t.id, ctx.param("code"), *verdict, comment, actor(ctx)));
               auto j = ecg_flags_json(ctx, unwrap(ctx.services.tasks->get(t.id)));
               j["task_id"] = t.id;
               return HttpResponse::json(200, j);
             });

  // Agreement between machine flags and readers, per flag type; a lead sees their own center, admins any.
  router.add({.method = "GET", .pattern = "/api/stats/ecg-flags", .roles = {Role::Admin, Role::CenterLead}},
             [](RequestContext& ctx) {
               worklist::StatsFilter f;
               f.from_ms = query_int(ctx, "from");
               f.to_ms = query_int(ctx, "to");
               f.center_id = query_int(ctx, "center_id");
               f.clinic_id = query_int(ctx, "clinic_id");
               const auto& who = ctx.who();
               if (who.user.role == Role::CenterLead) {
                 if (f.center_id && *f.center_id != who.institution.id)
                   throw HttpError(ErrorCode::NotFound,
                                   "There is no such reading center: " + std::to_string(*f.center_id) + ".");
                 f.center_id = who.institution.id;
               }
               if (f.from_ms && f.to_ms && *f.to_ms <= *f.from_ms)
                 throw HttpError(ErrorCode::BadRequest, "'to' must be later than 'from'.");
               auto rows = unwrap(worklist::flag_agreement(*ctx.services.db, f));
               json out = json::array();
               for (const auto& r : rows)
                 if (r.code != "all") out.push_back(agreement_json(r));
               return HttpResponse::json(200, {{"center_id", f.center_id ? json(*f.center_id) : json(nullptr)},
                                               {"from", f.from_ms ? json(*f.from_ms) : json(nullptr)},
                                               {"to", f.to_ms ? json(*f.to_ms) : json(nullptr)},
                                               {"flags", out},
                                               {"total", agreement_json(rows.back())}});
             });
}

}  // namespace teledx::server
