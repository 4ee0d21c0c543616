// The JPEG / JPEG-LS header walk of check_jpeg_fragments() (render_codecs.hpp): ISO/IEC 10918-1 B.1.1 and 14495-1
// marker syntax, from SOI up to the start of scan.
#include <dcmtk/config/osconfig.h>  // first, as DCMTK requires
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "render_codecs.hpp"

namespace teledx::dicom {
namespace {

Error damaged(const std::string& why) {
  return make_error(ErrorCode::InvalidDicom, "The JPEG frame is damaged: " + why + ".");
}

bool starts_with_soi(const Uint8* p, Uint32 n) { return n >= 2 && p[0] == 0xFF && p[1] == 0xD8; }

// SOI, then marker segments (fill bytes 0xFF allowed before a marker) until SOS, one of them a frame header (SOF0-15
// but DHT, JPG and DAC; JPEG-LS SOF55). Standalone markers (TEM, RSTn) carry no length; every other one a length of
// at least 2 that stays inside the fragment.
Result<void> walk_header(const Uint8* p, Uint32 n) {
  if (!starts_with_soi(p, n)) return damaged("a frame does not begin with the JPEG start-of-image marker");
  std::size_t k = 2;
  bool frame_header = false;
  for (;;) {
    if (k >= n || p[k] != 0xFF) return damaged("its header holds bytes where a marker should be");
    while (k < n && p[k] == 0xFF) ++k;  // fill bytes
    if (k >= n) return damaged("its header ends before the image data");
    const std::uint8_t code = p[k++];
    if (code == 0x00 || code == 0xD8 || code == 0xD9) return damaged("its header holds a misplaced marker");
    if (code == 0x01 || (code >= 0xD0 && code <= 0xD7)) continue;  // TEM, RSTn: no length
    if (k + 2 > n) return damaged("its header ends inside a marker");
    const std::size_t length = (std::size_t(p[k]) << 8) | p[k + 1];
    if (length < 2 || k + length > n) return damaged("a header marker's length runs past the fragment");
    if ((code >= 0xC0 && code <= 0xCF && code != 0xC4 && code != 0xC8 && code != 0xCC) || code == 0xF7)
      frame_header = true;
    if (code == 0xDA) {
      if (!frame_header) return damaged("its scan starts before a frame header");
      return ok();
    }
    k += length;
  }
}

}  // namespace

Result<void> check_jpeg_fragments(DcmElement* pixel_data, std::uint32_t frame, std::uint32_t frames) {
  DcmPixelSequence* seq = stored_fragments(pixel_data);
  if (!seq) return make_error(ErrorCode::InvalidDicom, "The JPEG pixel data holds no encapsulated fragments.");
  const unsigned long fragments = seq->card() - 1;
  // Item starts, counted from the first fragment's item tag as the Basic Offset Table counts: lengths only, no
  // fragment is read from disk for them.
  std::vector<std::uint64_t> starts;
  std::uint64_t pos = 0;
  for (unsigned long i = 1; i <= fragments; ++i) {
    DcmPixelItem* item = nullptr;
    if (seq->getItem(item, i).bad() || !item) return damaged("a fragment is missing");
    starts.push_back(pos);
    pos += 8 + std::uint64_t(item->getLength());
  }
  std::vector<std::uint64_t> table;
  DcmPixelItem* bot = nullptr;
  Uint8* entries = nullptr;
  if (seq->getItem(bot, 0).good() && bot && bot->getLength() >= 4 && bot->getUint8Array(entries).good() && entries)
    for (Uint32 i = 0; i + 4 <= bot->getLength(); i += 4)
      table.push_back(read_le32(entries + i));
  for (auto offset : table)
    if (!std::binary_search(starts.begin(), starts.end(), offset)) return damaged("its offset table points between fragments");
  auto check = [&](unsigned long i) -> Result<void> {  // fragment i, 1-based
    auto f = fragment(seq, i);
    if (!f.ok()) return f.error();
    return walk_header(f->data, f->length);
  };
  // The fragment this frame starts in, as a decoder finds it: through the offset table, the only frame's first
  // fragment, or one fragment per frame. Only for a multi-frame image with neither is every fragment that begins
  // with SOI a candidate, each read once here.
  if (frame < table.size())
    return check(1 + static_cast<unsigned long>(std::lower_bound(starts.begin(), starts.end(), table[frame]) - starts.begin()));
  if (frames <= 1) return check(1);
  if (fragments == frames) return check(frame + 1);
  TELEDX_TRY(check(1));
  for (unsigned long i = 2; i <= fragments; ++i) {
    auto f = fragment(seq, i);
    if (!f.ok()) return f.error();
    if (starts_with_soi(f->data, f->length)) TELEDX_TRY(walk_header(f->data, f->length));
  }
  return ok();
}

}  // namespace teledx::dicom
