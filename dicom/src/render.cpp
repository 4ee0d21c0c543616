// Server-side rendering: one frame of a stored instance to an 8-bit JPEG or PNG. DCMTK reads the dataset lazily
// (large values stay on disk until a frame is asked for) and decompresses one frame at a time; the grey-scale
// pipeline (mask, sign, modality rescale, VOI window, MONOCHROME1) collapses into one lookup table indexed by the
// stored value, so a 512x512 16-bit slice costs one table build plus one pass over the pixels.
#include "teledx/dicom/render.hpp"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpls/djdecode.h>

#include <algorithm>
#include <cmath>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "render_codecs.hpp"
#include "render_pixels.hpp"

namespace teledx::dicom {
namespace {

void register_decoders() {
  // Once per process; the codec list is global in DCMTK. Decoders are never deregistered: a worker may still be
  // decoding when the process ends.
  static std::once_flag once;
  std::call_once(once, [] {
    DJDecoderRegistration::registerCodecs();
    DJLSDecoderRegistration::registerCodecs();
    DcmRLEDecoderRegistration::registerCodecs();
  });
}

bool is_j2k(E_TransferSyntax x) { return x == EXS_JPEG2000LosslessOnly || x == EXS_JPEG2000; }

// Decoded by DCMTK's JPEG and JPEG-LS codecs, whose header scans need the fragments checked first.
bool is_jpeg_family(E_TransferSyntax x) {
  return x == EXS_JPEGProcess1 || x == EXS_JPEGProcess2_4 || x == EXS_JPEGProcess14 || x == EXS_JPEGProcess14SV1 ||
         x == EXS_JPEGLSLossless || x == EXS_JPEGLSLossy;
}

// The stored syntaxes decompressed here: DCMTK's codecs, and JPEG 2000 through OpenCV. Not the video syntaxes.
bool decodable(E_TransferSyntax x) {
  if (is_j2k(x)) return true;
  switch (x) {
    case EXS_LittleEndianImplicit:
    case EXS_LittleEndianExplicit:
    case EXS_BigEndianExplicit:
    case EXS_DeflatedLittleEndianExplicit:
    case EXS_JPEGProcess1:
    case EXS_JPEGProcess2_4:
    case EXS_JPEGProcess14:
    case EXS_JPEGProcess14SV1:
    case EXS_JPEGLSLossless:
    case EXS_JPEGLSLossy:
    case EXS_RLELossless:
      return true;
    default:
      return false;
  }
}

std::uint16_t us(DcmItem* ds, const DcmTagKey& tag, std::uint16_t fallback) {
  Uint16 v = 0;
  return ds->findAndGetUint16(tag, v).good() ? v : fallback;
}

double ds_value(DcmItem* ds, const DcmTagKey& tag, double fallback) {
  Float64 v = 0;
  return ds->findAndGetFloat64(tag, v, 0).good() && std::isfinite(v) ? v : fallback;
}

std::string cs(DcmItem* ds, const DcmTagKey& tag) {
  OFString v;
  if (ds->findAndGetOFString(tag, v).bad()) return {};
  std::string s = v.c_str();
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

Result<Palette> read_palette(DcmItem* ds) {
  Palette p;
  const DcmTagKey desc[3] = {DCM_RedPaletteColorLookupTableDescriptor, DCM_GreenPaletteColorLookupTableDescriptor,
                             DCM_BluePaletteColorLookupTableDescriptor};
  const DcmTagKey data[3] = {DCM_RedPaletteColorLookupTableData, DCM_GreenPaletteColorLookupTableData,
                             DCM_BluePaletteColorLookupTableData};
  for (int c = 0; c < 3; ++c) {
    Uint16 entries = 0, first = 0, bits = 0;
    if (ds->findAndGetUint16(desc[c], entries, 0).bad() || ds->findAndGetUint16(desc[c], first, 1).bad() ||
        ds->findAndGetUint16(desc[c], bits, 2).bad())
      return make_error(ErrorCode::InvalidDicom, "The palette colour image has no lookup table descriptors.");
    const std::size_t n = entries == 0 ? 65536 : entries;
    const Uint16* words = nullptr;
    unsigned long count = 0;
    if (ds->findAndGetUint16Array(data[c], words, &count).bad() || !words)
      return make_error(ErrorCode::UnsupportedMediaType,
                        "The palette colour image has no plain lookup table data (segmented palettes are not rendered).");
    auto& table = p.table[c];
    table.resize(n);
    // 8-bit entries are packed two to a word (low byte first); 16-bit entries keep their high byte.
    for (std::size_t i = 0; i < n; ++i) {
      if (bits == 8) {
        if (i / 2 >= count) return make_error(ErrorCode::InvalidDicom, "The palette lookup table is too short.");
        table[i] = static_cast<std::uint8_t>(i % 2 ? words[i / 2] >> 8 : words[i / 2] & 0xff);
      } else {
        if (i >= count) return make_error(ErrorCode::InvalidDicom, "The palette lookup table is too short.");
        table[i] = static_cast<std::uint8_t>(words[i] >> 8);
      }
    }
    p.first = first;
  }
  return p;
}

cv::Mat fit_viewport(const cv::Mat& img, int vw, int vh) {
  if (vw <= 0 && vh <= 0) return img;
  double sx = vw > 0 ? static_cast<double>(vw) / img.cols : 1e9;
  double sy = vh > 0 ? static_cast<double>(vh) / img.rows : 1e9;
  double s = std::min(sx, sy);
  if (s >= 1.0) return img;  // never enlarge: the browser scales up without inventing pixels
  cv::Mat out;
  cv::resize(img, out, cv::Size(std::max(1, static_cast<int>(std::lround(img.cols * s))),
                                std::max(1, static_cast<int>(std::lround(img.rows * s)))),
             0, 0, cv::INTER_AREA);
  return out;
}

// One frame as stored or decompressed by DCMTK's codecs, in host byte order; updates the photometric
// interpretation and planar configuration to what the decoder handed back.
Result<std::vector<std::uint8_t>> read_frame(DcmDataset* ds, DcmElement* pixel, Uint32 frame, PixelLayout& L) {
  Uint32 frame_size = 0;
  if (pixel->getUncompressedFrameSize(ds, frame_size).bad() || frame_size == 0)
    return make_error(ErrorCode::InvalidDicom, "The pixel data attributes are inconsistent.");
  std::vector<std::uint8_t> raw(frame_size + 1);
  Uint32 start_fragment = 0;
  OFString color_model;
  OFCondition c = pixel->getUncompressedFrame(ds, frame, start_fragment, raw.data(), frame_size, color_model, nullptr);
  if (c.bad())
    return make_error(ErrorCode::InvalidDicom, "The frame could not be read or decompressed (damaged pixel data?).",
                      c.text());
  if (!color_model.empty()) L.photometric = color_model.c_str();
  // Decoders may change the planar configuration of what they hand back (RLE is always by plane): read it now.
  L.planar = us(ds, DCM_PlanarConfiguration, 0) == 1;
  const std::size_t needed = static_cast<std::size_t>(L.rows) * L.columns * L.samples * (L.bits_allocated / 8) /
                             (L.photometric == "YBR_FULL_422" ? 3 : 1) * (L.photometric == "YBR_FULL_422" ? 2 : 1);
  if (frame_size < needed) return make_error(ErrorCode::InvalidDicom, "The frame is shorter than rows x columns.");
  return raw;
}

}  // namespace

Result<RenderedImage> render_frame(const std::filesystem::path& file, const RenderOptions& o) {
  register_decoders();
  if (o.quality < 1 || o.quality > 100) return make_error(ErrorCode::BadRequest, "'quality' must be 1 to 100.");
  DcmFileFormat ff;
  // Values over 64 KiB (the pixel data) stay on disk: a frame of a large multi-frame file is read alone.
  OFCondition c = ff.loadFile(file.c_str(), EXS_Unknown, EGL_noChange, 64 * 1024);
  if (c.bad()) return make_error(ErrorCode::StorageFailure, "The stored DICOM file could not be read.", c.text());
  DcmDataset* ds = ff.getDataset();
  const E_TransferSyntax xfer = ds->getOriginalXfer();
  DcmElement* pixel = nullptr;
  if (ds->findAndGetElement(DCM_PixelData, pixel).bad() || !pixel)
    return make_error(ErrorCode::BadRequest, "This instance has no pixel data to render.");
  if (!decodable(xfer)) {
    DcmXfer x(xfer);
    return make_error(ErrorCode::UnsupportedMediaType,
                      std::string("The server cannot decode this instance's transfer syntax (") + x.getXferName() +
                          "); fetch the frames as stored with WADO-RS and decode them in the viewer.");
  }
  PixelLayout L;
  L.rows = us(ds, DCM_Rows, 0);
  L.columns = us(ds, DCM_Columns, 0);
  L.samples = us(ds, DCM_SamplesPerPixel, 1);
  L.bits_allocated = us(ds, DCM_BitsAllocated, 0);
  L.bits_stored = us(ds, DCM_BitsStored, L.bits_allocated);
  L.high_bit = us(ds, DCM_HighBit, static_cast<std::uint16_t>(L.bits_stored - 1));
  L.is_signed = us(ds, DCM_PixelRepresentation, 0) == 1;
  L.photometric = cs(ds, DCM_PhotometricInterpretation);
  L.slope = ds_value(ds, DCM_RescaleSlope, 1.0);
  L.intercept = ds_value(ds, DCM_RescaleIntercept, 0.0);
  if (L.slope == 0) L.slope = 1.0;
  Sint32 frames = 1;
  if (ds->findAndGetSint32(DCM_NumberOfFrames, frames).bad() || frames < 1) frames = 1;
  if (L.rows == 0 || L.columns == 0 || (L.bits_allocated != 8 && L.bits_allocated != 16) ||
      L.bits_stored == 0 || L.bits_stored > L.bits_allocated || L.high_bit >= L.bits_allocated ||
      L.high_bit + 1 < L.bits_stored || (L.samples != 1 && L.samples != 3))
    return make_error(ErrorCode::UnsupportedMediaType,
                      "This image's pixel layout (rows, columns, samples, bits allocated/stored) cannot be rendered.");
  // A compressed frame's size is whatever Rows and Columns claim: a 2 KB file stating 60000 x 60000 had one request
  // decode 3-4 GB for 4-16 s (found with the dicom_file fuzz target). Larger than any single-frame radiograph
  // (a 35 x 43 cm film scanned at 50 um is 60 MP), the limit keeps one request near 0.6 GB at most.
  if (const std::uint64_t pixels = std::uint64_t(L.rows) * L.columns; pixels > kMaxRenderedPixels)
    return make_error(ErrorCode::UnsupportedMediaType,
                      "This image is " + std::to_string(L.columns) + " x " + std::to_string(L.rows) +
                          " pixels, more than the server renders (" + std::to_string(kMaxRenderedPixels / 1000000) +
                          " megapixels); fetch the frames as stored with WADO-RS and decode them in the viewer.");
  if (o.frame < 1 || o.frame > frames)
    return make_error(ErrorCode::NotFound, "Frame " + std::to_string(o.frame) + " does not exist; this instance has " +
                                               std::to_string(frames) + " frame(s).");

  std::vector<std::uint8_t> raw;
  if (is_j2k(xfer) || xfer == EXS_RLELossless) {
    const FrameCodec codec = is_j2k(xfer) ? FrameCodec::Jpeg2000 : FrameCodec::Rle;
    auto bytes = encapsulated_frame(pixel, static_cast<std::uint32_t>(o.frame - 1), static_cast<std::uint32_t>(frames),
                                    codec);
    if (!bytes.ok()) return bytes.error();
    auto decoded = codec == FrameCodec::Rle ? decode_rle_frame(*bytes, L) : decode_j2k_frame(std::move(*bytes), L);
    if (!decoded.ok()) return decoded.error();
    raw = std::move(*decoded);
  } else {
    if (is_jpeg_family(xfer))
      TELEDX_TRY(check_jpeg_fragments(pixel, static_cast<std::uint32_t>(o.frame - 1), static_cast<std::uint32_t>(frames)));
    auto frame = read_frame(ds, pixel, static_cast<Uint32>(o.frame - 1), L);
    if (!frame.ok()) return frame.error();
    raw = std::move(*frame);
  }

  cv::Mat img;
  if (L.photometric == "MONOCHROME1" || L.photometric == "MONOCHROME2") {
    if (L.samples != 1) return make_error(ErrorCode::InvalidDicom, "A monochrome image must have one sample per pixel.");
    Window w;
    if (o.window) w = *o.window;
    else if (auto fw = file_window(ds)) w = *fw;
    else w = full_range_window(raw.data(), L);
    img = render_grey(raw.data(), L, w);
  } else if (L.photometric == "PALETTE COLOR") {
    auto pal = read_palette(ds);
    if (!pal.ok()) return pal.error();
    img = render_palette(raw.data(), L, *pal);
  } else {
    auto colour = render_colour(raw.data(), L);
    if (!colour.ok()) return colour.error();
    img = std::move(*colour);
  }
  img = fit_viewport(img, o.viewport_width, o.viewport_height);

  RenderedImage out;
  out.width = img.cols;
  out.height = img.rows;
  // JPEG stores sizes in 16 bits; OpenCV throws past 65500 (a 1 x 65535 image, found with the dicom_file fuzz
  // target, took the exception out of render_frame).
  if (o.format == ImageFormat::Jpeg && (img.cols > 65500 || img.rows > 65500))
    return make_error(ErrorCode::UnsupportedMediaType,
                      "This image is " + std::to_string(img.cols) + " x " + std::to_string(img.rows) +
                          " pixels, more than JPEG allows (65500 a side); ask for image/png or a smaller viewport.");
  std::vector<uchar> buf;
  bool encoded = false;
  try {
    if (o.format == ImageFormat::Png) {
      // Level 1: a fifth of the encoding time of the default for a few percent more bytes on a LAN.
      encoded = cv::imencode(".png", img, buf, {cv::IMWRITE_PNG_COMPRESSION, 1});
      out.media_type = "image/png";
    } else {
      encoded = cv::imencode(".jpg", img, buf, {cv::IMWRITE_JPEG_QUALITY, o.quality});
      out.media_type = "image/jpeg";
    }
  } catch (const cv::Exception& e) {
    return make_error(ErrorCode::Internal, "The image could not be encoded.", e.what());
  }
  if (!encoded) return make_error(ErrorCode::Internal, "The image could not be encoded.");
  out.bytes.assign(reinterpret_cast<const char*>(buf.data()), buf.size());
  return out;
}

}  // namespace teledx::dicom
