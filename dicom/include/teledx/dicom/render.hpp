#pragma once
// Server-side rendering of stored images to JPEG or PNG (DICOMweb "rendered" and "thumbnail" resources).
// DCMTK reads and decompresses (OpenCV decodes JPEG 2000, which Debian's DCMTK cannot); OpenCV does the pixel work
// and the encoding. Both stay private to this module.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "teledx/core/result.hpp"

namespace teledx::dicom {

enum class ImageFormat { Jpeg, Png };

/// A VOI window as in DICOM (C.11.2.1.2): centre and width in modality (rescaled) units.
struct Window {
  double center = 0, width = 1;
  enum class Function { Linear, LinearExact, Sigmoid } function = Function::Linear;
};

struct RenderOptions {
  std::int64_t frame = 1;              // 1-based, as in WADO-RS
  ImageFormat format = ImageFormat::Jpeg;
  int quality = 90;                    // JPEG quality 1..100 (ignored for PNG)
  std::optional<Window> window;        // none: the file's first window, else the frame's full range
  int viewport_width = 0, viewport_height = 0;  // > 0: scaled down to fit inside, aspect kept (never up)
};

struct RenderedImage {
  std::string bytes;      // the encoded image
  std::string media_type; // "image/jpeg" or "image/png"
  int width = 0, height = 0;
};

/// The largest frame render_frame() decodes (rows x columns); a larger one is UnsupportedMediaType.
inline constexpr std::uint64_t kMaxRenderedPixels = 100'000'000;

/// Renders one frame of a stored Part 10 file: modality LUT (rescale slope/intercept), VOI window,
/// MONOCHROME1 inversion, RGB / YBR_FULL / YBR_FULL_422 / PALETTE COLOR, 1..16 bits signed or unsigned, native or
/// compressed (JPEG baseline/extended/lossless, JPEG-LS, RLE; JPEG 2000 through OpenCV's OpenJPEG). Errors:
/// NotFound for a frame out of range, BadRequest when the instance has no pixel data or a bad option,
/// UnsupportedMediaType for transfer syntaxes the server cannot decode (MPEG and other video, JPEG 2000 Part 2,
/// HTJ2K) and frames over kMaxRenderedPixels, InvalidDicom for inconsistent pixel attributes or a frame that does not decode.
/// Blocking and CPU-bound: call it from a worker thread, never an I/O thread.
Result<RenderedImage> render_frame(const std::filesystem::path& file, const RenderOptions& options);

/// Parses the DICOMweb `window=center,width[,function]` value (function: linear, linear-exact, sigmoid).
Result<Window> parse_window(std::string_view text);

/// A thread-safe least-recently-used cache of rendered images bounded by total bytes.
class RenderCache {
 public:
  explicit RenderCache(std::size_t max_bytes) : max_bytes_(max_bytes) {}
  std::optional<RenderedImage> get(const std::string& key);
  void put(const std::string& key, const RenderedImage& image);
  std::size_t bytes() const;
  std::size_t entries() const;

 private:
  using Entry = std::pair<std::string, RenderedImage>;
  mutable std::mutex mu_;
  std::size_t max_bytes_, bytes_ = 0;
  std::list<Entry> order_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

}  // namespace teledx::dicom
