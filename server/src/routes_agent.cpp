// Clinic agents: an administrator issues a long-lived token for a clinic's teledx-agent (a service user of the
// clinic), and can see how far each of the clinic's subscribers has acknowledged the event stream.
#include <cctype>

#include "routes.hpp"
#include "teledx/core/ids.hpp"
#include "teledx/server/services.hpp"
#include "teledx/worklist/delivery.hpp"

namespace teledx::server {
namespace {

constexpr std::int64_t kDay = 24 * 3600'000LL;
const std::vector<Role> kAdmin{Role::Admin};

Institution clinic_param(RequestContext& ctx) {
  auto inst = ctx.services.consortium->institution(id_param(ctx, "id"));
  if (!inst.ok() || inst->kind != InstitutionKind::Clinic)
    throw HttpError(ErrorCode::NotFound, "There is no clinic " + ctx.param("id") + ".");
  return *inst;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

void add_agent_routes(Router& router) {
  // The agent signs in as "agent-<clinic code>", a clinic technician account nobody else uses. Each call gives
  // it a fresh random password and a session of `days` (default 365); the token is shown only in this answer.
  router.add({.method = "POST", .pattern = "/api/institutions/{id}/agent-token", .roles = kAdmin},
             [](RequestContext& ctx) {
               auto clinic = clinic_param(ctx);
               auto body = ctx.req.body.empty() ? nlohmann::json::object() : ctx.json_body();
               std::int64_t days = 365;
               if (body.contains("days")) {
                 if (!body["days"].is_number_integer() || body["days"].get<std::int64_t>() < 1 ||
                     body["days"].get<std::int64_t>() > 3650)
                   throw HttpError(ErrorCode::BadRequest, "'days' must be a whole number from 1 to 3650.");
                 days = body["days"];
               }
               auto& c = *ctx.services.consortium;
               const std::string username = "agent-" + lower(clinic.code);
               const std::string password = random_hex(24);
               User user;
               if (auto existing = c.user_by_name(username)) {
                 if (existing->institution_id != clinic.id || existing->role != Role::ClinicTech)
                   throw HttpError(ErrorCode::Conflict, "The account '" + username +
                                                            "' exists but is not this clinic's agent; rename it first.");
                 auto set = c.set_password(existing->id, password);
                 if (!set.ok()) throw HttpError(set.error());
                 auto active = c.set_user_active(existing->id, true);
                 if (!active.ok()) throw HttpError(active.error());
                 user = *active;
               } else {
                 auto created = c.create_user({username, "代理程序 Agent " + clinic.code, password, Role::ClinicTech,
                                               clinic.id});
                 if (!created.ok()) throw HttpError(created.error());
                 user = *created;
               }
               // Same sessions table and checks as every login, with the agent's longer lifetime.
               Consortium long_lived(*ctx.services.db, ctx.services.clock, LockoutPolicy{}, days * kDay);
               auto session = long_lived.login(username, password);
               if (!session.ok()) throw HttpError(session.error());
               (void)ctx.services.audit->append({ctx.who().user.username, "issue_agent_token",
                                                 "institution:" + std::to_string(clinic.id), ctx.req.remote,
                                                 username + " for " + std::to_string(days) + " days"});
               return HttpResponse::json(201, {{"token", session->token},
                                               {"expires_at", format_iso8601(session->expires_ms)},
                                               {"username", username},
                                               {"user_id", user.id},
                                               {"institution_id", clinic.id}});
             });

  // Delivery cursors of the clinic's subscribers: the administrator and the clinic's own users may look.
  router.add({.method = "GET", .pattern = "/api/institutions/{id}/delivery"}, [](RequestContext& ctx) {
    const auto& who = ctx.who();
    const auto id = id_param(ctx, "id");
    if (who.user.role != Role::Admin && who.institution.id != id)
      throw HttpError(ErrorCode::NotFound, "There is no clinic " + ctx.param("id") + ".");
    auto clinic = clinic_param(ctx);
    auto cursors = worklist::delivery_cursors(*ctx.services.db, clinic.id);
    if (!cursors.ok()) throw HttpError(cursors.error());
    auto head = worklist::outbox_head(*ctx.services.db);
    if (!head.ok()) throw HttpError(head.error());
    nlohmann::json out = nlohmann::json::array();
    for (const auto& cur : *cursors) {
      auto u = ctx.services.consortium->user(cur.user_id);
      out.push_back({{"user_id", cur.user_id},
                     {"username", u.ok() ? u->username : std::string()},
                     {"seq", cur.seq},
                     {"updated_at", format_iso8601(cur.updated_ms)}});
    }
    return HttpResponse::json(200, {{"institution_id", clinic.id}, {"head", *head}, {"cursors", out}});
  });
}

}  // namespace teledx::server
