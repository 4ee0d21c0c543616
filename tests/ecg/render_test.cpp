#include "teledx/ecg/render.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "ecg_test_data.hpp"
#include "support/temp_dir.hpp"
#include "synthetic_ecg.hpp"
#include "teledx/ecg/readers.hpp"

using namespace teledx::ecg;

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
  teledx::test::TempDir dir;
  const auto file = dir.path() / "ecg.pdf";
  {
    std::ofstream out(file, std::ios::binary);
    out.write(reinterpret_cast<const char*>(pdf->data()), std::streamsize(pdf->size()));
  }
  if (std::system("command -v pdfinfo >/dev/null 2>&1") == 0) {
    const auto info = dir.path() / "info.txt", txt = dir.path() / "text.txt";
    REQUIRE(std::system(("pdfinfo " + file.string() + " > " + info.string()).c_str()) == 0);
    REQUIRE(std::system(("pdftotext " + file.string() + " " + txt.string()).c_str()) == 0);
    std::ifstream i(info), t(txt);
    std::string info_s((std::istreambuf_iterator<char>(i)), {}), text_s((std::istreambuf_iterator<char>(t)), {});
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
