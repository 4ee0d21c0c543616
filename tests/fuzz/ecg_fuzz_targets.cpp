#include "ecg_fuzz_targets.hpp"

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "teledx/ecg/analysis.hpp"
#include "teledx/ecg/dicom_writer.hpp"
#include "teledx/ecg/readers.hpp"
#include "teledx/ecg/render.hpp"

namespace teledx::ecg::fuzz {
namespace {

/// A broken promise: abort so that libFuzzer keeps the input and the replaying test fails loudly.
[[noreturn]] void broken(const char* what) {
  std::fprintf(stderr, "ecg fuzz: %s\n", what);
  std::abort();
}

void check_leads(const LeadSet& s, bool median) {
  if (!(std::isfinite(s.sample_rate_hz) && s.sample_rate_hz > 0)) broken("accepted a sample rate that is not a positive number");
  if (s.leads.empty()) broken("accepted a waveform without leads");
  for (const auto& l : s.leads) {
    if (l.uv.size() != s.sample_count()) broken("accepted leads of different lengths");
    for (float v : l.uv)
      if (!std::isfinite(v)) broken("accepted a sample that is infinite or NaN");
  }
  if (!median && s.sample_count() == 0) broken("accepted a waveform without samples");
}

/// What the upload path and the task's analysis do with a waveform a reader accepted; with `deep` false only what
/// the reader promises (analysis and storage cost milliseconds, reading microseconds: the fuzzer explores both).
void use(const Waveform& w, bool deep, bool round_trip) {
  check_leads(w, false);
  if (w.device_median) check_leads(*w.device_median, true);
  (void)to_json(w).dump();
  if (!deep) return;
  // A long recording is analysed the same way; 2 minutes keep the fuzzer's executions fast.
  if (w.duration_s() > 120) return;
  const Analysis a = analyze(w);
  const nlohmann::json stored = to_json(a);
  (void)stored.dump();
  if (!analysis_from_json(stored).ok()) broken("an analysis's own JSON does not read back");
  (void)render_json(w, {}, &a).dump();
  if (!round_trip) return;
  // The server stores every upload as a DICOM ECG and analyses what it reads back from the store.
  static const std::filesystem::path out =
      std::filesystem::temp_directory_path() / ("teledx-ecg-fuzz-" + std::to_string(::getpid()) + ".dcm");
  DicomEcgHeader h;
  h.patient.name = "FUZZ^CASE";
  auto written = write_dicom_ecg(w, h, {}, out);
  if (!written.ok()) {
    if (written.error().message.empty()) broken("a refused conversion gave no reason");
    return;
  }
  auto back = read_ecg_file(out);
  std::error_code ec;
  std::filesystem::remove(out, ec);
  if (!back.ok()) broken("a waveform stored as DICOM does not read back");
  // Reading back may add the limb leads derived from I and II (8-lead storage); it must not lose any. Channels of
  // unconnected electrodes are written marked so and read back as unconnected.
  if (back->leads.size() + back->unconnected_leads.size() < std::size_t(written->channels))
    broken("the stored DICOM reads back with fewer leads");
  use(*back, true, false);
}

void refused_clearly(const Result<Waveform>& r) {
  if (!r.ok() && r.error().message.empty()) broken("a refused file gave no reason");
}

}  // namespace

void ecg_file(std::span<const std::uint8_t> input) {
  if (input.empty()) return;
  static constexpr std::array<const char*, 10> names = {"ecg.xml", "ecg.scp", "ecg.dcm", "ecg.csv",  "ECG.ECG",
                                                        "ecg",     "ecg.txt", "ECG.XML", "ecg.hea", "ecg.SCP"};
  const auto bytes = input.subspan(1);
  auto w = read_ecg_bytes(bytes, names[(input[0] & 0x7f) % names.size()]);
  refused_clearly(w);
  if (w.ok()) use(*w, input[0] & 0x80, true);
}

void wfdb_record(std::span<const std::uint8_t> input) {
  std::size_t split = 0;
  while (split < input.size() && input[split] != 0) ++split;
  const std::string_view header(reinterpret_cast<const char*>(input.data()), split);
  const auto dat = split < input.size() ? input.subspan(split + 1) : std::span<const std::uint8_t>{};
  auto w = read_wfdb(header, dat);
  refused_clearly(w);
  if (w.ok()) use(*w, !header.empty() && header[0] == '#', true);
}

void ecg_signal(std::span<const std::uint8_t> input) {
  if (input.size() < 3) return;
  static constexpr std::array<double, 12> rates = {50, 100, 125, 128, 200, 250, 257, 300, 360, 500, 1000, 2000};
  static constexpr std::array<double, 6> scales = {0.1, 1, 2.5, 5, 100, 3000};
  static constexpr std::array<Lead, 12> order = {Lead::I,  Lead::II, Lead::III, Lead::aVR, Lead::aVL, Lead::aVF,
                                                 Lead::V1, Lead::V2, Lead::V3,  Lead::V4,  Lead::V5,  Lead::V6};
  const std::size_t n_leads = input[0] % 12 + 1;
  Waveform w;
  w.source_format = "csv";
  w.sample_rate_hz = rates[input[1] % rates.size()];
  const double scale = scales[input[2] % scales.size()];
  const auto samples = input.subspan(3);
  const std::size_t n = samples.size() / (2 * n_leads);
  if (n == 0) return;
  for (std::size_t k = 0; k < n_leads; ++k) {
    LeadSignal l;
    // Leads 1 and 2 alone are a Holter's modified limb leads; more are a 12-lead's in standard order.
    l.lead = n_leads <= 2 ? (k == 0 ? Lead::MLII : Lead::V1) : order[k];
    l.label = std::string(lead_name(l.lead));
    l.uv.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t at = 2 * (i * n_leads + k);
      l.uv[i] = float(double(std::int16_t(samples[at] | samples[at + 1] << 8)) * scale);
    }
    w.leads.push_back(std::move(l));
  }
  use(w, true, false);
}

Target target_named(std::string_view name) {
  if (name == "ecg_file") return ecg_file;
  if (name == "wfdb_record") return wfdb_record;
  if (name == "ecg_signal") return ecg_signal;
  return nullptr;
}

}  // namespace teledx::ecg::fuzz
