// The recording device's own measurements under the analysis' keys: each format names them its own way.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>
#include <string_view>

#include "teledx/ecg/waveform.hpp"

namespace teledx::ecg {
namespace {

// Lower case, letters and digits only: "QRS Duration", "QRSDuration" and "qrs_duration" are one name.
std::string folded(std::string_view s) {
  std::string out;
  for (unsigned char c : s)
    if (std::isalnum(c)) out.push_back(char(std::tolower(c)));
  return out;
}

struct Known {
  const char* key;
  std::initializer_list<const char*> names;  // folded
};

// DICOM and SCP-ECG code meanings ("QT Interval"), HL7 aECG MDC codes, GE MUSE RestingECGMeasurements and Philips
// Sierra globalmeasurements. Atrial rate has no counterpart among ours and is left out.
const Known kKnown[] = {
    {"heart_rate_bpm", {"ventricularrate", "ventricularheartrate", "meanventrate", "heartrate", "mdcecgheartrate", "hr", "vrate"}},
    {"rr_ms", {"rrinterval", "mdcecgtimepdrr", "rr", "meanrrint"}},
    {"pp_ms", {"ppinterval", "mdcecgtimepdpp", "pp", "meanppint"}},
    {"pr_ms", {"printerval", "meanprint", "mdcecgtimepdpr", "pr"}},
    {"p_duration_ms", {"pduration", "mdcecgtimepdp", "meanpdur", "pwaveduration"}},
    {"qrs_ms", {"qrsduration", "meanqrsdur", "mdcecgtimepdqrs", "qrs"}},
    {"qt_ms", {"qtinterval", "meanqtint", "mdcecgtimepdqt", "qt"}},
    {"qtc_ms", {"qtcorrected", "meanqtc", "qtcinterval", "mdcecgtimepdqtc", "qtc"}},
    {"p_axis_deg", {"paxis", "pfrontaxis", "mdcecganglepfront"}},
    {"qrs_axis_deg", {"raxis", "qrsaxis", "qrsfrontaxis", "mdcecgangleqrsfront"}},
    {"t_axis_deg", {"taxis", "tfrontaxis", "mdcecgangletfront"}},
    // Philips Sierra's per-lead amplitudes (its reader names them "V5 ramp", "V1 samp"), and a cart's "RV5"/"SV1".
    {"rv5_uv", {"rv5", "v5ramp"}},
    {"sv1_uv", {"sv1", "v1samp"}},
};

const char* key_of(std::string_view name) {
  const std::string f = folded(name);
  for (const auto& k : kKnown)
    for (const char* n : k.names)
      if (f == n) return k.key;
  return nullptr;
}

}  // namespace

std::map<std::string, double> standard_device_measurements(const Waveform& ecg) {
  std::map<std::string, double> out;
  for (const auto& m : ecg.device_measurements) {
    const char* key = key_of(m.name);
    if (!key || out.count(key)) continue;  // the first of a repeated measurement, as the aECG reader keeps it
    double v = m.value;
    const std::string unit = folded(m.unit);
    const std::string_view k(key);
    if (k.ends_with("_ms")) {
      if (unit == "s") v *= 1000;
      else if (!unit.empty() && unit != "ms") continue;  // a unit we cannot convert is not guessed at
      // Carts write 0 (or a placeholder) for what they did not measure: the DICOM sample's PP interval is 0.
      if (!(v > 0 && v < 3000)) continue;
    } else if (k.ends_with("_deg")) {
      if (!unit.empty() && unit != "deg" && unit != "degrees") continue;
      if (!(v >= -180 && v <= 360)) continue;
      if (v > 180) v -= 360;  // one convention: -180..180, as ours
    } else if (k.ends_with("_uv")) {
      if (unit == "mv") v *= 1000;
      else if (!unit.empty() && unit != "uv" && unit != "microvolt" && unit != "microvolts") continue;
      v = std::abs(v);  // an S wave's depth, which some carts write negative (Philips: -757)
      if (!(v < 10000)) continue;  // 0 is a measurement here: no S wave
    } else {  // rate
      if (!(v > 0 && v < 400)) continue;
    }
    out.emplace(key, v);
  }
  return out;
}

}  // namespace teledx::ecg
