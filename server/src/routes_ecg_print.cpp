// The paper ECG of a task, rendered from the stored waveform (25 mm/s, 10 mm/mV, 3x4 + rhythm strip or 6x2) with
// patient and exam above it and the machine analysis labelled as such: as a PDF page for the printed report
// (ecg.pdf), and as a PNG picture (ecg.png) for systems that file images (a hospital's EMR, a doctor's phone).
#include <string>

#include "task_ecg.hpp"
#include "teledx/ecg/render.hpp"
#include "worklist_http.hpp"

namespace teledx::server {
namespace {

using namespace wl;

/// The task, if it is an ECG the caller may see, and the paper options of the request (?layout=3x4|6x2).
worklist::Task ecg_task(RequestContext& ctx, ecg::RenderOptions& o) {
  auto t = visible_task(ctx, id_param(ctx, "id"));
  if (t.kind != worklist::TaskKind::Ecg)
    throw HttpError(ErrorCode::NotFound, "Task " + std::to_string(t.id) + " is not an ECG.");
  if (auto layout = ctx.req.query_param("layout"); layout && !layout->empty()) {
    if (*layout == "6x2") o.layout = ecg::Layout::SixByTwo;
    else if (*layout != "3x4") throw HttpError(ErrorCode::BadRequest, "'layout' must be 3x4 or 6x2.");
  }
  return t;
}

HttpResponse file_response(std::vector<std::uint8_t> bytes, const char* type, const std::string& filename) {
  HttpResponse r;
  r.status = 200;
  r.content_type = type;
  r.body.assign(bytes.begin(), bytes.end());
  r.headers.emplace_back("Content-Disposition", "inline; filename=\"" + filename + "\"");
  return r;
}

}  // namespace

void add_ecg_print_routes(Router& router) {
  router.add({.method = "GET", .pattern = "/api/tasks/{id}/ecg.pdf", .roles = kReadersAndClinic},
             [](RequestContext& ctx) {
               ecg::RenderOptions o;
               auto t = ecg_task(ctx, o);
               auto e = unwrap(load_task_ecg(ctx.services, t));
               auto pdf = unwrap(ecg::render_pdf(e.wave, o, &e.analysis, e.title_lines));
               audit(ctx, "download", t.id, "ecg.pdf");
               return file_response(std::move(pdf), "application/pdf", "ecg-" + std::to_string(t.id) + ".pdf");
             });
  router.add({.method = "GET", .pattern = "/api/tasks/{id}/ecg.png", .roles = kReadersAndClinic},
             [](RequestContext& ctx) {
               ecg::RenderOptions o;
               auto t = ecg_task(ctx, o);
               if (auto k = query_int(ctx, "px_per_mm")) {
                 if (*k < 2 || *k > 20) throw HttpError(ErrorCode::BadRequest, "'px_per_mm' must be 2 to 20.");
                 o.px_per_mm = double(*k);
               }
               auto e = unwrap(load_task_ecg(ctx.services, t));
               auto png = unwrap(ecg::render_png(e.wave, o, &e.analysis, e.title_lines));
               audit(ctx, "download", t.id, "ecg.png");
               return file_response(std::move(png), "image/png", "ecg-" + std::to_string(t.id) + ".png");
             });
}

}  // namespace teledx::server
