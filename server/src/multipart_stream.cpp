#include "teledx/server/multipart_stream.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "multipart.hpp"

namespace teledx::server {
namespace {

constexpr std::size_t kMaxHeaderBytes = 16 * 1024;
constexpr std::size_t kMaxBoundaryLine = 256;  // the boundary line's transport padding

}  // namespace

MultipartSpooler::MultipartSpooler(std::string boundary, NextFile next_file, std::size_t max_parts)
    : delimiter_("\r\n--" + boundary), next_file_(std::move(next_file)), max_parts_(max_parts) {
  // A body may begin with its first boundary; a CRLF in front lets one delimiter match it like the others.
  pending_ = "\r\n";
  if (boundary.empty()) fail("The multipart Content-Type has an empty boundary.");
}

MultipartSpooler::~MultipartSpooler() {
  if (fd_ >= 0) ::close(fd_);
}

bool MultipartSpooler::fail(std::string sentence) {
  if (state_ != State::Failed) error_ = std::move(sentence);
  state_ = State::Failed;
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  pending_.clear();
  return false;
}

bool MultipartSpooler::start_part(std::string_view headers) {
  if (parts_.size() >= max_parts_) {
    return fail("The request holds more than " + std::to_string(max_parts_) + " parts; send it in smaller requests.");
  }
  Part part;
  part.content_type = part_header(headers, "content-type");
  part.file = next_file_();
  fd_ = ::open(part.file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  part.write_failed = fd_ < 0;
  parts_.push_back(std::move(part));
  return true;
}

void MultipartSpooler::write(std::string_view bytes) {
  Part& part = parts_.back();
  part.size += bytes.size();
  while (fd_ >= 0 && !bytes.empty()) {
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // Disk full or failing: the rest of this part is dropped and the part reported as not stored.
      part.write_failed = true;
      ::close(fd_);
      fd_ = -1;
      return;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

void MultipartSpooler::end_part() {
  if (fd_ >= 0 && ::close(fd_) != 0) parts_.back().write_failed = true;
  fd_ = -1;
}

bool MultipartSpooler::feed(std::string_view bytes) {
  if (state_ == State::Failed) return false;
  if (state_ == State::Done) return true;  // the epilogue is ignored
  // Only what may be the start of a delimiter (or an unfinished header block) stays in pending_ between calls.
  pending_.append(bytes);
  std::size_t pos = 0;  // consumed prefix of pending_
  for (;;) {
    const std::string_view rest = std::string_view(pending_).substr(pos);
    switch (state_) {
      case State::Preamble:
      case State::Body: {
        const auto at = rest.find(delimiter_);
        if (at == std::string_view::npos) {
          const std::size_t keep = std::min(rest.size(), delimiter_.size() - 1);
          if (state_ == State::Body) write(rest.substr(0, rest.size() - keep));
          pos += rest.size() - keep;
          pending_.erase(0, pos);
          return true;
        }
        if (state_ == State::Body) {
          write(rest.substr(0, at));
          end_part();
        }
        pos += at + delimiter_.size();
        state_ = State::BoundaryLine;
        break;
      }
      case State::BoundaryLine: {
        if (rest.size() < 2) {
          pending_.erase(0, pos);
          return true;
        }
        if (rest.substr(0, 2) == "--") {
          state_ = State::Done;
          pending_.clear();
          return true;
        }
        const auto eol = rest.find("\r\n");
        if (eol == std::string_view::npos) {
          // Over the limit for certain only past its CR, which may be the line's end arriving.
          if (rest.size() > kMaxBoundaryLine + 1) return fail("A multipart boundary line is malformed.");
          pending_.erase(0, pos);
          return true;
        }
        // The limits hold however the body was cut: a line or header block that arrived whole is measured too.
        if (eol > kMaxBoundaryLine || rest.substr(0, eol).find_first_not_of(" \t") != std::string_view::npos)
          return fail("A multipart boundary line is malformed.");
        pos += eol + 2;
        state_ = State::Headers;
        break;
      }
      case State::Headers: {
        std::size_t header_end = 0, content_begin = 0;
        if (rest.substr(0, 2) == "\r\n") {
          content_begin = 2;  // no headers at all
        } else if (const auto e = rest.find("\r\n\r\n"); e != std::string_view::npos) {
          if (e > kMaxHeaderBytes) return fail("A multipart part's headers do not end within 16 KiB.");
          header_end = e;
          content_begin = e + 4;
        } else {
          // Likewise past the first three bytes of a CRLF CRLF that may be arriving.
          if (rest.size() > kMaxHeaderBytes + 3) return fail("A multipart part's headers do not end within 16 KiB.");
          pending_.erase(0, pos);
          return true;
        }
        if (!start_part(rest.substr(0, header_end))) return false;
        pos += content_begin;
        state_ = State::Body;
        break;
      }
      case State::Done:
      case State::Failed:
        pending_.clear();
        return state_ == State::Done;
    }
  }
}

bool MultipartSpooler::finish() {
  switch (state_) {
    case State::Done: return true;
    case State::Failed: return false;
    case State::Preamble: return fail("The multipart body does not contain its boundary.");
    default: return fail("The multipart body ends without its closing boundary (upload cut short?).");
  }
}

void MultipartSpooler::discard() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  for (const auto& p : parts_) {
    std::error_code ec;
    std::filesystem::remove(p.file, ec);
  }
  parts_.clear();
}

}  // namespace teledx::server
