#pragma once
// Internal: what must be known of a received file before DCMTK parses it, because DCMTK's parse itself is the harm.
// - A deflated dataset (Deflated Explicit VR Little Endian) is inflated whole into memory: a few MB of deflated zeros
//   inflate to gigabytes. Its inflated size is measured by streaming it through zlib, nothing kept.
// - Sequences are parsed recursively, a stack frame or more per level: a 720 KB file of 20,000 nested sequences
//   overflowed the stack and killed the process (found 2026-12-02 beside the dicom_file fuzz target). The nesting
//   depth is counted by walking the element headers, values skipped.
#include <cstdint>
#include <filesystem>

#include "teledx/core/result.hpp"

namespace teledx::dicom::detail {

/// The most a deflated dataset may inflate to: more than any deflated instance a modality sends (structured
/// reports, waveforms, small images), little enough that parallel ingests cannot exhaust memory.
inline constexpr std::uint64_t kMaxInflatedDataset = std::uint64_t{512} << 20;
/// The deepest nesting of sequences and items accepted (each sequence and each item one level): real files stay
/// far below (an SR content tree, an RT structure set: tens), and DCMTK's parse uses well under 1 MB of stack here.
inline constexpr std::size_t kMaxNesting = 256;

/// Ok for a Part 10 file within both limits (and for anything that does not read as one: DCMTK refuses it).
/// PayloadTooLarge with a sentence for a deflated dataset over `max_inflated`, InvalidDicom for nesting over
/// `max_nesting` or a deflated stream that does not inflate.
Result<void> prescan_dataset(const std::filesystem::path& file, std::uint64_t max_inflated = kMaxInflatedDataset,
                             std::size_t max_nesting = kMaxNesting);

}  // namespace teledx::dicom::detail
