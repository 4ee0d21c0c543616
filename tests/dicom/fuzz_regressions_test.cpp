// Replays tests/data/dicom/fuzz/dicom_file/ through the DICOM fuzz target of scripts/fuzz.sh in the ordinary build:
// small images in the transfer syntaxes the renderer decodes, and inputs the fuzzer once broke a promise with.
#include <catch2/catch.hpp>

#include "fuzz/dicom_fuzz_targets.hpp"
#include "fuzz/replay.hpp"

TEST_CASE("DICOM files from the fuzz corpus are refused with a reason or checked, framed and rendered", "[dicom][fuzz]") {
  const auto dir = std::filesystem::path(TELEDX_TEST_DATA_DIR) / "dicom/fuzz/dicom_file";
  CHECK(teledx::test::replay_corpus(dir, teledx::dicom::fuzz::target_named("dicom_file")) >= 10);
}
