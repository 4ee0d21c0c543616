#include "teledx/core/file_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <mutex>
#include <system_error>

#include "durable_io.hpp"
#include "teledx/core/ids.hpp"
#include "teledx/core/log.hpp"

namespace teledx {
namespace fs = std::filesystem;
using detail::fsync_path;
using detail::fsync_retry;
namespace {

constexpr std::string_view kWriteFailed =
    "The server could not write to its storage (disk full or read-only?); nothing was stored. "
    "Check free space and the data disk, then send again.";
constexpr std::string_view kReadFailed = "The server could not read a stored file; check the data disk.";
constexpr std::size_t kMaxKeyLength = 1024;
constexpr std::size_t kMaxSegmentLength = 255;  // NAME_MAX on the filesystems we run on

std::string errno_detail(std::string_view what, const fs::path& p, int err) {
  return std::string(what) + " " + p.string() + ": " + std::generic_category().message(err) + " (errno " +
         std::to_string(err) + ")";
}

Error write_error(std::string_view what, const fs::path& p, int err) {
  return make_error(ErrorCode::StorageFailure, std::string(kWriteFailed), errno_detail(what, p, err));
}

Error simulated_crash(std::string_view where) {
  return make_error(ErrorCode::StorageFailure, std::string(kWriteFailed),
                    "simulated crash at fail point " + std::string(where));
}

Error invalid_key(std::string_view key) {
  return make_error(ErrorCode::BadRequest, "The storage key is not valid.",
                    "invalid blob key '" + std::string(key) + "'");
}

int open_retry(const fs::path& p, int flags, mode_t mode = 0) {
  int fd;
  do {
    fd = ::open(p.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

// write(2) may be interrupted or write less than asked (signals, quotas, pipes): loop until all is out.
Result<void> write_all(int fd, std::string_view bytes, const fs::path& p) {
  const char* data = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return write_error("write", p, errno);
    }
    if (n == 0) return write_error("write", p, ENOSPC);  // no progress: treat as a full device
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  return ok();
}

// A directory created while a sibling write is in flight must not be acknowledged before its own entry
// is durable. Creation and the parent fsync happen under one lock, so a thread that finds the directory
// existing knows its creator has already made it durable.
std::mutex& dir_mutex() {
  static std::mutex m;
  return m;
}

// mkdir -p where every newly created directory's entry is fsynced in its parent.
Result<void> make_dirs_durable(const fs::path& dir) {
  std::lock_guard lock(dir_mutex());
  std::vector<fs::path> missing;
  for (fs::path p = dir;; p = p.parent_path()) {
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) return write_error("create directory", p, ENOTDIR);
      break;
    }
    if (errno != ENOENT) return write_error("stat", p, errno);
    missing.push_back(p);
    if (p == p.parent_path()) break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), 0755) != 0 && errno != EEXIST) return write_error("create directory", *it, errno);
    TELEDX_TRY(fsync_path(it->parent_path(), true));
  }
  return ok();
}

void discard(const fs::path& temp) {
  if (::unlink(temp.c_str()) != 0 && errno != ENOENT) {
    log::warn("file_store", "could not remove temp file: " + errno_detail("unlink", temp, errno));
  }
}

// Second half of every write: the temp file is complete and fsynced.
// Order: parent directories durable -> rename (atomic replace) -> fsync the parent (the rename durable).
Result<void> install(const fs::path& blobs, const fs::path& temp, std::string_view key, FailPoint fp) {
  if (fp == FailPoint::AfterTempWrite) return simulated_crash("after temp write");  // temp file stays
  const fs::path dest = blobs / fs::path(key);
  if (auto r = make_dirs_durable(dest.parent_path()); !r.ok()) {
    discard(temp);
    return r.error();
  }
  if (::rename(temp.c_str(), dest.c_str()) != 0) {
    const int err = errno;
    discard(temp);
    return write_error("rename to", dest, err);
  }
  // The file is in place but its directory entry is not yet durable: the caller writes no index row,
  // and start-up recovery removes it as an orphan.
  if (fp == FailPoint::AfterRename) return simulated_crash("after rename");
  return fsync_path(dest.parent_path(), true);
}

}  // namespace

namespace detail {

int fsync_retry(int fd) {
  int rc;
  do {
    rc = ::fsync(fd);
  } while (rc != 0 && errno == EINTR);
  return rc;
}

Result<void> fsync_path(const fs::path& p, bool directory) {
  const int fd = open_retry(p, directory ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
  if (fd < 0) return write_error("open for fsync", p, errno);
  const int rc = fsync_retry(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return write_error("fsync", p, err);
  return ok();
}

}  // namespace detail

FileStore::FileStore(fs::path root) {
  std::error_code ec;
  fs::path abs = fs::absolute(root, ec);
  root_ = (ec ? root : abs).lexically_normal();
  if (!root_.has_filename() && root_.has_parent_path() && root_ != root_.root_path()) {
    root_ = root_.parent_path();  // "data/" -> "data", so parent_path() walks up as expected
  }
  // A failure here is not fatal: the first put retries the directories and reports the error.
  for (const char* sub : {"blobs", "tmp"}) {
    if (auto r = make_dirs_durable(root_ / sub); !r.ok()) {
      log::error("file_store", r.error().message + " " + r.error().detail);
    }
  }
}

Result<void> FileStore::put(std::string_view key, std::string_view bytes) {
  if (!valid_key(key)) return invalid_key(key);
  const fs::path temp = new_temp_path();
  const int fd = open_retry(temp, O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (fd < 0) return write_error("create", temp, errno);
  Result<void> r = write_all(fd, bytes, temp);
  if (r.ok() && fsync_retry(fd) != 0) r = write_error("fsync", temp, errno);
  // close() can report a deferred write error (e.g. NFS, quota): it counts as a failed write.
  if (::close(fd) != 0 && r.ok()) r = write_error("close", temp, errno);
  if (!r.ok()) {
    discard(temp);
    return r;
  }
  return install(root_ / "blobs", temp, key, fail_point_);
}

Result<void> FileStore::commit_temp(const fs::path& temp, std::string_view key) {
  if (!valid_key(key)) {
    discard(temp);
    return invalid_key(key);
  }
  // The producer (e.g. DCMTK streaming a C-STORE) did not fsync: make the bytes durable before the rename.
  if (auto r = fsync_path(temp, false); !r.ok()) {
    discard(temp);
    return r;
  }
  return install(root_ / "blobs", temp, key, fail_point_);
}

Result<void> FileStore::ensure_directory(std::string_view key_dir) {
  if (!valid_key(key_dir)) return invalid_key(key_dir);
  return make_dirs_durable(root_ / "blobs" / fs::path(key_dir));
}

fs::path FileStore::new_temp_path() const { return root_ / "tmp" / (new_id() + ".tmp"); }

Result<std::string> FileStore::read(std::string_view key) const {
  if (!valid_key(key)) return invalid_key(key);
  const fs::path p = path_of(key);
  const int fd = open_retry(p, O_RDONLY);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) {
      return make_error(ErrorCode::NotFound, "The requested file is not in storage.",
                        errno_detail("open", p, err));
    }
    return make_error(ErrorCode::StorageFailure, std::string(kReadFailed), errno_detail("open", p, err));
  }
  std::string out;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_size > 0) out.reserve(static_cast<std::size_t>(st.st_size));
  char buf[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return make_error(ErrorCode::StorageFailure, std::string(kReadFailed), errno_detail("read", p, err));
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

bool FileStore::exists(std::string_view key) const {
  if (!valid_key(key)) return false;
  struct stat st {};
  return ::stat(path_of(key).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

fs::path FileStore::path_of(std::string_view key) const { return root_ / "blobs" / fs::path(key); }

Result<void> FileStore::remove(std::string_view key) {
  if (!valid_key(key)) return invalid_key(key);
  const fs::path p = path_of(key);
  if (::unlink(p.c_str()) != 0) {
    if (errno == ENOENT) return ok();
    return write_error("remove", p, errno);
  }
  // Empty directories are left in place: removing them would race with a put creating a sibling.
  return fsync_path(p.parent_path(), true);
}

std::vector<std::string> FileStore::list_keys() const {
  std::vector<std::string> keys;
  const fs::path base = root_ / "blobs";
  std::error_code ec;
  fs::recursive_directory_iterator it(base, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    std::error_code st_ec;
    if (it->symlink_status(st_ec).type() == fs::file_type::regular) {
      keys.push_back(it->path().lexically_relative(base).generic_string());
    }
  }
  if (ec) log::warn("file_store", "listing " + base.string() + " stopped early: " + ec.message());
  std::sort(keys.begin(), keys.end());
  return keys;
}

std::size_t FileStore::clean_temp() {
  std::size_t removed = 0;
  std::error_code ec;
  for (fs::directory_iterator it(root_ / "tmp", ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code rm_ec;
    if (it->symlink_status(rm_ec).type() != fs::file_type::directory && fs::remove(it->path(), rm_ec)) {
      ++removed;
    } else if (rm_ec) {
      log::warn("file_store", "could not remove temp file " + it->path().string() + ": " + rm_ec.message());
    }
  }
  return removed;
}

bool FileStore::valid_key(std::string_view key) {
  if (key.empty() || key.size() > kMaxKeyLength) return false;
  std::size_t start = 0;
  for (;;) {
    const std::size_t slash = key.find('/', start);
    const std::string_view seg = key.substr(start, slash == std::string_view::npos ? key.npos : slash - start);
    // Empty segments also refuse a leading '/' (absolute path) and a trailing '/'.
    if (seg.empty() || seg.size() > kMaxSegmentLength || seg == "." || seg == "..") return false;
    for (const char c : seg) {
      const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                           c == '.' || c == '_' || c == '-';
      if (!allowed) return false;
    }
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

}  // namespace teledx
