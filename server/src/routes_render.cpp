// Server-rendered images (DICOMweb "rendered" and "thumbnail") and whole-study zip downloads. Same roles and
// clinic scoping as WADO-RS: an instance outside the caller's clinics is "not found", never "forbidden", so
// its existence does not leak. Handlers run on the worker pool (the router dispatches there), so decoding and
// encoding never block the I/O threads.
#include <charconv>
#include <memory>

#include "dicomweb.hpp"
#include "routes.hpp"
#include "teledx/dicom/render.hpp"
#include "teledx/dicom/render_archive.hpp"
#include "teledx/server/services.hpp"

namespace teledx::server {
namespace {

const std::vector<Role> kDicomReaders{Role::ClinicTech,  Role::ClinicDoctor, Role::ImagingReader, Role::EcgReader,
                                      Role::SeniorReader, Role::CenterLead};

// 128 MiB holds about 2000 windowed CT slices as JPEG: a reading session's studies, scrolled back and forth.
dicom::RenderCache& cache() {
  static dicom::RenderCache c(128u << 20);
  return c;
}

int int_value(const std::string& s, const char* what) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size())
    throw HttpError(ErrorCode::BadRequest, std::string("'") + what + "' must be a whole number.");
  return v;
}

// Options from the query (quality, viewport, window) and the Accept header (image/jpeg or image/png).
dicom::RenderOptions render_options(const RequestContext& ctx, int default_viewport) {
  dicom::RenderOptions o;
  const auto accept = ctx.req.header("accept").value_or("");
  const auto jpeg = accept.find("image/jpeg"), png = accept.find("image/png");
  if (png != std::string::npos && (jpeg == std::string::npos || png < jpeg)) {
    o.format = dicom::ImageFormat::Png;
  } else if (jpeg == std::string::npos && !accept.empty() && accept.find("image/*") == std::string::npos &&
             accept.find("*/*") == std::string::npos) {
    throw HttpError(ErrorCode::UnsupportedMediaType,
                    "Rendered images are available as image/jpeg or image/png; ask for one of them in Accept.");
  }
  if (auto q = ctx.req.query_param("quality")) {
    o.quality = int_value(*q, "quality");
    if (o.quality < 1 || o.quality > 100) throw HttpError(ErrorCode::BadRequest, "'quality' must be 1 to 100.");
  }
  o.viewport_width = o.viewport_height = default_viewport;
  if (auto v = ctx.req.query_param("viewport")) {
    auto comma = v->find(',');
    if (comma == std::string::npos || v->find(',', comma + 1) != std::string::npos)
      throw HttpError(ErrorCode::BadRequest, "'viewport' is width,height in pixels (cropping is not supported).");
    o.viewport_width = int_value(v->substr(0, comma), "viewport");
    o.viewport_height = int_value(v->substr(comma + 1), "viewport");
    if (o.viewport_width < 1 || o.viewport_height < 1 || o.viewport_width > 16384 || o.viewport_height > 16384)
      throw HttpError(ErrorCode::BadRequest, "'viewport' sizes must be 1 to 16384 pixels.");
  }
  if (auto w = ctx.req.query_param("window")) o.window = unwrap(dicom::parse_window(*w));
  return o;
}

std::string cache_key(const dicom::InstanceMeta& m, const dicom::RenderOptions& o) {
  std::string k = m.file_key + "|" + std::to_string(o.frame) + "|" + (o.format == dicom::ImageFormat::Png ? "p" : "j") +
                  std::to_string(o.quality) + "|" + std::to_string(o.viewport_width) + "x" +
                  std::to_string(o.viewport_height);
  if (o.window) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "|%.17g,%.17g,%d", o.window->center, o.window->width,
                  static_cast<int>(o.window->function));
    k += buf;
  }
  return k;
}

HttpResponse render(RequestContext& ctx, const dicom::InstanceMeta& m, const dicom::RenderOptions& o) {
  const auto key = cache_key(m, o);
  bool hit = true;
  auto img = cache().get(key);
  if (!img) {
    hit = false;
    img = unwrap(dicom::render_frame(ctx.services.files->path_of(m.file_key), o));
    cache().put(key, *img);
  }
  auto r = HttpResponse::text(200, img->bytes, img->media_type);
  // Rendered bytes never change for these parameters; the private cache keeps them off shared proxies.
  r.headers.emplace_back("Cache-Control", "private, max-age=86400");
  r.headers.emplace_back("X-Render-Cache", hit ? "hit" : "miss");
  return r;
}

dicom::InstanceMeta scoped_instance(RequestContext& ctx) {
  auto m = unwrap(ctx.services.instances->instance(ctx.param("instance"), clinic_scope(ctx)));
  if (m.study_uid != ctx.param("study") || m.series_uid != ctx.param("series"))
    throw HttpError(ErrorCode::NotFound, "No such instance in this series.");
  return m;
}

HttpResponse rendered_instance(RequestContext& ctx) {
  auto m = scoped_instance(ctx);
  return render(ctx, m, render_options(ctx, 0));
}

HttpResponse rendered_frame(RequestContext& ctx) {
  auto m = scoped_instance(ctx);
  auto o = render_options(ctx, 0);
  o.frame = int_value(ctx.param("frame"), "frame number");
  if (o.frame < 1) throw HttpError(ErrorCode::BadRequest, "Frame numbers start at 1; render one frame per request.");
  return render(ctx, m, o);
}

// A study's or series' thumbnail: the middle image of its first imaging series (ECG and other non-image
// instances have no rows), small enough for a series strip.
HttpResponse thumbnail(RequestContext& ctx) {
  dicom::InstanceQuery q;
  q.scope = clinic_scope(ctx);
  q.study_uid = ctx.param("study");
  if (ctx.params.count("series")) q.series_uid = ctx.param("series");
  if (ctx.params.count("instance")) q.sop_uids = {ctx.param("instance")};
  auto found = unwrap(ctx.services.instances->find_instances(q));
  if (found.empty()) throw HttpError(ErrorCode::NotFound, "No such study, series or instance.");
  std::vector<const dicom::InstanceMeta*> images;
  for (const auto& m : found) {
    if (m.rows <= 0) continue;
    if (!images.empty() && m.series_uid != images.front()->series_uid) break;
    images.push_back(&m);
  }
  if (images.empty()) throw HttpError(ErrorCode::BadRequest, "This study, series or instance holds no images.");
  const auto& m = *images[images.size() / 2];
  auto o = render_options(ctx, 128);
  if (!ctx.req.query_param("quality")) o.quality = 80;
  if (m.number_of_frames > 1) o.frame = (m.number_of_frames + 1) / 2;
  return render(ctx, m, o);
}

// Whole study as a zip of its Part 10 files, stored (not deflated: DICOM pixels barely compress and the CPU
// would be the bottleneck), ZIP64 past 4 GiB or 65535 files. dicom::ZipStream knows the archive's length before
// the first byte and generates it piece by piece; the server sends each piece as it is made (reading the files
// on the worker pool), so a study of any size costs one piece of memory and no temporary file.
HttpResponse study_archive(RequestContext& ctx) {
  dicom::InstanceQuery q;
  q.scope = clinic_scope(ctx);
  q.study_uid = ctx.param("study");
  auto found = unwrap(ctx.services.instances->find_instances(q));
  if (found.empty()) throw HttpError(ErrorCode::NotFound, "No such study.");
  std::vector<dicom::ArchiveEntry> entries;
  entries.reserve(found.size());
  for (const auto& m : found) {
    char series[32];
    std::snprintf(series, sizeof series, "%04lld", static_cast<long long>(m.series_number));
    entries.push_back({std::string("series-") + series + "-" + m.series_uid + "/" + m.sop_uid + ".dcm",
                       ctx.services.files->path_of(m.file_key)});
  }
  auto zip = std::make_shared<dicom::ZipStream>(unwrap(dicom::ZipStream::open(std::move(entries))));
  (void)ctx.services.audit->append({ctx.who().user.username, "download", "study:" + q.study_uid, ctx.req.remote, "zip"});
  HttpResponse r;
  r.stream = std::make_shared<BodyStream>();
  r.stream->length = zip->size();
  r.stream->next = [zip](char* buf, std::size_t cap) { return zip->read(buf, cap); };
  r.content_type = "application/zip";
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"study-" + q.study_uid + ".zip\"");
  return r;
}

}  // namespace

void add_render_routes(Router& router) {
  auto get = [&](std::string pattern, Handler h) {
    router.add({.method = "GET", .pattern = std::move(pattern), .roles = kDicomReaders}, std::move(h));
  };
  const std::string inst = "/dicom-web/studies/{study}/series/{series}/instances/{instance}";
  get(inst + "/rendered", rendered_instance);
  get(inst + "/frames/{frame}/rendered", rendered_frame);
  get(inst + "/thumbnail", thumbnail);
  get("/dicom-web/studies/{study}/series/{series}/thumbnail", thumbnail);
  get("/dicom-web/studies/{study}/thumbnail", thumbnail);
  get("/api/studies/{study}/archive", study_archive);
}

}  // namespace teledx::server
