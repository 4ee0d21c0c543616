#pragma once
// Compressed frames for the renderer (render.cpp) where DCMTK's own codecs cannot be used as they are. Debian's
// DCMTK has no JPEG 2000 codec, so the frame's codestream is taken out of the encapsulated Pixel Data here and
// decoded by OpenCV (built with OpenJPEG; render_j2k.cpp). DCMTK 3.6.7's RLE decoder reads past its buffer when a
// segment offset points outside the frame (a crash found with the dicom_file fuzz target), so RLE frames are
// decoded here too (render_rle.cpp), every offset checked; and JPEG headers are checked before DCMTK decodes them
// (jpeg_fragments.cpp).
#include <cstdint>
#include <string>
#include <vector>

#include "render_pixels.hpp"
#include "teledx/core/result.hpp"

class DcmDataset;
class DcmElement;
class DcmPixelSequence;

namespace teledx::dicom {

/// A little-endian 32-bit word (offset tables, RLE headers).
inline std::uint32_t read_le32(const std::uint8_t* p) {
  return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

/// The fragments of encapsulated pixel data as stored (item 0 the Basic Offset Table); nullptr when the element
/// holds none (native pixel data, or no fragment at all).
DcmPixelSequence* stored_fragments(DcmElement* pixel_data);

/// Fragment i (1-based: item 0 is the Basic Offset Table), its value loaded from disk only now, so a frame of a
/// large multi-frame file costs only its own fragments. InvalidDicom when it is missing or cannot be read.
struct Fragment {
  std::uint8_t* data = nullptr;
  std::uint32_t length = 0;
};
Result<Fragment> fragment(DcmPixelSequence* seq, unsigned long i);

enum class FrameCodec { Jpeg2000, Rle };

/// The bytes of one frame (0-based) of encapsulated pixel data: its fragments concatenated, found through one
/// fragment per frame, the Basic Offset Table, or (JPEG 2000 without a table) the fragments that start a codestream.
Result<std::string> encapsulated_frame(DcmElement* pixel_data, std::uint32_t frame, std::uint32_t frames,
                                       FrameCodec codec);

/// Decodes a JPEG 2000 codestream (raw J2K, or wrapped in a JP2 file as some writers do) into the bytes of an
/// uncompressed frame for `L`: 8- or 16-bit words in host order, colour interleaved. Updates `L` to describe
/// what it hands back (planar = false; YBR_RCT / YBR_ICT become RGB because the decoder undoes the colour
/// transform). Signed codestreams are decoded too (OpenCV refuses them as such; see the .cpp). Errors:
/// InvalidDicom with a sentence when the codestream does not decode or does not match the image's rows,
/// columns and samples.
Result<std::vector<std::uint8_t>> decode_j2k_frame(std::string codestream, PixelLayout& L);

/// Checks the JPEG or JPEG-LS fragments of encapsulated pixel data before DCMTK's decoders see them: DCMTK 3.6.7's
/// scan for the bit depth loops for ever on a header whose markers do not parse (found with the dicom_file fuzz
/// target: a TEM marker where a DQT stood hung a render worker). The fragment frame `frame` (0-based) starts in
/// (through the Basic Offset Table, the first for a single frame, one per frame; for a multi-frame image with
/// neither, every fragment that begins with SOI) must begin with SOI and walk marker by marker, within the
/// fragment, to a frame header and then SOS; every offset table entry must fall on a fragment. InvalidDicom with a
/// sentence otherwise.
Result<void> check_jpeg_fragments(DcmElement* pixel_data, std::uint32_t frame, std::uint32_t frames);

/// Decodes one RLE Lossless frame (PS3.5 Annex G) into the bytes of an uncompressed frame for `L`: 8- or 16-bit
/// words in host order, colour by plane (`L.planar` set). InvalidDicom with a sentence when the header's segment
/// count does not match the samples and bits, an offset lies outside the frame, or a segment decodes to fewer
/// bytes than rows x columns.
Result<std::vector<std::uint8_t>> decode_rle_frame(const std::string& frame, PixelLayout& L);

}  // namespace teledx::dicom
