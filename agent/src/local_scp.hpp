#pragma once
// Exams out, second way in: a small C-STORE SCP on the clinic's LAN for modalities that can only "send to a DICOM
// node". Each received instance is written whole (temp file, fsync, rename) into the agent's spool folder before
// the modality gets its success status; the uploader then forwards the spool exactly like the watched folder
// (kept until the server confirmed it, a study moved out only when all of it is confirmed).
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "teledx/core/result.hpp"

namespace teledx::agent {

struct LocalScpOptions {
  int port = 0;                          // 0: no SCP
  std::string ae_title = "TELEDX_AGENT";  // the called AE title modalities must use
  std::vector<std::string> calling_aes;  // if not empty, only these calling AE titles are accepted
  int max_associations = 4;
  std::filesystem::path spool;           // received instances: <spool>/<study uid>/<sop uid>.dcm
};

class LocalScp {
 public:
  explicit LocalScp(LocalScpOptions o);
  ~LocalScp();
  LocalScp(const LocalScp&) = delete;
  LocalScp& operator=(const LocalScp&) = delete;
  /// Opens the port and starts accepting. Unavailable when the port cannot be opened or DICOM is unusable.
  Result<void> start();
  /// Stops accepting; running associations finish first.
  void stop();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace teledx::agent
