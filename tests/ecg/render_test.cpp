#include "teledx/ecg/render.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "ecg_test_data.hpp"
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
  // IHDR width/height (big endian) at bytes 16..23: (12 + 250 + 5) mm and (26 + 4 x 30 + 5) mm at 4 px/mm.
  auto be32 = [&](std::size_t i) { return ((*png)[i] << 24) | ((*png)[i + 1] << 16) | ((*png)[i + 2] << 8) | (*png)[i + 3]; };
  CHECK(be32(16) == 267 * 4);
  CHECK(be32(20) == 151 * 4);
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
