#include "fixity.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <system_error>

#include "teledx/core/log.hpp"

namespace teledx::dicom::detail {
namespace fs = std::filesystem;
namespace {

constexpr const char* kStorageFailed =
    "The server could not store the instance (storage problem); nothing was kept. Send it again later.";
constexpr std::size_t kChunk = 256 * 1024;

Error read_error(const std::string& what, const fs::path& p, int err) {
  return make_error(ErrorCode::StorageFailure, kStorageFailed,
                    what + " " + p.string() + ": " + std::generic_category().message(err));
}

// A read() that retries on EINTR and fills the buffer unless the file ends.
ssize_t read_full(int fd, unsigned char* buf, std::size_t size) {
  std::size_t got = 0;
  while (got < size) {
    const ssize_t n = ::read(fd, buf + got, size - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  return static_cast<ssize_t>(got);
}

struct Fd {
  int fd = -1;
  explicit Fd(const fs::path& p) : fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC)) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

}  // namespace

// OpenSSL rather than libsodium: it uses the CPU's SHA extensions, several times faster on 500 KB slices.
Result<std::string> file_sha256(const fs::path& p) {
  Fd f(p);
  if (f.fd < 0) return read_error("open", p, errno);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return make_error(ErrorCode::Internal, "Internal error; the instance was not stored.", "EVP sha256 init");
  }
  std::vector<unsigned char> buf(kChunk);
  for (;;) {
    const ssize_t n = read_full(f.fd, buf.data(), buf.size());
    if (n < 0) return read_error("read", p, errno);
    if (n == 0) break;
    EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<std::size_t>(n));
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xF]);
  }
  return hex;
}

Result<bool> same_content(const fs::path& a, const fs::path& b) {
  std::error_code ec_a, ec_b;
  const auto size_a = fs::file_size(a, ec_a), size_b = fs::file_size(b, ec_b);
  if (ec_a) return read_error("stat", a, ec_a.value());
  if (ec_b) return read_error("stat", b, ec_b.value());
  if (size_a != size_b) return false;
  Fd fa(a), fb(b);
  if (fa.fd < 0) return read_error("open", a, errno);
  if (fb.fd < 0) return read_error("open", b, errno);
  std::vector<unsigned char> buf_a(kChunk), buf_b(kChunk);
  for (;;) {
    const ssize_t na = read_full(fa.fd, buf_a.data(), kChunk);
    if (na < 0) return read_error("read", a, errno);
    const ssize_t nb = read_full(fb.fd, buf_b.data(), kChunk);
    if (nb < 0) return read_error("read", b, errno);
    if (na != nb || std::memcmp(buf_a.data(), buf_b.data(), static_cast<std::size_t>(na)) != 0) return false;
    if (na == 0) return true;
  }
}

Fixity::~Fixity() { stop(); }

void Fixity::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void Fixity::stop() {
  {
    std::lock_guard lock(mutex_);
    if (!thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Fixity::add(Item item) {
  std::lock_guard lock(inbox_mutex_);
  // Beyond the limit the row itself is the record: a sweep finds it once the queue has drained.
  if (inbox_.size() >= kQueueLimit) {
    inbox_overflow_ = true;
    return;
  }
  inbox_.push_back(std::move(item));
}

std::vector<Fixity::Done> Fixity::pump() {
  std::vector<Item> items;
  bool overflow = false, sweep = false;
  {
    std::lock_guard lock(inbox_mutex_);
    items.swap(inbox_);
    std::swap(overflow, inbox_overflow_);
  }
  std::vector<Done> out;
  {
    std::lock_guard lock(mutex_);
    if (overflow || queue_.size() + items.size() > kQueueLimit) {
      sweep_needed_ = true;
      if (queue_.size() >= kQueueLimit) items.clear();
      else if (queue_.size() + items.size() > kQueueLimit) items.resize(kQueueLimit - queue_.size());
    }
    for (auto& item : items) queue_.push_back(std::move(item));
    out.swap(done_);
    sweep = sweep_needed_ && queue_.empty() && in_flight_ == 0;
  }
  // The sweep reads the index here, at normal priority: a read snapshot held by a starved idle thread would keep
  // the WAL from being checkpointed.
  if (sweep) items = find_unsummed();
  if (!items.empty()) wake_.notify_one();
  return out;
}

std::size_t Fixity::pending() const {
  std::size_t n = 0;
  {
    std::lock_guard lock(inbox_mutex_);
    n = inbox_.size() + (inbox_overflow_ ? 1 : 0);
  }
  std::lock_guard lock(mutex_);
  return n + queue_.size() + in_flight_ + (sweep_needed_ ? 1 : 0);
}

void Fixity::written(std::size_t n) {
  std::lock_guard lock(mutex_);
  in_flight_ -= std::min(n, in_flight_);
}

std::vector<Fixity::Item> Fixity::find_unsummed() {
  std::vector<Item> found;
  auto r = db_.read([&](db::Txn& txn) -> Result<void> {
    auto rows = txn.query("SELECT sop_uid, file_key FROM dicom_instances WHERE sha256 = '' LIMIT " +
                          std::to_string(kQueueLimit));
    TELEDX_TRY(rows);
    for (const auto& row : *rows) found.push_back({row.text(0), row.text(1)});
    return ok();
  });
  std::lock_guard lock(mutex_);
  if (!r.ok()) {
    log::error("dicom", "fixity: could not list instances without a checksum: " + r.error().detail);
    return {};  // sweep_needed_ stays: the next pump tries again
  }
  sweep_needed_ = found.size() == kQueueLimit;  // a full page: look again once these are written
  for (const auto& item : found) queue_.push_back(item);
  if (!found.empty()) log::info("dicom", "fixity: " + std::to_string(found.size()) + " stored file(s) to checksum");
  return found;
}

void Fixity::loop() {
  // This thread (not the process): on Linux sched_setscheduler(0) applies to the calling thread.
  sched_param param{};
  if (::sched_setscheduler(0, SCHED_IDLE, &param) != 0) {
    log::warn("dicom", std::string("fixity: could not lower the checksum thread's priority: ") + std::strerror(errno));
  }
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (queue_.empty()) {
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      continue;
    }
    Item item = std::move(queue_.front());
    queue_.pop_front();
    ++in_flight_;
    lock.unlock();
    auto sha = file_sha256(files_.path_of(item.file_key));
    lock.lock();
    if (!sha.ok()) {
      // The row keeps "" and the next start's sweep tries again.
      log::warn("dicom", "fixity: could not checksum " + item.file_key + ": " + sha.error().detail);
      --in_flight_;
      continue;
    }
    done_.push_back({std::move(item.sop_uid), std::move(item.file_key), std::move(*sha)});
  }
}

}  // namespace teledx::dicom::detail
