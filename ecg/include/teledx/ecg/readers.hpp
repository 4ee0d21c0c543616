#pragma once
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "teledx/core/result.hpp"
#include "teledx/ecg/waveform.hpp"

namespace teledx::ecg {

enum class Format { Unknown, Wfdb, Csv, Dicom, HL7aECG, ScpEcg, MuseXml, PhilipsXml, Contec };

/// Name used in messages and JSON ("wfdb", "csv", "dicom", "hl7-aecg", "scp-ecg", "ge-muse-xml", "philips-xml",
/// "contec", "unknown").
std::string_view format_name(Format f);
/// Recognises the format from the bytes (magic numbers, XML root); the filename only breaks ties.
Format detect_format(std::span<const std::uint8_t> bytes, std::string_view filename_hint = {});

/// Reads any supported ECG file; for WFDB pass the .hea (the .dat is found beside it).
/// Errors: BadRequest with a sentence naming what is wrong (unknown lead, absurd rate, truncated data...).
Result<Waveform> read_ecg_file(const std::filesystem::path& path);
/// Same from memory (upload). WFDB needs two files, so it is refused here; use read_wfdb().
Result<Waveform> read_ecg_bytes(std::span<const std::uint8_t> bytes, std::string_view filename_hint = {});

/// WFDB record from its header text and signal file bytes (formats 16, 212, 80, 61). `max_seconds` 0 = all.
Result<Waveform> read_wfdb(std::string_view header, std::span<const std::uint8_t> dat, double max_seconds = 0);
/// WFDB record from its .hea path; signal files are read from the same folder.
Result<Waveform> read_wfdb_file(const std::filesystem::path& hea, double max_seconds = 0);
/// CSV (separator , ; or tab): optional "# sample_rate=500" / "# units=mV" comment lines, a header row of lead
/// names (an optional first column "time"/"t" in seconds), values in µV (mV with units=mV or "II (mV)").
/// `sample_rate_hz` 0 = take it from the comment or the time column.
Result<Waveform> read_csv(std::string_view text, double sample_rate_hz = 0);
/// DICOM 12-lead/General/Ambulatory ECG: the rhythm group as leads, a MEDIAN BEAT group as device_median.
/// Errors: InvalidDicom when DCMTK cannot parse the bytes, BadRequest for an unusable waveform.
Result<Waveform> read_dicom_ecg(std::span<const std::uint8_t> bytes);
/// HL7 aECG (UTF-8 or UTF-16): the first rhythm series, its representative beat as device_median.
Result<Waveform> read_hl7_aecg(std::span<const std::uint8_t> bytes);
/// SCP-ECG: rhythm (section 6), reference beat (section 5) as device_median, global measurements (section 7).
Result<Waveform> read_scp_ecg(std::span<const std::uint8_t> bytes);
/// GE MUSE RestingECG XML: rhythm and median waveforms, measurements and statements.
Result<Waveform> read_muse_xml(std::span<const std::uint8_t> bytes);
/// Philips Sierra ECG XML 1.03/1.04, uncompressed or XLI-compressed.
Result<Waveform> read_philips_xml(std::span<const std::uint8_t> bytes);
/// Contec ECG90A .ECG (800 Hz, II, III and V1-V6 stored; I, aVR, aVL, aVF derived; unconnected leads left out).
Result<Waveform> read_contec_ecg(std::span<const std::uint8_t> bytes);

/// One WFDB annotation (MIT format): sample index, code (1=N, 5=V, 12=/, 28=rhythm...), aux text for rhythm changes.
struct Annotation {
  std::int64_t sample = 0;
  int code = 0;
  int subtype = 0;
  int channel = 0;
  int num = 0;
  std::string aux;
};
/// The one-letter mnemonic of an annotation code ("N", "V", "/", "+", "(", ")", "p", "t", ...).
std::string_view annotation_symbol(int code);
/// True for codes counted as beats by EC57 (WFDB isqrs).
bool is_beat_annotation(int code);
/// MIT-format annotation file (SKIP/NUM/SUB/CHN/AUX handled); BadRequest when nothing parses.
Result<std::vector<Annotation>> read_wfdb_annotations(std::span<const std::uint8_t> bytes);

/// Whole-file helper returning BadRequest naming the path when it cannot be read.
Result<std::vector<std::uint8_t>> read_file_bytes(const std::filesystem::path& path);

}  // namespace teledx::ecg
