// Text read from ECG files is UTF-8 before it leaves a reader: it is stored as JSON and in DICOM as ISO_IR 192, and
// one invalid byte in a lead label or a device name used to make the JSON writer throw.
#include "parse_util.hpp"
#include "teledx/core/utf8.hpp"

namespace teledx::ecg::detail {
namespace {

void fix(std::string& s) {
  if (!is_utf8(s)) s = utf8_text(s);
}

void fix(LeadSet& set) {
  for (auto& l : set.leads) fix(l.label);
}

}  // namespace

std::string utf8_text(std::string_view s) {
  if (is_utf8(s)) return std::string(s);
  if (auto gb = gb18030_to_utf8(s); gb && is_utf8(*gb)) return *gb;
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence_length(s, i);
    if (n) out.append(s.substr(i, n)), i += n;
    else out += "\xEF\xBF\xBD", ++i;  // U+FFFD REPLACEMENT CHARACTER
  }
  return out;
}

void make_text_utf8(Waveform& w) {
  fix(w), fix(w.source_format), fix(w.acquisition_time), fix(w.device);
  for (auto& m : w.device_measurements) fix(m.name), fix(m.unit);
  for (auto& s : w.device_statements) fix(s);
  if (w.device_median) fix(*w.device_median);
  fix(w.patient.name), fix(w.patient.id), fix(w.patient.sex), fix(w.patient.birth_date);
}

}  // namespace teledx::ecg::detail
