#pragma once
// Reads the identifiers the uploader groups and matches instances by, without loading pixel data.
#include <filesystem>
#include <optional>
#include <string>

namespace teledx::agent {

struct DicomIds {
  std::string study_uid, sop_uid;
};

/// The Study and SOP Instance UIDs of a DICOM Part 10 file; nullopt when it is not readable DICOM.
std::optional<DicomIds> probe_dicom(const std::filesystem::path& file);

}  // namespace teledx::agent
