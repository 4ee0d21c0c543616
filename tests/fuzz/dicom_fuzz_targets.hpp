#pragma once
// The DICOM module's fuzz targets: what the server does with a file a modality or STOW client sends (check it
// before it is acknowledged, then serve its frames, bulk data and rendered images to the viewer), driven by
// arbitrary bytes. A stored file is one parse_file() accepted, so everything after it must hold for any such file.
// Built into libFuzzer programs by scripts/fuzz.sh and replayed over tests/data/dicom/fuzz by the dicom tests.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace teledx::dicom::fuzz {

/// The first byte picks the viewer's request (bit 0: PNG instead of JPEG, bit 1: a 64-pixel viewport, bit 2: an
/// explicit window, bits 3-4: frame 1-4); the rest is a Part 10 file. It is checked as ingest checks it and, when
/// accepted, its frames, pixel bulk data and the rendered frame are read as the DICOMweb routes read them.
void dicom_file(std::span<const std::uint8_t> input);

using Target = void (*)(std::span<const std::uint8_t>);
/// The targets by name ("dicom_file"); nullptr for another name.
Target target_named(std::string_view name);

}  // namespace teledx::dicom::fuzz
