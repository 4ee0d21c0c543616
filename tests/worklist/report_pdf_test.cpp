// The signed report PDF: Chinese text survives (pdftotext) and the page renders (pdftoppm).
#include "teledx/worklist/report_pdf.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

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

TEST_CASE("a long report breaks onto further pages; no signed version is refused", "[worklist][pdf]") {
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
  CHECK(info.find("Pages:          1\n") == std::string::npos);
  REQUIRE(test::run_command("pdftotext -enc UTF-8 " + (dir / "long.pdf").string() + " " +
                            (dir / "long.txt").string()) == 0);
  const auto text = read_all(dir / "long.txt");
  CHECK(text.find("第119段") != std::string::npos);
  CHECK(text.find(in.versions[0].verification_code) != std::string::npos);

  in.versions.clear();
  CHECK(render_report_pdf(in).error().code == ErrorCode::BadRequest);
}
