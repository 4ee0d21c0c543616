#include "dicom_file.hpp"

#include <dcmtk/config/osconfig.h>  // first, as DCMTK requires
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcistrmf.h>
#include <dcmtk/dcmdata/dcjson.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <dcmtk/dcmdata/dcstack.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include <array>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "dataset_prescan.hpp"
#include "teledx/core/utf8.hpp"

namespace teledx::dicom::detail {
namespace {

// Elements longer than this stay on disk while parsing (pixel data is never read into memory here).
constexpr Uint32 kMaxReadLength = 4096;
// Binary values longer than this appear in the metadata JSON as a BulkDataURI rather than inline.
constexpr Uint32 kBulkThreshold = 1024;

Error invalid(std::string message, std::string detail = {}) {
  return make_error(ErrorCode::InvalidDicom, std::move(message), std::move(detail));
}

std::string trim(std::string s) {
  const auto not_pad = [](char c) { return c != ' ' && c != '\0' && c != '\t' && c != '\r' && c != '\n'; };
  while (!s.empty() && !not_pad(s.back())) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && !not_pad(s[i])) ++i;
  return s.substr(i);
}

// Index text must be valid UTF-8 (JSON answers are built from it): replace any invalid sequence by '?'.
std::string valid_utf8(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t n = utf8_sequence_length(s, i);
    const bool ok = n > 0 && !(n == 1 && c < 0x20 && c != '\t');
    if (ok) {
      out.append(s, i, n);
      i += n;
    } else {
      out.push_back('?');
      ++i;
    }
  }
  return out;
}

/// Whether a text value of the dataset (names, descriptions, comments) is not UTF-8.
bool has_non_utf8_text(DcmDataset& ds) {
  DcmStack stack;
  while (ds.nextObject(stack, OFTrue).good()) {
    DcmObject* obj = stack.top();
    if (!obj->isLeaf() || obj->getLengthField() > kMaxReadLength) continue;
    switch (obj->ident()) {
      case EVR_PN: case EVR_LO: case EVR_SH: case EVR_ST: case EVR_LT: case EVR_UT: case EVR_UC: break;
      default: continue;
    }
    OFString v;
    if (static_cast<DcmElement*>(obj)->getOFStringArray(v).good() && !is_utf8(std::string(v.c_str(), v.length())))
      return true;
  }
  return false;
}

/// The dataset's text in UTF-8, in memory (the stored file keeps the bytes as sent). A declared Specific Character
/// Set is converted from (GB18030 from Chinese modalities, Latin-1). Older Chinese modalities write GB2312 or GBK
/// names without declaring any (no Specific Character Set, or an empty one): text that is not UTF-8 then is read as GB18030, which contains both, and a name
/// such as 王小明 is indexed instead of "??????". Text GB18030 cannot read either stays as sent (indexed with '?').
void text_to_utf8(DcmDataset& ds) {
  OFString declared;
  if (ds.findAndGetOFStringArray(DCM_SpecificCharacterSet, declared).good() && !declared.empty()) {
    (void)ds.convertToUTF8();
    return;
  }
  if (!has_non_utf8_text(ds)) return;  // ASCII (or UTF-8 left undeclared): nothing to convert
  if (ds.putAndInsertString(DCM_SpecificCharacterSet, "GB18030").bad()) return;
  if (ds.convertToUTF8().bad()) (void)ds.findAndDeleteElement(DCM_SpecificCharacterSet);
}

std::string get_string(DcmItem& item, const DcmTagKey& key) {
  OFString v;
  if (item.findAndGetOFStringArray(key, v).bad()) return {};
  return valid_utf8(trim(std::string(v.c_str(), v.length())));
}

std::int64_t get_int(DcmItem& item, const DcmTagKey& key, std::int64_t fallback) {
  const std::string s = get_string(item, key);
  if (s.empty()) return fallback;
  try {
    std::size_t used = 0;
    const long long v = std::stoll(s, &used);
    return used == s.size() ? v : fallback;
  } catch (...) {
    return fallback;
  }
}

std::optional<std::uint16_t> get_us(DcmItem& item, const DcmTagKey& key) {
  Uint16 v = 0;
  if (item.findAndGetUint16(key, v).bad()) return std::nullopt;
  return v;
}

// PS3.5 9.1: components of digits without leading zeros, separated by dots, at most 64 characters.
bool valid_uid(std::string_view uid) {
  if (uid.empty() || uid.size() > 64 || uid.front() == '.' || uid.back() == '.') return false;
  for (std::size_t i = 0; i < uid.size(); ++i) {
    const char c = uid[i];
    if (c == '.') {
      if (uid[i - 1] == '.') return false;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return true;
}

std::string tag_hex(const DcmTagKey& key) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%04X%04X", key.getGroup(), key.getElement());
  return buf;
}

bool is_bulk_vr(DcmEVR vr) {
  switch (vr) {
    case EVR_OB: case EVR_OW: case EVR_OF: case EVR_OD: case EVR_OL: case EVR_OV: case EVR_UN: case EVR_ox:
    case EVR_px: case EVR_pixelSQ: case EVR_pixelItem:
      return true;
    default:
      return false;
  }
}

// DICOM JSON with large binary values replaced by "{{instance}}/bulk/<tag>" (the WADO route fills in the URL). A
// tag met again, nested in a sequence (the Waveform Data of an ECG's second multiplex group: its median beat, or the
// added leads of an 18-lead ECG), is "<tag>/<n>", its n-th occurrence in document order: with the tag alone every
// group's URI answered the first group's samples.
class BulkJsonFormat final : public DcmJsonFormatCompact {
 public:
  explicit BulkJsonFormat(std::set<DcmTagKey> bulk) : DcmJsonFormatCompact(OFFalse), bulk_(std::move(bulk)) {}
  OFBool asBulkDataURI(const DcmTagKey& tag, OFString& uri) override {
    if (bulk_.count(tag) == 0) return OFFalse;
    const int n = ++seen_[tag];
    uri = ("{{instance}}/bulk/" + tag_hex(tag) + (n > 1 ? "/" + std::to_string(n) : std::string())).c_str();
    return OFTrue;
  }

 private:
  std::set<DcmTagKey> bulk_;
  std::map<DcmTagKey, int> seen_;
};

std::string metadata_json(DcmDataset& ds) {
  std::set<DcmTagKey> bulk;
  DcmStack stack;
  while (ds.nextObject(stack, OFTrue).good()) {
    DcmObject* obj = stack.top();
    if (obj->isLeaf() || obj->ident() == EVR_pixelSQ) {
      const Uint32 len = obj->getLengthField();
      if (is_bulk_vr(obj->ident()) && (len > kBulkThreshold || len == DCM_UndefinedLength)) bulk.insert(obj->getTag());
      if (obj->getTag() == DCM_PixelData) bulk.insert(DCM_PixelData);
    }
  }
  BulkJsonFormat format(std::move(bulk));
  // DcmDataset::writeJson writes the attributes only; the braces of the object are the caller's.
  std::ostringstream out;
  out << '{';
  if (ds.writeJson(out, format).bad()) return {};
  out << '}';
  return out.str();
}

struct Required {
  const DcmTagKey& key;
  const char* name;
  std::string* value;
};

// Checks pixel data against its description. Native (uncompressed) pixel data must have exactly the length
// rows x columns x frames x samples x bits allocated imply; encapsulated data must hold at least one fragment.
Result<void> check_pixel_data(DcmDataset& ds, const DcmXfer& xfer, InstanceMeta& meta, bool& has_pixels) {
  DcmElement* element = nullptr;
  if (ds.findAndGetElement(DCM_PixelData, element).bad() || element == nullptr) return ok();
  has_pixels = true;
  const auto rows = get_us(ds, DCM_Rows), columns = get_us(ds, DCM_Columns);
  const auto bits = get_us(ds, DCM_BitsAllocated);
  const auto samples = get_us(ds, DCM_SamplesPerPixel).value_or(1);
  if (!rows || !columns || !bits || *rows == 0 || *columns == 0 || *bits == 0) {
    return invalid("The instance has Pixel Data but no valid Rows, Columns and Bits Allocated to describe it.");
  }
  meta.rows = *rows;
  meta.columns = *columns;
  if (samples < 1 || samples > 4) {
    return invalid("Samples per Pixel is " + std::to_string(samples) + "; it must be between 1 and 4.");
  }
  if (xfer.isEncapsulated()) {
    auto* pixel_data = dynamic_cast<DcmPixelData*>(element);
    DcmPixelSequence* sequence = nullptr;
    if (pixel_data == nullptr ||
        pixel_data->getEncapsulatedRepresentation(xfer.getXfer(), nullptr, sequence).bad() || sequence == nullptr) {
      return invalid("The Pixel Data is not encapsulated although the transfer syntax " +
                     std::string(xfer.getXferName()) + " requires it.");
    }
    // Item 0 is the basic offset table; images start at item 1.
    if (sequence->card() < 2) return invalid("The compressed Pixel Data holds no image fragment.");
    return ok();
  }
  const std::string photometric = get_string(ds, DCM_PhotometricInterpretation);
  // 4:2:2 subsampled colour stores two samples per pixel on average (PS3.3 C.7.6.3.1.2).
  const unsigned effective_samples =
      (photometric == "YBR_FULL_422" || photometric == "YBR_PARTIAL_422") ? 2u : samples;
  const unsigned __int128 bits_total = static_cast<unsigned __int128>(*rows) * *columns *
                                       static_cast<std::uint64_t>(meta.number_of_frames) * effective_samples * *bits;
  const unsigned __int128 expected = (bits_total + 7) / 8;
  const Uint32 length = element->getLengthField();
  if (length == DCM_UndefinedLength) {
    return invalid("The Pixel Data is encapsulated (compressed) but the transfer syntax " +
                   std::string(xfer.getXferName()) + " is uncompressed.");
  }
  const bool padded = (expected % 2 == 1) && length == expected + 1;
  if (length != expected && !padded) {
    std::ostringstream msg;
    msg << "Pixel Data is " << length << " bytes but Rows " << *rows << " x Columns " << *columns << " x "
        << meta.number_of_frames << " frame(s) x " << effective_samples << " sample(s) x " << *bits
        << " bits need " << static_cast<std::uint64_t>(expected) << " bytes.";
    return invalid(msg.str());
  }
  return ok();
}

}  // namespace

std::string_view to_string(ContentKind k) {
  switch (k) {
    case ContentKind::Image: return "image";
    case ContentKind::Ecg: return "ecg";
    case ContentKind::Other: break;
  }
  return "other";
}

bool is_ecg_sop_class(std::string_view uid) {
  static constexpr std::array<std::string_view, 4> kEcg{
      "1.2.840.10008.5.1.4.1.1.9.1.1",  // 12-lead ECG Waveform Storage
      "1.2.840.10008.5.1.4.1.1.9.1.2",  // General ECG Waveform Storage
      "1.2.840.10008.5.1.4.1.1.9.1.3",  // Ambulatory ECG Waveform Storage
      "1.2.840.10008.5.1.4.1.1.9.1.4",  // General 32-bit ECG Waveform Storage
  };
  for (auto u : kEcg)
    if (u == uid) return true;
  return false;
}

Result<ParsedFile> parse_file(const std::filesystem::path& file, bool with_json) {
  // One open for the marker check and the parse (the file is read on every ingest).
  DcmInputFileStream stream(OFFilename(file.c_str()));
  if (stream.status().bad()) {
    return make_error(ErrorCode::StorageFailure, "The server could not read the received file.",
                      "open " + file.string() + ": " + stream.status().text());
  }
  // The Part 10 marker first: DCMTK would otherwise try to read anything as a bare dataset.
  {
    std::array<char, 132> head{};
    stream.mark();
    const auto n = stream.read(head.data(), head.size());
    if (n < static_cast<offile_off_t>(head.size())) {
      return invalid("The file is not DICOM: it is too short to hold a DICOM file header.");
    }
    if (std::string_view(head.data() + 128, 4) != "DICM") {
      return invalid("The file is not DICOM: the 'DICM' marker of a DICOM Part 10 file is missing at byte 128.");
    }
    stream.putback();
  }
  // What DCMTK's parse itself would suffer from (a deflate bomb, sequences nested past its stack) is measured first.
  TELEDX_TRY(prescan_dataset(file));

  // As DcmFileFormat::loadFile does, on the stream already open.
  DcmFileFormat ff;
  ff.setReadMode(ERM_fileOnly);
  ff.transferInit();
  const OFCondition loaded = ff.read(stream, EXS_Unknown, EGL_noChange, kMaxReadLength);
  ff.transferEnd();
  if (loaded == EC_StreamNotifyClient || loaded == EC_PrematureSequDelimitationItem || loaded == EC_InvalidStream) {
    return invalid("The DICOM file is truncated or corrupt: an element is longer than the data that follows it.",
                   loaded.text());
  }
  if (loaded.bad()) return invalid("The DICOM file could not be parsed (" + std::string(loaded.text()) + ").");
  DcmMetaInfo& mi = *ff.getMetaInfo();
  DcmDataset& ds = *ff.getDataset();

  ParsedFile out;
  InstanceMeta& m = out.meta;
  m.transfer_syntax = get_string(mi, DCM_TransferSyntaxUID);
  if (m.transfer_syntax.empty()) {
    return invalid("The DICOM file meta header has no Transfer Syntax UID (0002,0010).");
  }
  const DcmXfer xfer(m.transfer_syntax.c_str());
  if (xfer.getXfer() == EXS_Unknown) {
    return invalid("The file's transfer syntax " + m.transfer_syntax + " is not one this server knows.");
  }
  if (ds.getOriginalXfer() != xfer.getXfer()) {
    return invalid("The dataset is not encoded in the transfer syntax its meta header declares (" +
                   std::string(xfer.getXferName()) + ").");
  }

  m.sop_class_uid = get_string(ds, DCM_SOPClassUID);
  m.sop_uid = get_string(ds, DCM_SOPInstanceUID);
  m.study_uid = get_string(ds, DCM_StudyInstanceUID);
  m.series_uid = get_string(ds, DCM_SeriesInstanceUID);
  const std::array<Required, 4> required{{{DCM_SOPClassUID, "SOP Class UID (0008,0016)", &m.sop_class_uid},
                                          {DCM_SOPInstanceUID, "SOP Instance UID (0008,0018)", &m.sop_uid},
                                          {DCM_StudyInstanceUID, "Study Instance UID (0020,000D)", &m.study_uid},
                                          {DCM_SeriesInstanceUID, "Series Instance UID (0020,000E)", &m.series_uid}}};
  std::string missing;
  for (const auto& r : required) {
    if (r.value->empty()) missing += (missing.empty() ? "" : ", ") + std::string(r.name);
  }
  if (!missing.empty()) return invalid("The instance lacks required attributes: " + missing + ".");
  for (const auto& r : required) {
    if (!valid_uid(*r.value)) {
      return invalid("The " + std::string(r.name) + " '" + r.value->substr(0, 80) +
                     "' is not a valid UID (digits and dots, at most 64 characters).");
    }
  }
  const std::string meta_class = get_string(mi, DCM_MediaStorageSOPClassUID);
  const std::string meta_instance = get_string(mi, DCM_MediaStorageSOPInstanceUID);
  if (meta_class != m.sop_class_uid) {
    return invalid("The file meta header names SOP Class UID '" + meta_class + "' but the dataset has '" +
                   m.sop_class_uid + "'.");
  }
  if (meta_instance != m.sop_uid) {
    return invalid("The file meta header names SOP Instance UID '" + meta_instance + "' but the dataset has '" +
                   m.sop_uid + "'.");
  }

  // Names and descriptions go to the index in UTF-8; the stored file keeps the bytes as sent.
  text_to_utf8(ds);

  m.number_of_frames = get_int(ds, DCM_NumberOfFrames, 1);
  if (m.number_of_frames < 1 || m.number_of_frames > (1LL << 31)) {
    return invalid("Number of Frames is " + std::to_string(m.number_of_frames) + "; it must be a positive count.");
  }
  bool has_pixels = false;
  TELEDX_TRY(check_pixel_data(ds, xfer, m, has_pixels));

  m.patient_name = get_string(ds, DCM_PatientName);
  m.patient_id = get_string(ds, DCM_PatientID);
  m.patient_sex = get_string(ds, DCM_PatientSex);
  m.patient_birth_date = get_string(ds, DCM_PatientBirthDate);
  m.patient_age = get_string(ds, DCM_PatientAge);
  m.accession = get_string(ds, DCM_AccessionNumber);
  m.modality = get_string(ds, DCM_Modality);
  m.body_part = get_string(ds, DCM_BodyPartExamined);
  m.study_description = get_string(ds, DCM_StudyDescription);
  m.series_description = get_string(ds, DCM_SeriesDescription);
  m.study_date = get_string(ds, DCM_StudyDate);
  m.study_time = get_string(ds, DCM_StudyTime);
  m.study_id = get_string(ds, DCM_StudyID);
  m.referring_physician = get_string(ds, DCM_ReferringPhysicianName);
  m.series_number = get_int(ds, DCM_SeriesNumber, 0);
  m.instance_number = get_int(ds, DCM_InstanceNumber, 0);

  const bool pdf_or_sr = m.sop_class_uid == UID_EncapsulatedPDFStorage ||
                         m.sop_class_uid.rfind("1.2.840.10008.5.1.4.1.1.88.", 0) == 0;
  if (is_ecg_sop_class(m.sop_class_uid)) out.kind = ContentKind::Ecg;
  else if (has_pixels || pdf_or_sr) out.kind = ContentKind::Image;

  if (with_json) out.metadata_json = metadata_json(ds);
  return out;
}

}  // namespace teledx::dicom::detail
