// The paper ECG of a task as a PDF page for the printed report: rendered from the stored waveform (25 mm/s,
// 10 mm/mV, 3x4 + rhythm strip or 6x2), with patient and exam above it and the machine analysis labelled as such.
#include "teledx/ecg/analysis.hpp"
#include "teledx/ecg/readers.hpp"
#include "teledx/ecg/render.hpp"
#include "teledx/worklist/print_text.hpp"
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
               dicom::InstanceQuery q;
               q.study_uid = t.study_uid;
               auto& s = ctx.services;
               std::optional<ecg::Waveform> wave;
               std::string problem = "the exam holds no ECG waveform";
               for (const auto& m : unwrap(s.instances->find_instances(q))) {
                 if (!dicom::InstanceStore::is_ecg_sop_class(m.sop_class_uid)) continue;
                 auto w = ecg::read_ecg_file(s.files->path_of(m.file_key));
                 if (w.ok()) {
                   wave = std::move(*w);
                   break;
                 }
                 problem = w.error().message;
               }
               if (!wave)
                 throw HttpError(ErrorCode::NotFound, "The ECG of task " + std::to_string(t.id) +
                                                          " cannot be printed: " + problem + ".");
               const auto analysis = ecg::analyze(*wave);
               std::string clinic;
               if (auto c = s.consortium->institution(t.clinic_id); c.ok()) clinic = c->name;
               // As the report PDF writes them: the clinic files this page with it.
               using worklist::or_dash;
               int utc_offset = 480;
               if (auto c = s.tasks->settings(t.center_id); c.ok()) utc_offset = c->utc_offset_minutes;
               std::vector<std::string> title{
                   "姓名 " + or_dash(worklist::person_name_text(t.patient.name)) + "   患者编号 " + or_dash(t.patient.id) +
                       "   性别 " + worklist::sex_text(t.patient.sex) + "   年龄 " + worklist::age_text(t.patient.age) +
                       "   出生日期 " + or_dash(worklist::birth_date_text(t.patient.birth_date)),
                   or_dash(clinic) + "   " + or_dash(t.description) + "   接收时间 " +
                       worklist::local_time_text(t.received_ms, utc_offset)};
               auto pdf = unwrap(ecg::render_pdf(*wave, o, &analysis, title));
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
