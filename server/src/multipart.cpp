#include "multipart.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>

#include "teledx/core/ids.hpp"

namespace teledx::server {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

std::string part_header(std::string_view block, std::string_view name) {
  std::size_t hp = 0;
  while (hp < block.size()) {
    const auto he = block.find("\r\n", hp);
    const std::string_view line = block.substr(hp, he == std::string_view::npos ? std::string_view::npos : he - hp);
    const auto colon = line.find(':');
    if (colon != std::string_view::npos && iequals(trim(line.substr(0, colon)), name))
      return std::string(trim(line.substr(colon + 1)));
    if (he == std::string_view::npos) break;
    hp = he + 2;
  }
  return {};
}

std::optional<std::string> content_type_param(std::string_view ct, std::string_view name) {
  std::size_t pos = ct.find(';');
  while (pos != std::string_view::npos) {
    std::size_t next = pos + 1;
    bool quoted = false;
    std::size_t end = next;
    for (; end < ct.size(); ++end) {
      if (ct[end] == '"') quoted = !quoted;
      if (ct[end] == ';' && !quoted) break;
    }
    std::string_view param = trim(ct.substr(next, end - next));
    auto eq = param.find('=');
    if (eq != std::string_view::npos && iequals(trim(param.substr(0, eq)), name)) {
      std::string_view v = trim(param.substr(eq + 1));
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      return std::string(v);
    }
    pos = end < ct.size() ? end : std::string_view::npos;
  }
  return std::nullopt;
}

Result<MappedFile> MappedFile::open(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(ErrorCode::StorageFailure, "The uploaded body could not be read back.", path.string());
  struct stat st {};
  ::fstat(fd, &st);
  std::size_t size = static_cast<std::size_t>(st.st_size);
  void* data = nullptr;
  if (size > 0) {
    data = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (data == MAP_FAILED) {
      ::close(fd);
      return make_error(ErrorCode::StorageFailure, "The uploaded body could not be read back.", "mmap failed");
    }
    ::madvise(data, size, MADV_SEQUENTIAL);
  }
  ::close(fd);
  return MappedFile(data, size);
}

MappedFile::MappedFile(MappedFile&& o) noexcept : data_(o.data_), size_(o.size_) {
  o.data_ = nullptr;
  o.size_ = 0;
}

MappedFile::~MappedFile() {
  if (data_ && size_) ::munmap(data_, size_);
}

Result<std::vector<MultipartPart>> split_multipart(std::string_view body, const std::string& boundary) {
  const std::string delim = "--" + boundary;
  std::vector<MultipartPart> parts;
  std::size_t pos = body.find(delim);
  if (boundary.empty() || pos == std::string_view::npos)
    return make_error(ErrorCode::BadRequest, "The multipart body does not contain its boundary.");
  for (;;) {
    pos += delim.size();
    if (body.substr(pos, 2) == "--") return parts;  // closing delimiter
    auto line_end = body.find("\r\n", pos);
    if (line_end == std::string_view::npos)
      return make_error(ErrorCode::BadRequest, "The multipart body ends in the middle of a part (upload cut short?).");
    std::size_t headers_begin = line_end + 2;
    auto headers_end = body.find("\r\n\r\n", headers_begin);
    std::size_t content_begin;
    std::string_view headers;
    if (body.substr(headers_begin, 2) == "\r\n") {  // no headers at all
      headers = {};
      content_begin = headers_begin + 2;
    } else if (headers_end != std::string_view::npos) {
      headers = body.substr(headers_begin, headers_end - headers_begin);
      content_begin = headers_end + 4;
    } else {
      return make_error(ErrorCode::BadRequest, "A multipart part has no end of headers.");
    }
    auto next = body.find("\r\n" + delim, content_begin);
    if (next == std::string_view::npos)
      return make_error(ErrorCode::BadRequest, "The multipart body ends without its closing boundary (upload cut short?).");
    MultipartPart part;
    part.body = body.substr(content_begin, next - content_begin);
    part.content_type = part_header(headers, "content-type");
    part.disposition = part_header(headers, "content-disposition");
    parts.push_back(part);
    pos = next + 2;
  }
}

MultipartWriter::MultipartWriter(const std::filesystem::path& file) : boundary_("teledx-" + random_hex(12)) {
  fd_ = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ok_ = fd_ >= 0;
}

MultipartWriter::~MultipartWriter() {
  if (fd_ >= 0) ::close(fd_);
}

bool MultipartWriter::header(const std::string& content_type, const std::string& location) {
  std::string h = "--" + boundary_ + "\r\nContent-Type: " + content_type + "\r\n";
  if (!location.empty()) h += "Content-Location: " + location + "\r\n";
  h += "\r\n";
  return ok_ = ok_ && write_all(fd_, h);
}

bool MultipartWriter::add(const std::string& content_type, std::string_view bytes, const std::string& location) {
  if (!header(content_type, location)) return false;
  return ok_ = ok_ && write_all(fd_, bytes) && write_all(fd_, "\r\n");
}

bool MultipartWriter::add_file(const std::string& content_type, const std::filesystem::path& source,
                               const std::string& location) {
  if (!header(content_type, location)) return false;
  int in = ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return ok_ = false;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(in, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ok_ = false;
    if (n <= 0) break;
    if (!write_all(fd_, std::string_view(buf, static_cast<std::size_t>(n)))) {
      ok_ = false;
      break;
    }
  }
  ::close(in);
  return ok_ = ok_ && write_all(fd_, "\r\n");
}

bool MultipartWriter::finish() { return ok_ = ok_ && write_all(fd_, "--" + boundary_ + "--\r\n"); }

}  // namespace teledx::server
