#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "teledx/core/result.hpp"

namespace teledx::dicom {

/// One frame of pixel data as stored: raw bytes for uncompressed syntaxes, the compressed bitstream otherwise.
struct Frame {
  std::string bytes;
  std::string transfer_syntax;  // of the stored file; for uncompressed frames "1.2.840.10008.1.2.1"
};

/// Frames 1..N (1-based, as in WADO-RS) of a stored Part 10 file. NotFound names the first frame out of range;
/// BadRequest when the instance has no pixel data.
Result<std::vector<Frame>> read_frames(const std::filesystem::path& file, const std::vector<std::int64_t>& numbers);

/// The raw value bytes of an element (e.g. 0x7FE00010 pixel data, 0x54001010 waveform data) for WADO-RS bulk data:
/// the `occurrence`-th element of that tag in document order, nested ones included, as the metadata's bulk data URIs
/// number them (an ECG's second multiplex group holds the second Waveform Data). Encapsulated pixel data answers the
/// fragments concatenated. NotFound when absent.
Result<std::string> read_bulk_data(const std::filesystem::path& file, std::uint32_t tag, int occurrence = 1);

}  // namespace teledx::dicom
