#pragma once
// Multipart bodies: reading a spooled upload (browser form-data) straight from its file (memory-mapped, never
// copied whole into memory) and writing WADO-RS answers into a temp file that is streamed out. STOW-RS bodies
// are split while they arrive instead (teledx/server/multipart_stream.hpp).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "teledx/core/result.hpp"

namespace teledx::server {

/// Value of a field (name case-insensitive) in a part's header block of CRLF-separated lines; "" when absent.
std::string part_header(std::string_view block, std::string_view name);

/// Value of a parameter (e.g. "boundary", "type") of a Content-Type header, unquoted; nullopt when absent.
std::optional<std::string> content_type_param(std::string_view content_type, std::string_view name);

struct MultipartPart {
  std::string content_type;  // "" when the part has none
  std::string disposition;   // Content-Disposition of a multipart/form-data part (holds the filename), or ""
  std::string_view body;     // points into the mapped file
};

/// A read-only memory map of a spooled request body.
class MappedFile {
 public:
  static Result<MappedFile> open(const std::filesystem::path& path);
  MappedFile(MappedFile&& o) noexcept;
  MappedFile& operator=(MappedFile&&) = delete;
  ~MappedFile();
  std::string_view view() const { return {static_cast<const char*>(data_), size_}; }

 private:
  MappedFile(void* data, std::size_t size) : data_(data), size_(size) {}
  void* data_ = nullptr;
  std::size_t size_ = 0;
};

/// Splits a multipart body; BadRequest with a sentence when the boundary never appears or the body is cut.
Result<std::vector<MultipartPart>> split_multipart(std::string_view body, const std::string& boundary);

/// Writes a multipart/related body part by part into a file.
class MultipartWriter {
 public:
  explicit MultipartWriter(const std::filesystem::path& file);
  ~MultipartWriter();
  const std::string& boundary() const { return boundary_; }
  bool add(const std::string& content_type, std::string_view bytes, const std::string& location = {});
  bool add_file(const std::string& content_type, const std::filesystem::path& source, const std::string& location = {});
  /// Writes the closing boundary; false if any write failed (disk full).
  bool finish();

 private:
  bool header(const std::string& content_type, const std::string& location);
  int fd_ = -1;
  bool ok_ = true;
  std::string boundary_;
};

}  // namespace teledx::server
