#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace teledx::ecg {

/// Standard lead identities. MLI/MLII/MLIII are the modified limb leads of ambulatory (MIT-BIH) records.
enum class Lead : std::uint8_t {
  I, II, III, aVR, aVL, aVF, V1, V2, V3, V4, V5, V6,
  V2R, V3R, V4R, V5R, V6R, V7, V8, V9, X, Y, Z, MLI, MLII, MLIII,
  Other,  ///< a research channel with a free-text label (WFDB "ECG1"); never derived from or interpreted per territory
};

/// One of the standard twelve (I to V6), on which the intervals are measured; V3R-V5R, V7-V9 and the rest are added
/// leads, shown and read for ST.
constexpr bool is_standard_lead(Lead lead) { return lead <= Lead::V6; }
/// Canonical label, e.g. "aVR", "V1", "MLII" ("?" for Other).
std::string_view lead_name(Lead lead);
/// Parses "II", "lead II", "Lead I (Einthoven)", "MDC_ECG_LEAD_AVR", "avr", "v5" (case-insensitive); nullopt if unknown.
std::optional<Lead> parse_lead_name(std::string_view text);
/// Lead from the SCP-ECG / DICOM CID 3001 numeric code (1=I, 2=II, 3..8=V1..V6, 61=III, 62=aVR, 63=aVL, 64=aVF ...).
std::optional<Lead> lead_from_scp_code(int code);
/// Comma-separated list of accepted lead names, for error messages.
std::string accepted_lead_names();

/// One lead: values in microvolts, one per sample.
struct LeadSignal {
  Lead lead = Lead::I;
  std::vector<float> uv;
  std::string label;  ///< as written in the file (kept for Lead::Other)
};

/// Filters the acquiring device applied (nullopt when the file does not say).
struct DeviceFilters {
  std::optional<double> highpass_hz;
  std::optional<double> lowpass_hz;
  std::optional<double> notch_hz;
};

/// A measurement the device wrote into the file, e.g. {"QT Interval", 368, "ms"}.
struct DeviceMeasurement {
  std::string name;
  double value = 0;
  std::string unit;
};

/// A set of simultaneous leads sharing one sample rate (rhythm strip or median beat).
struct LeadSet {
  double sample_rate_hz = 0;
  std::vector<LeadSignal> leads;  ///< all the same length
  std::size_t sample_count() const { return leads.empty() ? 0 : leads.front().uv.size(); }
  const LeadSignal* find(Lead lead) const;
  double duration_s() const { return sample_rate_hz > 0 ? double(sample_count()) / sample_rate_hz : 0; }
};

/// Who the ECG is of, as the file states it (empty fields when it does not). Sex "M", "F", "O" or ""; birth date
/// "YYYYMMDD" or "".
struct PatientInfo {
  std::string name, id, sex, birth_date;
  /// The age in whole years the file states (DICOM PatientAge, Philips and MUSE XML, SCP-ECG, Contec: carts often
  /// record an age and no birth date); the birth date, where given, takes precedence.
  std::optional<int> age_years = std::nullopt;
  /// The same age in days where the file states it in days, weeks or months (DICOM "020D", "003W", "011M"; SCP-ECG,
  /// MUSE): an infant's normal limits change within weeks.
  std::optional<int> age_days = std::nullopt;
  bool empty() const { return name.empty() && id.empty() && sex.empty() && birth_date.empty() && !age_years; }
};

/// The internal model every reader produces.
struct Waveform : LeadSet {
  std::string source_format;           ///< format_name() of the file read: "wfdb", "csv", "dicom", "contec"...
  std::string acquisition_time;        ///< ISO 8601 local time "YYYY-MM-DDThh:mm:ss", empty if unknown
  std::string device;                  ///< manufacturer / model when given
  DeviceFilters filters;
  std::vector<DeviceMeasurement> device_measurements;
  std::vector<std::string> device_statements;  ///< the device's own interpretation text, verbatim
  std::optional<LeadSet> device_median;         ///< representative beat stored by the device
  PatientInfo patient;                          ///< from the file's demographics (DICOM, MUSE, Philips, HL7 aECG, SCP-ECG, Contec)
  /// Leads the device recorded without any signal (electrode not connected; a DICOM channel marked DISCONNECTED).
  /// They are not in `leads`: the analysis says they were off, so the technician repeats the ECG.
  std::vector<Lead> unconnected_leads;
};

/// Adds III, aVR, aVL, aVF from I and II when they are missing (8-lead storage), and I from II and III first when
/// only those are stored. Returns how many were added.
int derive_limb_leads(LeadSet& set);
/// Sorts leads into standard order (I II III aVR aVL aVF V1..V6, then the rest).
void sort_leads(LeadSet& set);

/// The device's own measurements under the keys of the analysis' measurements (heart_rate_bpm, rr_ms, pp_ms, pr_ms,
/// p_duration_ms, qrs_ms, qt_ms, p_axis_deg, qrs_axis_deg, t_axis_deg; qtc_ms is the QTc by the device's own
/// formula), recognised by name across DICOM and SCP-ECG, HL7 aECG, GE MUSE and Philips XML. Values the device did
/// not measure (0, out of range) and units that cannot be converted to ms or degrees are left out.
std::map<std::string, double> standard_device_measurements(const Waveform& ecg);

/// What to store with the exam: format, rate, duration, lead names, acquisition time, device, filters, the device's
/// own measurements and statements (no samples).
nlohmann::json to_json(const Waveform& ecg);

}  // namespace teledx::ecg
