#pragma once
// Route groups, one file each; server_main wires them into one Router.
#include "teledx/server/router.hpp"

namespace teledx::server {

void add_meta_routes(Router& router);   // /healthz, /metrics, static web files
void add_auth_routes(Router& router);   // /api/login, /api/logout, /api/me
void add_admin_routes(Router& router);  // /api/institutions, /api/users, AE titles, /api/audit
void add_worklist_routes(Router& router);  // /api/tasks, reports, center settings and rota, /api/stats
class EventHub;
void add_websocket_routes(Router& router, EventHub& hub);  // /ws: greeting, event stream, acknowledgements
void add_agent_routes(Router& router);      // /api/institutions/{id}/agent-token, /api/institutions/{id}/delivery

/// JSON views shared by route groups.
nlohmann::json to_json(const Institution& i);
nlohmann::json to_json(const User& u);

/// The value of a module result, or the HttpError that answers its error.
template <class T>
T unwrap(Result<T> r) {
  if (!r.ok()) throw HttpError(r.error());
  return std::move(*r);
}
inline void unwrap(Result<void> r) {
  if (!r.ok()) throw HttpError(r.error());
}

/// Parses a decimal id path parameter or throws NotFound.
std::int64_t id_param(const RequestContext& ctx, const std::string& name);

}  // namespace teledx::server
