#pragma once
// Splits a multipart body while it arrives, each part's bytes going straight into a file of its own (for STOW-RS
// a landing slot of the instance store). The request is then neither held in memory nor written to disk twice:
// spooling the whole body first and copying each part out of it cost a file creation and a second write of
// every instance.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace teledx::server {

class MultipartSpooler {
 public:
  struct Part {
    std::filesystem::path file;
    std::string content_type;  // "" when the part has none
    std::uint64_t size = 0;
    bool write_failed = false;  // the disk refused some of its bytes: the file is incomplete
  };
  /// Where the next part goes; the file may exist (it is truncated) or not.
  using NextFile = std::function<std::filesystem::path()>;

  MultipartSpooler(std::string boundary, NextFile next_file, std::size_t max_parts);
  ~MultipartSpooler();
  MultipartSpooler(const MultipartSpooler&) = delete;
  MultipartSpooler& operator=(const MultipartSpooler&) = delete;

  /// The next bytes of the body; false once the body is known to be malformed (see error()).
  bool feed(std::string_view bytes);
  /// The body has ended; false when it ended before its closing boundary.
  bool finish();
  /// A sentence for the sender when feed() or finish() failed.
  const std::string& error() const { return error_; }
  /// The parts so far; complete ones only after finish() succeeded.
  std::vector<Part>& parts() { return parts_; }
  /// Removes every part's file (a refused or failed request leaves nothing behind).
  void discard();

 private:
  enum class State { Preamble, BoundaryLine, Headers, Body, Done, Failed };
  bool fail(std::string sentence);
  bool start_part(std::string_view headers);
  void write(std::string_view bytes);
  void end_part();

  std::string delimiter_;  // CRLF "--" boundary
  NextFile next_file_;
  std::size_t max_parts_;
  State state_ = State::Preamble;
  std::string pending_;  // bytes not yet decided (a possible start of the delimiter, or an unfinished header)
  std::vector<Part> parts_;
  int fd_ = -1;
  std::string error_;
};

}  // namespace teledx::server
