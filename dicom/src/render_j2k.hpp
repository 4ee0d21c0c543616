#pragma once
// JPEG 2000 frames for the renderer (render.cpp). Debian's DCMTK has no JPEG 2000 codec, so the frame's
// codestream is taken out of the encapsulated Pixel Data here and decoded by OpenCV (built with OpenJPEG).
#include <cstdint>
#include <string>
#include <vector>

#include "render_pixels.hpp"
#include "teledx/core/result.hpp"

class DcmDataset;
class DcmElement;

namespace teledx::dicom {

/// The codestream of one frame (0-based) of JPEG 2000 encapsulated pixel data: its fragments concatenated,
/// found through the Basic Offset Table, one fragment per frame, or (no table) the fragments that start a
/// codestream.
Result<std::string> j2k_frame_codestream(DcmElement* pixel_data, std::uint32_t frame, std::uint32_t frames);

/// Decodes a JPEG 2000 codestream (raw J2K, or wrapped in a JP2 file as some writers do) into the bytes of an
/// uncompressed frame for `L`: 8- or 16-bit words in host order, colour interleaved. Updates `L` to describe
/// what it hands back (planar = false; YBR_RCT / YBR_ICT become RGB because the decoder undoes the colour
/// transform). Signed codestreams are decoded too (OpenCV refuses them as such; see the .cpp). Errors:
/// InvalidDicom with a sentence when the codestream does not decode or does not match the image's rows,
/// columns and samples.
Result<std::vector<std::uint8_t>> decode_j2k_frame(std::string codestream, PixelLayout& L);

}  // namespace teledx::dicom
