// The consortium's administration: institutions, users, DICOM AE titles and the audit log.
#include <charconv>

#include "routes.hpp"
#include "teledx/server/services.hpp"

namespace teledx::server {
namespace {


std::string required_string(const nlohmann::json& body, const char* field) {
  if (!body.contains(field) || !body[field].is_string() || body[field].get<std::string>().empty())
    throw HttpError(ErrorCode::BadRequest, std::string("The field '") + field + "' is required (a non-empty string).");
  return body[field];
}

void audit(RequestContext& ctx, std::string action, std::string target, std::string detail = {}) {
  (void)ctx.services.audit->append(
      {ctx.who().user.username, std::move(action), std::move(target), ctx.req.remote, std::move(detail)});
}

// A center lead manages the users of their own center; an admin everyone's; others only themselves.
bool may_see_user(const Principal& p, const User& u) {
  if (p.user.role == Role::Admin) return true;
  if (p.user.id == u.id) return true;
  return p.user.role == Role::CenterLead && u.institution_id == p.institution.id;
}

const std::vector<Role> kAdmin{Role::Admin};

}  // namespace

nlohmann::json to_json(const Institution& i) {
  nlohmann::json j{{"id", i.id},
                   {"code", i.code},
                   {"name", i.name},
                   {"kind", to_string(i.kind)},
                   {"center_type", to_string(i.center_type)},
                   {"parent_id", nullptr}};
  if (i.parent_id) j["parent_id"] = *i.parent_id;
  return j;
}

nlohmann::json to_json(const User& u) {
  return {{"id", u.id},
          {"username", u.username},
          {"display_name", u.display_name},
          {"role", to_string(u.role)},
          {"institution_id", u.institution_id},
          {"active", u.active}};
}

std::int64_t id_param(const RequestContext& ctx, const std::string& name) {
  const auto& s = ctx.param(name);
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v <= 0)
    throw HttpError(ErrorCode::NotFound, "There is no such " + name + ": '" + s + "'.");
  return v;
}

void add_admin_routes(Router& router) {
  // The directory of member institutions is not patient data: every signed-in user may read it.
  router.add({.method = "GET", .pattern = "/api/institutions"}, [](RequestContext& ctx) {
    auto list = unwrap(ctx.services.consortium->institutions());
    nlohmann::json out = nlohmann::json::array();
    for (const auto& i : list) out.push_back(to_json(i));
    return HttpResponse::json(200, {{"institutions", out}});
  });
  router.add({.method = "GET", .pattern = "/api/institutions/{id}"}, [](RequestContext& ctx) {
    auto r = ctx.services.consortium->institution(id_param(ctx, "id"));
    return HttpResponse::json(200, to_json(unwrap(std::move(r))));
  });
  router.add({.method = "POST", .pattern = "/api/institutions", .roles = kAdmin}, [](RequestContext& ctx) {
    auto body = ctx.json_body();
    NewInstitution in;
    in.code = required_string(body, "code");
    in.name = required_string(body, "name");
    auto kind = institution_kind_from(required_string(body, "kind"));
    if (!kind) throw HttpError(ErrorCode::BadRequest, "'kind' must be hospital, reading_center or clinic.");
    in.kind = *kind;
    if (body.contains("center_type")) {
      auto t = center_type_from(body.value("center_type", ""));
      if (!t) throw HttpError(ErrorCode::BadRequest, "'center_type' must be imaging, ecg or none.");
      in.center_type = *t;
    }
    if (body.contains("parent_id") && body["parent_id"].is_number_integer()) in.parent_id = body["parent_id"];
    auto inst = unwrap(ctx.services.consortium->create_institution(in));
    audit(ctx, "create_institution", "institution:" + std::to_string(inst.id), inst.code);
    return HttpResponse::json(201, to_json(inst));
  });

  router.add({.method = "GET", .pattern = "/api/institutions/{id}/ae-titles", .roles = kAdmin},
             [](RequestContext& ctx) {
               auto list = unwrap(ctx.services.consortium->ae_titles(id_param(ctx, "id")));
               return HttpResponse::json(200, {{"ae_titles", list}});
             });
  router.add({.method = "POST", .pattern = "/api/institutions/{id}/ae-titles", .roles = kAdmin},
             [](RequestContext& ctx) {
               auto body = ctx.json_body();
               auto ae = required_string(body, "ae_title");
               auto id = id_param(ctx, "id");
               unwrap(ctx.services.consortium->add_ae_title(id, ae));
               audit(ctx, "add_ae_title", "institution:" + std::to_string(id), ae);
               return HttpResponse::json(201, {{"ae_title", ae}, {"institution_id", id}});
             });
  router.add({.method = "DELETE", .pattern = "/api/ae-titles/{ae}", .roles = kAdmin}, [](RequestContext& ctx) {
    unwrap(ctx.services.consortium->remove_ae_title(ctx.param("ae")));
    audit(ctx, "remove_ae_title", "ae:" + ctx.param("ae"));
    return HttpResponse::json(200, {{"removed", ctx.param("ae")}});
  });

  router.add({.method = "GET", .pattern = "/api/users", .roles = {Role::Admin, Role::CenterLead}},
             [](RequestContext& ctx) {
               std::optional<std::int64_t> scope;
               if (ctx.who().user.role != Role::Admin) scope = ctx.who().institution.id;
               auto list = unwrap(ctx.services.consortium->users(scope));
               nlohmann::json out = nlohmann::json::array();
               for (const auto& u : list) out.push_back(to_json(u));
               return HttpResponse::json(200, {{"users", out}});
             });
  router.add({.method = "GET", .pattern = "/api/users/{id}"}, [](RequestContext& ctx) {
    auto u = ctx.services.consortium->user(id_param(ctx, "id"));
    // Someone else's account answers 404, not 403: its existence is not disclosed.
    if (!u.ok() || !may_see_user(ctx.who(), *u)) throw HttpError(ErrorCode::NotFound, "There is no such user.");
    return HttpResponse::json(200, to_json(*u));
  });
  router.add({.method = "POST", .pattern = "/api/users", .roles = kAdmin}, [](RequestContext& ctx) {
    auto body = ctx.json_body();
    NewUser in;
    in.username = required_string(body, "username");
    in.display_name = body.value("display_name", in.username);
    in.password = required_string(body, "password");
    auto role = role_from(required_string(body, "role"));
    if (!role)
      throw HttpError(ErrorCode::BadRequest,
                      "'role' must be one of clinic_tech, clinic_doctor, imaging_reader, ecg_reader, senior_reader, "
                      "center_lead, admin.");
    in.role = *role;
    if (!body.contains("institution_id") || !body["institution_id"].is_number_integer())
      throw HttpError(ErrorCode::BadRequest, "The field 'institution_id' is required (a number).");
    in.institution_id = body["institution_id"];
    auto u = unwrap(ctx.services.consortium->create_user(in));
    audit(ctx, "create_user", "user:" + std::to_string(u.id), u.username + " " + std::string(to_string(u.role)));
    return HttpResponse::json(201, to_json(u));
  });
  router.add({.method = "PATCH", .pattern = "/api/users/{id}", .roles = kAdmin}, [](RequestContext& ctx) {
    auto body = ctx.json_body();
    auto id = id_param(ctx, "id");
    auto u = unwrap(ctx.services.consortium->user(id));
    if (body.contains("password")) {
      if (!body["password"].is_string()) throw HttpError(ErrorCode::BadRequest, "'password' must be a string.");
      unwrap(ctx.services.consortium->set_password(id, body["password"].get<std::string>()));
      audit(ctx, "set_password", "user:" + std::to_string(id));
    }
    if (body.contains("active")) {
      if (!body["active"].is_boolean()) throw HttpError(ErrorCode::BadRequest, "'active' must be true or false.");
      u = unwrap(ctx.services.consortium->set_user_active(id, body["active"]));
      audit(ctx, u.active ? "activate_user" : "deactivate_user", "user:" + std::to_string(id));
    }
    return HttpResponse::json(200, to_json(u));
  });

  router.add({.method = "GET", .pattern = "/api/audit", .roles = kAdmin}, [](RequestContext& ctx) {
    std::int64_t limit = 100, before = 0;
    if (auto l = ctx.req.query_param("limit")) limit = std::clamp<std::int64_t>(std::atoll(l->c_str()), 1, 1000);
    if (auto b = ctx.req.query_param("before")) before = std::atoll(b->c_str());
    auto entries = unwrap(ctx.services.audit->list(limit, before, ctx.req.query_param("actor").value_or(""),
                                                   ctx.req.query_param("action").value_or("")));
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : entries)
      out.push_back({{"seq", e.seq},
                     {"at", format_iso8601(e.at_ms)},
                     {"actor", e.event.actor},
                     {"action", e.event.action},
                     {"target", e.event.target},
                     {"remote", e.event.remote},
                     {"detail", e.event.detail},
                     {"hash", e.hash}});
    return HttpResponse::json(200, {{"entries", out}});
  });
}

}  // namespace teledx::server
