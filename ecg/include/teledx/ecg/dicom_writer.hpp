#pragma once
// Writes a waveform read from any supported format as a DICOM ECG waveform instance, so that an ECG uploaded as
// aECG, SCP-ECG, vendor XML, WFDB or CSV is stored, routed, analysed and served exactly like one sent by a cart
// over DICOM. The original file(s) travel inside the instance (a private sequence), byte for byte.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "teledx/core/result.hpp"
#include "teledx/ecg/waveform.hpp"

namespace teledx::ecg {

/// What the converted instance says about the exam; empty fields are left empty (type 2) or generated (UIDs).
struct DicomEcgHeader {
  PatientInfo patient;
  std::string study_uid;            // empty: a new UID
  std::string accession;
  std::string study_description = "ECG";
  std::string institution_name;
  std::string source_name;          // the uploaded file's name (for the derivation description)
};

/// An original file kept inside the instance.
struct SourceFile {
  std::string name;
  std::vector<std::uint8_t> bytes;
};

struct DicomEcgWritten {
  std::string sop_class_uid, study_uid, series_uid, sop_uid;
  int channels = 0;       // channels written (research channels without a lead identity are left out)
};

/// Private block of the instance holding the originals: creator (0009,0010) "TELEDX ECG SOURCE", sequence
/// (0009,1010) with one item per file: name (0009,1011) LO, format (0009,1012) LO, bytes (0009,1013) OB.
inline constexpr const char* kSourcePrivateCreator = "TELEDX ECG SOURCE";

/// Writes a Part 10 file (explicit VR little endian, UTF-8): 12-lead ECG Waveform Storage when the rhythm fits
/// that IOD (at most 13 channels, 200..1000 Hz, at most 16384 samples), otherwise General ECG (at most 24
/// channels, 200..1000 Hz), otherwise Ambulatory ECG (at most 4 channels, 50..1000 Hz). Samples are 16-bit
/// signed at 1 µV per unit (coarser only when a lead exceeds ±32 mV). The device median beat becomes a second
/// multiplex group, the device's statements and measurements waveform annotations.
/// BadRequest naming the problem when no IOD can hold the waveform; StorageFailure when the file cannot be written.
Result<DicomEcgWritten> write_dicom_ecg(const Waveform& w, const DicomEcgHeader& header,
                                        const std::vector<SourceFile>& originals, const std::filesystem::path& out);

}  // namespace teledx::ecg
