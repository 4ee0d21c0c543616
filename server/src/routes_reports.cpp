// Reports over HTTP: templates, draft autosave, one- and two-level signing, addenda, critical values and
// quality grades. Clinics see signed versions only; drafts stay inside the reading center.
#include "worklist_http.hpp"

namespace teledx::server {
namespace {

using nlohmann::json;
using namespace wl;

worklist::ReportContent content_from(const json& body) {
  worklist::ReportContent c;
  c.findings = body_string(body, "findings", false);
  c.impression = body_string(body, "impression", false);
  if (body.contains("fields") && !body["fields"].is_null()) {
    if (!body["fields"].is_object())
      throw HttpError(ErrorCode::BadRequest, "'fields' must be an object of names to text values.");
    for (const auto& [k, v] : body["fields"].items()) {
      if (!v.is_string() && !v.is_number())
        throw HttpError(ErrorCode::BadRequest, "The field '" + k + "' must be text or a number.");
      c.fields[k] = v.is_string() ? v.get<std::string>() : v.dump();
    }
  }
  if (body.contains("template_id") && body["template_id"].is_number_integer())
    c.template_id = body["template_id"].get<std::int64_t>();
  return c;
}

worklist::Reports reports(RequestContext& ctx) { return worklist::Reports(*ctx.services.tasks); }

HttpResponse version_response(RequestContext& ctx, const worklist::ReportVersion& v) {
  auto t = unwrap(ctx.services.tasks->get(v.task_id));
  return HttpResponse::json(200, {{"report", to_json(v)}, {"task", to_json(t, ctx.services.clock.now_ms())}});
}

}  // namespace

void add_report_routes(Router& router) {
  router.add({.method = "GET", .pattern = "/api/report-templates", .roles = kReaders}, [](RequestContext& ctx) {
    std::optional<worklist::TaskKind> kind;
    if (auto k = ctx.req.query_param("kind"); k && !k->empty()) {
      kind = worklist::task_kind_from(*k);
      if (!kind) throw HttpError(ErrorCode::BadRequest, "'kind' must be imaging or ecg.");
    }
    auto list = unwrap(reports(ctx).templates(kind, ctx.req.query_param("modality").value_or(""),
                                              ctx.req.query_param("body_part").value_or("")));
    json out = json::array();
    for (const auto& t : list) out.push_back(to_json(t));
    return HttpResponse::json(200, {{"templates", out}});
  });

  router.add({.method = "POST", .pattern = "/api/report-templates", .roles = kLead}, [](RequestContext& ctx) {
    auto body = ctx.json_body();
    worklist::ReportTemplate t;
    t.name = body_string(body, "name", true);
    auto kind = worklist::task_kind_from(body_string(body, "kind", true));
    if (!kind) throw HttpError(ErrorCode::BadRequest, "'kind' must be imaging or ecg.");
    t.kind = *kind;
    t.modality = body_string(body, "modality", false);
    t.body_part = body_string(body, "body_part", false);
    t.findings = body_string(body, "findings", false);
    t.impression = body_string(body, "impression", false);
    if (body.contains("fields")) {
      if (!body["fields"].is_array()) throw HttpError(ErrorCode::BadRequest, "'fields' must be a list.");
      for (const auto& f : body["fields"]) {
        if (!f.is_object()) throw HttpError(ErrorCode::BadRequest, "Each field is an object with a 'key'.");
        t.fields.push_back({body_string(f, "key", true), body_string(f, "label", false), body_string(f, "unit", false)});
      }
    }
    auto added = unwrap(reports(ctx).add_template(t));
    (void)ctx.services.audit->append({ctx.who().user.username, "add_report_template",
                                      "report_template:" + std::to_string(added.id), ctx.req.remote, added.name});
    return HttpResponse::json(201, to_json(added));
  });

  router.add({.method = "GET", .pattern = "/api/tasks/{id}/report", .roles = kReadersAndClinic},
             [](RequestContext& ctx) {
               auto t = visible_task(ctx, id_param(ctx, "id"));
               auto rep = reports(ctx);
               const auto signed_versions = unwrap(rep.versions(t.id));
               json versions = json::array(), labels = json::array();
               for (const auto& v : signed_versions) versions.push_back(to_json(v));
               for (const auto& f : report_field_labels(t, signed_versions, rep)) labels.push_back(to_json(f));
               json out{{"task_id", t.id}, {"state", to_string(t.state)}, {"versions", versions}, {"field_labels", labels}};
               if (is_reader_role(ctx.who().user.role)) {
                 auto d = unwrap(rep.draft(t.id));
                 out["draft"] = d ? to_json(*d) : json(nullptr);
               }
               // The reader writes the report next to the machine flags and their verdicts (routes_ecg_flags.cpp).
               if (t.kind == worklist::TaskKind::Ecg) out["ecg_flags"] = ecg_flags_json(ctx, t);
               return HttpResponse::json(200, out);
             });

  router.add({.method = "PUT", .pattern = "/api/tasks/{id}/report/draft", .roles = kReaders, .body_limit = 256 * 1024},
             [](RequestContext& ctx) {
               auto t = visible_task(ctx, id_param(ctx, "id"));
               auto body = ctx.json_body();
               if (!body.contains("base_version") || !body["base_version"].is_number_integer())
                 throw HttpError(ErrorCode::BadRequest,
                                 "The field 'base_version' is required: the draft version you edited (0 for none).");
               auto d = unwrap(reports(ctx).save_draft(t.id, body["base_version"].get<std::int64_t>(),
                                                       content_from(body), actor(ctx)));
               return HttpResponse::json(200, to_json(d));
             });

  router.add({.method = "POST", .pattern = "/api/tasks/{id}/report/sign", .roles = kReaders}, [](RequestContext& ctx) {
    auto t = visible_task(ctx, id_param(ctx, "id"));
    auto v = unwrap(reports(ctx).sign(t.id, actor(ctx)));
    return version_response(ctx, v);
  });

  router.add({.method = "POST", .pattern = "/api/tasks/{id}/report/submit", .roles = kReaders},
             [](RequestContext& ctx) {
               auto t = visible_task(ctx, id_param(ctx, "id"));
               auto after = unwrap(reports(ctx).submit_for_review(t.id, actor(ctx)));
               return HttpResponse::json(200, to_json(after, ctx.services.clock.now_ms()));
             });

  router.add({.method = "POST", .pattern = "/api/tasks/{id}/report/approve", .roles = kReaders},
             [](RequestContext& ctx) {
               auto t = visible_task(ctx, id_param(ctx, "id"));
               auto v = unwrap(reports(ctx).approve(t.id, actor(ctx)));
               return version_response(ctx, v);
             });

  router.add({.method = "POST", .pattern = "/api/tasks/{id}/report/return-for-revision", .roles = kReaders},
             [](RequestContext& ctx) {
               auto t = visible_task(ctx, id_param(ctx, "id"));
               auto comment = body_string(ctx.json_body(), "comment", true);
               auto after = unwrap(reports(ctx).return_for_revision(t.id, actor(ctx), comment));
               return HttpResponse::json(200, to_json(after, ctx.services.clock.now_ms()));
             });

  router.add({.method = "POST", .pattern = "/api/tasks/{id}/report/addendum", .roles = kReaders,
              .body_limit = 128 * 1024},
             [](RequestContext& ctx) {
               auto t = visible_task(ctx, id_param(ctx, "id"));
               auto v = unwrap(reports(ctx).add_addendum(t.id, body_string(ctx.json_body(), "text", true), actor(ctx)));
               return version_response(ctx, v);
             });

  router.add({.method = "POST", .pattern = "/api/tasks/{id}/critical", .roles = kReaders}, [](RequestContext& ctx) {
    auto t = visible_task(ctx, id_param(ctx, "id"));
    auto body = ctx.json_body();
    auto category = body_string(body, "category", true);
    auto after = unwrap(reports(ctx).mark_critical(t.id, category, body_string(body, "note", false), actor(ctx)));
    return HttpResponse::json(200, to_json(after, ctx.services.clock.now_ms()));
  });

  router.add({.method = "POST", .pattern = "/api/tasks/{id}/critical/acknowledge", .roles = kClinic},
             [](RequestContext& ctx) {
               auto t = visible_task(ctx, id_param(ctx, "id"));
               auto name = body_string(ctx.json_body(), "readback_name", true);
               auto after = unwrap(reports(ctx).acknowledge_critical(t.id, name, actor(ctx)));
               return HttpResponse::json(200, to_json(after, ctx.services.clock.now_ms()));
             });

  router.add({.method = "PUT", .pattern = "/api/tasks/{id}/quality", .roles = kReaders}, [](RequestContext& ctx) {
    auto t = visible_task(ctx, id_param(ctx, "id"));
    auto body = ctx.json_body();
    worklist::QualityGrade g;
    g.grade = body_string(body, "grade", true);
    g.comment = body_string(body, "comment", false);
    if (body.contains("reasons")) {
      if (!body["reasons"].is_array()) throw HttpError(ErrorCode::BadRequest, "'reasons' must be a list.");
      for (const auto& r : body["reasons"]) {
        if (!r.is_string()) throw HttpError(ErrorCode::BadRequest, "Each reason is a string.");
        g.reasons.push_back(r);
      }
    }
    auto after = unwrap(reports(ctx).grade_quality(t.id, g, actor(ctx)));
    return HttpResponse::json(200, to_json(after, ctx.services.clock.now_ms()));
  });

  // Anyone signed in may check a printed code; the answer proves authenticity without patient data.
  router.add({.method = "GET", .pattern = "/api/reports/verify/{code}"}, [](RequestContext& ctx) {
    auto v = reports(ctx).by_verification_code(ctx.param("code"));
    if (!v) throw HttpError(ErrorCode::NotFound, "No signed report carries this verification code.");
    return HttpResponse::json(200, {{"valid", true},
                                    {"version", v->version},
                                    {"kind", v->kind == worklist::VersionKind::Addendum ? "addendum" : "original"},
                                    {"signed_at", format_iso8601(v->signed_ms)},
                                    {"author", v->author_name},
                                    {"approver", v->approver_name},
                                    {"sha256", v->sha256}});
  });
}

}  // namespace teledx::server
