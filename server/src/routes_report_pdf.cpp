// The signed report as a PDF (Chinese text, verification code, addenda): GET /api/tasks/{id}/report.pdf.
// Whoever may view the report may download it; every download is audited. An ECG report carries its tracing.
#include "task_ecg.hpp"
#include "teledx/core/log.hpp"
#include "teledx/ecg/render.hpp"
#include "teledx/worklist/report_pdf.hpp"
#include "worklist_http.hpp"

namespace teledx::server {
namespace {

using namespace wl;

std::string institution_name(RequestContext& ctx, std::int64_t id) {
  auto inst = ctx.services.consortium->institution(id);
  return inst.ok() ? inst->name : std::string();
}

/// The paper ECG printed after an ECG report's text, as the reader saw it, so the clinic files one document.
/// Nothing when the waveform cannot be read: the signed report still prints, and the log says why.
std::vector<worklist::AppendedPage> ecg_pages(RequestContext& ctx, const worklist::Task& t,
                                              const std::string& verification_code) {
  if (t.kind != worklist::TaskKind::Ecg) return {};
  auto e = load_task_ecg(ctx.services, t);
  if (!e.ok()) {
    log::warn("report", "report.pdf of task " + std::to_string(t.id) + " prints without its ECG: " + e.error().message);
    return {};
  }
  // The signed report's conclusion is the reader's: the machine's rhythm statements and unconfirmed flags, which
  // the reader may have dismissed, stay off its tracing (ecg.pdf, read before the report, keeps them). The
  // measurements and the recording's own faults are facts about the tracing and stay.
  e->analysis.rhythm.clear();
  e->analysis.critical.clear();
  e->title_lines.push_back("心电图诊断报告附图   报告验证码 " + verification_code + "   诊断以本报告结论为准");
  auto page = ecg::paper_page(e->wave, {}, &e->analysis, e->title_lines);
  if (!page.ok()) {
    log::warn("report", "report.pdf of task " + std::to_string(t.id) + " prints without its ECG: " +
                            page.error().message);
    return {};
  }
  return {{page->width_mm, page->height_mm, std::move(page->draw)}};
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
               in.appended_pages = ecg_pages(ctx, t, versions.back().verification_code);
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
