// One libFuzzer program per target: TELEDX_FUZZ_TARGET names it (see CMakeLists.txt).
#include <cstddef>
#include <cstdint>

#include "ecg_fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto target = teledx::ecg::fuzz::target_named(TELEDX_FUZZ_TARGET);
  target({data, size});
  return 0;
}
