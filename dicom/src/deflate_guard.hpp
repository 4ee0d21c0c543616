#pragma once
// Internal: the Deflated Explicit VR Little Endian transfer syntax compresses the whole dataset, so DCMTK must inflate
// all of it into memory to parse it; a few MB of deflated zeros inflate to gigabytes. parse_file() measures the
// inflated size first by streaming it through zlib (nothing kept) and refuses a file over the limit.
#include <cstdint>
#include <filesystem>

#include "teledx/core/result.hpp"

namespace teledx::dicom::detail {

/// The most a deflated dataset may inflate to: more than any deflated instance a modality sends (structured
/// reports, waveforms, small images), little enough that parallel ingests cannot exhaust memory.
inline constexpr std::uint64_t kMaxInflatedDataset = std::uint64_t{512} << 20;

/// Ok for a Part 10 file that is not deflated or whose dataset inflates to at most `limit` bytes; PayloadTooLarge
/// with a sentence past it, InvalidDicom when the deflated stream is damaged.
Result<void> check_deflated_size(const std::filesystem::path& file, std::uint64_t limit = kMaxInflatedDataset);

}  // namespace teledx::dicom::detail
