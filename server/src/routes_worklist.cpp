// The reading worklist over HTTP: queries, claiming, the content-free moves and dispatch.
// Readers act only on their center's tasks, clinics only on their own exams; others' tasks answer 404.
#include "routes.hpp"
#include "worklist_http.hpp"

namespace teledx::server {
namespace {

using nlohmann::json;
using namespace wl;
using worklist::TaskAction;

std::vector<std::string> split_list(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& v : values) {
    std::size_t i = 0;
    while (i <= v.size()) {
      auto j = v.find(',', i);
      if (j == std::string::npos) j = v.size();
      if (j > i) out.push_back(v.substr(i, j - i));
      i = j + 1;
    }
  }
  return out;
}

worklist::TaskFilter filter_from_query(const RequestContext& ctx) {
  const auto& q = ctx.req;
  worklist::TaskFilter f;
  for (const auto& s : split_list(q.query_params("state"))) {
    auto st = worklist::task_state_from(s);
    if (!st) throw HttpError(ErrorCode::BadRequest, "Unknown state '" + s + "'.");
    f.states.push_back(*st);
  }
  if (auto m = q.query_param("modality"); m && !m->empty()) f.modality = *m;
  if (auto k = q.query_param("kind"); k && !k->empty()) {
    f.kind = worklist::task_kind_from(*k);
    if (!f.kind) throw HttpError(ErrorCode::BadRequest, "'kind' must be imaging or ecg.");
  }
  if (auto p = q.query_param("priority"); p && !p->empty()) {
    f.priority = worklist::priority_from(*p);
    if (!f.priority) throw HttpError(ErrorCode::BadRequest, "'priority' must be stat, urgent or routine.");
  }
  f.clinic_id = query_int(ctx, "clinic_id");
  f.assignee_id = query_int(ctx, "assignee_id");
  f.from_ms = query_int(ctx, "from");
  f.to_ms = query_int(ctx, "to");
  if (auto o = q.query_param("overdue")) f.overdue_only = *o == "true" || *o == "1";
  if (auto s = q.query_param("sort")) {
    if (*s == "newest") f.sort = worklist::TaskSort::NewestFirst;
    else if (*s != "urgency") throw HttpError(ErrorCode::BadRequest, "'sort' must be urgency or newest.");
  } else if (is_clinic_role(ctx.who().user.role)) {
    f.sort = worklist::TaskSort::NewestFirst;
  }
  f.limit = query_int(ctx, "limit").value_or(50);
  f.offset = query_int(ctx, "offset").value_or(0);
  return f;
}

HttpResponse task_response(RequestContext& ctx, const worklist::Task& t, int status = 200) {
  return HttpResponse::json(status, to_json(t, ctx.services.clock.now_ms()));
}

/// A move without report content: release, start the report, delivery, acknowledgement, return, resume.
struct SimpleMove {
  const char* path;
  TaskAction action;
  const std::vector<Role>* roles;
  bool reason_required;
};

}  // namespace

void add_worklist_routes(Router& router) {
  router.add({.method = "GET", .pattern = "/api/tasks", .roles = kReadersAndClinic}, [](RequestContext& ctx) {
    // Lapsed leases are returned by the server's background loop (twice a second), not on this read path.
    auto f = filter_from_query(ctx);
    auto page = unwrap(ctx.services.tasks->worklist(actor(ctx), f));
    json list = json::array();
    const auto now = ctx.services.clock.now_ms();
    for (const auto& t : page.tasks) {
      // The worklist shows an ECG's counts, not its beat-by-beat list: a 30-min record's list alone is ~60 KB per
      // task, on a page that is re-read whenever the worklist changes. GET /api/tasks/{id} keeps it.
      json j = to_json(t, now);
      if (auto& flags = j["machine_flags"]; flags.contains("beats")) {
        flags["beats"].erase("list");
        flags["beats"].erase("ventricular_t_s");
      }
      list.push_back(std::move(j));
    }
    return HttpResponse::json(200,
                              {{"tasks", list}, {"has_more", page.has_more}, {"limit", f.limit}, {"offset", f.offset}});
  });

  router.add({.method = "GET", .pattern = "/api/tasks/{id}", .roles = kReadersAndClinic}, [](RequestContext& ctx) {
    auto t = visible_task(ctx, id_param(ctx, "id"));
    auto j = to_json(t, ctx.services.clock.now_ms());
    json events = json::array();
    for (const auto& e : unwrap(ctx.services.tasks->events(t.id))) events.push_back(to_json(e));
    j["events"] = events;
    if (t.kind == worklist::TaskKind::Ecg) j["ecg_flags"] = ecg_flags_json(ctx, t);
    return HttpResponse::json(200, j);
  });

  router.add({.method = "POST", .pattern = "/api/tasks/{id}/claim", .roles = kReaders}, [](RequestContext& ctx) {
    auto t = visible_task(ctx, id_param(ctx, "id"));
    return task_response(ctx, unwrap(ctx.services.tasks->claim(t.id, actor(ctx))));
  });

  router.add({.method = "POST", .pattern = "/api/tasks/{id}/touch", .roles = kReaders}, [](RequestContext& ctx) {
    auto t = visible_task(ctx, id_param(ctx, "id"));
    return task_response(ctx, unwrap(ctx.services.tasks->touch(t.id, actor(ctx))));
  });

  static const SimpleMove moves[] = {
      {"release", TaskAction::Release, &kReaders, false},
      {"start-report", TaskAction::StartReport, &kReaders, false},
      {"return-to-clinic", TaskAction::ReturnToClinic, &kReaders, true},
      {"delivered", TaskAction::MarkDelivered, &kClinic, false},
      {"acknowledge", TaskAction::Acknowledge, &kClinic, false},
      {"resume", TaskAction::Resume, &kClinic, false},
  };
  for (const auto& m : moves) {
    router.add({.method = "POST", .pattern = std::string("/api/tasks/{id}/") + m.path, .roles = *m.roles},
               [m](RequestContext& ctx) {
                 auto t = visible_task(ctx, id_param(ctx, "id"));
                 std::string note;
                 if (!ctx.req.body.empty() || m.reason_required)
                   note = body_string(ctx.json_body(), m.reason_required ? "reason" : "note", m.reason_required);
                 // The move and its audit entry commit together (TaskStore).
                 return task_response(ctx, unwrap(ctx.services.tasks->transition(t.id, m.action, actor(ctx), note)));
               });
  }

  router.add({.method = "POST", .pattern = "/api/tasks/{id}/assign", .roles = kLead}, [](RequestContext& ctx) {
    auto t = visible_task(ctx, id_param(ctx, "id"));
    auto body = ctx.json_body();
    if (!body.contains("user_id") || !body["user_id"].is_number_integer())
      throw HttpError(ErrorCode::BadRequest, "The field 'user_id' is required (the reader's id).");
    auto after = unwrap(ctx.services.tasks->assign(t.id, body["user_id"].get<std::int64_t>(), actor(ctx)));
    return task_response(ctx, after);
  });

  router.add({.method = "POST", .pattern = "/api/tasks/{id}/auto-assign", .roles = kLead}, [](RequestContext& ctx) {
    auto t = visible_task(ctx, id_param(ctx, "id"));
    auto after = unwrap(ctx.services.tasks->auto_assign(t.id, actor(ctx)));
    return task_response(ctx, after);
  });

  router.add({.method = "POST", .pattern = "/api/tasks/{id}/priority", .roles = kReaders}, [](RequestContext& ctx) {
    auto t = visible_task(ctx, id_param(ctx, "id"));
    auto body = ctx.json_body();
    auto p = worklist::priority_from(body_string(body, "priority", true));
    if (!p) throw HttpError(ErrorCode::BadRequest, "'priority' must be stat, urgent or routine.");
    auto after = unwrap(ctx.services.tasks->set_priority(t.id, *p, actor(ctx), body_string(body, "reason", false)));
    return task_response(ctx, after);
  });

  add_report_routes(router);
  add_report_pdf_routes(router);
  add_critical_register_routes(router);
  add_prior_routes(router);
  add_ecg_flag_routes(router);
  add_worklist_admin_routes(router);
}

}  // namespace teledx::server
