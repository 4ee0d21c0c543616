#include "dataset_prescan.hpp"

#include <dcmtk/config/osconfig.h>  // first, as DCMTK requires
#include <dcmtk/dcmdata/dctag.h>

#include <zlib.h>

#include <fstream>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace teledx::dicom::detail {
namespace {

constexpr std::uint32_t kUndefinedLength = 0xFFFFFFFF;
constexpr std::uint64_t kNoEnd = std::numeric_limits<std::uint64_t>::max();

// The dataset's bytes, read from the file or inflated from it, through one buffer. Inflating counts what it makes
// and stops with an error past the limit.
class Source {
 public:
  Source(std::ifstream& in, bool deflated, std::uint64_t max_inflated)
      : in_(in), deflated_(deflated), max_inflated_(max_inflated), buf_(64 * 1024) {
    if (deflated_) {
      input_.resize(64 * 1024);
      inflating_ = inflateInit2(&z_, -MAX_WBITS) == Z_OK;  // raw deflate, as PS3.5 A.5 specifies
    }
  }
  ~Source() {
    if (inflating_) inflateEnd(&z_);
  }
  Source(const Source&) = delete;
  Source& operator=(const Source&) = delete;

  std::uint64_t pos() const { return pos_; }
  const std::optional<Error>& error() const { return error_; }

  bool read(unsigned char* out, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      if (at_ == len_ && !fill()) return false;
      out[i] = buf_[at_++];
      ++pos_;
    }
    return true;
  }

  bool skip(std::uint64_t n) {
    while (n > 0) {
      if (at_ == len_) {
        if (!deflated_) {  // past the buffer, a plain file seeks
          in_.seekg(static_cast<std::streamoff>(n), std::ios::cur);
          pos_ += n;
          return static_cast<bool>(in_) && in_.peek() != std::char_traits<char>::eof();
        }
        if (!fill()) return false;
      }
      const std::uint64_t step = std::min<std::uint64_t>(n, len_ - at_);
      at_ += static_cast<std::size_t>(step);
      pos_ += step;
      n -= step;
    }
    return true;
  }

  // Reads to the end of a deflated stream, so that all of it is counted.
  void drain() {
    while (deflated_ && !error_ && fill()) at_ = len_;
  }

 private:
  bool fill() {
    at_ = len_ = 0;
    if (error_) return false;
    if (!deflated_) {
      in_.read(reinterpret_cast<char*>(buf_.data()), static_cast<std::streamsize>(buf_.size()));
      len_ = static_cast<std::size_t>(in_.gcount());
      return len_ > 0;
    }
    if (!inflating_ || ended_) return false;
    while (len_ == 0) {
      if (z_.avail_in == 0) {
        in_.read(reinterpret_cast<char*>(input_.data()), static_cast<std::streamsize>(input_.size()));
        z_.next_in = input_.data();
        z_.avail_in = static_cast<uInt>(in_.gcount());
        if (z_.avail_in == 0) return false;  // cut short: DCMTK says how when it parses
      }
      z_.next_out = buf_.data();
      z_.avail_out = static_cast<uInt>(buf_.size());
      const int rc = inflate(&z_, Z_NO_FLUSH);
      if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
        error_ = make_error(ErrorCode::InvalidDicom, "The deflated DICOM dataset is damaged and cannot be inflated.");
        return false;
      }
      len_ = buf_.size() - z_.avail_out;
      inflated_ += len_;
      if (inflated_ > max_inflated_) {
        error_ = make_error(ErrorCode::PayloadTooLarge,
                            "This deflated DICOM file unpacks to more than " + std::to_string(max_inflated_ >> 20) +
                                " MiB; send it uncompressed or in an image compression transfer syntax.");
        return false;
      }
      if (rc == Z_STREAM_END) {
        ended_ = true;
        break;
      }
    }
    return len_ > 0;
  }

  std::ifstream& in_;
  bool deflated_;
  std::uint64_t max_inflated_;
  std::vector<unsigned char> buf_, input_;
  std::size_t at_ = 0, len_ = 0;
  std::uint64_t pos_ = 0, inflated_ = 0;
  z_stream z_{};
  bool inflating_ = false, ended_ = false;
  std::optional<Error> error_;
};

std::uint16_t u16(const unsigned char* p, bool big) { return big ? (p[0] << 8) | p[1] : p[0] | (p[1] << 8); }
std::uint32_t u32(const unsigned char* p, bool big) {
  return big ? (std::uint32_t(p[0]) << 24) | (p[1] << 16) | (p[2] << 8) | p[3]
             : p[0] | (p[1] << 8) | (p[2] << 16) | (std::uint32_t(p[3]) << 24);
}

// Explicit VRs with a reserved field and a 32-bit length (PS3.5 7.1.2); any other, unknown codes included, has a
// 16-bit length, as DCMTK reads them.
bool long_form(std::string_view vr) {
  for (std::string_view v : {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"})
    if (vr == v) return true;
  return false;
}

// The meta header, group 0002 in explicit VR little endian after the preamble and "DICM", element by element (its
// group length may be absent: a file that leaves it out must not slip past). Leaves `in` at the dataset's first
// byte; nullopt when it does not read so (DCMTK refuses such a file).
std::optional<std::string> transfer_syntax(std::ifstream& in) {
  in.seekg(132);
  std::string syntax;
  for (;;) {
    unsigned char e[8];
    if (!in.read(reinterpret_cast<char*>(e), 8)) return std::nullopt;
    const unsigned group = e[0] | (e[1] << 8), element = e[2] | (e[3] << 8);
    if (group != 0x0002) {
      in.seekg(-8, std::ios::cur);
      break;
    }
    std::uint32_t length = e[6] | (e[7] << 8);
    if (long_form(std::string_view(reinterpret_cast<const char*>(e + 4), 2))) {
      unsigned char l[4];
      if (!in.read(reinterpret_cast<char*>(l), 4)) return std::nullopt;
      length = u32(l, false);
    }
    if (element == 0x0010 && length <= 256) {
      syntax.assign(length, '\0');
      if (!in.read(syntax.data(), length)) return std::nullopt;
    } else if (!in.seekg(length, std::ios::cur)) {
      return std::nullopt;
    }
  }
  while (!syntax.empty() && (syntax.back() == '\0' || syntax.back() == ' ')) syntax.pop_back();  // UID padding
  return syntax;
}

// Walks the element headers, values skipped, and answers false as soon as sequences and items nest deeper than
// `max_nesting`. A structure that breaks off (a value past the end) ends the walk: DCMTK refuses what follows.
bool nesting_within(Source& src, bool explicit_vr, bool big, std::size_t max_nesting) {
  struct Level {
    std::uint64_t end;  // kNoEnd: undefined length, closed by a delimiter
    bool fragments;     // the items of encapsulated pixel data: raw bytes, no elements
    bool explicit_vr;   // an undefined-length UN holds implicit VR elements (PS3.5 6.2.2)
  };
  std::vector<Level> stack;
  unsigned char h[8];
  for (;;) {
    while (!stack.empty() && stack.back().end != kNoEnd && src.pos() >= stack.back().end) stack.pop_back();
    if (!src.read(h, 4)) return true;
    const std::uint16_t group = u16(h, big), element = u16(h + 2, big);
    const bool in_fragments = !stack.empty() && stack.back().fragments;
    const bool exp = stack.empty() ? explicit_vr : stack.back().explicit_vr;
    if (group == 0xFFFE) {  // item and delimiters: a 32-bit length, no VR
      if (!src.read(h, 4)) return true;
      const std::uint32_t length = u32(h, big);
      if (element == 0xE000 && !in_fragments) {
        stack.push_back({length == kUndefinedLength ? kNoEnd : src.pos() + length, false, exp});
      } else if (element == 0xE00D || element == 0xE0DD) {
        if (!stack.empty() && stack.back().end == kNoEnd) stack.pop_back();
      } else if (length != kUndefinedLength && !src.skip(length)) {
        return true;
      }
    } else {
      std::uint32_t length = 0;
      bool sequence = false, unknown = false;
      if (exp) {
        if (!src.read(h + 4, 4)) return true;
        const std::string_view vr(reinterpret_cast<const char*>(h + 4), 2);
        sequence = vr == "SQ";
        unknown = vr == "UN";
        if (long_form(vr)) {
          if (!src.read(h, 4)) return true;
          length = u32(h, big);
        } else {
          length = u16(h + 6, big);
        }
      } else {
        if (!src.read(h, 4)) return true;
        length = u32(h, big);
        sequence = DcmTag(group, element).getEVR() == EVR_SQ;  // implicit VR: the dictionary says
      }
      if (length == kUndefinedLength) {
        const bool pixels = group == 0x7FE0 && element == 0x0010;
        stack.push_back({kNoEnd, pixels, exp && !unknown});
      } else if (sequence) {
        stack.push_back({src.pos() + length, false, exp});
      } else if (!src.skip(length)) {
        return true;
      }
    }
    if (stack.size() > max_nesting) return false;
  }
}

}  // namespace

Result<void> prescan_dataset(const std::filesystem::path& file, std::uint64_t max_inflated, std::size_t max_nesting) {
  std::ifstream in(file, std::ios::binary);
  const auto syntax = transfer_syntax(in);
  if (!syntax) return ok();
  const bool deflated = *syntax == "1.2.840.10008.1.2.1.99";
  const bool implicit = *syntax == "1.2.840.10008.1.2", big = *syntax == "1.2.840.10008.1.2.2";
  Source src(in, deflated, max_inflated);
  const bool shallow = nesting_within(src, !implicit, big, max_nesting);
  if (src.error()) return *src.error();
  if (!shallow)
    return make_error(ErrorCode::InvalidDicom, "The DICOM file nests sequences more than " +
                                                   std::to_string(max_nesting) +
                                                   " levels deep; no real instance does, and it is refused unread.");
  src.drain();
  if (src.error()) return *src.error();
  return ok();
}

}  // namespace teledx::dicom::detail
