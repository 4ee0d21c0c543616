// An 18-lead ECG (the twelve plus V3R-V5R and V7-V9): the intervals are measured on the standard twelve, as the
// measurement standards define them; the added leads are shown and read for ST in their territories.
#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include <utility>

#include "ecg_test_data.hpp"
#include "teledx/ecg/analysis.hpp"
#include "teledx/ecg/readers.hpp"

using namespace teledx::ecg;

namespace {

/// The recording with six added leads shaped as a body gives them roughly: right-sided leads mirror V3-V5 at under
/// half size, posterior ones follow V6, smaller with distance.
Waveform with_added_leads(Waveform w) {
  const std::pair<Lead, std::pair<Lead, float>> added[] = {
      {Lead::V3R, {Lead::V3, -0.4f}}, {Lead::V4R, {Lead::V4, -0.35f}}, {Lead::V5R, {Lead::V5, -0.3f}},
      {Lead::V7, {Lead::V6, 0.8f}},   {Lead::V8, {Lead::V6, 0.6f}},    {Lead::V9, {Lead::V6, 0.45f}}};
  for (auto [lead, like] : added) {
    auto uv = w.find(like.first)->uv;
    for (auto& v : uv) v *= like.second;
    w.leads.push_back({lead, std::move(uv), std::string(lead_name(lead))});
  }
  sort_leads(w);
  return w;
}

/// The statements' codes, ST statements aside: those are read in every lead, the added ones included.
std::string codes(const std::vector<Statement>& statements) {
  std::string s;
  for (const auto& st : statements)
    if (st.code.rfind("st_", 0) != 0) s += st.code + " ";
  return s;
}

void check_same_reading(const std::string& file) {
  auto w = read_ecg_file(file);
  REQUIRE(w.ok());
  const Analysis twelve = analyze(*w), eighteen = analyze(with_added_leads(*w));
  INFO(file);
  CHECK(eighteen.measurements.pr == twelve.measurements.pr);
  CHECK(eighteen.measurements.qrs == twelve.measurements.qrs);
  CHECK(eighteen.measurements.qt == twelve.measurements.qt);
  CHECK(eighteen.measurements.heart_rate == twelve.measurements.heart_rate);
  CHECK(codes(eighteen.rhythm) == codes(twelve.rhythm));
  CHECK(codes(eighteen.critical) == codes(twelve.critical));
  CHECK(eighteen.st.size() == twelve.st.size() + 6);  // ST is read in the added leads too
}

}  // namespace

TEST_CASE("Six added leads leave an ECG's PR, QRS, QT and rhythm as the standard twelve give them", "[ecg]") {
  for (const char* rec : {"ludb/3.hea", "ludb/52.hea"}) check_same_reading((test::local_data() / rec).string());
}

TEST_CASE("Six added leads leave the intervals and rhythm of every LUDB development record unchanged", "[ecg]") {
  ECG_REQUIRE_SHARED("ludb/RECORDS.dev");
  std::ifstream list(test::shared_data() / "ludb/RECORDS.dev");
  int n = 0;
  for (std::string rec; list >> rec; ++n) check_same_reading((test::shared_data() / "ludb/data" / (rec + ".hea")).string());
  CHECK(n == 51);
}
