#pragma once
// Internal: reading and validating a Part 10 file with DCMTK. No DCMTK types leak out of this header.
#include <cstdint>
#include <filesystem>
#include <string>

#include "teledx/core/result.hpp"
#include "teledx/dicom/instance_store.hpp"

namespace teledx::dicom::detail {

/// What reading decides about an instance's content, for routing a complete study.
enum class ContentKind { Image, Ecg, Other };
std::string_view to_string(ContentKind k);  // "image", "ecg", "other"

struct ParsedFile {
  InstanceMeta meta;           // fields read from the file (no size, sha, clinic, source, time or key)
  ContentKind kind = ContentKind::Other;
  std::string metadata_json;   // DICOM JSON of the dataset with bulk data as URIs; "" if it could not be made
};

/// Loads `file` (pixel data left on disk) and checks it is a Part 10 file an index can hold: DICM marker,
/// meta header consistent with the dataset, SOP class/instance, study and series UIDs present and well formed,
/// pixel data length consistent with its image description. InvalidDicom with a sentence otherwise.
Result<ParsedFile> parse_file(const std::filesystem::path& file, bool with_json);

/// 12-lead, general, ambulatory and 32-bit ECG waveform storage.
bool is_ecg_sop_class(std::string_view uid);

}  // namespace teledx::dicom::detail
