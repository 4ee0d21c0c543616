#include "teledx/server/router.hpp"

#include <algorithm>
#include <chrono>

#include "teledx/core/log.hpp"
#include "teledx/server/services.hpp"

namespace teledx::server {
namespace {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    if (i >= path.size()) break;
    auto j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.emplace_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

bool match_segments(const std::vector<std::string>& pattern, const std::vector<std::string>& parts,
                    std::map<std::string, std::string>& params) {
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const auto& p = pattern[i];
    if (p.size() > 3 && p.rfind("{*", 0) == 0) {
      std::string rest;
      for (std::size_t j = i; j < parts.size(); ++j) rest += (j > i ? "/" : "") + parts[j];
      params[p.substr(2, p.size() - 3)] = rest;
      return true;
    }
    if (i >= parts.size()) return false;
    if (p.size() > 2 && p.front() == '{' && p.back() == '}')
      params[p.substr(1, p.size() - 2)] = parts[i];
    else if (p != parts[i])
      return false;
  }
  return pattern.size() == parts.size();
}

std::optional<std::string> bearer_or_cookie(const HttpRequest& req) {
  if (auto h = req.header("authorization")) {
    constexpr std::string_view prefix = "Bearer ";
    if (h->size() > prefix.size() && std::equal(prefix.begin(), prefix.end(), h->begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
        }))
      return h->substr(prefix.size());
    return std::string();  // present but not a bearer token: rejected, never silently ignored
  }
  if (auto c = req.cookie("teledx_session")) return c;
  return std::nullopt;
}

}  // namespace

nlohmann::json RequestContext::json_body() const {
  if (auto ct = req.header("content-type"); ct && ct->find("application/json") == std::string::npos)
    throw HttpError(ErrorCode::UnsupportedMediaType, "Send the request body as application/json.");
  auto j = nlohmann::json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw HttpError(ErrorCode::InvalidJson, "The request body is not a valid JSON object.");
  return j;
}

void Router::add(RouteSpec spec, Handler handler) {
  Route r{std::move(spec), std::move(handler), {}, nullptr};
  r.segments = split_path(r.spec.pattern);
  routes_.push_back(std::move(r));
}

RouteMatch Router::match(std::string_view method, std::string_view path) const {
  RouteMatch m;
  auto parts = split_path(path);
  // Literal routes win over parameterised ones registered earlier with the same shape.
  const Route* best = nullptr;
  int best_literals = -1;
  for (const auto& r : routes_) {
    std::map<std::string, std::string> params;
    if (!match_segments(r.segments, parts, params)) continue;
    if (r.spec.method != method && !(method == "HEAD" && r.spec.method == "GET")) {
      m.method_mismatch = true;
      continue;
    }
    int literals = static_cast<int>(std::count_if(r.segments.begin(), r.segments.end(),
                                                  [](const std::string& s) { return s.empty() || s[0] != '{'; }));
    if (literals > best_literals) {
      best = &r;
      best_literals = literals;
      m.params = std::move(params);
    }
  }
  if (best) {
    m.route = best;
    m.method_mismatch = false;
  }
  return m;
}

void Router::add_websocket(RouteSpec spec, std::shared_ptr<WsEndpoint> endpoint) {
  Route r{std::move(spec), nullptr, {}, std::move(endpoint)};
  r.segments = split_path(r.spec.pattern);
  routes_.push_back(std::move(r));
}

namespace {
std::optional<Principal> authenticate_or_throw(const RouteSpec& spec, const HttpRequest& req, Services& services) {
  if (!spec.authenticated) return std::nullopt;
  auto token = bearer_or_cookie(req);
  if (!token)
    throw HttpError(ErrorCode::Unauthenticated, "Log in first: send Authorization: Bearer <token> or the session cookie.");
  auto p = services.consortium->authenticate(*token);
  if (!p.ok()) throw HttpError(p.error());
  if (!spec.roles.empty() && std::find(spec.roles.begin(), spec.roles.end(), p->user.role) == spec.roles.end())
    throw HttpError(ErrorCode::Forbidden, "Your role (" + std::string(to_string(p->user.role)) + ") may not do this.");
  return std::move(*p);
}
}  // namespace

std::variant<std::optional<Principal>, HttpResponse> Router::authorize(const RouteMatch& m, const HttpRequest& req,
                                                                       Services& services) const {
  try {
    return authenticate_or_throw(m.route->spec, req, services);
  } catch (const HttpError& e) {
    log::info("http", req.request_id + " " + req.method + " " + req.path + " upgrade refused: " + e.error.message);
    return HttpResponse::error(e.error);
  }
}

HttpResponse Router::dispatch(const RouteMatch& m, const HttpRequest& req, Services& services) const {
  RequestContext ctx{req, m.params, std::nullopt, services};
  HttpResponse res;
  try {
    ctx.principal = authenticate_or_throw(m.route->spec, req, services);
    if (!m.route->handler)
      throw HttpError(ErrorCode::BadRequest, "This endpoint is a websocket: connect with an Upgrade request.");
    res = m.route->handler(ctx);
  } catch (const HttpError& e) {
    res = HttpResponse::error(e.error);
    if (!e.error.detail.empty()) log::warn("http", req.request_id + " " + e.error.detail);
  } catch (const std::exception& e) {
    log::error("http", req.request_id + " handler failed: " + e.what());
    res = HttpResponse::error(make_error(ErrorCode::Internal, "Internal error; the request was not completed."));
  }
  log::info("http", req.request_id + " " + req.method + " " + req.path + " -> " + std::to_string(res.status) +
                        (ctx.principal ? " user=" + ctx.principal->user.username : std::string()) +
                        " from " + req.remote);
  return res;
}

}  // namespace teledx::server
