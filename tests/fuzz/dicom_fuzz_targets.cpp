#include "dicom_fuzz_targets.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "dicom_file.hpp"  // dicom/src: the check ingest makes before it acknowledges a file
#include "teledx/dicom/bulk_data.hpp"
#include "teledx/dicom/render.hpp"

namespace teledx::dicom::fuzz {
namespace {

/// A broken promise: abort so that libFuzzer keeps the input and the replaying test fails loudly.
[[noreturn]] void broken(const char* what) {
  std::fprintf(stderr, "dicom fuzz: %s\n", what);
  std::abort();
}

/// Every refusal reaches a user (a DIMSE error comment, an HTTP JSON error): it must say something.
template <class T>
void check_refusal(const Result<T>& r, const char* what) {
  if (!r.ok() && r.error().message.empty()) broken(what);
}

}  // namespace

void dicom_file(std::span<const std::uint8_t> input) {
  if (input.empty()) return;
  const std::uint8_t choice = input[0];
  input = input.subspan(1);
  static const std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("teledx-dicom-fuzz-" + std::to_string(::getpid()) + ".dcm");
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(input.data()), static_cast<std::streamsize>(input.size()));
  }
  auto parsed = detail::parse_file(file, true);
  check_refusal(parsed, "ingest refused a file without a reason");
  if (!parsed.ok()) return;
  if (parsed->meta.sop_uid.empty() || parsed->meta.study_uid.empty() || parsed->meta.series_uid.empty())
    broken("ingest accepted a file without its UIDs");

  // What the DICOMweb routes read from a stored file.
  const std::int64_t frame = 1 + ((choice >> 3) & 3);
  auto frames = read_frames(file, {frame});
  check_refusal(frames, "a frame request was refused without a reason");
  if (frames.ok() && frames->size() != 1) broken("one frame asked for, another count answered");
  check_refusal(read_bulk_data(file, 0x7FE00010), "pixel bulk data was refused without a reason");

  RenderOptions o;
  o.frame = frame;
  o.format = (choice & 1) ? ImageFormat::Png : ImageFormat::Jpeg;
  if (choice & 2) o.viewport_width = o.viewport_height = 64;
  if (choice & 4) o.window = Window{40, 400};
  auto image = render_frame(file, o);
  check_refusal(image, "rendering was refused without a reason");
  if (image.ok() && (image->bytes.empty() || image->width <= 0 || image->height <= 0))
    broken("a rendered image is empty");
  if (image.ok() && (choice & 2) && (image->width > 64 || image->height > 64)) broken("the viewport was not kept");
}

Target target_named(std::string_view name) {
  if (name == "dicom_file") return &dicom_file;
  return nullptr;
}

}  // namespace teledx::dicom::fuzz
