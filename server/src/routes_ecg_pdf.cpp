// The paper ECG of a task as a PDF page for the printed report: rendered from the stored waveform (25 mm/s,
// 10 mm/mV, 3x4 + rhythm strip or 6x2), with patient and exam above it and the machine analysis labelled as such.
#include "task_ecg.hpp"
#include "teledx/ecg/render.hpp"
#include "worklist_http.hpp"

namespace teledx::server {

void add_ecg_pdf_routes(Router& router) {
  using namespace wl;
  router.add({.method = "GET", .pattern = "/api/tasks/{id}/ecg.pdf", .roles = kReadersAndClinic},
             [](RequestContext& ctx) {
               auto t = visible_task(ctx, id_param(ctx, "id"));
               if (t.kind != worklist::TaskKind::Ecg)
                 throw HttpError(ErrorCode::NotFound, "Task " + std::to_string(t.id) + " is not an ECG.");
               ecg::RenderOptions o;
               if (auto layout = ctx.req.query_param("layout"); layout && !layout->empty()) {
                 if (*layout == "6x2") o.layout = ecg::Layout::SixByTwo;
                 else if (*layout != "3x4") throw HttpError(ErrorCode::BadRequest, "'layout' must be 3x4 or 6x2.");
               }
               auto e = unwrap(load_task_ecg(ctx.services, t));
               auto pdf = unwrap(ecg::render_pdf(e.wave, o, &e.analysis, e.title_lines));
               audit(ctx, "download", t.id, "ecg.pdf");
               HttpResponse r;
               r.status = 200;
               r.content_type = "application/pdf";
               r.body.assign(pdf.begin(), pdf.end());
               r.headers.emplace_back("Content-Disposition", "inline; filename=\"ecg-" + std::to_string(t.id) + ".pdf\"");
               return r;
             });
}

}  // namespace teledx::server
