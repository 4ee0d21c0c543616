#include "deflate_guard.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <string>
#include <string_view>

namespace teledx::dicom::detail {

Result<void> check_deflated_size(const std::filesystem::path& file, std::uint64_t limit) {
  std::ifstream in(file, std::ios::binary);
  // Preamble, "DICM", then (0002,0000) UL 4 <group length> in explicit VR little endian. Without that element the
  // meta header's end is unknown here; DCMTK reads such a file as before.
  std::array<unsigned char, 144> head{};
  if (!in.read(reinterpret_cast<char*>(head.data()), head.size())) return ok();
  static constexpr unsigned char kGroupLength[8] = {0x02, 0x00, 0x00, 0x00, 'U', 'L', 0x04, 0x00};
  if (!std::equal(std::begin(kGroupLength), std::end(kGroupLength), head.begin() + 132)) return ok();
  const std::uint32_t meta_length = head[140] | (head[141] << 8) | (head[142] << 16) | (std::uint32_t(head[143]) << 24);
  if (meta_length > 64 * 1024) return ok();
  std::string meta(meta_length, '\0');
  if (!in.read(meta.data(), meta_length)) return ok();
  // The transfer syntax UID, padded with a zero byte to even length, is in the meta header.
  static constexpr std::string_view kDeflated = "1.2.840.10008.1.2.1.99";
  if (meta.find(kDeflated) == std::string::npos) return ok();

  z_stream z{};
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK) return ok();  // raw deflate, as PS3.5 A.5 specifies
  std::array<unsigned char, 64 * 1024> input{}, output{};
  std::uint64_t inflated = 0;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    in.read(reinterpret_cast<char*>(input.data()), input.size());
    z.next_in = input.data();
    z.avail_in = static_cast<uInt>(in.gcount());
    if (z.avail_in == 0) break;  // the stream ends early: DCMTK says how when it parses
    while (z.avail_in > 0 && rc != Z_STREAM_END) {
      z.next_out = output.data();
      z.avail_out = output.size();
      rc = inflate(&z, Z_NO_FLUSH);
      if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
        inflateEnd(&z);
        return make_error(ErrorCode::InvalidDicom, "The deflated DICOM dataset is damaged and cannot be inflated.");
      }
      inflated += output.size() - z.avail_out;
      if (inflated > limit) {
        inflateEnd(&z);
        return make_error(ErrorCode::PayloadTooLarge,
                          "This deflated DICOM file unpacks to more than " + std::to_string(limit >> 20) +
                              " MiB; send it uncompressed or in an image compression transfer syntax.");
      }
      if (rc == Z_BUF_ERROR) break;  // needs more input
    }
  }
  inflateEnd(&z);
  return ok();
}

}  // namespace teledx::dicom::detail
