// One libFuzzer program per target: TELEDX_FUZZ_TARGET names it (see CMakeLists.txt).
#include <cstddef>
#include <cstdint>
#include <span>

#include <dcmtk/config/osconfig.h>  // first, as DCMTK requires
#include <dcmtk/oflog/oflog.h>

#include "dicom_fuzz_targets.hpp"
#include "ecg_fuzz_targets.hpp"
#include "multipart_fuzz_targets.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // DCMTK warns on stderr about every oddity of a mutated DICOM file: thousands of lines a second, and slower.
  OFLog::configure(OFLogger::FATAL_LOG_LEVEL);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using Target = void (*)(std::span<const std::uint8_t>);
  static const Target target = [] {
    if (const Target t = teledx::ecg::fuzz::target_named(TELEDX_FUZZ_TARGET)) return t;
    if (const Target t = teledx::dicom::fuzz::target_named(TELEDX_FUZZ_TARGET)) return t;
    return teledx::server::fuzz::target_named(TELEDX_FUZZ_TARGET);
  }();
  target({data, size});
  return 0;
}
