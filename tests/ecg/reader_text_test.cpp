// Text in ECG files reaches the exam's JSON and DICOM as UTF-8: in the character set a DICOM file declares, as
// GB18030 where a Chinese device wrote GB2312 or GBK without saying so, and with U+FFFD for bytes neither reads.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "dicom_builder.hpp"
#include "ecg_test_data.hpp"
#include "teledx/ecg/readers.hpp"

using namespace teledx::ecg;

namespace {
const std::string kSinusGb = "\xF1\xBC\xD0\xD4\xD0\xC4\xC2\xC9";                      // 窦性心律 in GB18030
const std::string kSinusUtf8 = "\xE7\xAA\xA6\xE6\x80\xA7\xE5\xBF\x83\xE5\xBE\x8B";  // 窦性心律 in UTF-8

std::vector<std::uint8_t> dicom_with_statement(const std::string& character_set, const std::string& statement) {
  using B = test::DicomBuilder;
  B::Group g{"RHYTHM", 500, {{"5.6.3-9-1", "Lead I"}, {"5.6.3-9-2", "Lead II"}}, {}};
  for (int k = 0; k < 1000; ++k) g.interleaved.push_back(std::int16_t(k % 40)), g.interleaved.push_back(std::int16_t(k % 30));
  return B::file({g}, "1.2.840.10008.5.1.4.1.1.9.1.1", {character_set, {statement}});
}
}  // namespace

TEST_CASE("A DICOM ECG's statements are read in the character set it declares", "[ecg]") {
  auto gb = read_ecg_bytes(dicom_with_statement("GB18030", kSinusGb), "ecg.dcm");
  REQUIRE(gb.ok());
  REQUIRE(gb->device_statements.size() == 1);
  CHECK(gb->device_statements[0] == kSinusUtf8);
  // Latin-1 "é" is also a valid GB18030 pair with the next byte: the declaration decides, not a guess.
  auto latin = read_ecg_bytes(dicom_with_statement("ISO_IR 100", "Ritmo sinusal, \xE9l normal"), "ecg.dcm");
  REQUIRE(latin.ok());
  CHECK(latin->device_statements.at(0) == "Ritmo sinusal, \xC3\xA9l normal");
}

TEST_CASE("A DICOM ECG's undeclared GB2312 statement is read as Chinese", "[ecg]") {
  auto w = read_ecg_bytes(dicom_with_statement("", kSinusGb), "ecg.dcm");
  REQUIRE(w.ok());
  CHECK(w->device_statements.at(0) == kSinusUtf8);
}

TEST_CASE("A WFDB lead label that is not UTF-8 is decoded or replaced so the waveform's JSON can be written", "[ecg]") {
  const std::vector<std::uint8_t> dat(2 * 2 * 500, 0);
  // 导联 in GB2312: a Chinese research export's channel name.
  auto gb = read_wfdb("r 2 500 500\nr.dat 16 1000 16 0 0 0 0 II\nr.dat 16 1000 16 0 0 0 0 \xB5\xBC\xC1\xAA\n", dat);
  REQUIRE(gb.ok());
  REQUIRE(gb->leads.size() == 2);
  CHECK(gb->leads[1].label == "\xE5\xAF\xBC\xE8\x81\x94");
  // A byte no encoding reads (what the fuzzer found: nlohmann's dump() threw on the label).
  auto bad = read_wfdb("r 2 500 500\nr.dat 16 1000 16 0 0 0 0 II\nr.dat 16 1000 16 0 0 0 0 i\x97\n", dat);
  REQUIRE(bad.ok());
  CHECK(bad->leads[1].label == "i\xEF\xBF\xBD");
  CHECK_NOTHROW(to_json(*bad).dump());
}
