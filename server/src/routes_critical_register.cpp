// The critical-value register (危急值登记): one row per critical value with its whole timeline — marked, delivered,
// acknowledged (read-back name), escalations — as JSON or CSV. Leads see their center, admins everything.
#include <map>

#include "worklist_http.hpp"

namespace teledx::server {
namespace {

using nlohmann::json;
using namespace wl;

struct RegisterRow {
  std::int64_t task_id = 0, center_id = 0, clinic_id = 0;
  std::string center, clinic, patient_name, patient_id, modality, accession, category, note;
  std::int64_t marked_ms = 0, delivered_ms = 0, acknowledged_ms = 0;
  std::int64_t marked_by = 0;
  std::string marked_by_name;
  std::optional<std::int64_t> acknowledged_by;
  std::string acknowledged_by_name, readback_name;
  std::vector<std::pair<int, std::int64_t>> escalations;  // level, at
};

std::string iso_or_empty(std::int64_t ms) { return ms > 0 ? format_iso8601(ms) : std::string(); }

std::optional<double> minutes_to_ack(const RegisterRow& r) {
  if (r.acknowledged_ms <= 0) return std::nullopt;
  return static_cast<double>(r.acknowledged_ms - r.marked_ms) / 60000.0;
}

std::string csv(const std::string& s) {
  // Quote always; a leading = + - @ would be taken as a formula by spreadsheets, so prefix it with '.
  std::string out = "\"";
  if (!s.empty() && std::string("=+-@").find(s[0]) != std::string::npos) out += '\'';
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::vector<RegisterRow> load(RequestContext& ctx, std::optional<std::int64_t> center, std::optional<std::int64_t> from,
                              std::optional<std::int64_t> to) {
  std::string sql =
      "SELECT id, center_id, clinic_id, patient_name, patient_id, modality, accession, critical_category, "
      "critical_note, critical_marked_ms, critical_marked_by, delivered_ms, critical_ack_ms, critical_ack_by, "
      "critical_ack_name FROM reading_tasks WHERE critical_marked_ms IS NOT NULL";
  db::Params params;
  if (center) {
    sql += " AND center_id = ?";
    params.push_back(*center);
  }
  if (from) {
    sql += " AND critical_marked_ms >= ?";
    params.push_back(*from);
  }
  if (to) {
    sql += " AND critical_marked_ms < ?";
    params.push_back(*to);
  }
  sql += " ORDER BY critical_marked_ms, id LIMIT 100000";
  auto rows = unwrap(ctx.services.db->query(sql, params));
  std::vector<RegisterRow> out;
  std::map<std::int64_t, std::string> names;
  auto institution = [&](std::int64_t id) {
    if (!names.count(-id)) {
      auto i = ctx.services.consortium->institution(id);
      names[-id] = i.ok() ? i->name : std::string();
    }
    return names[-id];
  };
  auto user = [&](std::int64_t id) {
    if (id <= 0) return std::string();
    if (!names.count(id)) {
      auto u = ctx.services.consortium->user(id);
      names[id] = u.ok() ? u->display_name : std::string();
    }
    return names[id];
  };
  for (const auto& r : rows) {
    RegisterRow x;
    x.task_id = r.integer(0);
    x.center_id = r.integer(1);
    x.clinic_id = r.integer(2);
    x.patient_name = r.text(3);
    x.patient_id = r.text(4);
    x.modality = r.text(5);
    x.accession = r.text(6);
    x.category = r.text(7);
    x.note = r.text(8);
    x.marked_ms = r.integer(9);
    x.marked_by = r.integer(10);
    x.delivered_ms = r.integer(11);
    x.acknowledged_ms = r.integer(12);
    if (!r.is_null(13)) x.acknowledged_by = r.integer(13);
    x.readback_name = r.text(14);
    x.center = institution(x.center_id);
    x.clinic = institution(x.clinic_id);
    x.marked_by_name = user(x.marked_by);
    if (x.acknowledged_by) x.acknowledged_by_name = user(*x.acknowledged_by);
    auto esc = unwrap(ctx.services.db->query(
        "SELECT type, at_ms FROM outbox WHERE task_id = ? AND type LIKE 'critical.escalation%' ORDER BY seq",
        {x.task_id}));
    for (const auto& e : esc) {
      const auto type = e.text(0);
      x.escalations.emplace_back(std::atoi(type.c_str() + std::string("critical.escalation").size()), e.integer(1));
    }
    out.push_back(std::move(x));
  }
  return out;
}

}  // namespace

void add_critical_register_routes(Router& router) {
  router.add({.method = "GET", .pattern = "/api/stats/critical-register", .roles = {Role::Admin, Role::CenterLead}},
             [](RequestContext& ctx) {
               std::optional<std::int64_t> center = query_int(ctx, "center_id");
               const auto& who = ctx.who();
               if (who.user.role == Role::CenterLead) {
                 if (center && *center != who.institution.id)
                   throw HttpError(ErrorCode::NotFound,
                                   "There is no such reading center: " + std::to_string(*center) + ".");
                 center = who.institution.id;
               }
               const auto format = ctx.req.query_param("format").value_or("json");
               if (format != "json" && format != "csv")
                 throw HttpError(ErrorCode::BadRequest, "'format' must be json or csv.");
               auto rows = load(ctx, center, query_int(ctx, "from"), query_int(ctx, "to"));
               (void)ctx.services.audit->append({who.user.username, "export", "critical-register", ctx.req.remote,
                                                 std::to_string(rows.size()) + " rows, " + format});
               if (format == "csv") {
                 std::string out =
                     "task_id,center,clinic,patient_name,patient_id,modality,accession,category,note,marked_at,"
                     "marked_by,delivered_at,acknowledged_at,acknowledged_by,readback_name,escalations,"
                     "first_escalation_at,second_escalation_at,minutes_to_acknowledge\r\n";
                 for (const auto& r : rows) {
                   std::string esc1, esc2;
                   for (const auto& [lvl, at] : r.escalations) (lvl == 1 ? esc1 : esc2) = iso_or_empty(at);
                   char minutes[32] = "";
                   if (auto m = minutes_to_ack(r)) std::snprintf(minutes, sizeof minutes, "%.1f", *m);
                   out += std::to_string(r.task_id) + "," + csv(r.center) + "," + csv(r.clinic) + "," +
                          csv(r.patient_name) + "," + csv(r.patient_id) + "," + csv(r.modality) + "," +
                          csv(r.accession) + "," + csv(r.category) + "," + csv(r.note) + "," +
                          iso_or_empty(r.marked_ms) + "," + csv(r.marked_by_name) + "," +
                          iso_or_empty(r.delivered_ms) + "," + iso_or_empty(r.acknowledged_ms) + "," +
                          csv(r.acknowledged_by_name) + "," + csv(r.readback_name) + "," +
                          std::to_string(r.escalations.size()) + "," + esc1 + "," + esc2 + "," + minutes + "\r\n";
                 }
                 // A UTF-8 byte order mark so spreadsheet programs show the Chinese names.
                 auto resp = HttpResponse::text(200, "\xEF\xBB\xBF" + out, "text/csv; charset=utf-8");
                 resp.headers.emplace_back("Content-Disposition", "attachment; filename=\"critical-register.csv\"");
                 return resp;
               }
               json list = json::array();
               for (const auto& r : rows) {
                 json esc = json::array();
                 for (const auto& [lvl, at] : r.escalations) esc.push_back({{"level", lvl}, {"at", format_iso8601(at)}});
                 auto m = minutes_to_ack(r);
                 list.push_back({{"task_id", r.task_id},
                                 {"center", {{"id", r.center_id}, {"name", r.center}}},
                                 {"clinic", {{"id", r.clinic_id}, {"name", r.clinic}}},
                                 {"patient", {{"name", r.patient_name}, {"id", r.patient_id}}},
                                 {"modality", r.modality},
                                 {"accession", r.accession},
                                 {"category", r.category},
                                 {"note", r.note},
                                 {"marked_at", format_iso8601(r.marked_ms)},
                                 {"marked_by", {{"id", r.marked_by}, {"name", r.marked_by_name}}},
                                 {"delivered_at", r.delivered_ms > 0 ? json(format_iso8601(r.delivered_ms)) : json()},
                                 {"acknowledged_at",
                                  r.acknowledged_ms > 0 ? json(format_iso8601(r.acknowledged_ms)) : json()},
                                 {"acknowledged_by", r.acknowledged_by ? json{{"id", *r.acknowledged_by},
                                                                              {"name", r.acknowledged_by_name}}
                                                                       : json()},
                                 {"readback_name", r.readback_name},
                                 {"escalations", esc},
                                 {"minutes_to_acknowledge", m ? json(*m) : json()}});
               }
               return HttpResponse::json(200, {{"rows", list}});
             });
}

}  // namespace teledx::server
