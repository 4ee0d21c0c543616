// The paper ECG page (grid, calibration pulses, traces, labels, title, measurements, statements) drawn with cairo:
// as vectors into a PDF for the printed report, so a printer draws the millimetre grid exactly at any resolution,
// into another document's PDF (paper_page), and as a PNG image for systems that file pictures. Text goes through
// Pango for Chinese names and statements.
#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>

#include "analysis_internal.hpp"
#include "render_layout.hpp"
#include "statement_names.hpp"

namespace teledx::ecg {
namespace {

constexpr double kPtPerMm = 72.0 / 25.4;
constexpr const char* kFont = "Noto Sans CJK SC";

cairo_status_t append(void* closure, const unsigned char* data, unsigned int length) {
  auto* out = static_cast<std::vector<std::uint8_t>*>(closure);
  out->insert(out->end(), data, data + length);
  return CAIRO_STATUS_SUCCESS;
}

/// A layout of `s` at `size_mm`; with `max_mm`, at most `max_lines` lines of that width (wrapped between words or,
/// in Chinese, between characters), the last cut with an ellipsis rather than run off the page.
PangoLayout* text_layout(cairo_t* cr, const std::string& s, double size_mm, double max_mm, int max_lines) {
  PangoLayout* l = pango_cairo_create_layout(cr);
  if (max_mm > 0) {
    pango_layout_set_width(l, int(max_mm * PANGO_SCALE));
    pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_END);
    if (max_lines > 1) {
      pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
      pango_layout_set_height(l, -max_lines);  // negative: a number of lines
    }
  }
  // The page is drawn in millimetres: hinted metrics would round every glyph advance to a whole millimetre.
  cairo_font_options_t* fo = cairo_font_options_create();
  cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
  pango_cairo_context_set_font_options(pango_layout_get_context(l), fo);
  pango_context_set_round_glyph_positions(pango_layout_get_context(l), FALSE);
  pango_layout_context_changed(l);
  cairo_font_options_destroy(fo);
  PangoFontDescription* fd = pango_font_description_new();
  pango_font_description_set_family(fd, kFont);
  pango_font_description_set_absolute_size(fd, size_mm * PANGO_SCALE);
  pango_layout_set_font_description(l, fd);
  pango_font_description_free(fd);
  pango_layout_set_text(l, s.data(), static_cast<int>(s.size()));
  return l;
}

void show(cairo_t* cr, PangoLayout* l, double x_mm, double y_mm, double size_mm, bool red) {
  cairo_set_source_rgb(cr, red ? 0.8 : 0.15, red ? 0.1 : 0.15, red ? 0.1 : 0.15);
  cairo_move_to(cr, x_mm, y_mm - size_mm);  // y is the baseline, roughly
  pango_cairo_show_layout(cr, l);
  g_object_unref(l);
}

/// One line of text; with `max_mm`, cut with an ellipsis at that width rather than run off the page.
void text(cairo_t* cr, const std::string& s, double x_mm, double y_mm, double size_mm, bool red = false,
          double max_mm = 0) {
  show(cr, text_layout(cr, s, size_mm, max_mm, 1), x_mm, y_mm, size_mm, red);
}

/// The statements' line at `y_mm`: one line at 3 mm when they fit, else two at 2.5 mm in the same band (its second
/// line ends above the flags' line), so that a third or fourth statement is printed rather than cut off.
void statements_text(cairo_t* cr, const std::string& s, double x_mm, double y_mm, double max_mm) {
  PangoLayout* one = text_layout(cr, s, 3, max_mm, 1);
  if (!pango_layout_is_ellipsized(one)) return show(cr, one, x_mm, y_mm, 3, false);
  g_object_unref(one);
  show(cr, text_layout(cr, s, 2.5, max_mm, 2), x_mm, y_mm - 1.4, 2.5, false);
}

/// "窦性心动过缓，41 次/分": the statement's Chinese sentence, for the clinic that files the paper, without the machine-flag
/// opening critical.cpp gives a critical one for the JSON (on paper the flag line says so once). A statement without
/// a Chinese sentence (an analysis stored before they existed) prints its Chinese name, then its English text.
std::string printed_statement(const Statement& st) {
  const bool chinese = !st.text_zh.empty();
  std::string_view said = chinese ? st.text_zh : st.text;
  const std::string_view opening = chinese ? detail::kMachineFlagPrefixZh : detail::kMachineFlagPrefix;
  if (said.starts_with(opening)) said.remove_prefix(opening.size());
  const std::string_view name = chinese ? std::string_view() : detail::chinese_name(st.code);
  return name.empty() ? std::string(said) : std::string(name) + "：" + std::string(said);
}

/// The recording's own faults (warning-level quality findings) in one phrase, kinds in order with their leads:
/// "信号质量：导联脱落（V1、V2、V3）、建议重新描记"; empty when there is none. The paper is filed with the report, and a
/// reader of it should know the tracing was faulty.
std::string printed_quality(const std::vector<Statement>& quality) {
  std::vector<std::pair<std::string, std::string>> kinds;  // name, leads
  for (const auto& q : quality) {
    if (q.severity != Severity::Warning) continue;
    const std::string_view zh = detail::chinese_name(q.code);
    const std::string name = zh.empty() ? q.text : std::string(zh);
    auto it = std::find_if(kinds.begin(), kinds.end(), [&](const auto& k) { return k.first == name; });
    if (it == kinds.end()) it = kinds.insert(kinds.end(), {name, ""});
    if (q.lead) it->second += (it->second.empty() ? "" : "、") + std::string(lead_name(*q.lead));
  }
  std::string out;
  for (const auto& [name, leads] : kinds)
    out += (out.empty() ? "信号质量：" : "、") + name + (leads.empty() ? "" : "（" + leads + "）");
  return out;
}

/// What a page draws from: the display copy of the signals, the analysis and the title, copied so the page can be
/// drawn after its caller's objects are gone.
struct PageContent {
  LeadSet signals;
  RenderOptions o;
  std::optional<Analysis> analysis;
  std::vector<std::string> title_lines;
  std::string acquisition_time, device;
};

/// Geometry of the page in millimetres: margins, rows and the page size.
struct PageGeometry {
  double left = 12, right = 5, header = 26, bottom = 8, row_h = 30, width_mm = 0, height_mm = 0;
  std::size_t lines = 0;
};

PageGeometry geometry(const detail::PageLayout& page, const RenderOptions& o, std::size_t title_lines) {
  PageGeometry g;
  g.lines = std::min<std::size_t>(title_lines, 4);
  g.header = 26 + 5 * double(g.lines);
  g.row_h = o.layout == Layout::SixByTwo ? 25 : 30;
  // An 18-lead ECG's added rows would make the 3x4 page taller than an A4 sheet held landscape can print (210 mm less
  // the signed report's 7-mm margins and footer line: 192 mm), and the report would shrink it off 25 mm/s and
  // 10 mm/mV. Its rows close up instead, to 20 mm at the least; tall complexes run into the next row, as on a cart's
  // own 18-lead print.
  constexpr double kA4LandscapeRoomMm = 192, kMinRowMm = 20;
  if (o.layout != Layout::SixByTwo && page.rows > 4)
    g.row_h = std::clamp((kA4LandscapeRoomMm - g.header - g.bottom) / page.rows, kMinRowMm, g.row_h);
  g.width_mm = g.left + page.cols * page.column_s * o.mm_per_s + g.right;
  g.height_mm = g.header + page.rows * g.row_h + g.bottom;
  return g;
}

/// `min_line_mm`: no line thinner, so that an image's grid is at least a pixel wide (a printer needs no floor).
void draw_page(cairo_t* cr, const PageContent& pc, double min_line_mm = 0) {
  const LeadSet& s = pc.signals;
  const RenderOptions& o = pc.o;
  const auto& title_lines = pc.title_lines;
  const Analysis* analysis = pc.analysis ? &*pc.analysis : nullptr;
  const auto page = detail::layout_panels(s, o);
  const PageGeometry g = geometry(page, o, title_lines.size());
  const double left = g.left, header = g.header, bottom = g.bottom, row_h = g.row_h;
  const double width_mm = g.width_mm, height_mm = g.height_mm;
  const double lines = double(g.lines);
  // Millimetre grid: 1 mm minor, 5 mm major lines.
  for (int mm = 0; header + mm <= height_mm - bottom + 1e-9; ++mm) {
    cairo_set_source_rgb(cr, mm % 5 ? 1.0 : 0.96, mm % 5 ? 0.86 : 0.63, mm % 5 ? 0.86 : 0.63);
    cairo_set_line_width(cr, std::max(min_line_mm, mm % 5 ? 0.05 : 0.12));
    cairo_move_to(cr, 0, header + mm);
    cairo_line_to(cr, width_mm, header + mm);
    cairo_stroke(cr);
  }
  for (int mm = 0; mm <= width_mm; ++mm) {
    cairo_set_source_rgb(cr, mm % 5 ? 1.0 : 0.96, mm % 5 ? 0.86 : 0.63, mm % 5 ? 0.86 : 0.63);
    cairo_set_line_width(cr, std::max(min_line_mm, mm % 5 ? 0.05 : 0.12));
    cairo_move_to(cr, mm, header);
    cairo_line_to(cr, mm, height_mm - bottom);
    cairo_stroke(cr);
  }
  cairo_set_source_rgb(cr, 0.08, 0.08, 0.08);
  cairo_set_line_width(cr, std::max(min_line_mm, 0.2));
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  for (int r = 0; r < page.rows; ++r) {  // 1 mV x 200 ms calibration pulse at the start of every row
    const double base = header + r * row_h + row_h * 0.6, w = 0.2 * o.mm_per_s, h = o.mm_per_mv;
    cairo_move_to(cr, 2, base);
    cairo_line_to(cr, 4, base);
    cairo_line_to(cr, 4, base - h);
    cairo_line_to(cr, 4 + w, base - h);
    cairo_line_to(cr, 4 + w, base);
    cairo_line_to(cr, 6 + w, base);
    cairo_stroke(cr);
  }
  for (const auto& p : page.panels) {
    const double x0 = left + p.col * page.column_s * o.mm_per_s;
    const double base = header + p.row * row_h + row_h * 0.6;
    text(cr, p.label, x0 + 1, base - row_h * 0.45, 3);
    cairo_set_source_rgb(cr, 0.08, 0.08, 0.08);
    if (p.col > 0) {
      cairo_move_to(cr, x0, base - 3);
      cairo_line_to(cr, x0, base + 3);
      cairo_stroke(cr);
    }
    if (!p.lead) continue;
    const auto& x = p.lead->uv;
    const std::int64_t a = std::max<std::int64_t>(0, std::int64_t(p.t0_s * s.sample_rate_hz));
    const std::int64_t b = std::min<std::int64_t>(std::int64_t(x.size()), std::int64_t(p.t1_s * s.sample_rate_hz));
    for (std::int64_t i = a; i < b; ++i) {
      const double t = double(i) / s.sample_rate_hz - p.t0_s;
      const double y = std::clamp(base - x[std::size_t(i)] / 1000.0 * o.mm_per_mv, header, height_mm - bottom);
      if (i == a) cairo_move_to(cr, x0 + t * o.mm_per_s, y);
      else cairo_line_to(cr, x0 + t * o.mm_per_s, y);
    }
    cairo_stroke(cr);
  }
  // Header: who and where (from the caller), acquisition, paper scale, measurements, unconfirmed machine flags.
  double y = 6;
  const double line_mm = width_mm - 6;
  for (std::size_t i = 0; i < std::size_t(lines); ++i, y += 5) text(cr, title_lines[i], 3, y, 3.5, false, line_mm);
  std::string acquired = pc.acquisition_time;
  if (acquired.size() >= 19 && acquired[10] == 'T') acquired[10] = ' ';  // ISO 8601 as a clinic writes it
  std::string l1 = "采集时间 " + (acquired.empty() ? std::string("—") : acquired);
  if (!pc.device.empty()) l1 += "   " + pc.device;
  l1 += "   " + detail::fmt(o.mm_per_s) + " mm/s   " + detail::fmt(o.mm_per_mv) + " mm/mV";
  text(cr, l1, 3, y, 3);
  if (analysis) {
    text(cr, detail::measurement_line(*analysis), 3, y + 6, 3);
    std::string said;
    for (const auto& st : analysis->rhythm) said += (said.empty() ? "" : "；") + printed_statement(st);
    if (const std::string faults = printed_quality(analysis->quality); !faults.empty())
      said += (said.empty() ? "" : "；") + faults;
    statements_text(cr, said, 3, y + 12, line_mm);
    std::string flags;
    for (const auto& c : analysis->critical) flags += (flags.empty() ? "" : "；") + printed_statement(c);
    if (!flags.empty())
      text(cr, "机器提示，待医师确认 MACHINE FLAG (unconfirmed)：" + flags, 3, y + 18, 3, true, line_mm);
  }
  text(cr, "机器测量与提示仅供医师参考，不作为诊断。Machine measurements and statements are suggestions for the reader, not a diagnosis.", 3,
       height_mm - 2.5, 2.5);
}

}  // namespace

namespace {

Result<std::shared_ptr<const PageContent>> page_content(const Waveform& ecg, const RenderOptions& o,
                                                        const Analysis* analysis,
                                                        const std::vector<std::string>& title_lines) {
  if (ecg.leads.empty() || ecg.sample_rate_hz <= 0 || ecg.sample_count() < 2)
    return make_error(ErrorCode::BadRequest, "the ECG has no samples to render");
  if (!(o.mm_per_s > 0 && o.mm_per_s <= 100 && o.mm_per_mv > 0 && o.mm_per_mv <= 40))
    return make_error(ErrorCode::BadRequest, "render options out of range (mm/s up to 100, mm/mV up to 40)");
  return std::shared_ptr<const PageContent>(std::make_shared<PageContent>(
      PageContent{detail::display_signals(ecg), o, analysis ? std::optional<Analysis>(*analysis) : std::nullopt,
                  title_lines, ecg.acquisition_time, ecg.device}));
}

PageGeometry geometry_of(const PageContent& pc) {
  return geometry(detail::layout_panels(pc.signals, pc.o), pc.o, pc.title_lines.size());
}

}  // namespace

Result<PaperPage> paper_page(const Waveform& ecg, const RenderOptions& o, const Analysis* analysis,
                             const std::vector<std::string>& title_lines) {
  auto pc = page_content(ecg, o, analysis, title_lines);
  if (!pc.ok()) return pc.error();
  const PageGeometry g = geometry_of(**pc);
  return PaperPage{g.width_mm, g.height_mm, [pc = *pc](void* cr) { draw_page(static_cast<cairo_t*>(cr), *pc); }};
}

Result<std::vector<std::uint8_t>> render_png(const Waveform& ecg, const RenderOptions& o, const Analysis* analysis,
                                              const std::vector<std::string>& title_lines) {
  if (!(o.px_per_mm >= 1 && o.px_per_mm <= 40))
    return make_error(ErrorCode::BadRequest, "render options out of range (px/mm 1-40)");
  auto pc = page_content(ecg, o, analysis, title_lines);
  if (!pc.ok()) return pc.error();
  const PageGeometry g = geometry_of(**pc);
  const double k = o.px_per_mm;
  std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)> surface(
      cairo_image_surface_create(CAIRO_FORMAT_RGB24, int(std::lround(g.width_mm * k)), int(std::lround(g.height_mm * k))),
      cairo_surface_destroy);
  std::unique_ptr<cairo_t, decltype(&cairo_destroy)> holder(cairo_create(surface.get()), cairo_destroy);
  cairo_t* cr = holder.get();
  cairo_set_source_rgb(cr, 1, 1, 1);  // paper
  cairo_paint(cr);
  cairo_scale(cr, k, k);
  draw_page(cr, **pc, 1.0 / k);
  holder.reset();
  std::vector<std::uint8_t> out;
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS ||
      cairo_surface_write_to_png_stream(surface.get(), append, &out) != CAIRO_STATUS_SUCCESS)
    return make_error(ErrorCode::Internal, "PNG rendering failed",
                      cairo_status_to_string(cairo_surface_status(surface.get())));
  return out;
}

Result<std::vector<std::uint8_t>> render_pdf(const Waveform& ecg, const RenderOptions& o, const Analysis* analysis,
                                              const std::vector<std::string>& title_lines) {
  auto page = paper_page(ecg, o, analysis, title_lines);
  if (!page.ok()) return page.error();
  std::vector<std::uint8_t> out;
  std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)> surface(
      cairo_pdf_surface_create_for_stream(append, &out, page->width_mm * kPtPerMm, page->height_mm * kPtPerMm),
      cairo_surface_destroy);
  std::unique_ptr<cairo_t, decltype(&cairo_destroy)> holder(cairo_create(surface.get()), cairo_destroy);
  cairo_t* cr = holder.get();
  cairo_scale(cr, kPtPerMm, kPtPerMm);  // draw in millimetres
  page->draw(cr);
  cairo_show_page(cr);
  holder.reset();
  cairo_surface_finish(surface.get());
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS)
    return make_error(ErrorCode::Internal, "PDF rendering failed",
                      cairo_status_to_string(cairo_surface_status(surface.get())));
  return out;
}

}  // namespace teledx::ecg
