#include "deflate_guard.hpp"

#include <zlib.h>

#include <array>
#include <fstream>
#include <string>
#include <string_view>

namespace teledx::dicom::detail {

Result<void> check_deflated_size(const std::filesystem::path& file, std::uint64_t limit) {
  std::ifstream in(file, std::ios::binary);
  // The meta header, group 0002 in explicit VR little endian after the preamble and "DICM", element by element (its
  // group length may be absent, and a file that leaves it out must not slip past): the transfer syntax, and where
  // the dataset starts. Anything that does not read so is left to DCMTK, which refuses it.
  in.seekg(132);
  std::string syntax;
  for (;;) {
    unsigned char e[8];
    if (!in.read(reinterpret_cast<char*>(e), 8)) return ok();
    const unsigned group = e[0] | (e[1] << 8), element = e[2] | (e[3] << 8);
    if (group != 0x0002) {
      in.seekg(-8, std::ios::cur);  // the dataset's first element
      break;
    }
    const std::string_view vr(reinterpret_cast<const char*>(e + 4), 2);
    std::uint32_t length = e[6] | (e[7] << 8);
    if (vr == "OB" || vr == "OW" || vr == "UN" || vr == "SQ" || vr == "UT" || vr == "UC" || vr == "UR") {
      unsigned char l[4];
      if (!in.read(reinterpret_cast<char*>(l), 4)) return ok();
      length = l[0] | (l[1] << 8) | (l[2] << 16) | (std::uint32_t(l[3]) << 24);
    }
    if (element == 0x0010 && length <= 256) {
      syntax.assign(length, '\0');
      if (!in.read(syntax.data(), length)) return ok();
    } else if (!in.seekg(length, std::ios::cur)) {
      return ok();
    }
  }
  // The UID, padded with a zero byte to even length.
  while (!syntax.empty() && (syntax.back() == '\0' || syntax.back() == ' ')) syntax.pop_back();
  if (syntax != "1.2.840.10008.1.2.1.99") return ok();

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
