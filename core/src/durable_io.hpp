#pragma once
// Internal to core: the fsync helpers behind FileStore, shared with SlotPool.
#include <filesystem>

#include "teledx/core/result.hpp"

namespace teledx::detail {

/// fsync(2), retried on EINTR.
int fsync_retry(int fd);
/// Opens a file (or directory) read-only and fsyncs it; StorageFailure naming the path on error.
Result<void> fsync_path(const std::filesystem::path& p, bool directory);

}  // namespace teledx::detail
