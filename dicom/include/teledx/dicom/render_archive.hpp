#pragma once
// Whole-study downloads: a zip of stored Part 10 files produced piece by piece, so it can go to the network
// as it is made. Entries are stored, not deflated (DICOM pixels barely compress; the CPU would be the
// bottleneck), which makes the archive's exact size computable before the first byte: the HTTP response can
// announce it.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "teledx/core/result.hpp"

namespace teledx::dicom {

struct ArchiveEntry {
  std::string name;            // path inside the zip, UTF-8, '/' separated
  std::filesystem::path file;  // the stored file
};

/// A stored-method zip of files, read sequentially with read(). ZIP64 records are added only where a size, an
/// offset or the entry count needs them (> 4 GiB, > 65535 entries), so small archives stay plain zip.
/// Memory stays flat whatever the study's size: a 4 MiB buffer holds a whole small file (read once), a 1 MiB one
/// a piece of a larger file, both reused from file to file. Larger files are read twice (the local header
/// carries the CRC-32, needed before the data; the second read comes from the page cache). Not thread-safe:
/// one reader at a time. Blocking file I/O: call from a worker.
class ZipStream {
 public:
  /// Sizes every file (they must exist and not change afterwards). Errors: StorageFailure naming the file.
  static Result<ZipStream> open(std::vector<ArchiveEntry> entries);

  /// The archive's total length in bytes, known before reading.
  std::uint64_t size() const { return size_; }
  /// Bytes handed out so far.
  std::uint64_t position() const { return position_; }
  bool done() const { return position_ == size_; }
  /// Copies the next bytes into buf (up to cap); 0 only at the end. Errors: StorageFailure when a file cannot
  /// be read or its size changed since open() (the archive already sent would no longer be consistent).
  Result<std::size_t> read(char* buf, std::size_t cap);

 private:
  struct Entry {
    ArchiveEntry source;
    std::uint64_t size = 0, header_offset = 0;
    std::uint32_t crc = 0;
  };
  enum class Phase { LocalHeader, Data, Central, End, Done };

  Result<void> refill();  // makes the pending range hold the next bytes to hand out
  const std::string& pending_buffer() const;
  Result<void> start_entry();
  std::string local_header(const Entry& e) const;
  std::string central_header(const Entry& e) const;
  std::string end_records() const;

  std::vector<Entry> entries_;
  std::uint64_t size_ = 0, position_ = 0, central_offset_ = 0, central_size_ = 0;
  std::uint16_t dos_time_ = 0, dos_date_ = 0;
  Phase phase_ = Phase::LocalHeader;
  std::size_t index_ = 0;  // current entry (local part) or central record
  // The bytes ready to hand out are [pending_pos_, pending_end_) of one of the buffers below (named, not
  // pointed to, so a moved stream stays valid). The buffers keep their capacity from file to file.
  enum class Buffer { Headers, Whole, Chunk } pending_in_ = Buffer::Headers;
  std::size_t pending_pos_ = 0, pending_end_ = 0;
  std::string headers_;         // local header, a batch of central records, or the end records
  std::string whole_;           // the current file, when small enough to keep between its two uses
  std::string chunk_;           // a piece of a larger file
  bool whole_pending_ = false;  // whole_ holds the current file's data, not yet handed out
  std::uint64_t file_pos_ = 0;  // next byte of the current file (large files, second read)
  int fd_ = -1;

 public:
  ZipStream(ZipStream&& other) noexcept;
  ZipStream& operator=(ZipStream&&) = delete;
  ZipStream(const ZipStream&) = delete;
  ~ZipStream();

 private:
  ZipStream() = default;
};

/// CRC-32 (ISO-HDLC, as zip uses) of `n` bytes continuing from `crc` (0 to start).
std::uint32_t crc32(std::uint32_t crc, const void* data, std::size_t n);

}  // namespace teledx::dicom
