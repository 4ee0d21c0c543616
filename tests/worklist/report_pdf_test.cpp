// The signed report PDF: Chinese text survives (pdftotext) and the page renders (pdftoppm).
#include "teledx/worklist/report_pdf.hpp"

#include <cairo.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "support/pdf_info.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"
#include "worklist/county.hpp"

using namespace teledx;
using namespace teledx::worklist;
using teledx::test::County;

namespace {

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

ReportPdfInput signed_report(County& c, bool addendum) {
  auto t = c.study(Priority::Urgent, "CT", "CHEST");
  REQUIRE(c.tasks.claim(t.id, County::as(c.img_reader1)).ok());
  ReportContent content{"双肺纹理清晰，右肺上叶见一约8毫米结节，边缘光整。纵隔未见肿大淋巴结。",
                        "右肺上叶小结节，建议六个月后复查胸部CT。",
                        {{"nodule_size", "8"}, {"lung_rads", "3"}},
                        std::nullopt};
  REQUIRE(c.reports.save_draft(t.id, 0, content, County::as(c.img_reader1)).ok());
  auto v1 = c.reports.sign(t.id, County::as(c.img_reader1));
  REQUIRE(v1.ok());
  if (addendum) {
    c.clock.advance_minutes(20);
    REQUIRE(c.reports.add_addendum(t.id, "补充：对比既往片，结节无明显变化。", County::as(c.img_senior)).ok());
  }
  ReportPdfInput in;
  in.clinic_name = "城关镇卫生院";
  in.center_name = "县医院影像诊断中心";
  in.task = c.reload(t);
  in.versions = *c.reports.versions(t.id);
  in.field_labels = {{"nodule_size", "结节大小", "mm"}, {"lung_rads", "Lung-RADS 分级", ""}};
  in.printed_ms = c.clock.now_ms();
  return in;
}

}  // namespace

TEST_CASE("the signed report PDF carries the Chinese text and the verification code", "[worklist][pdf]") {
  County c;
  auto in = signed_report(c, true);
  REQUIRE(in.versions.size() == 2);
  auto pdf = render_report_pdf(in);
  REQUIRE(pdf.ok());
  CHECK(pdf->rfind("%PDF-", 0) == 0);

  test::TempDir dir("teledx-pdf");
  const auto file = dir / "report.pdf";
  {
    std::ofstream out(file, std::ios::binary);
    out << *pdf;
  }
  REQUIRE(test::run_command("pdftotext -enc UTF-8 " + file.string() + " " + (dir / "report.txt").string()) == 0);
  const auto text = read_all(dir / "report.txt");
  for (const char* s : {"县医院影像诊断中心", "城关镇卫生院", "张三", "右肺上叶小结节", "建议六个月后复查胸部CT",
                        "纵隔未见肿大淋巴结", "结节大小", "8 mm", "补充：对比既往片", "img-reader1", "img-senior",
                        "报告验证码", "检查所见", "诊断意见", "男", "66岁"})
    CHECK(text.find(s) != std::string::npos);
  // The latest version's code is printed prominently, the original's and the addendum's both appear.
  CHECK(text.find(in.versions[0].verification_code) != std::string::npos);
  CHECK(text.find(in.versions[1].verification_code) != std::string::npos);

  REQUIRE(test::run_command("pdftoppm -png -r 50 -f 1 -l 1 " + file.string() + " " + (dir / "page").string()) == 0);
  std::filesystem::path png;
  for (const auto& e : std::filesystem::directory_iterator(dir.path()))
    if (e.path().extension() == ".png") png = e.path();
  REQUIRE(!png.empty());
  CHECK(std::filesystem::file_size(png) > 5 * 1024);
  if (const char* keep = std::getenv("TELEDX_KEEP_PDF")) {
    std::filesystem::copy_file(file, std::filesystem::path(keep) / "report.pdf",
                               std::filesystem::copy_options::overwrite_existing);
  }
}

TEST_CASE("the seeded ECG template prints its heart-rate unit in Chinese on the report", "[worklist][pdf]") {
  County c;
  auto templates = c.reports.templates(TaskKind::Ecg);
  REQUIRE(templates.ok());
  REQUIRE(!templates->empty());
  const auto& fields = templates->front().fields;
  auto rate = std::find_if(fields.begin(), fields.end(), [](const TemplateField& f) { return f.key == "heart_rate"; });
  REQUIRE(rate != fields.end());
  CHECK(rate->unit == "次/分 bpm");  // migration 5: bilingual like the labels

  auto t = c.study(Priority::Routine, "ECG", "", nullptr, TaskKind::Ecg);
  REQUIRE(c.tasks.claim(t.id, County::as(c.ecg_reader)).ok());
  ReportContent content{"窦性心律。", "正常心电图。", {{"heart_rate", "72"}, {"qt", "380"}}, templates->front().id};
  REQUIRE(c.reports.save_draft(t.id, 0, content, County::as(c.ecg_reader)).ok());
  REQUIRE(c.reports.sign(t.id, County::as(c.ecg_reader)).ok());
  ReportPdfInput in;
  in.clinic_name = "城关镇卫生院";
  in.center_name = "县医院心电诊断中心";
  in.task = c.reload(t);
  in.versions = *c.reports.versions(t.id);
  in.field_labels = fields;
  in.printed_ms = c.clock.now_ms();
  auto pdf = render_report_pdf(in);
  REQUIRE(pdf.ok());

  test::TempDir dir("teledx-pdf-ecg");
  {
    std::ofstream out(dir / "ecg.pdf", std::ios::binary);
    out << *pdf;
  }
  std::string text;
  REQUIRE(test::run_command("pdftotext -enc UTF-8 " + (dir / "ecg.pdf").string() + " -", &text) == 0);
  std::erase(text, ' ');  // pdftotext drops or adds spaces between Chinese and digits
  CHECK(text.find("72次/分") != std::string::npos);
  CHECK(text.find("380ms") != std::string::npos);
  CHECK(text.find("bpm") == std::string::npos);
}

TEST_CASE("a long report breaks onto further pages, no signed version is refused", "[worklist][pdf]") {
  County c;
  auto in = signed_report(c, false);
  std::string longtext;
  for (int i = 0; i < 120; ++i) longtext += "第" + std::to_string(i) + "段：肝脏形态大小正常，实质回声均匀。\n";
  in.versions[0].content.findings = longtext;
  auto pdf = render_report_pdf(in);
  REQUIRE(pdf.ok());
  test::TempDir dir("teledx-pdf");
  {
    std::ofstream out(dir / "long.pdf", std::ios::binary);
    out << *pdf;
  }
  std::string info;
  REQUIRE(test::run_command("pdfinfo " + (dir / "long.pdf").string(), &info) == 0);
  CHECK(test::pdf_page_count(info) >= 2);
  REQUIRE(test::run_command("pdftotext -enc UTF-8 " + (dir / "long.pdf").string() + " " +
                            (dir / "long.txt").string()) == 0);
  const auto text = read_all(dir / "long.txt");
  CHECK(text.find("第119段") != std::string::npos);
  CHECK(text.find(in.versions[0].verification_code) != std::string::npos);

  in.versions.clear();
  CHECK(render_report_pdf(in).error().code == ErrorCode::BadRequest);
}

namespace {

/// A page of `w` x `h` mm that writes `word` at (x, y) mm of itself, as the ECG module's page would draw.
AppendedPage word_page(double w, double h, std::string word, double x, double y) {
  return {w, h, [word = std::move(word), x, y](void* context) {
            auto* cr = static_cast<cairo_t*>(context);
            cairo_select_font_face(cr, "Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
            cairo_set_font_size(cr, 5);
            cairo_move_to(cr, x, y);
            cairo_show_text(cr, word.c_str());
          }};
}

/// pdftotext -bbox's left edge of `word` on `page`, in millimetres; -1 when absent.
double word_left_mm(const std::filesystem::path& pdf, int page, const std::string& word) {
  std::string html;
  REQUIRE(test::run_command("pdftotext -bbox -f " + std::to_string(page) + " -l " + std::to_string(page) + " " +
                                pdf.string() + " -",
                            &html) == 0);
  const auto at = html.find(">" + word + "<");
  if (at == std::string::npos) return -1;
  const auto tag = html.rfind("<word", at);
  const auto x = html.find("xMin=\"", tag);
  return std::stod(html.substr(x + 6)) * 25.4 / 72.0;
}

}  // namespace

TEST_CASE("appended pages print after the report on A4 at full scale with the report's footer, shrunk only when too big",
          "[worklist][pdf]") {
  County c;
  auto in = signed_report(c, false);
  // A landscape page that fits (an ECG page is 267 mm wide), then one larger than any A4 sheet.
  in.appended_pages.push_back(word_page(100, 50, "FITS", 10, 20));
  in.appended_pages.push_back(word_page(600, 400, "SHRUNK", 590, 390));
  auto pdf = render_report_pdf(in);
  REQUIRE(pdf.ok());
  test::TempDir dir("teledx-pdf");
  const auto file = dir / "appended.pdf";
  {
    std::ofstream out(file, std::ios::binary);
    out << *pdf;
  }
  std::string info;
  REQUIRE(test::run_command("pdfinfo -f 1 -l 3 " + file.string(), &info) == 0);
  INFO(info);
  CHECK(test::pdf_page_count(info) == 3);
  CHECK(test::pdf_page_size(info, 1) == "595.276 x 841.89");  // the report: A4 portrait
  CHECK(test::pdf_page_size(info, 2) == "841.89 x 595.276");  // A4 landscape
  CHECK(test::pdf_page_size(info, 3) == "841.89 x 595.276");
  // Centred on the 297-mm sheet at scale 1: the word drawn 10 mm into the page sits (297 - 100) / 2 + 10 mm in.
  CHECK(word_left_mm(file, 2, "FITS") == Approx(108.5).margin(0.5));
  // The big page is shrunk into the sheet: its far corner's word is still on paper.
  const double shrunk = word_left_mm(file, 3, "SHRUNK");
  CHECK(shrunk > 250);
  CHECK(shrunk < 297 - 7);
  // Each sheet names its report: verification code and page number.
  std::string text;
  REQUIRE(test::run_command("pdftotext -enc UTF-8 -f 2 -l 3 " + file.string() + " -", &text) == 0);
  INFO(text);
  std::erase(text, ' ');  // pdftotext drops the spaces between Chinese and digits
  CHECK(text.find("第2页") != std::string::npos);
  CHECK(text.find("第3页") != std::string::npos);
  CHECK(text.find(in.versions[0].verification_code) != std::string::npos);
}
