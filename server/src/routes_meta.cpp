// Health, metrics and the static front end.
#include <fstream>

#include "routes.hpp"
#include "teledx/server/services.hpp"

namespace teledx::server {
namespace {

std::string mime_for(const std::filesystem::path& p) {
  auto ext = p.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".wav") return "audio/wav";
  return "application/octet-stream";
}

HttpResponse serve_static(const RequestContext& ctx, const std::string& rel) {
  const auto& root = ctx.services.config.web_dir;
  if (root.empty()) throw HttpError(ErrorCode::NotFound, "The web front end is not installed on this server.");
  std::string name = rel.empty() ? "index.html" : rel;
  // Only plain relative names inside the web directory: no "..", no hidden files.
  if (name.find("..") != std::string::npos || name.find("//") != std::string::npos || name[0] == '.')
    throw HttpError(ErrorCode::NotFound, "There is no such page.");
  auto path = root / name;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw HttpError(ErrorCode::NotFound, "There is no such page: /" + name);
  HttpResponse r;
  r.content_type = mime_for(path);
  r.file = path;
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return r;
}

}  // namespace

void add_meta_routes(Router& router) {
  router.add({.method = "GET", .pattern = "/healthz", .authenticated = false}, [](RequestContext& ctx) {
    auto rows = ctx.services.db->query("SELECT 1");
    if (!rows.ok())
      return HttpResponse::json(503, {{"status", "unavailable"}, {"index", rows.error().message}});
    return HttpResponse::json(200, {{"status", "ok"}, {"ae_title", ctx.services.config.ae_title}});
  });
  router.add({.method = "GET", .pattern = "/metrics", .authenticated = false}, [](RequestContext& ctx) {
    std::string body = ctx.services.metrics.render();
    if (ctx.services.instances) body += render_ingest_metrics(ctx.services.instances->timings());
    return HttpResponse::text(200, body, "text/plain; version=0.0.4; charset=utf-8");
  });
  router.add({.method = "GET", .pattern = "/", .authenticated = false},
             [](RequestContext& ctx) { return serve_static(ctx, ""); });
  router.add({.method = "GET", .pattern = "/web/{*path}", .authenticated = false},
             [](RequestContext& ctx) { return serve_static(ctx, ctx.param("path")); });
}

}  // namespace teledx::server
