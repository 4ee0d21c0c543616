// RLE Lossless frames (PS3.5 Annex G) for the renderer: a 64-byte header of little-endian 32-bit words (the
// segment count, then up to 15 segment offsets from the frame's start), then one PackBits-coded segment per byte
// plane, most significant byte of each sample first. Every offset and run is checked against the frame.
#include <cstdint>
#include <string>
#include <vector>

#include "render_codecs.hpp"

namespace teledx::dicom {
namespace {

Error bad(std::string sentence) { return make_error(ErrorCode::InvalidDicom, std::move(sentence)); }

}  // namespace

Result<std::vector<std::uint8_t>> decode_rle_frame(const std::string& frame, PixelLayout& L) {
  const auto* p = reinterpret_cast<const unsigned char*>(frame.data());
  if (frame.size() < 64) return bad("The RLE frame is shorter than its 64-byte header; the file is damaged.");
  const std::size_t bytes_per_sample = L.bits_allocated / 8;
  const std::size_t segments = L.samples * bytes_per_sample;
  if (read_le32(p) != segments)
    return bad("The RLE frame has " + std::to_string(read_le32(p)) + " segment(s) but the image needs " +
               std::to_string(segments) + " (samples x bytes per sample).");
  const std::size_t pixels = static_cast<std::size_t>(L.rows) * L.columns;
  std::vector<std::uint8_t> out(pixels * segments);
  for (std::size_t s = 0; s < segments; ++s) {
    const std::size_t begin = read_le32(p + 4 + 4 * s);
    const std::size_t end = s + 1 < segments ? read_le32(p + 8 + 4 * s) : frame.size();
    if (begin < 64 || begin > end || end > frame.size())
      return bad("An RLE segment offset lies outside the frame; the file is damaged.");
    // Byte plane s: sample s / bytes_per_sample, byte (from the most significant) s % bytes_per_sample. Output by
    // plane, each sample's words in host (little-endian) order.
    const std::size_t sample = s / bytes_per_sample, byte = bytes_per_sample - 1 - s % bytes_per_sample;
    std::uint8_t* plane = out.data() + sample * pixels * bytes_per_sample + byte;
    std::size_t k = begin, n = 0;
    while (n < pixels && k < end) {
      const int header = static_cast<std::int8_t>(p[k++]);
      if (header >= 0) {  // a literal run of header + 1 bytes
        const std::size_t run = static_cast<std::size_t>(header) + 1;
        if (run > end - k || run > pixels - n) return bad("An RLE literal run overruns its segment; the file is damaged.");
        for (std::size_t i = 0; i < run; ++i) plane[(n++) * bytes_per_sample] = p[k++];
      } else if (header != -128) {  // one byte repeated 1 - header times
        const std::size_t run = static_cast<std::size_t>(1 - header);
        if (k >= end || run > pixels - n) return bad("An RLE replicate run overruns its segment; the file is damaged.");
        const std::uint8_t v = p[k++];
        for (std::size_t i = 0; i < run; ++i) plane[(n++) * bytes_per_sample] = v;
      }
    }
    if (n < pixels) return bad("An RLE segment decodes to fewer bytes than rows x columns; the file is damaged.");
  }
  L.planar = L.samples > 1;
  return out;
}

}  // namespace teledx::dicom
