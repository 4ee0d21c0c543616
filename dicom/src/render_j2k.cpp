// JPEG 2000 frames for the renderer. DCMTK (Debian's build) can read the encapsulated fragments but not
// decode them; OpenCV's imgcodecs decodes a codestream with OpenJPEG, 16-bit preserved. What comes back is
// laid out as the uncompressed frame DCMTK would have handed over, so the rest of the pipeline (rescale,
// window, photometric) is the same for every transfer syntax.
#include "render_codecs.hpp"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace teledx::dicom {
namespace {

Error bad(std::string sentence, std::string detail = {}) {
  return make_error(ErrorCode::InvalidDicom, std::move(sentence), std::move(detail));
}

std::uint32_t be32(const unsigned char* p) {
  return (static_cast<std::uint32_t>(p[0]) << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
}

bool starts_codestream(const std::uint8_t* p, std::size_t n) {
  static const unsigned char soc_siz[4] = {0xFF, 0x4F, 0xFF, 0x51};
  static const unsigned char jp2[8] = {0, 0, 0, 0x0C, 'j', 'P', ' ', ' '};
  return (n >= 4 && std::memcmp(p, soc_siz, 4) == 0) || (n >= 8 && std::memcmp(p, jp2, 8) == 0);
}

// Fragment indices [first, last] of the frame, from the Basic Offset Table (byte offsets of each frame's
// first item, counted from the first fragment's item tag).
bool frame_from_offset_table(DcmPixelSequence* seq, std::uint32_t frame, std::uint32_t frames,
                             unsigned long& first, unsigned long& last) {
  DcmPixelItem* bot = nullptr;
  Uint8* table = nullptr;
  if (seq->getItem(bot, 0).bad() || !bot || bot->getLength() < 4ul * frames ||
      bot->getUint8Array(table).bad() || !table)
    return false;
  const std::uint64_t begin = read_le32(table + 4 * frame);
  const std::uint64_t end = frame + 1 < frames ? read_le32(table + 4 * (frame + 1)) : UINT64_MAX;
  if (end <= begin) return false;
  std::uint64_t pos = 0;
  first = 0;
  last = 0;
  for (unsigned long i = 1; i < seq->card(); ++i) {
    DcmPixelItem* item = nullptr;
    if (seq->getItem(item, i).bad() || !item) return false;
    if (pos >= begin && pos < end) {
      if (first == 0) first = i;
      last = i;
    }
    pos += 8 + item->getLength();  // item tag and length, then the value
  }
  return first != 0;
}

}  // namespace

Result<Fragment> fragment(DcmPixelSequence* seq, unsigned long i) {
  DcmPixelItem* item = nullptr;
  if (seq->getItem(item, i).bad() || !item)
    return bad("A compressed fragment is missing from the pixel data.");
  Fragment f;
  f.length = item->getLength();
  Uint8* bytes = nullptr;
  if (f.length > 0 && (item->getUint8Array(bytes).bad() || !bytes))
    return bad("A compressed fragment could not be read from the stored file.");
  f.data = bytes;
  return f;
}

DcmPixelSequence* stored_fragments(DcmElement* pixel_data) {
  auto* pd = dynamic_cast<DcmPixelData*>(pixel_data);
  E_TransferSyntax rep = EXS_Unknown;
  const DcmRepresentationParameter* param = nullptr;
  DcmPixelSequence* seq = nullptr;
  if (pd) pd->getOriginalRepresentationKey(rep, param);
  if (!pd || pd->getEncapsulatedRepresentation(rep, param, seq).bad() || !seq || seq->card() < 2) return nullptr;
  return seq;
}

Result<std::string> encapsulated_frame(DcmElement* pixel_data, std::uint32_t frame, std::uint32_t frames, FrameCodec codec) {
  DcmPixelSequence* seq = stored_fragments(pixel_data);
  if (!seq)
    return bad(std::string("The ") + (codec == FrameCodec::Rle ? "RLE" : "JPEG 2000") +
               " pixel data holds no encapsulated fragments.");
  const unsigned long fragments = seq->card() - 1;
  unsigned long first = 1, last = fragments;
  if (frames > 1 && fragments == frames) {
    first = last = frame + 1;
  } else if (frames > 1 && !frame_from_offset_table(seq, frame, frames, first, last)) {
    // No usable offset table: every frame's codestream begins with the SOC and SIZ markers, fragments after
    // it don't. An RLE frame is one fragment (PS3.5 A.4.2), so there is nothing to find.
    if (codec == FrameCodec::Rle)
      return bad("The RLE fragments cannot be divided into " + std::to_string(frames) + " frames (" +
                 std::to_string(fragments) + " fragments and no usable offset table).");
    std::vector<unsigned long> starts;
    for (unsigned long i = 1; i <= fragments; ++i) {
      auto f = fragment(seq, i);
      if (!f.ok()) return f.error();
      if (starts_codestream(f->data, f->length)) starts.push_back(i);
    }
    if (starts.size() != frames)
      return bad("The JPEG 2000 fragments cannot be divided into " + std::to_string(frames) +
                 " frames (no offset table, and " + std::to_string(starts.size()) + " codestream starts).");
    first = starts[frame];
    last = frame + 1 < frames ? starts[frame + 1] - 1 : fragments;
  }
  std::string out;
  for (unsigned long i = first; i <= last; ++i) {
    auto f = fragment(seq, i);
    if (!f.ok()) return f.error();
    out.append(reinterpret_cast<const char*>(f->data), f->length);
  }
  return out;
}

Result<std::vector<std::uint8_t>> decode_j2k_frame(std::string cs, PixelLayout& L) {
  static std::once_flag quiet;
  // OpenCV warns on every bare codestream that it assumes sRGB (there is no colour box): log noise.
  std::call_once(quiet, [] { cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_ERROR); });

  auto* p = reinterpret_cast<unsigned char*>(cs.data());
  std::size_t start = 0;
  if (cs.size() >= 8 && p[4] == 'j' && p[5] == 'P') {
    // A JP2 file instead of a bare codestream (written by some modalities): the codestream is the 'jp2c' box.
    std::size_t pos = 0;
    while (pos + 8 <= cs.size()) {
      std::uint64_t len = be32(p + pos), header = 8;
      if (len == 1 && pos + 16 <= cs.size()) {  // a 64-bit box length follows the type
        len = (std::uint64_t{be32(p + pos + 8)} << 32) | be32(p + pos + 12);
        header = 16;
      }
      if (std::memcmp(p + pos + 4, "jp2c", 4) == 0) {
        start = pos + header;
        break;
      }
      if (len < header || len > cs.size() - pos) break;
      pos += len;
    }
  }
  // SOC, then SIZ: Lsiz, Rsiz, eight 32-bit sizes and offsets, Csiz (at 40), then Ssiz XRsiz YRsiz each.
  if (cs.size() < start + 45 || p[start] != 0xFF || p[start + 1] != 0x4F || p[start + 2] != 0xFF ||
      p[start + 3] != 0x51)
    return bad(
        "The JPEG 2000 frame does not start with a codestream (SOC and SIZ markers); the file is damaged.");
  const unsigned comps = (p[start + 40] << 8) | p[start + 41];
  if (comps != L.samples || cs.size() < start + 42 + 3 * comps)
    return bad("The JPEG 2000 codestream has " + std::to_string(comps) + " component(s) but the image " +
               std::to_string(L.samples) + " sample(s) per pixel.");
  // The codestream's own size (Xsiz - XOsiz by Ysiz - YOsiz) must be the image's before anything is decoded: the
  // decoder allocates what the codestream states, which Rows and Columns (and their render limit) do not bound.
  const std::uint64_t xsiz = be32(p + start + 8), ysiz = be32(p + start + 12), xo = be32(p + start + 16),
                      yo = be32(p + start + 20);
  if (xo > xsiz || yo > ysiz || xsiz - xo != L.columns || ysiz - yo != L.rows)
    return bad("The JPEG 2000 frame is " + std::to_string(xsiz - std::min(xo, xsiz)) + "x" +
               std::to_string(ysiz - std::min(yo, ysiz)) + ", not the image's " + std::to_string(L.columns) + "x" +
               std::to_string(L.rows) + ".");
  const bool sgnd = (p[start + 42] & 0x80) != 0;
  const int precision = (p[start + 42] & 0x7F) + 1;
  // OpenCV refuses signed components. Marked unsigned, the same codestream decodes to value + 2^(precision-1)
  // (the decoder adds the DC level shift a signed codestream omits), which is subtracted again below: exact.
  if (sgnd)
    for (unsigned c = 0; c < comps; ++c) p[start + 42 + 3 * c] &= 0x7F;

  cv::Mat img;
  try {
    img =
        cv::imdecode(cv::Mat(1, static_cast<int>(cs.size() - start), CV_8U, p + start), cv::IMREAD_UNCHANGED);
  } catch (const std::exception& e) {
    return bad("The JPEG 2000 frame could not be decoded (damaged or unsupported codestream).", e.what());
  }
  if (img.empty())
    return bad("The JPEG 2000 frame could not be decoded (damaged or unsupported codestream).");
  if (img.rows != L.rows || img.cols != L.columns || img.channels() != static_cast<int>(L.samples))
    return bad("The decoded JPEG 2000 frame is " + std::to_string(img.cols) + "x" + std::to_string(img.rows) +
               ", not the image's " + std::to_string(L.columns) + "x" + std::to_string(L.rows) + ".");
  if ((img.depth() != CV_8U && img.depth() != CV_16U) || (img.depth() == CV_16U && L.bits_allocated == 8))
    return bad("The JPEG 2000 codestream's precision does not fit the image's Bits Allocated.");
  if (img.channels() == 3) cv::cvtColor(img, img, cv::COLOR_BGR2RGB);  // OpenCV hands colour back as BGR
  if (!img.isContinuous()) img = img.clone();

  const std::size_t values = static_cast<std::size_t>(L.rows) * L.columns * L.samples;
  const int bytes = L.bits_allocated / 8;
  std::vector<std::uint8_t> out(values * bytes);
  const int shift = L.high_bit + 1 - L.bits_stored;
  const std::uint32_t mask = (1u << L.bits_stored) - 1;
  const std::int32_t offset = sgnd ? (1 << (precision - 1)) : 0;
  for (std::size_t i = 0; i < values; ++i) {
    const std::int32_t decoded =
        img.depth() == CV_8U ? img.ptr<std::uint8_t>()[i] : img.ptr<std::uint16_t>()[i];
    // Two's complement within Bits Stored: the renderer's stored-value reader sign-extends it again.
    const std::uint32_t raw = (static_cast<std::uint32_t>(decoded - offset) & mask) << shift;
    if (bytes == 1) {
      out[i] = static_cast<std::uint8_t>(raw);
    } else {
      const auto w = static_cast<std::uint16_t>(raw);
      std::memcpy(&out[2 * i], &w, 2);  // host order, as DCMTK hands back uncompressed words
    }
  }
  L.planar = false;
  // The decoder undoes the codestream's colour transform (RCT/ICT) and hands back full-resolution colour.
  if (L.photometric == "YBR_RCT" || L.photometric == "YBR_ICT")
    L.photometric = "RGB";
  else if (L.photometric == "YBR_FULL_422")
    L.photometric = "YBR_FULL";
  return out;
}

}  // namespace teledx::dicom
