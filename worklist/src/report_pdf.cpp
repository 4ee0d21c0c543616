// The signed report as an A4 PDF: cairo draws, pango shapes the Chinese text with Noto Sans CJK SC.
#include "teledx/worklist/report_pdf.hpp"

#include "teledx/worklist/print_text.hpp"

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include <algorithm>
#include <ctime>
#include <memory>
#include <utility>

namespace teledx::worklist {
namespace {

constexpr double kPageW = 595.276, kPageH = 841.890;  // A4 in points
constexpr double kMargin = 50.0;
constexpr double kContentW = kPageW - 2 * kMargin;
constexpr double kFooterH = 28.0;
constexpr const char* kFont = "Noto Sans CJK SC";

struct Cairo {
  std::string bytes;
  cairo_surface_t* surface = nullptr;
  cairo_t* cr = nullptr;
  ~Cairo() {
    if (cr) cairo_destroy(cr);
    if (surface) cairo_surface_destroy(surface);
  }
};

cairo_status_t append_bytes(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

/// Lays text out top to bottom, breaking pages between lines.
class Writer {
 public:
  Writer(cairo_t* cr, std::string footer) : cr_(cr), footer_(std::move(footer)) {}

  PangoLayout* layout(const std::string& text, double size, bool bold, double width) {
    PangoLayout* l = pango_cairo_create_layout(cr_);
    PangoFontDescription* fd = pango_font_description_new();
    pango_font_description_set_family(fd, kFont);
    pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
    pango_font_description_set_weight(fd, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
    pango_layout_set_font_description(l, fd);
    pango_font_description_free(fd);
    pango_layout_set_width(l, static_cast<int>(width * PANGO_SCALE));
    pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
    pango_layout_set_text(l, text.data(), static_cast<int>(text.size()));
    return l;
  }

  /// A paragraph at x (relative to the margin) of the given width; advances y.
  void paragraph(const std::string& text, double size, bool bold = false, double x = 0, double width = kContentW,
                 double after = 4) {
    PangoLayout* l = layout(text.empty() ? " " : text, size, bold, width);
    const int n = pango_layout_get_line_count(l);
    for (int i = 0; i < n; ++i) {
      PangoLayoutLine* line = pango_layout_get_line_readonly(l, i);
      PangoRectangle ink, logical;
      pango_layout_line_get_extents(line, &ink, &logical);
      const double h = static_cast<double>(logical.height) / PANGO_SCALE;
      const double baseline = static_cast<double>(-logical.y) / PANGO_SCALE;
      ensure(h);
      cairo_move_to(cr_, kMargin + x, y_ + baseline);
      pango_cairo_show_layout_line(cr_, line);
      y_ += h;
    }
    g_object_unref(l);
    y_ += after;
  }

  /// A row of label/value pairs in columns (each pair: bold grey label, then value).
  void columns(const std::vector<std::pair<std::string, std::string>>& cells, double size = 10) {
    const double col = kContentW / static_cast<double>(cells.size());
    double max_h = 0;
    std::vector<PangoLayout*> ls;
    for (const auto& [label, value] : cells) {
      PangoLayout* l = layout(label.empty() ? " " : label + "：" + value, size, false, col - 6);
      int w = 0, h = 0;
      pango_layout_get_size(l, &w, &h);
      max_h = std::max(max_h, static_cast<double>(h) / PANGO_SCALE);
      ls.push_back(l);
    }
    ensure(max_h);
    for (std::size_t i = 0; i < ls.size(); ++i) {
      cairo_move_to(cr_, kMargin + col * static_cast<double>(i), y_);
      pango_cairo_show_layout(cr_, ls[i]);
      g_object_unref(ls[i]);
    }
    y_ += max_h + 3;
  }

  void heading(const std::string& text) {
    ensure(40);  // keep a heading with at least two lines of what follows
    y_ += 6;
    cairo_set_source_rgb(cr_, 0.93, 0.95, 0.98);
    cairo_rectangle(cr_, kMargin, y_ - 2, kContentW, 19);
    cairo_fill(cr_);
    cairo_set_source_rgb(cr_, 0.10, 0.25, 0.45);
    paragraph(text, 11, true, 4, kContentW - 8, 5);
    cairo_set_source_rgb(cr_, 0, 0, 0);
  }

  void rule(double width = 0.6) {
    ensure(6);
    cairo_set_line_width(cr_, width);
    cairo_move_to(cr_, kMargin, y_ + 2);
    cairo_line_to(cr_, kPageW - kMargin, y_ + 2);
    cairo_stroke(cr_);
    y_ += 6;
  }

  void space(double h) { y_ += h; }
  double y() const { return y_; }

  void finish() { draw_footer(); }

  /// After finish(): one appended page on its own A4 sheet, landscape when the page is wider than high, centred at
  /// full scale (an ECG keeps its 25 mm/s and 10 mm/mV) unless it does not fit the sheet's 7-mm margins, then shrunk
  /// to fit; the report's footer and page number below it, so a loose sheet still names its report.
  void appended_page(cairo_surface_t* surface, const AppendedPage& p) {
    constexpr double kPtPerMm = 72.0 / 25.4, kSheetMarginMm = 7;
    const bool landscape = p.width_mm > p.height_mm;
    const double sheet_w = (landscape ? kPageH : kPageW) / kPtPerMm, sheet_h = (landscape ? kPageW : kPageH) / kPtPerMm;
    cairo_show_page(cr_);
    ++page_;
    cairo_pdf_surface_set_size(surface, sheet_w * kPtPerMm, sheet_h * kPtPerMm);
    const double room_w = sheet_w - 2 * kSheetMarginMm, room_h = sheet_h - 2 * kSheetMarginMm - 4;
    const double k = std::min({1.0, room_w / p.width_mm, room_h / p.height_mm});
    cairo_save(cr_);
    cairo_scale(cr_, kPtPerMm, kPtPerMm);
    cairo_translate(cr_, (sheet_w - p.width_mm * k) / 2, kSheetMarginMm + (room_h - p.height_mm * k) / 2);
    cairo_scale(cr_, k, k);
    p.draw(cr_);
    cairo_restore(cr_);
    cairo_save(cr_);
    cairo_set_source_rgb(cr_, 0.35, 0.35, 0.35);
    PangoLayout* l = layout(footer_ + "    第 " + std::to_string(page_) + " 页", 8, false, room_w * kPtPerMm);
    cairo_move_to(cr_, kSheetMarginMm * kPtPerMm, (sheet_h - kSheetMarginMm - 3) * kPtPerMm);
    pango_cairo_show_layout(cr_, l);
    g_object_unref(l);
    cairo_restore(cr_);
  }

 private:
  void ensure(double h) {
    if (y_ + h <= kPageH - kMargin - kFooterH) return;
    draw_footer();
    cairo_show_page(cr_);
    ++page_;
    y_ = kMargin;
  }

  void draw_footer() {
    const double saved = y_;
    cairo_save(cr_);
    cairo_set_source_rgb(cr_, 0.35, 0.35, 0.35);
    y_ = kPageH - kMargin - 12;
    PangoLayout* l = layout(footer_ + "    第 " + std::to_string(page_) + " 页", 8, false, kContentW);
    cairo_move_to(cr_, kMargin, y_);
    pango_cairo_show_layout(cr_, l);
    g_object_unref(l);
    cairo_restore(cr_);
    y_ = saved;
  }

  cairo_t* cr_;
  std::string footer_;
  double y_ = kMargin;
  int page_ = 1;
};

std::string field_label(const ReportPdfInput& in, const std::string& key, std::string* unit) {
  for (const auto& f : in.field_labels)
    if (f.key == key) {
      *unit = chinese_part(f.unit);  // the printed report is in Chinese: "次/分", not "bpm"
      return f.label.empty() ? key : f.label;
    }
  unit->clear();
  return key;
}

}  // namespace

Result<std::string> render_report_pdf(const ReportPdfInput& in) {
  if (in.versions.empty() || in.versions.front().kind != VersionKind::Original)
    return make_error(ErrorCode::BadRequest, "The report has no signed version to print.");
  const ReportVersion& original = in.versions.front();
  const ReportVersion& latest = in.versions.back();
  const Task& t = in.task;
  const int tz = in.utc_offset_minutes;

  Cairo c;
  c.surface = cairo_pdf_surface_create_for_stream(append_bytes, &c.bytes, kPageW, kPageH);
  if (cairo_surface_status(c.surface) != CAIRO_STATUS_SUCCESS)
    return make_error(ErrorCode::Internal, "The report PDF could not be created.",
                      cairo_status_to_string(cairo_surface_status(c.surface)));
  cairo_pdf_surface_set_metadata(c.surface, CAIRO_PDF_METADATA_TITLE,
                                 ("诊断报告 " + or_dash(t.accession)).c_str());
  cairo_pdf_surface_set_metadata(c.surface, CAIRO_PDF_METADATA_CREATOR, "teledx");
  c.cr = cairo_create(c.surface);
  cairo_set_source_rgb(c.cr, 0, 0, 0);

  const std::string kind_name = t.kind == TaskKind::Ecg ? "心电图诊断报告" : "影像诊断报告";
  Writer w(c.cr, "验证码 " + latest.verification_code + "  ·  " + or_dash(in.center_name) + "  ·  " + kind_name);

  // Title block.
  w.paragraph(or_dash(in.center_name), 16, true, 0, kContentW, 2);
  w.paragraph(kind_name + (in.versions.size() > 1 ? "（含补充报告）" : ""), 13, true, 0, kContentW, 2);
  w.paragraph("送检机构：" + or_dash(in.clinic_name), 10, false, 0, kContentW, 2);
  w.rule(1.2);

  // Patient.
  const auto& p = t.patient;
  w.columns({{"姓名", or_dash(person_name_text(p.name))}, {"性别", sex_text(p.sex)}, {"年龄", age_text(p.age, p.birth_date, t.received_ms, tz)}});
  w.columns({{"患者编号", or_dash(p.id)}, {"出生日期", or_dash(birth_date_text(p.birth_date))},
             {"身份证号", or_dash(p.national_id)}});
  // Exam.
  w.columns({{"检查类型", or_dash(t.modality)}, {"检查部位", or_dash(t.body_part)},
             {"检查号", or_dash(t.accession)}});
  w.columns({{"检查描述", or_dash(t.description)}, {"接收时间", local_time_text(t.received_ms, tz)},
             {"优先级", t.priority == Priority::Stat ? "急诊" : t.priority == Priority::Urgent ? "加急" : "常规"}});
  if (!t.request.reason.empty() || !t.request.history.empty()) {
    w.paragraph("申请原因：" + or_dash(t.request.reason) +
                    (t.request.history.empty() ? "" : "    病史：" + t.request.history),
                10, false, 0, kContentW, 2);
  }
  w.rule();

  const auto& content = original.content;
  if (!content.fields.empty()) {
    w.heading("测量与结构化项目");
    std::vector<std::pair<std::string, std::string>> row;
    for (const auto& [key, value] : content.fields) {
      std::string unit;
      std::string label = field_label(in, key, &unit);
      row.emplace_back(label, value + (unit.empty() ? "" : " " + unit));
      if (row.size() == 3) {
        w.columns(row);
        row.clear();
      }
    }
    if (!row.empty()) {
      while (row.size() < 3) row.emplace_back("", "");  // empty cells keep the columns aligned
      w.columns(row);
    }
  }

  w.heading(t.kind == TaskKind::Ecg ? "心电图所见" : "检查所见");
  w.paragraph(or_dash(content.findings), 11, false, 4, kContentW - 8, 4);
  w.heading(t.kind == TaskKind::Ecg ? "诊断结论" : "诊断意见");
  w.paragraph(or_dash(content.impression), 11, true, 4, kContentW - 8, 4);

  if (t.critical) {
    cairo_set_source_rgb(c.cr, 0.75, 0.05, 0.05);
    w.paragraph("危急值：" + t.critical->category + (t.critical->note.empty() ? "" : "（" + t.critical->note + "）") +
                    "  标记时间 " + local_time_text(t.critical->marked_ms, tz) +
                    (t.critical->acknowledged_ms ? "  已确认：" + t.critical->acknowledged_name + " " +
                                                       local_time_text(t.critical->acknowledged_ms, tz)
                                                 : ""),
                10, true, 4, kContentW - 8, 4);
    cairo_set_source_rgb(c.cr, 0, 0, 0);
  }

  for (std::size_t i = 1; i < in.versions.size(); ++i) {
    const auto& a = in.versions[i];
    w.heading("补充报告（第 " + std::to_string(a.version) + " 版）");
    w.paragraph(or_dash(a.addendum), 11, false, 4, kContentW - 8, 2);
    w.paragraph("补充医师：" + or_dash(a.author_name) + "    时间：" + local_time_text(a.signed_ms, tz) + "    验证码：" +
                    a.verification_code,
                9, false, 4, kContentW - 8, 4);
  }

  w.space(6);
  w.rule();
  const bool two_level = original.approver_id.has_value() || !original.approver_name.empty();
  w.columns({{"报告医师", or_dash(original.author_name)},
             {"签发医师", two_level ? or_dash(original.approver_name) : or_dash(original.author_name)},
             {"审核医师", two_level ? or_dash(original.approver_name) : "—"}});
  w.columns({{"签发时间", local_time_text(original.signed_ms, tz)},
             {"打印时间", local_time_text(in.printed_ms, tz)},
             {"报告版本", std::to_string(latest.version)}});
  w.space(4);
  w.paragraph("报告验证码：" + latest.verification_code, 13, true, 0, kContentW, 2);
  if (in.versions.size() > 1)
    w.paragraph("原始报告（第 1 版）验证码：" + original.verification_code, 9, false, 0, kContentW, 2);
  cairo_set_source_rgb(c.cr, 0.35, 0.35, 0.35);
  w.paragraph("凭验证码可在会诊平台核验本报告的真实性。本报告仅供临床参考。", 8, false, 0, kContentW, 0);
  cairo_set_source_rgb(c.cr, 0, 0, 0);
  w.finish();
  for (const auto& page : in.appended_pages) w.appended_page(c.surface, page);

  cairo_destroy(c.cr);
  c.cr = nullptr;
  cairo_surface_finish(c.surface);
  const auto status = cairo_surface_status(c.surface);
  if (status != CAIRO_STATUS_SUCCESS)
    return make_error(ErrorCode::Internal, "The report PDF could not be written.", cairo_status_to_string(status));
  cairo_surface_destroy(c.surface);
  c.surface = nullptr;
  return std::move(c.bytes);
}

}  // namespace teledx::worklist
