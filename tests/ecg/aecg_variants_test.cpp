// HL7 aECG files as devices other than the ballot example write them: a series split over several sequence sets,
// the representative beat as a series of its own, other spellings of units, a legacy Chinese encoding.
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "ecg_test_data.hpp"
#include "teledx/ecg/readers.hpp"

using namespace teledx;
using namespace teledx::ecg;
using teledx::ecg::test::as_bytes;

namespace {

/// The same value a lead has at a sample in every variant, so a split file can be compared with a whole one.
int sample_value(const std::string& lead, int k) {
  return int(std::lround(120 * std::sin(0.025 * k + double(lead.size()) + double(lead.back()))));
}

struct SetSpec {
  std::string time_code = "TIME_RELATIVE";
  std::string head;  ///< empty: no head element
  std::string head_unit = "s";
  std::string increment = "0.002", increment_unit = "s";
  std::string scale = "2.5", scale_unit = "uV";
  std::vector<std::string> leads;  ///< MDC codes without the prefix: I, II, V1...
  int first = 0, count = 0;        ///< samples [first, first + count) of sample_value
};

std::string sequence_set(const SetSpec& s) {
  std::string x = "<component><sequenceSet><component><sequence><code code=\"" + s.time_code + "\"/><value>";
  if (!s.head.empty()) x += "<head value=\"" + s.head + "\"" + (s.time_code == "TIME_RELATIVE" ? " unit=\"" + s.head_unit + "\"" : "") + "/>";
  x += "<increment value=\"" + s.increment + "\" unit=\"" + s.increment_unit + "\"/></value></sequence></component>";
  for (const auto& lead : s.leads) {
    x += "<component><sequence><code code=\"MDC_ECG_LEAD_" + lead + "\"/><value><origin value=\"0\" unit=\"uV\"/>";
    x += "<scale value=\"" + s.scale + "\" unit=\"" + s.scale_unit + "\"/><digits>";
    for (int k = s.first; k < s.first + s.count; ++k) x += std::to_string(sample_value(lead, k)) + " ";
    x += "</digits></value></sequence></component>";
  }
  return x + "</sequenceSet></component>";
}

std::string series(const std::string& code, const std::vector<SetSpec>& sets) {
  std::string x = "<component><series><code code=\"" + code + "\"/>";
  for (const auto& s : sets) x += sequence_set(s);
  return x + "</series></component>";
}

std::string aecg(const std::string& body, const std::string& prolog = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
                 const std::string& patient_name = "") {
  std::string x = prolog + "<AnnotatedECG xmlns=\"urn:hl7-org:v3\"><effectiveTime><center value=\"20261203101500\"/></effectiveTime>";
  if (!patient_name.empty())
    x += "<componentOf><timepointEvent><componentOf><subjectAssignment><subject><trialSubject><id extension=\"P-7\"/>"
         "<subjectDemographicPerson><name>" + patient_name +
         "</name><administrativeGenderCode code=\"F\"/></subjectDemographicPerson></trialSubject></subject>"
         "</subjectAssignment></componentOf></timepointEvent></componentOf>";
  return x + body + "</AnnotatedECG>";
}

Result<Waveform> read(const std::string& xml) { return read_ecg_bytes(as_bytes(xml), "upload.xml"); }

SetSpec set_of(std::vector<std::string> leads, int first, int count, std::string head = "") {
  SetSpec s;
  s.leads = std::move(leads);
  s.first = first, s.count = count, s.head = std::move(head);
  return s;
}

/// True when `lead` holds samples [first, first + n) of sample_value at a scale of 2.5 µV.
bool holds(const Waveform& w, Lead lead, const std::string& code, int first, int n) {
  const LeadSignal* l = w.find(lead);
  if (!l || l->uv.size() < std::size_t(n)) return false;
  for (int k = 0; k < n; ++k)
    if (std::abs(l->uv[std::size_t(k)] - 2.5f * float(sample_value(code, first + k))) > 1e-3f) return false;
  return true;
}

}  // namespace

TEST_CASE("An aECG whose simultaneous leads are written in several sequence sets reads as one 12-lead ECG", "[ecg]") {
  auto w = read(aecg(series("RHYTHM", {set_of({"I", "II"}, 0, 5000, "0"), set_of({"V1", "V2", "V3", "V4", "V5", "V6"}, 0, 5000, "0")})));
  REQUIRE(w.ok());
  CHECK(w->sample_rate_hz == Approx(500));
  CHECK(w->leads.size() == 12);  // III, aVR, aVL, aVF derived from I and II across the sets
  CHECK(w->sample_count() == 5000);
  CHECK(holds(*w, Lead::I, "I", 0, 5000));
  CHECK(holds(*w, Lead::V6, "V6", 0, 5000));
  // Without time heads, sets of the same length are taken as recorded together.
  auto untimed = read(aecg(series("RHYTHM", {set_of({"I", "II"}, 0, 5000), set_of({"V1", "V2"}, 0, 5000)})));
  REQUIRE(untimed.ok());
  CHECK(untimed->leads.size() == 8);
}

TEST_CASE("An aECG writing each lead as a rhythm series of its own reads as one 12-lead ECG", "[ecg]") {
  std::string body;
  for (const char* lead : {"I", "II", "V1", "V2", "V3", "V4", "V5", "V6"}) body += series("RHYTHM", {set_of({lead}, 0, 5000, "0")});
  auto w = read(aecg(body));
  REQUIRE(w.ok());
  CHECK(w->leads.size() == 12);
  CHECK(w->sample_count() == 5000);
  CHECK(holds(*w, Lead::V4, "V4", 0, 5000));
  // A two-minute lead II strip recorded after the 12 leads (another time) does not displace them.
  auto strip = read(aecg(body + series("RHYTHM", {set_of({"II"}, 5000, 60000, "10")})));
  REQUIRE(strip.ok());
  CHECK(strip->leads.size() == 12);
  CHECK(holds(*strip, Lead::II, "II", 0, 5000));
}

TEST_CASE("An aECG recording cut into consecutive sequence sets reads as one continuous recording", "[ecg]") {
  const std::vector<std::string> leads{"I", "II", "V1", "V2", "V3", "V4", "V5", "V6"};
  auto relative = read(aecg(series("RHYTHM", {set_of(leads, 0, 2500, "0"), set_of(leads, 2500, 2500, "5")})));
  REQUIRE(relative.ok());
  CHECK(relative->sample_count() == 5000);
  CHECK(holds(*relative, Lead::II, "II", 0, 5000));
  CHECK(holds(*relative, Lead::V3, "V3", 0, 5000));
  SetSpec a = set_of(leads, 0, 2500, "20261203101500.000"), b = set_of(leads, 2500, 2500, "20261203101505.000");
  a.time_code = b.time_code = "TIME_ABSOLUTE";
  auto absolute = read(aecg(series("RHYTHM", {a, b})));
  REQUIRE(absolute.ok());
  CHECK(absolute->sample_count() == 5000);
  CHECK(holds(*absolute, Lead::V5, "V5", 0, 5000));
}

TEST_CASE("aECG lead groups recorded one after another are not joined as simultaneous leads", "[ecg]") {
  // A 3x4 print's groups: each 2.5 s, each at another time. Joining them would pair unrelated samples.
  auto w = read(aecg(series("RHYTHM", {set_of({"I", "II", "III"}, 0, 1250, "0"), set_of({"AVR", "AVL", "AVF"}, 1250, 1250, "2.5"),
                                       set_of({"V1", "V2", "V3"}, 2500, 1250, "5"), set_of({"V4", "V5", "V6", "II"}, 3750, 1250, "7.5")})));
  REQUIRE(w.ok());
  REQUIRE(w->leads.size() == 4);  // the group with the most leads
  CHECK(w->find(Lead::V4));
  CHECK_FALSE(w->find(Lead::I));
  CHECK(holds(*w, Lead::II, "II", 3750, 1250));
}

TEST_CASE("An aECG with the representative beat as its own series, written first, reads the rhythm", "[ecg]") {
  auto w = read(aecg(series("REPRESENTATIVE_BEAT", {set_of({"I", "II"}, 0, 600, "0")}) +
                     series("RHYTHM", {set_of({"I", "II", "V1"}, 0, 5000, "0")})));
  REQUIRE(w.ok());
  CHECK(w->sample_count() == 5000);
  CHECK(w->find(Lead::V1));
  REQUIRE(w->device_median);
  CHECK(w->device_median->sample_count() == 600);
  auto only_beat = read(aecg(series("REPRESENTATIVE_BEAT", {set_of({"I", "II"}, 0, 600, "0")})));
  REQUIRE_FALSE(only_beat.ok());
  CHECK(only_beat.error().message.find("representative (median) beat and no rhythm") != std::string::npos);
}

TEST_CASE("aECG units spelled as devices spell them give the same microvolts and rate", "[ecg]") {
  for (const auto& [scale, unit] : std::vector<std::pair<std::string, std::string>>{
           {"2.5", "uV"}, {"2.5", "\xC2\xB5V"}, {"2.5", "\xCE\xBCV"}, {"2.5", "UV"}, {"0.0025", "mV"}}) {
    SetSpec s = set_of({"I", "II"}, 0, 2000, "0");
    s.scale = scale, s.scale_unit = unit;
    s.increment = "2", s.increment_unit = "ms";
    auto w = read(aecg(series("RHYTHM", {s})));
    INFO("scale unit " << unit);
    REQUIRE(w.ok());
    CHECK(w->sample_rate_hz == Approx(500));
    CHECK(holds(*w, Lead::II, "II", 0, 2000));
  }
  SetSpec odd = set_of({"I", "II"}, 0, 100, "0");
  odd.increment_unit = "furlong";
  auto w = read(aecg(series("RHYTHM", {odd})));
  REQUIRE_FALSE(w.ok());
  CHECK(w.error().message.find("'furlong' is not a unit of time") != std::string::npos);
  odd = set_of({"I", "II"}, 0, 100, "0");
  odd.scale_unit = "mmHg";
  auto p = read(aecg(series("RHYTHM", {odd})));
  REQUIRE_FALSE(p.ok());
  CHECK(p.error().message.find("non-voltage scale ('mmHg')") != std::string::npos);
}

TEST_CASE("An aECG declared in GB2312 or GBK gives the patient's Chinese name in UTF-8", "[ecg]") {
  const std::string zhang_san_gb = "\xD5\xC5\xC8\xFD";  // 张三 in GB2312
  for (std::string enc : {"GB2312", "GBK", "GB18030"}) {
    auto w = read(aecg(series("RHYTHM", {set_of({"I", "II"}, 0, 1000, "0")}), "<?xml version=\"1.0\" encoding=\"" + enc + "\"?>",
                       zhang_san_gb));
    INFO(enc);
    REQUIRE(w.ok());
    CHECK(w->patient.name == "\xE5\xBC\xA0\xE4\xB8\x89");  // 张三
    CHECK(w->patient.sex == "F");
  }
}
