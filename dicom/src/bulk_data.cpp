// Frame and bulk-data extraction for WADO-RS. Pixel data are sliced as stored, never decoded or re-encoded:
// a viewer asking with transfer-syntax=* gets exactly the bytes the modality sent.
#include "teledx/dicom/bulk_data.hpp"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <dcmtk/dcmdata/dcstack.h>
#include <dcmtk/dcmdata/dcxfer.h>

namespace teledx::dicom {
namespace {

Result<std::unique_ptr<DcmFileFormat>> load(const std::filesystem::path& file) {
  auto ff = std::make_unique<DcmFileFormat>();
  OFCondition c = ff->loadFile(file.c_str());
  if (c.bad())
    return make_error(ErrorCode::StorageFailure, "The stored DICOM file could not be read.", c.text());
  return ff;
}

std::vector<std::string> fragments_of(DcmPixelSequence* seq) {
  std::vector<std::string> out;
  // Item 0 is the basic offset table.
  for (unsigned long i = 1; i < seq->card(); ++i) {
    DcmPixelItem* item = nullptr;
    if (seq->getItem(item, i).bad() || !item) continue;
    Uint8* data = nullptr;
    if (item->getUint8Array(data).bad()) continue;
    out.emplace_back(reinterpret_cast<const char*>(data), item->getLength());
  }
  return out;
}

std::vector<std::uint32_t> offset_table(DcmPixelSequence* seq) {
  std::vector<std::uint32_t> out;
  DcmPixelItem* bot = nullptr;
  if (seq->getItem(bot, 0).bad() || !bot || bot->getLength() == 0) return out;
  Uint8* data = nullptr;
  if (bot->getUint8Array(data).bad() || !data) return out;
  for (Uint32 i = 0; i + 4 <= bot->getLength(); i += 4)
    out.push_back(data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (static_cast<std::uint32_t>(data[i + 3]) << 24));
  return out;
}

// Groups fragments into frames: one fragment per frame, all fragments for a single frame, or by offset table.
std::vector<std::string> encapsulated_frames(DcmPixelSequence* seq, std::int64_t n_frames) {
  auto frags = fragments_of(seq);
  if (n_frames <= 1) {
    std::string all;
    for (auto& f : frags) all += f;
    return {all};
  }
  if (static_cast<std::int64_t>(frags.size()) == n_frames) return frags;
  auto bot = offset_table(seq);
  std::vector<std::string> frames;
  if (static_cast<std::int64_t>(bot.size()) == n_frames) {
    // Offsets are measured from the first fragment's item tag: 8 bytes of item header per fragment.
    std::uint64_t pos = 0;
    std::size_t frame = 0;
    frames.resize(n_frames);
    for (const auto& f : frags) {
      while (frame + 1 < bot.size() && pos >= bot[frame + 1]) ++frame;
      frames[frame] += f;
      pos += f.size() + 8;
    }
  }
  return frames;
}

// The value bytes of an OB or OW element; OW is kept in host order by DCMTK, which is little endian here.
const char* value_bytes(DcmElement* el) {
  Uint8* b = nullptr;
  if (el->getUint8Array(b).good() && b) return reinterpret_cast<const char*>(b);
  Uint16* w = nullptr;
  if (el->getUint16Array(w).good() && w) return reinterpret_cast<const char*>(w);
  return nullptr;
}

}  // namespace

Result<std::vector<Frame>> read_frames(const std::filesystem::path& file, const std::vector<std::int64_t>& numbers) {
  auto ff = load(file);
  if (!ff.ok()) return ff.error();
  DcmDataset* ds = (*ff)->getDataset();
  DcmElement* pixel = nullptr;
  if (ds->findAndGetElement(DCM_PixelData, pixel).bad() || !pixel)
    return make_error(ErrorCode::BadRequest, "This instance has no pixel data, so it has no frames.");
  Sint32 frames_tag = 1;
  ds->findAndGetSint32(DCM_NumberOfFrames, frames_tag);
  std::int64_t n_frames = std::max<Sint32>(1, frames_tag);
  for (auto n : numbers)
    if (n < 1 || n > n_frames)
      return make_error(ErrorCode::NotFound, "Frame " + std::to_string(n) + " does not exist; this instance has " +
                                                 std::to_string(n_frames) + " frame(s).");
  E_TransferSyntax xfer = ds->getOriginalXfer();
  DcmXfer x(xfer);
  std::vector<Frame> out;
  if (x.isEncapsulated()) {
    DcmPixelSequence* seq = nullptr;
    auto* pd = static_cast<DcmPixelData*>(pixel);
    if (pd->getEncapsulatedRepresentation(xfer, nullptr, seq).bad() || !seq)
      return make_error(ErrorCode::StorageFailure, "The compressed pixel data of this instance could not be read.");
    auto all = encapsulated_frames(seq, n_frames);
    if (static_cast<std::int64_t>(all.size()) != n_frames)
      return make_error(ErrorCode::BadRequest,
                        "The compressed frames of this instance cannot be told apart (no usable offset table).");
    for (auto n : numbers) out.push_back({all[n - 1], x.getXferID()});
    return out;
  }
  Uint16 rows = 0, cols = 0, bits = 0, samples = 1;
  ds->findAndGetUint16(DCM_Rows, rows);
  ds->findAndGetUint16(DCM_Columns, cols);
  ds->findAndGetUint16(DCM_BitsAllocated, bits);
  ds->findAndGetUint16(DCM_SamplesPerPixel, samples);
  std::uint64_t frame_bits = static_cast<std::uint64_t>(rows) * cols * samples * bits;
  const char* data = value_bytes(pixel);
  if (!data) return make_error(ErrorCode::StorageFailure, "The pixel data of this instance could not be read.");
  std::uint64_t total = pixel->getLength();
  for (auto n : numbers) {
    std::uint64_t begin_bit = frame_bits * static_cast<std::uint64_t>(n - 1);
    std::uint64_t begin = begin_bit / 8, end = (begin_bit + frame_bits + 7) / 8;
    if (end > total) return make_error(ErrorCode::StorageFailure, "The pixel data of this instance is shorter than its frames.");
    out.push_back({std::string(data + begin, end - begin), "1.2.840.10008.1.2.1"});
  }
  return out;
}

Result<std::string> read_bulk_data(const std::filesystem::path& file, std::uint32_t tag, int occurrence) {
  auto ff = load(file);
  if (!ff.ok()) return ff.error();
  DcmDataset* ds = (*ff)->getDataset();
  DcmTagKey key(static_cast<Uint16>(tag >> 16), static_cast<Uint16>(tag & 0xffff));
  DcmElement* el = nullptr;
  // Depth first, as DcmItem::writeJson walks the dataset when the metadata numbers the occurrences.
  DcmStack stack;
  for (int seen = 0; occurrence >= 1 && ds->nextObject(stack, OFTrue).good();) {
    DcmObject* obj = stack.top();
    if (obj->isLeaf() && obj->getTag() == key && ++seen == occurrence) {
      el = static_cast<DcmElement*>(obj);
      break;
    }
  }
  if (!el) return make_error(ErrorCode::NotFound, "This instance has no such bulk data element.");
  if (key == DCM_PixelData && DcmXfer(ds->getOriginalXfer()).isEncapsulated()) {
    DcmPixelSequence* seq = nullptr;
    if (static_cast<DcmPixelData*>(el)->getEncapsulatedRepresentation(ds->getOriginalXfer(), nullptr, seq).bad() || !seq)
      return make_error(ErrorCode::StorageFailure, "The compressed pixel data of this instance could not be read.");
    std::string all;
    for (auto& f : fragments_of(seq)) all += f;
    return all;
  }
  // Sequences and text VRs have no byte view; waveform data (OB/OW) and pixel data always do.
  const char* data = value_bytes(el);
  if (!data) return make_error(ErrorCode::BadRequest, "This element is not bulk data.");
  return std::string(data, el->getLength());
}

}  // namespace teledx::dicom
