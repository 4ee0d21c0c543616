#pragma once
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "teledx/core/consortium.hpp"
#include "teledx/server/http.hpp"
#include "teledx/server/websocket.hpp"

namespace teledx::server {

struct Services;

/// Who may call a route. Roles are checked before the handler; institution scoping is the handler's job.
struct RouteSpec {
  std::string method;             // "GET", "POST", ...
  std::string pattern;            // "/api/users/{id}"; a trailing "{*rest}" matches the remaining path
  bool authenticated = true;      // false: public (login, healthz, static files)
  std::vector<Role> roles{};      // empty: any authenticated user
  std::size_t body_limit = 64 * 1024;
  bool stream_body_to_file = false;  // large uploads land in a temp file, never whole in memory
  /// Set: a multipart body with a boundary is split as it arrives, each part written to the file this gives
  /// (HttpRequest::parts) instead of the whole body to body_file. Other bodies still go to body_file.
  std::function<std::filesystem::path(Services&)> part_file{};
};

struct RequestContext {
  const HttpRequest& req;
  std::map<std::string, std::string> params;
  std::optional<Principal> principal;
  Services& services;

  const std::string& param(const std::string& name) const { return params.at(name); }
  /// The principal; only valid on authenticated routes.
  const Principal& who() const { return *principal; }
  /// Parses the body as a JSON object or throws HttpError(InvalidJson).
  nlohmann::json json_body() const;
};

using Handler = std::function<HttpResponse(RequestContext&)>;

/// Thrown by handlers to answer an error; the router turns it into the JSON error response.
struct HttpError : std::exception {
  Error error;
  explicit HttpError(Error e) : error(std::move(e)) {}
  HttpError(ErrorCode c, std::string message) : error(make_error(c, std::move(message))) {}
  const char* what() const noexcept override { return error.message.c_str(); }
};

struct Route {
  RouteSpec spec;
  Handler handler;
  std::vector<std::string> segments;
  std::shared_ptr<WsEndpoint> websocket;  // set for websocket routes (GET with Upgrade)
};

struct RouteMatch {
  const Route* route = nullptr;
  std::map<std::string, std::string> params;
  bool method_mismatch = false;  // path known, method not
};

class Router {
 public:
  void add(RouteSpec spec, Handler handler);
  /// A websocket route: GET with an Upgrade header, authenticated and role-checked like any route.
  void add_websocket(RouteSpec spec, std::shared_ptr<WsEndpoint> endpoint);
  RouteMatch match(std::string_view method, std::string_view path) const;
  const std::vector<Route>& routes() const { return routes_; }

  /// Authenticates, authorises by role and runs the handler; every failure becomes a JSON error response.
  /// Runs on a worker thread (database access).
  HttpResponse dispatch(const RouteMatch& m, const HttpRequest& req, Services& services) const;
  /// Authentication and role check alone (websocket upgrades): the principal, or the error response.
  std::variant<std::optional<Principal>, HttpResponse> authorize(const RouteMatch& m, const HttpRequest& req,
                                                                 Services& services) const;

 private:
  std::vector<Route> routes_;
};

}  // namespace teledx::server
