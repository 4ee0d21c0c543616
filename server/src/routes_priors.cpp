// Prior exams and mutual recognition (结果互认): the same patient's other tasks and signed reports, matched by
// patient ID within the task's clinic and by national ID (身份证号) across the consortium's clinics. Readers of the
// task's center see the list, and so does the clinic treating the patient (other clinics' exams only once signed);
// opening a prior's signed report is audited.
#include "worklist_http.hpp"

namespace teledx::server {
namespace {

using nlohmann::json;
using namespace wl;

/// The reading task {id}: for a reader of its center, or for the staff of the clinic that sent it (the clinic
/// treating the patient). Anyone else: 404, as for any hidden task.
worklist::Task anchor_task(RequestContext& ctx) {
  auto t = visible_task(ctx, id_param(ctx, "id"));
  const auto& who = ctx.who();
  const bool reader = is_reader_role(who.user.role) && who.institution.id == t.center_id;
  const bool clinic = !is_reader_role(who.user.role) && who.institution.id == t.clinic_id;
  if (!reader && !clinic) throw HttpError(ErrorCode::NotFound, "There is no reading task " + std::to_string(t.id) + ".");
  return t;
}

/// A clinic sees another clinic's exam of its patient only once it has a signed report (mutual recognition is
/// about results); its own exams, and everything for readers, in any state.
bool may_see_prior(RequestContext& ctx, const worklist::Task& prior, bool has_signed_report) {
  return is_reader_role(ctx.who().user.role) || prior.clinic_id == ctx.who().institution.id || has_signed_report;
}

struct Prior {
  worklist::Task task;
  std::string matched_by;  // "patient_id" (same clinic) or "national_id"
};

std::vector<Prior> priors_of(RequestContext& ctx, const worklist::Task& t) {
  std::vector<Prior> out;
  const bool by_pid = !t.patient.id.empty();
  const bool by_nid = !t.patient.national_id.empty();
  if (!by_pid && !by_nid) return out;
  auto rows = unwrap(ctx.services.db->query(
      "SELECT id, (clinic_id = ? AND patient_id = ? AND patient_id != '') FROM reading_tasks WHERE id != ? AND "
      "((? AND clinic_id = ? AND patient_id = ?) OR (? AND patient_national_id = ?)) "
      "ORDER BY received_ms DESC, id DESC LIMIT 200",
      {t.clinic_id, t.patient.id, t.id, std::int64_t{by_pid}, t.clinic_id, t.patient.id, std::int64_t{by_nid},
       t.patient.national_id}));
  for (const auto& r : rows) {
    auto p = ctx.services.tasks->get(r.integer(0));
    if (!p.ok()) continue;
    out.push_back({std::move(*p), r.integer(1) ? "patient_id" : "national_id"});
  }
  return out;
}

std::string institution_name(RequestContext& ctx, std::int64_t id) {
  auto inst = ctx.services.consortium->institution(id);
  return inst.ok() ? inst->name : std::string();
}

}  // namespace

void add_prior_routes(Router& router) {
  router.add({.method = "GET", .pattern = "/api/tasks/{id}/priors", .roles = kReadersAndClinic}, [](RequestContext& ctx) {
    auto t = anchor_task(ctx);
    worklist::Reports reports(*ctx.services.tasks);
    json list = json::array();
    for (const auto& p : priors_of(ctx, t)) {
      const auto& x = p.task;
      auto flags = json::parse(x.machine_flags, nullptr, false);
      auto versions = reports.versions(x.id);
      if (!may_see_prior(ctx, x, versions.ok() && !versions->empty())) continue;
      json report = nullptr;
      if (versions.ok() && !versions->empty())
        report = {{"versions", versions->size()},
                  {"signed_at", format_iso8601(versions->front().signed_ms)},
                  {"impression", versions->front().content.impression},
                  {"href", "/api/tasks/" + std::to_string(t.id) + "/priors/" + std::to_string(x.id) + "/report"}};
      list.push_back({{"task_id", x.id},
                      {"matched_by", p.matched_by},
                      {"clinic", {{"id", x.clinic_id}, {"name", institution_name(ctx, x.clinic_id)}}},
                      {"center", {{"id", x.center_id}, {"name", institution_name(ctx, x.center_id)}}},
                      {"kind", to_string(x.kind)},
                      {"state", to_string(x.state)},
                      {"modality", x.modality},
                      {"body_part", x.body_part},
                      {"description", x.description},
                      {"accession", x.accession},
                      {"study_uid", x.study_uid},
                      {"received_at", format_iso8601(x.received_ms)},
                      {"patient", {{"name", x.patient.name}, {"id", x.patient.id}}},
                      // The machine's ECG measurements, for serial comparison with the current tracing.
                      {"machine_flags", flags.is_discarded() ? json::object() : flags},
                      {"signed_report", report}});
    }
    return HttpResponse::json(200, {{"task_id", t.id}, {"priors", list}});
  });

  // A prior's signed report (any clinic of the consortium): only through a task of the same patient that the
  // caller reads or whose clinic treats the patient.
  router.add({.method = "GET", .pattern = "/api/tasks/{id}/priors/{prior}/report", .roles = kReadersAndClinic},
             [](RequestContext& ctx) {
               auto t = anchor_task(ctx);
               const auto prior_id = id_param(ctx, "prior");
               const Prior* found = nullptr;
               auto priors = priors_of(ctx, t);
               for (const auto& p : priors)
                 if (p.task.id == prior_id) found = &p;
               if (!found)
                 throw HttpError(ErrorCode::NotFound, "Task " + std::to_string(prior_id) +
                                                          " is not a prior exam of this patient.");
               auto versions = unwrap(worklist::Reports(*ctx.services.tasks).versions(prior_id));
               if (versions.empty())
                 throw HttpError(ErrorCode::NotFound, "The prior exam has no signed report.");
               json out = json::array();
               for (const auto& v : versions) out.push_back(to_json(v));
               (void)ctx.services.audit->append({ctx.who().user.username, "view_prior_report",
                                                 "task:" + std::to_string(prior_id), ctx.req.remote,
                                                 "while reading task " + std::to_string(t.id) + ", matched by " +
                                                     found->matched_by});
               return HttpResponse::json(200, {{"task_id", prior_id},
                                               {"matched_by", found->matched_by},
                                               {"clinic", institution_name(ctx, found->task.clinic_id)},
                                               {"versions", out}});
             });
}

}  // namespace teledx::server
