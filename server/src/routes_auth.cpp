// Login, logout and the caller's own identity.
#include "routes.hpp"
#include "teledx/server/services.hpp"

namespace teledx::server {
namespace {

std::string session_cookie(const std::string& value, std::int64_t max_age_s, bool secure) {
  return "teledx_session=" + value + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age_s) +
         (secure ? "; Secure" : "");
}

nlohmann::json principal_json(const Principal& p) {
  return {{"user", to_json(p.user)}, {"institution", to_json(p.institution)}};
}

}  // namespace

void add_auth_routes(Router& router) {
  router.add({.method = "POST", .pattern = "/api/login", .authenticated = false, .body_limit = 8 * 1024},
             [](RequestContext& ctx) {
               auto body = ctx.json_body();
               if (!body.contains("username") || !body["username"].is_string() || !body.contains("password") ||
                   !body["password"].is_string())
                 throw HttpError(ErrorCode::BadRequest, "Send {\"username\": \"...\", \"password\": \"...\"}.");
               std::string username = body["username"];
               auto& s = ctx.services;
               auto session = s.consortium->login(username, body["password"].get<std::string>());
               if (!session.ok()) {
                 (void)s.audit->append({username, "login_failed", "user:" + username, ctx.req.remote,
                                        std::string(error_code_name(session.error().code))});
                 throw HttpError(session.error());
               }
               (void)s.audit->append({username, "login", "user:" + std::to_string(session->principal.user.id),
                                      ctx.req.remote, ""});
               std::int64_t ttl_s = (session->expires_ms - s.clock.now_ms()) / 1000;
               auto j = principal_json(session->principal);
               j["token"] = session->token;
               j["expires_at"] = format_iso8601(session->expires_ms);
               auto res = HttpResponse::json(200, j);
               bool secure = ctx.req.header("x-forwarded-proto") == std::optional<std::string>("https");
               res.headers.emplace_back("Set-Cookie", session_cookie(session->token, ttl_s, secure));
               return res;
             });

  router.add({.method = "POST", .pattern = "/api/logout", .body_limit = 1024}, [](RequestContext& ctx) {
    std::string token;
    if (auto h = ctx.req.header("authorization"); h && h->size() > 7) token = h->substr(7);
    else if (auto c = ctx.req.cookie("teledx_session")) token = *c;
    auto r = ctx.services.consortium->logout(token);
    if (!r.ok()) throw HttpError(r.error());
    (void)ctx.services.audit->append({ctx.who().user.username, "logout", "", ctx.req.remote, ""});
    auto res = HttpResponse::json(200, {{"status", "logged_out"}});
    res.headers.emplace_back("Set-Cookie", session_cookie("", 0, false));
    return res;
  });

  router.add({.method = "GET", .pattern = "/api/me"},
             [](RequestContext& ctx) { return HttpResponse::json(200, principal_json(ctx.who())); });
}

}  // namespace teledx::server
