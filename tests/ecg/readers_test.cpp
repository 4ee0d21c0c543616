#include "teledx/ecg/readers.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "dicom_builder.hpp"
#include "ecg_test_data.hpp"

using namespace teledx;
using namespace teledx::ecg;
using teledx::ecg::test::as_bytes;
using teledx::ecg::test::local_data;
using teledx::ecg::test::shared_data;

namespace {
std::vector<std::uint8_t> fmt16(const std::vector<std::int16_t>& v) {
  std::vector<std::uint8_t> b;
  for (auto s : v) b.push_back(std::uint8_t(s & 0xFF)), b.push_back(std::uint8_t((s >> 8) & 0xFF));
  return b;
}
bool mentions(const Error& e, const std::string& word) { return e.message.find(word) != std::string::npos; }
}  // namespace

TEST_CASE("A WFDB format-16 record with LF or CRLF header lines gives the same leads in microvolts", "[ecg]") {
  std::vector<std::int16_t> raw;
  for (int k = 0; k < 500; ++k) raw.push_back(std::int16_t(k)), raw.push_back(std::int16_t(-k));
  const auto dat = fmt16(raw);
  for (std::string eol : {"\n", "\r\n"}) {
    std::string hea = "rec 2 250 500" + eol + "rec.dat 16 200/mV 16 0 0 0 0 II" + eol + "rec.dat 16 1000(10)/mV 16 0 0 0 0 V5" + eol;
    auto w = read_wfdb(hea, dat);
    REQUIRE(w.ok());
    CHECK(w->sample_rate_hz == 250);
    REQUIRE(w->leads.size() == 2);
    CHECK(w->leads[0].lead == Lead::II);
    CHECK(w->leads[1].lead == Lead::V5);
    CHECK(w->leads[0].uv[100] == Approx(100 / 200.0 * 1000));
    CHECK(w->leads[1].uv[100] == Approx((-100 - 10) / 1000.0 * 1000));
  }
}

TEST_CASE("A WFDB format-212 record unpacks two 12-bit samples from three bytes", "[ecg]") {
  // samples 1, -1 (0x001, 0xFFF) -> bytes 01 F0 FF
  std::vector<std::uint8_t> dat{0x01, 0xF0, 0xFF, 0x01, 0xF0, 0xFF};
  auto w = read_wfdb("r 1 360 4\nr.dat 212 200 11 0 0 0 0 MLII\n", dat);
  REQUIRE(w.ok());
  REQUIRE(w->sample_count() == 4);
  CHECK(w->leads[0].uv[0] == Approx(5));
  CHECK(w->leads[0].uv[1] == Approx(-5));
  CHECK(w->leads[0].lead == Lead::MLII);
}

TEST_CASE("A truncated WFDB signal file is refused with the sample counts", "[ecg]") {
  auto w = read_wfdb("r 1 360 1000\nr.dat 16 200 16 0 0 0 0 II\n", fmt16(std::vector<std::int16_t>(10, 0)));
  REQUIRE_FALSE(w.ok());
  CHECK(w.error().code == ErrorCode::BadRequest);
  CHECK(mentions(w.error(), "truncated"));
}

TEST_CASE("An absurd WFDB sampling rate is refused", "[ecg]") {
  auto w = read_wfdb("r 1 3 10\nr.dat 16 200 16 0 0 0 0 II\n", fmt16(std::vector<std::int16_t>(10, 0)));
  REQUIRE_FALSE(w.ok());
  CHECK(mentions(w.error(), "absurd sampling rate"));
  auto z = read_wfdb("r 1 0 10\nr.dat 16 200 16 0 0 0 0 II\n", fmt16(std::vector<std::int16_t>(10, 0)));
  REQUIRE_FALSE(z.ok());
}

TEST_CASE("An unsupported WFDB format or garbage header is refused with a sentence", "[ecg]") {
  auto w = read_wfdb("r 1 360 10\nr.dat 311 200 16 0 0 0 0 II\n", {});
  REQUIRE_FALSE(w.ok());
  CHECK(mentions(w.error(), "311"));
  auto g = read_wfdb("\x01\x02garbage", {});
  REQUIRE_FALSE(g.ok());
}

TEST_CASE("The LUDB 12-lead record reads as 12 named leads at 500 Hz", "[ecg]") {
  auto w = read_ecg_file(local_data() / "ludb/3.hea");
  REQUIRE(w.ok());
  CHECK(w->sample_rate_hz == 500);
  CHECK(w->sample_count() == 5000);
  REQUIRE(w->leads.size() == 12);
  const Lead order[] = {Lead::I, Lead::II, Lead::III, Lead::aVR, Lead::aVL, Lead::aVF,
                        Lead::V1, Lead::V2, Lead::V3, Lead::V4, Lead::V5, Lead::V6};
  for (int i = 0; i < 12; ++i) CHECK(w->leads[std::size_t(i)].lead == order[i]);
}

TEST_CASE("WFDB annotation files decode to sample times and codes", "[ecg]") {
  auto bytes = read_file_bytes(local_data() / "ludb/3.ii");
  REQUIRE(bytes.ok());
  auto a = read_wfdb_annotations(*bytes);
  REQUIRE(a.ok());
  REQUIRE(a->size() > 10);
  for (std::size_t i = 1; i < a->size(); ++i) CHECK((*a)[i].sample >= (*a)[i - 1].sample);
  int p = 0, n = 0, t = 0;
  for (const auto& x : *a) p += annotation_symbol(x.code) == "p", n += annotation_symbol(x.code) == "N", t += annotation_symbol(x.code) == "t";
  CHECK(p > 0);
  CHECK(n > 0);
  CHECK(t > 0);
}

TEST_CASE("MIT-BIH record 100 has the published header values and 2273 beat annotations", "[ecg]") {
  ECG_REQUIRE_SHARED("mitdb/100.hea");
  auto w = read_ecg_file(shared_data() / "mitdb/100.hea");
  REQUIRE(w.ok());
  CHECK(w->sample_rate_hz == 360);
  CHECK(w->sample_count() == 650000);
  CHECK(w->leads[0].lead == Lead::MLII);
  CHECK(w->leads[1].lead == Lead::V5);
  CHECK(w->leads[0].uv[0] == Approx((995 - 1024) / 200.0 * 1000));
  auto bytes = read_file_bytes(shared_data() / "mitdb/100.atr");
  REQUIRE(bytes.ok());
  auto a = read_wfdb_annotations(*bytes);
  REQUIRE(a.ok());
  int beats = 0;
  for (const auto& x : *a) beats += is_beat_annotation(x.code);
  CHECK(beats == 2273);
}

TEST_CASE("A CSV with a time column and lead headers is read in microvolts or millivolts", "[ecg]") {
  std::string csv = "time,I,II (mV),V1\n";
  for (int k = 0; k < 100; ++k) csv += std::to_string(k * 0.002) + "," + std::to_string(k) + ",0.5,-3\n";
  auto w = read_ecg_bytes(as_bytes(csv), "upload.csv");
  REQUIRE(w.ok());
  CHECK(w->sample_rate_hz == Approx(500));
  CHECK(w->leads.size() == 3);
  CHECK(w->find(Lead::II)->uv[3] == Approx(500));
  CHECK(w->find(Lead::I)->uv[7] == Approx(7));
}

TEST_CASE("A CSV as PhysioNet's rdsamp writes it is read: quoted names, a units row, hh:mm:ss.mmm times", "[ecg]") {
  // rdsamp -r mitdb/100 -c -v -p: 360 Hz, times to the millisecond.
  std::string csv = "'Elapsed time','MLII','V5'\n'hh:mm:ss.mmm','mV','mV'\n";
  for (int k = 0; k < 3600; ++k) {
    const double t = k / 360.0;
    char line[96];
    std::snprintf(line, sizeof line, "'%d:%06.3f',%.3f,-0.065\n", int(t / 60), std::fmod(t, 60.0), k % 7 * 0.1);
    csv += line;
  }
  auto w = read_ecg_bytes(as_bytes(csv), "100.csv");
  REQUIRE(w.ok());
  CHECK(w->sample_rate_hz == 360);  // the times' millisecond rounding is not a rate of 360.008 Hz
  REQUIRE(w->leads.size() == 2);
  CHECK(w->leads[0].lead == Lead::MLII);
  CHECK(w->leads[0].uv.size() == 3600);
  CHECK(w->leads[0].uv[3] == Approx(300));
  CHECK(w->leads[1].uv[0] == Approx(-65));
}

TEST_CASE("CSV lead names carry their unit as I_mV, II/uV or V1 [uV], and semicolon files may use decimal commas",
          "[ecg]") {
  std::string csv = "time_ms;I_mV;II/uV;V1 [\xC2\xB5V];Lead aVF\n";
  for (int k = 0; k < 50; ++k) csv += std::to_string(k * 2) + ";0,5;250;-3,5;7\n";
  auto w = read_csv(csv);
  REQUIRE(w.ok());
  CHECK(w->sample_rate_hz == Approx(500));
  REQUIRE(w->leads.size() == 4);
  CHECK(w->find(Lead::I)->uv[1] == Approx(500));
  CHECK(w->find(Lead::II)->uv[1] == Approx(250));
  CHECK(w->find(Lead::V1)->uv[1] == Approx(-3.5));
  CHECK(w->find(Lead::aVF)->uv[1] == Approx(7));  // no unit in its name: microvolts, the default
}

TEST_CASE("A CSV whose first column numbers the samples needs its rate, and a units row in A/D units is refused",
          "[ecg]") {
  std::string rows;
  for (int k = 0; k < 20; ++k) rows += std::to_string(k) + ",1,2\n";
  auto numbered = read_csv("sample #,I,II\n" + rows);
  REQUIRE_FALSE(numbered.ok());
  CHECK(mentions(numbered.error(), "numbers the samples"));
  auto with_rate = read_csv("# sample_rate=250\nsample #,I,II\n" + rows);
  REQUIRE(with_rate.ok());
  CHECK(with_rate->leads.size() == 2);
  CHECK(with_rate->sample_rate_hz == Approx(250));
  auto adu = read_csv("'Elapsed time','MLII','V5'\n'seconds','adu','adu'\n0.000,995,1011\n0.003,995,1011\n");
  REQUIRE_FALSE(adu.ok());
  CHECK(mentions(adu.error(), "unit 'adu' is not mV or uV"));
}

TEST_CASE("A CSV in millivolts without a unit is refused naming the fix, not read as a flat microvolt ECG", "[ecg]") {
  // A spreadsheet's export: R waves of 1.2, the rest a few tenths. Read as the default µV, every lead was flat and the
  // technician was told to check the electrodes.
  std::string rows;
  for (int k = 0; k < 1000; ++k) {
    const double t = std::fmod(k / 500.0, 0.8) - 0.4, r = 1.2 * std::exp(-t * t / (2 * 0.012 * 0.012));
    char line[64];
    std::snprintf(line, sizeof line, "%.3f,%.3f\n", r, -0.4 * r + 0.05);
    rows += line;
  }
  auto bare = read_csv("# sample_rate=500\nII,V1\n" + rows);
  REQUIRE_FALSE(bare.ok());
  CHECK(mentions(bare.error(), "look like millivolts"));
  CHECK(mentions(bare.error(), "at most 1.2)"));
  CHECK(mentions(bare.error(), "# units=mV"));
  for (const std::string& declared : {"# sample_rate=500 units=mV\nII,V1\n", "# sample_rate=500\nII (mV),V1 (mV)\n"}) {
    auto w = read_csv(declared + rows);
    REQUIRE(w.ok());
    CHECK(*std::max_element(w->leads[0].uv.begin(), w->leads[0].uv.end()) == Approx(1200).margin(1));
  }
  // Microvolts as integers, also small ones (a flat lead), are read as before.
  auto flat = read_csv("# sample_rate=500\nII,V1\n1,2\n3,4\n");
  REQUIRE(flat.ok());
  CHECK(flat->leads[0].uv[1] == Approx(3));
}

TEST_CASE("A CSV with an unknown lead or a non-number is refused naming the column", "[ecg]") {
  auto w = read_csv("# sample_rate=500\nI,XYZ\n1,2\n3,4\n");
  REQUIRE_FALSE(w.ok());
  CHECK(mentions(w.error(), "unknown lead 'XYZ'"));
  auto n = read_csv("# sample_rate=500\nI,II\n1,2\n3,abc\n");
  REQUIRE_FALSE(n.ok());
  CHECK(mentions(n.error(), "line 4"));
  auto r = read_csv("I,II\n1,2\n3,4\n");
  REQUIRE_FALSE(r.ok());
  CHECK(mentions(r.error(), "sampling rate"));
}

TEST_CASE("The DICOM 12-lead ECG gives the rhythm group, the median beat and device measurements", "[ecg]") {
  auto w = read_ecg_file(local_data() / "waveform_ecg.dcm");
  REQUIRE(w.ok());
  CHECK(w->source_format == "dicom");
  CHECK(w->sample_rate_hz == 1000);
  CHECK(w->sample_count() == 10000);
  CHECK(w->leads.size() == 12);
  CHECK(w->leads.front().lead == Lead::I);
  REQUIRE(w->device_median.has_value());
  CHECK(w->device_median->sample_count() == 1200);
  CHECK(w->acquisition_time == "2013-01-25T10:59:19");
  CHECK(w->filters.highpass_hz == Approx(0.05));
  CHECK(w->filters.lowpass_hz == Approx(300));
  bool qt = false;
  for (const auto& m : w->device_measurements) qt = qt || (m.name == "QT Interval" && m.value == 368);
  CHECK(qt);
  REQUIRE_FALSE(w->device_statements.empty());
  CHECK(w->device_statements.front() == "RITMO SINUSALE");
  // Einthoven: III = II - I holds sample by sample within rounding.
  const auto &i = w->find(Lead::I)->uv, &ii = w->find(Lead::II)->uv, &iii = w->find(Lead::III)->uv;
  double worst = 0;
  for (std::size_t k = 0; k < i.size(); k += 7) worst = std::max(worst, double(std::abs(iii[k] - (ii[k] - i[k]))));
  CHECK(worst < 20);
}

TEST_CASE("A truncated or garbage DICOM file gives a clear error, not a crash", "[ecg]") {
  auto bytes = read_file_bytes(local_data() / "waveform_ecg.dcm");
  REQUIRE(bytes.ok());
  for (std::size_t cut : {std::size_t(200), bytes->size() / 2, bytes->size() - 1000}) {
    std::vector<std::uint8_t> part(bytes->begin(), bytes->begin() + std::ptrdiff_t(cut));
    auto w = read_dicom_ecg(part);
    REQUIRE_FALSE(w.ok());
    CHECK_FALSE(w.error().message.empty());
  }
  std::vector<std::uint8_t> garbage(4096, 0x5A);
  garbage[128] = 'D', garbage[129] = 'I', garbage[130] = 'C', garbage[131] = 'M';
  auto g = read_ecg_bytes(garbage, "x.dcm");
  REQUIRE_FALSE(g.ok());
}

TEST_CASE("The HL7 aECG example reads 12 leads at 500 Hz with filters and acquisition time", "[ecg]") {
  auto w = read_ecg_file(local_data() / "Example_aECG.xml");
  REQUIRE(w.ok());
  CHECK(w->source_format == "hl7-aecg");
  CHECK(w->sample_rate_hz == Approx(500));
  CHECK(w->leads.size() == 12);
  CHECK(w->sample_count() == 5000);
  CHECK(w->acquisition_time == "2002-11-22T09:10:00");
  CHECK(w->filters.lowpass_hz == Approx(150));
  CHECK(w->filters.notch_hz == Approx(60));
}

TEST_CASE("The minimum aECG reads as UTF-8 and as UTF-16 with a byte-order mark", "[ecg]") {
  auto bytes = read_file_bytes(local_data() / "minimum_aecg.xml");
  REQUIRE(bytes.ok());
  auto w = read_ecg_bytes(*bytes, "min.xml");
  REQUIRE(w.ok());
  REQUIRE(w->leads.size() == 1);
  CHECK(w->leads[0].lead == Lead::II);
  CHECK(w->leads[0].uv[4] == Approx(-3 * 2.5));
  std::vector<std::uint8_t> u16{0xFF, 0xFE};
  for (auto c : *bytes) u16.push_back(c), u16.push_back(0);
  auto w16 = read_ecg_bytes(u16, "min16.xml");
  REQUIRE(w16.ok());
  CHECK(w16->sample_count() == w->sample_count());
}

TEST_CASE("Truncated or garbage aECG XML is refused as not well-formed", "[ecg]") {
  auto bytes = read_file_bytes(local_data() / "minimum_aecg.xml");
  REQUIRE(bytes.ok());
  std::vector<std::uint8_t> half(bytes->begin(), bytes->begin() + std::ptrdiff_t(bytes->size() / 2));
  auto w = read_ecg_bytes(half, "x.xml");
  REQUIRE_FALSE(w.ok());
  CHECK(mentions(w.error(), "not well-formed"));
  std::string bad_digits(bytes->begin(), bytes->end());
  bad_digits.replace(bad_digits.find("-2 -2"), 5, "-2 zz");
  auto d = read_ecg_bytes(as_bytes(bad_digits), "x.xml");
  REQUIRE_FALSE(d.ok());
  CHECK(mentions(d.error(), "not a number"));
  std::string bad_lead(bytes->begin(), bytes->end());
  bad_lead.replace(bad_lead.find("MDC_ECG_LEAD_II"), 15, "MDC_ECG_LEAD_QQ");
  auto l = read_ecg_bytes(as_bytes(bad_lead), "x.xml");
  REQUIRE_FALSE(l.ok());
  CHECK(mentions(l.error(), "unknown lead"));
}

TEST_CASE("The SCP-ECG example decodes Huffman second differences into 12 plausible leads", "[ecg]") {
  ECG_REQUIRE_SHARED("formats/scp-ecg/Example.scp");
  auto w = read_ecg_file(shared_data() / "formats/scp-ecg/Example.scp");
  REQUIRE(w.ok());
  CHECK(w->source_format == "scp-ecg");
  // Section 1: the patient of the HL7 aECG it was converted from, and the cart.
  CHECK(w->patient.name == "Clark");
  CHECK(w->patient.id == "SBJ-123");
  CHECK(w->patient.sex == "M");
  CHECK(w->patient.birth_date == "19530508");
  CHECK(w->device.find("ELI250") != std::string::npos);
  CHECK(w->sample_rate_hz == Approx(500));
  CHECK(w->sample_count() == 5000);
  CHECK(w->leads.size() == 12);
  for (const auto& l : w->leads) {
    auto [lo, hi] = std::minmax_element(l.uv.begin(), l.uv.end());
    CHECK(*hi - *lo < 8000);  // under 8 mV peak to peak: the decoding did not drift
    CHECK(*hi - *lo > 50);
  }
  REQUIRE(w->device_median.has_value());  // section 5 reference beat, 1198 ms per section 4
  CHECK(w->device_median->sample_count() == 599);
  CHECK(w->device_median->leads.size() == 12);
}

TEST_CASE("A corrupted or truncated SCP-ECG file is refused", "[ecg]") {
  ECG_REQUIRE_SHARED("formats/scp-ecg/Example.scp");
  auto bytes = read_file_bytes(shared_data() / "formats/scp-ecg/Example.scp");
  REQUIRE(bytes.ok());
  auto flipped = *bytes;
  flipped[5000] ^= 0x40;
  auto f = read_scp_ecg(flipped);
  REQUIRE_FALSE(f.ok());
  CHECK(mentions(f.error(), "checksum"));
  std::vector<std::uint8_t> cut(bytes->begin(), bytes->begin() + 10000);
  auto c = read_ecg_bytes(cut, "x.scp");
  REQUIRE_FALSE(c.ok());
  CHECK(mentions(c.error(), "truncated"));
}

TEST_CASE("The GE MUSE XML stores 8 leads and the reader derives III, aVR, aVL and aVF", "[ecg]") {
  ECG_REQUIRE_SHARED("formats/ge-muse-xml/MUSE_20200923_093504_79000_example.xml");
  auto w = read_ecg_file(shared_data() / "formats/ge-muse-xml/MUSE_20200923_093504_79000_example.xml");
  REQUIRE(w.ok());
  CHECK(w->leads.size() == 12);
  CHECK(w->sample_rate_hz == 500);
  CHECK(w->sample_count() == 5000);
  REQUIRE(w->find(Lead::aVF));
  CHECK(w->device_median.has_value());
  bool brady = false;
  for (const auto& s : w->device_statements) brady = brady || s == "Sinus bradycardia";
  CHECK(brady);
}

TEST_CASE("Formats are recognised by content, not by file name", "[ecg]") {
  auto dcm = read_file_bytes(local_data() / "waveform_ecg.dcm");
  auto xml = read_file_bytes(local_data() / "minimum_aecg.xml");
  REQUIRE(dcm.ok());
  REQUIRE(xml.ok());
  CHECK(detect_format(*dcm, "upload.bin") == Format::Dicom);
  CHECK(detect_format(*xml, "upload.bin") == Format::HL7aECG);
  CHECK(detect_format(as_bytes("I,II\n1,2\n"), "x") == Format::Csv);
  CHECK(detect_format(as_bytes("100 2 360 650000\r\n"), "x") == Format::Wfdb);
  auto u = read_ecg_bytes(as_bytes("\x01\x02\x03 hello"), "x.bin");
  REQUIRE_FALSE(u.ok());
  CHECK(mentions(u.error(), "unrecognised"));
  auto e = read_ecg_bytes({}, "x");
  REQUIRE_FALSE(e.ok());
}

TEST_CASE("Lead names parse in the spellings devices use", "[ecg]") {
  CHECK(parse_lead_name("Lead I (Einthoven)") == Lead::I);
  CHECK(parse_lead_name("MDC_ECG_LEAD_AVR") == Lead::aVR);
  CHECK(parse_lead_name("avl") == Lead::aVL);
  CHECK(parse_lead_name("v6") == Lead::V6);
  CHECK(parse_lead_name("MLII") == Lead::MLII);
  CHECK_FALSE(parse_lead_name("ABP").has_value());
  CHECK(lead_from_scp_code(61) == Lead::III);
  CHECK(lead_from_scp_code(3) == Lead::V1);
}

TEST_CASE("The Philips XLI-compressed XML decodes 12 leads without its padding and calibration tail", "[ecg]") {
  auto w = read_ecg_file(local_data() / "philips_129DYPRG.xml");
  REQUIRE(w.ok());
  CHECK(w->source_format == "philips-xml");
  CHECK(w->sample_rate_hz == 500);
  CHECK(w->leads.size() == 12);
  CHECK(w->duration_s() > 10.0);
  CHECK(w->duration_s() < 11.0);
  CHECK(w->acquisition_time == "2011-12-01T07:27:34");
  bool acute = false;
  for (const auto& s : w->device_statements) acute = acute || s == "Inferior infarct, acute (LCx)";
  CHECK(acute);
  // Limb leads rebuilt from their stored residuals obey Einthoven's law.
  const auto &i = w->find(Lead::I)->uv, &ii = w->find(Lead::II)->uv, &iii = w->find(Lead::III)->uv;
  double worst = 0;
  for (std::size_t k = 0; k < i.size(); ++k) worst = std::max(worst, double(std::abs(iii[k] - (ii[k] - i[k]))));
  CHECK(worst <= 10);  // two 5-µV steps of rounding in the stored residuals
}

TEST_CASE("A Philips XML that states its lead labels reads the same leads as one that leaves them implied", "[ecg]") {
  // Sierra XML 1.04 writes leadlabels on <parsedwaveforms>; the sample (1.03) leaves them out. The labels were read
  // through views into a destroyed temporary: every file stating them failed with "unknown lead" and garbage bytes.
  auto bytes = read_file_bytes(local_data() / "philips_129DYPRG.xml");
  REQUIRE(bytes.ok());
  std::string x(bytes->begin(), bytes->end());
  const std::string tag = "<parsedwaveforms ";
  x.insert(x.find(tag) + tag.size(), "leadlabels=\"I II III aVR aVL aVF V1 V2 V3 V4 V5 V6\" ");
  auto labelled = read_ecg_bytes(as_bytes(x), "x.xml");
  REQUIRE(labelled.ok());
  auto implied = read_ecg_file(local_data() / "philips_129DYPRG.xml");
  REQUIRE(implied.ok());
  REQUIRE(labelled->leads.size() == implied->leads.size());
  for (std::size_t l = 0; l < implied->leads.size(); ++l) {
    CHECK(labelled->leads[l].lead == implied->leads[l].lead);
    CHECK(labelled->leads[l].uv == implied->leads[l].uv);
  }
}

TEST_CASE("A Philips XML with a cut XLI chunk or an unknown compression is refused", "[ecg]") {
  auto bytes = read_file_bytes(local_data() / "philips_129DYPRG.xml");
  REQUIRE(bytes.ok());
  std::string x(bytes->begin(), bytes->end());
  const auto start = x.find(">", x.find("<parsedwaveforms")) + 1;
  std::string cut = x;
  cut.erase(start + 200, x.find("</parsedwaveforms>") - start - 200);
  auto c = read_ecg_bytes(as_bytes(cut), "x.xml");
  REQUIRE_FALSE(c.ok());
  CHECK(mentions(c.error(), "XLI"));
  std::string other = x;
  other.replace(other.find("compressmethod=\"XLI\""), 20, "compressmethod=\"ZZZ\"");
  auto o = read_ecg_bytes(as_bytes(other), "x.xml");
  REQUIRE_FALSE(o.ok());
  CHECK(mentions(o.error(), "ZZZ"));
}

TEST_CASE("The SCP-ECG example decodes to the same samples as the HL7 aECG it was made from", "[ecg]") {
  ECG_REQUIRE_SHARED("formats/scp-ecg/Example.scp");
  auto scp = read_ecg_file(shared_data() / "formats/scp-ecg/Example.scp");
  auto xml = read_ecg_file(local_data() / "Example_aECG.xml");
  REQUIRE(scp.ok());
  REQUIRE(xml.ok());
  REQUIRE(scp->sample_count() == xml->sample_count());
  for (Lead l : {Lead::I, Lead::II, Lead::V1, Lead::V6}) {
    const auto &a = scp->find(l)->uv, &b = xml->find(l)->uv;
    double worst = 0;
    for (std::size_t k = 0; k < a.size(); ++k) worst = std::max(worst, double(std::abs(a[k] - b[k])));
    INFO(lead_name(l));
    CHECK(worst <= 5);  // both in 2.5 µV steps
  }
}

TEST_CASE("The waveform summary JSON names leads, filters and the device's own findings", "[ecg]") {
  auto w = read_ecg_file(local_data() / "waveform_ecg.dcm");
  REQUIRE(w.ok());
  auto j = to_json(*w);
  CHECK(j["source_format"] == "dicom");
  CHECK(j["leads"].size() == 12);
  CHECK(j["leads"][3] == "aVR");
  CHECK(j["duration_s"].get<double>() == Approx(10));
  CHECK(j["device_filters"]["lowpass_hz"].get<double>() == Approx(300));
  CHECK(j["device_statements"][0] == "RITMO SINUSALE");
  CHECK(j["device_median_beat"] == true);
  CHECK(j["device_measurements"].size() >= 5);
}

TEST_CASE("An 8-lead DICOM ECG in millivolts with baselines gets III, aVR, aVL and aVF derived", "[ecg]") {
  using B = test::DicomBuilder;
  B::Group rhythm{"RHYTHM", 500, {}, {}};
  const char* codes[] = {"5.6.3-9-1", "5.6.3-9-2", "5.6.3-9-3", "5.6.3-9-4", "5.6.3-9-5", "5.6.3-9-6", "5.6.3-9-7", "5.6.3-9-8"};
  const char* names[] = {"Lead I", "Lead II", "Lead V1", "Lead V2", "Lead V3", "Lead V4", "Lead V5", "Lead V6"};
  for (int c = 0; c < 8; ++c) rhythm.channels.push_back({codes[c], names[c], 0.005, "mV", 1.0, c == 1 ? 0.1 : 0.0});
  for (int k = 0; k < 1000; ++k)
    for (int c = 0; c < 8; ++c) rhythm.interleaved.push_back(std::int16_t((c + 1) * 10 + (k % 50)));
  B::Group median{"MEDIAN BEAT", 500, rhythm.channels, {}};
  median.interleaved.assign(8 * 300, 7);
  auto w = read_ecg_bytes(B::file({rhythm, median}), "ecg.dcm");
  REQUIRE(w.ok());
  CHECK(w->leads.size() == 12);
  CHECK(w->sample_count() == 1000);
  CHECK(w->acquisition_time == "2024-01-02T03:04:05");
  // raw x 0.005 mV (+0.1 mV baseline on II) -> µV
  CHECK(w->find(Lead::I)->uv[3] == Approx((10 + 3) * 5.0));
  CHECK(w->find(Lead::II)->uv[3] == Approx((20 + 3) * 5.0 + 100));
  CHECK(w->find(Lead::III)->uv[3] == Approx(w->find(Lead::II)->uv[3] - w->find(Lead::I)->uv[3]));
  CHECK(w->find(Lead::aVF)->uv[3] == Approx(w->find(Lead::II)->uv[3] - w->find(Lead::I)->uv[3] / 2));
  REQUIRE(w->device_median.has_value());
  CHECK(w->device_median->sample_count() == 300);
  CHECK(w->device_median->leads.size() == 12);
}

TEST_CASE("An 18-lead DICOM ECG coded in MDC reads V3R-V5R and V7-V9, also with the micro sign as its unit", "[ecg]") {
  using B = test::DicomBuilder;
  B::Group g{"RHYTHM", 500, {}, {}};
  const std::pair<const char*, Lead> leads[] = {
      {"2:1", Lead::I},    {"2:2", Lead::II},   {"2:61", Lead::III}, {"2:62", Lead::aVR}, {"2:63", Lead::aVL}, {"2:64", Lead::aVF},
      {"2:3", Lead::V1},   {"2:4", Lead::V2},   {"2:5", Lead::V3},   {"2:6", Lead::V4},   {"2:7", Lead::V5},   {"2:8", Lead::V6},
      {"2:11", Lead::V3R}, {"2:12", Lead::V4R}, {"2:13", Lead::V5R}, {"2:9", Lead::V7},   {"2:66", Lead::V8},  {"2:67", Lead::V9}};
  for (const auto& [code, lead] : leads) g.channels.push_back({code, "MDC_ECG_LEAD", 2.5, lead == Lead::V8 ? "\xC2\xB5V" : "uV"});
  for (int k = 0; k < 1000; ++k)
    for (int c = 0; c < 18; ++c) g.interleaved.push_back(std::int16_t(c * 10 + k % 7));
  auto w = read_ecg_bytes(B::file({g}, "1.2.840.10008.5.1.4.1.1.9.1.2"), "ecg18.dcm");
  REQUIRE(w.ok());
  REQUIRE(w->leads.size() == 18);
  for (int c = 0; c < 18; ++c) {
    INFO("lead " << lead_name(leads[c].second));
    REQUIRE(w->find(leads[c].second));
    CHECK(w->find(leads[c].second)->uv[3] == Approx((c * 10 + 3) * 2.5));
  }
}

TEST_CASE("An 18-lead ECG split over two rhythm groups of the 12-lead IOD reads as one, a longer strip beside it aside", "[ecg]") {
  // The 12-lead IOD holds 13 channels a multiplex group: the added leads go to a second group recorded together.
  using B = test::DicomBuilder;
  const std::pair<const char*, Lead> first[] = {{"2:1", Lead::I},  {"2:2", Lead::II}, {"2:61", Lead::III}, {"2:62", Lead::aVR},
                                                {"2:63", Lead::aVL}, {"2:64", Lead::aVF}, {"2:3", Lead::V1}, {"2:4", Lead::V2},
                                                {"2:5", Lead::V3},  {"2:6", Lead::V4},  {"2:7", Lead::V5},  {"2:8", Lead::V6}};
  const std::pair<const char*, Lead> second[] = {{"2:11", Lead::V3R}, {"2:12", Lead::V4R}, {"2:13", Lead::V5R},
                                                 {"2:9", Lead::V7},   {"2:66", Lead::V8},  {"2:67", Lead::V9}};
  B::Group standard{"RHYTHM", 500, {}, {}}, added{"RHYTHM", 500, {}, {}}, strip{"RHYTHM", 500, {{"2:2", "Lead II"}}, {}};
  for (const auto& [code, lead] : first) standard.channels.push_back({code, "MDC_ECG_LEAD"});
  for (const auto& [code, lead] : second) added.channels.push_back({code, "MDC_ECG_LEAD"});
  for (int k = 0; k < 1000; ++k) {
    for (int c = 0; c < 12; ++c) standard.interleaved.push_back(std::int16_t(c * 10 + k % 7));
    for (int c = 0; c < 6; ++c) added.interleaved.push_back(std::int16_t(500 + c * 10 + k % 7));
  }
  strip.interleaved.assign(5000, 9);
  auto w = read_ecg_bytes(B::file({standard, added, strip}), "ecg18.dcm");
  REQUIRE(w.ok());
  REQUIRE(w->leads.size() == 18);
  CHECK(w->sample_count() == 1000);
  CHECK(w->find(Lead::V6)->uv[3] == Approx(110 + 3));
  CHECK(w->find(Lead::V9)->uv[3] == Approx(550 + 3));
  // Groups of other lengths were recorded at other times: the one with the most leads is the ECG.
  auto other = read_ecg_bytes(B::file({strip, standard}), "ecg.dcm");
  REQUIRE(other.ok());
  CHECK(other->leads.size() == 12);
  CHECK(other->sample_count() == 1000);
  // So were groups of the same length with other Multiplex Group Time Offsets: the added leads 10 s later are
  // another recording, not the same beats. Offsets a sample apart or less, or written as 0 beside none, are the same.
  added.offset_ms = 10000;
  auto later = read_ecg_bytes(B::file({standard, added}), "ecg.dcm");
  REQUIRE(later.ok());
  CHECK(later->leads.size() == 12);
  CHECK_FALSE(later->find(Lead::V9));
  added.offset_ms = 0;
  auto same = read_ecg_bytes(B::file({standard, added}), "ecg.dcm");
  REQUIRE(same.ok());
  CHECK(same->leads.size() == 18);
  standard.offset_ms = 2000, added.offset_ms = 2001;
  auto both = read_ecg_bytes(B::file({standard, added}), "ecg.dcm");
  REQUIRE(both.ok());
  CHECK(both->leads.size() == 18);
}

TEST_CASE("A DICOM waveform with an unknown lead, a non-voltage unit, an absurd rate or another SOP class is refused", "[ecg]") {
  using B = test::DicomBuilder;
  B::Group g{"RHYTHM", 500, {{"5.6.3-9-1", "Lead I"}, {"5.6.3-9-999", "Respiration"}}, std::vector<std::int16_t>(2 * 600, 1)};
  auto lead = read_ecg_bytes(B::file({g}), "x.dcm");
  REQUIRE_FALSE(lead.ok());
  CHECK(mentions(lead.error(), "unknown lead 'Respiration'"));
  g.channels[1] = {"5.6.3-9-2", "Lead II", 1, "mmHg"};
  auto unit = read_ecg_bytes(B::file({g}), "x.dcm");
  REQUIRE_FALSE(unit.ok());
  CHECK(mentions(unit.error(), "mmHg"));
  g.channels[1].unit = "uV";
  g.fs = 5;
  auto rate = read_ecg_bytes(B::file({g}), "x.dcm");
  REQUIRE_FALSE(rate.ok());
  CHECK(mentions(rate.error(), "absurd sampling rate"));
  auto other = read_ecg_bytes(B::file({g}, "1.2.840.10008.5.1.4.1.1.9.2.1"), "x.dcm");
  REQUIRE_FALSE(other.ok());
  CHECK(mentions(other.error(), "not an ECG"));
}
