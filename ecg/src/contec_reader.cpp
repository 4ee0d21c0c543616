// Contec ECG90A .ECG files, from a 12-lead cart common in Chinese township clinics. The layout, as the ecg-contec
// project documents it (checked here on its sample):
//   - a 43-byte header: case number, the acquisition time as "YYYY-MM-DD hh:mm:ss", patient name, sex (byte 40),
//     age in years (byte 41, 0 when not entered), weight;
//   - 8 channels of little-endian 16-bit samples at 800 Hz, interleaved: II, III, V1-V6; 2048 is 0 V, 5 µV a unit,
//     0x6800 "no signal" (an electrode not connected);
//   - a 37-byte tail.
// I (II - III), aVR, aVL and aVF are derived.

#include <cctype>
#include <string>

#include "parse_util.hpp"
#include "teledx/core/utf8.hpp"
#include "teledx/ecg/readers.hpp"

namespace teledx::ecg {
using namespace detail;
namespace {

constexpr std::size_t kHeader = 43, kTail = 37, kChannels = 8, kRowBytes = 2 * kChannels;
constexpr double kRateHz = 800, kUvPerUnit = 5;
constexpr int kZero = 2048;
constexpr std::uint16_t kNoSignal = 0x6800;
constexpr Lead kChannelLeads[kChannels] = {Lead::II, Lead::III, Lead::V1, Lead::V2, Lead::V3, Lead::V4, Lead::V5, Lead::V6};

std::uint16_t sample_at(std::span<const std::uint8_t> b, std::size_t row, std::size_t ch) {
  const std::size_t at = kHeader + row * kRowBytes + 2 * ch;
  return std::uint16_t(b[at] | (b[at + 1] << 8));
}

/// The header's text field: up to its first zero byte, kept only if it is plain printable ASCII.
std::string ascii_field(std::span<const std::uint8_t> b, std::size_t at, std::size_t len) {
  std::string s;
  for (std::size_t i = at; i < at + len && b[i] != 0; ++i) {
    if (b[i] < 0x20 || b[i] >= 0x7F) return {};
    s.push_back(char(b[i]));
  }
  return s;
}

/// The patient name field in UTF-8. A cart sold in China stores a name typed in Chinese in the system's legacy
/// encoding, GBK (GB18030 decodes it, and is a superset). Bytes that are neither ASCII nor whole GB18030
/// characters (a field cut inside a character, or another encoding) give "": the name must never reach JSON as
/// invalid UTF-8, and a garbled name is worse than none (the upload form's name is then kept).
std::string name_field(std::span<const std::uint8_t> b, std::size_t at, std::size_t len) {
  std::size_t end = at;
  while (end < at + len && b[end] != 0) ++end;
  if (end == at) return {};
  bool ascii = true;
  for (std::size_t i = at; i < end; ++i) {
    if (b[i] < 0x20 || b[i] == 0x7F) return {};
    ascii = ascii && b[i] < 0x7F;
  }
  if (ascii) return std::string(b.begin() + std::ptrdiff_t(at), b.begin() + std::ptrdiff_t(end));
  const std::string_view text(reinterpret_cast<const char*>(b.data()) + at, end - at);
  return gb18030_to_utf8(text).value_or(std::string());
}

/// "YYYY-MM-DD hh:mm:ss" at byte 10, ended by a zero byte (no text file has one): what tells a Contec file from
/// other data, a CSV whose first line has a date at that place included.
bool has_contec_time(std::span<const std::uint8_t> b) {
  if (b.size() < 30 || b[29] != 0) return false;
  static constexpr char kPattern[] = "dddd-dd-dd dd:dd:dd";
  for (std::size_t i = 0; i + 1 < sizeof kPattern; ++i) {
    const char c = char(b[10 + i]);
    if (kPattern[i] == 'd' ? !std::isdigit(static_cast<unsigned char>(c)) : c != kPattern[i]) return false;
  }
  return true;
}

}  // namespace

bool detail::looks_like_contec(std::span<const std::uint8_t> b) {
  return b.size() >= kHeader + kTail && has_contec_time(b);
}

Result<Waveform> read_contec_ecg(std::span<const std::uint8_t> b) {
  if (b.size() < kHeader + kTail + kRowBytes || !has_contec_time(b))
    return bad("not a Contec ECG90A .ECG file, or truncated: " + std::to_string(b.size()) +
               " bytes, no acquisition time at byte 10 or no sample after the header");
  if ((b.size() - kHeader - kTail) % kRowBytes != 0)
    return bad("Contec .ECG file truncated: its " + std::to_string(b.size() - kHeader - kTail) +
               " bytes of samples are not a whole number of 8-channel samples (16 bytes each)");
  std::size_t rows = (b.size() - kHeader - kTail) / kRowBytes;
  // The cart ends its data early with a row of zero volts in every channel.
  for (std::size_t r = 0; r < rows; ++r) {
    bool all_zero = true;
    for (std::size_t ch = 0; ch < kChannels && all_zero; ++ch) all_zero = sample_at(b, r, ch) == kZero;
    if (all_zero) {
      rows = r;
      break;
    }
  }
  if (double(rows) < kRateHz) return bad("the Contec .ECG file holds less than one second of signal");

  Waveform w;
  w.source_format = "contec";
  w.device = "Contec ECG90A";
  w.sample_rate_hz = kRateHz;
  const std::string t = ascii_field(b, 10, 19);
  w.acquisition_time = t.substr(0, 10) + "T" + t.substr(11);
  w.patient.name = name_field(b, 32, 8);
  w.patient.sex = b[40] == 0 ? "F" : b[40] == 1 ? "M" : "";
  if (b[41] != 0) w.patient.age_years = age_in_years(b[41], 'Y');  // 0: not entered
  for (std::size_t ch = 0; ch < kChannels; ++ch) {
    LeadSignal s{kChannelLeads[ch], std::vector<float>(rows), std::string(lead_name(kChannelLeads[ch]))};
    // A sample without signal holds the last one (a lead touched late starts at 0 V): no step for the filters.
    float last = 0;
    std::size_t with_signal = 0;
    for (std::size_t r = 0; r < rows; ++r) {
      const std::uint16_t v = sample_at(b, r, ch);
      if (v != kNoSignal) last = float((int(v) - kZero) * kUvPerUnit), ++with_signal;
      s.uv[r] = last;
    }
    // A lead that never had signal was not connected: left out rather than shown as a flat line, and named so the
    // analysis tells the technician.
    if (with_signal > 0) w.leads.push_back(std::move(s));
    else w.unconnected_leads.push_back(s.lead);
  }
  if (!w.find(Lead::II) || !w.find(Lead::III))
    return bad("the Contec .ECG file has no signal in lead II or III (0x6800 throughout): the limb electrodes were "
               "not connected; repeat the ECG");
  derive_limb_leads(w);  // I from II and III, then aVR, aVL, aVF
  return w;
}

}  // namespace teledx::ecg
