#include "teledx/ecg/render.hpp"

#include <cairo.h>
#include <catch2/catch.hpp>
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ecg_test_data.hpp"
#include "support/temp_dir.hpp"
#include "synthetic_ecg.hpp"
#include "teledx/ecg/readers.hpp"

using namespace teledx::ecg;

namespace {

/// The PDF's text as pdftotext (poppler) reads it back, and pdfinfo's report in `info`; nullopt when poppler's
/// tools are not installed.
std::optional<std::string> pdf_text(const std::vector<std::uint8_t>& pdf, std::string* info = nullptr) {
  if (std::system("command -v pdfinfo >/dev/null 2>&1") != 0) return std::nullopt;
  teledx::test::TempDir dir;
  const auto file = dir.path() / "ecg.pdf", info_file = dir.path() / "info.txt", txt = dir.path() / "text.txt";
  {
    std::ofstream out(file, std::ios::binary);
    out.write(reinterpret_cast<const char*>(pdf.data()), std::streamsize(pdf.size()));
  }
  REQUIRE(std::system(("pdfinfo " + file.string() + " > " + info_file.string()).c_str()) == 0);
  REQUIRE(std::system(("pdftotext " + file.string() + " " + txt.string()).c_str()) == 0);
  std::ifstream i(info_file), t(txt);
  if (info) *info = std::string((std::istreambuf_iterator<char>(i)), {});
  return std::string((std::istreambuf_iterator<char>(t)), {});
}

}  // namespace

TEST_CASE("The viewer JSON lays out 3x4 plus a rhythm strip with decimated microvolt samples", "[ecg]") {
  test::Synth s;
  auto w = test::synth_ecg(s);
  auto a = analyze(w);
  auto j = render_json(w, {}, &a);
  CHECK(j["layout"] == "3x4+rhythm");
  CHECK(j["panels"].size() == 13);
  CHECK(j["panels"][12]["lead"] == "II");
  CHECK(j["panels"][12]["row"] == 3);
  CHECK(j["sample_rate_hz"].get<double>() == Approx(250));
  CHECK(j["leads"]["V1"].size() == 2500);
  CHECK(j["paper"]["mm_per_s"] == 25);
  CHECK(j["calibration"]["mv"] == 1.0);
  CHECK(j["header"].get<std::string>().find("HR 72/min") != std::string::npos);
  RenderOptions six;
  six.layout = Layout::SixByTwo;
  auto k = render_json(w, six);
  CHECK(k["layout"] == "6x2");
  CHECK(k["panels"].size() == 12);
  CHECK(k["panels"][6]["lead"] == "V1");
  CHECK(k["panels"][6]["t0_s"] == 5.0);
}

TEST_CASE("An 18-lead ECG prints its right-sided and posterior leads in rows of their own on every layout", "[ecg]") {
  test::Synth s;
  auto w = test::synth_ecg(s);
  const std::pair<Lead, Lead> added[] = {{Lead::V3R, Lead::V1}, {Lead::V4R, Lead::V2}, {Lead::V5R, Lead::V3},
                                         {Lead::V7, Lead::V6}, {Lead::V8, Lead::V6}, {Lead::V9, Lead::V5}};
  for (auto [lead, like] : added) w.leads.push_back({lead, w.find(like)->uv, std::string(lead_name(lead))});
  sort_leads(w);
  auto j = render_json(w);
  CHECK(j["rows"] == 6);
  REQUIRE(j["panels"].size() == 19);
  auto panel = [&](const nlohmann::json& page, const std::string& lead) {
    for (const auto& p : page["panels"])
      if (p["lead"] == lead) return p;
    return nlohmann::json();
  };
  CHECK(panel(j, "V3R")["row"] == 3);
  CHECK(panel(j, "V5R")["col"] == 2);
  CHECK(panel(j, "V4R")["t0_s"] == 2.5);
  CHECK(panel(j, "V7")["row"] == 4);
  CHECK(panel(j, "V9")["col"] == 2);
  CHECK(panel(j, "V9")["present"] == true);
  CHECK(j["panels"][18]["lead"] == "II");  // the rhythm strip stays the last row
  CHECK(j["panels"][18]["row"] == 5);
  CHECK(j["leads"]["V8"].size() == 2500);
  RenderOptions six;
  six.layout = Layout::SixByTwo;
  auto k = render_json(w, six);
  CHECK(k["rows"] == 9);
  CHECK(panel(k, "V3R")["row"] == 6);
  CHECK(panel(k, "V3R")["col"] == 0);
  CHECK(panel(k, "V9")["row"] == 8);
  CHECK(panel(k, "V9")["col"] == 1);
  CHECK(panel(k, "V9")["t0_s"] == 5.0);
  // Six rows at 30 mm would make the page 214 mm high, more than A4 landscape prints (192 mm): the rows close up so
  // the page is 192 mm at 4 px/mm, and the report need not shrink it off 25 mm/s.
  RenderOptions o;
  o.px_per_mm = 4;
  auto png = render_png(w, o);
  REQUIRE(png.ok());
  CHECK((((*png)[20] << 24) | ((*png)[21] << 16) | ((*png)[22] << 8) | (*png)[23]) == 192 * 4);
  CHECK((((*png)[16] << 24) | ((*png)[17] << 16) | ((*png)[18] << 8) | (*png)[19]) == 267 * 4);  // still 25 mm/s
  auto a = analyze(w);
  auto pdf = render_pdf(w, {}, &a);
  REQUIRE(pdf.ok());
  if (auto text = pdf_text(*pdf)) {
    for (const char* lead : {"V3R", "V4R", "V5R", "V7", "V8", "V9"}) CHECK(text->find(lead) != std::string::npos);
  } else {
    WARN("poppler-utils (pdftotext) not installed: the PDF's lead labels are not read back");
  }
}

TEST_CASE("The PNG has the paper size for 25 mm/s and 10 mm/mV and decodes as an image", "[ecg]") {
  test::Synth s;
  s.hr = 30;
  s.seconds = 10;
  auto w = test::synth_ecg(s);
  auto a = analyze(w);
  RenderOptions o;
  o.px_per_mm = 4;
  auto png = render_png(w, o, &a);
  REQUIRE(png.ok());
  REQUIRE(png->size() > 1000);
  CHECK((*png)[1] == 'P');
  CHECK((*png)[2] == 'N');
  // IHDR width/height (big endian) at bytes 16..23: the PDF's page, (12 + 250 + 5) mm and (26 + 4 x 30 + 8) mm, at
  // 4 px/mm.
  auto be32 = [&](std::size_t i) { return ((*png)[i] << 24) | ((*png)[i + 1] << 16) | ((*png)[i + 2] << 8) | (*png)[i + 3]; };
  CHECK(be32(16) == 267 * 4);
  CHECK(be32(20) == 154 * 4);
  o.px_per_mm = 0.5;
  CHECK(render_png(w, o, &a).error().code == teledx::ErrorCode::BadRequest);
}

TEST_CASE("Rendering a recording with no samples is refused", "[ecg]") {
  Waveform w;
  auto png = render_png(w);
  REQUIRE_FALSE(png.ok());
  CHECK(png.error().code == teledx::ErrorCode::BadRequest);
}

TEST_CASE("Two-lead research records render one full-width row per lead", "[ecg]") {
  auto w = read_ecg_file(test::local_data() / "ludb/3.hea");
  REQUIRE(w.ok());
  w->leads.resize(2);  // I and II only: not a standard 12-lead layout
  auto j = render_json(*w);
  CHECK(j["rows"] == 2);
  CHECK(j["cols"] == 1);
}

TEST_CASE("The PDF page is the paper layout at true millimetre size with title, measurements and flags as text",
          "[ecg][pdf]") {
  test::Synth s;
  auto w = test::synth_ecg(s);
  auto a = analyze(w);
  // A critical statement as critical.cpp writes it for the JSON, to see how the paper prints it.
  a.critical.push_back({"critical_stemi", "Machine flag (unconfirmed): ST elevation in contiguous leads, inferior",
                        Severity::Critical, std::nullopt, "机器提示（未经确认）：ST 段抬高（心梗图形）：下壁（II、aVF）"});
  // ...and a statement from before the analysis gave Chinese sentences (an older stored analysis): its Chinese
  // name, then its English text.
  a.rhythm.push_back({"pvcs", "1 ventricular premature beat", Severity::Info, std::nullopt, ""});
  // ...and two recording faults, which the paper states once each with their leads.
  for (Lead l : {Lead::V1, Lead::V2})
    a.quality.push_back({"lead_off", "Lead off", Severity::Warning, l, "导联脱落：" + std::string(lead_name(l))});
  a.quality.push_back({"repeat_recording", "Repeat", Severity::Warning, std::nullopt, "建议重新描记"});
  w.acquisition_time = "2026-11-29T08:30:00";
  auto pdf = render_pdf(w, {}, &a, {"张三   ID P-1   M   19600101", "城关镇卫生院"});
  REQUIRE(pdf.ok());
  REQUIRE(pdf->size() > 1000);
  CHECK(std::string(pdf->begin(), pdf->begin() + 5) == "%PDF-");
  // Page width = 12 mm margin + 4 columns x 2.5 s x 25 mm/s + 5 mm = 267 mm; pdftotext (poppler) reads the
  // text back when it is installed, which proves the title and header were laid out as text, not pixels.
  std::string info_s;
  if (const auto text = pdf_text(*pdf, &info_s)) {
    const std::string& text_s = *text;
    INFO(info_s);
    INFO(text_s);
    const auto pages = info_s.find("Pages:");
    REQUIRE(pages != std::string::npos);
    CHECK(info_s[info_s.find_first_not_of(' ', pages + 6)] == '1');
    CHECK(info_s.find("756.85 x") != std::string::npos);  // 267 mm in points
    CHECK(text_s.find("张三") != std::string::npos);
    CHECK(text_s.find("25 mm/s") != std::string::npos);
    CHECK(text_s.find("HR 72/min") != std::string::npos);
    // Statements in Chinese for the clinic, with their details; the flag said once.
    CHECK(text_s.find("窦性心律，72 次/分") != std::string::npos);
    CHECK(text_s.find("Sinus rhythm") == std::string::npos);
    CHECK(text_s.find("室性早搏：1 ventricular premature beat") != std::string::npos);
    CHECK(text_s.find("ST 段抬高（心梗图形）：下壁（II、aVF）") != std::string::npos);
    CHECK(text_s.find("Machine flag (unconfirmed)") == std::string::npos);
    CHECK(text_s.find("机器提示（未经确认）") == std::string::npos);
    CHECK(text_s.find("采集时间 2026-11-29 08:30:00") != std::string::npos);
    CHECK(text_s.find("信号质量：导联脱落（V1、V2）、建议重新描记") != std::string::npos);
  } else {
    WARN("pdfinfo/pdftotext not installed: PDF text not checked");
  }
  Waveform empty;
  CHECK(render_pdf(empty).error().code == teledx::ErrorCode::BadRequest);
}

TEST_CASE("Statements too long for one line are printed on two, not cut off", "[ecg][png]") {
  // The Philips sample: sinus bradycardia, inferior ST elevation and inferior Q waves with each lead's Q, about one
  // and a half of the page's lines at 3 mm. (The PDF's text cannot show a cut: Pango's ellipsis carries the text it
  // stands for, and pdftotext reads it back whole.) So the PNG's header is read: the band between the measurements'
  // line and the flags' line holds two lines of text, not one.
  auto w = read_ecg_file(test::local_data() / "philips_129DYPRG.xml");
  REQUIRE(w.ok());
  const auto a = analyze(*w);
  REQUIRE(a.critical.size() >= 1);  // the flags' line is printed below the statements
  RenderOptions o;
  o.px_per_mm = 6;
  const auto png = render_png(*w, o, &a);
  REQUIRE(png.ok());
  struct Reader {
    const std::vector<std::uint8_t>* bytes;
    std::size_t at = 0;
  } reader{&*png};
  cairo_surface_t* img = cairo_image_surface_create_from_png_stream(
      [](void* closure, unsigned char* data, unsigned int length) {
        auto* r = static_cast<Reader*>(closure);
        if (r->at + length > r->bytes->size()) return CAIRO_STATUS_READ_ERROR;
        std::copy_n(r->bytes->data() + r->at, length, data);
        r->at += length;
        return CAIRO_STATUS_SUCCESS;
      },
      &reader);
  REQUIRE(cairo_surface_status(img) == CAIRO_STATUS_SUCCESS);
  const int width = cairo_image_surface_get_width(img), stride = cairo_image_surface_get_stride(img);
  const unsigned char* px = cairo_image_surface_get_data(img);
  // A row has ink when some pixel is dark grey (the text; the grid is pink, and starts lower).
  auto inked = [&](int row) {
    for (int x = 0; x < width; ++x) {
      const auto* p = px + row * stride + 4 * x;  // BGRA
      if (p[0] < 120 && p[1] < 120 && p[2] < 120) return true;
    }
    return false;
  };
  // The header's third line (statements) has its baseline 18 mm down, the flags' line 24 mm: from 13.5 mm (below
  // the measurements' descenders) to 21 mm (above the flags' capitals), count the runs of inked rows.
  int lines = 0;
  bool in_line = false;
  for (int row = int(13.5 * o.px_per_mm); row < int(21 * o.px_per_mm); ++row) {
    const bool ink = inked(row);
    lines += ink && !in_line;
    in_line = ink;
  }
  cairo_surface_destroy(img);
  CHECK(lines == 2);
}
