#pragma once
#include <filesystem>
#include <string>

namespace teledx::test {

/// A fresh directory under $TMPDIR removed (with everything in it) when the object goes away.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "teledx-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace teledx::test
