#pragma once
// An ECG written as a DICOM file the way the server stores an upload, and read back: what the stored exam keeps.
#include <filesystem>
#include <string>
#include <unistd.h>

#include "teledx/ecg/dicom_writer.hpp"
#include "teledx/ecg/readers.hpp"

namespace teledx::ecg::test {

/// `w` with `header` through write_dicom_ecg() into a temporary file (named by `name` and the process) and
/// read_ecg_file(); the file is removed. The writer's error when it could not write.
inline Result<Waveform> stored_and_read_back(const Waveform& w, const DicomEcgHeader& header, const std::string& name) {
  const auto file = std::filesystem::temp_directory_path() / ("teledx_" + name + "_" + std::to_string(::getpid()) + ".dcm");
  if (auto written = write_dicom_ecg(w, header, {}, file); !written.ok()) return written.error();
  auto back = read_ecg_file(file);
  std::error_code ec;
  std::filesystem::remove(file, ec);
  return back;
}

}  // namespace teledx::ecg::test
