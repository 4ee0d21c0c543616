// Landing slots: pre-made empty files, so that an acknowledged write needs one flush instead of three.
#include "teledx/core/slot_pool.hpp"

#include <fcntl.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "durable_io.hpp"
#include "teledx/core/ids.hpp"
#include "teledx/core/log.hpp"

namespace teledx {
namespace fs = std::filesystem;
namespace {

constexpr const char* kNoteAttr = "user.teledx.landing";
constexpr const char* kStoreFailed = "The server could not store the data (storage problem); nothing was kept. "
                                     "Send it again later.";

Error slot_error(std::string_view what, const fs::path& p, int err) {
  return make_error(ErrorCode::StorageFailure, kStoreFailed,
                    std::string(what) + " " + p.string() + ": " + std::strerror(err));
}

std::string hex2(unsigned v) {
  static constexpr char kHex[] = "0123456789abcdef";
  return {kHex[(v >> 4) & 0xF], kHex[v & 0xF]};
}

}  // namespace

SlotPool::SlotPool(FileStore& files, Options options) : files_(files), options_(std::move(options)) {}

SlotPool::~SlotPool() { stop(); }

bool SlotPool::started() const {
  std::lock_guard lock(mutex_);
  return started_;
}

std::size_t SlotPool::free_count() const {
  std::lock_guard lock(mutex_);
  return free_.size();
}

bool SlotPool::owns(std::string_view key) const {
  return key.size() > options_.prefix.size() + 1 && key.substr(0, options_.prefix.size()) == options_.prefix &&
         key[options_.prefix.size()] == '/';
}

std::optional<std::string> SlotPool::key_of(const fs::path& path) const {
  const fs::path rel = path.lexically_relative(files_.root() / "blobs");
  const std::string key = rel.generic_string();
  if (rel.empty() || key.rfind("..", 0) == 0 || !FileStore::valid_key(key)) return std::nullopt;
  return key;
}

Result<void> SlotPool::start(const std::vector<std::string>& free_slots) {
  if (started()) return ok();
  for (unsigned i = 0; i < 256; ++i) TELEDX_TRY(files_.ensure_directory(options_.prefix + "/" + hex2(i)));
  // Probe: a slot without its note could not be recovered, so slots are only used where notes stick
  // (ext4, xfs, btrfs; not every tmpfs or network filesystem).
  const std::string probe_key = options_.prefix + "/00/probe-" + new_id();
  const fs::path probe = files_.path_of(probe_key);
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return slot_error("create", probe, errno);
  const int rc = ::fsetxattr(fd, kNoteAttr, "probe", 5, 0);
  const int err = errno;
  ::close(fd);
  ::unlink(probe.c_str());
  if (rc != 0) {
    return make_error(ErrorCode::Unavailable,
                      "The data directory's filesystem does not keep extended attributes; landing slots are off.",
                      std::string("fsetxattr: ") + std::strerror(err));
  }
  {
    std::lock_guard lock(mutex_);
    for (const auto& k : free_slots)
      if (owns(k)) free_.push_back(k);
    started_ = true;
    stopping_ = false;
  }
  refiller_ = std::thread([this] { refill_loop(); });
  return ok();
}

void SlotPool::stop() {
  {
    std::lock_guard lock(mutex_);
    if (!started_) return;
    stopping_ = true;
    started_ = false;
  }
  wake_.notify_all();
  if (refiller_.joinable()) refiller_.join();
}

// One batch in one directory: the directory is synced once for all of them. Only synced slots are handed out.
Result<void> SlotPool::refill_once() {
  const std::string dir = options_.prefix + "/" + random_hex(1);
  std::vector<std::string> made;
  made.reserve(options_.batch);
  for (std::size_t i = 0; i < options_.batch; ++i) {
    std::string key = dir + "/" + new_id() + ".dcm";
    const fs::path p = files_.path_of(key);
    const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return slot_error("create", p, errno);
    ::close(fd);
    made.push_back(std::move(key));
  }
  TELEDX_TRY(detail::fsync_path(files_.path_of(dir), true));
  std::lock_guard lock(mutex_);
  free_.insert(free_.end(), made.begin(), made.end());
  return ok();
}

void SlotPool::refill_loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (free_.size() >= options_.low_water) {
      wake_.wait(lock, [&] { return stopping_ || free_.size() < options_.low_water; });
      continue;
    }
    lock.unlock();
    auto r = refill_once();
    lock.lock();
    if (!r.ok()) {
      log::error("slots", "could not make landing slots: " + r.error().detail);
      // take() still works (it makes a slot on the spot); retry later rather than spin.
      wake_.wait_for(lock, std::chrono::seconds(5), [&] { return stopping_; });
    }
  }
}

Result<std::string> SlotPool::take() {
  {
    std::lock_guard lock(mutex_);
    if (!started_) return make_error(ErrorCode::Unavailable, "Landing slots are not in use.");
    if (!free_.empty()) {
      std::string key = std::move(free_.back());
      free_.pop_back();
      if (free_.size() < options_.low_water) wake_.notify_one();
      return key;
    }
    wake_.notify_one();
  }
  // Dry (a burst outran the refill): one slot now, paying its directory sync.
  const std::string key = options_.prefix + "/" + random_hex(1) + "/" + new_id() + ".dcm";
  const fs::path p = files_.path_of(key);
  const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return slot_error("create", p, errno);
  ::close(fd);
  TELEDX_TRY(detail::fsync_path(p.parent_path(), true));
  return key;
}

std::optional<std::string> SlotPool::take_ready() {
  std::lock_guard lock(mutex_);
  if (!started_) return std::nullopt;
  std::optional<std::string> key;
  if (!free_.empty()) {
    key = std::move(free_.back());
    free_.pop_back();
  }
  if (free_.size() < options_.low_water) wake_.notify_one();
  return key;
}

void SlotPool::give_back(const std::string& key) {
  const fs::path p = files_.path_of(key);
  // No fsync: should a crash undo this, recovery meets the old content again and refuses it again.
  ::removexattr(p.c_str(), kNoteAttr);
  if (::truncate(p.c_str(), 0) != 0) {
    if (errno != ENOENT) log::warn("slots", "could not empty slot " + key + ": " + std::strerror(errno));
    return;
  }
  std::lock_guard lock(mutex_);
  if (started_) free_.push_back(key);
}

Result<void> SlotPool::seal(const std::string& key, std::string_view note) {
  const fs::path p = files_.path_of(key);
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return slot_error("open", p, errno);
  Result<void> r = ok();
  // fsync, not fdatasync: the note is metadata and must be as durable as the bytes.
  if (::fsetxattr(fd, kNoteAttr, note.data(), note.size(), 0) != 0) {
    r = slot_error("fsetxattr", p, errno);
  } else if (detail::fsync_retry(fd) != 0) {
    r = slot_error("fsync", p, errno);
  }
  ::close(fd);
  return r;
}

std::optional<std::string> SlotPool::note_of(const fs::path& file) {
  char buf[1024];
  const ssize_t n = ::getxattr(file.c_str(), kNoteAttr, buf, sizeof buf);
  if (n < 0) return std::nullopt;
  return std::string(buf, static_cast<std::size_t>(n));
}

}  // namespace teledx
