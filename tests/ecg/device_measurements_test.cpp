// The recording device's own measurements under the analysis' keys, so the viewer can set them beside ours.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "ecg_test_data.hpp"
#include "teledx/ecg/analysis.hpp"
#include "teledx/ecg/readers.hpp"

using namespace teledx::ecg;
using teledx::ecg::test::local_data;
using teledx::ecg::test::shared_data;

namespace {

std::map<std::string, double> device_of(const std::filesystem::path& file) {
  auto w = read_ecg_file(file);
  REQUIRE(w.ok());
  return standard_device_measurements(*w);
}

}  // namespace

TEST_CASE("a DICOM cart's measurements are found under our keys and its PP of 0 (not measured) is left out") {
  const auto d = device_of(local_data() / "waveform_ecg.dcm");
  const std::map<std::string, double> expected{{"rr_ms", 982},     {"pr_ms", 161},      {"qrs_ms", 75},
                                               {"qt_ms", 368},     {"qtc_ms", 370},     {"p_axis_deg", 74},
                                               {"qrs_axis_deg", 52}, {"t_axis_deg", 57}};
  CHECK(d == expected);
}

TEST_CASE("HL7 aECG MDC codes and Philips XML field names map to the same keys") {
  const auto aecg = device_of(local_data() / "Example_aECG.xml");
  CHECK(aecg == std::map<std::string, double>{{"p_duration_ms", 102}, {"pr_ms", 148}, {"qrs_ms", 120},
                                              {"qt_ms", 420}, {"qtc_ms", 443}, {"p_axis_deg", 44},
                                              {"qrs_axis_deg", -61}, {"t_axis_deg", 86}});
  const auto philips = device_of(local_data() / "philips_129DYPRG.xml");
  CHECK(philips == std::map<std::string, double>{{"heart_rate_bpm", 41}, {"pr_ms", 151}, {"qrs_ms", 135},
                                                 {"qt_ms", 476}, {"qtc_ms", 393}, {"p_axis_deg", 66},
                                                 {"qrs_axis_deg", -21}, {"t_axis_deg", 59},
                                                 {"rv5_uv", 621}, {"sv1_uv", 757}});
}

TEST_CASE("GE MUSE and SCP-ECG measurements map to the same keys") {
  ECG_REQUIRE_SHARED("formats/scp-ecg/Example.scp");
  ECG_REQUIRE_SHARED("formats/ge-muse-xml/MUSE_20200923_093504_79000_example.xml");
  CHECK(device_of(shared_data() / "formats/scp-ecg/Example.scp") ==
        std::map<std::string, double>{{"pr_ms", 148}, {"qrs_ms", 120}, {"qt_ms", 420}, {"p_axis_deg", 44},
                                      {"qrs_axis_deg", -61}, {"t_axis_deg", 86}});
  const auto muse = device_of(shared_data() / "formats/ge-muse-xml/MUSE_20200923_093504_79000_example.xml");
  CHECK(muse == std::map<std::string, double>{{"heart_rate_bpm", 56}, {"pr_ms", 330}, {"qrs_ms", 94},
                                              {"qt_ms", 434}, {"qtc_ms", 418}, {"p_axis_deg", 6},
                                              {"qrs_axis_deg", -22}, {"t_axis_deg", 2}});
}

TEST_CASE("device values in seconds are converted and values that cannot be read as ours are left out") {
  Waveform w;
  w.device_measurements = {{"QT Interval", 0.41, "s"},   // seconds: 410 ms
                           {"QRS Duration", 9, "mm"},    // a unit we cannot convert
                           {"PR Interval", 29999, "ms"},  // a placeholder, not an interval
                           {"Heart Rate", 0, "/min"},     // not measured
                           {"T Axis", 270, "deg"},        // the 0..360 convention: -90 in ours
                           {"AtrialRate", 70, "/min"},    // no counterpart among ours
                           {"Ventricular Heart Rate", 72, "{beats}/min"},
                           {"P Axis", 40, "deg"},
                           {"P Axis", 55, "deg"}};       // a repeat: the first is kept
  CHECK(standard_device_measurements(w) ==
        std::map<std::string, double>{{"qt_ms", 410}, {"t_axis_deg", -90}, {"p_axis_deg", 40}, {"heart_rate_bpm", 72}});
}

TEST_CASE("the analysis carries the device's measurements into its JSON and back") {
  auto w = read_ecg_file(local_data() / "philips_129DYPRG.xml");
  REQUIRE(w.ok());
  const auto a = analyze(*w);
  CHECK(a.device_measurements.at("qrs_ms") == 135);
  const auto j = to_json(a);
  REQUIRE(j["device_measurements"].is_object());
  CHECK(j["device_measurements"]["qt_ms"] == 476);
  CHECK(j["device_measurements"]["heart_rate_bpm"] == 41);
  CHECK(j["measurements"]["qrs_ms"].is_number());  // ours stay where they were
  auto back = analysis_from_json(j);
  REQUIRE(back.ok());
  CHECK(back->device_measurements == a.device_measurements);
}

TEST_CASE("an ECG without device measurements has an empty device list in its analysis JSON") {
  Waveform w;
  w.sample_rate_hz = 500;
  w.leads.push_back({Lead::II, std::vector<float>(5000, 0.0f), "II"});
  const auto j = to_json(analyze(w));
  CHECK(j["device_measurements"].is_object());
  CHECK(j["device_measurements"].empty());
}
