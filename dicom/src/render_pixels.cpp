// Pixel stages of the renderer. Grey images go through one lookup table from the raw stored word to the output
// byte, so masking of overlay/unused high bits, two's complement, rescale, window and inversion cost one table
// build (at most 65536 entries) plus one indexed read per pixel.
#include "render_pixels.hpp"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcitem.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <opencv2/imgproc.hpp>

namespace teledx::dicom {
namespace {

// The stored value of a raw word: the Bits Stored bits ending at High Bit, sign-extended when signed.
struct StoredValue {
  int shift;
  std::uint32_t mask;
  std::int32_t sign_bit;
  bool is_signed;
  explicit StoredValue(const PixelLayout& L)
      : shift(L.high_bit + 1 - L.bits_stored),
        mask(L.bits_stored >= 32 ? 0xffffffffu : (1u << L.bits_stored) - 1),
        sign_bit(1 << (L.bits_stored - 1)),
        is_signed(L.is_signed) {}
  std::int32_t operator()(std::uint32_t raw) const {
    auto v = static_cast<std::int32_t>((raw >> shift) & mask);
    if (is_signed && (v & sign_bit)) v -= 2 * sign_bit;
    return v;
  }
};

std::uint8_t apply_window(double x, const Window& w) {
  double y;
  switch (w.function) {
    case Window::Function::Sigmoid:
      y = 255.0 / (1.0 + std::exp(-4.0 * (x - w.center) / w.width));
      break;
    case Window::Function::LinearExact:
      if (x <= w.center - w.width / 2) return 0;
      if (x > w.center + w.width / 2) return 255;
      y = ((x - w.center) / w.width + 0.5) * 255.0;
      break;
    default: {  // PS3.3 C.11.2.1.2.1: the -0.5 and (width - 1) centre the ramp on integer stored values
      const double width = std::max(1.0, w.width);
      if (x <= w.center - 0.5 - (width - 1) / 2) return 0;
      if (x > w.center - 0.5 + (width - 1) / 2) return 255;
      y = ((x - (w.center - 0.5)) / (width - 1) + 0.5) * 255.0;
    }
  }
  return static_cast<std::uint8_t>(std::clamp(std::lround(y), 0L, 255L));
}

template <class F>
void for_each_raw(const std::uint8_t* frame, const PixelLayout& L, F&& f) {
  const std::size_t n = static_cast<std::size_t>(L.rows) * L.columns;
  if (L.bits_allocated == 8) {
    for (std::size_t i = 0; i < n; ++i) f(i, frame[i]);
  } else {
    // DCMTK hands back 16-bit words in host order (little endian here); memcpy keeps unaligned reads legal.
    for (std::size_t i = 0; i < n; ++i) {
      std::uint16_t w;
      std::memcpy(&w, frame + 2 * i, 2);
      f(i, w);
    }
  }
}

// Samples of any layout (interleaved or planar, 8 or 16 bits) as interleaved 8-bit triplets.
std::vector<std::uint8_t> interleaved8(const std::uint8_t* frame, const PixelLayout& L) {
  const std::size_t n = static_cast<std::size_t>(L.rows) * L.columns;
  std::vector<std::uint8_t> out(n * 3);
  const int down = std::max(0, L.bits_stored - 8);
  StoredValue sv(L);
  auto sample = [&](std::size_t k) -> std::uint8_t {
    if (L.bits_allocated == 8) return static_cast<std::uint8_t>(sv(frame[k]) << (8 - std::min<int>(8, L.bits_stored)));
    std::uint16_t w;
    std::memcpy(&w, frame + 2 * k, 2);
    return static_cast<std::uint8_t>(std::clamp(sv(w) >> down, 0, 255));
  };
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t c = 0; c < 3; ++c) out[i * 3 + c] = sample(L.planar ? c * n + i : i * 3 + c);
  return out;
}

}  // namespace

std::optional<Window> file_window(DcmItem* ds) {
  Float64 c = 0, w = 0;
  if (ds->findAndGetFloat64(DCM_WindowCenter, c, 0).bad() || ds->findAndGetFloat64(DCM_WindowWidth, w, 0).bad())
    return std::nullopt;
  if (!std::isfinite(c) || !std::isfinite(w) || w <= 0) return std::nullopt;
  Window out{c, w, Window::Function::Linear};
  OFString f;
  if (ds->findAndGetOFString(DCM_VOILUTFunction, f).good()) {
    if (f == "SIGMOID") out.function = Window::Function::Sigmoid;
    else if (f == "LINEAR_EXACT") out.function = Window::Function::LinearExact;
  }
  return out;
}

Window full_range_window(const std::uint8_t* frame, const PixelLayout& L) {
  StoredValue sv(L);
  std::int32_t lo = std::numeric_limits<std::int32_t>::max(), hi = std::numeric_limits<std::int32_t>::min();
  for_each_raw(frame, L, [&](std::size_t, std::uint32_t raw) {
    auto v = sv(raw);
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  });
  double a = lo * L.slope + L.intercept, b = hi * L.slope + L.intercept;
  if (a > b) std::swap(a, b);
  return Window{(a + b) / 2, std::max(b - a, 1e-6), Window::Function::LinearExact};
}

cv::Mat render_grey(const std::uint8_t* frame, const PixelLayout& L, const Window& w) {
  StoredValue sv(L);
  std::vector<std::uint8_t> lut(std::size_t{1} << L.bits_allocated);
  const bool invert = L.photometric == "MONOCHROME1";
  for (std::size_t raw = 0; raw < lut.size(); ++raw) {
    auto out = apply_window(sv(static_cast<std::uint32_t>(raw)) * L.slope + L.intercept, w);
    lut[raw] = invert ? static_cast<std::uint8_t>(255 - out) : out;
  }
  cv::Mat img(L.rows, L.columns, CV_8UC1);
  std::uint8_t* dst = img.ptr<std::uint8_t>();
  for_each_raw(frame, L, [&](std::size_t i, std::uint32_t raw) { dst[i] = lut[raw]; });
  return img;
}

cv::Mat render_palette(const std::uint8_t* frame, const PixelLayout& L, const Palette& p) {
  StoredValue sv(L);
  cv::Mat img(L.rows, L.columns, CV_8UC3);
  std::uint8_t* dst = img.ptr<std::uint8_t>();
  for_each_raw(frame, L, [&](std::size_t i, std::uint32_t raw) {
    for (int c = 0; c < 3; ++c) {
      const auto& t = p.table[c];
      auto idx = std::clamp<std::int64_t>(sv(raw) - p.first, 0, static_cast<std::int64_t>(t.size()) - 1);
      dst[i * 3 + (2 - c)] = t[static_cast<std::size_t>(idx)];  // BGR
    }
  });
  return img;
}

Result<cv::Mat> render_colour(const std::uint8_t* frame, const PixelLayout& L) {
  const auto& pi = L.photometric;
  if (L.samples != 3) return make_error(ErrorCode::InvalidDicom, "A colour image must have three samples per pixel.");
  cv::Mat out;
  if (pi == "YBR_FULL_422") {
    // Native 4:2:2: Y0 Y1 Cb Cr per pixel pair (8 bits; decoders hand back full-resolution colour instead).
    if (L.bits_allocated != 8 || L.columns % 2)
      return make_error(ErrorCode::UnsupportedMediaType, "Only 8-bit YBR_FULL_422 with even columns is rendered.");
    cv::Mat ycrcb(L.rows, L.columns, CV_8UC3);
    const std::uint8_t* s = frame;
    for (int y = 0; y < L.rows; ++y) {
      auto* d = ycrcb.ptr<std::uint8_t>(y);
      for (int x = 0; x < L.columns; x += 2, s += 4) {
        d[x * 3] = s[0], d[x * 3 + 1] = s[3], d[x * 3 + 2] = s[2];
        d[x * 3 + 3] = s[1], d[x * 3 + 4] = s[3], d[x * 3 + 5] = s[2];
      }
    }
    cv::cvtColor(ycrcb, out, cv::COLOR_YCrCb2BGR);
    return out;
  }
  auto buf = interleaved8(frame, L);
  cv::Mat img(L.rows, L.columns, CV_8UC3, buf.data());
  if (pi == "RGB") {
    cv::cvtColor(img, out, cv::COLOR_RGB2BGR);
  } else if (pi == "YBR_FULL") {
    // OpenCV's YCrCb uses the same full-range BT.601 equations as DICOM's YBR_FULL, with Cr before Cb.
    cv::Mat ycrcb(L.rows, L.columns, CV_8UC3);
    const int from_to[] = {0, 0, 1, 2, 2, 1};
    cv::mixChannels(&img, 1, &ycrcb, 1, from_to, 3);
    cv::cvtColor(ycrcb, out, cv::COLOR_YCrCb2BGR);
  } else {
    return make_error(ErrorCode::UnsupportedMediaType,
                      "Photometric interpretation '" + pi + "' cannot be rendered by the server.");
  }
  return out;
}

}  // namespace teledx::dicom
