#include "dicom_probe.hpp"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>

namespace teledx::agent {

std::optional<DicomIds> probe_dicom(const std::filesystem::path& file) {
  DcmFileFormat ff;
  // Elements larger than 4 KiB (pixel data) are left on disk.
  if (ff.loadFile(file.c_str(), EXS_Unknown, EGL_noChange, 4096).bad()) return std::nullopt;
  OFString study, sop;
  auto* ds = ff.getDataset();
  if (ds->findAndGetOFString(DCM_StudyInstanceUID, study).bad() || study.empty()) return std::nullopt;
  if (ds->findAndGetOFString(DCM_SOPInstanceUID, sop).bad() || sop.empty()) return std::nullopt;
  return DicomIds{study.c_str(), sop.c_str()};
}

}  // namespace teledx::agent
