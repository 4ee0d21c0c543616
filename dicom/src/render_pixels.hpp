#pragma once
// Pixel stages of the renderer (render.cpp): from one uncompressed frame to an 8-bit OpenCV image (grey or BGR).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "teledx/core/result.hpp"
#include "teledx/dicom/render.hpp"

class DcmItem;

namespace teledx::dicom {

/// The Image Pixel module attributes that shape a frame's bytes.
struct PixelLayout {
  std::uint16_t rows = 0, columns = 0, samples = 1, bits_allocated = 0, bits_stored = 0, high_bit = 0;
  bool is_signed = false, planar = false;
  std::string photometric;
  double slope = 1, intercept = 0;
};

struct Palette {
  std::array<std::vector<std::uint8_t>, 3> table;  // red, green, blue, 8-bit each
  std::int64_t first = 0;                         // stored value of the first entry
};

/// The file's first VOI window (Window Center/Width, VOI LUT Function), if any.
std::optional<Window> file_window(DcmItem* ds);
/// A window spanning the frame's smallest to largest modality value (DICOMweb's default without a VOI).
Window full_range_window(const std::uint8_t* frame, const PixelLayout& L);
/// MONOCHROME1/2 through mask, sign, rescale, window and (MONOCHROME1) inversion: CV_8UC1.
cv::Mat render_grey(const std::uint8_t* frame, const PixelLayout& L, const Window& w);
/// PALETTE COLOR through its lookup tables: CV_8UC3 in OpenCV's BGR order.
cv::Mat render_palette(const std::uint8_t* frame, const PixelLayout& L, const Palette& p);
/// RGB, YBR_FULL, YBR_FULL_422 (interleaved or planar, 8 or 16 bits): CV_8UC3 in BGR order.
Result<cv::Mat> render_colour(const std::uint8_t* frame, const PixelLayout& L);

}  // namespace teledx::dicom
