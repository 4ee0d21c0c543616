#include "teledx/core/ids.hpp"

#include <sodium.h>

#include <stdexcept>
#include <vector>

namespace teledx {
namespace {

std::string to_hex(const unsigned char* bin, std::size_t n) {
  std::string hex(2 * n + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), bin, n);
  hex.pop_back();  // sodium writes a terminating NUL
  return hex;
}

void require_crypto() {
  // Without a working CSPRNG no session token or id is safe to hand out: that is exhaustion, not an
  // expected failure, so it is an exception.
  if (!crypto_init()) throw std::runtime_error("libsodium could not be initialised");
}

}  // namespace

bool crypto_init() {
  // sodium_init() is itself thread-safe, but the static makes every later call a plain load.
  static const bool ok = sodium_init() >= 0;
  return ok;
}

std::string random_hex(std::size_t n_bytes) {
  // randombytes_buf() declares its buffer non-null, and an empty vector's data() is null (UBSan reports it).
  if (n_bytes == 0) return {};
  require_crypto();
  std::vector<unsigned char> buf(n_bytes);
  randombytes_buf(buf.data(), buf.size());
  return to_hex(buf.data(), buf.size());
}

std::string new_id() { return random_hex(16); }

std::string sha256_hex(std::string_view bytes) {
  require_crypto();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  return to_hex(digest, sizeof digest);
}

}  // namespace teledx
