// The signed report as a PDF (Chinese text, verification code, addenda): GET /api/tasks/{id}/report.pdf.
// Whoever may view the report may download it; every download is audited.
#include "teledx/worklist/report_pdf.hpp"
#include "worklist_http.hpp"

namespace teledx::server {
namespace {

using namespace wl;

std::string institution_name(RequestContext& ctx, std::int64_t id) {
  auto inst = ctx.services.consortium->institution(id);
  return inst.ok() ? inst->name : std::string();
}

}  // namespace

void add_report_pdf_routes(Router& router) {
  router.add({.method = "GET", .pattern = "/api/tasks/{id}/report.pdf", .roles = kReadersAndClinic},
             [](RequestContext& ctx) {
               auto t = visible_task(ctx, id_param(ctx, "id"));
               worklist::Reports reports(*ctx.services.tasks);
               auto versions = unwrap(reports.versions(t.id));
               if (versions.empty())
                 throw HttpError(ErrorCode::NotFound, "Task " + std::to_string(t.id) + " has no signed report yet.");
               if (auto n = query_int(ctx, "version")) {
                 if (*n < 1 || *n > versions.back().version)
                   throw HttpError(ErrorCode::NotFound, "Task " + std::to_string(t.id) + " has no report version " +
                                                            std::to_string(*n) + ".");
                 std::erase_if(versions, [&](const worklist::ReportVersion& v) { return v.version > *n; });
               }
               worklist::ReportPdfInput in;
               in.clinic_name = institution_name(ctx, t.clinic_id);
               in.center_name = institution_name(ctx, t.center_id);
               in.task = t;
               in.versions = versions;
               in.printed_ms = ctx.services.clock.now_ms();
               if (auto s = ctx.services.tasks->settings(t.center_id); s.ok())
                 in.utc_offset_minutes = s->utc_offset_minutes;
               in.field_labels = report_field_labels(t, versions, reports);
               auto pdf = unwrap(worklist::render_report_pdf(in));
               audit(ctx, "download", t.id,
                     "report.pdf version " + std::to_string(versions.back().version) + " code " +
                         versions.back().verification_code);
               HttpResponse r;
               r.status = 200;
               r.content_type = "application/pdf";
               r.body = std::move(pdf);
               r.headers.emplace_back("Content-Disposition", "inline; filename=\"report-" + std::to_string(t.id) +
                                                                 "-v" + std::to_string(versions.back().version) +
                                                                 ".pdf\"");
               return r;
             });
}

}  // namespace teledx::server
